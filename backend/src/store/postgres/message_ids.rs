//! Ids for new messages, taken from their sequence ahead, a block at a time: the webhook
//! commands of a batch carry its messages' ids, and with the ids known before the batch's
//! statement, the commands go into that statement too. The next block is taken in the
//! background while the last quarter of the current one is used, so a batch rarely waits for
//! ids. Every message takes its id here, in the order the writer stores them, so a
//! conversation's ids grow with its numbers. Ids left over when the process stops are never
//! used.

use crate::store::interface::{StoreError, StoreResult};
use sqlx::PgPool;
use std::collections::VecDeque;
use tokio::task::JoinHandle;

/// Message ids taken from the sequence at a time.
const ID_BLOCK: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct MessageIds {
    ready: VecDeque<i64>,
    /// The next block, being taken.
    next: Option<JoinHandle<StoreResult<Vec<i64>>>>,
}

impl MessageIds {
    /// Takes `count` ids, waiting for the next block only if too few are ready; starts taking
    /// the next block when few are left.
    pub(super) async fn take(&mut self, pool: &PgPool, count: usize) -> StoreResult<Vec<i64>> {
        while self.ready.len() < count {
            let block = match self.next.take() {
                Some(next) => next
                    .await
                    .map_err(|error| StoreError::Corrupt(format!("taking ids failed: {error}")))?,
                None => take_block(pool.clone(), count.max(ID_BLOCK)).await,
            };
            self.ready.extend(block?);
        }
        if self.next.is_none() && self.ready.len() - count < ID_BLOCK / 4 {
            self.next = Some(tokio::spawn(take_block(pool.clone(), ID_BLOCK)));
        }
        Ok(self.ready.drain(..count).collect())
    }
}

/// `count` new message ids, in increasing order.
async fn take_block(pool: PgPool, count: usize) -> StoreResult<Vec<i64>> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let ids: Vec<(i64,)> = sqlx::query_as(include_str!("take_message_ids.sql"))
        .bind(count)
        .fetch_all(&pool)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_stores::postgres_store;

    #[tokio::test]
    async fn ids_taken_ahead_grow_across_blocks() {
        let Some(store) = postgres_store().await else {
            return;
        };
        let mut ids = MessageIds::default();
        let mut taken = Vec::new();
        // Three blocks and more, in batches as the writer takes them; the next block is taken
        // in the background from the first quarter on.
        for _ in 0..20 {
            taken.extend(ids.take(&store.writes, 200).await.unwrap());
        }
        assert_eq!(taken.len(), 4000);
        assert!(
            taken.windows(2).all(|pair| pair[0] < pair[1]),
            "each id greater than the one before"
        );
    }
}
