//! What the rest of the server sees of the store: the [`Store`] trait, with [`OutboxStore`] and
//! [`InboundStore`], and the types they speak in.

use crate::content::picture::Picture;
use crate::outbox::{Bridge, OutboxItem, OutboxSignal};
use async_trait::async_trait;
use protocol::webhook::{Conversation, MessageCommand, User};
use protocol::{ContactInfo, Message, PageInfo, TextFormat};

/// The database engine behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Why the store failed. Callers show none of this to clients: it is logged and becomes an opaque
/// internal error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database_url must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A browser's visitor token resolved to the person it speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visitor {
    pub id: i64,
    pub integration_id: String,
    pub person_id: i64,
    /// The site's user id once a matching-key token was accepted.
    pub sub: Option<String>,
    pub contact: ContactInfo,
}

/// Whether identification gave the visitor a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRotation {
    /// The visitor was already this person: its token stays.
    Kept,
    /// The visitor became another person: the old token is refused from now on and the new
    /// one (whose hash `identify` was given) speaks for it. Whoever knew the token before the
    /// login (a shared computer, a planted link) cannot follow the visitor into its account.
    Replaced,
}

/// A visitor after identification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub visitor: Visitor,
    pub token: TokenRotation,
}

/// A message a visitor sends.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub client_id: String,
    pub text: String,
    pub text_format: TextFormat,
    pub page: Option<PageInfo>,
}

/// The result of storing a message: new, or the one stored earlier with the same client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    Created(Message),
    Existing(Message),
}

impl Appended {
    pub fn message(&self) -> &Message {
        match self {
            Self::Created(message) | Self::Existing(message) => message,
        }
    }
}

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

/// Why an inbound command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// `create...` of an object that exists.
    Conflict(String),
    /// The command names an object that does not exist.
    Unknown(String),
}

/// What a visitor's welcome says of its conversation besides the messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationHeader {
    /// The title the collaboration server gave the conversation (`createConversation`,
    /// `updateConversation`), if any: the widget shows it in its header.
    pub title: Option<String>,
    /// The furthest any operator has read the conversation (the visitor's "seen"); 0 if none.
    pub operator_read_seq: i64,
}

/// A conversation found by the collaboration server's id for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationRef {
    pub id: i64,
    pub person_id: i64,
}

/// The outbox: webhook commands queued for the collaboration server, in order per
/// conversation, until delivered or set aside as dead letters.
#[async_trait]
pub trait OutboxStore: Send + Sync + std::fmt::Debug {
    /// The first undelivered command of each ordering key, if it is due at `now`, oldest first.
    async fn due_commands(
        &self,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>>;

    /// Commands that failed before and are due again at `now`, oldest due first: each is the
    /// head of its ordering key, which waits on it.
    async fn due_retries(
        &self,
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
/// conversations it creates and names, its operators' messages; and what a visitor's widget
/// shows of them.
#[async_trait]
pub trait InboundStore: Send + Sync {
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

    /// What the visitor's widget shows of the conversation besides its messages: the title and
    /// how far operators have read it. Defaults when there is no such conversation.
    async fn conversation_header(&self, conversation_id: i64) -> StoreResult<ConversationHeader>;

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

#[async_trait]
pub trait Store: OutboxStore + InboundStore + Send + Sync + std::fmt::Debug + 'static {
    fn engine(&self) -> Engine;

    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// The value of a server-wide setting, storing `initial` first if there is none.
    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String>;

    /// A new anonymous visitor with its own anonymous person, made in `browser` (its
    /// User-Agent, already cut to size) when the request said.
    async fn create_visitor(
        &self,
        integration_id: &str,
        token_hash: &str,
        browser: Option<&str>,
    ) -> StoreResult<Visitor>;

    /// The visitor holding this token, unless it logged out or was last seen before
    /// `seen_since` (milliseconds since the epoch). Notes that it was seen now, at most once
    /// a day per visitor, so connecting costs no write.
    async fn visitor_by_token(
        &self,
        integration_id: &str,
        token_hash: &str,
        seen_since: i64,
    ) -> StoreResult<Option<Visitor>>;

    /// The visitor with this id, unless it logged out.
    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>>;

    /// Ends the visitor's session: its token is refused from now on.
    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()>;

    /// Binds the visitor to the person identified by `sub`. An anonymous person becomes that
    /// person when `sub` is new; otherwise its conversation and contact info are adopted by the
    /// existing person if that one has none. When the visitor changes person, its token is
    /// replaced by the one hashed as `new_token_hash`, in the same transaction.
    async fn identify(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<Identified>;

    /// Replaces the person's contact info.
    async fn set_contact(
        &self,
        person_id: i64,
        contact: &ContactInfo,
        bridge: Bridge,
    ) -> StoreResult<()>;

    /// The person's conversation, if it has one yet.
    async fn conversation_of(&self, person_id: i64) -> StoreResult<Option<i64>>;

    /// Stores a visitor's message in its person's conversation (created on the first message),
    /// once per client id. Committed before it returns.
    async fn append_visitor_message(
        &self,
        visitor: &Visitor,
        message: NewMessage,
        bridge: Bridge,
    ) -> StoreResult<Appended>;

    /// The first `limit` messages of the conversation with `seq` greater than `after_seq`, in
    /// order.
    async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>>;

    /// The last `limit` messages of the conversation with `seq` less than `before_seq`, in
    /// order: a page of its history (`i64::MAX` gives the newest page).
    async fn messages_before(
        &self,
        conversation_id: i64,
        before_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>>;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
