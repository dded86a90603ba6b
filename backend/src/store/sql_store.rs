//! The [`Store`] both engines share: [`SqlStore`] over a typed pool of SQLite or PostgreSQL,
//! running the statements in `sql/`, which both engines read alike. What differs per engine
//! is the [`Dialect`] (in `sqlite/` and `postgres/`): how it is opened and how it writes a batch
//! of messages. `#[sql_bounds]` (the `sql-bounds` crate) names what sqlx needs of an engine to
//! run these statements and bind and read the types they use.

use super::batch::VisitorMessage;
use super::conversation_refs::ConversationRefs;
use super::interface::{
    Appended, ConversationHeader, Engine, NewMessage, Store, StoreError, StoreResult, Visitor,
    now_ms,
};
use super::rows::{MessageRow, author_kind_name, text_format_name};
use super::writer::Writer;
use crate::outbox::signal::QueuedCommand;
use crate::outbox::{Bridge, NewCommand, OutboxSignal};
use async_trait::async_trait;
use protocol::{Author, AuthorKind, Message, TextFormat};
use sql_bounds::sql_bounds;
use sqlx::{Database, Pool};
use std::collections::HashMap;
use std::sync::Arc;

/// What one engine does its own way.
pub(crate) trait Dialect: Database {
    const ENGINE: Engine;

    /// What the engine writes with besides its pools: SQLite's batch writer's own connection.
    type Own: Send + Sync + std::fmt::Debug;
}

/// A [`Store`] on one engine's pools.
#[derive(Debug)]
pub(crate) struct SqlStore<DB: Dialect> {
    /// Connections for reading.
    pub reads: Pool<DB>,
    /// Connections for writing: one on SQLite, so writers queue here in order instead of
    /// sleeping in SQLite's busy handler; the same pool as `reads` on PostgreSQL.
    pub writes: Pool<DB>,
    /// Tells the outbox worker what commits queued.
    pub signal: Arc<OutboxSignal>,
    /// Visitors' and operators' messages, committed in batches.
    pub(crate) writer: Writer,
    /// Conversations operators' commands named.
    pub(crate) conversation_refs: ConversationRefs,
    /// What the engine writes with besides its pools.
    pub(crate) own: DB::Own,
}

#[sql_bounds]
impl<DB: Dialect> SqlStore<DB> {
    /// The message stored under `id`.
    pub(crate) async fn message_by_id(
        connection: &mut DB::Connection,
        id: i64,
    ) -> StoreResult<Message> {
        sqlx::query_as::<DB, MessageRow>(include_str!("sql/message_by_id.sql"))
            .bind(id)
            .fetch_one(connection)
            .await?
            .try_into()
    }

    /// The messages stored under `ids`, by id: those a batch's senders sent again.
    pub(super) async fn messages_by_id(
        connection: &mut DB::Connection,
        ids: &[i64],
    ) -> StoreResult<HashMap<i64, Message>> {
        let mut messages = HashMap::with_capacity(ids.len());
        for id in ids {
            messages.insert(*id, Self::message_by_id(&mut *connection, *id).await?);
        }
        Ok(messages)
    }

    /// The collaboration server's id for the conversation, if it gave one, and when the
    /// conversation was announced to it, if it was.
    pub(crate) async fn conversation_announcement(
        connection: &mut DB::Connection,
        conversation_id: i64,
    ) -> StoreResult<(Option<String>, Option<i64>)> {
        Ok(
            sqlx::query_as(include_str!("sql/conversation_announcement.sql"))
                .bind(conversation_id)
                .fetch_one(connection)
                .await?,
        )
    }

    /// A message of no one's (what happened in the conversation) at the end of the
    /// conversation.
    pub(crate) async fn insert_system_message(
        connection: &mut DB::Connection,
        conversation_id: i64,
        text: &str,
    ) -> StoreResult<Message> {
        let (seq,): (i64,) = sqlx::query_as(include_str!("sql/take_next_seq.sql"))
            .bind(conversation_id)
            .fetch_one(&mut *connection)
            .await?;
        let sent_at = now_ms();
        let (id,): (i64,) = sqlx::query_as(include_str!("sql/insert_system_message.sql"))
            .bind(conversation_id)
            .bind(seq)
            .bind(author_kind_name(AuthorKind::System))
            .bind(text)
            .bind(text_format_name(TextFormat::Plain))
            .bind(sent_at)
            .fetch_one(&mut *connection)
            .await?;
        Ok(Message {
            id,
            conversation_id,
            seq,
            client_id: None,
            author: Author {
                kind: AuthorKind::System,
                name: None,
                picture: None,
            },
            text: text.to_owned(),
            text_format: TextFormat::Plain,
            sent_at,
            edited_at: None,
        })
    }

    /// Queues `commands` in their order, after everything queued for their conversations, and
    /// gives them back as queued (with their ids), for [`OutboxSignal::queued`].
    pub(crate) async fn insert_outbox(
        connection: &mut DB::Connection,
        commands: Vec<NewCommand>,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let now = now_ms();
        let mut handed = Vec::with_capacity(commands.len());
        for command in commands {
            let (id,): (i64,) = sqlx::query_as(include_str!("sql/insert_command.sql"))
                .bind(&command.integration_id)
                .bind(command.conversation_id)
                .bind(&command.ordering_key)
                .bind(&command.command)
                .bind(now)
                .fetch_one(&mut *connection)
                .await?;
            handed.push(command.into_handed(id));
        }
        Ok(handed)
    }
}

pub(crate) fn is_unique_violation(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
}

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> Store for SqlStore<DB> {
    async fn conversation_of(&self, person_id: i64) -> StoreResult<Option<i64>> {
        let found: Option<(i64,)> = sqlx::query_as(include_str!("sql/conversation_of.sql"))
            .bind(person_id)
            .fetch_optional(&self.reads)
            .await?;
        Ok(found.map(|(id,)| id))
    }

    async fn append_visitor_message(
        &self,
        visitor: &Visitor,
        message: NewMessage,
        bridge: Bridge,
    ) -> StoreResult<Appended> {
        let message = VisitorMessage {
            visitor: visitor.clone(),
            message,
            bridge,
        };
        self.writer.append(message).await
    }

    async fn conversation_header(&self, conversation_id: i64) -> StoreResult<ConversationHeader> {
        let header: Option<(Option<String>, i64)> =
            sqlx::query_as(include_str!("sql/conversation_header.sql"))
                .bind(conversation_id)
                .fetch_optional(&self.reads)
                .await?;
        Ok(
            header.map_or_else(ConversationHeader::default, |(title, operator_read_seq)| {
                ConversationHeader {
                    title,
                    operator_read_seq,
                }
            }),
        )
    }

    async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(include_str!("sql/messages_after.sql"))
            .bind(conversation_id)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        rows.into_iter().map(Message::try_from).collect()
    }

    async fn messages_before(
        &self,
        conversation_id: i64,
        before_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(include_str!("sql/messages_before.sql"))
            .bind(conversation_id)
            .bind(before_seq)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        rows.into_iter().rev().map(Message::try_from).collect()
    }
}
