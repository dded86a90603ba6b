//! Caps on what one key holds open at once (connections per IP address, sessions per visitor):
//! a count per key, taken with a [`Slot`] and given back when the slot is dropped.
//!
//! Hand-written because no maintained crate caps concurrency per key: tower's `ConcurrencyLimit`
//! and a semaphore are one global count, and `governor` limits rates, not things held open.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Open counts by key, at most `max` each.
#[derive(Debug)]
pub struct Slots<K: Hash + Eq + Clone> {
    max: usize,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

/// One open thing of `key`; dropping it frees its place.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    key: K,
    counts: Arc<Mutex<HashMap<K, usize>>>,
}

/// The key already holds the most it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{max} already open")]
pub struct Full {
    pub max: usize,
}

impl<K: Hash + Eq + Clone> Slots<K> {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            counts: Arc::default(),
        }
    }

    /// A place for one more of `key`, unless it holds `max` already.
    pub fn take(&self, key: K) -> Result<Slot<K>, Full> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(key.clone()).or_default();
        if *count >= self.max {
            if *count == 0 {
                counts.remove(&key);
            }
            return Err(Full { max: self.max });
        }
        *count += 1;
        Ok(Slot {
            key,
            counts: Arc::clone(&self.counts),
        })
    }

    /// How many `key` holds now.
    pub fn open(&self, key: &K) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(key).copied().unwrap_or_default()
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_key_and_frees_on_drop() {
        let slots = Slots::new(2);
        let first = slots.take("a").unwrap();
        let _second = slots.take("a").unwrap();
        assert_eq!(slots.take("a").unwrap_err(), Full { max: 2 });
        let _other = slots.take("b").expect("keys are counted apart");
        drop(first);
        assert_eq!(slots.open(&"a"), 1);
        assert!(slots.take("a").is_ok());
        assert!(Slots::new(0).take("a").is_err());
    }
}
