//! The widget API under `/api/v1/chat/{id}:{token}`: create a visitor, check or log it out, and
//! open its WebSocket. The integration and the page's `Origin` are checked before anything else, and the
//! visitor before a WebSocket is upgraded.

use super::error::{ApiError, refused};
use crate::auth::visitor_token;
use crate::config::integrations::Integration;
use crate::config::settings::Limits;
use crate::content::browser;
use crate::live::hub::HubEvent;
use crate::live::session::{self, Resume};
use crate::net::listener::ConnectionSlot;
use crate::state::AppState;
use crate::store::{Visitor, now_ms};
use axum::Json;
use axum::extract::{ConnectInfo, Extension, Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures_util::{FutureExt, StreamExt};
use protocol::{VisitorCreated, WsQuery};
use std::net::SocketAddr;
use std::sync::Arc;

/// Bytes tungstenite reads and writes at a time: small, since most sessions are idle.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;
/// Room for the JSON around a text or token in a frame.
const FRAME_OVERHEAD_BYTES: usize = 128 * 1024;

/// The WebSocket library's buffers and limits for one session, always set explicitly: its
/// defaults (a 128 KiB read buffer, an unbounded write buffer, 64 MiB messages) would cost an
/// idle session many times what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketBuffers {
    pub read_buffer: usize,
    pub write_buffer: usize,
    /// Most bytes waiting to be written before sending fails: a peer that stops reading
    /// cannot make the server buffer without end.
    pub max_write_buffer: usize,
    /// Largest message and frame accepted. Oversized texts and tokens still get an error
    /// frame; only far larger frames close the socket.
    pub max_message: usize,
}

impl SocketBuffers {
    pub fn for_limits(limits: &Limits) -> Self {
        let max_message =
            limits.max_message_bytes.max(limits.max_token_bytes) * 4 + FRAME_OVERHEAD_BYTES;
        Self {
            read_buffer: SOCKET_BUFFER_BYTES,
            write_buffer: SOCKET_BUFFER_BYTES,
            max_write_buffer: SOCKET_BUFFER_BYTES + max_message,
            max_message,
        }
    }

    pub fn apply(self, upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
        upgrade
            .read_buffer_size(self.read_buffer)
            .write_buffer_size(self.write_buffer)
            .max_write_buffer_size(self.max_write_buffer)
            .max_message_size(self.max_message)
            .max_frame_size(self.max_message)
    }
}

/// `POST .../visitors`: a new anonymous visitor, on the widget's first interaction. Limited per
/// client IP: each visitor costs rows and, with a bridge, commands to the collaboration server.
pub async fn create_visitor(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<(StatusCode, Json<VisitorCreated>), ApiError> {
    let integration = integration(&state, &key, &headers)?;
    state
        .rate_limits
        .new_visitors
        .check(&state.client_ip.of(peer, &headers))
        .map_err(|refusal| refused(ApiError::RateLimited(refusal)))?;
    let token = visitor_token::random_token();
    let visitor = state
        .store
        .create_visitor(
            &integration.id,
            &visitor_token::hash(&token),
            browser::from_headers(&headers).as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitorCreated {
            visitor_id: visitor.id,
            visitor_token: token,
        }),
    ))
}

/// `GET .../visitor`: whether the server still knows the visitor token (`204`, else `401`):
/// a widget whose connection is closed before its welcome asks, since a browser does not show
/// it why a WebSocket upgrade failed.
pub async fn check_visitor(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let integration = integration(&state, &key, &headers)?;
    visitor(&state, &integration, bearer(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor token of `Authorization: Bearer ...`.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(ApiError::MissingVisitorToken)
}

/// `DELETE .../visitor`: `logout()`. The token is refused from now on and open sessions close.
pub async fn logout(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let integration = integration(&state, &key, &headers)?;
    let visitor = visitor(&state, &integration, bearer(&headers)?).await?;
    state.store.revoke_visitor(visitor.id).await?;
    state.hub.publish(
        &visitor.person_id,
        HubEvent::Revoked {
            visitor_id: visitor.id,
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// `GET .../ws?visitor_token=...`: the visitor's live session. It holds one of the visitor's
/// session slots and its connection's place in the per-IP cap until it ends.
pub async fn connect(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<WsQuery>,
    connection: Option<Extension<ConnectionSlot>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let integration = integration(&state, &key, &headers)?;
    let visitor = visitor(&state, &integration, &query.visitor_token).await?;
    let session_slot = state
        .sessions
        .take(visitor.id)
        .map_err(|full| refused(ApiError::TooManySessions { max: full.max }))?;
    let resume = Resume {
        conversation_id: query.conversation_id,
        after_seq: query.after_seq,
    };
    Ok(SocketBuffers::for_limits(&state.limits)
        .apply(upgrade)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            // The session's slots are given back when it ends. A combinator, not an `async`
            // block, which would hold the session's future twice (see `live::socket::drive`).
            session::run(sink, stream, state, integration, visitor, resume)
                .map(move |()| drop((session_slot, connection)))
        }))
}

/// The integration named by `key`, if the request's `Origin` may use it.
pub fn integration(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
) -> Result<Arc<Integration>, ApiError> {
    let integration = state
        .integrations
        .by_key(key)
        .ok_or(ApiError::UnknownIntegration)?;
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok());
    if !integration.allows_origin(origin) {
        return Err(ApiError::OriginNotAllowed(
            origin.unwrap_or("(none)").to_owned(),
        ));
    }
    Ok(integration)
}

async fn visitor(
    state: &AppState,
    integration: &Integration,
    token: &str,
) -> Result<Visitor, ApiError> {
    let seen_since = visitor_token::seen_since(state.limits.visitor_idle_days, now_ms());
    state
        .store
        .visitor_by_token(&integration.id, &visitor_token::hash(token), seen_since)
        .await?
        .ok_or(ApiError::UnknownVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tungstenite's own defaults, which an idle session must not pay for.
    const LIBRARY_READ_BUFFER: usize = 128 * 1024;

    #[test]
    fn socket_buffers_are_set_small_and_bounded() {
        let buffers = SocketBuffers::for_limits(&Limits::default());
        assert_eq!(buffers.read_buffer, SOCKET_BUFFER_BYTES);
        assert_eq!(buffers.write_buffer, SOCKET_BUFFER_BYTES);
        assert!(buffers.read_buffer < LIBRARY_READ_BUFFER);
        // tungstenite requires room for at least one write buffer's worth beyond it.
        assert!(buffers.max_write_buffer > buffers.write_buffer);
        assert!(buffers.max_write_buffer < usize::MAX);
        let limits = Limits::default();
        assert!(buffers.max_message >= limits.max_message_bytes * 4);
        assert!(buffers.max_message >= limits.max_token_bytes * 4);
        assert!(buffers.max_message < 64 << 20);
    }
}
