//! What the operator API sees of the store: the [`InboxStore`] trait (an account's inbox, and
//! what a console operator does to a conversation) and the types it speaks in. An account
//! (`operator_accounts`) sees only the conversations of its integrations: every method that
//! names a conversation answers `None` for any other, which the routes turn into a 404.

use super::interface::{Appended, Refused, StoreResult};
use crate::outbox::Bridge;
use async_trait::async_trait;
use protocol::operator::{Assignee, ConversationStatus, ConversationSummary, InboxCounts, View};
use protocol::{Message, TextFormat};

/// Where a page of an inbox starts: after the conversation with this activity time and id
/// (the order is newest activity first, then highest id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub last_activity_at: i64,
    pub id: i64,
}

impl InboxCursor {
    /// The cursor as the API hands it out (`next_cursor`): `{last_activity_at}-{id}`.
    pub fn encode(self) -> String {
        format!("{}-{}", self.last_activity_at, self.id)
    }

    /// A cursor [`Self::encode`] made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('-')?;
        Some(Self {
            last_activity_at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A conversation an operator changed, and who hears of it: the person's widgets and the
/// integration's operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationAddress {
    pub id: i64,
    pub person_id: i64,
    pub integration_id: String,
}

/// Which page of which inbox.
#[derive(Debug, Clone, Copy)]
pub struct InboxFilter<'a> {
    /// The account asking: its view `Mine` and its unread counts.
    pub account_id: i64,
    /// The account's integrations: nothing of any other is listed.
    pub integrations: &'a [String],
    pub view: View,
    pub status: ConversationStatus,
    /// `None` for the first page.
    pub cursor: Option<InboxCursor>,
    pub limit: i64,
}

/// A page of an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    pub conversations: Vec<ConversationSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<InboxCursor>,
}

/// What an assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// The conversation went from the expected assignee to the new one; `notice` is the
    /// system message that tells it in the log.
    Assigned {
        conversation: ConversationAddress,
        assignee: Option<Assignee>,
        notice: Message,
    },
    /// Someone else changed the assignee first: this is who has it now (the API's 409).
    Conflict { assignee: Option<Assignee> },
    /// The new assignee is no operator of the conversation's integration.
    UnknownAssignee,
}

/// What closing or reopening did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// The status changed; `notice` tells it in the log.
    Changed {
        conversation: ConversationAddress,
        notice: Message,
    },
    /// The conversation already had that status: nothing was written.
    Unchanged { conversation: ConversationAddress },
}

/// A console operator's reply.
#[derive(Debug, Clone)]
pub struct ConsoleReply<'a> {
    /// Stored once per client id in the conversation.
    pub client_id: &'a str,
    /// Already sanitized (`text/html`) and within the message limit.
    pub text: &'a str,
    pub text_format: TextFormat,
}

/// A stored console reply and the conversation it went to (the person whose widgets hear it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replied {
    pub conversation: ConversationAddress,
    pub appended: Appended,
}

/// What reading a conversation moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMark {
    pub conversation: ConversationAddress,
    /// The conversation's "seen" position (the furthest any operator read) when this read
    /// moved it: the visitor is told.
    pub seen: Option<i64>,
}

/// The operator console's side of the store.
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

    /// One conversation as the account's inbox shows it.
    async fn conversation_summary(
        &self,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<ConversationSummary>>;

    /// Gives the conversation to `new_assignee` (`None`: to nobody) if it is still
    /// `expected_assignee`'s, as `by_account` asks; exactly one of two concurrent takes wins.
    async fn assign(
        &self,
        by_account: i64,
        conversation_id: i64,
        expected_assignee: Option<i64>,
        new_assignee: Option<i64>,
    ) -> StoreResult<Option<Assignment>>;

    /// Closes the conversation, as `by_account` asks.
    async fn close(
        &self,
        by_account: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<StatusChange>>;

    /// Opens the closed conversation again, as `by_account` asks.
    async fn reopen(
        &self,
        by_account: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<StatusChange>>;

    /// Stores the account's reply, once per client id, authored by the account's operator in
    /// the integration (made on its first reply there, named as the account). With the bridge
    /// on, it is queued for the collaboration server too: that operator's `createUser` once,
    /// then `createMessage`. A client id the visitor or another account used is refused.
    async fn append_console_reply(
        &self,
        account_id: i64,
        conversation_id: i64,
        reply: ConsoleReply<'_>,
        bridge: Bridge,
    ) -> StoreResult<Option<Result<Replied, Refused>>>;

    /// The account has read the conversation up to `seq`; read positions only move forward.
    async fn mark_read(
        &self,
        account_id: i64,
        conversation_id: i64,
        seq: i64,
    ) -> StoreResult<Option<ReadMark>>;
}
