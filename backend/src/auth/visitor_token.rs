//! Visitor tokens: random bearer tokens ([`super::token`]) the widget keeps. A token is
//! replaced when its visitor logs in as someone, and expires after days unused.

pub use super::token::{hash, random_token};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The oldest last use (milliseconds since the epoch) that keeps a token valid at `now` when
/// tokens expire after `idle_days` unused; `0` days never expire.
pub fn seen_since(idle_days: u32, now: i64) -> i64 {
    match idle_days {
        0 => i64::MIN,
        days => now.saturating_sub(i64::from(days).saturating_mul(DAY_MS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_expiry_counts_whole_days() {
        let now = 1_000 * DAY_MS;
        assert_eq!(seen_since(180, now), 820 * DAY_MS);
        assert_eq!(seen_since(0, now), i64::MIN);
    }
}
