//! `GET /healthz`: 200 `ok` when the database answers, 200 `degraded` when it does but an
//! outbox is past its alert limits (a load balancer must not take a server out because 1C is
//! down: it still takes visitors' messages), 503 when the database does not answer. Cheap: one
//! ping of the database, and the backlog figures the outbox worker keeps in memory. It shows no
//! error text of the collaboration server and no per-integration figures: those are behind
//! `/metrics`.

use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use protocol::{Health, OutboxHealth};

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = state.store.engine().name().to_owned();
    if let Err(error) = state.store.ping().await {
        tracing::error!(%error, "health check: database unreachable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "database unreachable".into(),
                database,
                outbox: None,
                problems: Vec::new(),
            }),
        );
    }
    let now = now_ms();
    let mut outbox: Option<OutboxHealth> = None;
    let mut problems = Vec::new();
    for (_, figures) in state.outboxes.iter() {
        let backlog = figures.backlog();
        let total = outbox.get_or_insert_with(OutboxHealth::default);
        total.depth += backlog.depth;
        total.dead_letters += backlog.dead_letters;
        let age = backlog.oldest_age(now).map(|age| {
            let millis = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            millis.max(total.oldest_undelivered_ms.unwrap_or(0))
        });
        total.oldest_undelivered_ms = age.or(total.oldest_undelivered_ms);
        if backlog.alert(&state.bridge, now).is_some() && problems.is_empty() {
            problems.push(
                "the outbox to a collaboration server is past its alert limits \
                 (outbox_alert_age_secs / outbox_alert_depth); see /metrics"
                    .to_owned(),
            );
        }
    }
    let status = if problems.is_empty() {
        "ok"
    } else {
        "degraded"
    };
    (
        StatusCode::OK,
        Json(Health {
            status: status.into(),
            database,
            outbox,
            problems,
        }),
    )
}
