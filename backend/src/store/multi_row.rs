//! Statements over many rows at once: numbered placeholders for `VALUES` rows and `IN` lists,
//! and how many rows fit in one statement under the engines' limit on bound parameters.

/// Most parameters one statement binds: SQLite's limit since 3.32 (the bundled SQLite is newer);
/// PostgreSQL allows 65,535.
const MAX_BOUND_PARAMETERS: usize = 32_766;

/// How many rows of `columns` values one statement can bind.
pub(super) fn rows_per_statement(columns: usize) -> usize {
    (MAX_BOUND_PARAMETERS / columns.max(1)).max(1)
}

/// `$first, $first+1, ...`: `count` placeholders, for an `IN (...)` list.
pub(super) fn list(count: usize, first: usize) -> String {
    (first..first + count)
        .map(|number| format!("${number}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, ..., $columns), (...)`: `rows` rows of `columns` placeholders, for `VALUES`.
pub(super) fn values(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", list(columns, row * columns + 1)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list(2, 4), "$4, $5");
        assert_eq!(rows_per_statement(11), 2978);
    }
}
