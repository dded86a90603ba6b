//! The operator API's errors, turned into the API's JSON error shape in one place. Store and
//! hashing failures become an opaque 500 and are logged here, once.

use super::super::error::error_response;
use crate::auth::password::PasswordError;
use crate::net::ratelimit::Refusal;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum OperatorApiError {
    /// One message whether the e-mail is unknown or the password wrong.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error(
        "not logged in, or the session ended: log in with POST /api/v1/operator/login and send \
         its cookie or Authorization: Bearer TOKEN"
    )]
    NotLoggedIn,
    #[error(
        "a request authenticated by the session cookie that changes state must come from the \
         console: send Origin: {public_url} (API clients send Authorization: Bearer TOKEN instead)"
    )]
    Csrf { public_url: String },
    #[error("the body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    BadRequest(String),
    #[error("no such conversation among the operator's integrations")]
    NotFound,
    #[error("{}", already_assigned(.assignee.as_deref()))]
    AlreadyAssigned { assignee: Option<String> },
    #[error("this client_id belongs to another message of the conversation; use a new one")]
    ClientIdTaken,
    #[error("{0}; retry later")]
    RateLimited(Refusal),
    #[error(
        "this operator has {max} live sockets open, the most allowed \
         (operators.max_sockets_per_account); close a console tab first"
    )]
    TooManySockets { max: usize },
    #[error("internal error")]
    Store(#[from] StoreError),
    #[error("internal error")]
    Password(#[from] PasswordError),
}

/// The 409 of a take that lost the race names who won it.
fn already_assigned(assignee: Option<&str>) -> String {
    match assignee {
        Some(name) => format!("the conversation was assigned to {name} in the meantime"),
        None => "the conversation was left unassigned in the meantime".to_owned(),
    }
}

impl OperatorApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::NotLoggedIn => (StatusCode::UNAUTHORIZED, "not_logged_in"),
            Self::Csrf { .. } => (StatusCode::FORBIDDEN, "csrf"),
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::AlreadyAssigned { .. } => (StatusCode::CONFLICT, "already_assigned"),
            Self::ClientIdTaken => (StatusCode::CONFLICT, "client_id_taken"),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::TooManySockets { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_sockets"),
            Self::Store(_) | Self::Password(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for OperatorApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Store(error) => tracing::error!(%error, "operator request failed"),
            Self::Password(error) => tracing::error!(%error, "operator request failed"),
            Self::RateLimited(refusal) => {
                tracing::debug!(%refusal, "operator request refused");
                crate::telemetry::rate_limited(refusal.limit.name());
            }
            Self::TooManySockets { max } => {
                tracing::debug!(max, "operator socket refused");
                crate::telemetry::rate_limited("sockets_per_operator");
            }
            _ => {}
        }
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            Self::RateLimited(refusal) => Some(refusal),
            _ => None,
        };
        error_response(status, code, self.to_string(), retry_after)
    }
}
