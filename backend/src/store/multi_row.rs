//! Statements over many rows at once: placeholders for `VALUES` rows and `IN` lists, and how
//! many rows fit in one statement under the engines' limit on bound parameters.
//!
//! PostgreSQL numbers its placeholders (`$1, $2`). SQLite gets bare `?`s, bound in the order
//! they appear: it keeps numbered ones (`$1`, `?1`) in a list it searches on every parse and
//! every bind, which makes a statement of thousands of them cost quadratic time.

use super::Engine;
use sqlx::AnyConnection;

/// Most parameters one statement binds: SQLite's limit since 3.32 (the bundled SQLite is newer);
/// PostgreSQL allows 65,535.
const MAX_BOUND_PARAMETERS: usize = 32_766;

/// How many rows of `columns` values one statement can bind.
pub(super) fn rows_per_statement(columns: usize) -> usize {
    (MAX_BOUND_PARAMETERS / columns.max(1)).max(1)
}

/// The engine behind `connection`.
pub(super) fn engine_of(connection: &AnyConnection) -> Engine {
    if connection.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
        Engine::Postgres
    } else {
        Engine::Sqlite
    }
}

/// `count` placeholders for an `IN (...)` list, numbered from `first` where the engine numbers
/// them. Every placeholder of a statement must come from here, in the order values are bound.
pub(super) fn list(engine: Engine, count: usize, first: usize) -> String {
    placeholders(engine, count, first).join(", ")
}

/// The placeholders of [`list`], one by one.
pub(super) fn placeholders(engine: Engine, count: usize, first: usize) -> Vec<String> {
    match engine {
        Engine::Postgres => (first..first + count)
            .map(|number| format!("${number}"))
            .collect(),
        Engine::Sqlite => vec!["?".to_owned(); count],
    }
}

/// `($1, ..., $columns), (...)`: `rows` rows of `columns` placeholders, for `VALUES`.
pub(super) fn values(engine: Engine, rows: usize, columns: usize) -> String {
    values_from(engine, rows, columns, 1)
}

/// The placeholders of [`values`], numbered from `first` where the engine numbers them: for a
/// statement binding other values before these.
pub(super) fn values_from(engine: Engine, rows: usize, columns: usize, first: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", list(engine, columns, first + row * columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_placeholders_across_rows() {
        assert_eq!(values(Engine::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list(Engine::Postgres, 2, 4), "$4, $5");
        assert_eq!(values_from(Engine::Postgres, 2, 2, 5), "($5, $6), ($7, $8)");
        assert_eq!(rows_per_statement(11), 2978);
    }

    #[test]
    fn sqlite_binds_placeholders_in_order() {
        assert_eq!(values(Engine::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(list(Engine::Sqlite, 3, 4), "?, ?, ?");
    }
}
