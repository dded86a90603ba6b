//! The web chat server: serves the loader script and widget bundle, keeps visitors, conversations
//! and messages (SQLite or PostgreSQL), checks matching-key tokens, and runs widgets' WebSocket
//! sessions. `main.rs` only loads settings and calls [`serve`].

pub mod api;
pub mod auth;
pub mod bridge;
pub mod cli;
pub mod config;
pub mod content;
pub mod demo;
pub mod desk;
pub mod live;
pub mod net;
pub mod outbox;
pub mod people;
pub mod startup;
pub mod state;
pub mod storage;
pub mod store;
pub mod telemetry;

use config::integrations::Integration;
use state::AppState;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The server's routes over `state`.
pub fn app(state: AppState) -> axum::Router {
    api::router(state)
}

/// Longest wait for WebSocket sessions to close after shutdown began.
pub const SESSION_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `state` on `listener` until `shutdown` completes, then lets requests in flight finish
/// and waits for WebSocket sessions to say goodbye (`state.shutdown` must turn true with it).
pub async fn serve(
    listener: TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Some(address) = state.metrics.listen {
        // Before `alive` is set: the metrics listener must not hold the sessions' drain open.
        serve_metrics(TcpListener::bind(address).await?, state.clone())?;
    }
    // Every clone of the state holds a sender; sessions hold clones, so the channel closes
    // when the last session ends.
    let (alive, mut all_gone) = mpsc::channel::<()>(1);
    state.alive = Some(alive);
    bridge::start(
        state.store.clone(),
        &state.integrations,
        state.bridge,
        Arc::clone(&state.outboxes),
        state.shutdown.clone(),
    );
    live::summaries::start(&state);
    let settings = Arc::clone(&state.server);
    net::listener::serve(listener, app(state), &settings, shutdown).await;
    if tokio::time::timeout(SESSION_DRAIN_TIMEOUT, all_gone.recv())
        .await
        .is_err()
    {
        tracing::warn!("sessions still open after {SESSION_DRAIN_TIMEOUT:?}; exiting anyway");
    }
    Ok(())
}

/// Serves `/metrics` alone on `listener` (`[metrics] listen`), with the same timeouts and
/// per-IP cap as the public listener, until the server shuts down.
fn serve_metrics(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    tracing::info!(listen = %listener.local_addr()?, "metrics listening");
    let mut shutdown = state.shutdown.clone();
    let settings = Arc::clone(&state.server);
    let app = api::metrics_router().with_state(state);
    tokio::spawn(async move {
        let stopped = async move {
            let _ = shutdown.wait_for(|stopping| *stopping).await;
        };
        net::listener::serve(listener, app, &settings, stopped).await;
    });
    Ok(())
}

/// The URL of an integration's loader script.
pub fn script_url(public_url: &str, integration: &Integration) -> String {
    format!("{public_url}/integration/webchat/{}", integration.key())
}

/// Where operators open the console.
pub fn console_url(public_url: &str) -> String {
    format!("{public_url}/console/")
}

/// The line a site owner pastes into their pages.
pub fn script_tag(script_url: &str) -> String {
    format!("<script src=\"{script_url}\" async></script>")
}
