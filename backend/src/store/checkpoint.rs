//! Checkpoints SQLite's write-ahead log off the write path. Left to SQLite, the commit that
//! fills the log copies it into the database file and syncs it, while every other writer waits
//! on the one write connection; here a connection of its own does that in the background
//! (a passive checkpoint, which never blocks writers or readers), and writers only append:
//! every connection runs `PRAGMA wal_autocheckpoint = 0`.

use sqlx::AnyPool;
use std::time::Duration;

/// How often the log is copied into the database file.
const EVERY: Duration = Duration::from_millis(250);

/// Checkpoints through `pool` (its own connection) every [`EVERY`], until the pool is closed.
pub(super) fn start(pool: AnyPool) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !pool.is_closed() {
            ticks.tick().await;
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::warn!(%error, "cannot checkpoint the write-ahead log");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::store::{Bridge, NewMessage, SqlStore, Store};
    use protocol::TextFormat;
    use sqlx::Row;

    #[tokio::test]
    async fn the_log_reaches_the_database_file_without_commits_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chat.db");
        let store = SqlStore::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        let automatic: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writes)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(automatic, 0, "commits do not checkpoint");

        let before = std::fs::metadata(&file).unwrap().len();
        let visitor = store.create_visitor("shop", "hash").await.unwrap();
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
