//! Storage of visitors, people, conversations, messages and the outbox, behind the [`Store`]
//! trait. One SQL implementation serves SQLite and PostgreSQL (see [`sql`]); the engine is chosen
//! once from the scheme of `database_url`.

mod append_sql;
mod bridge_sql;
mod checkpoint;
mod conversation_refs;
mod group_commit;
mod multi_row;
mod outbox_signal;
mod remembered;
mod reply_sql;
mod rows;
mod single_statement;
mod sql;
#[cfg(test)]
mod test_stores;

use async_trait::async_trait;
use protocol::webhook::{Conversation, MessageCommand, User};
use protocol::{ContactInfo, Message, PageInfo, TextFormat};

pub use outbox_signal::{OutboxSignal, Queued, Subscription, ordering_key};
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

/// Whether an integration forwards its conversations to a collaboration server; when it does,
/// the store queues the webhook commands in the same transaction as the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bridge {
    Off,
    On,
}

/// A queued webhook command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub ordering_key: String,
    /// The command's JSON body.
    pub command: String,
    pub attempts: i64,
}

/// How far delivery to an integration's collaboration server lags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStats {
    pub depth: i64,
    pub oldest_created_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A user of the collaboration server (an operator).
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A conversation found by the collaboration server's id for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationRef {
    pub id: i64,
    pub person_id: i64,
}

/// What the bridge to the collaboration server keeps: the outbox and operators' side.
#[async_trait]
pub trait BridgeStore: Send + Sync {
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

    async fn schedule_retry(
        &self,
        outbox_id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> StoreResult<()>;

    async fn outbox_stats(&self, integration_id: &str) -> StoreResult<OutboxStats>;

    /// `createUser` / `updateUser` of an operator.
    async fn save_operator(
        &self,
        integration_id: &str,
        user: &User,
        write: Write,
    ) -> StoreResult<Result<Operator, Refused>>;

    /// An operator's picture (base64), if it has one.
    async fn operator_picture(
        &self,
        integration_id: &str,
        operator_id: i64,
    ) -> StoreResult<Option<String>>;

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

/// Everything the server keeps.
#[async_trait]
pub trait Store: BridgeStore + Send + Sync + std::fmt::Debug + 'static {
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
    async fn identify(&self, visitor_id: i64, sub: &str, bridge: Bridge) -> StoreResult<Visitor>;

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
