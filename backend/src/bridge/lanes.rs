//! The outbox worker's bookkeeping of delivery lanes: which conversations (ordering keys) have a
//! lane running, which wait for one, and which got new commands while their lane ran. A key is
//! never in two lanes at once, so a conversation's commands go out in order; a key signalled
//! while its lane runs is looked at again when that lane ends, so a command queued just after
//! the lane found nothing more is not left behind.

use std::collections::{HashSet, VecDeque};

/// Lanes of one integration, at most `capacity` running.
#[derive(Debug)]
pub struct Lanes {
    capacity: usize,
    running: HashSet<String>,
    /// Signalled while running: to be looked at again when its lane ends.
    signalled: HashSet<String>,
    /// Keys waiting for a lane, in the order they came.
    waiting: VecDeque<String>,
    queued: HashSet<String>,
}

impl Lanes {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            running: HashSet::new(),
            signalled: HashSet::new(),
            waiting: VecDeque::new(),
            queued: HashSet::new(),
        }
    }

    /// `key` may have commands to deliver.
    pub fn want(&mut self, key: String) {
        if self.running.contains(&key) {
            self.signalled.insert(key);
        } else if self.queued.insert(key.clone()) {
            self.waiting.push_back(key);
        }
    }

    /// The next key to start a lane for, marked running; `None` when every lane is taken or
    /// nothing waits.
    pub fn start(&mut self) -> Option<String> {
        if self.running.len() >= self.capacity {
            return None;
        }
        let key = self.waiting.pop_front()?;
        self.queued.remove(&key);
        self.running.insert(key.clone());
        Some(key)
    }

    /// The lane of `key` ended.
    pub fn ended(&mut self, key: &str) {
        self.running.remove(key);
        if let Some(key) = self.signalled.take(key) {
            self.want(key);
        }
    }

    #[cfg(test)]
    fn running(&self) -> usize {
        self.running.len()
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(lanes: &mut Lanes) -> Vec<String> {
        std::iter::from_fn(|| lanes.start()).collect()
    }

    #[test]
    fn a_key_runs_in_one_lane_at_a_time() {
        let mut lanes = Lanes::new(8);
        lanes.want("a".into());
        lanes.want("a".into());
        assert_eq!(started(&mut lanes), ["a"]);
        lanes.want("a".into());
        assert!(started(&mut lanes).is_empty(), "a is running");
        lanes.ended("a");
        assert_eq!(
            started(&mut lanes),
            ["a"],
            "signalled while running: looked at again"
        );
        lanes.ended("a");
        assert!(started(&mut lanes).is_empty(), "nothing new since");
    }

    #[test]
    fn keys_wait_in_order_for_a_free_lane() {
        let mut lanes = Lanes::new(2);
        for key in ["a", "b", "c", "d", "c"] {
            lanes.want(key.into());
        }
        assert_eq!(started(&mut lanes), ["a", "b"]);
        assert_eq!((lanes.running(), lanes.waiting()), (2, 2));
        lanes.ended("b");
        assert_eq!(started(&mut lanes), ["c"]);
        lanes.ended("a");
        lanes.ended("c");
        assert_eq!(started(&mut lanes), ["d"]);
        assert_eq!((lanes.running(), lanes.waiting()), (1, 0));
    }
}
