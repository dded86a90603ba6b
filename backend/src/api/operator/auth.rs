//! Operators' login, logout and profile (`/api/v1/operator/login`, `logout`, `me`), and the
//! [`OperatorSession`] extractor every operator route authenticates with.
//!
//! A login answers with the session's token twice: as the `webchat_operator` cookie for the
//! console (`HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when `public_url` is https) and in
//! the body for API clients, who send `Authorization: Bearer TOKEN`. A browser attaches the
//! cookie by itself, so a cookie-authenticated request that changes state must also carry an
//! `Origin` equal to `public_url` (CSRF); a bearer token is never sent by a browser on its own
//! and needs none. Failed logins are limited per client IP and per e-mail, asked before any
//! password is checked; a successful login does not count. An unknown e-mail costs the same
//! hashing as a wrong password.

use super::error::OperatorApiError;
use super::json_body::read_json;
use crate::auth::password::{self, Verdict};
use crate::auth::token;
use crate::config::settings::OperatorSettings;
use crate::desk::{Account, SessionLifetime, normalize_email};
use crate::state::AppState;
use crate::store::{StoreError, now_ms};
use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use cookie::{Cookie, SameSite};
use protocol::operator::{LoginAnswer, LoginRequest, OperatorProfile};
use std::net::SocketAddr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "webchat_operator";
/// Largest login body: an e-mail and a password with room to spare.
pub const MAX_LOGIN_BYTES: usize = 4 * 1024;
/// The subprotocol the operator WebSocket speaks; the server answers a handshake with it.
pub const SOCKET_PROTOCOL: &str = "webchat.operator";
/// An API client's token rides in the handshake as one more offered subprotocol,
/// `bearer.TOKEN` (browsers cannot set `Authorization` on a WebSocket; a query string would
/// end up in access logs). The server never echoes it.
pub const BEARER_PROTOCOL_PREFIX: &str = "bearer.";

/// The operator a request speaks for, from its session cookie or bearer token.
#[derive(Debug, Clone)]
pub struct OperatorSession {
    pub account_id: i64,
    pub email: String,
    pub name: String,
    /// The integrations it answers, by id; it sees nothing of any other.
    pub integrations: Vec<String>,
    /// What the store keeps of the session's token, for logout.
    token_hash: String,
}

impl OperatorSession {
    /// A session of `account_id` answering `integrations`, for tests that need no account in
    /// the store.
    #[cfg(test)]
    pub fn for_tests(account_id: i64, integrations: &[&str]) -> Self {
        Self {
            account_id,
            email: format!("operator{account_id}@localhost"),
            name: format!("Operator {account_id}"),
            integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
            token_hash: String::new(),
        }
    }

    /// Whether the operator answers `integration_id`.
    pub fn answers(&self, integration_id: &str) -> bool {
        self.integrations.iter().any(|id| id == integration_id)
    }

    fn profile(&self) -> OperatorProfile {
        OperatorProfile {
            id: self.account_id,
            email: self.email.clone(),
            name: self.name.clone(),
            integrations: self.integrations.clone(),
        }
    }
}

/// How a request presented its session.
enum Presented<'a> {
    Bearer(&'a str),
    Cookie(String),
}

fn presented(headers: &HeaderMap) -> Option<Presented<'_>> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(Presented::Bearer(bearer.trim()));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| Presented::Cookie(cookie.value().to_owned()))
}

/// Whether a cookie-authenticated request may go on: reads always, changes only from the
/// server's own origin.
fn origin_allowed(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    method == Method::GET || method == Method::HEAD || same_origin(headers, public_url)
}

/// Whether the request's `Origin` is the server's own.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|origin| origin.trim_end_matches('/') == public_url)
}

fn lifetime(settings: &OperatorSettings) -> SessionLifetime {
    let millis = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    SessionLifetime {
        idle_ms: millis(settings.session_idle_secs),
        absolute_ms: millis(settings.session_lifetime_secs),
    }
}

impl OperatorSession {
    /// The session whose token is `token`, if it is still open (using it keeps it open).
    async fn by_token(state: &AppState, token: &str) -> Result<Self, OperatorApiError> {
        let token_hash = token::hash(token);
        let account = state
            .store
            .session(&token_hash, lifetime(&state.operators), now_ms())
            .await?
            .ok_or(OperatorApiError::NotLoggedIn)?;
        let Account {
            id,
            email,
            name,
            integrations,
        } = account;
        Ok(Self {
            account_id: id,
            email,
            name,
            integrations,
            token_hash,
        })
    }

