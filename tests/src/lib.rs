//! Helpers shared by the black-box tests: a backend on an ephemeral port over SQLite or a fresh
//! PostgreSQL database, a WebSocket client speaking the protocol frames, and token signing.

pub mod client;
pub mod server;
pub mod silent;
pub mod tokens;

pub use client::WsClient;
pub use server::{Db, Options, TestServer};

/// Every database engine the tests run on. PostgreSQL comes from `WEBCHAT_TEST_POSTGRES_URL`,
/// which `cargo xtask test` sets after starting a throw-away server.
pub fn engines() -> [Db; 2] {
    [Db::Sqlite, Db::Postgres]
}
