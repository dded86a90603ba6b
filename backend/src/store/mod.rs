//! Storage of visitors, people, conversations, messages and the outbox, behind the [`Store`]
//! trait. One SQL implementation serves SQLite and PostgreSQL (see [`sql`]); the engine is chosen
//! once from the scheme of `database_url`.

mod rows;
mod sql;

use async_trait::async_trait;
use protocol::{ContactInfo, Message, PageInfo, TextFormat};

pub use sql::SqlStore;

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

/// Everything the server keeps.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    fn engine(&self) -> Engine;

    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// The value of a server-wide setting, storing `initial` first if there is none.
    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String>;

    /// A new anonymous visitor with its own anonymous person.
    async fn create_visitor(&self, integration_id: &str, token_hash: &str) -> StoreResult<Visitor>;

    /// The visitor holding this token, unless it logged out.
    async fn visitor_by_token(
        &self,
        integration_id: &str,
        token_hash: &str,
    ) -> StoreResult<Option<Visitor>>;

    /// The visitor with this id, unless it logged out.
    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>>;

    /// Ends the visitor's session: its token is refused from now on.
    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()>;

    /// Binds the visitor to the person identified by `sub`. An anonymous person becomes that
    /// person when `sub` is new; otherwise its conversation and contact info are adopted by the
    /// existing person if that one has none.
    async fn identify(&self, visitor_id: i64, sub: &str) -> StoreResult<Visitor>;

    /// Replaces the person's contact info.
    async fn set_contact(&self, person_id: i64, contact: &ContactInfo) -> StoreResult<()>;

    /// The person's conversation, if it has one yet.
    async fn conversation_of(&self, person_id: i64) -> StoreResult<Option<i64>>;

    /// Stores a visitor's message in its person's conversation (created on the first message),
    /// once per client id. Committed before it returns.
    async fn append_visitor_message(
        &self,
        visitor: &Visitor,
        message: NewMessage,
    ) -> StoreResult<Appended>;

    /// Messages of the conversation with `seq` greater than `after_seq`, in order.
    async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
    ) -> StoreResult<Vec<Message>>;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
