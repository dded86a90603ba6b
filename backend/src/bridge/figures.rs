//! What the outbox worker knows of each integration's backlog, kept in memory so `/healthz` and
//! `/metrics` read it without touching the outbox: the depth (counted in the database at each
//! scan of the whole outbox, then followed as commits hand commands over and the worker delivers
//! or sets them aside), when the oldest command was queued, the dead letters and the last
//! failure. Between two counts the figures can drift by what no signal told (a command another
//! process queued or re-queued); the next count, about a minute later, sets them right.

use super::OutboxCounts;
use crate::config::settings::BridgeSettings;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// `oldest_created_at` when the outbox is empty.
const NONE: i64 = i64::MIN;

/// While the backlog stays past a limit, the alert is logged again this often.
pub const ALERT_LOG_EVERY: Duration = Duration::from_secs(300);

/// One integration's backlog.
#[derive(Debug)]
pub struct OutboxFigures {
    depth: AtomicI64,
    oldest_created_at: AtomicI64,
    dead_letters: AtomicI64,
    last_error: Mutex<Option<LastError>>,
}

impl Default for OutboxFigures {
    fn default() -> Self {
        Self {
            depth: AtomicI64::new(0),
            oldest_created_at: AtomicI64::new(NONE),
            dead_letters: AtomicI64::new(0),
            last_error: Mutex::new(None),
        }
    }
}

/// The last failed delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastError {
    /// What kind of failure (`DeliveryError::kind`).
    pub kind: &'static str,
    pub text: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// The figures at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub depth: i64,
    pub oldest_created_at: Option<i64>,
    pub dead_letters: i64,
}

/// Why a backlog is past the limits set by `[bridge]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BacklogAlert {
    #[error("{depth} commands wait for delivery, past outbox_alert_depth = {limit}")]
    Depth { depth: i64, limit: u64 },
    #[error("the oldest command has waited {age_secs} s, past outbox_alert_age_secs = {limit}")]
    Age { age_secs: i64, limit: u64 },
}

impl Backlog {
    /// Age of the oldest undelivered command at `now` (ms).
    pub fn oldest_age(&self, now: i64) -> Option<Duration> {
        self.oldest_created_at
            .map(|created| Duration::from_millis(u64::try_from(now - created).unwrap_or(0)))
    }

    /// Whether the backlog is past either limit at `now` (ms).
    pub fn alert(&self, settings: &BridgeSettings, now: i64) -> Option<BacklogAlert> {
        if u64::try_from(self.depth).unwrap_or(0) > settings.outbox_alert_depth {
            return Some(BacklogAlert::Depth {
                depth: self.depth,
                limit: settings.outbox_alert_depth,
            });
        }
        let age = self.oldest_age(now)?;
        (age.as_secs() > settings.outbox_alert_age_secs).then(|| BacklogAlert::Age {
            age_secs: i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
            limit: settings.outbox_alert_age_secs,
        })
    }
}

impl OutboxFigures {
    /// Commits queued `count` commands at `now` (ms).
    pub fn queued(&self, count: usize, now: i64) {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        if count == 0 {
            return;
        }
        self.depth.fetch_add(count, Ordering::Relaxed);
        let _ = self.oldest_created_at.compare_exchange(
            NONE,
            now,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// `count` commands left the outbox, delivered or set aside.
    pub fn left(&self, count: usize) {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let before = self
            .depth
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |depth| {
                Some((depth - count).max(0))
            })
            .unwrap_or_default();
        if before <= count {
            self.oldest_created_at.store(NONE, Ordering::Relaxed);
        }
    }

    /// A command was set aside as a dead letter.
    pub fn set_aside(&self) {
        self.left(1);
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
    }

    /// A delivery attempt failed.
    pub fn failed(&self, kind: &'static str, text: String, at: i64) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(LastError { kind, text, at });
    }

    /// The database's count replaces what was followed since the last one.
    pub fn counted(&self, counts: &OutboxCounts) {
        self.depth.store(counts.depth, Ordering::Relaxed);
        self.oldest_created_at
            .store(counts.oldest_created_at.unwrap_or(NONE), Ordering::Relaxed);
        self.dead_letters
            .store(counts.dead_letters, Ordering::Relaxed);
    }

    pub fn backlog(&self) -> Backlog {
        let oldest = self.oldest_created_at.load(Ordering::Relaxed);
        Backlog {
            depth: self.depth.load(Ordering::Relaxed),
            oldest_created_at: (oldest != NONE).then_some(oldest),
            dead_letters: self.dead_letters.load(Ordering::Relaxed),
        }
    }

    pub fn last_error(&self) -> Option<LastError> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The backlogs of every integration with a collaboration server, by integration id.
#[derive(Debug, Default)]
pub struct BridgeFigures {
    outboxes: Vec<(String, Arc<OutboxFigures>)>,
}

impl BridgeFigures {
    /// Empty figures for `integrations`.
    pub fn new<'a>(integrations: impl IntoIterator<Item = &'a str>) -> Self {
        let mut outboxes: Vec<_> = integrations
            .into_iter()
            .map(|id| (id.to_owned(), Arc::default()))
            .collect();
        outboxes.sort_by(|(a, _), (b, _)| a.cmp(b));
        Self { outboxes }
    }

    /// The figures of `integration`, if it has a collaboration server.
    pub fn of(&self, integration: &str) -> Option<Arc<OutboxFigures>> {
        self.outboxes
            .iter()
            .find(|(id, _)| id == integration)
            .map(|(_, figures)| Arc::clone(figures))
    }

    /// Every integration's figures, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OutboxFigures)> {
        self.outboxes
            .iter()
            .map(|(id, figures)| (id.as_str(), figures.as_ref()))
    }
}

