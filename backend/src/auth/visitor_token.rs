//! Visitor tokens: 256 random bits the widget keeps; the server stores only their SHA-256. A
//! token is replaced when its visitor logs in as someone, and expires after days unused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

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

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
        assert_eq!(hash(&a), hash(&a));
    }
}
