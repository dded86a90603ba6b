//! Matching-key tokens from `setMatchingKeyToken`: the one place that decides whether a token is
//! accepted. With a signKey only a JWS signed with it (HS256/HS384/HS512) passes; without one an
//! unsigned JWT is read as is, as 1C documents. Either way `sub` and `iat` are required, and
//! `exp`, `nbf` and `iat` must be numbers and are checked against the clock with
//! [`LEEWAY_SECS`]; an integration may also set a maximum age counted from `iat`.

use crate::config::secret::Secret;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

/// Clock difference tolerated between the site's server and this one.
pub const LEEWAY_SECS: u64 = 60;

/// The only algorithms a signKey can sign with: HMAC over the signKey's UTF-8 bytes.
const SIGNED_ALGORITHMS: &[(&str, Algorithm)] = &[
    ("HS256", Algorithm::HS256),
    ("HS384", Algorithm::HS384),
    ("HS512", Algorithm::HS512),
];

/// JWTs are base64url; some libraries pad it, so padding is accepted either way.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What an integration accepts.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Without one, unsigned tokens are read as is.
    pub sign_key: Option<&'a Secret>,
    /// Longest token, in bytes.
    pub max_bytes: usize,
    /// Tokens issued (`iat`) longer ago than this many seconds are refused.
    pub max_age_secs: Option<u64>,
}

/// Who the site says the visitor is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchingKey {
    pub sub: String,
}

/// Why a token was rejected; the text is what the widget is told.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("not a JWT: {0}")]
    Malformed(String),
    #[error("unsigned token refused: this integration requires a JWS signed with its signKey")]
    Unsigned,
    #[error("algorithm {0} is not accepted; allowed: HS256, HS384, HS512")]
    UnsupportedAlgorithm(String),
    #[error(
        "bad signature: the token was not signed with this integration's signKey or was changed"
    )]
    BadSignature,
    #[error("token expired (exp is in the past)")]
    Expired,
    #[error("token not valid yet (nbf is in the future)")]
    NotYetValid,
    #[error("token issued in the future (iat is ahead of the server clock)")]
    IssuedInFuture,
    #[error("claim sub is missing or empty; it must be the site's user id as a string")]
    MissingSub,
    #[error("claim iat is missing; it must be the issue time in seconds since the epoch")]
    MissingIat,
    #[error("claim {0} must be a number of seconds since the epoch")]
    NonNumericTime(&'static str),
    #[error("token too old: issued more than {max_age_secs} seconds ago (token_max_age_secs)")]
    TooOld { max_age_secs: u64 },
}

impl TokenError {
    /// A short name of the reason, for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Malformed(_) => "malformed",
            Self::Unsigned => "unsigned",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::MissingSub => "missing_sub",
            Self::MissingIat => "missing_iat",
            Self::NonNumericTime(_) => "non_numeric_time",
            Self::TooOld { .. } => "too_old",
        }
    }
}

/// Checks `token` against the integration's `policy` at time `now` (seconds since the epoch).
pub fn verify(token: &str, policy: &Policy<'_>, now: u64) -> Result<MatchingKey, TokenError> {
    if token.len() > policy.max_bytes {
        return Err(TokenError::TooLong {
            max: policy.max_bytes,
        });
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, _signature] = parts[..] else {
        return Err(TokenError::Malformed(
            "expected three dot-separated parts".into(),
        ));
    };
    let alg = decode_json(header, "header")?
        .get("alg")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| TokenError::Malformed("header has no alg".into()))?;
    let claims = match policy.sign_key {
        Some(key) => verified_claims(token, &alg, key)?,
        None => decode_json(payload, "payload")?,
    };
    check_claims(&claims, policy.max_age_secs, now)
}

fn verified_claims(token: &str, alg: &str, key: &Secret) -> Result<Map<String, Value>, TokenError> {
    let algorithm = match SIGNED_ALGORITHMS.iter().find(|(name, _)| *name == alg) {
        Some((_, algorithm)) => *algorithm,
        None if alg.eq_ignore_ascii_case("none") => return Err(TokenError::Unsigned),
        None => return Err(TokenError::UnsupportedAlgorithm(alg.to_owned())),
    };
    // Only the signature is checked here; the claims are checked by `check_claims` for signed
    // and unsigned tokens alike.
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let key = DecodingKey::from_secret(key.expose().as_bytes());
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            // Header and payload decoded above, so only the signature can be bad base64url.
            ErrorKind::Base64(_) => TokenError::Malformed("signature is not base64url".into()),
            other => TokenError::Malformed(format!("{other:?}")),
        })
}

