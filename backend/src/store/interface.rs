//! What the rest of the server sees of the store: the [`Store`] trait and the types it speaks
//! in.

use crate::outbox::Bridge;
use async_trait::async_trait;
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
    #[error("unserializable command: {0}")]
    Command(#[from] serde_json::Error),
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

/// Conversations and their messages.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
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

    /// What the visitor's widget shows of the conversation besides its messages: the title and
    /// how far operators have read it. Defaults when there is no such conversation.
    async fn conversation_header(&self, conversation_id: i64) -> StoreResult<ConversationHeader>;

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
