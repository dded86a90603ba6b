//! What the rest of the server sees of the store: the [`Store`], [`BridgeStore`],
//! [`AccountStore`], [`InboxStore`] and [`CannedStore`] traits and the types they speak in (the
//! accounts' in `accounts.rs`, the inbox's in `inbox.rs`, canned replies' in `canned.rs`).

use crate::content::picture::Picture;
use async_trait::async_trait;
use protocol::operator::{ConversationSummary, InboxCounts};
use protocol::webhook::{Conversation, MessageCommand, User};
use protocol::{ContactInfo, Message, PageInfo, TextFormat};

use super::accounts::{Account, Credentials, EmailTaken, NewAccount, SessionLifetime, TeamMember};
use super::canned::{CannedDraft, CannedSaved};
use super::inbox::{
    Assignment, ConsoleReply, ConversationAddress, InboxFilter, InboxPage, ReadMark, Replied,
    SharedSummary, StatusChange, Tally,
};
use crate::outbox::{Bridge, OutboxItem, OutboxSignal};
use protocol::operator::CannedReply;

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

/// Operator accounts and sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// A new account answering `integrations`, or the refusal when its e-mail is taken.
    async fn create_account(
        &self,
        account: &NewAccount,
    ) -> StoreResult<Result<Account, EmailTaken>>;

    /// Every account, by e-mail.
    async fn accounts(&self) -> StoreResult<Vec<Account>>;

    /// Removes the account with `email` and its sessions; the removed account's id, if there
    /// was one.
    async fn remove_account(&self, email: &str) -> StoreResult<Option<i64>>;

    /// Replaces the password hash of the account with `email` and ends all its sessions, in
    /// one transaction; the account's id, if there is one.
    async fn set_password(&self, email: &str, password_hash: &str) -> StoreResult<Option<i64>>;

    /// The id and password hash of the account with `email`, for a login.
    async fn credentials(&self, email: &str) -> StoreResult<Option<Credentials>>;

    /// The account with `account_id`, with its integrations.
    async fn account(&self, account_id: i64) -> StoreResult<Option<Account>>;

    /// The accounts sharing at least one integration with `account_id` (itself included), by
    /// name, each with the integrations it shares.
    async fn team_of(&self, account_id: i64) -> StoreResult<Vec<TeamMember>>;

    /// Starts a session of `account_id` at `now` under the token hashed as `token_hash`, and
    /// forgets the account's sessions that have ended.
    async fn create_session(
        &self,
        account_id: i64,
        token_hash: &str,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<()>;

    /// The account of the session whose token is hashed as `token_hash`, unless the session
    /// ended (logout, idle for `lifetime.idle_ms`, past its absolute end). Notes the use, at
    /// most once a minute per session, so requests cost no write.
    async fn session(
        &self,
        token_hash: &str,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<Option<Account>>;

    /// Ends the session whose token is hashed as `token_hash` (logout).
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// The operator console's side of the store. An account (`operator_accounts`) sees only the
/// conversations of its integrations: every method that names a conversation answers `None`
/// for any other, which the routes turn into a 404.
#[async_trait]
pub trait InboxStore: Send + Sync {
    /// A page of the account's inbox, newest activity first.
    async fn conversations(&self, filter: InboxFilter<'_>) -> StoreResult<InboxPage>;

    /// How many open conversations of each view have visitor messages the account has not
    /// read.
    async fn inbox_counts(
        &self,
        account_id: i64,
        integrations: &[String],
    ) -> StoreResult<InboxCounts>;

    /// The integration's open conversations with visitor messages by assignee, the same for
    /// all its operators.
    async fn unread_tally(&self, integration_id: &str) -> StoreResult<Tally>;

    /// Those of the integrations' open conversations with visitor messages that the account
    /// has read to the end, by assignee: [`Tally::counts`] takes them away.
    async fn read_through(&self, account_id: i64, integrations: &[String]) -> StoreResult<Tally>;

    /// Where the conversation's events go (its person and integration), if the account sees
    /// it: a cheap check of visibility.
    async fn conversation_address(
        &self,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<ConversationAddress>>;

    /// One conversation as the account's inbox shows it.
    async fn conversation_summary(
        &self,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<ConversationSummary>>;

    /// Conversations as every operator of their integrations sees them, whoever asks (the
    /// caller knows who may see them), in one read of each engine's statements whatever their
    /// number; those that do not exist are left out.
    async fn shared_summaries(&self, conversation_ids: &[i64]) -> StoreResult<Vec<SharedSummary>>;

    /// Gives the conversation to `new_assignee` (`None`: to nobody) if it is still
    /// `expected_assignee`'s, as `by_account` asks; exactly one of two concurrent takes wins.
    /// The notice in the log speaks the language of `language_code` (the integration's).
    async fn assign(
        &self,
        by_account: i64,
        conversation_id: i64,
        expected_assignee: Option<i64>,
        new_assignee: Option<i64>,
        language_code: &str,
    ) -> StoreResult<Option<Assignment>>;

    /// Closes the conversation, as `by_account` asks (its notice in `language_code`).
    async fn close(
        &self,
        by_account: i64,
        conversation_id: i64,
        language_code: &str,
    ) -> StoreResult<Option<StatusChange>>;

    /// Opens the closed conversation again, as `by_account` asks (its notice in
    /// `language_code`).
    async fn reopen(
        &self,
        by_account: i64,
        conversation_id: i64,
        language_code: &str,
    ) -> StoreResult<Option<StatusChange>>;

    /// Stores the account's reply, once per client id, authored by the account's operator in
    /// the integration (made on its first reply there, named as the account). With the bridge
    /// on, it is queued for the collaboration server too: that operator's `createUser` once,
    /// then `createMessage`.
    async fn append_console_reply(
        &self,
        account_id: i64,
        conversation_id: i64,
        reply: ConsoleReply<'_>,
        bridge: Bridge,
    ) -> StoreResult<Option<Replied>>;

    /// The account has read the conversation up to `seq`; read positions only move forward.
    async fn mark_read(
        &self,
        account_id: i64,
        conversation_id: i64,
        seq: i64,
    ) -> StoreResult<Option<ReadMark>>;

    /// The visitor has seen the conversation up to `seq`: `Some(seq)` when that moved its
    /// position (forward only, never past the last message), `None` when it did not.
    async fn mark_visitor_read(&self, conversation_id: i64, seq: i64) -> StoreResult<Option<i64>>;
}

/// Everything the server keeps.
/// Canned replies, kept per integration; an account reaches those of the integrations it
/// answers, and no other (`None`: not found, as the API's 404).
#[async_trait]
pub trait CannedStore: Send + Sync {
    /// The canned replies of the integrations `account_id` answers, by integration and
    /// shortcut.
    async fn canned_replies(&self, account_id: i64) -> StoreResult<Vec<CannedReply>>;

    /// A new canned reply of `integration_id` (the caller checked the account answers it).
    async fn create_canned_reply(
        &self,
        integration_id: &str,
        draft: &CannedDraft,
    ) -> StoreResult<CannedSaved>;

    /// Gives canned reply `id` the draft's shortcut and text.
    async fn update_canned_reply(
        &self,
        account_id: i64,
        id: i64,
        draft: &CannedDraft,
    ) -> StoreResult<Option<CannedSaved>>;

    /// Removes canned reply `id`; whether there was one to remove.
    async fn delete_canned_reply(&self, account_id: i64, id: i64) -> StoreResult<bool>;
}

#[async_trait]
pub trait Store:
    BridgeStore + AccountStore + InboxStore + CannedStore + Send + Sync + std::fmt::Debug + 'static
{
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
