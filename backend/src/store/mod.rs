//! Storage of visitors, people, conversations, messages and the outbox, behind the [`Store`]
//! trait. [`open`] picks the engine once from the URL's scheme: SQLite ([`sqlite`]) or
//! PostgreSQL ([`postgres`]), each on its own typed pool. What both engines run alike is
//! written once, over either pool ([`sql_store`], [`bridge_store`]); messages go through one
//! group-commit [`writer`], which plans each batch in plain Rust ([`batch`]) and hands it to
//! the engine's `write_batch`. Console operators' accounts and sessions: [`accounts`], `account_store`;
//! their canned replies: [`canned`], `canned_store`.

mod account_store;
mod accounts;
mod batch;
mod bridge_store;
mod canned;
mod canned_store;
mod conversation_refs;
#[cfg(test)]
mod fixtures;
mod inbox;
mod inbox_store;
#[cfg(test)]
mod inbox_tests;
mod interface;
mod postgres;
mod rows;
mod sql_store;
mod sqlite;
#[cfg(test)]
pub(crate) mod test_stores;
#[cfg(test)]
mod tests;
mod writer;

pub use accounts::{
    Account, Credentials, EmailTaken, NewAccount, SessionLifetime, TeamMember, normalize_email,
};
pub use canned::{CannedDraft, CannedSaved, InvalidCanned, MAX_SHORTCUT_CHARS};
pub use inbox::{
    Assignment, ConsoleReply, ConversationAddress, InboxCursor, InboxFilter, InboxPage, ReadMark,
    Replied, SharedSummary, StatusChange, Tally,
};
pub use inbox_store::{
    READ_THROUGH_STATEMENT, UNREAD_TALLY_STATEMENT, page_statement as inbox_page_statement,
};
pub use interface::{
    AccountStore, AfterFailure, Appended, BridgeStore, CannedStore, ConversationHeader,
    ConversationRef, DeadLetter, DeadLetters, Engine, Failure, Identified, InboxStore, NewMessage,
    Operator, OutboxCounts, Refused, Store, StoreError, StoreResult, TokenRotation, Visitor, Write,
    now_ms,
};

use crate::config::settings::SqliteSynchronous;
use std::sync::Arc;

/// Opens the store at `url` (`sqlite://file.db` or `postgres://...`), SQLite's commits made as
/// durable as `synchronous` says, and applies the engine's migrations.
pub async fn open(url: &str, synchronous: SqliteSynchronous) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::open(url, synchronous).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}
