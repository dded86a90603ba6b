//! How commits tell the outbox worker what they queued: the ordering keys that got new commands,
//! per integration, or "look at everything" when a commit does not say which. The worker then
//! reads only those conversations instead of scanning the whole outbox after every commit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// The ordering key of a conversation's commands: they are delivered one after another.
pub fn ordering_key(conversation_id: i64) -> String {
    format!("conversation-{conversation_id}")
}

/// What was queued for one integration since its worker last took it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Queued {
    /// Ordering keys that got new commands.
    pub keys: HashSet<String>,
    /// A commit queued commands without naming their keys: the whole outbox must be looked at.
    pub rescan: bool,
}

impl Queued {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && !self.rescan
    }
}

/// The signal between the store and the outbox workers. Only integrations with a worker
/// ([`OutboxSignal::subscribe`]) collect keys, so nothing piles up for the others.
#[derive(Debug)]
pub struct OutboxSignal {
    pending: Mutex<HashMap<String, Queued>>,
    /// Bumped after every signal, to wake the workers.
    changed: watch::Sender<u64>,
}

impl Default for OutboxSignal {
    fn default() -> Self {
        Self {
            pending: Mutex::default(),
            changed: watch::Sender::new(0),
        }
    }
}

impl OutboxSignal {
    /// Starts collecting for `integration_id`; the subscription wakes when something is queued.
    /// The first take asks for a full look, which finds what was queued before.
    pub fn subscribe(self: &Arc<Self>, integration_id: &str) -> Subscription {
        self.update(|pending| {
            pending.entry(integration_id.to_owned()).or_default().rescan = true;
        });
        Subscription {
            signal: Arc::clone(self),
            integration_id: integration_id.to_owned(),
            changed: self.changed.subscribe(),
        }
    }

    /// Commits queued commands under these (integration, ordering key) pairs.
    pub fn queued<'a>(&self, keys: impl IntoIterator<Item = (&'a str, String)>) {
        self.update(|pending| {
            for (integration_id, key) in keys {
                if let Some(queued) = pending.get_mut(integration_id) {
                    queued.keys.insert(key);
                }
            }
        });
    }

    /// A commit queued commands for `integration_id` (every integration when `None`) without
    /// saying under which keys.
    pub fn rescan(&self, integration_id: Option<&str>) {
        self.update(|pending| {
            for (id, queued) in pending.iter_mut() {
                if integration_id.is_none_or(|only| only == id) {
                    queued.rescan = true;
                }
            }
        });
    }

    fn update(&self, change: impl FnOnce(&mut HashMap<String, Queued>)) {
        change(&mut self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed
            .send_modify(|signals| *signals = signals.wrapping_add(1));
    }

    fn take(&self, integration_id: &str) -> Queued {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(integration_id)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// One integration's worker end of the signal.
#[derive(Debug)]
pub struct Subscription {
    signal: Arc<OutboxSignal>,
    integration_id: String,
    changed: watch::Receiver<u64>,
}

impl Subscription {
    /// What was queued since the last take, waiting until something is. `None` only if the
    /// signal's sender were gone, which the subscription's own reference prevents.
    pub async fn next(&mut self) -> Option<Queued> {
        loop {
            let queued = self.take();
            if !queued.is_empty() {
                return Some(queued);
            }
            self.changed.changed().await.ok()?;
        }
    }

    /// What was queued since the last take, without waiting.
    pub fn take(&mut self) -> Queued {
        self.changed.mark_unchanged();
        self.signal.take(&self.integration_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_collected_per_subscribed_integration() {
        let signal = Arc::new(OutboxSignal::default());
        let mut shop = signal.subscribe("shop");
        assert!(
            shop.take().rescan,
            "a new subscriber looks at everything once"
        );

        signal.queued([
            ("shop", ordering_key(1)),
            ("shop", ordering_key(1)),
            ("shop", ordering_key(2)),
            ("other", ordering_key(3)),
        ]);
        let queued = shop.next().await.unwrap();
        assert_eq!(
            queued.keys,
            HashSet::from([ordering_key(1), ordering_key(2)])
        );
        assert!(!queued.rescan);
        assert!(shop.take().is_empty(), "taken once");

        signal.rescan(Some("other"));
        assert!(shop.take().is_empty(), "another integration's rescan");
        signal.rescan(None);
        assert!(shop.next().await.unwrap().rescan);
    }

    #[tokio::test]
    async fn a_signal_sent_while_nobody_waits_still_wakes() {
        let signal = Arc::new(OutboxSignal::default());
        let mut shop = signal.subscribe("shop");
        shop.take();
        signal.queued([("shop", ordering_key(7))]);
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), shop.next()).await;
        assert_eq!(woken.unwrap().unwrap().keys.len(), 1);
    }
}
