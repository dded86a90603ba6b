//! What the outbox worker knows of each conversation's queue without reading the outbox: the
//! commands commits handed over ([`crate::outbox::OutboxSignal`]), held until the conversation's
//! lane takes them. A conversation is *known* once a lane has left nothing undelivered in it
//! and no command of it can have been missed since; a known conversation's lane delivers what
//! is held and reads nothing. Anything that may break that (a failed delivery, a command handed
//! while a lane was reading, too much held) makes the conversation unknown again, and its next
//! lane reads the outbox, which stays the durable copy of every command.

use crate::outbox::OutboxItem;
use std::collections::{HashMap, HashSet};

/// Most commands held per integration; past it, a conversation's commands are read back.
const MAX_HELD: usize = 65_536;
/// Most conversations known per integration; past it, idle ones are forgotten.
const MAX_KNOWN: usize = 32_768;

/// One integration's handed-over commands.
#[derive(Debug, Default)]
pub struct Handoff {
    /// Conversations whose undelivered commands are all held here or in their running lane.
    known: HashSet<String>,
    /// Commands handed over for known conversations and not yet given to a lane.
    held: HashMap<String, Vec<OutboxItem>>,
    held_count: usize,
    /// Conversations with a running lane, and whether a command of theirs may have been
    /// missed since it started (handed while unknown, or forgotten).
    running: HashMap<String, bool>,
}

impl Handoff {
    /// A commit queued `item`.
    pub fn handed(&mut self, item: OutboxItem) {
        let key = &item.ordering_key;
        if self.known.contains(key) && self.held_count < MAX_HELD {
            self.held_count += 1;
            self.held.entry(key.clone()).or_default().push(item);
        } else {
            let key = key.clone();
            self.forget(&key);
        }
    }

    /// A lane starts for `key`: all its undelivered commands, in order, if they are known
    /// here; `None` if the lane must read the outbox.
    pub fn start(&mut self, key: &str) -> Option<Vec<OutboxItem>> {
        self.running.insert(key.to_owned(), false);
        if !self.known.contains(key) {
            return None;
        }
        let mut items = self.held.remove(key).unwrap_or_default();
        self.held_count -= items.len();
        // Commits of different writers may tell out of order.
        items.sort_by_key(|item| item.id);
        Some(items)
    }

    /// The lane of `key` ended; `drained` when it left nothing undelivered: all it was given
    /// was delivered, and its last read of the outbox found no more.
    pub fn ended(&mut self, key: &str, drained: bool) {
        let missed = self.running.remove(key).unwrap_or(true);
        if !drained || missed {
            self.forget(key);
            return;
        }
        if self.known.len() >= MAX_KNOWN && !self.known.contains(key) {
            let (held, running) = (&self.held, &self.running);
            self.known
                .retain(|known| held.contains_key(known) || running.contains_key(known));
        }
        if self.known.len() < MAX_KNOWN {
            self.known.insert(key.to_owned());
        }
    }

    /// `key`'s commands are no longer all known: drops what is held (the outbox has it) and
    /// marks its running lane as having missed some.
    pub fn forget(&mut self, key: &str) {
        self.known.remove(key);
        if let Some(items) = self.held.remove(key) {
            self.held_count -= items.len();
        }
        if let Some(missed) = self.running.get_mut(key) {
            *missed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, key: &str) -> OutboxItem {
        OutboxItem {
            id,
            ordering_key: key.into(),
            command: "{}".into(),
            attempts: 0,
        }
    }

    fn ids(items: Option<Vec<OutboxItem>>) -> Option<Vec<i64>> {
        items.map(|items| items.iter().map(|item| item.id).collect())
    }

    #[test]
    fn a_conversation_is_read_until_a_lane_drains_it_then_handed_over() {
        let mut handoff = Handoff::default();
        handoff.handed(item(1, "a"));
        assert_eq!(handoff.start("a"), None, "never drained: read the outbox");
        handoff.ended("a", true);
        handoff.handed(item(3, "a"));
        handoff.handed(item(2, "a"));
        assert_eq!(ids(handoff.start("a")), Some(vec![2, 3]), "held, in order");
        handoff.handed(item(4, "a"));
        handoff.ended("a", true);
        assert_eq!(
            ids(handoff.start("a")),
            Some(vec![4]),
            "handed while its lane ran"
        );
        handoff.ended("a", true);
        assert_eq!(ids(handoff.start("a")), Some(vec![]), "nothing held");
    }

    #[test]
    fn a_command_handed_while_a_lane_reads_makes_the_next_lane_read_again() {
        let mut handoff = Handoff::default();
        assert_eq!(handoff.start("a"), None);
        handoff.handed(item(1, "a"));
        handoff.ended("a", true);
        assert_eq!(handoff.start("a"), None, "the read may have missed it");
        handoff.ended("a", true);
        assert!(handoff.start("a").is_some());
    }

    #[test]
    fn a_failed_lane_drops_what_is_held_and_reads_again() {
        let mut handoff = Handoff::default();
        handoff.start("a");
        handoff.ended("a", true);
        handoff.handed(item(1, "a"));
        assert!(handoff.start("a").is_some());
        handoff.handed(item(2, "a"));
        handoff.ended("a", false);
        assert_eq!(handoff.start("a"), None);
        assert_eq!(handoff.held_count, 0);
        handoff.ended("a", false);
        assert_eq!(handoff.start("a"), None, "still not drained");
    }

    #[test]
    fn too_much_held_forgets_the_conversation_even_mid_lane() {
        let mut handoff = Handoff::default();
        handoff.start("a");
        handoff.ended("a", true);
        assert!(handoff.start("a").is_some());
        for id in 0..=i64::try_from(MAX_HELD).unwrap() {
            handoff.handed(item(id, "a"));
        }
        assert_eq!(handoff.held_count, 0, "dropped once over the limit");
        handoff.ended("a", true);
        assert_eq!(handoff.start("a"), None, "its lane may have missed some");
    }

    #[test]
    fn idle_conversations_make_room_for_new_ones() {
        let mut handoff = Handoff::default();
        for n in 0..MAX_KNOWN {
            let key = n.to_string();
            handoff.start(&key);
            handoff.ended(&key, true);
        }
        handoff.handed(item(1, "0"));
        handoff.start("new");
        handoff.ended("new", true);
        assert_eq!(
            handoff.known.len(),
            2,
            "the one holding a command and the new one"
        );
        assert!(handoff.start("new").is_some());
        assert_eq!(ids(handoff.start("0")), Some(vec![1]));
    }
}
