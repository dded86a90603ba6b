//! What the database is and keeps for the server itself, apart from any chat: which engine it
//! runs on, whether it answers, and server-wide settings (secrets the demo generates once and
//! keeps across restarts).

use crate::store::{Dialect, Engine, SqlStore, StoreResult};
use async_trait::async_trait;
use sql_bounds::sql_bounds;

/// The database as the server itself uses it.
#[async_trait]
pub trait ServerStore: Send + Sync {
    fn engine(&self) -> Engine;

    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// The value of a server-wide setting, storing `initial` first if there is none.
    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String>;
}

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> ServerStore for SqlStore<DB> {
    fn engine(&self) -> Engine {
        DB::ENGINE
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query(include_str!("sql/ping.sql"))
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String> {
        sqlx::query(include_str!("sql/insert_setting.sql"))
            .bind(key)
            .bind(initial)
            .execute(&self.writes)
            .await?;
        let (value,): (String,) = sqlx::query_as(include_str!("sql/setting.sql"))
            .bind(key)
            .fetch_one(&self.reads)
            .await?;
        Ok(value)
    }
}
