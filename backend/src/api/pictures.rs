//! `GET /api/v1/chat/{id}:{token}/operators/{operator_id}/picture`: an operator's picture, as the
//! collaboration server sent it in `createUser` / `updateUser`. Only PNG, JPEG, GIF and WebP are
//! served (never SVG, which could carry script).

use super::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Pictures change rarely; a short cache keeps updates visible soon.
const PICTURE_CACHE: &str = "public, max-age=600";

pub async fn operator_picture(
    State(state): State<AppState>,
    Path((key, operator_id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let integration = state
        .integrations
        .by_key(&key)
        .ok_or(ApiError::UnknownIntegration)?;
    let picture = state
        .store
        .operator_picture(&integration.id, operator_id)
        .await?
        .and_then(|base64| STANDARD.decode(base64.trim()).ok())
        .and_then(|bytes| image_type(&bytes).map(|kind| (kind, bytes)));
    Ok(match picture {
        Some((content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, PICTURE_CACHE),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    })
}

/// The MIME type of a raster image, from its first bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn knows_raster_images_only() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a"), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
    }
}
