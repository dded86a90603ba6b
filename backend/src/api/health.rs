//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::Health;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = state.store.engine().name().to_owned();
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                database,
            }),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unreachable".into(),
                    database,
                }),
            )
        }
    }
}
