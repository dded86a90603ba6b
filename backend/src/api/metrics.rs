//! `GET /metrics`: the Prometheus text format ([`crate::telemetry`]), with each bridged
//! integration's backlog and last failure read from the outbox worker's figures. With
//! `[metrics] token` set, a scrape must send it as a bearer token (401 otherwise); with
//! `[metrics] listen` set, the route is served there instead of on the public listener.

use crate::state::AppState;
use crate::store::now_ms;
use crate::telemetry::{self, LastFailure, OutboxGauges};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// The content type of the Prometheus text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics.token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(sent.as_bytes().ct_eq(token.expose().as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the bearer token of [metrics] token\n",
            )
                .into_response();
        }
    }
    let now = now_ms();
    let outboxes: Vec<OutboxGauges<'_>> = state
        .outboxes
        .iter()
        .map(|(integration, figures)| {
            let backlog = figures.backlog();
            OutboxGauges {
                integration,
                depth: backlog.depth,
                oldest_age: backlog.oldest_age(now),
                dead_letters: backlog.dead_letters,
                backlog_alert: backlog.alert(&state.bridge, now).is_some(),
                last_error: figures.last_error().map(|error| LastFailure {
                    kind: error.kind,
                    text: error.text,
                    at_ms: error.at,
                }),
            }
        })
        .collect();
    (
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        telemetry::render(&outboxes),
    )
        .into_response()
}
