//! [`InboxStore`] on both engines, through the statements in `sql/inbox/`: pages of an inbox
//! (one statement per view, each served by its own index), the counts of unread conversations,
//! and what a console operator does to a conversation, each in one transaction.

use super::engines::InboxDialect;
use super::inbox::{
    Assignment, ConsoleReply, ConversationAddress, InboxCursor, InboxFilter, InboxPage, ReadMark,
    Replied, SharedSummary, StatusChange, Tally,
};
use super::interface::InboxStore;
use crate::content::notice::{ConsoleChange, console_notice};
use crate::content::preview::preview;
use crate::outbox::{Bridge, NewCommand, commands};
use crate::store::{
    SqlStore, StoreError, StoreResult, author_kind_from, author_kind_name, is_unique_violation,
    member_joins, now_ms, status_from, status_name, text_format_name,
};
use async_trait::async_trait;
use protocol::operator::{
    Assignee, ConversationStatus, ConversationSummary, InboxCounts, MessagePreview, View,
    VisitorCard,
};
use protocol::webhook::Command;
use protocol::{AuthorKind, ContactInfo, PageInfo, TextFormat};
use sql_bounds::sql_bounds;
use std::collections::HashMap;

/// How often a reply that lost a race on a unique key (its client id, its operator row) is
/// tried again.
const UNIQUE_RACE_ATTEMPTS: usize = 3;

/// The statement that reads conversations as an inbox shows them (`summary_columns.sql`) with
/// the tail `$tail` that picks which: one text, fixed at compile time.
macro_rules! summary_statement {
    ($tail:literal) => {
        concat!(
            include_str!("sql/inbox/summary_columns.sql"),
            include_str!(concat!("sql/inbox/", $tail))
        )
    };
}

/// The statement that reads a first or later page of `view`, binding the account (`$1`), the
/// integration (`$2`), the status (`$3`), the cursor (`$4`, `$5`: `i64::MAX` twice for the first
/// page) and how many rows (`$6`). Public so the bench can show the engines' plans of it.
pub fn page_statement(view: View) -> &'static str {
    match view {
        View::All => summary_statement!("page_all.sql"),
        View::Unassigned => summary_statement!("page_unassigned.sql"),
        View::Mine => summary_statement!("page_mine.sql"),
    }
}

/// The statement that counts an integration's (`$1`) open conversations with visitor messages
/// by assignee, for all its operators at once.
pub const UNREAD_TALLY_STATEMENT: &str = include_str!("sql/inbox/unread_tally.sql");

/// The statement that counts those of them the account `$1` has read to the end in the
/// integration `$2`.
pub const READ_THROUGH_STATEMENT: &str = include_str!("sql/inbox/read_through.sql");

/// A conversation as `summary_statement!` reads it.
#[derive(Debug, sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    integration_id: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    sub: Option<String>,
    first_seen_at: i64,
    last_page_url: Option<String>,
    last_page_title: Option<String>,
    last_activity_at: i64,
    status: String,
    created_at: i64,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    last_author_kind: Option<String>,
    last_text: Option<String>,
    last_text_format: Option<String>,
    last_sent_at: Option<i64>,
    browser: Option<String>,
    unread: i64,
    visitor_read_seq: i64,
}

impl TryFrom<SummaryRow> for ConversationSummary {
    type Error = StoreError;

    fn try_from(row: SummaryRow) -> StoreResult<Self> {
        let last_message = match (row.last_author_kind, row.last_text, row.last_sent_at) {
            (Some(kind), Some(text), Some(sent_at)) => {
                let format = match row.last_text_format.as_deref() {
                    Some(name) if name == text_format_name(TextFormat::Html) => TextFormat::Html,
                    _ => TextFormat::Plain,
                };
                Some(MessagePreview {
                    author: author_kind_from(&kind)?,
                    text: preview(&text, format),
                    sent_at,
                })
            }
            _ => None,
        };
        let page = match (row.last_page_url, row.last_page_title) {
            (None, None) => None,
            (url, title) => Some(PageInfo {
                url: url.unwrap_or_default(),
                title: title.unwrap_or_default(),
            }),
        };
        let assignee = match (row.assignee_id, row.assignee_name) {
            (Some(id), Some(name)) => Some(Assignee { id, name }),
            _ => None,
        };
        Ok(Self {
            id: row.id,
            integration_id: row.integration_id,
            visitor: VisitorCard {
                contact: ContactInfo {
                    name: row.name,
                    email: row.email,
                    phone: row.phone,
                },
                sub: row.sub,
                first_seen_at: row.first_seen_at,
                browser: row.browser,
            },
            page,
            last_message,
            last_activity_at: row.last_activity_at,
            unread: row.unread,
            visitor_read_seq: row.visitor_read_seq,
            assignee,
            status: status_from(&row.status)?,
            created_at: row.created_at,
        })
    }
}

