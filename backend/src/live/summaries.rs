//! Conversations' summaries for the operator sockets, read once per change for all of them and
//! in batches: an event that changes a conversation's summary marks it stale
//! ([`super::stale`]), and one task reads the stale conversations together (each once, however
//! many changes it had meanwhile) and publishes each summary on its integration's channel as
//! [`InboxEvent::Summary`], after the events that changed it. The store is read once per batch,
//! not once per event or per operator online, and no socket waits on it: each sends an event's
//! own frame at once.

use super::operators::{InboxEvent, OperatorHub};
use super::stale::Stale;
use crate::state::AppState;
use crate::storage::Storage;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long the changes after a first stale conversation's are gathered into its read: at a
/// thousand messages a second, reads of about ten conversations instead of two, and a summary
/// a console cannot tell was late.
const GATHER: Duration = Duration::from_millis(10);

/// How long the task waits after a failed read before it tries those conversations again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Starts the task that reads the stale summaries of `state`'s operator hub; it stops with the
/// server.
pub fn start(state: &AppState) {
    tokio::spawn(run(
        Arc::clone(&state.store),
        Arc::clone(&state.operator_hub),
        state.shutdown.clone(),
    ));
}

async fn run(store: Arc<dyn Storage>, hub: Arc<OperatorHub>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let batch = tokio::select! {
            batch = hub.stale().next(GATHER) => batch,
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        };
        let ids: Vec<i64> = batch.iter().map(|stale| stale.conversation_id).collect();
        match store.shared_summaries(&ids).await {
            Ok(summaries) => {
                let mut batch: HashMap<i64, Stale> = batch
                    .into_iter()
                    .map(|stale| (stale.conversation_id, stale))
                    .collect();
                for summary in summaries {
                    if let Some(stale) = batch.remove(&summary.summary.id) {
                        hub.publish(
                            &stale.integration_id,
                            InboxEvent::Summary {
                                summary: Box::new(summary),
                                audience: stale.audience,
                            },
                        );
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, conversations = ids.len(), "summaries not read");
                for stale in batch {
                    hub.stale()
                        .mark(&stale.integration_id, stale.conversation_id, stale.audience);
                }
                tokio::select! {
                    () = tokio::time::sleep(RETRY_AFTER) => {}
                    _ = shutdown.wait_for(|stopping| *stopping) => return,
                }
            }
        }
    }
}
