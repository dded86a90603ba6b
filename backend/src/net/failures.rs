//! Limits on failures rather than requests (operators' wrong logins, per client IP and per
//! e-mail): a GCRA bucket per key that an attempt spends up front and a success gives back, so
//! only failures stay counted. Spending first also counts attempts still being checked: a
//! thousand guesses sent at once cannot all pass before the first of them has failed.
//!
//! Hand-written because `governor` can neither give a spent cell back nor ask a key's state
//! without spending one; the bucket is a single instant per key (its theoretical arrival time).

use super::refusal::{Limit, PRUNE_EVERY, Refusal};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One failure limit over keys of type `K`.
#[derive(Debug)]
pub struct Failures<K: Hash + Eq + Clone> {
    limit: Limit,
    per_minute: u32,
    burst: u32,
    /// Time for one failure to be forgotten.
    interval: Duration,
    state: Mutex<Buckets<K>>,
}

#[derive(Debug)]
struct Buckets<K> {
    /// When each key's bucket is full again; a key absent is full.
    full_at: HashMap<K, Instant>,
    pruned: Instant,
}

impl<K: Hash + Eq + Clone> Failures<K> {
    /// `burst` failures at once, then `per_minute` (both at least one).
    pub fn new(limit: Limit, per_minute: u32, burst: u32) -> Self {
        let per_minute = per_minute.max(1);
        Self {
            limit,
            per_minute,
            burst: burst.max(1),
            interval: Duration::from_secs(60) / per_minute,
            state: Mutex::new(Buckets {
                full_at: HashMap::new(),
                pruned: Instant::now(),
            }),
        }
    }

    /// Counts an attempt of `key` as a failure until [`Self::succeeded`] takes it back, or
    /// refuses it, counting nothing, when `key` has no failure left.
    pub fn attempt(&self, key: &K) -> Result<(), Refusal> {
        self.attempt_at(key, Instant::now())
    }

    /// The attempt [`Self::attempt`] counted succeeded: it is not a failure.
    pub fn succeeded(&self, key: &K) {
        self.succeeded_at(key, Instant::now());
    }

    fn attempt_at(&self, key: &K, now: Instant) -> Result<(), Refusal> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if now.duration_since(state.pruned) >= PRUNE_EVERY {
            state.pruned = now;
            state.full_at.retain(|_, full_at| *full_at > now);
            state.full_at.shrink_to_fit();
        }
        let full_at = state.full_at.get(key).copied().unwrap_or(now).max(now);
        // Refused once a further failure would leave more than a burst to forget.
        let tolerance = self.interval * (self.burst - 1);
        let owed = full_at - now;
        if owed > tolerance {
            return Err(Refusal {
                limit: self.limit,
                per_minute: self.per_minute,
                burst: self.burst,
                retry_after: owed - tolerance,
            });
        }
        state.full_at.insert(key.clone(), full_at + self.interval);
        Ok(())
    }

    fn succeeded_at(&self, key: &K, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(full_at) = state.full_at.get_mut(key) {
            match full_at.checked_sub(self.interval) {
                Some(earlier) if earlier > now => *full_at = earlier,
                _ => {
                    state.full_at.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_a_burst_of_failures_until_one_is_forgotten() {
        let failures = Failures::new(Limit::LoginsPerAccount, 6, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(failures.attempt_at(&"ann", start).is_ok());
        }
        let refusal = failures.attempt_at(&"ann", start).unwrap_err();
        assert_eq!(refusal.retry_after, Duration::from_secs(10));
        assert_eq!(refusal.limit, Limit::LoginsPerAccount);
        assert!(failures.attempt_at(&"bob", start).is_ok(), "per key");
        // The refusal counted nothing: ten seconds on, one failure is forgotten.
        let later = start + Duration::from_secs(10);
        assert!(failures.attempt_at(&"ann", later).is_ok());
        assert!(failures.attempt_at(&"ann", later).is_err());
    }

    #[test]
    fn successes_are_given_back_but_do_not_forgive_failures() {
        let failures = Failures::new(Limit::LoginsPerIp, 1, 2);
        let now = Instant::now();
        for _ in 0..100 {
            failures
                .attempt_at(&1, now)
                .expect("a success costs nothing");
            failures.succeeded_at(&1, now);
        }
        failures.attempt_at(&1, now).expect("a first failure");
        failures.attempt_at(&1, now).expect("a success");
        failures.succeeded_at(&1, now);
        failures.attempt_at(&1, now).expect("a second failure");
        let refusal = failures.attempt_at(&1, now).unwrap_err();
        assert_eq!(refusal.retry_after, Duration::from_secs(60));
        assert_eq!(
            refusal.to_string(),
            "too many failed logins from this address: at most 1 per minute (bursts of 2)"
        );
    }

    #[test]
    fn zero_settings_still_let_one_attempt_through() {
        let failures = Failures::new(Limit::LoginsPerIp, 0, 0);
        let now = Instant::now();
        assert!(failures.attempt_at(&1, now).is_ok());
        assert!(failures.attempt_at(&1, now).is_err());
    }
}
