//! When an operator socket sends its unread counts: when it opens, at once after a quiet
//! spell, and while changes keep coming, at the server's count ticks, one each
//! [`COUNTS_INTERVAL`] and the same instants for every socket. The sockets of an integration
//! hear the same changes, so at a tick they ask for its tally together and share one read
//! ([`super::tallies`]); paced each on its own second, twenty consoles read twenty tallies a
//! second. A change heard after the tally it was counted from started is counted again at the
//! next tick, so the last counts of a busy spell hold every change.

use std::time::Duration;
use tokio::time::Instant;

/// The time between two ticks: counts go out at most about this often per socket.
pub const COUNTS_INTERVAL: Duration = Duration::from_secs(1);

/// The server's count ticks: every [`COUNTS_INTERVAL`] from an instant taken at start.
#[derive(Debug, Clone, Copy)]
pub struct Ticks {
    epoch: Instant,
}

impl Ticks {
    /// Ticks counted from now.
    pub fn start() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// The latest tick at or before `now`.
    fn at_or_before(self, now: Instant) -> Instant {
        let since = now.saturating_duration_since(self.epoch);
        let ticks = since.as_nanos() / COUNTS_INTERVAL.as_nanos();
        let ticks = u32::try_from(ticks).unwrap_or(u32::MAX);
        self.epoch + COUNTS_INTERVAL * ticks
    }

    /// The first tick after `now`.
    fn after(self, now: Instant) -> Instant {
        self.at_or_before(now) + COUNTS_INTERVAL
    }
}

/// One socket's counts: the latest change heard, the last send, and when the next is due.
#[derive(Debug)]
pub struct CountsPace {
    ticks: Ticks,
    /// When the latest change heard was published.
    changed_at: Option<Instant>,
    sent_at: Option<Instant>,
    /// When the counts are due again: a change came too soon after the last send, or after
    /// the tally that send counted from had started.
    pub due: Option<Instant>,
}

impl CountsPace {
    pub fn new(ticks: Ticks) -> Self {
        Self {
            ticks,
            changed_at: None,
            sent_at: None,
            due: None,
        }
    }

    /// The counts changed at `at` (when the change was published), heard at `now`: whether
    /// to send them now; if not, they are due at the next tick.
    pub fn changed(&mut self, at: Instant, now: Instant) -> bool {
        self.changed_at = self.changed_at.max(Some(at));
        match self.sent_at {
            Some(sent_at) if now < sent_at + COUNTS_INTERVAL => {
                self.due.get_or_insert(self.ticks.after(now));
                false
            }
            _ => true,
        }
    }

    /// How recent a tally a send at `now` needs: one read after the latest change heard, or,
    /// for a send `paced` at a tick, one read since that tick, which the integration's other
    /// sockets share.
    pub fn not_before(&self, now: Instant, paced: bool) -> Instant {
        let changed_at = self.changed_at.unwrap_or(now);
        if paced {
            changed_at.min(self.ticks.at_or_before(now))
        } else {
            changed_at
        }
    }

    /// The counts were sent at `now`, from tallies whose reads started at `counted` or later
    /// (`None`: they could not be read): due again at the next tick if a change heard is not
    /// surely in them.
    pub fn sent(&mut self, now: Instant, counted: Option<Instant>) {
        self.sent_at = Some(now);
        let missed = match (self.changed_at, counted) {
            (Some(changed_at), Some(counted)) => changed_at > counted,
            (Some(_), None) => true,
            (None, _) => false,
        };
        self.due = missed.then(|| self.ticks.after(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_go_at_once_after_a_quiet_spell_and_at_the_ticks_of_a_busy_one() {
        let ticks = Ticks::start();
        let start = ticks.epoch + COUNTS_INTERVAL / 10;
        let mut pace = CountsPace::new(ticks);
        assert!(pace.changed(start, start), "the first change goes at once");
        assert_eq!(pace.not_before(start, false), start);
        pace.sent(start, Some(start));
        assert_eq!(pace.due, None, "the tally was read after the change");

        let soon = start + COUNTS_INTERVAL / 4;
        assert!(!pace.changed(soon, soon));
        let later = soon + COUNTS_INTERVAL / 4;
        assert!(!pace.changed(later, later));
        let tick = ticks.epoch + COUNTS_INTERVAL;
        assert_eq!(pace.due, Some(tick), "one send for both, at the next tick");
        assert!(!pace.changed(soon, later));
        assert_eq!(
            pace.not_before(tick, false),
            later,
            "counted after the latest change, whatever order they are heard in"
        );
        assert_eq!(
            pace.not_before(tick + COUNTS_INTERVAL / 100, true),
            tick.min(later),
            "at a tick, any tally read since a tick before the change will do"
        );

        // A change heard while the shared tally was being read is counted at the next tick.
        let during = tick + COUNTS_INTERVAL / 100;
        assert!(!pace.changed(during, during));
        pace.sent(during, Some(tick));
        assert_eq!(pace.due, Some(tick + COUNTS_INTERVAL));
        pace.sent(tick + COUNTS_INTERVAL, Some(tick + COUNTS_INTERVAL));
        assert_eq!(pace.due, None);

        let quiet = start + COUNTS_INTERVAL * 3;
        assert!(pace.changed(quiet, quiet), "quiet again: at once");
        pace.sent(quiet, None);
        assert_eq!(
            pace.due,
            Some(ticks.epoch + COUNTS_INTERVAL * 4),
            "counts that could not be read are tried again at the next tick"
        );
    }
}
