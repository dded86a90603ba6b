//! `GET /api/v1/chat/{id}:{token}/operators/{operator_id}/picture`: an operator's picture, as
//! decoded when the collaboration server sent it (only PNG, JPEG, GIF and WebP are kept, see
//! [`crate::content::picture`]). Served with its type, `nosniff` (a browser never second-guesses it into
//! something that runs), a short cache and an entity tag, so a page revalidates with a `304`.

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Pictures change rarely; a short cache keeps updates visible soon, and the entity tag makes
/// checking again cheap.
const PICTURE_CACHE: &str = "public, max-age=600";

pub async fn operator_picture(
    State(state): State<AppState>,
    Path((key, operator_id)): Path<(String, i64)>,
    request: HeaderMap,
) -> Result<Response, ApiError> {
    let integration = state
        .integrations
        .by_key(&key)
        .ok_or(ApiError::UnknownIntegration)?;
    let Some(picture) = state
        .store
        .operator_picture(&integration.id, operator_id)
        .await?
    else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PICTURE_CACHE),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(etag) = HeaderValue::from_str(&picture.etag) {
        headers.insert(header::ETAG, etag);
    }
    let unchanged = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|tags| matches_tag(tags, &picture.etag));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    if let Ok(content_type) = HeaderValue::from_str(&picture.content_type) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    Ok((headers, picture.bytes).into_response())
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches_tag(tags: &str, etag: &str) -> bool {
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::matches_tag;

    #[test]
    fn if_none_match_lists() {
        assert!(matches_tag("\"a\"", "\"a\""));
        assert!(matches_tag("\"b\", W/\"a\"", "\"a\""));
        assert!(matches_tag("*", "\"a\""));
        assert!(!matches_tag("\"b\"", "\"a\""));
    }
}
