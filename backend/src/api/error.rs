//! The widget API's errors, turned into a JSON response in one place. Store failures become an
//! opaque 500 and are logged here, once.

use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
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
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}
