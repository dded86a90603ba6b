//! Canned replies (`/api/v1/operator/canned-replies`): texts kept per integration that
//! operators insert by their shortcut. An operator lists, creates, edits and deletes those of
//! the integrations it answers; any other is 404, like every conversation it does not answer.
//! Shortcuts and texts are bounded ([`CannedDraft`]), refused with 400 saying what is allowed;
//! a shortcut taken in the integration is 409.

use super::auth::OperatorSession;
use super::error::OperatorApiError;
use super::json_body::read_json;
use crate::api::error::error_response;
use crate::desk::{CannedDraft, CannedSaved, InvalidCanned};
use crate::state::AppState;
use crate::store::StoreError;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use protocol::operator::{CannedReply, CannedReplyEdit, CannedReplyList, NewCannedReply};

/// Room in a body besides the text: the other fields and JSON's punctuation.
const BODY_OVERHEAD_BYTES: usize = 1024;
/// JSON may spell each byte of the text as six (`\u00e9`).
const JSON_ESCAPE_FACTOR: usize = 6;

/// Why a canned-reply route refused.
#[derive(Debug, thiserror::Error)]
pub enum CannedError {
    #[error("no such canned reply among your integrations' ones")]
    NotFound,
    #[error("you do not answer integration {0}")]
    UnknownIntegration(String),
    #[error("{0}")]
    Invalid(#[from] InvalidCanned),
    #[error("another canned reply of the integration has shortcut /{0}")]
    ShortcutTaken(String),
    #[error(transparent)]
    Operator(#[from] OperatorApiError),
}

impl From<StoreError> for CannedError {
    fn from(error: StoreError) -> Self {
        Self::Operator(error.into())
    }
}

impl IntoResponse for CannedError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, code) = match self {
            Self::Operator(error) => return error.into_response(),
            Self::NotFound | Self::UnknownIntegration(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Invalid(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::ShortcutTaken(_) => (StatusCode::CONFLICT, "shortcut_taken"),
        };
        error_response(status, code, message, None)
    }
}

/// The largest body a canned reply may come in.
fn body_limit(state: &AppState) -> usize {
    state
        .limits
        .max_message_bytes
        .saturating_mul(JSON_ESCAPE_FACTOR)
        .saturating_add(BODY_OVERHEAD_BYTES)
}

/// The reply saved, or 409 naming its shortcut.
fn saved(saved: CannedSaved, draft: &CannedDraft) -> Result<CannedReply, CannedError> {
    match saved {
        CannedSaved::Saved(reply) => Ok(reply),
        CannedSaved::ShortcutTaken => Err(CannedError::ShortcutTaken(draft.shortcut().to_owned())),
    }
}

/// A canned reply's id from the path: one that is no number names no canned reply.
fn canned_id(id: &str) -> Result<i64, CannedError> {
    id.parse().map_err(|_| CannedError::NotFound)
}

/// `GET /api/v1/operator/canned-replies`.
pub async fn list(
    State(state): State<AppState>,
    session: OperatorSession,
) -> Result<Json<CannedReplyList>, CannedError> {
    let canned_replies = state.store.canned_replies(session.account_id).await?;
    Ok(Json(CannedReplyList { canned_replies }))
}

/// `POST /api/v1/operator/canned-replies` `{integration_id, shortcut, text}`: 201 and the reply.
pub async fn create(
    State(state): State<AppState>,
    session: OperatorSession,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<CannedReply>), CannedError> {
    let request: NewCannedReply = read_json(&headers, body, body_limit(&state)).await?;
    if !session.answers(&request.integration_id) {
        return Err(CannedError::UnknownIntegration(request.integration_id));
    }
    let draft = CannedDraft::new(
        &request.shortcut,
        &request.text,
        state.limits.max_message_bytes,
    )?;
    let stored = state
        .store
        .create_canned_reply(&request.integration_id, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(saved(stored, &draft)?)))
}

/// `PUT /api/v1/operator/canned-replies/{id}` `{shortcut, text}`: the reply as it is now.
pub async fn update(
    State(state): State<AppState>,
    session: OperatorSession,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CannedReply>, CannedError> {
    let id = canned_id(&id)?;
    let request: CannedReplyEdit = read_json(&headers, body, body_limit(&state)).await?;
    let draft = CannedDraft::new(
        &request.shortcut,
        &request.text,
        state.limits.max_message_bytes,
    )?;
    let stored = state
        .store
        .update_canned_reply(session.account_id, id, &draft)
        .await?
        .ok_or(CannedError::NotFound)?;
    Ok(Json(saved(stored, &draft)?))
}

/// `DELETE /api/v1/operator/canned-replies/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    session: OperatorSession,
    Path(id): Path<String>,
) -> Result<StatusCode, CannedError> {
    let id = canned_id(&id)?;
    if state
        .store
        .delete_canned_reply(session.account_id, id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(CannedError::NotFound)
    }
}