/// The worker's log of an integration's backlog alert: an error line when the backlog goes past
/// a limit, again every [`ALERT_LOG_EVERY`] while it stays there (not once per command), and an
/// info line when it is back under the limits.
#[derive(Debug, Default)]
pub struct BacklogAlarm {
    last_logged: Option<tokio::time::Instant>,
}

impl BacklogAlarm {
    pub fn check(
        &mut self,
        integration: &str,
        alert: Option<BacklogAlert>,
        now: tokio::time::Instant,
    ) {
        match (alert, self.last_logged) {
            (Some(alert), last) => {
                if last.is_none_or(|last| now.duration_since(last) >= ALERT_LOG_EVERY) {
                    tracing::error!(
                        integration,
                        %alert,
                        "ALERT: the outbox to the collaboration server is backing up; commands \
                         are still stored and will be delivered in order once it takes them"
                    );
                    self.last_logged = Some(now);
                }
            }
            (None, Some(_)) => {
                tracing::info!(integration, "the outbox is back under its alert limits");
                self.last_logged = None;
            }
            (None, None) => {}
        }
    }

    #[cfg(test)]
    fn alerting(&self) -> bool {
        self.last_logged.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_queued_and_left_commands_between_counts() {
        let figures = OutboxFigures::default();
        assert_eq!(figures.backlog().oldest_created_at, None);
        figures.queued(3, 1_000);
        figures.queued(2, 2_000);
        assert_eq!(
            figures.backlog(),
            Backlog {
                depth: 5,
                oldest_created_at: Some(1_000),
                dead_letters: 0
            }
        );
        figures.left(2);
        figures.set_aside();
        assert_eq!(figures.backlog().depth, 2);
        assert_eq!(figures.backlog().dead_letters, 1);
        figures.left(5);
        assert_eq!(
            figures.backlog(),
            Backlog {
                depth: 0,
                oldest_created_at: None,
                dead_letters: 1
            },
            "never below zero; an empty outbox has no oldest command"
        );
        figures.counted(&OutboxCounts {
            depth: 7,
            oldest_created_at: Some(500),
            dead_letters: 0,
        });
        assert_eq!(
            figures.backlog().oldest_age(1_500),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_backlog_past_either_limit_alerts() {
        let settings = BridgeSettings {
            outbox_alert_depth: 10,
            outbox_alert_age_secs: 60,
            ..BridgeSettings::default()
        };
        let backlog = |depth, oldest| Backlog {
            depth,
            oldest_created_at: Some(oldest),
            dead_letters: 0,
        };
        assert_eq!(backlog(10, 0).alert(&settings, 60_000), None);
        assert!(matches!(
            backlog(11, 0).alert(&settings, 0),
            Some(BacklogAlert::Depth { depth: 11, .. })
        ));
        assert!(matches!(
            backlog(1, 0).alert(&settings, 61_000),
            Some(BacklogAlert::Age { age_secs: 61, .. })
        ));
    }

    #[test]
    fn the_alarm_logs_at_most_every_few_minutes() {
        let mut alarm = BacklogAlarm::default();
        let start = tokio::time::Instant::now();
        let alert = Some(BacklogAlert::Depth { depth: 2, limit: 1 });
        alarm.check("shop", alert, start);
        let first = alarm.last_logged;
        alarm.check("shop", alert, start + Duration::from_secs(1));
        assert_eq!(alarm.last_logged, first, "not logged again so soon");
        alarm.check("shop", alert, start + ALERT_LOG_EVERY);
        assert_eq!(alarm.last_logged, Some(start + ALERT_LOG_EVERY));
        alarm.check("shop", None, start + ALERT_LOG_EVERY);
        assert!(!alarm.alerting());
    }
}
