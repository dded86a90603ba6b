//! Rate limits: keyed GCRA limiters from the `governor` crate, one per kind of request — chat
//! messages, contact changes and identifications, client frames of any type (all per visitor),
//! visitor creation (per client IP), and operators' replies and socket frames (per account);
//! operators' failed logins (per client IP and per e-mail) are counted by
//! [`super::failures`]. A refusal names its limit and says when to retry.

use super::failures::Failures;
use super::refusal::PRUNE_EVERY;
pub use super::refusal::{Limit, Refusal};
use crate::config::settings::{Limits, OperatorSettings};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One limit over keys of type `K`.
#[derive(Debug)]
pub struct Keyed<K: Hash + Eq + Clone> {
    limit: Limit,
    per_minute: u32,
    burst: u32,
    limiter: DefaultKeyedRateLimiter<K>,
    pruned: Mutex<Instant>,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    pub fn new(limit: Limit, per_minute: u32, burst: u32) -> Self {
        let per_minute = per_minute.max(1);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_secs(60) / per_minute)
            .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MAX))
            .allow_burst(burst);
        Self {
            limit,
            per_minute,
            burst: burst.get(),
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            pruned: Mutex::new(Instant::now()),
        }
    }

    /// Counts one request of `key`, or says which limit refused it and when to retry.
    pub fn check(&self, key: &K) -> Result<(), Refusal> {
        self.prune_now_and_then();
        self.limiter.check_key(key).map_err(|not_until| Refusal {
            limit: self.limit,
            per_minute: self.per_minute,
            burst: self.burst,
            retry_after: not_until.wait_time_from(self.limiter.clock().now()),
        })
    }

    fn prune_now_and_then(&self) {
        // Whoever holds the lock prunes; the others need not wait for it.
        let Ok(mut pruned) = self.pruned.try_lock() else {
            return;
        };
        if pruned.elapsed() >= PRUNE_EVERY {
            *pruned = Instant::now();
            drop(pruned);
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

/// Every rate limit of the server.
#[derive(Debug)]
pub struct RateLimits {
    pub messages: Keyed<i64>,
    pub changes: Keyed<i64>,
    pub frames: Keyed<i64>,
    pub new_visitors: Keyed<IpAddr>,
    pub logins_per_ip: Failures<IpAddr>,
    /// Keyed by the lower-cased e-mail tried.
    pub logins_per_account: Failures<String>,
    /// Keyed by account id: a reply is a visitor message's counterpart and gets its limit.
    pub replies: Keyed<i64>,
    /// Keyed by account id, with the visitors' frame limit.
    pub operator_frames: Keyed<i64>,
}

impl RateLimits {
    pub fn new(limits: &Limits, operators: &OperatorSettings) -> Self {
        Self {
            messages: Keyed::new(
                Limit::Messages,
                limits.messages_per_minute,
                limits.message_burst,
            ),
            changes: Keyed::new(
                Limit::Changes,
                limits.changes_per_minute,
                limits.change_burst,
            ),
            frames: Keyed::new(Limit::Frames, limits.frames_per_minute, limits.frame_burst),
            new_visitors: Keyed::new(
                Limit::NewVisitors,
                limits.visitors_per_minute_per_ip,
                limits.visitor_burst_per_ip,
            ),
            // A whole minute's failures may come at once: a mistyped password retried at once
            // should not wait.
            logins_per_ip: Failures::new(
                Limit::LoginsPerIp,
                operators.failed_logins_per_minute_per_ip,
                operators.failed_logins_per_minute_per_ip,
            ),
            logins_per_account: Failures::new(
                Limit::LoginsPerAccount,
                operators.failed_logins_per_minute_per_account,
                operators.failed_logins_per_minute_per_account,
            ),
            replies: Keyed::new(
                Limit::Replies,
                limits.messages_per_minute,
                limits.message_burst,
            ),
            operator_frames: Keyed::new(
                Limit::OperatorFrames,
                limits.frames_per_minute,
                limits.frame_burst,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses_with_a_retry_time() {
        let limit = Keyed::new(Limit::Messages, 60, 3);
        for _ in 0..3 {
            assert!(limit.check(&1).is_ok());
        }
        let refusal = limit.check(&1).unwrap_err();
        assert!(refusal.retry_after <= Duration::from_secs(1));
        assert!(refusal.retry_after_ms() >= 1);
        assert_eq!(
            refusal.to_string(),
            "too many messages: at most 60 per minute (bursts of 3)"
        );
        assert!(limit.check(&2).is_ok(), "buckets are per key");
    }

    #[test]
    fn zero_settings_still_let_one_request_through() {
        let limit = Keyed::new(Limit::Frames, 0, 0);
        assert!(limit.check(&"a").is_ok());
        assert_eq!(limit.check(&"a").unwrap_err().limit, Limit::Frames);
    }
}
