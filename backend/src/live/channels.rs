//! Broadcast channels by key, each existing while someone listens: the fan-out to a person's
//! widgets ([`super::hub`]) and to an integration's operators ([`super::operators`]). Slots hold
//! an `Arc`, a pointer each, and publishing where nobody listens costs a lookup.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// The channels by key, each with `capacity` slots.
#[derive(Debug)]
pub struct Channels<K, E> {
    channels: Mutex<HashMap<K, broadcast::Sender<Arc<E>>>>,
    capacity: usize,
}

/// A listener on one key's channel; the channel is dropped with its last listener.
#[derive(Debug)]
pub struct Subscription<K: Hash + Eq, E> {
    pub receiver: broadcast::Receiver<Arc<E>>,
    key: K,
    channels: Arc<Channels<K, E>>,
}

impl<K: Hash + Eq + Clone, E> Channels<K, E> {
    /// Channels of `capacity` events each: how many a listener may miss while it lags before
    /// it must resync from the store.
    pub fn new(capacity: usize) -> Self {
        Self {
            channels: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    pub fn subscribe(self: &Arc<Self>, key: K) -> Subscription<K, E> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let sender = channels
            .entry(key.clone())
            .or_insert_with(|| broadcast::channel(self.capacity).0);
        Subscription {
            receiver: sender.subscribe(),
            key,
            channels: Arc::clone(self),
        }
    }

    /// Sends `event` to whoever listens to `key`; nobody listening is fine.
    pub fn publish<Q>(&self, key: &Q, event: impl Into<E>)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.publish_with(key, || event);
    }

    /// Sends the event `make` builds to whoever listens to `key`, building it only if someone
    /// does: a publisher on a hot path pays for a copy only when it is heard.
    pub fn publish_with<Q, T: Into<E>>(&self, key: &Q, make: impl FnOnce() -> T)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = channels.get(key) {
            // An error only means the last listener left in the meantime.
            let _ = sender.send(Arc::new(make().into()));
        }
    }

    /// How many keys have a live channel.
    pub fn channel_count(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

impl<K: Hash + Eq, E> Drop for Subscription<K, E> {
    fn drop(&mut self) {
        let mut channels = self
            .channels
            .channels
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Our own receiver is still alive here, so 1 means it was the last one.
        if channels
            .get(&self.key)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            channels.remove(&self.key);
        }
    }
}
