//! The operator API's REST routes (`/api/v1/operator/...`), called with the session cookie of
//! this origin. A `401` from any of them means the session is gone; other refusals carry the
//! server's message (`{error:{code,message}}`).

use crate::browser::window;
use protocol::ErrorBody;
use protocol::operator::{
    AssignRequest, CannedReply, CannedReplyEdit, CannedReplyList, ConversationList,
    ConversationSummary, ConversationsQuery, LoginAnswer, LoginRequest, MessagePage, MessagesQuery,
    NewCannedReply, OperatorProfile, ReadRequest, ReplyRequest, TeammateList,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const BASE: &str = "/api/v1/operator";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No session, or it ended; or the login was refused (the server's message says so).
    #[error("{0}")]
    Unauthorized(String),
    /// The server refused the call; its message says why.
    #[error("{0}")]
    Refused(String),
    /// The call did not reach the server or its answer was not understood.
    #[error("the request failed: {0}")]
    Failed(String),
}

impl From<JsValue> for ApiError {
    fn from(error: JsValue) -> Self {
        Self::Failed(format!("{error:?}"))
    }
}

pub async fn me() -> Result<OperatorProfile, ApiError> {
    parsed(call("GET", "/me", None).await?)
}

pub async fn login(request: &LoginRequest) -> Result<LoginAnswer, ApiError> {
    parsed(call("POST", "/login", Some(json(request)?)).await?)
}

pub async fn logout() -> Result<(), ApiError> {
    call("POST", "/logout", None).await.map(drop)
}

pub async fn conversations(query: &ConversationsQuery) -> Result<ConversationList, ApiError> {
    parsed(
        call(
            "GET",
            &format!("/conversations{}", query_string(query)?),
            None,
        )
        .await?,
    )
}

pub async fn messages(id: i64, query: &MessagesQuery) -> Result<MessagePage, ApiError> {
    let path = format!("/conversations/{id}/messages{}", query_string(query)?);
    parsed(call("GET", &path, None).await?)
}

/// A reply; the stored message when the server answers with it (the live event brings it too).
pub async fn reply(id: i64, request: &ReplyRequest) -> Result<Option<protocol::Message>, ApiError> {
    let path = format!("/conversations/{id}/messages");
    Ok(serde_json::from_str(&call("POST", &path, Some(json(request)?)).await?).ok())
}

/// `assign`, `close` or `reopen`: the conversation as it is now, when the answer carries it.
pub async fn change(
    id: i64,
    action: &str,
    request: Option<&AssignRequest>,
) -> Result<Option<ConversationSummary>, ApiError> {
    let body = request.map(json).transpose()?;
    let answer = call("POST", &format!("/conversations/{id}/{action}"), body).await?;
    Ok(serde_json::from_str(&answer).ok())
}

pub async fn read(id: i64, request: &ReadRequest) -> Result<(), ApiError> {
    let path = format!("/conversations/{id}/read");
    call("POST", &path, Some(json(request)?)).await.map(drop)
}

/// The operators sharing an integration with this one, and who is online.
pub async fn team() -> Result<TeammateList, ApiError> {
    parsed(call("GET", "/operators", None).await?)
}

/// The canned replies of the operator's integrations.
pub async fn canned_replies() -> Result<Vec<CannedReply>, ApiError> {
    parsed::<CannedReplyList>(call("GET", "/canned-replies", None).await?)
        .map(|list| list.canned_replies)
}

pub async fn create_canned(request: &NewCannedReply) -> Result<CannedReply, ApiError> {
    parsed(call("POST", "/canned-replies", Some(json(request)?)).await?)
}

pub async fn update_canned(id: i64, request: &CannedReplyEdit) -> Result<CannedReply, ApiError> {
    parsed(
        call(
            "PUT",
            &format!("/canned-replies/{id}"),
            Some(json(request)?),
        )
        .await?,
    )
}

pub async fn delete_canned(id: i64) -> Result<(), ApiError> {
    call("DELETE", &format!("/canned-replies/{id}"), None)
        .await
        .map(drop)
}

fn json(body: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|error| ApiError::Failed(error.to_string()))
}

fn parsed<T: DeserializeOwned>(body: String) -> Result<T, ApiError> {
    serde_json::from_str(&body).map_err(|error| ApiError::Failed(error.to_string()))
}

/// `?name=value&...` of a query's fields (flat: strings and numbers), empty when it has none.
fn query_string(query: &impl Serialize) -> Result<String, ApiError> {
    let value = serde_json::to_value(query).map_err(|error| ApiError::Failed(error.to_string()))?;
    let pairs: Vec<String> = value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            format!("{name}={}", js_sys::encode_uri_component(&text))
        })
        .collect();
    Ok(if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    })
}

/// `method` on `BASE + path`; the answer's body, or the error its status says.
async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = &body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = web_sys::Request::new_with_str_and_init(&format!("{BASE}{path}"), &init)?;
    if body.is_some() {
        request.headers().set("Content-Type", "application/json")?;
    }
    let response: web_sys::Response = JsFuture::from(window().fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let message = serde_json::from_str::<ErrorBody>(&text)
        .map(|body| body.error.message)
        .unwrap_or_else(|_| format!("the server answered {status}"));
    Err(if status == 401 {
        ApiError::Unauthorized(message)
    } else {
        ApiError::Refused(message)
    })
}
