//! The outbox worker: delivers queued webhook commands to each integration's collaboration
//! server. Only the oldest undelivered command of each conversation is sent, so commands arrive
//! in order per conversation while conversations proceed side by side. A failed command is
//! retried with exponential backoff and jitter, capped; nothing is dropped.

use super::client::CollaborationClient;
use crate::integrations::Integration;
use crate::settings::BridgeSettings;
use crate::store::{OutboxItem, Store, now_ms};
use futures_util::future::join_all;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Commands sent per integration in one round (at most one per conversation).
const BATCH: i64 = 64;

/// The delivery loop's parts.
#[derive(Debug)]
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub client: Arc<dyn CollaborationClient>,
    pub integrations: Vec<Arc<Integration>>,
    pub settings: BridgeSettings,
    /// Notified when commands are queued.
    pub wake: Arc<Notify>,
    pub shutdown: watch::Receiver<bool>,
}

impl Worker {
    /// Delivers until shutdown.
    pub async fn run(mut self) {
        let poll = Duration::from_millis(self.settings.poll_ms.max(1));
        loop {
            let mut busy = false;
            for integration in &self.integrations {
                busy |= self.round(integration).await;
            }
            if busy {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(poll) => {}
                _ = self.shutdown.wait_for(|stopping| *stopping) => return,
            }
        }
    }

    /// Sends what is due; true when a full batch went out (more may be waiting).
    async fn round(&self, integration: &Integration) -> bool {
        let Some(url) = &integration.webhook_url else {
            return false;
        };
        let due = match self
            .store
            .due_commands(&integration.id, now_ms(), BATCH)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, integration = %integration.id, "cannot read the outbox");
                return false;
            }
        };
        let full = i64::try_from(due.len()).is_ok_and(|count| count == BATCH);
        join_all(
            due.into_iter()
                .map(|item| self.deliver(integration, url, item)),
        )
        .await;
        full
    }

    async fn deliver(&self, integration: &Integration, url: &str, item: OutboxItem) {
        let outcome = self.client.deliver(url, &item.command).await;
        let recorded = match &outcome {
            Ok(()) => self.store.mark_delivered(item.id).await,
            Err(error) => {
                let delay = retry_delay(&self.settings, item.attempts + 1, &mut rand::rng());
                tracing::warn!(
                    integration = %integration.id,
                    command = item.id,
                    queue = %item.ordering_key,
                    attempt = item.attempts + 1,
                    next_try_in = ?delay,
                    %error,
                    "webhook command not delivered; will retry"
                );
                let next = now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
                self.store
                    .schedule_retry(item.id, next, &error.to_string())
                    .await
            }
        };
        if let Err(error) = recorded {
            // The command stays queued and is sent again: the receiver dedupes by id (409).
            tracing::error!(%error, command = item.id, "cannot record a delivery outcome");
        }
    }
}

/// Delay before attempt number `attempt` (1-based after the first failure): `base * 2^(n-1)`
/// capped at `max`, with jitter over its upper half so failing clients do not retry in step.
pub fn retry_delay(settings: &BridgeSettings, attempt: i64, rng: &mut impl Rng) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 32) - 1).unwrap_or(31);
    let ceiling = settings
        .retry_base_ms
        .saturating_mul(1u64 << exponent.min(40))
        .min(settings.retry_max_ms)
        .max(1);
    Duration::from_millis(rng.random_range(ceiling / 2..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let settings = BridgeSettings {
            retry_base_ms: 100,
            retry_max_ms: 1000,
            ..BridgeSettings::default()
        };
        let mut rng = rand::rng();
        for (attempt, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (60, 1000),
        ] {
            for _ in 0..50 {
                let delay = retry_delay(&settings, attempt, &mut rng).as_millis();
                assert!(
                    (ceiling / 2..=ceiling).contains(&delay),
                    "attempt {attempt}: {delay}"
                );
            }
        }
    }
}