    /// The session of a WebSocket handshake: a `bearer.TOKEN` subprotocol, or the cookie with
    /// an `Origin` equal to `public_url` although the handshake is a GET, since browsers send
    /// cookies with cross-site WebSocket handshakes and no CORS check guards a socket.
    pub async fn of_socket(
        headers: &HeaderMap,
        state: &AppState,
    ) -> Result<Self, OperatorApiError> {
        let bearer = headers
            .get_all(header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .find_map(|offered| offered.trim().strip_prefix(BEARER_PROTOCOL_PREFIX));
        if let Some(token) = bearer {
            return Self::by_token(state, token).await;
        }
        match presented(headers).ok_or(OperatorApiError::NotLoggedIn)? {
            Presented::Bearer(token) => Self::by_token(state, token).await,
            Presented::Cookie(token) => {
                if !same_origin(headers, &state.public_url) {
                    return Err(OperatorApiError::Csrf {
                        public_url: state.public_url.clone(),
                    });
                }
                Self::by_token(state, &token).await
            }
        }
    }

    /// Whether the session is still open: not logged out, not expired. A live socket asks at
    /// each heartbeat, which also keeps a session in use from going idle.
    pub async fn is_open(&self, state: &AppState) -> Result<bool, StoreError> {
        let found = state
            .store
            .session(&self.token_hash, lifetime(&state.operators), now_ms())
            .await?;
        Ok(found.is_some())
    }
}

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = OperatorApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match presented(&parts.headers).ok_or(OperatorApiError::NotLoggedIn)? {
            Presented::Bearer(token) => Self::by_token(state, token).await,
            Presented::Cookie(token) => {
                if !origin_allowed(&parts.method, &parts.headers, &state.public_url) {
                    return Err(OperatorApiError::Csrf {
                        public_url: state.public_url.clone(),
                    });
                }
                Self::by_token(state, &token).await
            }
        }
    }
}

/// The `Set-Cookie` value for `token` (`None` clears the cookie).
fn session_cookie(state: &AppState, token: Option<&str>) -> Option<HeaderValue> {
    let max_age = match token {
        Some(_) => i64::try_from(state.operators.session_lifetime_secs).unwrap_or(i64::MAX),
        None => 0,
    };
    let cookie = Cookie::build((SESSION_COOKIE, token.unwrap_or_default()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(state.public_url.starts_with("https://"))
        .max_age(cookie::time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// `POST /api/v1/operator/login` `{"email","password"}`.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OperatorApiError> {
    let request: LoginRequest = read_json(&headers, body, MAX_LOGIN_BYTES).await?;
    let email = normalize_email(&request.email);
    let ip = state.client_ip.of(peer, &headers);
    let limits = &state.rate_limits;
    limits
        .logins_per_ip
        .attempt(&ip)
        .map_err(OperatorApiError::RateLimited)?;
    if let Err(refusal) = limits.logins_per_account.attempt(&email) {
        // Refused before any check: not a failure of this address.
        limits.logins_per_ip.succeeded(&ip);
        return Err(OperatorApiError::RateLimited(refusal));
    }
    // Both attempts stay counted as failures unless the password matches, whatever else
    // goes wrong on the way.
    let credentials = state.store.credentials(&email).await?;
    let stored = credentials
        .as_ref()
        .map(|found| found.password_hash.clone());
    let (Verdict::Matches, Some(credentials)) = (
        password::verify(request.password, stored).await?,
        credentials,
    ) else {
        return Err(OperatorApiError::InvalidCredentials);
    };
    limits.logins_per_ip.succeeded(&ip);
    limits.logins_per_account.succeeded(&email);
    let token = token::random_token();
    state
        .store
        .create_session(
            credentials.account_id,
            &token::hash(&token),
            lifetime(&state.operators),
            now_ms(),
        )
        .await?;
    // Removed between the password check and now: as good as unknown.
    let account = state
        .store
        .account(credentials.account_id)
        .await?
        .ok_or(OperatorApiError::InvalidCredentials)?;
    let answer = LoginAnswer {
        operator: OperatorProfile {
            id: account.id,
            email: account.email,
            name: account.name,
            integrations: account.integrations,
        },
        token: token.clone(),
    };
    let cookie = session_cookie(&state, Some(&token));
    Ok((
        AppendHeaders(cookie.map(|value| (header::SET_COOKIE, value))),
        Json(answer),
    )
        .into_response())
}

/// `POST /api/v1/operator/logout`: the session ends; its cookie is cleared.
pub async fn logout(
    State(state): State<AppState>,
    session: OperatorSession,
) -> Result<Response, OperatorApiError> {
    state.store.delete_session(&session.token_hash).await?;
    let cookie = session_cookie(&state, None);
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders(cookie.map(|value| (header::SET_COOKIE, value))),
    )
        .into_response())
}

/// `GET /api/v1/operator/me`: who is logged in.
pub async fn me(session: OperatorSession) -> Json<OperatorProfile> {
    Json(session.profile())
}
