//! `GET /healthz`: 200 when the database answers, 503 when it does not, with the delivery state
//! of every collaboration-server bridge (outbox depth, oldest undelivered age, last error).

use crate::state::AppState;
use crate::store::{StoreError, now_ms};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::{BridgeHealth, Health};

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = state.store.engine().name().to_owned();
    match check(&state).await {
        Ok(bridges) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                database,
                bridges,
            }),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unreachable".into(),
                    database,
                    bridges: Vec::new(),
                }),
            )
        }
    }
}

async fn check(state: &AppState) -> Result<Vec<BridgeHealth>, StoreError> {
    state.store.ping().await?;
    let now = now_ms();
    let mut bridges = Vec::new();
    for integration in state.integrations.iter() {
        if integration.webhook_url.is_none() {
            continue;
        }
        let stats = state.store.outbox_stats(&integration.id).await?;
        bridges.push(BridgeHealth {
            integration: integration.id.clone(),
            outbox_depth: stats.depth,
            oldest_undelivered_ms: stats.oldest_created_at.map(|created| now - created),
            last_error: stats.last_error,
        });
    }
    bridges.sort_by(|a, b| a.integration.cmp(&b.integration));
    Ok(bridges)
}
