//! The web chat server: serves the loader script and widget bundle, keeps visitors, conversations
//! and messages (SQLite or PostgreSQL), checks matching-key tokens, and runs widgets' WebSocket
//! sessions. `main.rs` only loads settings and calls [`serve`].

pub mod api;
pub mod bundle;
pub mod contact;
pub mod hub;
pub mod integrations;
pub mod params;
pub mod ratelimit;
pub mod sanitize;
pub mod secret;
pub mod session;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod token;
pub mod visitor_token;

use integrations::Integration;
use state::AppState;
use std::future::Future;
use tokio::net::TcpListener;

/// The server's routes over `state`.
pub fn app(state: AppState) -> axum::Router {
    api::router(state)
}

/// Serves `state` on `listener` until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The URL of an integration's loader script.
pub fn script_url(public_url: &str, integration: &Integration) -> String {
    format!("{public_url}/integration/webchat/{}", integration.key())
}

/// The line a site owner pastes into their pages.
pub fn script_tag(script_url: &str) -> String {
    format!("<script src=\"{script_url}\" async></script>")
}
