//! The operator API under `/api/v1/operator/`: what the console and other operator clients
//! call. Every route but login authenticates with [`auth::OperatorSession`].

pub mod auth;
mod canned;
mod error;
pub mod json_body;

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
        .route(
            "/api/v1/operator/canned-replies",
            get(canned::list).post(canned::create),
        )
        .route(
            "/api/v1/operator/canned-replies/{id}",
            put(canned::update).delete(canned::delete),
        )
}
