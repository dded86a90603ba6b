//! Helpers shared by the black-box tests: a backend on an ephemeral port over SQLite or a fresh
//! PostgreSQL database, a WebSocket client speaking the protocol frames, token signing, and
//! the chat embedded in a page in headless Chromium (the browser itself is driven by the
//! `headless` crate, which the widget bench shares).

pub mod axe;
pub mod client;
pub mod database;
mod embedded_chat;
pub mod fake_collab;
pub mod operator;
pub mod server;
pub mod signers;
pub mod silent;
pub mod tokens;

pub use client::WsClient;
pub use embedded_chat::EmbeddedChat;
pub use server::{Db, Options, TestServer};

/// An HTTP client for the tests. The workspace builds reqwest without a built-in TLS provider
/// (the server picks ring), so one is installed first.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Sends `request` and reads its answer as text.
pub async fn text(request: reqwest::RequestBuilder) -> String {
    request
        .send()
        .await
        .expect("request sent")
        .text()
        .await
        .expect("a text answer")
}

/// Sends `request` and parses its JSON answer.
pub async fn json<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    request
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("JSON answer")
}

/// Every database engine the tests run on. PostgreSQL comes from `WEBCHAT_TEST_POSTGRES_URL`,
/// which `cargo xtask test` sets after starting a throw-away server.
pub fn engines() -> [Db; 2] {
    [Db::Sqlite, Db::Postgres]
}