fn decode_json(part: &str, what: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = BASE64URL
        .decode(part)
        .map_err(|_| TokenError::Malformed(format!("{what} is not base64url")))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| TokenError::Malformed(format!("{what} is not a JSON object")))
}

/// The time claim `name`, if present; a present claim that is not a number (`"exp": "1"`,
/// `null`) is refused rather than ignored, so an odd token never skips a check.
fn time_claim(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>, TokenError> {
    claims
        .get(name)
        .map(|value| value.as_f64().ok_or(TokenError::NonNumericTime(name)))
        .transpose()
}

fn check_claims(
    claims: &Map<String, Value>,
    max_age_secs: Option<u64>,
    now: u64,
) -> Result<MatchingKey, TokenError> {
    let now = now as f64;
    let leeway = LEEWAY_SECS as f64;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|sub| !sub.trim().is_empty())
        .ok_or(TokenError::MissingSub)?;
    let iat = time_claim(claims, "iat")?.ok_or(TokenError::MissingIat)?;
    let exp = time_claim(claims, "exp")?;
    let nbf = time_claim(claims, "nbf")?;
    if iat > now + leeway {
        return Err(TokenError::IssuedInFuture);
    }
    if exp.is_some_and(|exp| exp + leeway < now) {
        return Err(TokenError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + leeway) {
        return Err(TokenError::NotYetValid);
    }
    if let Some(max_age_secs) = max_age_secs
        && iat + max_age_secs as f64 + leeway < now
    {
        return Err(TokenError::TooOld { max_age_secs });
    }
    Ok(MatchingKey {
        sub: sub.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;
    const MAX: usize = 8192;

    fn signed(alg: Algorithm, key: &str, claims: Value) -> String {
        encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap()
    }

    fn unsigned(claims: Value) -> String {
        let header = BASE64URL.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = BASE64URL.encode(claims.to_string());
        format!("{header}.{payload}.")
    }

    fn key() -> Secret {
        Secret::new("sign-key")
    }

    /// Checks `token` with `sign_key` and no maximum age.
    fn verify(
        token: &str,
        sign_key: Option<&Secret>,
        max_bytes: usize,
        now: u64,
    ) -> Result<MatchingKey, TokenError> {
        let policy = Policy {
            sign_key,
            max_bytes,
            max_age_secs: None,
        };
        super::verify(token, &policy, now)
    }

    #[test]
    fn accepts_each_hmac_algorithm() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = signed(alg, "sign-key", json!({"sub": "u1", "iat": NOW}));
            assert_eq!(
                verify(&token, Some(&key()), MAX, NOW),
                Ok(MatchingKey { sub: "u1".into() })
            );
        }
    }

    #[test]
    fn rejects_what_the_contract_rejects() {
        let good = json!({"sub": "u1", "iat": NOW});
        let tampered = {
            let token = signed(Algorithm::HS256, "sign-key", good.clone());
            let parts: Vec<&str> = token.split('.').collect();
            let payload = BASE64URL.encode(json!({"sub": "admin", "iat": NOW}).to_string());
            format!("{}.{payload}.{}", parts[0], parts[2])
        };
        let cases = [
            (unsigned(good.clone()), TokenError::Unsigned),
            (
                signed(Algorithm::HS256, "other-key", good.clone()),
                TokenError::BadSignature,
            ),
            (tampered, TokenError::BadSignature),
            (
                signed(
                    Algorithm::HS256,
                    "sign-key",
                    json!({"sub": "u1", "iat": NOW - 7200, "exp": NOW - 3600}),
                ),
                TokenError::Expired,
            ),
            (
                signed(
                    Algorithm::HS256,
                    "sign-key",
                    json!({"sub": "u1", "iat": NOW + 3600}),
                ),
                TokenError::IssuedInFuture,
            ),
            (
                signed(Algorithm::HS256, "sign-key", json!({"iat": NOW})),
                TokenError::MissingSub,
            ),
            (
                signed(Algorithm::HS256, "sign-key", json!({"sub": "", "iat": NOW})),
                TokenError::MissingSub,
            ),
            (
                signed(Algorithm::HS256, "sign-key", json!({"sub": "u1"})),
                TokenError::MissingIat,
            ),
            (
                "hello".to_owned(),
                TokenError::Malformed("expected three dot-separated parts".into()),
            ),
            ("x".repeat(100_000), TokenError::TooLong { max: MAX }),
        ];
        for (token, expected) in cases {
            assert_eq!(verify(&token, Some(&key()), MAX, NOW), Err(expected));
        }
    }

    #[test]
    fn a_signature_that_is_not_base64url_is_named_as_such() {
        let token = signed(
            Algorithm::HS256,
            "sign-key",
            json!({"sub": "u1", "iat": NOW}),
        );
        let (signed_part, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            verify(&format!("{signed_part}.not*base64"), Some(&key()), MAX, NOW),
            Err(TokenError::Malformed("signature is not base64url".into()))
        );
    }

    #[test]
    fn tolerates_clock_skew_within_leeway() {
        let token = signed(
            Algorithm::HS256,
            "sign-key",
            json!({"sub": "u1", "iat": NOW + LEEWAY_SECS - 1, "exp": NOW - LEEWAY_SECS + 1}),
        );
        assert!(verify(&token, Some(&key()), MAX, NOW).is_ok());
    }

    #[test]
    fn without_sign_key_reads_an_unsigned_jwt() {
        let token = unsigned(json!({"sub": "u1", "iat": NOW}));
        assert_eq!(
            verify(&token, None, MAX, NOW),
            Ok(MatchingKey { sub: "u1".into() })
        );
        let expired = unsigned(json!({"sub": "u1", "iat": NOW - 10, "exp": NOW - 3600}));
        assert_eq!(verify(&expired, None, MAX, NOW), Err(TokenError::Expired));
    }

    #[test]
    fn other_algorithms_are_named() {
        let token = format!(
            "{}.{}.sig",
            BASE64URL.encode(br#"{"alg":"RS256"}"#),
            BASE64URL.encode(br#"{"sub":"u","iat":1}"#)
        );
        assert_eq!(
            verify(&token, Some(&key()), MAX, NOW),
            Err(TokenError::UnsupportedAlgorithm("RS256".into()))
        );
    }

    #[test]
    fn non_numeric_time_claims_are_refused_naming_the_claim() {
        let cases = [
            (json!({"sub": "u1", "iat": NOW, "exp": "1"}), "exp"),
            (json!({"sub": "u1", "iat": NOW, "nbf": "later"}), "nbf"),
            (json!({"sub": "u1", "iat": NOW, "exp": null}), "exp"),
            (json!({"sub": "u1", "iat": "1800000000"}), "iat"),
        ];
        for (claims, name) in cases {
            let signed_token = signed(Algorithm::HS256, "sign-key", claims.clone());
            let refused = verify(&signed_token, Some(&key()), MAX, NOW);
            assert_eq!(refused, Err(TokenError::NonNumericTime(name)), "{claims}");
            assert!(
                refused
                    .unwrap_err()
                    .to_string()
                    .contains(&format!("claim {name} must be a number")),
            );
            assert_eq!(
                verify(&unsigned(claims.clone()), None, MAX, NOW),
                Err(TokenError::NonNumericTime(name)),
                "unsigned {claims}"
            );
        }
    }

    #[test]
    fn a_maximum_age_refuses_old_tokens() {
        let policy = Policy {
            sign_key: Some(&key()),
            max_bytes: MAX,
            max_age_secs: Some(600),
        };
        let issued = |ago: u64| {
            signed(
                Algorithm::HS256,
                "sign-key",
                json!({"sub": "u1", "iat": NOW - ago}),
            )
        };
        assert!(super::verify(&issued(600 + LEEWAY_SECS), &policy, NOW).is_ok());
        assert_eq!(
            super::verify(&issued(601 + LEEWAY_SECS), &policy, NOW),
            Err(TokenError::TooOld { max_age_secs: 600 })
        );
        let no_maximum = Policy {
            max_age_secs: None,
            ..policy
        };
        assert!(super::verify(&issued(86_400 * 365), &no_maximum, NOW).is_ok());
    }
}
