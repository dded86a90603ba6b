//! How commits hand the outbox worker what they queued: each command as written (with its
//! outbox id), per integration, or "look at everything" when the worker starts. The worker
//! delivers what it is handed without reading it back, and reads the outbox only for
//! conversations whose queue it does not know in full ([`crate::bridge`]).

use super::OutboxItem;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// The ordering key of a conversation's commands: they are delivered one after another.
pub fn ordering_key(conversation_id: i64) -> String {
    format!("conversation-{conversation_id}")
}

/// A command a commit queued, as written (with its outbox id), for its integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedCommand {
    pub integration_id: String,
    pub item: OutboxItem,
}

/// What was queued for one integration since its worker last took it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Queued {
    /// Commands committed since, in the order their commits told.
    pub items: Vec<OutboxItem>,
    /// The whole outbox must be looked at (the worker just started).
    pub rescan: bool,
}

impl Queued {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && !self.rescan
    }
}

/// The signal between the store and the outbox workers. Only integrations with a worker
/// ([`OutboxSignal::subscribe`]) collect commands, so nothing piles up for the others.
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

    /// A transaction committed these commands. Told after the commit, every time one queues
    /// any: the worker counts on knowing all that was queued since it started.
    pub fn queued(&self, handed: impl IntoIterator<Item = QueuedCommand>) {
        let mut handed = handed.into_iter().peekable();
        if handed.peek().is_none() {
            return;
        }
        self.update(|pending| {
            for QueuedCommand {
                integration_id,
                item,
            } in handed
            {
                if let Some(queued) = pending.get_mut(&integration_id) {
                    queued.items.push(item);
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

    fn handed(integration_id: &str, id: i64, conversation_id: i64) -> QueuedCommand {
        QueuedCommand {
            integration_id: integration_id.into(),
            item: OutboxItem {
                id,
                ordering_key: ordering_key(conversation_id),
                command: "{}".into(),
                attempts: 0,
            },
        }
    }

    fn ids(queued: &Queued) -> Vec<i64> {
        queued.items.iter().map(|item| item.id).collect()
    }

    #[tokio::test]
    async fn commands_are_collected_per_subscribed_integration_in_order() {
        let signal = Arc::new(OutboxSignal::default());
        let mut shop = signal.subscribe("shop");
        assert!(
            shop.take().rescan,
            "a new subscriber looks at everything once"
        );

        signal.queued([handed("shop", 1, 1), handed("other", 2, 3)]);
        signal.queued([handed("shop", 3, 2), handed("shop", 4, 1)]);
        let queued = shop.next().await.unwrap();
        assert_eq!(ids(&queued), [1, 3, 4]);
        assert!(!queued.rescan);
        assert!(shop.take().is_empty(), "taken once");
    }

    #[tokio::test]
    async fn a_signal_sent_while_nobody_waits_still_wakes() {
        let signal = Arc::new(OutboxSignal::default());
        let mut shop = signal.subscribe("shop");
        shop.take();
        signal.queued([handed("shop", 7, 7)]);
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), shop.next()).await;
        assert_eq!(ids(&woken.unwrap().unwrap()), [7]);
    }
}
