//! Turning settings into a running state: open the store, set up the integrations (or the
//! embedded demo), and warn about configurations that are unsafe in production or speak a
//! language the chat does not.

use crate::bridge::figures::BridgeFigures;
use crate::config::integrations::{IntegrationError, Integrations, RECOMMENDED_SIGN_KEY_BYTES};
use crate::config::languages;
use crate::config::settings::{Settings, SettingsError, Source};
use crate::demo::operator::DemoOperatorError;
use crate::demo::{integration, operator};
use crate::live::hub::Hub;
use crate::live::operators::OperatorHub;
use crate::live::presence::Presence;
use crate::net::client_ip::ClientIp;
use crate::net::ratelimit::RateLimits;
use crate::net::slots::Slots;
use crate::state::AppState;
use crate::store::StoreError;
use std::sync::Arc;
use tokio::sync::watch;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Integration(#[from] IntegrationError),
    #[error("server.client_ip_header is not a valid HTTP header name (example: X-Forwarded-For)")]
    ClientIpHeader,
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("cannot set up the demo operator: {0}")]
    DemoOperator(#[from] DemoOperatorError),
}

/// The shared state for `settings`; `shutdown` turning true closes live sessions.
pub async fn build_state(
    settings: &Settings,
    source: Source,
    shutdown: watch::Receiver<bool>,
) -> Result<AppState, StartError> {
    settings.validate()?;
    crate::telemetry::install();
    let store =
        crate::storage::open(settings.database_url.expose(), settings.sqlite_synchronous).await?;
    let demo = source == Source::EmbeddedDefault && settings.integrations.is_empty();
    let (integrations, demo_login) = if demo {
        let login = operator::ensure(store.as_ref()).await?;
        (
            integration::integrations(store.as_ref()).await?,
            Some(Arc::new(login)),
        )
    } else {
        (Integrations::from_settings(&settings.integrations)?, None)
    };
    for integration in integrations.iter() {
        if integration.sign_key.is_none() {
            tracing::warn!(
                integration = %integration.id,
                "no signKey: unsigned matching-key tokens are accepted, so a visitor can claim any identity"
            );
        }
        if integration.has_short_sign_key() {
            tracing::warn!(
                integration = %integration.id,
                "signKey is shorter than {RECOMMENDED_SIGN_KEY_BYTES} bytes: a short HMAC key can be \
                 guessed offline from one token (RFC 8725 section 3.5); use a random key of at least \
                 {RECOMMENDED_SIGN_KEY_BYTES} bytes in the site and here"
            );
        }
        if integration.allowed_origins.is_empty() {
            tracing::warn!(integration = %integration.id, "no allowed_origins: any site may embed this chat");
        }
        if let Err(unsupported) = languages::find(&integration.params.language_code) {
            tracing::warn!(integration = %integration.id, "{unsupported}");
        }
    }
    let limits = settings.limits;
    let client_ip = ClientIp::from_setting(settings.server.client_ip_header.as_deref())
        .map_err(|_| StartError::ClientIpHeader)?;
    let bridged = integrations
        .iter()
        .filter(|integration| integration.webhook_url.is_some())
        .map(|integration| integration.id.as_str());
    let outboxes = Arc::new(BridgeFigures::new(bridged));
    Ok(AppState {
        store,
        integrations: Arc::new(integrations),
        hub: Arc::new(Hub::default()),
        operator_hub: Arc::new(OperatorHub::default()),
        presence: Arc::new(Presence::default()),
        limits,
        bridge: settings.bridge,
        rate_limits: Arc::new(RateLimits::new(&limits, &settings.operators)),
        sessions: Arc::new(Slots::new(limits.max_sessions_per_visitor)),
        operator_sockets: Arc::new(Slots::new(settings.operators.max_sockets_per_account)),
        server: Arc::new(settings.server.clone()),
        client_ip,
        outboxes,
        metrics: settings.metrics.clone(),
        operators: settings.operators,
        public_url: settings.public_url(),
        widget_dir: settings.widget_dir.clone(),
        demo,
        demo_login,
        shutdown,
        alive: None,
    })
}
