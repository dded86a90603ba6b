//! Turning settings into a running state: open the store, set up the integrations (or the
//! embedded demo), and warn about configurations that are unsafe in production.

use crate::bridge::figures::BridgeFigures;
use crate::hub::Hub;
use crate::integrations::{IntegrationError, Integrations};
use crate::ratelimit::RateLimiter;
use crate::settings::{Settings, SettingsError, Source};
use crate::state::AppState;
use crate::store::{SqlStore, StoreError};
use std::sync::Arc;
use tokio::sync::watch;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Integration(#[from] IntegrationError),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// The shared state for `settings`; `shutdown` turning true closes live sessions.
pub async fn build_state(
    settings: &Settings,
    source: Source,
    shutdown: watch::Receiver<bool>,
) -> Result<AppState, StartError> {
    settings.validate()?;
    crate::telemetry::install();
    let store = Arc::new(SqlStore::connect(settings.database_url.expose()).await?);
    let integrations = match source {
        Source::EmbeddedDefault if settings.integrations.is_empty() => {
            Integrations::demo(store.as_ref()).await?
        }
        _ => Integrations::from_settings(&settings.integrations)?,
    };
    for integration in integrations.iter() {
        if integration.sign_key.is_none() {
            tracing::warn!(
                integration = %integration.id,
                "no signKey: unsigned matching-key tokens are accepted, so a visitor can claim any identity"
            );
        }
        if integration.allowed_origins.is_empty() {
            tracing::warn!(integration = %integration.id, "no allowed_origins: any site may embed this chat");
        }
    }
    let limits = settings.limits;
    let bridged = integrations
        .iter()
        .filter(|integration| integration.webhook_url.is_some())
        .map(|integration| integration.id.as_str());
    let outboxes = Arc::new(BridgeFigures::new(bridged));
    Ok(AppState {
        store,
        integrations: Arc::new(integrations),
        hub: Arc::new(Hub::default()),
        limits,
        bridge: settings.bridge,
        outboxes,
        metrics: settings.metrics.clone(),
        rate_limiter: Arc::new(RateLimiter::new(
            limits.messages_per_minute,
            limits.message_burst,
        )),
        public_url: settings.public_url(),
        widget_dir: settings.widget_dir.clone(),
        demo: source == Source::EmbeddedDefault && settings.integrations.is_empty(),
        shutdown,
        alive: None,
    })
}
