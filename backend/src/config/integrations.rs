//! The integrations the server answers for: validated settings looked up by the `{id}:{token}`
//! key of the script URL and the widget API. The embedded default has one `demo` integration whose
//! tokens and signKey are generated once and kept in the database.

use crate::auth::matching_key;
use crate::config::params::{self, ParamError};
use crate::config::secret::{MIN_SHARED_SECRET_CHARS, Secret};
use crate::config::settings::IntegrationSettings;
use crate::content::page_url::PageQuery;
use crate::outbox::Bridge;
use protocol::IntegrationParams;
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Id of the integration of the embedded default.
pub const DEMO_ID: &str = "demo";
/// A signKey shorter than this is warned about: an HMAC key should be at least as long as the
/// hash (RFC 8725 §3.5). Only warned, since sites moving from 1C keep their keys.
pub const RECOMMENDED_SIGN_KEY_BYTES: usize = 32;

/// One integration, ready to serve.
#[derive(Debug)]
pub struct Integration {
    pub id: String,
    pub token: String,
    pub webhook_token: Option<Secret>,
    /// Exact origins (`scheme://host[:port]`) allowed to embed the chat; empty allows any.
    pub allowed_origins: Vec<String>,
    pub webhook_url: Option<String>,
    /// Whether the page address operators see keeps its query string.
    pub page_query: PageQuery,
    pub params: IntegrationParams,
    pub sign_key: Option<Secret>,
    /// Matching-key tokens issued longer ago than this many seconds are refused.
    pub token_max_age_secs: Option<u64>,
}

impl Integration {
    /// Whether a browser request from `origin` may use this integration. Requests without an
    /// `Origin` header are not from a page and pass only when any origin is allowed.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        self.allowed_origins.is_empty()
            || origin.is_some_and(|origin| {
                self.allowed_origins
                    .iter()
                    .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
            })
    }

    /// Whether conversations are forwarded to a collaboration server.
    pub fn bridge(&self) -> Bridge {
        if self.webhook_url.is_some() {
            Bridge::On
        } else {
            Bridge::Off
        }
    }

    /// `{id}:{token}`, as in the script URL.
    pub fn key(&self) -> String {
        format!("{}:{}", self.id, self.token)
    }

    /// What this integration accepts of matching-key tokens up to `max_bytes` long.
    pub fn token_policy(&self, max_bytes: usize) -> matching_key::Policy<'_> {
        matching_key::Policy {
            sign_key: self.sign_key.as_ref(),
            max_bytes,
            max_age_secs: self.token_max_age_secs,
        }
    }

    /// Whether the signKey is shorter than [`RECOMMENDED_SIGN_KEY_BYTES`].
    pub fn has_short_sign_key(&self) -> bool {
        self.sign_key
            .as_ref()
            .is_some_and(|key| key.expose().len() < RECOMMENDED_SIGN_KEY_BYTES)
    }
}

/// Why the integrations could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error(transparent)]
    Param(#[from] ParamError),
    #[error("integration '{0}' is configured twice")]
    Duplicate(String),
    #[error("integration '{id}': {field} must not be empty")]
    Empty { id: String, field: &'static str },
    #[error(
        "integration '{id}': webhook_token is {chars} characters; it must be a random secret of \
         at least {MIN_SHARED_SECRET_CHARS} (for example `openssl rand -hex 32`), or left out to \
         turn inbound commands off"
    )]
    WeakWebhookToken { id: String, chars: usize },
    #[error(
        "integration '{id}': token_max_age_secs must be at least 1, or left out for no maximum age"
    )]
    ZeroTokenMaxAge { id: String },
}

/// All integrations by id.
#[derive(Debug, Default, Clone)]
pub struct Integrations(HashMap<String, Arc<Integration>>);

impl Integrations {
    /// Validates every configured integration.
    pub fn from_settings(settings: &[IntegrationSettings]) -> Result<Self, IntegrationError> {
        let mut integrations = HashMap::new();
        for configured in settings {
            for (field, value) in [("id", &configured.id), ("token", &configured.token)] {
                if value.trim().is_empty() {
                    return Err(IntegrationError::Empty {
                        id: configured.id.clone(),
                        field,
                    });
                }
            }
            if let Some(webhook_token) = &configured.webhook_token {
                let chars = webhook_token.strength_chars();
                if chars < MIN_SHARED_SECRET_CHARS {
                    return Err(IntegrationError::WeakWebhookToken {
                        id: configured.id.clone(),
                        chars,
                    });
                }
            }
            if configured.token_max_age_secs == Some(0) {
                return Err(IntegrationError::ZeroTokenMaxAge {
                    id: configured.id.clone(),
                });
            }
            let valid = params::validate(&configured.id, &configured.params)?;
            let integration = Integration {
                id: configured.id.clone(),
                token: configured.token.clone(),
                webhook_token: configured.webhook_token.clone(),
                allowed_origins: configured.allowed_origins.clone(),
                webhook_url: configured.webhook_url.clone(),
                page_query: if configured.send_page_query {
                    PageQuery::Keep
                } else {
                    PageQuery::Drop
                },
                params: valid.params,
                sign_key: valid.sign_key,
                token_max_age_secs: configured.token_max_age_secs,
            };
            if integrations
                .insert(configured.id.clone(), Arc::new(integration))
                .is_some()
            {
                return Err(IntegrationError::Duplicate(configured.id.clone()));
            }
        }
        Ok(Self(integrations))
    }

    /// `integration` alone.
    pub fn only(integration: Integration) -> Self {
        Self(HashMap::from([(
            integration.id.clone(),
            Arc::new(integration),
        )]))
    }

