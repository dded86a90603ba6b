//! The integrations the server answers for: validated settings looked up by the `{id}:{token}`
//! key of the script URL and the widget API. The embedded default has one `demo` integration whose
//! tokens and signKey are generated once and kept in the database.

use crate::page_url::PageQuery;
use crate::params::{self, ParamError};
use crate::secret::Secret;
use crate::settings::IntegrationSettings;
use crate::store::{Bridge, Store, StoreResult};
use crate::visitor_token;
use protocol::IntegrationParams;
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Id of the integration of the embedded default.
pub const DEMO_ID: &str = "demo";

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

    /// The embedded default: the `demo` integration, its secrets kept in `store`.
    pub async fn demo(store: &dyn Store) -> StoreResult<Self> {
        let token = store
            .server_setting("demo.token", &visitor_token::random_token())
            .await?;
        let webhook_token = store
            .server_setting("demo.webhook_token", &visitor_token::random_token())
            .await?;
        let sign_key = store
            .server_setting("demo.sign_key", &visitor_token::random_token())
            .await?;
        let mut params = IntegrationParams::with_language("en");
        params.title_text = "Demo shop support".to_owned();
        let demo = Integration {
            id: DEMO_ID.to_owned(),
            token,
            webhook_token: Some(Secret::new(webhook_token)),
            allowed_origins: Vec::new(),
            webhook_url: None,
            page_query: PageQuery::Drop,
            params,
            sign_key: Some(Secret::new(sign_key)),
        };
        Ok(Self(HashMap::from([(DEMO_ID.to_owned(), Arc::new(demo))])))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamValue;
    use std::collections::BTreeMap;

    fn configured(id: &str, origins: &[&str]) -> IntegrationSettings {
        IntegrationSettings {
            id: id.into(),
            token: "tok".into(),
            webhook_token: None,
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            webhook_url: None,
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
}
