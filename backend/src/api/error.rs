//! The widget API's errors, turned into a JSON response in one place. Store failures become an
//! opaque 500 and are logged here, once.

use crate::net::ratelimit::Refusal;
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no integration with this id and token")]
    UnknownIntegration,
    #[error("origin {0} is not allowed for this integration; add it to allowed_origins")]
    OriginNotAllowed(String),
    #[error("missing visitor token: send Authorization: Bearer <visitor_token>")]
    MissingVisitorToken,
    #[error("unknown or logged-out visitor token; create a new visitor")]
    UnknownVisitor,
    #[error("the chat is not running its embedded demo")]
    NotDemo,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}; retry later")]
    RateLimited(Refusal),
    #[error(
        "this visitor has {max} chat sessions open, the most allowed \
         (limits.max_sessions_per_visitor); close one first"
    )]
    TooManySessions { max: usize },
    #[error("internal error")]
    Store(#[from] StoreError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::UnknownIntegration => (StatusCode::NOT_FOUND, "unknown_integration"),
            Self::OriginNotAllowed(_) => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            Self::MissingVisitorToken => (StatusCode::UNAUTHORIZED, "missing_visitor_token"),
            Self::UnknownVisitor => (StatusCode::UNAUTHORIZED, "unknown_visitor"),
            Self::NotDemo => (StatusCode::NOT_FOUND, "not_demo"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::TooManySessions { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_sessions"),
            Self::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Store(error) = &self {
            tracing::error!(%error, "request failed");
        }
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            Self::RateLimited(refusal) => Some(refusal),
            _ => None,
        };
        error_response(status, code, self.to_string(), retry_after)
    }
}

/// The JSON error every API answers with (`{"error": {"code", "message"}}`), with
/// `Retry-After` when a rate limit refused the request.
pub fn error_response(
    status: StatusCode,
    code: &str,
    message: String,
    retry_after: Option<&Refusal>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message,
        },
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(refusal) = retry_after {
        // Whole seconds, rounded up, as Retry-After requires.
        let seconds = refusal.retry_after.as_millis().div_ceil(1000).max(1);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds as u64));
    }
    response
}

/// The one way the widget API refuses a request over a rate limit or a cap.
pub fn refused(error: ApiError) -> ApiError {
    tracing::debug!(%error, "request refused");
    match &error {
        ApiError::RateLimited(refusal) => crate::telemetry::rate_limited(refusal.limit.name()),
        ApiError::TooManySessions { .. } => crate::telemetry::rate_limited("sessions_per_visitor"),
        _ => {}
    }
    error
}
