//! Storage of visitors, people, conversations, messages, 1C's operators and the outbox, behind
//! the [`Store`] trait and its parts [`OutboxStore`] and [`InboundStore`] ([`interface`]).
//! Each engine has its own typed pool: SQLite ([`sqlite`]) or PostgreSQL ([`postgres`]). What
//! both engines run alike is written once, over either pool: [`sql_store`] (visitors and their
//! messages), [`people`] (who a visitor is, and what the collaboration server is told of each
//! person), [`outbox_store`] (the commands queued for it) and [`inbound_store`] (what its
//! commands store). Messages go through one group-commit [`writer`], which plans each batch in
//! plain Rust ([`batch`]) and hands it to the engine's `write_batch`. Console operators' side
//! of the same database is [`crate::desk`]; [`crate::storage`] opens both.

mod batch;
mod conversation_refs;
#[cfg(test)]
pub(crate) mod fixtures;
mod inbound_store;
mod interface;
mod outbox_store;
mod people;
pub(crate) mod postgres;
mod rows;
mod sql_store;
pub(crate) mod sqlite;
#[cfg(test)]
mod tests;
mod writer;

pub use interface::{
    AfterFailure, Appended, ConversationHeader, ConversationRef, DeadLetter, DeadLetters, Engine,
    Failure, Identified, InboundStore, NewMessage, Operator, OutboxCounts, OutboxStore, Refused,
    Store, StoreError, StoreResult, TokenRotation, Visitor, Write, now_ms,
};

// What the operators' desk (`crate::desk`) builds on: its tables are in this database, and
// what operators do to a conversation writes its messages and commands as the store does.
pub(crate) use batch::NewCommand;
pub(crate) use people::member_joins;
pub(crate) use rows::{
    author_kind_from, author_kind_name, status_from, status_name, text_format_name,
};
pub(crate) use sql_store::{Dialect, SqlStore, is_unique_violation};
