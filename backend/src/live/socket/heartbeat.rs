//! A socket's heartbeat: a ping every `heartbeat_secs`, and the verdict that the peer is gone
//! after [`SILENT_INTERVALS`] beats without a word from it.

use rand::Rng;
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
    /// Beats every `secs` seconds (at least one), the first one at a random point of the first
    /// interval (see [`first_beat`]).
    pub fn every(secs: u64) -> Self {
        let period = Duration::from_secs(secs.max(1));
        let mut interval = tokio::time::interval_at(Instant::now() + first_beat(period), period);
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

/// When the first beat comes: at a random point in `(0, period]`. Sockets opened together (every
/// visitor of a page reconnecting after a restart) would otherwise ping together for as long
/// as they stay, each time a burst of thousands of frames that holds up the messages in flight.
/// A peer is still dropped between three and four intervals after its last word, as the beats
/// after the first stay one interval apart.
fn first_beat(period: Duration) -> Duration {
    let millis = u64::try_from(period.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(rand::rng().random_range(1..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_beats_spread_over_the_first_interval() {
        let period = Duration::from_secs(20);
        let firsts: Vec<Duration> = (0..1000).map(|_| first_beat(period)).collect();
        assert!(
            firsts
                .iter()
                .all(|first| !first.is_zero() && *first <= period)
        );
        let earliest = firsts.iter().min().unwrap();
        let latest = firsts.iter().max().unwrap();
        assert!(
            *earliest < period / 4 && *latest > period * 3 / 4,
            "first beats between {earliest:?} and {latest:?}"
        );
    }
}
