//! The throttle on typing notices: a client sends one per keystroke burst, and the other side
//! needs to know only that someone still types, so one notice per [`TYPING_INTERVAL`] passes.

use std::time::Duration;
use tokio::time::Instant;

/// Least time between two typing notices of a socket that are passed on.
pub const TYPING_INTERVAL: Duration = Duration::from_secs(2);

/// Lets a typing notice through once per [`TYPING_INTERVAL`].
#[derive(Debug, Default)]
pub struct TypingThrottle {
    passed_at: Option<Instant>,
}

impl TypingThrottle {
    /// Whether a notice at `now` goes through (and counts as the last one that did).
    pub fn admits(&mut self, now: Instant) -> bool {
        let due = self
            .passed_at
            .is_none_or(|last| now.duration_since(last) >= TYPING_INTERVAL);
        if due {
            self.passed_at = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_passes_once_per_interval() {
        let mut throttle = TypingThrottle::default();
        let start = Instant::now();
        let interval = TYPING_INTERVAL;
        assert!(throttle.admits(start));
        assert!(!throttle.admits(start + interval / 2));
        assert!(throttle.admits(start + interval));
        assert!(!throttle.admits(start + interval + interval / 2));
        assert!(throttle.admits(start + interval * 3));
    }
}
