//! The operators' console, a trunk-built app in `console/` under the widget's bundle folder,
//! served at `/console/`. Its page (`index.html`, also the answer for a navigation path below
//! `/console/`, one whose last segment has no extension, so the console's own links load it)
//! carries a Content
//! Security Policy that allows only the console's own files: no inline script or style, no
//! other origin. The page is never cached, so a new build is picked up at once; the other files
//! have content-hashed names and are cached for good. A missing file (a name with an extension,
//! such as the previous build's `console-1a2b.js` asked by a page open since) is 404, never the
//! page: the stale page then fails loudly, and no cache keeps HTML under a script's name.

use super::BUNDLE_CACHE;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::path::Path;
use tower::ServiceExt;
use tower::service_fn;
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
    let page = ServeFile::new(dir.join("index.html"));
    let page_or_not_found = service_fn(move |request: Request| {
        let page = page.clone();
        async move {
            if names_a_file(request.uri().path()) {
                return Ok::<_, Infallible>(StatusCode::NOT_FOUND.into_response());
            }
            Ok(page.oneshot(request).await?.into_response())
        }
    });
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(page_or_not_found);
    Router::new()
        .nest_service("/console", files)
        .layer(axum::middleware::map_response(cache_and_policy))
}

/// Whether `path` asks for a file (its last segment has an extension) rather than a place in
/// the app.
fn names_a_file(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    Path::new(last).extension().is_some()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_an_extension_is_a_file_and_any_other_path_a_place_in_the_app() {
        for file in [
            "/console-1a2b.js",
            "/console-1a2b_bg.wasm",
            "/a/b/style.css",
        ] {
            assert!(names_a_file(file), "{file}");
        }
        for place in ["/", "", "/conversations/12", "/.hidden", "/v1.2/x"] {
            assert!(!names_a_file(place), "{place}");
        }
    }
}