    /// The integration named by `{id}:{token}`; the token is compared in constant time.
    pub fn by_key(&self, key: &str) -> Option<Arc<Integration>> {
        let (id, token) = key.split_once(':')?;
        let integration = self.0.get(id)?;
        bool::from(integration.token.as_bytes().ct_eq(token.as_bytes()))
            .then(|| Arc::clone(integration))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Integration>> {
        self.0.values()
    }

    /// The integration with `id`, for callers already authenticated otherwise (an operator
    /// session names its integrations by id).
    pub fn by_id(&self, id: &str) -> Option<Arc<Integration>> {
        self.0.get(id).cloned()
    }
}

#[cfg(test)]
impl Integration {
    /// Integration "1" (key `1:tok`, English, `webhook_url` when bridged), as unit tests use it.
    pub fn for_tests(webhook_url: Option<&str>) -> Arc<Self> {
        let settings = IntegrationSettings {
            id: "1".into(),
            token: "tok".into(),
            webhook_token: None,
            allowed_origins: Vec::new(),
            webhook_url: webhook_url.map(str::to_owned),
            token_max_age_secs: None,
            send_page_query: false,
            params: std::collections::BTreeMap::from([(
                "languageCode".into(),
                crate::config::params::ParamValue::Text("en".into()),
            )]),
        };
        let integrations = Integrations::from_settings(&[settings]).expect("valid settings");
        integrations.by_key("1:tok").expect("its own key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::params::ParamValue;
    use std::collections::BTreeMap;

    fn configured(id: &str, origins: &[&str]) -> IntegrationSettings {
        IntegrationSettings {
            id: id.into(),
            token: "tok".into(),
            webhook_token: None,
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            webhook_url: None,
            token_max_age_secs: None,
            send_page_query: false,
            params: BTreeMap::from([("languageCode".into(), ParamValue::Text("ru".into()))]),
        }
    }

    #[test]
    fn finds_by_id_and_token() {
        let integrations = Integrations::from_settings(&[configured("1", &[])]).unwrap();
        assert!(integrations.by_key("1:tok").is_some());
        assert!(integrations.by_key("1:other").is_none());
        assert!(integrations.by_key("2:tok").is_none());
        assert!(integrations.by_key("1").is_none());
    }

    #[test]
    fn checks_origins() {
        let integrations =
            Integrations::from_settings(&[configured("1", &["https://shop.example/"])]).unwrap();
        let shop = integrations.by_key("1:tok").unwrap();
        assert!(shop.allows_origin(Some("https://shop.example")));
        assert!(!shop.allows_origin(Some("https://evil.example")));
        assert!(!shop.allows_origin(None));
        let open = Integrations::from_settings(&[configured("2", &[])]).unwrap();
        assert!(open.by_key("2:tok").unwrap().allows_origin(None));
    }

    #[test]
    fn refuses_duplicates_and_empty_tokens() {
        let twice = Integrations::from_settings(&[configured("1", &[]), configured("1", &[])]);
        assert!(matches!(twice, Err(IntegrationError::Duplicate(id)) if id == "1"));
        let mut empty = configured("1", &[]);
        empty.token = " ".into();
        assert!(matches!(
            Integrations::from_settings(&[empty]),
            Err(IntegrationError::Empty { field: "token", .. })
        ));
    }

    #[test]
    fn refuses_empty_and_short_webhook_tokens_naming_the_key() {
        for weak in [
            "",
            "                    ",
            "fifteen-chars!!",
            " fifteen-chars!! ",
        ] {
            let mut shop = configured("shop", &[]);
            shop.webhook_token = Some(Secret::new(weak));
            let error = Integrations::from_settings(&[shop]).unwrap_err();
            assert!(
                matches!(&error, IntegrationError::WeakWebhookToken { id, .. } if id == "shop"),
                "{weak:?}: {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.contains("integration 'shop': webhook_token")
                    && message.contains("at least 16"),
                "{message}"
            );
        }
        let mut strong = configured("shop", &[]);
        strong.webhook_token = Some(Secret::new("sixteen-chars!!!"));
        assert!(Integrations::from_settings(&[strong]).is_ok());
        let mut without = configured("shop", &[]);
        without.webhook_token = None;
        assert!(
            Integrations::from_settings(&[without]).is_ok(),
            "no webhook_token turns inbound commands off"
        );
    }

    #[test]
    fn refuses_an_empty_sign_key_and_flags_a_short_one() {
        let with_key = |key: &str| {
            let mut shop = configured("shop", &[]);
            shop.params
                .insert("signKey".into(), ParamValue::Text(key.into()));
            Integrations::from_settings(&[shop])
        };
        for empty in ["", "  "] {
            let error = with_key(empty).unwrap_err().to_string();
            assert!(
                error.contains("'shop'") && error.contains("signKey"),
                "{error}"
            );
        }
        let short = with_key("short-key").unwrap();
        assert!(short.by_key("shop:tok").unwrap().has_short_sign_key());
        let long = with_key(&"k".repeat(RECOMMENDED_SIGN_KEY_BYTES)).unwrap();
        assert!(!long.by_key("shop:tok").unwrap().has_short_sign_key());
    }

    #[test]
    fn refuses_a_zero_token_max_age() {
        let mut shop = configured("shop", &[]);
        shop.token_max_age_secs = Some(0);
        let error = Integrations::from_settings(&[shop])
            .unwrap_err()
            .to_string();
        assert!(error.contains("token_max_age_secs"), "{error}");
    }
}
