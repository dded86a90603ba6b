//! Copies SQLite's write-ahead log into the database file mostly off the write path. Left to
//! SQLite alone, the commit that fills the log copies all of it and syncs both files while
//! every other write waits on the one write connection. Here a connection of its own runs a
//! passive checkpoint (which blocks neither writers nor readers) shortly after commits, so
//! little is left to copy when a commit's own checkpoint comes; that one still runs (every
//! [`LOG_PAGES`] pages), because only a checkpoint in the writing connection, between its
//! writes, can bring the log to its end and let it start over, which keeps it bounded.

use sqlx::SqlitePool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The log's length, in pages, at which a commit checkpoints by itself (64 MiB of 4 KiB pages):
/// long enough that a sustained load does not make commits checkpoint several times a second
/// (docs/performance.md, "SQLite").
pub(super) const LOG_PAGES: u32 = 16_000;

/// Least time between two background checkpoints: short, so each copies little and does not
/// hold the server's core for long (docs/performance.md, "SQLite").
const REST: Duration = Duration::from_millis(50);

/// Checkpoints through `pool` (a connection of its own) after each notification of the returned
/// [`Notify`], at most once every [`REST`], until the pool is closed.
pub(super) fn start(pool: SqlitePool) -> Arc<Notify> {
    let committed = Arc::new(Notify::new());
    let woken = Arc::clone(&committed);
    tokio::spawn(async move {
        loop {
            woken.notified().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query(include_str!("checkpoint.sql"))
                .execute(&pool)
                .await
            {
                tracing::warn!(%error, "cannot checkpoint the write-ahead log");
            }
            tokio::time::sleep(REST).await;
        }
    });
    committed
}

#[cfg(test)]
mod tests {
    use super::LOG_PAGES;
    use crate::config::settings::SqliteSynchronous;
    use crate::outbox::Bridge;
    use crate::people::People;
    use crate::store::{NewMessage, Store};
    use protocol::TextFormat;
    use sqlx::Row;

    #[tokio::test]
    async fn commits_reach_the_database_file_before_the_log_fills() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chat.db");
        let url = format!("sqlite://{}", file.display());
        let store = crate::store::sqlite::open(&url, SqliteSynchronous::default())
            .await
            .unwrap();
        let automatic: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writes)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(
            automatic,
            i64::from(LOG_PAGES),
            "commits still bound the log"
        );

        let before = std::fs::metadata(&file).unwrap().len();
        let visitor = store.create_visitor("shop", "hash", None).await.unwrap();
        // About 100 pages of 4 KiB: far from the commits' own checkpoint.
        for n in 0..200 {
            let message = NewMessage {
                client_id: format!("m-{n}"),
                text: "x".repeat(2000),
                text_format: TextFormat::Plain,
                page: None,
            };
            store
                .append_visitor_message(&visitor, message, Bridge::Off)
                .await
                .unwrap();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::fs::metadata(&file).unwrap().len() < before + 200 * 2000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the messages never reached the database file: {} bytes",
                std::fs::metadata(&file).unwrap().len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
