//! The bridge to the collaboration server: visitors' conversations go out as webhook commands
//! through a durable outbox; operators' commands come in through the inbound webhook route.

pub mod client;
pub mod figures;
mod handoff;
mod lanes;
pub mod worker;

use crate::state::AppState;
use client::HttpClient;
use std::sync::Arc;
use std::time::Duration;
use worker::Worker;

/// Starts the outbox worker when an integration has a `webhook_url`; it stops with the server.
pub fn start(state: &AppState) {
    let integrations: Vec<_> = state
        .integrations
        .iter()
        .filter(|integration| integration.webhook_url.is_some())
        .cloned()
        .collect();
    if integrations.is_empty() {
        return;
    }
    let worker = Worker {
        store: state.store.clone(),
        client: Arc::new(HttpClient::new(Duration::from_millis(
            state.bridge.timeout_ms,
        ))),
        integrations,
        settings: state.bridge,
        figures: Arc::clone(&state.outboxes),
        shutdown: state.shutdown.clone(),
    };
    tokio::spawn(worker.run());
}
