//! A string that must never reach a log: it prints as `[redacted]` with `{}` and `{:?}`.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A secret value (signKey, webhook token, database password inside a URL).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Shortest shared secret accepted in the settings (webhook tokens, the metrics token): it is
/// the only credential of what it guards.
pub const MIN_SHARED_SECRET_CHARS: usize = 16;

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Its length in characters for the strength check: blanks around it are a typo in the
    /// file, not strength.
    pub fn strength_chars(&self) -> usize {
        self.0.trim().chars().count()
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret} {secret:?}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }
}
