//! The operators' console, a trunk-built app in `console/` under the widget's bundle folder,
//! served at `/console/`. Its page (`index.html`, also the answer for any path below
//! `/console/` that is not a file, so the console's own links load it) carries a Content
//! Security Policy that allows only the console's own files: no inline script or style, no
//! other origin. The page is never cached, so a new build is picked up at once; the other files
//! have content-hashed names and are cached for good.

use super::BUNDLE_CACHE;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// What the console page may load: its own scripts, styles, images and API (`'self'` covers
/// the WebSocket to the same host too), WebAssembly compiled from its own module, nothing
/// else, and no page may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The page names the current build's files: browsers ask again every time.
const PAGE_CACHE: &str = "no-cache";

/// `/console` and everything below it, from `dir`. The page's files are named by absolute
/// paths (trunk's `public_url`), so `/console` without the slash serves the page too.
pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .nest_service("/console", files)
        .layer(axum::middleware::map_response(cache_and_policy))
}

/// The console's folder seen through the widget's (`/widget/console/...`): not found, so the
/// console's page is only ever served under its policy.
pub async fn not_here() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// The page gets the policy and `no-cache`; every other file the long cache of bundle files.
async fn cache_and_policy(mut response: Response) -> Response {
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let found = response.status().is_success();
    let headers = response.headers_mut();
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    } else if found {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(BUNDLE_CACHE),
        );
    }
    response
}
