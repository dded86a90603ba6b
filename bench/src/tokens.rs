//! Matching-key token verification speed: the server's `token::verify` (which pins algorithms,
//! checks claims and the leeway) next to a plain `jsonwebtoken::decode`. [`Fixture`] is the one
//! signed token both the HDR loop here (per call, nanoseconds) and the criterion bench
//! (`benches/token.rs`) verify.

use backend::config::secret::Secret;
use hdrhistogram::Histogram;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};
use std::time::Instant;

const KEY: &str = "bench-sign-key";
/// The server's default `limits.max_token_bytes`.
const MAX_TOKEN_BYTES: usize = 8192;

/// Latency of one verification, in nanoseconds, for ours and for plain `decode`.
#[derive(Debug)]
pub struct TokenTimes {
    pub ours: Histogram<u64>,
    pub plain: Histogram<u64>,
}

/// A fresh HS256 token for a customer and what each verifier needs to check it.
#[derive(Debug)]
pub struct Fixture {
    token: String,
    now: u64,
    secret: Secret,
    decoding: DecodingKey,
    validation: Validation,
}

impl Fixture {
    pub fn new() -> Self {
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
        Self {
            token,
            now,
            secret: Secret::new(KEY),
            decoding: DecodingKey::from_secret(KEY.as_bytes()),
            validation: Validation::new(Algorithm::HS256),
        }
    }

    /// `backend::auth::matching_key::verify`; true when the token is accepted.
    pub fn verify_ours(&self) -> bool {
        let policy = backend::auth::matching_key::Policy {
            sign_key: Some(&self.secret),
            max_bytes: MAX_TOKEN_BYTES,
            max_age_secs: None,
        };
        backend::auth::matching_key::verify(&self.token, &policy, self.now).is_ok()
    }

    /// Plain `jsonwebtoken::decode`; true when the token is accepted.
    pub fn verify_plain(&self) -> bool {
        jsonwebtoken::decode::<Map<String, Value>>(&self.token, &self.decoding, &self.validation)
            .is_ok()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

/// Times `iterations` verifications of a fresh HS256 token each way.
pub fn measure(iterations: u32) -> TokenTimes {
    let fixture = Fixture::new();
    let ours = time(iterations, || fixture.verify_ours());
    let plain = time(iterations, || fixture.verify_plain());
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
