//! What a widget has of its conversation: the last message it got in order, and its own
//! messages it got from their acknowledgements. A message at or below the last is a duplicate,
//! one past a gap means some were missed (the session then reads them from the store); an own
//! message counts as delivered by its acknowledgement, so an operator's reply that overtakes
//! the own message's copy from the hub is no gap.

use std::collections::BTreeSet;

/// What to do with a message of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The client has it.
    Skip,
    /// The next one: send it.
    Send,
    /// Messages before it are missing.
    Gap,
}

/// One client's position in its conversation.
#[derive(Debug, Default)]
pub struct Delivered {
    /// The last message the client has with all before it.
    seq: i64,
    /// Own messages acknowledged past `seq`.
    acked: BTreeSet<i64>,
}

impl Delivered {
    /// The client has every message up to `seq`, and no others.
    pub fn reset(&mut self, seq: i64) {
        self.seq = seq;
        self.acked.clear();
    }

    /// The last message the client has with all before it.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// The client got its own message `seq` in an acknowledgement.
    pub fn acked(&mut self, seq: i64) {
        if seq > self.seq {
            self.acked.insert(seq);
        }
        self.pass_acked();
    }

    /// What to do with message `seq`; `Send` counts it as delivered.
    pub fn offer(&mut self, seq: i64) -> Verdict {
        self.pass_acked();
        if seq <= self.seq {
            Verdict::Skip
        } else if seq > self.seq + 1 {
            Verdict::Gap
        } else {
            self.seq = seq;
            self.pass_acked();
            Verdict::Send
        }
    }

    /// Moves past the acknowledged messages that follow on.
    fn pass_acked(&mut self) {
        while let Some(&next) = self.acked.first() {
            if next > self.seq + 1 {
                break;
            }
            self.acked.pop_first();
            self.seq = self.seq.max(next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_go_out_once_in_order_and_a_gap_is_noticed() {
        let mut delivered = Delivered::default();
        assert_eq!(delivered.offer(1), Verdict::Send);
        assert_eq!(delivered.offer(1), Verdict::Skip);
        assert_eq!(delivered.offer(3), Verdict::Gap);
        assert_eq!(delivered.seq(), 1, "a gap delivers nothing");
        assert_eq!(delivered.offer(2), Verdict::Send);
        assert_eq!(delivered.offer(3), Verdict::Send);
    }

    #[test]
    fn a_reply_overtaking_the_hubs_copy_of_an_own_message_is_no_gap() {
        let mut delivered = Delivered::default();
        delivered.reset(4);
        delivered.acked(5);
        assert_eq!(delivered.offer(6), Verdict::Send, "5 came with its ack");
        assert_eq!(delivered.offer(5), Verdict::Skip, "the hub's copy of 5");
        assert_eq!(delivered.seq(), 6);
    }

    #[test]
    fn an_own_message_past_a_gap_waits_for_the_gap() {
        let mut delivered = Delivered::default();
        delivered.reset(4);
        delivered.acked(6);
        assert_eq!(delivered.seq(), 4, "5 is still missing");
        assert_eq!(delivered.offer(7), Verdict::Gap);
        assert_eq!(delivered.offer(5), Verdict::Send);
        assert_eq!(delivered.seq(), 6, "then 6 is passed");
        assert_eq!(delivered.offer(6), Verdict::Skip);
        assert_eq!(delivered.offer(7), Verdict::Send);
    }

    #[test]
    fn a_reset_forgets_acknowledgements() {
        let mut delivered = Delivered::default();
        delivered.acked(3);
        delivered.reset(1);
        assert_eq!(delivered.offer(3), Verdict::Gap);
    }
}
