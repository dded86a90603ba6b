//! Many conversations of the bench integration written straight into its database in a few
//! statements, shaped like the server's own rows: a person, a visitor (with its browser) and a
//! conversation each, announced to the collaboration server, with one visitor message that is
//! its last (last activity, last page, last visitor message's number), a share of them closed,
//! assigned to the measuring operator or to a colleague, and read by the measuring operator.

use crate::database::DirectConnection;
use crate::server::INTEGRATION;
use anyhow::{Context, Result};

/// What to write.
#[derive(Debug, Clone, Copy)]
pub struct Seed {
    pub conversations: u64,
    /// The operator whose `mine` view is measured, and the one others are assigned to.
    pub operator_id: i64,
    pub colleague_id: i64,
    /// The newest activity, in milliseconds since the Unix epoch.
    pub now_ms: i64,
}

/// The tables written, in the order written, each with its id sequence on PostgreSQL.
const TABLES: [&str; 4] = ["people", "visitors", "conversations", "messages"];

/// Of every ten conversations: which is closed, which are the operator's, the colleague's, and
/// read by the operator (`i % 10`).
const CLOSED: &str = "0";
const MINE: &str = "1";
const COLLEAGUES: &str = "2, 3, 4";
const READ: &str = "1, 5, 6";
/// The shares above in words, for the results.
pub const SHARES: &str = "one in ten closed; of all, one in ten assigned to the measuring \
    operator, three in ten to a colleague, the rest unassigned; three in ten read by the \
    measuring operator, the rest unread";

/// Writes `seed` into the database at `url`, whose tables the server has created; on
/// PostgreSQL, then vacuums and analyzes it as autovacuum does after inserts this many.
pub async fn write(url: &str, seed: Seed) -> Result<()> {
    let mut database = DirectConnection::connect(url).await?;
    database.execute("BEGIN").await?;
    let mut largest = [0; TABLES.len()];
    for (table, largest) in TABLES.iter().zip(&mut largest) {
        *largest = database
            .number(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
            .await?;
    }
    for sql in statements(&seed, largest) {
        database
            .execute(&sql)
            .await
            .with_context(|| format!("seeding the inbox: {sql}"))?;
    }
    database.execute("COMMIT").await?;
    if let DirectConnection::Postgres(_) = database {
        for table in TABLES {
            database
                .execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT MAX(id) FROM {table}))"
                ))
                .await?;
        }
        database.execute("VACUUM ANALYZE").await?;
    }
    Ok(())
}

/// The statements, each inserting every row of its table; ids follow each table's `largest`
/// (in the order of [`TABLES`]).
fn statements(seed: &Seed, largest: [i64; TABLES.len()]) -> Vec<String> {
    let Seed {
        conversations: count,
        operator_id: mine,
        colleague_id: colleague,
        now_ms,
    } = *seed;
    // i = 1..=count, as BIGINT on PostgreSQL so its products do not overflow.
    let numbers = format!(
        "WITH RECURSIVE n (i) AS (SELECT CAST(1 AS BIGINT) UNION ALL \
         SELECT i + 1 FROM n WHERE i < {count})"
    );
    let [people, visitors, conversations, messages] = largest;
    let first_ms = now_ms - i64::try_from(count).unwrap_or(i64::MAX / 2_000) * 2_000;
    // Activity in an order of its own, not the ids' (old conversations get new messages).
    let activity = format!("{first_ms} + ((i * 7919) % {count}) * 1000 + {count} * 1000");
    let page = "'https://shop.example/catalog/' || (i % 500)";
    vec![
        format!(
            "INSERT INTO people (id, integration_id, sub, name, email, created_at) {numbers} \
             SELECT {people} + i, '{INTEGRATION}', NULL, \
             CASE WHEN i % 3 = 0 THEN 'Visitor ' || i END, \
             CASE WHEN i % 4 = 0 THEN 'visitor' || i || '@example.com' END, \
             {first_ms} + i * 1000 FROM n"
        ),
        format!(
            "INSERT INTO visitors (id, integration_id, token_hash, person_id, created_at, \
             last_seen_at, browser) {numbers} \
             SELECT {visitors} + i, '{INTEGRATION}', 'seeded-' || i, {people} + i, \
             {first_ms} + i * 1000, {activity}, \
             'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' FROM n"
        ),
        format!(
            "INSERT INTO conversations (id, integration_id, person_id, last_seq, created_at, \
             ext_id, announced_at, status, assignee_id, last_activity_at, last_page_url, \
             last_page_title, operator_read_seq, last_visitor_seq) {numbers} \
             SELECT {conversations} + i, '{INTEGRATION}', {people} + i, 1, \
             {first_ms} + i * 1000, 'seeded-' || i, {first_ms} + i * 1000, \
             CASE WHEN i % 10 IN ({CLOSED}) THEN 'closed' ELSE 'open' END, \
             CASE WHEN i % 10 IN ({MINE}) THEN {mine} \
                  WHEN i % 10 IN ({COLLEAGUES}) THEN {colleague} END, \
             {activity}, {page}, 'Catalog, page ' || (i % 500), \
             CASE WHEN i % 10 IN ({READ}) THEN 1 ELSE 0 END, 1 FROM n"
        ),
        format!(
            "INSERT INTO messages (id, conversation_id, seq, client_id, author_kind, visitor_id, \
             text, text_format, page_url, page_title, sent_at) {numbers} \
             SELECT {messages} + i, {conversations} + i, 1, 'seeded-' || i, \
             'visitor', {visitors} + i, \
             'Hello, a question about my order ' || i, 'text/plain', {page}, \
             'Catalog, page ' || (i % 500), {activity} FROM n"
        ),
        format!(
            "INSERT INTO operator_reads (account_id, conversation_id, read_seq) {numbers} \
             SELECT {mine}, {conversations} + i, 1 FROM n WHERE i % 10 IN ({READ})"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_gets_its_rows_in_one_statement_each() {
        let seed = Seed {
            conversations: 1_000,
            operator_id: 7,
            colleague_id: 8,
            now_ms: 1_700_000_000_000,
        };
        let statements = statements(&seed, [10, 20, 30, 40]);
        let tables: Vec<&str> = statements
            .iter()
            .filter_map(|sql| sql.strip_prefix("INSERT INTO ")?.split_whitespace().next())
            .collect();
        assert_eq!(
            tables,
            [
                "people",
                "visitors",
                "conversations",
                "messages",
                "operator_reads"
            ]
        );
        assert!(statements.iter().all(|sql| sql.contains("i < 1000)")));
        assert!(statements[2].contains("THEN 7"), "{}", statements[2]);
        assert!(statements[2].contains("THEN 8"), "{}", statements[2]);
        assert!(
            statements[3].contains("SELECT 40 + i, 30 + i, 1,"),
            "{}",
            statements[3]
        );
    }
}
