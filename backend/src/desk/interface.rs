//! What the rest of the server sees of the operators' desk: the [`AccountStore`],
//! [`InboxStore`] and [`CannedStore`] traits, and [`Desk`], all three (the types they speak in
//! are in `accounts.rs`, `inbox.rs` and `canned.rs`).

use super::accounts::{Account, Credentials, EmailTaken, NewAccount, SessionLifetime, TeamMember};
use super::canned::{CannedDraft, CannedSaved};
use super::inbox::{
    Assignment, ConsoleReply, ConversationAddress, InboxFilter, InboxPage, ReadMark, Replied,
    SharedSummary, StatusChange, Tally,
};
use crate::outbox::Bridge;
use crate::store::StoreResult;
use async_trait::async_trait;
use protocol::operator::{CannedReply, ConversationSummary, InboxCounts};

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

/// The operator console's inbox. An account (`operator_accounts`) sees only the
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

/// Everything the desk keeps.
pub trait Desk: AccountStore + InboxStore + CannedStore {}

impl<T: AccountStore + InboxStore + CannedStore> Desk for T {}
