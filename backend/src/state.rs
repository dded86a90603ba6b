//! What every request handler shares.

use crate::bridge::figures::BridgeFigures;
use crate::hub::Hub;
use crate::integrations::Integrations;
use crate::ratelimit::RateLimiter;
use crate::settings::{BridgeSettings, Limits, MetricsSettings};
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// The server's shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub integrations: Arc<Integrations>,
    pub hub: Arc<Hub>,
    pub limits: Limits,
    pub bridge: BridgeSettings,
    /// Each bridged integration's backlog, kept by the outbox worker.
    pub outboxes: Arc<BridgeFigures>,
    pub metrics: MetricsSettings,
    pub rate_limiter: Arc<RateLimiter>,
    pub public_url: String,
    pub widget_dir: PathBuf,
    /// Set when the server runs its embedded default (enables the `/demo` routes).
    pub demo: bool,
    /// Turns true when the server shuts down; live sessions then close.
    pub shutdown: watch::Receiver<bool>,
    /// Held by every clone; [`crate::serve`] waits for all of them to be dropped.
    pub alive: Option<mpsc::Sender<()>>,
}
