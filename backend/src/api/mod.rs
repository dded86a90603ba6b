//! The HTTP surface: routes, CORS and request logging. The widget's API is in [`chat`], the
//! operators' in [`operator`].

pub mod bundle;
mod chat;
mod console;
mod demo;
mod error;
mod health;
mod loader;
mod metrics;
pub mod operator;
mod pictures;
mod webhook;

pub use chat::SocketBuffers;
pub use console::CONTENT_SECURITY_POLICY as CONSOLE_CONTENT_SECURITY_POLICY;
pub use error::ApiError;

use crate::config::integrations::Integrations;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, Request, header, request::Parts};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Bundle files have content-hashed names, so they never change. `cargo xtask build` writes
/// `.br` and `.gz` copies beside them, served to browsers that accept those encodings.
const BUNDLE_CACHE: &str = "public, max-age=31536000, immutable";
/// The loader is compressed per request: a middle level, its text is a few KB.
const LOADER_COMPRESSION: CompressionLevel = CompressionLevel::Precise(5);
const CORS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let chat = Router::new()
        .route("/api/v1/chat/{key}/visitors", post(chat::create_visitor))
        .route(
            "/api/v1/chat/{key}/visitor",
            get(chat::check_visitor).delete(chat::logout),
        )
        .route("/api/v1/chat/{key}/ws", get(chat::connect))
        .route(
            "/api/v1/chat/{key}/operators/{operator_id}/picture",
            get(pictures::operator_picture),
        )
        .layer(integration_cors(Arc::clone(&state.integrations)));
    let widget = Router::new()
        .route(
            "/integration/webchat/{key}",
            get(loader::script).layer(CompressionLayer::new().quality(LOADER_COMPRESSION)),
        )
        .nest_service(
            "/widget",
            Router::new()
                .route("/console", get(console::not_here))
                .route("/console/", get(console::not_here))
                .route("/console/{*path}", get(console::not_here))
                .fallback_service(
                    ServeDir::new(&state.widget_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                )
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(BUNDLE_CACHE),
                )),
        )
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET]),
        );
    let inbound = Router::new()
        .route(
            "/integration/webhook/{key}/callback",
            post(webhook::callback),
        )
        .layer(DefaultBodyLimit::max(webhook::MAX_COMMAND_BYTES));
    let public = Router::new().route("/healthz", get(health::health));
    let public = match state.metrics.listen {
        Some(_) => public,
        None => public.merge(metrics_router()),
    };
    public
        .merge(inbound)
        .route("/demo/config", get(demo::config))
        .route("/demo/matching-key-token", post(demo::matching_key_token))
        .route("/demo/operator-login", get(demo::operator_login))
        .merge(chat)
        .merge(operator::router())
        .merge(widget)
        .merge(console::router(&state.widget_dir.join("console")))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %loggable_path(request.uri().path()),
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// `GET /metrics` alone, for the public router or a listener of its own (`[metrics] listen`).
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics::metrics))
}

/// CORS for the widget API: the `Origin` must be allowed by the integration in the path.
fn integration_cors(integrations: Arc<Integrations>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, parts: &Parts| {
                let key = parts
                    .uri
                    .path()
                    .strip_prefix("/api/v1/chat/")
                    .and_then(|rest| rest.split('/').next())
                    .map(|key| key.replace("%3A", ":").replace("%3a", ":"));
                key.and_then(|key| integrations.by_key(&key))
                    .is_some_and(|integration| integration.allows_origin(origin.to_str().ok()))
            },
        ))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(CORS_MAX_AGE)
}

/// The path with every `{id}:{token}` segment's token hidden: webhook tokens are secrets.
fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let id_end = segment
                .find(':')
                .or_else(|| segment.to_ascii_lowercase().find("%3a"));
            match id_end {
                Some(end) => format!("{}:[redacted]", &segment[..end]),
                None => segment.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn hides_tokens_in_logged_paths() {
        assert_eq!(
            loggable_path("/integration/webhook/7:s3cret/callback"),
            "/integration/webhook/7:[redacted]/callback"
        );
        assert_eq!(
            loggable_path("/api/v1/chat/demo%3Atok/ws"),
            "/api/v1/chat/demo:[redacted]/ws"
        );
        assert_eq!(loggable_path("/healthz"), "/healthz");
    }
}
