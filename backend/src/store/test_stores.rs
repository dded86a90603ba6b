//! Stores for unit tests: one on a SQLite file, and one on a fresh PostgreSQL database when
//! `cargo xtask test` runs a PostgreSQL server (`WEBCHAT_TEST_POSTGRES_URL`).

use super::{SqlStore, now_ms};
use sqlx::Row;
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;

/// Databases made so far by this process, to name each apart.
static MADE: AtomicUsize = AtomicUsize::new(0);

/// The stores, and the directory holding the SQLite file (removed when dropped).
pub(crate) async fn test_stores() -> (TempDir, Vec<SqlStore>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut stores = vec![SqlStore::connect(&sqlite).await.unwrap()];
    if let Some(url) = postgres_url().await {
        stores.push(SqlStore::connect(&url).await.unwrap());
    }
    (dir, stores)
}

/// A fresh PostgreSQL database on the server `cargo xtask test` starts, when it runs.
async fn postgres_url() -> Option<String> {
    let admin = std::env::var("WEBCHAT_TEST_POSTGRES_URL").ok()?;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
    let made = MADE.fetch_add(1, Ordering::Relaxed);
    let name = format!("webchat_unit_{}_{}_{made}", std::process::id(), now_ms());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let (server, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{server}/{name}"))
}

/// The kinds of the commands queued for a conversation (`createUser`, ...), in queue order.
pub(super) async fn queued(store: &SqlStore, conversation_id: i64) -> Vec<String> {
    sqlx::query("SELECT command FROM outbox WHERE ordering_key = $1 ORDER BY id")
        .bind(format!("conversation-{conversation_id}"))
        .fetch_all(&store.reads)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let command: String = row.try_get("command").unwrap();
            command.split('"').nth(1).unwrap_or_default().to_owned()
        })
        .collect()
}
