//! Each integration's unread tally (its open conversations with visitor messages, by
//! assignee), shared by its operator sockets: a socket that counts asks for a tally read no
//! earlier than it needs ([`CountsPace::not_before`](super::counts_pace::CountsPace)), and every
//! socket asking meanwhile shares that one read. The sockets of an integration hear the same
//! changes and count at the same ticks ([`Ticks`]), so a busy second costs one tally per
//! integration, not one per operator online; each socket takes away only what its own account
//! has read to the end.

use super::counts_pace::Ticks;
use crate::desk::Tally;
use crate::store::StoreResult;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// The latest tally read (or being read) per integration, and the ticks the sockets count at.
#[derive(Debug)]
pub struct Tallies {
    latest: Mutex<HashMap<String, Arc<Reading>>>,
    ticks: Ticks,
}

impl Default for Tallies {
    fn default() -> Self {
        Self {
            latest: Mutex::default(),
            ticks: Ticks::start(),
        }
    }
}

/// One read of a tally, started at `started`.
#[derive(Debug)]
struct Reading {
    started: Instant,
    tally: OnceCell<Tally>,
}

impl Tallies {
    /// The ticks the sockets count at.
    pub fn ticks(&self) -> Ticks {
        self.ticks
    }

    /// The integration's tally as read no earlier than `not_before`, with when its read
    /// started: the latest read if it started then or later (waiting for it if it is still
    /// under way), else a new one by `read`. A failed read is tried again by the next to ask.
    pub async fn get<F, R>(
        &self,
        integration_id: &str,
        not_before: Instant,
        read: F,
    ) -> StoreResult<(Tally, Instant)>
    where
        F: FnOnce() -> R,
        R: Future<Output = StoreResult<Tally>>,
    {
        let reading = {
            let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            match latest.get(integration_id) {
                Some(reading) if reading.started >= not_before => Arc::clone(reading),
                _ => {
                    let reading = Arc::new(Reading {
                        started: Instant::now(),
                        tally: OnceCell::new(),
                    });
                    latest.insert(integration_id.to_owned(), Arc::clone(&reading));
                    reading
                }
            }
        };
        let tally = reading.tally.get_or_try_init(read).await?;
        Ok((tally.clone(), reading.started))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn sockets_asking_after_the_same_change_share_one_read_and_a_later_change_reads_again() {
        let tallies = Tallies::default();
        let reads = AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(Tally(vec![(None, 3)]))
        };
        let changed = Instant::now();
        let (anna, boris) = tokio::join!(
            tallies.get("shop", changed, read),
            tallies.get("shop", changed, read)
        );
        assert_eq!(anna.unwrap(), boris.unwrap());
        let (_, started) = tallies.get("shop", changed, read).await.unwrap();
        assert!(started >= changed, "read when asked for");
        assert_eq!(reads.load(Ordering::SeqCst), 1, "one read for both");

        tallies.get("cafe", changed, read).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 2, "each integration its own");

        tokio::time::advance(std::time::Duration::from_millis(10)).await;
        tallies.get("shop", Instant::now(), read).await.unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            3,
            "read again after a later change"
        );
        tallies.get("shop", changed, read).await.unwrap();
        assert_eq!(
            reads.load(Ordering::SeqCst),
            3,
            "a newer read serves an older change"
        );
    }
}
