//! A socket's heartbeat: a ping every `heartbeat_secs`, and the verdict that the peer is gone
//! after [`SILENT_INTERVALS`] beats without a word from it.

use std::time::Duration;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// Heartbeat intervals without a word from the peer before it is considered dead: it is closed
/// at the next beat, so after between three and four intervals of silence.
pub const SILENT_INTERVALS: u32 = 3;

/// What a beat asks of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Ping the peer.
    Ping,
    /// The peer has been silent too long: close the socket.
    Silent,
}

/// The beats of one socket.
#[derive(Debug)]
pub struct Heartbeat {
    interval: Interval,
    /// Beats since the peer last said anything (a pong, a frame): counted rather than timed,
    /// so when a peer is dropped depends on the beats alone.
    silent_beats: u32,
}

impl Heartbeat {
    /// Beats every `secs` seconds (at least one), the first one interval from now.
    pub fn every(secs: u64) -> Self {
        let period = Duration::from_secs(secs.max(1));
        let mut interval = tokio::time::interval_at(Instant::now() + period, period);
        // After a stall (a slow store, a full queue) the beats resume spaced, not in a burst
        // that would count a peer silent while its pongs wait unread.
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            interval,
            silent_beats: 0,
        }
    }

    /// The peer said something.
    pub fn heard(&mut self) {
        self.silent_beats = 0;
    }

    /// Waits for the next beat. Cancel-safe: it awaits nothing but the interval's tick.
    pub async fn beat(&mut self) -> Beat {
        self.interval.tick().await;
        if self.silent_beats == SILENT_INTERVALS {
            Beat::Silent
        } else {
            self.silent_beats += 1;
            Beat::Ping
        }
    }
}