/// A conversation an account may change (`sql/inbox/visible.sql`).
#[derive(Debug, sqlx::FromRow)]
struct VisibleRow {
    id: i64,
    person_id: i64,
    integration_id: String,
    last_seq: i64,
}

impl VisibleRow {
    fn address(&self) -> ConversationAddress {
        ConversationAddress {
            id: self.id,
            person_id: self.person_id,
            integration_id: self.integration_id.clone(),
        }
    }
}

/// An account's operator row in an integration (`sql/inbox/console_operator.sql`).
#[derive(Debug, sqlx::FromRow)]
struct ConsoleOperatorRow {
    id: i64,
    ext_user_id: String,
    name: String,
    announced_at: Option<i64>,
}

#[sql_bounds]
impl<DB: InboxDialect> SqlStore<DB> {
    /// The conversation if the account may see it.
    async fn visible(
        connection: &mut DB::Connection,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<VisibleRow>> {
        Ok(sqlx::query_as(include_str!("sql/inbox/visible.sql"))
            .bind(account_id)
            .bind(conversation_id)
            .fetch_optional(connection)
            .await?)
    }

    async fn account_name(connection: &mut DB::Connection, account_id: i64) -> StoreResult<String> {
        let (name,): (String,) = sqlx::query_as(include_str!("sql/inbox/account_name.sql"))
            .bind(account_id)
            .fetch_one(connection)
            .await?;
        Ok(name)
    }

    /// One integration's page of an inbox.
    async fn page_of(
        &self,
        filter: &InboxFilter<'_>,
        integration_id: &str,
    ) -> StoreResult<Vec<ConversationSummary>> {
        let sql = page_statement(filter.view);
        let after = filter.cursor.unwrap_or(InboxCursor {
            last_activity_at: i64::MAX,
            id: i64::MAX,
        });
        let rows: Vec<SummaryRow> = sqlx::query_as(sql)
            .bind(filter.account_id)
            .bind(integration_id)
            .bind(status_name(filter.status))
            .bind(after.last_activity_at)
            .bind(after.id)
            // One more than a page says whether another page follows.
            .bind(filter.limit.max(1).saturating_add(1))
            .fetch_all(&self.reads)
            .await?;
        rows.into_iter()
            .map(ConversationSummary::try_from)
            .collect()
    }

    /// Sets the status of a conversation the account sees, telling it in the log.
    async fn set_status(
        &self,
        by_account: i64,
        conversation_id: i64,
        status: ConversationStatus,
        language_code: &str,
    ) -> StoreResult<Option<StatusChange>> {
        let mut tx = self.writes.begin().await?;
        let Some(conversation) = Self::visible(&mut tx, by_account, conversation_id).await? else {
            return Ok(None);
        };
        let changed: Option<(i64,)> = sqlx::query_as(include_str!("sql/inbox/set_status.sql"))
            .bind(status_name(status))
            .bind(conversation_id)
            .fetch_optional(&mut *tx)
            .await?;
        let conversation = conversation.address();
        if changed.is_none() {
            return Ok(Some(StatusChange::Unchanged { conversation }));
        }
        let by = Self::account_name(&mut tx, by_account).await?;
        let change = match status {
            ConversationStatus::Open => ConsoleChange::Reopened,
            ConversationStatus::Closed => ConsoleChange::Closed,
        };
        let notice = Self::insert_system_message(
            &mut tx,
            conversation_id,
            &console_notice(language_code, &by, change),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(StatusChange::Changed {
            conversation,
            notice,
        }))
    }

    /// The account's operator row in the integration, made on its first reply there.
    async fn console_operator(
        connection: &mut DB::Connection,
        integration_id: &str,
        account_id: i64,
    ) -> StoreResult<ConsoleOperatorRow> {
        let sql = include_str!("sql/inbox/console_operator.sql");
        let found: Option<ConsoleOperatorRow> = sqlx::query_as(sql)
            .bind(integration_id)
            .bind(account_id)
            .fetch_optional(&mut *connection)
            .await?;
        if let Some(found) = found {
            return Ok(found);
        }
        sqlx::query(include_str!("sql/inbox/insert_console_operator.sql"))
            .bind(integration_id)
            .bind(commands::console_operator_id(account_id))
            .bind(now_ms())
            .bind(account_id)
            .execute(&mut *connection)
            .await?;
        Ok(sqlx::query_as(sql)
            .bind(integration_id)
            .bind(account_id)
            .fetch_one(&mut *connection)
            .await?)
    }

    /// Stores the reply in one transaction, then hands the outbox worker what it queued.
    async fn reply_once(
        &self,
        account_id: i64,
        conversation_id: i64,
        reply: &ConsoleReply<'_>,
        bridge: Bridge,
    ) -> StoreResult<Option<Replied>> {
        let mut tx = self.writes.begin().await?;
        let Some(conversation) = Self::visible(&mut tx, account_id, conversation_id).await? else {
            return Ok(None);
        };
        let address = conversation.address();
        let stored: Option<(i64, Option<i64>)> =
            sqlx::query_as(include_str!("sql/inbox/message_by_client_id.sql"))
                .bind(conversation_id)
                .bind(reply.client_id)
                .fetch_optional(&mut *tx)
                .await?;
        match stored {
            Some((id, Some(author))) if author == account_id => {
                let message = Self::message_by_id(&mut tx, id).await?;
                return Ok(Some(Replied::Existing {
                    conversation: address,
                    message,
                }));
            }
            Some(_) => return Ok(Some(Replied::ClientIdTaken)),
            None => {}
        }
        let operator =
            Self::console_operator(&mut tx, &conversation.integration_id, account_id).await?;
        let now = now_ms();
        let (seq,): (i64,) = sqlx::query_as(include_str!("sql/inbox/take_reply_seq.sql"))
            .bind(conversation_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let (id,): (i64,) = sqlx::query_as(include_str!("sql/inbox/insert_reply.sql"))
            .bind(conversation_id)
            .bind(seq)
            .bind(reply.client_id)
            .bind(author_kind_name(AuthorKind::Operator))
            .bind(&operator.name)
            .bind(operator.id)
            .bind(reply.text)
            .bind(text_format_name(reply.text_format))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(include_str!("sql/inbox/set_message_ext_id.sql"))
            .bind(id.to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let message = Self::message_by_id(&mut tx, id).await?;
        let mut queued = Vec::new();
        if bridge == Bridge::On {
            let (ext_id, announced_at) =
                Self::conversation_announcement(&mut tx, conversation_id).await?;
            // A conversation the collaboration server was never told of (written before the
            // integration was bridged) has nowhere to receive the reply.
            if announced_at.is_some() {
                let integration_id = &conversation.integration_id;
                if operator.announced_at.is_none() {
                    let user = commands::console_operator(&operator.ext_user_id, &operator.name);
                    queued.push(NewCommand::new(
                        integration_id,
                        conversation_id,
                        &Command::CreateUser(user),
                    )?);
                    sqlx::query(include_str!("sql/inbox/announce_operator.sql"))
                        .bind(now)
                        .bind(operator.id)
                        .execute(&mut *tx)
                        .await?;
                }
                let ext_conversation_id = commands::ext_conversation_id(conversation_id, ext_id);
                // Only members write into a discussion: the operator joins before its first
                // message there, once.
                let joined: Option<(i64,)> =
                    sqlx::query_as(include_str!("sql/inbox/join_conversation.sql"))
                        .bind(conversation_id)
                        .bind(operator.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if joined.is_some() {
                    queued.push(member_joins(
                        integration_id,
                        conversation_id,
                        ext_conversation_id.clone(),
                        operator.ext_user_id.clone(),
                    )?);
                }
                let command =
                    commands::console_reply(&message, &operator.ext_user_id, &ext_conversation_id);
                queued.push(NewCommand::new(
                    integration_id,
                    conversation_id,
                    &Command::CreateMessage(command),
                )?);
            }
        }
        let handed = Self::insert_outbox(&mut tx, queued).await?;
        tx.commit().await?;
        self.signal.queued(handed);
        Ok(Some(Replied::Created {
            conversation: address,
            message,
        }))
    }
}

#[sql_bounds]
#[async_trait]
impl<DB: InboxDialect> InboxStore for SqlStore<DB> {
    async fn conversations(&self, filter: InboxFilter<'_>) -> StoreResult<InboxPage> {
        // One page per integration, each through its index, merged: an account answers a
        // few integrations, and no single statement orders several of them by an index.
        let mut merged = Vec::new();
        for integration_id in filter.integrations {
            merged.extend(self.page_of(&filter, integration_id).await?);
        }
        merged.sort_by_key(|summary| std::cmp::Reverse((summary.last_activity_at, summary.id)));
        // A page holds one conversation at least, so the cursor always moves on.
        let limit = usize::try_from(filter.limit.max(1)).unwrap_or(usize::MAX);
        let next_cursor = (merged.len() > limit)
            .then(|| merged.get(limit.saturating_sub(1)))
            .flatten()
            .map(|last| InboxCursor {
                last_activity_at: last.last_activity_at,
                id: last.id,
            });
        merged.truncate(limit);
        Ok(InboxPage {
            conversations: merged,
            next_cursor,
        })
    }

    async fn inbox_counts(
        &self,
        account_id: i64,
        integrations: &[String],
    ) -> StoreResult<InboxCounts> {
        let mut tallies = Vec::with_capacity(integrations.len());
        for integration_id in integrations {
            tallies.push(self.unread_tally(integration_id).await?);
        }
        let read_through = self.read_through(account_id, integrations).await?;
        Ok(Tally::counts(account_id, &tallies, &read_through))
    }

    async fn unread_tally(&self, integration_id: &str) -> StoreResult<Tally> {
        let rows = sqlx::query_as(UNREAD_TALLY_STATEMENT)
            .bind(integration_id)
            .fetch_all(&self.reads)
            .await?;
        Ok(Tally(rows))
    }

    async fn read_through(&self, account_id: i64, integrations: &[String]) -> StoreResult<Tally> {
        let mut rows = Vec::new();
        for integration_id in integrations {
            let read: Vec<(Option<i64>, i64)> = sqlx::query_as(READ_THROUGH_STATEMENT)
                .bind(account_id)
                .bind(integration_id)
                .fetch_all(&self.reads)
                .await?;
            rows.extend(read.into_iter().filter_map(|(assignee, n)| {
                // NULL: reads that do not count; 0: unassigned.
                assignee.map(|assignee| ((assignee != 0).then_some(assignee), n))
            }));
        }
        Ok(Tally(rows))
    }

    async fn conversation_address(
        &self,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<ConversationAddress>> {
        let mut connection = self.reads.acquire().await?;
        let found = Self::visible(&mut connection, account_id, conversation_id).await?;
        Ok(found.map(|row| row.address()))
    }

    async fn conversation_summary(
        &self,
        account_id: i64,
        conversation_id: i64,
    ) -> StoreResult<Option<ConversationSummary>> {
        let row: Option<SummaryRow> = sqlx::query_as(summary_statement!("summary.sql"))
            .bind(account_id)
            .bind(conversation_id)
            .fetch_optional(&self.reads)
            .await?;
        row.map(ConversationSummary::try_from).transpose()
    }

    async fn shared_summaries(&self, conversation_ids: &[i64]) -> StoreResult<Vec<SharedSummary>> {
        let rows: Vec<SummaryRow> = sqlx::query_as(DB::SHARED_SUMMARIES)
            .bind(None::<i64>)
            .bind(DB::id_list(conversation_ids))
            .fetch_all(&self.reads)
            .await?;
        let readers: Vec<(i64, i64, i64)> = sqlx::query_as(DB::READERS_UNREAD)
            .bind(DB::id_list(conversation_ids))
            .fetch_all(&self.reads)
            .await?;
        let mut unread_by: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for (conversation_id, account_id, unread) in readers {
            unread_by
                .entry(conversation_id)
                .or_default()
                .push((account_id, unread));
        }
        rows.into_iter()
            .map(|row| {
                let unread_by = unread_by.remove(&row.id).unwrap_or_default();
                Ok(SharedSummary {
                    summary: row.try_into()?,
                    unread_by,
                })
            })
            .collect()
    }

    async fn assign(
        &self,
        by_account: i64,
        conversation_id: i64,
        expected_assignee: Option<i64>,
        new_assignee: Option<i64>,
        language_code: &str,
    ) -> StoreResult<Option<Assignment>> {
        let mut tx = self.writes.begin().await?;
        let Some(conversation) = Self::visible(&mut tx, by_account, conversation_id).await? else {
            return Ok(None);
        };
        let assignee = match new_assignee {
            Some(id) => {
                let found: Option<(i64, String)> =
                    sqlx::query_as(include_str!("sql/inbox/integration_account.sql"))
                        .bind(id)
                        .bind(&conversation.integration_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match found {
                    Some((id, name)) => Some(Assignee { id, name }),
                    None => return Ok(Some(Assignment::UnknownAssignee)),
                }
            }
            None => None,
        };
        let assigned: Option<(i64,)> = sqlx::query_as(include_str!("sql/inbox/assign.sql"))
            .bind(new_assignee)
            .bind(conversation_id)
            .bind(expected_assignee)
            .fetch_optional(&mut *tx)
            .await?;
        if assigned.is_none() {
            let current: Option<(i64, String)> =
                sqlx::query_as(include_str!("sql/inbox/assignee.sql"))
                    .bind(conversation_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let assignee = current.map(|(id, name)| Assignee { id, name });
            return Ok(Some(Assignment::Conflict { assignee }));
        }
        let by = Self::account_name(&mut tx, by_account).await?;
        let change = match &assignee {
            Some(to) => ConsoleChange::Assigned { to: &to.name },
            None => ConsoleChange::Unassigned,
        };
        let text = console_notice(language_code, &by, change);
        let notice = Self::insert_system_message(&mut tx, conversation_id, &text).await?;
        tx.commit().await?;
        Ok(Some(Assignment::Assigned {
            conversation: conversation.address(),
            assignee,
            notice,
        }))
    }

    async fn close(
        &self,
        by_account: i64,
        conversation_id: i64,
        language_code: &str,
    ) -> StoreResult<Option<StatusChange>> {
        self.set_status(
            by_account,
            conversation_id,
            ConversationStatus::Closed,
            language_code,
        )
        .await
    }

    async fn reopen(
        &self,
        by_account: i64,
        conversation_id: i64,
        language_code: &str,
    ) -> StoreResult<Option<StatusChange>> {
        self.set_status(
            by_account,
            conversation_id,
            ConversationStatus::Open,
            language_code,
        )
        .await
    }

    async fn append_console_reply(
        &self,
        account_id: i64,
        conversation_id: i64,
        reply: ConsoleReply<'_>,
        bridge: Bridge,
    ) -> StoreResult<Option<Replied>> {
        let mut attempt = 1;
        loop {
            match self
                .reply_once(account_id, conversation_id, &reply, bridge)
                .await
            {
                Err(error) if attempt < UNIQUE_RACE_ATTEMPTS && is_unique_violation(&error) => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn mark_read(
        &self,
        account_id: i64,
        conversation_id: i64,
        seq: i64,
    ) -> StoreResult<Option<ReadMark>> {
        let mut tx = self.writes.begin().await?;
        let Some(conversation) = Self::visible(&mut tx, account_id, conversation_id).await? else {
            return Ok(None);
        };
        let seq = seq.clamp(0, conversation.last_seq);
        sqlx::query(include_str!("sql/inbox/read.sql"))
            .bind(account_id)
            .bind(conversation_id)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        let advanced: Option<(i64,)> = sqlx::query_as(include_str!("sql/inbox/advance_seen.sql"))
            .bind(seq)
            .bind(conversation_id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(ReadMark {
            conversation: conversation.address(),
            seen: advanced.map(|_| seq),
        }))
    }

    async fn mark_visitor_read(&self, conversation_id: i64, seq: i64) -> StoreResult<Option<i64>> {
        let moved: Option<(i64,)> = sqlx::query_as(include_str!("sql/inbox/visitor_read.sql"))
            .bind(seq)
            .bind(conversation_id)
            .fetch_optional(&self.writes)
            .await?;
        Ok(moved.map(|(seq,)| seq))
    }
}
