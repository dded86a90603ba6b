//! The conversations whose summaries changed since the operator sockets were last sent them:
//! each once, oldest first, with whose summary changed, until [`super::summaries`] takes them
//! in batches to read.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;

/// Most conversations taken for one read: a longer list waits for the next.
pub const SUMMARIES_PER_READ: usize = 256;

/// Whose summary of a conversation changed: only its reader's when an operator read it (the
/// others' unread counts stay), everyone's otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Reader(i64),
}

impl Audience {
    /// Whether the summary is news to `account_id`.
    pub fn includes(self, account_id: i64) -> bool {
        match self {
            Self::Everyone => true,
            Self::Reader(reader) => reader == account_id,
        }
    }

    /// Both changes in one summary.
    fn and(self, other: Self) -> Self {
        if self == other { self } else { Self::Everyone }
    }
}

/// A conversation whose summary is to be read, and for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub conversation_id: i64,
    pub integration_id: String,
    pub audience: Audience,
}

/// The stale conversations, oldest first, each once. They are at most the conversations of
/// the integrations that have operators online.
#[derive(Debug, Default)]
pub struct StaleSummaries {
    queue: Mutex<Queue>,
    marked: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    order: VecDeque<i64>,
    stale: HashMap<i64, Stale>,
}

impl StaleSummaries {
    /// The conversation's summary changed for `audience`.
    pub fn mark(&self, integration_id: &str, conversation_id: i64, audience: Audience) {
        let mut queue = self.queue();
        let Queue { order, stale } = &mut *queue;
        stale
            .entry(conversation_id)
            .and_modify(|known| known.audience = known.audience.and(audience))
            .or_insert_with(|| {
                order.push_back(conversation_id);
                Stale {
                    conversation_id,
                    integration_id: integration_id.to_owned(),
                    audience,
                }
            });
        drop(queue);
        self.marked.notify_one();
    }

    /// Up to `max` of the oldest stale conversations, no longer stale: a change after this
    /// marks one again, so it is read again after the read that takes it now.
    pub fn take(&self, max: usize) -> Vec<Stale> {
        let mut queue = self.queue();
        let Queue { order, stale } = &mut *queue;
        let count = order.len().min(max);
        order
            .drain(..count)
            .filter_map(|id| stale.remove(&id))
            .collect()
    }

    /// The next batch, waiting for one if none is stale; once one is, the changes of the
    /// next `gather` join it, so a busy second costs fewer, larger reads.
    pub async fn next(&self, gather: Duration) -> Vec<Stale> {
        loop {
            if self.any() {
                tokio::time::sleep(gather).await;
                let batch = self.take(SUMMARIES_PER_READ);
                if !batch.is_empty() {
                    return batch;
                }
            }
            // A mark since the last look left a permit: this returns at once then.
            self.marked.notified().await;
        }
    }

    fn any(&self) -> bool {
        !self.queue().order.is_empty()
    }

    /// The queue, locked; a panic elsewhere while it was held does not stop the summaries.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_conversation_changed_twice_is_read_once_for_everyone_it_changed_for() {
        let stale = StaleSummaries::default();
        stale.mark("shop", 7, Audience::Reader(1));
        stale.mark("shop", 8, Audience::Reader(1));
        stale.mark("shop", 7, Audience::Reader(2));
        stale.mark("shop", 8, Audience::Reader(1));
        stale.mark("cafe", 9, Audience::Everyone);
        let batch = stale.next(Duration::ZERO).await;
        let read: Vec<_> = batch
            .iter()
            .map(|s| (s.conversation_id, s.integration_id.as_str(), s.audience))
            .collect();
        assert_eq!(
            read,
            [
                (7, "shop", Audience::Everyone),
                (8, "shop", Audience::Reader(1)),
                (9, "cafe", Audience::Everyone)
            ],
            "oldest first, each once"
        );
        assert!(stale.take(SUMMARIES_PER_READ).is_empty());
        stale.mark("shop", 7, Audience::Everyone);
        assert_eq!(
            stale.next(Duration::ZERO).await.len(),
            1,
            "changed again after its read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn changes_soon_after_the_first_join_its_read_and_later_ones_wait_for_the_next() {
        let stale = std::sync::Arc::new(StaleSummaries::default());
        let gather = Duration::from_millis(10);
        let reading = tokio::spawn({
            let stale = std::sync::Arc::clone(&stale);
            async move { stale.next(gather).await }
        });
        tokio::task::yield_now().await;
        stale.mark("shop", 7, Audience::Everyone);
        tokio::time::sleep(gather / 2).await;
        stale.mark("shop", 8, Audience::Everyone);
        let batch = reading.await.unwrap();
        let ids: Vec<i64> = batch.iter().map(|s| s.conversation_id).collect();
        assert_eq!(ids, [7, 8], "one read for both");
        stale.mark("shop", 9, Audience::Everyone);
        assert_eq!(stale.next(gather).await.len(), 1);
    }

    #[test]
    fn a_batch_reads_at_most_its_size_and_leaves_the_rest_in_order() {
        let stale = StaleSummaries::default();
        let count = SUMMARIES_PER_READ as i64 + 2;
        for id in 0..count {
            stale.mark("shop", id, Audience::Everyone);
        }
        assert_eq!(stale.take(SUMMARIES_PER_READ).len(), SUMMARIES_PER_READ);
        let rest: Vec<_> = stale
            .take(SUMMARIES_PER_READ)
            .iter()
            .map(|s| s.conversation_id)
            .collect();
        assert_eq!(rest, [count - 2, count - 1]);
    }

    #[test]
    fn a_read_is_news_to_its_reader_only() {
        assert!(Audience::Reader(1).includes(1) && !Audience::Reader(1).includes(2));
        assert!(Audience::Everyone.includes(2));
    }
}
