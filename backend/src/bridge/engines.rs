//! What the outbox does its own way on each engine: reading the queues of many conversations at
//! once, and deleting the commands delivered meanwhile. The store queues the commands, in the
//! transactions of the changes they announce; these take them back out.

use crate::outbox::OutboxItem;
use crate::store::{Dialect, SqlStore, StoreResult};
use async_trait::async_trait;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

/// Deletes one command from the outbox: delivered, or set aside as a dead letter.
pub(super) const DELETE_COMMAND: &str = include_str!("sql/delete_command.sql");

/// An undelivered command and when it is due.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OutboxRow {
    #[sqlx(flatten)]
    pub item: OutboxItem,
    pub next_attempt_at: i64,
}

/// An engine's reads and deletions of the outbox.
#[async_trait]
pub(crate) trait OutboxDialect: Dialect {
    /// Each of `ordering_keys`' first `limit` undelivered commands, in order.
    async fn next_commands(
        reads: &sqlx::Pool<Self>,
        integration_id: &str,
        ordering_keys: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRow>>;

    /// Deletes the commands `outbox_ids` from `store`.
    async fn remove_delivered(store: &SqlStore<Self>, outbox_ids: &[i64]) -> StoreResult<()>;
}

#[async_trait]
impl OutboxDialect for Sqlite {
    /// One key at a time on one connection: each read walks the outbox's queue index from its
    /// key's first command.
    async fn next_commands(
        reads: &SqlitePool,
        integration_id: &str,
        ordering_keys: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRow>> {
        let mut connection = reads.acquire().await?;
        let mut rows = Vec::new();
        for key in ordering_keys {
            let queue: Vec<OutboxRow> =
                sqlx::query_as(include_str!("sql/sqlite/next_commands.sql"))
                    .bind(integration_id)
                    .bind(key)
                    .bind(limit)
                    .fetch_all(&mut *connection)
                    .await?;
            rows.extend(queue);
        }
        Ok(rows)
    }

    /// A delete per command, in one transaction run whole on the batch writer's thread, in the
    /// writers' turn: one statement for all of them (`json_each`) made the bench's
    /// stored-message p50 later, not sooner (docs/performance.md, SQLite).
    async fn remove_delivered(store: &SqlStore<Sqlite>, outbox_ids: &[i64]) -> StoreResult<()> {
        let _turn = store.writes.acquire().await?;
        let outbox_ids = outbox_ids.to_vec();
        crate::store::sqlite::on_own_thread(&store.own, move |connection| {
            let tx = connection.transaction()?;
            {
                let mut delete = tx.prepare_cached(DELETE_COMMAND)?;
                for id in outbox_ids {
                    delete.execute([id])?;
                }
            }
            Ok(tx.commit()?)
        })
        .await
    }
}

#[async_trait]
impl OutboxDialect for Postgres {
    /// All keys in one statement: a subquery per key of the array (`LATERAL`), planned once
    /// whatever the number of keys.
    async fn next_commands(
        reads: &PgPool,
        integration_id: &str,
        ordering_keys: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRow>> {
        Ok(
            sqlx::query_as(include_str!("sql/postgres/next_commands.sql"))
                .bind(integration_id)
                .bind(limit)
                .bind(ordering_keys)
                .fetch_all(reads)
                .await?,
        )
    }

    async fn remove_delivered(store: &SqlStore<Postgres>, outbox_ids: &[i64]) -> StoreResult<()> {
        sqlx::query(include_str!("sql/postgres/remove_delivered.sql"))
            .bind(outbox_ids)
            .execute(&store.writes)
            .await?;
        Ok(())
    }
}
