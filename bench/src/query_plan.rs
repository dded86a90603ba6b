//! Query plans as the engines print them (`EXPLAIN QUERY PLAN` rows on SQLite, `EXPLAIN` lines
//! on PostgreSQL): SQLite's rows drawn as a tree, and the indexes a plan of either engine names,
//! so the results can say which index serves which view.

/// SQLite's `EXPLAIN QUERY PLAN` rows (`id`, `parent`, `detail`) as the `sqlite3` shell draws
/// them: each step under its parent, two spaces deeper.
pub fn sqlite_tree(steps: &[(i64, i64, String)]) -> Vec<String> {
    let mut depths: Vec<(i64, usize)> = Vec::with_capacity(steps.len());
    steps
        .iter()
        .map(|(id, parent, detail)| {
            let depth = depths
                .iter()
                .find(|(step, _)| step == parent)
                .map_or(0, |(_, depth)| depth + 1);
            depths.push((*id, depth));
            format!("{}{detail}", "  ".repeat(depth))
        })
        .collect()
}

/// The indexes a plan of either engine reads, in the order it names them, each once.
pub fn indexes(plan: &[String]) -> Vec<String> {
    // SQLite: "SEARCH c USING INDEX name (...)", "USING COVERING INDEX name";
    // PostgreSQL: "Index Scan using name on ...", "Index Only Scan Backward using name on",
    // "Bitmap Index Scan on name".
    const MARKERS: [&str; 4] = [
        "USING COVERING INDEX ",
        "USING INDEX ",
        " using ",
        "Bitmap Index Scan on ",
    ];
    let mut found: Vec<String> = Vec::new();
    for line in plan {
        for marker in MARKERS {
            let Some((_, after)) = line.split_once(marker) else {
                continue;
            };
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !found.contains(&name) {
                found.push(name);
            }
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_sqlites_steps_under_their_parents() {
        let steps = [
            (
                3,
                0,
                "SEARCH c USING INDEX conversations_unassigned (integration_id=? AND status=?)",
            ),
            (12, 0, "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"),
            (40, 0, "CORRELATED SCALAR SUBQUERY 2"),
            (
                45,
                40,
                "SEARCH v USING COVERING INDEX visitors_by_person (person_id=?)",
            ),
            (60, 0, "CORRELATED SCALAR SUBQUERY 4"),
            (65, 60, "CO-ROUTINE unread_messages"),
            (
                70,
                65,
                "SEARCH u USING INDEX sqlite_autoindex_messages_1 (conversation_id=? AND seq>?)",
            ),
        ]
        .map(|(id, parent, detail)| (id, parent, detail.to_owned()));
        let tree = sqlite_tree(&steps);
        assert_eq!(tree[0], steps[0].2);
        assert_eq!(tree[3], format!("  {}", steps[3].2));
        assert_eq!(tree[6], format!("    {}", steps[6].2));
        assert_eq!(
            indexes(&tree),
            [
                "conversations_unassigned",
                "visitors_by_person",
                "sqlite_autoindex_messages_1"
            ]
        );
    }

    #[test]
    fn names_the_indexes_of_a_postgres_plan_once_each() {
        let plan = [
            "Limit  (cost=0.42..120.51 rows=51 width=200)",
            "  ->  Nested Loop Left Join  (cost=0.42..2000.00 rows=900 width=200)",
            "        ->  Index Scan using conversations_by_assignee on conversations c  (cost=0.42..50.00 rows=900 width=100)",
            "              Index Cond: ((assignee_id = 1) AND (status = 'open'::text))",
            "        ->  Index Only Scan Backward using visitors_by_person on visitors v  (cost=0.29..4.31 rows=1 width=8)",
            "        ->  Bitmap Index Scan on conversations_inbox  (cost=0.00..4.00 rows=1 width=0)",
            "        ->  Index Scan using conversations_by_assignee on conversations c2  (cost=0.42..50.00 rows=900 width=100)",
            "  ->  Seq Scan on people p  (cost=0.00..1.00 rows=1 width=8)",
        ]
        .map(str::to_owned);
        assert_eq!(
            indexes(&plan),
            [
                "conversations_by_assignee",
                "visitors_by_person",
                "conversations_inbox"
            ]
        );
        assert!(indexes(&["SCAN c".to_owned()]).is_empty());
    }
}
