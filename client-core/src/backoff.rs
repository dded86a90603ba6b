//! How long to wait before the next reconnect attempt: exponential, capped, with jitter so many
//! widgets do not reconnect to a restarted server in one burst.

/// First delay after a lost connection.
const BASE_MS: u32 = 500;
/// Longest delay between attempts.
const CAP_MS: u32 = 15_000;

/// Reconnect attempts since the last successful connection.
#[derive(Debug, Default, Clone)]
pub struct Backoff {
    attempts: u32,
}

impl Backoff {
    /// The delay before the next attempt. `jitter` in `0.0..1.0` (a random number from the
    /// caller) spreads it over the upper half of the exponential step.
    pub fn next_delay_ms(&mut self, jitter: f64) -> u32 {
        let step = BASE_MS
            .saturating_mul(1 << self.attempts.min(16))
            .min(CAP_MS);
        self.attempts = self.attempts.saturating_add(1);
        let jitter = jitter.clamp(0.0, 1.0);
        step / 2 + (f64::from(step / 2) * jitter) as u32
    }

    /// A connection succeeded: the next loss starts from the shortest delay again.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_reset() {
        let mut backoff = Backoff::default();
        let delays: Vec<u32> = (0..8).map(|_| backoff.next_delay_ms(1.0)).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
        backoff.reset();
        assert_eq!(backoff.next_delay_ms(1.0), 500);
    }

    #[test]
    fn jitter_stays_within_the_upper_half() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.next_delay_ms(0.0), 250);
        assert_eq!(backoff.next_delay_ms(0.5), 750);
        assert_eq!(
            backoff.next_delay_ms(7.0),
            2000,
            "out-of-range jitter is clamped"
        );
    }
}
