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

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
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
