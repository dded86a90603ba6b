//! The widget's REST calls: create a visitor on first interaction, check that the server still
//! knows its token, end it on logout.

use crate::browser::window;
use protocol::VisitorCreated;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("the request failed: {0}")]
    Failed(String),
    #[error("the server answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unexpected answer: {0}")]
    Body(String),
}

impl From<JsValue> for NetError {
    fn from(error: JsValue) -> Self {
        Self::Failed(format!("{error:?}"))
    }
}

pub async fn create_visitor(api: &str) -> Result<VisitorCreated, NetError> {
    let body = request("POST", &format!("{api}/visitors"), None).await?;
    serde_json::from_str(&body)
        .map_err(|error| NetError::Body(client_core::dom::json_fault(&error)))
}

/// `method` on the visitor's resource: `GET` answers `Ok` while the server knows the token,
/// `DELETE` ends its session. Either is a `401` status once the server knows the token no more
/// (logged out, or unused for too long). One function for both: one future in the bundle.
pub async fn visitor(api: &str, method: &str, visitor_token: &str) -> Result<(), NetError> {
    request(method, &format!("{api}/visitor"), Some(visitor_token)).await?;
    Ok(())
}

async fn request(method: &str, url: &str, bearer: Option<&str>) -> Result<String, NetError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let request = web_sys::Request::new_with_str_and_init(url, &init)?;
    if let Some(token) = bearer {
        request
            .headers()
            .set("Authorization", &format!("Bearer {token}"))?;
    }
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let body = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    if !response.ok() {
        return Err(NetError::Status {
            status: response.status(),
            body,
        });
    }
    Ok(body)
}
