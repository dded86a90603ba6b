//! SQLite's `write_batch`: one transaction on the one write connection, of one-row statements
//! that each connection prepares once and keeps (in-process, a statement costs no round trip,
//! so a batch needs no statement of its own shape). It reads what the store holds of each
//! message, creates and announces the conversations that need it, then numbers and inserts
//! the new messages and queues their commands, as [`crate::store::batch`] planned.

use super::super::batch::{
    Incoming, Lookup, LookupRow, MessageValues, NewCommand, Plan, new_message,
};
use super::super::interface::{StoreError, StoreResult, now_ms};
use super::super::rows::operator_picture;
use super::super::sql_store::SqlStore;
use super::super::writer::{WriteBatch, Written};
use crate::outbox::Bridge;
use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// The writer's side of SQLite.
pub(super) struct SqliteBatches {
    /// The one write connection.
    pub pool: SqlitePool,
}

#[async_trait]
impl WriteBatch for SqliteBatches {
    async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written> {
        let mut tx = self.pool.begin().await?;
        let mut lookup = look_up(&mut tx, batch).await?;
        let mut handed = Vec::new();
        for message in lookup.unprepared(batch) {
            let person = lookup.people.entry(message.visitor.person_id).or_default();
            handed
                .extend(SqlStore::<Sqlite>::prepare_conversation(&mut tx, message, person).await?);
        }
        let plan = Plan::new(batch, &lookup)?;
        let now = now_ms();
        let mut bases = HashMap::with_capacity(plan.taken.len());
        for ((conversation_id, taken), touch) in plan.taken.iter().zip(plan.touches(batch)) {
            let (page_url, page_title) = touch.page.unzip();
            let (base,): (i64,) = sqlx::query_as(include_str!("take_numbers.sql"))
                .bind(taken)
                .bind(conversation_id)
                .bind(now)
                .bind(touch.status)
                .bind(page_url)
                .bind(page_title)
                .bind(touch.visitor_ordinal)
                .fetch_one(&mut *tx)
                .await?;
            bases.insert(*conversation_id, base);
        }
        let mut created = Vec::with_capacity(plan.new_messages());
        let mut commands = Vec::new();
        for (incoming, conversation_id, ordinal) in plan.fresh(batch) {
            let seq = bases[&conversation_id] + 1 + ordinal;
            let values = MessageValues::of(incoming);
            let author: Option<(i64, String, Option<i64>)> = match values.author {
                Some((integration_id, ext_user_id)) => {
                    sqlx::query_as(include_str!("operator_author.sql"))
                        .bind(integration_id)
                        .bind(ext_user_id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => None,
            };
            let (operator_id, author_name, picture_of) = match author {
                Some((id, name, picture_of)) => (Some(id), Some(name), picture_of),
                None => (None, values.author_name.map(str::to_owned), None),
            };
            let (id,): (i64,) = sqlx::query_as(include_str!("insert_message.sql"))
                .bind(conversation_id)
                .bind(seq)
                .bind(values.client_id)
                .bind(values.author_kind)
                .bind(&author_name)
                .bind(values.visitor_id)
                .bind(operator_id)
                .bind(values.ext_id)
                .bind(values.text)
                .bind(values.text_format)
                .bind(values.page_url)
                .bind(values.page_title)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            let mut message = new_message(incoming, id, conversation_id, seq, now);
            match incoming {
                Incoming::Operator(_) => {
                    message.author.name = author_name;
                    message.author.picture = picture_of.map(operator_picture);
                }
                Incoming::Visitor(visitor) if visitor.bridge == Bridge::On => {
                    let person_id = visitor.visitor.person_id;
                    let ids = lookup.announced(person_id).ok_or_else(|| {
                        StoreError::Corrupt(format!("person {person_id} is not announced"))
                    })?;
                    commands.push(NewCommand::message(visitor, &message, &ids)?);
                }
                Incoming::Visitor(_) => {}
            }
            created.push(message);
        }
        handed.extend(SqlStore::<Sqlite>::insert_outbox(&mut tx, commands).await?);
        let stored = SqlStore::<Sqlite>::messages_by_id(&mut tx, &plan.stored_ids()).await?;
        let outcomes = plan.outcomes(batch, created, &stored)?;
        tx.commit().await?;
        Ok(Written { outcomes, handed })
    }
}

/// What the store holds of `batch`'s people and messages, a statement per message.
async fn look_up(connection: &mut SqliteConnection, batch: &[Incoming]) -> StoreResult<Lookup> {
    let mut lookup = Lookup::default();
    for incoming in batch {
        match incoming {
            Incoming::Visitor(message) => {
                let person_id = message.visitor.person_id;
                let row: Option<LookupRow> = sqlx::query_as(include_str!("known_message.sql"))
                    .bind(person_id)
                    .bind(&message.message.client_id)
                    .fetch_optional(&mut *connection)
                    .await?;
                let row =
                    row.ok_or_else(|| StoreError::Corrupt(format!("person {person_id} is gone")))?;
                lookup.add(row);
            }
            Incoming::Operator(message) => {
                let conversation_id = message.conversation.id;
                let ext_id = &message.command.ext_id;
                let stored: Option<(i64,)> = sqlx::query_as(include_str!("stored_reply.sql"))
                    .bind(conversation_id)
                    .bind(ext_id)
                    .fetch_optional(&mut *connection)
                    .await?;
                if stored.is_some() {
                    lookup
                        .stored_replies
                        .insert((conversation_id, ext_id.clone()));
                }
            }
        }
    }
    Ok(lookup)
}
