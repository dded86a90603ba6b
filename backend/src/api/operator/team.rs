//! `GET /api/v1/operator/operators`: the operators sharing an integration with the caller (the
//! caller included), each with the integrations they share and whether it is online now: whom
//! the console offers to assign a conversation to.

use super::auth::OperatorSession;
use super::error::OperatorApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use protocol::operator::{Teammate, TeammateList};

pub async fn list(
    State(state): State<AppState>,
    session: OperatorSession,
) -> Result<Json<TeammateList>, OperatorApiError> {
    let team = state.store.team_of(session.account_id).await?;
    let operators = team
        .into_iter()
        .map(|member| Teammate {
            online: state.presence.is_online(member.id),
            id: member.id,
            name: member.name,
            integrations: member.integrations,
        })
        .collect();
    Ok(Json(TeammateList { operators }))
}
