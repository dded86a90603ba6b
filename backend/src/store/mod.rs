//! Conversations and their messages, behind the [`Store`] trait ([`interface`]). Each engine
//! has its own typed pool: SQLite ([`sqlite`]) or PostgreSQL ([`postgres`]). What both engines
//! run alike is written once, over either pool, in [`sql_store`]. Messages go through one
//! group-commit [`writer`], which plans each batch in plain Rust ([`batch`]) and hands it to the
//! engine's `write_batch`; the commands a write queues for the collaboration server go into the
//! outbox in the same transaction, a person's first message announcing the person and its
//! conversation first ([`announcements`]). The same database holds visitors and their people
//! ([`crate::people`]), the console operators' side ([`crate::desk`]) and the bridge's (the
//! outbox's reads and dead letters, what 1C's commands store: [`crate::bridge`]), all
//! implemented on [`SqlStore`]; [`crate::storage`] opens it.

mod announcements;
mod batch;
mod conversation_refs;
#[cfg(test)]
pub(crate) mod fixtures;
mod interface;
pub(crate) mod postgres;
mod rows;
mod sql_store;
pub(crate) mod sqlite;
#[cfg(test)]
mod tests;
mod writer;

pub use interface::{
    Appended, ConversationHeader, ConversationRef, Engine, NewMessage, Refused, Store, StoreError,
    StoreResult, Visitor, now_ms,
};

// What people (`crate::people`), the operators' desk (`crate::desk`) and the bridge
// (`crate::bridge`) build on: their tables are in this database, and what they do to a person or
// a conversation writes its messages and commands as the store does.
pub(crate) use announcements::member_joins;
pub(crate) use batch::OperatorMessage;
pub(crate) use rows::{
    ContactRow, author_kind_from, author_kind_name, status_from, status_name, text_format_name,
};
pub(crate) use sql_store::{Dialect, SqlStore, is_unique_violation};
