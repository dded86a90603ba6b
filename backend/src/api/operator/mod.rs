//! The operator API under `/api/v1/operator/`: what the console and other operator clients
//! call. Every route but login authenticates with [`auth::OperatorSession`].

mod actions;
pub mod auth;
mod canned;
mod conversations;
mod error;
pub mod json_body;
mod socket;
mod team;

pub use conversations::INBOX_PAGE;

pub use auth::OperatorSession;
pub use error::OperatorApiError;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post, put};

/// The operator API's routes. Not under CORS: the console is served by this server, and API
/// clients are not browsers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/operator/login", post(auth::login))
        .route("/api/v1/operator/logout", post(auth::logout))
        .route("/api/v1/operator/me", get(auth::me))
        .route("/api/v1/operator/ws", get(socket::connect))
        .route("/api/v1/operator/operators", get(team::list))
        .route("/api/v1/operator/conversations", get(conversations::list))
        .route("/api/v1/operator/counts", get(conversations::counts))
        .route(
            "/api/v1/operator/conversations/{id}/messages",
            get(conversations::messages).post(actions::reply),
        )
        .route(
            "/api/v1/operator/conversations/{id}/assign",
            post(actions::assign),
        )
        .route(
            "/api/v1/operator/conversations/{id}/close",
            post(actions::close),
        )
        .route(
            "/api/v1/operator/conversations/{id}/reopen",
            post(actions::reopen),
        )
        .route(
            "/api/v1/operator/conversations/{id}/read",
            post(actions::read),
        )
        .route(
            "/api/v1/operator/canned-replies",
            get(canned::list).post(canned::create),
        )
        .route(
            "/api/v1/operator/canned-replies/{id}",
            put(canned::update).delete(canned::delete),
        )
}
