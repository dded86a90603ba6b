//! Reading an operator request's JSON body within a limit checked before the body is read.

use super::error::OperatorApiError;
use axum::body::Body;
use axum::http::{HeaderMap, header};

/// The JSON body of a request, refused with 413 before it is read when `Content-Length` says
/// it is over `limit`, and cut off at `limit` otherwise.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, OperatorApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(OperatorApiError::TooLarge { limit });
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| OperatorApiError::TooLarge { limit })?;
    serde_json::from_slice(&bytes)
        .map_err(|error| OperatorApiError::BadRequest(format!("invalid JSON body: {error}")))
}
