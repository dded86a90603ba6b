//! Storage of visitors, people, conversations and messages, behind the [`Store`] trait
//! ([`interface`]). Each engine has its own typed pool: SQLite ([`sqlite`]) or PostgreSQL
//! ([`postgres`]). What both engines run alike is written once, over either pool:
//! [`sql_store`] (visitors and their messages) and [`people`] (who a visitor is, and what the
//! collaboration server is told of each person). Messages go through one group-commit
//! [`writer`], which plans each batch in plain Rust ([`batch`]) and hands it to the engine's
//! `write_batch`; the commands a write queues for the collaboration server go into the outbox
//! in the same transaction. The same database holds the console operators' side
//! ([`crate::desk`]) and the bridge's (the outbox's reads and dead letters, what 1C's commands
//! store: [`crate::bridge`]), both implemented on [`SqlStore`]; [`crate::storage`] opens it.

mod batch;
mod conversation_refs;
#[cfg(test)]
pub(crate) mod fixtures;
mod interface;
mod people;
pub(crate) mod postgres;
mod rows;
mod sql_store;
pub(crate) mod sqlite;
#[cfg(test)]
mod tests;
mod writer;

pub use interface::{
    Appended, ConversationHeader, ConversationRef, Engine, Identified, NewMessage, Refused, Store,
    StoreError, StoreResult, TokenRotation, Visitor, now_ms,
};

// What the operators' desk (`crate::desk`) and the bridge (`crate::bridge`) build on: their
// tables are in this database, and what operators do to a conversation writes its messages and
// commands as the store does.
pub(crate) use batch::{NewCommand, OperatorMessage};
pub(crate) use people::member_joins;
pub(crate) use rows::{
    author_kind_from, author_kind_name, status_from, status_name, text_format_name,
};
pub(crate) use sql_store::{Dialect, SqlStore, is_unique_violation};
