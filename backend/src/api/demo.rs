//! `GET /demo/config`: what the demo site needs to embed the chat, only while the server runs its
//! embedded default.

use super::error::ApiError;
use crate::integrations::DEMO_ID;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

pub async fn config(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let demo = state
        .integrations
        .iter()
        .find(|integration| state.demo && integration.id == DEMO_ID)
        .ok_or(ApiError::NotDemo)?;
    let script_url = crate::script_url(&state.public_url, demo);
    Ok(Json(json!({
        "script_url": script_url,
        "script_tag": crate::script_tag(&script_url),
    })))
}
