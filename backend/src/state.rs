//! What every request handler shares.

use crate::bridge::figures::BridgeFigures;
use crate::config::integrations::Integrations;
use crate::config::settings::{
    BridgeSettings, Limits, MetricsSettings, OperatorSettings, ServerSettings,
};
use crate::demo::operator::DemoLogin;
use crate::live::hub::Hub;
use crate::live::operators::OperatorHub;
use crate::live::presence::Presence;
use crate::net::client_ip::ClientIp;
use crate::net::ratelimit::RateLimits;
use crate::net::slots::Slots;
use crate::storage::Storage;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// The server's shared state; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub integrations: Arc<Integrations>,
    pub hub: Arc<Hub>,
    /// What happens in each integration's conversations, for its operators' sockets.
    pub operator_hub: Arc<OperatorHub>,
    /// Which console operators have a socket open.
    pub presence: Arc<Presence>,
    pub limits: Limits,
    pub bridge: BridgeSettings,
    pub rate_limits: Arc<RateLimits>,
    /// Open WebSocket sessions by visitor id.
    pub sessions: Arc<Slots<i64>>,
    /// Open operator sockets by account id.
    pub operator_sockets: Arc<Slots<i64>>,
    pub server: Arc<ServerSettings>,
    /// Where limits per IP address read the client's address.
    pub client_ip: ClientIp,
    /// Each bridged integration's backlog, kept by the outbox worker.
    pub outboxes: Arc<BridgeFigures>,
    pub metrics: MetricsSettings,
    /// Console operators' sessions and login limits.
    pub operators: OperatorSettings,
    pub public_url: String,
    pub widget_dir: PathBuf,
    /// Set when the server runs its embedded default (enables the `/demo` routes).
    pub demo: bool,
    /// How to log in as the embedded default's operator (with `demo` only).
    pub demo_login: Option<Arc<DemoLogin>>,
    /// Turns true when the server shuts down; live sessions then close.
    pub shutdown: watch::Receiver<bool>,
    /// Held by every clone; [`crate::serve`] waits for all of them to be dropped.
    pub alive: Option<mpsc::Sender<()>>,
}

#[cfg(test)]
impl AppState {
    /// A state for unit tests on `store` with `limits` and no integrations; `shutdown` turning
    /// true closes live sessions.
    pub fn for_tests(
        store: Arc<dyn Storage>,
        limits: Limits,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            store,
            integrations: Arc::new(Integrations::default()),
            hub: Arc::new(Hub::default()),
            operator_hub: Arc::new(OperatorHub::default()),
            presence: Arc::new(Presence::default()),
            limits,
            bridge: BridgeSettings::default(),
            rate_limits: Arc::new(RateLimits::new(&limits, &OperatorSettings::default())),
            sessions: Arc::new(Slots::new(limits.max_sessions_per_visitor)),
            operator_sockets: Arc::new(Slots::new(
                OperatorSettings::default().max_sockets_per_account,
            )),
            server: Arc::new(ServerSettings::default()),
            client_ip: ClientIp::from_setting(None).expect("no header is valid"),
            outboxes: Arc::new(BridgeFigures::new([])),
            metrics: MetricsSettings::default(),
            operators: OperatorSettings::default(),
            public_url: String::new(),
            widget_dir: PathBuf::new(),
            demo: false,
            demo_login: None,
            shutdown,
            alive: None,
        }
    }
}
