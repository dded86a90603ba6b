//! Operators' pictures, as the collaboration server sends them in `createUser` / `updateUser`
//! (base64), decoded once on the way in. Only raster images a browser shows inline are kept
//! (PNG, JPEG, GIF, WebP), their type decided from their first bytes, never from what the sender
//! claims: an SVG or HTML "picture" could carry script.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The MIME types served as pictures.
pub const ALLOWED_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Hex digits of the content hash in an entity tag: enough to tell versions of one picture.
const ETAG_HEX_DIGITS: usize = 32;

/// A decoded picture, ready to store and serve.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// A strong entity tag (quoted), from the bytes: it changes when the picture does.
    pub etag: String,
}

/// Why a picture was refused; said to the collaboration server in a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    #[error("picture is not valid base64: {0}")]
    Base64(String),
    #[error("picture is {found}; allowed are PNG, JPEG, GIF and WebP images")]
    NotAllowed { found: String },
}

impl Picture {
    /// The picture in `text` (standard base64; line breaks, as 1C's `Base64String` writes them,
    /// are ignored). An empty text is no picture.
    pub fn from_base64(text: &str) -> Result<Option<Self>, PictureError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.is_empty() {
            return Ok(None);
        }
        let bytes = STANDARD
            .decode(compact)
            .map_err(|error| PictureError::Base64(error.to_string()))?;
        Self::from_bytes(bytes).map(Some)
    }

    /// `bytes` as a picture, if they are an allowed image.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, PictureError> {
        let content_type = match infer::get(&bytes) {
            Some(kind) if ALLOWED_TYPES.contains(&kind.mime_type()) => kind.mime_type(),
            Some(kind) => {
                return Err(PictureError::NotAllowed {
                    found: kind.mime_type().to_owned(),
                });
            }
            None => {
                return Err(PictureError::NotAllowed {
                    found: "not an image of a known type".to_owned(),
                });
            }
        };
        let digest = hex::encode(Sha256::digest(&bytes));
        Ok(Self {
            etag: format!("\"{}\"", &digest[..ETAG_HEX_DIGITS]),
            content_type: content_type.to_owned(),
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    #[test]
    fn keeps_raster_images_with_their_type_and_tag() {
        let picture = Picture::from_base64(PNG).unwrap().unwrap();
        assert_eq!(picture.content_type, "image/png");
        assert!(picture.bytes.starts_with(b"\x89PNG"));
        assert_eq!(picture.etag.len(), ETAG_HEX_DIGITS + 2);
        // 1C writes base64 in lines of 76 characters.
        let wrapped = format!("{}\r\n{}", &PNG[..40], &PNG[40..]);
        assert_eq!(Picture::from_base64(&wrapped).unwrap(), Some(picture));
        for (bytes, kind) in [
            (&b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"[..], "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        ] {
            assert_eq!(
                Picture::from_bytes(bytes.to_vec()).unwrap().content_type,
                kind
            );
        }
        assert_eq!(Picture::from_base64(" \n").unwrap(), None);
    }

    #[test]
    fn refuses_anything_else_saying_what_it_is() {
        let svg =
            STANDARD.encode(br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#);
        let html = STANDARD.encode(b"<html><script>alert(1)</script></html>");
        let pdf = STANDARD.encode(b"%PDF-1.7\n");
        for (text, found) in [
            (svg.as_str(), "known type"),
            (html.as_str(), "text/html"),
            (pdf.as_str(), "application/pdf"),
        ] {
            let error = Picture::from_base64(text).unwrap_err().to_string();
            assert!(error.contains(found), "{error}");
            assert!(error.contains("PNG, JPEG, GIF and WebP"), "{error}");
        }
        assert!(matches!(
            Picture::from_base64("not base64!"),
            Err(PictureError::Base64(_))
        ));
    }
}
