//! Matching-key token verification speed: the server's `token::verify` (which pins algorithms,
//! checks claims and the leeway) next to a plain `jsonwebtoken::decode`, per call, as an HDR
//! histogram of nanoseconds.

use backend::secret::Secret;
use hdrhistogram::Histogram;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use std::time::Instant;

const KEY: &str = "bench-sign-key";

/// Latency of one verification, in nanoseconds, for ours and for plain `decode`.
#[derive(Debug)]
pub struct TokenTimes {
    pub ours: Histogram<u64>,
    pub plain: Histogram<u64>,
}

/// Times `iterations` verifications of a fresh HS256 token each way.
pub fn measure(iterations: u32) -> TokenTimes {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    let claims = json!({"sub": "customer-42", "iat": now, "exp": now + 3600});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("sign");
    let secret = Secret::new(KEY);
    let decoding = DecodingKey::from_secret(KEY.as_bytes());
    let validation = Validation::new(Algorithm::HS256);
    let ours = time(iterations, || {
        backend::token::verify(&token, Some(&secret), 8192, now).is_ok()
    });
    let plain = time(iterations, || {
        jsonwebtoken::decode::<Map<String, Value>>(&token, &decoding, &validation).is_ok()
    });
    TokenTimes { ours, plain }
}

fn time(iterations: u32, mut verify: impl FnMut() -> bool) -> Histogram<u64> {
    let mut histogram = Histogram::new_with_bounds(1, 1_000_000_000, 3).expect("bounds");
    // Warm caches and branch predictors before measuring.
    for _ in 0..iterations / 10 {
        assert!(verify(), "the bench token verifies");
    }
    for _ in 0..iterations {
        let started = Instant::now();
        let valid = verify();
        let elapsed = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        assert!(valid, "the bench token verifies");
        let _ = histogram.record(elapsed.max(1));
    }
    histogram
}
