//! What the bridge keeps in the store's database, as the rest of the server sees it: the
//! [`OutboxStore`] (commands queued for the collaboration server, retries and dead letters) and
//! the [`InboundStore`] (what its commands store), with the types they speak in. Both are
//! implemented on the store's `SqlStore` (`outbox_store.rs`, `inbound_store.rs`).

use crate::content::picture::Picture;
use crate::outbox::{OutboxItem, OutboxSignal};
use crate::store::{ConversationRef, Refused, StoreResult};
use async_trait::async_trait;
use protocol::Message;
use protocol::webhook::{Conversation, MessageCommand, User};

/// How far delivery to an integration's collaboration server lags, counted in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Commands not delivered yet.
    pub depth: i64,
    /// When the oldest of them was queued.
    pub oldest_created_at: Option<i64>,
    /// Commands set aside as dead letters.
    pub dead_letters: i64,
}

/// A failed delivery attempt, as the outbox records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// The collaboration server is away or failing (timeouts, refused connections, 5xx, 404,
    /// redirects): retried until it answers, however long.
    Outage {
        error: &'a str,
        next_attempt_at: i64,
    },
    /// The collaboration server refused the command for good (a 4xx): retried until it has
    /// been refused `max_attempts` times, then set aside as a dead letter.
    Refusal {
        status: u16,
        error: &'a str,
        next_attempt_at: i64,
        max_attempts: i64,
    },
}

/// What became of a command after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// It stays at the head of its conversation and is tried again when due.
    Retried,
    /// It was moved to the dead letters; its conversation's later commands go on.
    SetAside,
}

/// A command set aside after being refused for good.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadLetter {
    /// Its id in the outbox, kept when it is retried.
    pub id: i64,
    pub integration_id: String,
    pub ordering_key: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: String,
    pub created_at: i64,
    pub dead_at: i64,
}

/// Which dead letters to send again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetters<'a> {
    All,
    Ids(&'a [i64]),
}

/// A user of the collaboration server (an operator).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Operator {
    pub id: i64,
    pub ext_user_id: String,
    pub name: String,
}

/// Whether an inbound command creates or changes an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Update,
}

/// Which due commands a look at the outbox reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// The first undelivered command of each ordering key, if it is due at `now`, oldest first.
    Heads,
    /// Commands that failed before and are due again at `now`, oldest due first: each is the
    /// head of its ordering key, which waits on it.
    Retries,
}

/// The outbox: webhook commands queued for the collaboration server, in order per
/// conversation, until delivered or set aside as dead letters.
#[async_trait]
pub trait OutboxStore: Send + Sync + std::fmt::Debug {
    /// The due commands `which` names, at most `limit`.
    async fn due(
        &self,
        which: Due,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>>;

    /// For each of `ordering_keys` with undelivered commands, its first `limit` in order if the
    /// first is due at `now`, or none while the first waits for a retry (those behind it wait
    /// on it), by key; keys with nothing undelivered are left out. All in one read.
    async fn next_commands(
        &self,
        integration_id: &str,
        ordering_keys: &[String],
        now: i64,
        limit: i64,
    ) -> StoreResult<std::collections::HashMap<String, Vec<OutboxItem>>>;

    /// Deletes delivered commands, in one statement: the outbox holds only what is still to be
    /// sent.
    async fn remove_delivered(&self, outbox_ids: &[i64]) -> StoreResult<()>;

    /// Hands the outbox worker the commands commits queued, so it need not read them back.
    fn outbox_signal(&self) -> std::sync::Arc<OutboxSignal>;

    /// Records a failed attempt at delivering `outbox_id`: it is retried when due, or set aside
    /// as a dead letter when it was refused `max_attempts` times.
    async fn record_failure(
        &self,
        outbox_id: i64,
        failure: Failure<'_>,
    ) -> StoreResult<AfterFailure>;

    /// Counts the integration's outbox and dead letters: reads every undelivered command, so
    /// only the outbox worker calls it, at its scans of the whole outbox.
    async fn outbox_counts(&self, integration_id: &str) -> StoreResult<OutboxCounts>;

    /// Every dead letter, oldest first.
    async fn dead_letters(&self) -> StoreResult<Vec<DeadLetter>>;

    /// Moves `which` dead letters back into the outbox under their old ids, due at `now` and
    /// with their refusals forgotten; returns the ids moved. A running worker finds them at its
    /// next look for retries (they have failed before).
    async fn retry_dead_letters(&self, which: DeadLetters<'_>, now: i64) -> StoreResult<Vec<i64>>;
}

/// What the collaboration server's commands store: its operators and their pictures, the
/// conversations it creates and names, its operators' messages.
#[async_trait]
pub trait InboundStore: Send + Sync {
    /// Converts every operator's picture still stored as base64, once, at start. Pictures
    /// stored before migration 0007 kept the base64 text the collaboration server sent, decoded
    /// on every request; each is decoded once into the columns the server now serves from
    /// (bytes, type, entity tag). A text that is not an allowed image (it was never served)
    /// stays where it is, untouched, and is reported.
    async fn convert_legacy_pictures(&self) -> StoreResult<()>;

    /// `createUser` / `updateUser` of an operator, with its picture decoded from `user`'s
    /// (an update without one keeps the picture it had).
    async fn save_operator(
        &self,
        integration_id: &str,
        user: &User,
        picture: Option<&Picture>,
        write: Write,
    ) -> StoreResult<Result<Operator, Refused>>;

    /// An operator's picture, if it has one.
    async fn operator_picture(
        &self,
        integration_id: &str,
        operator_id: i64,
    ) -> StoreResult<Option<Picture>>;

    /// The conversation the collaboration server calls `ext_id`.
    async fn conversation_by_ext_id(
        &self,
        integration_id: &str,
        ext_id: &str,
    ) -> StoreResult<Option<ConversationRef>>;

    /// `createConversation` from the collaboration server, for the visitor among its members.
    async fn create_conversation_from_server(
        &self,
        integration_id: &str,
        conversation: &Conversation,
    ) -> StoreResult<Result<ConversationRef, Refused>>;

    async fn set_conversation_title(&self, conversation_id: i64, title: &str) -> StoreResult<()>;

    /// The name of the operator the collaboration server calls `ext_user_id`, if it is one.
    async fn operator_name(
        &self,
        integration_id: &str,
        ext_user_id: &str,
    ) -> StoreResult<Option<String>>;

    /// A message of no one's (an operator joined or left) at the end of `conversation`.
    async fn append_system_message(
        &self,
        conversation: ConversationRef,
        text: &str,
    ) -> StoreResult<Message>;

    /// An operator's message (`createMessage`, text already sanitized) into `conversation`.
    async fn append_operator_message(
        &self,
        integration_id: &str,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>>;

    /// `updateMessage` of an operator's message (text already sanitized).
    async fn update_operator_message(
        &self,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>>;
}
