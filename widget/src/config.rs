//! What the loader script passes to the chat when it starts it: the integration's parameters,
//! the words of its language and the address of the widget API (the loader's other fields are
//! its own).

use client_core::i18n::Words;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[error("the chat's configuration is not valid: {0}")]
pub struct ConfigError(String);

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub params: Params,
    /// The words of the integration's language: the server holds every language and sends only
    /// this one, so the bundle carries none.
    pub words: Words,
    /// `{public_url}/api/v1/chat/{id}:{token}`
    pub api: String,
    /// Whether messages carry the page's query string (the integration's `send_page_query`).
    #[serde(default, rename = "pageQuery")]
    pub page_query: bool,
}

/// The integration parameters the chat itself uses; the loader applies the others (placement,
/// theme, the collapsed tab). Read apart from [`protocol::IntegrationParams`], whose choice enums
/// would each compile a deserializer into the bundle. Every field is required: the server sends
/// a whole serialized `IntegrationParams`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub title_text: String,
    pub title_back_color: String,
    pub title_text_color: String,
    pub display_user_pictures: bool,
    pub open_chat_on_new_message: bool,
}

impl Config {
    pub fn from_value(value: &wasm_bindgen::JsValue) -> Result<Self, ConfigError> {
        let json = js_sys::JSON::stringify(value).map_err(|_| ConfigError("not JSON".into()))?;
        serde_json::from_str(&String::from(json))
            .map_err(|error| ConfigError(client_core::dom::json_fault(&error)))
    }

    /// The integration id: the part of the API address before `:`, naming what this widget
    /// keeps in the browser's storage.
    pub fn integration_id(&self) -> &str {
        let key = self.api.rsplit('/').next().unwrap_or_default();
        key.split(':').next().unwrap_or(key)
    }

    /// An operator picture or other server path relative to the API address.
    pub fn resolve(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") || path.starts_with("data:")
        {
            path.to_owned()
        } else {
            format!("{}/{}", self.api, path.trim_start_matches('/'))
        }
    }

    /// The WebSocket address for a visitor, resuming after `(conversation_id, seq)`.
    pub fn socket_url(&self, visitor_token: &str, resume: Option<(i64, i64)>) -> String {
        // `http(s)://` becomes `ws(s)://`: a prefix test, where `replacen` would inline a
        // substring search into the bundle.
        let (scheme, rest) = match self.api.strip_prefix("http") {
            Some(rest) => ("ws", rest),
            None => ("", self.api.as_str()),
        };
        let token = String::from(js_sys::encode_uri_component(visitor_token));
        let mut url = format!("{scheme}{rest}/ws?visitor_token={token}");
        if let Some((conversation_id, seq)) = resume {
            url.push_str(&format!(
                "&conversation_id={conversation_id}&after_seq={seq}"
            ));
        }
        url
    }
}
