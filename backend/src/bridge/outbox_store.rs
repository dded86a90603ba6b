//! [`OutboxStore`] on both engines, through the statements in `sql/`: the commands queued
//! for the collaboration server (read by the outbox worker, deleted once delivered), retries
//! after failures, and the dead letters set aside after refusals. The store queues them, in the
//! transactions of the changes they announce.

use super::engines::{DELETE_COMMAND, OutboxDialect, OutboxRow};
use super::interface::{
    AfterFailure, DeadLetter, DeadLetters, Due, Failure, OutboxCounts, OutboxStore,
};
use crate::outbox::{OutboxItem, OutboxSignal};
use crate::store::{SqlStore, StoreResult, now_ms};
use async_trait::async_trait;
use sql_bounds::sql_bounds;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Longest error text kept per command.
const MAX_ERROR_CHARS: usize = 500;

/// The rows of `next_commands`' read grouped by ordering key: a key's commands in order if
/// its first is due at `now`, none while it waits for a retry.
fn due_queues(rows: Vec<OutboxRow>, now: i64) -> HashMap<String, Vec<OutboxItem>> {
    let mut queues: HashMap<String, Vec<OutboxRow>> = HashMap::new();
    for row in rows {
        queues
            .entry(row.item.ordering_key.clone())
            .or_default()
            .push(row);
    }
    queues
        .into_iter()
        .map(|(key, mut queue)| {
            queue.sort_by_key(|row| row.item.id);
            let due = queue.first().is_some_and(|row| row.next_attempt_at <= now);
            let items = if due {
                queue.into_iter().map(|row| row.item).collect()
            } else {
                Vec::new()
            };
            (key, items)
        })
        .collect()
}

#[sql_bounds]
#[async_trait]
impl<DB: OutboxDialect> OutboxStore for SqlStore<DB> {
    async fn due(
        &self,
        which: Due,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>> {
        let sql = match which {
            Due::Heads => include_str!("sql/due_commands.sql"),
            Due::Retries => include_str!("sql/due_retries.sql"),
        };
        let rows: Vec<OutboxRow> = sqlx::query_as(sql)
            .bind(integration_id)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(|row| row.item).collect())
    }

    async fn next_commands(
        &self,
        integration_id: &str,
        ordering_keys: &[String],
        now: i64,
        limit: i64,
    ) -> StoreResult<HashMap<String, Vec<OutboxItem>>> {
        let rows = DB::next_commands(&self.reads, integration_id, ordering_keys, limit).await?;
        Ok(due_queues(rows, now))
    }

    async fn remove_delivered(&self, outbox_ids: &[i64]) -> StoreResult<()> {
        DB::remove_delivered(self, outbox_ids).await
    }

    fn outbox_signal(&self) -> Arc<OutboxSignal> {
        Arc::clone(&self.signal)
    }

    async fn record_failure(
        &self,
        outbox_id: i64,
        failure: Failure<'_>,
    ) -> StoreResult<AfterFailure> {
        let (error, next_attempt_at, refused) = match failure {
            Failure::Outage {
                error,
                next_attempt_at,
            } => (error, next_attempt_at, None),
            Failure::Refusal {
                status,
                error,
                next_attempt_at,
                max_attempts,
            } => (error, next_attempt_at, Some((status, max_attempts))),
        };
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let Some((status, max_attempts)) = refused else {
            sqlx::query(include_str!("sql/record_outage.sql"))
                .bind(next_attempt_at)
                .bind(error)
                .bind(outbox_id)
                .execute(&self.writes)
                .await?;
            return Ok(AfterFailure::Retried);
        };
        let mut tx = self.writes.begin().await?;
        let refusals: Option<(i64,)> = sqlx::query_as(include_str!("sql/record_refusal.sql"))
            .bind(next_attempt_at)
            .bind(&error)
            .bind(outbox_id)
            .fetch_optional(&mut *tx)
            .await?;
        if refusals.is_none_or(|(refusals,)| refusals < max_attempts) {
            tx.commit().await?;
            return Ok(AfterFailure::Retried);
        }
        sqlx::query(include_str!("sql/set_aside.sql"))
            .bind(i64::from(status))
            .bind(&error)
            .bind(now_ms())
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(DELETE_COMMAND)
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AfterFailure::SetAside)
    }

    async fn outbox_counts(&self, integration_id: &str) -> StoreResult<OutboxCounts> {
        let (depth, oldest_created_at, dead_letters): (i64, Option<i64>, i64) =
            sqlx::query_as(include_str!("sql/outbox_counts.sql"))
                .bind(integration_id)
                .fetch_one(&self.reads)
                .await?;
        Ok(OutboxCounts {
            depth,
            oldest_created_at,
            dead_letters,
        })
    }

    async fn dead_letters(&self) -> StoreResult<Vec<DeadLetter>> {
        Ok(sqlx::query_as(include_str!("sql/dead_letters.sql"))
            .fetch_all(&self.reads)
            .await?)
    }

    async fn retry_dead_letters(&self, which: DeadLetters<'_>, now: i64) -> StoreResult<Vec<i64>> {
        let mut tx = self.writes.begin().await?;
        let wanted: BTreeSet<i64> = match which {
            DeadLetters::All => {
                let rows: Vec<DeadLetter> = sqlx::query_as(include_str!("sql/dead_letters.sql"))
                    .fetch_all(&mut *tx)
                    .await?;
                rows.into_iter().map(|row| row.id).collect()
            }
            DeadLetters::Ids(ids) => ids.iter().copied().collect(),
        };
        let mut moved = Vec::with_capacity(wanted.len());
        for id in wanted {
            let revived: Option<(i64,)> =
                sqlx::query_as(include_str!("sql/revive_dead_letter.sql"))
                    .bind(now)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if revived.is_none() {
                continue;
            }
            sqlx::query(include_str!("sql/delete_dead_letter.sql"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            moved.push(id);
        }
        tx.commit().await?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, key: &str, next_attempt_at: i64) -> OutboxRow {
        let item = OutboxItem {
            id,
            ordering_key: key.into(),
            command: "{}".into(),
            attempts: 0,
        };
        OutboxRow {
            item,
            next_attempt_at,
        }
    }

    #[test]
    fn a_queue_waiting_for_its_head_gives_nothing() {
        let rows = vec![row(3, "a", 0), row(1, "a", 0), row(2, "b", 10)];
        let queues = due_queues(rows, 5);
        let ids = |key: &str| -> Vec<i64> { queues[key].iter().map(|item| item.id).collect() };
        assert_eq!(ids("a"), [1, 3], "in order");
        assert!(ids("b").is_empty(), "its head is due later");
    }
}
