//! The bridge to the collaboration server: visitors' conversations go out as webhook commands
//! through a durable outbox; operators' commands come in through the inbound webhook route.
//! What it keeps in the database ([`OutboxStore`], [`InboundStore`]) is implemented on the
//! store's `SqlStore`, through the statements in `sql/` (and, where an engine reads or deletes
//! the outbox its own way, `engines.rs`).

pub mod client;
mod engines;
pub mod figures;
mod handoff;
mod inbound_store;
pub mod interface;
mod lanes;
mod outbox_store;
#[cfg(test)]
mod store_tests;
pub mod worker;

pub use interface::{
    AfterFailure, DeadLetter, DeadLetters, Due, Failure, InboundStore, Operator, OutboxCounts,
    OutboxStore, Write,
};

use crate::config::integrations::Integrations;
use crate::config::settings::BridgeSettings;
use client::HttpClient;
use figures::BridgeFigures;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use worker::Worker;

/// Starts the outbox worker when an integration has a `webhook_url`: it delivers what `store`
/// queues as `settings` say, keeps `figures` and stops when `shutdown` says so.
pub fn start(
    store: Arc<dyn OutboxStore>,
    integrations: &Integrations,
    settings: BridgeSettings,
    figures: Arc<BridgeFigures>,
    shutdown: watch::Receiver<bool>,
) {
    let integrations: Vec<_> = integrations
        .iter()
        .filter(|integration| integration.webhook_url.is_some())
        .cloned()
        .collect();
    if integrations.is_empty() {
        return;
    }
    let worker = Worker {
        store,
        client: Arc::new(HttpClient::new(Duration::from_millis(settings.timeout_ms))),
        integrations,
        settings,
        figures,
        shutdown,
    };
    tokio::spawn(worker.run());
}
