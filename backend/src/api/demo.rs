//! The demo routes, answered only while the server runs its embedded default (no config file):
//! `GET /demo/config` tells the demo shop the script tag to embed, and
//! `POST /demo/matching-key-token` plays the shop's server side, signing a matching-key token for
//! any user name with the demo integration's signKey. A real site signs its tokens itself.
//! `GET /demo/operator-login` tells `cargo xtask demo` the console's URL and the demo
//! operator's login; it answers only on the loopback interface, where `xtask` asks from, so
//! the demo operator's password never leaves the machine through it.

use super::error::ApiError;
use crate::config::integrations::{DEMO_ID, Integration};
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

/// How long a demo token is valid.
const DEMO_TOKEN_SECS: i64 = 3600;
/// Longest demo user name.
const MAX_SUB_CHARS: usize = 100;

/// Body of `POST /demo/matching-key-token`.
#[derive(Debug, Deserialize)]
pub struct DemoLogin {
    pub sub: String,
}

pub async fn config(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let demo = demo_integration(&state)?;
    let script_url = crate::script_url(&state.public_url, &demo);
    Ok(Json(json!({
        "script_url": script_url,
        "script_tag": crate::script_tag(&script_url),
    })))
}

pub async fn matching_key_token(
    State(state): State<AppState>,
    Json(login): Json<DemoLogin>,
) -> Result<Json<Value>, ApiError> {
    let demo = demo_integration(&state)?;
    let sub = login.sub.trim();
    if sub.is_empty() || sub.chars().count() > MAX_SUB_CHARS {
        return Err(ApiError::BadRequest(format!(
            "sub must be 1 to {MAX_SUB_CHARS} characters"
        )));
    }
    let key = demo
        .sign_key
        .as_ref()
        .ok_or(ApiError::NotDemo)?
        .expose()
        .as_bytes()
        .to_vec();
    let now = crate::store::now_ms() / 1000;
    let claims = json!({"sub": sub, "iat": now, "exp": now + DEMO_TOKEN_SECS});
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&key),
    )
    .map_err(|error| ApiError::BadRequest(format!("cannot sign: {error}")))?;
    Ok(Json(json!({ "token": token })))
}

fn demo_integration(state: &AppState) -> Result<Arc<Integration>, ApiError> {
    state
        .integrations
        .iter()
        .find(|integration| state.demo && integration.id == DEMO_ID)
        .cloned()
        .ok_or(ApiError::NotDemo)
}

/// `GET /demo/operator-login`: the console URL and the demo operator's e-mail and password
/// (`null` once changed by hand), to loopback clients only.
pub async fn operator_login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Json<Value>, ApiError> {
    let login = state
        .demo_login
        .as_ref()
        .filter(|_| state.demo && peer.ip().is_loopback())
        .ok_or(ApiError::NotDemo)?;
    Ok(Json(json!({
        "console_url": crate::console_url(&state.public_url),
        "email": login.email,
        "password": login.password.as_ref().map(|password| password.expose()),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::secret::Secret;
    use crate::config::settings::Limits;
    use crate::demo::operator::DemoLogin;
    use crate::storage::test_stores::shared_test_stores;

    #[tokio::test]
    async fn the_demo_operators_login_is_told_to_loopback_clients_only() {
        let (_dir, stores) = shared_test_stores().await;
        let (_stop, stopping) = tokio::sync::watch::channel(false);
        let mut state = AppState::for_tests(Arc::clone(&stores[0]), Limits::default(), stopping);
        state.public_url = "http://127.0.0.1:8080".into();
        state.demo = true;
        state.demo_login = Some(Arc::new(DemoLogin {
            email: "demo@localhost".into(),
            password: Some(Secret::new("kept-password")),
        }));
        let ask = |state: AppState, peer: &str| {
            operator_login(State(state), ConnectInfo(peer.parse().unwrap()))
        };
        let Json(login) = ask(state.clone(), "127.0.0.1:5000").await.unwrap();
        assert_eq!(login["console_url"], "http://127.0.0.1:8080/console/");
        assert_eq!(login["password"], "kept-password");
        assert!(ask(state.clone(), "[::1]:5000").await.is_ok());
        let remote = ask(state.clone(), "192.168.1.20:5000").await;
        assert!(matches!(remote, Err(ApiError::NotDemo)));
        state.demo = false;
        assert!(ask(state, "127.0.0.1:5000").await.is_err(), "not the demo");
    }
}
