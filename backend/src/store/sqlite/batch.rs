//! SQLite's `write_batch`: one transaction on the one write connection, of statements whose
//! text does not depend on the batch's size: each takes the batch as one JSON array
//! (`json_each`), so it is prepared once and kept, and the batch costs a handful of statements
//! however many messages it holds (each is a round trip to the connection's worker thread). It
//! reads what the store holds of the batch's people and messages, creates and announces the
//! conversations that need it, then numbers and inserts the new messages and queues their
//! commands, as [`crate::store::batch`] planned.

use super::super::batch::{
    Incoming, Keys, Lookup, LookupRow, MessageValues, NewCommand, Plan, Touch, handed, new_message,
};
use super::super::interface::{StoreError, StoreResult, now_ms};
use super::super::rows::operator_picture;
use super::super::sql_store::SqlStore;
use super::super::writer::{WriteBatch, Written};
use super::json;
use crate::outbox::Bridge;
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// The writer's side of SQLite.
pub(super) struct SqliteBatches {
    /// The one write connection.
    pub pool: SqlitePool,
}

/// A message as `insert_messages.sql` stored it.
#[derive(Debug, sqlx::FromRow)]
struct StoredRow {
    id: i64,
    conversation_id: i64,
    seq: i64,
    author_name: Option<String>,
    picture_of: Option<i64>,
}

#[async_trait]
impl WriteBatch for SqliteBatches {
    async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written> {
        let mut tx = self.pool.begin().await?;
        let mut lookup = look_up(&mut tx, batch).await?;
        let mut handed_now = Vec::new();
        for message in lookup.unprepared(batch) {
            let person = lookup.people.entry(message.visitor.person_id).or_default();
            handed_now
                .extend(SqlStore::<Sqlite>::prepare_conversation(&mut tx, message, person).await?);
        }
        let plan = Plan::new(batch, &lookup)?;
        let now = now_ms();
        let bases = take_numbers(&mut tx, &plan, &plan.touches(batch), now).await?;
        let mut fresh = Vec::with_capacity(plan.new_messages());
        for (incoming, conversation_id, ordinal) in plan.fresh(batch) {
            let base = bases.get(&conversation_id).ok_or_else(|| {
                StoreError::Corrupt(format!("conversation {conversation_id} is gone"))
            })?;
            fresh.push((incoming, conversation_id, base + 1 + ordinal));
        }
        let mut stored = insert_messages(&mut tx, &fresh, now).await?;
        let mut created = Vec::with_capacity(fresh.len());
        let mut commands = Vec::new();
        for (incoming, conversation_id, seq) in fresh {
            let row = stored.remove(&(conversation_id, seq)).ok_or_else(|| {
                StoreError::Corrupt("a message went missing from its insert".into())
            })?;
            let mut message = new_message(incoming, row.id, conversation_id, seq, now);
            match incoming {
                Incoming::Operator(_) => {
                    message.author.name = row.author_name;
                    message.author.picture = row.picture_of.map(operator_picture);
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
        let queued = insert_commands(&mut tx, &commands, now).await?;
        handed_now.extend(handed(commands, queued)?);
        let known = SqlStore::<Sqlite>::messages_by_id(&mut tx, &plan.stored_ids()).await?;
        let outcomes = plan.outcomes(batch, created, &known)?;
        tx.commit().await?;
        Ok(Written {
            outcomes,
            handed: handed_now,
        })
    }
}

/// Moves the counters of the conversations the batch writes to past their new messages, and
/// returns each one's last number before them.
async fn take_numbers(
    connection: &mut SqliteConnection,
    plan: &Plan,
    touches: &[Touch<'_>],
    now: i64,
) -> StoreResult<HashMap<i64, i64>> {
    let rows: Vec<_> = plan
        .taken
        .iter()
        .zip(touches)
        .map(|((conversation_id, taken), touch)| {
            let (page_url, page_title) = touch.page.unzip();
            (
                *conversation_id,
                *taken,
                touch.status,
                page_url,
                page_title,
                touch.visitor_ordinal,
            )
        })
        .collect();
    let counters: Vec<(i64, i64)> =
        run_over(connection, include_str!("take_numbers.sql"), &rows, now).await?;
    Ok(counters
        .into_iter()
        .map(|(id, last_seq)| (id, last_seq - plan.taken.get(&id).copied().unwrap_or(0)))
        .collect())
}

/// Inserts the `fresh` messages, each with its conversation and number; returns them as stored
/// by conversation and number.
async fn insert_messages(
    connection: &mut SqliteConnection,
    fresh: &[(&Incoming, i64, i64)],
    now: i64,
) -> StoreResult<HashMap<(i64, i64), StoredRow>> {
    let rows: Vec<_> = fresh
        .iter()
        .map(|(incoming, conversation_id, seq)| {
            let values = MessageValues::of(incoming);
            let (integration_id, author_ext_user_id) = values.author.unzip();
            (
                *conversation_id,
                *seq,
                values.client_id,
                values.author_kind,
                values.author_name,
                values.visitor_id,
                integration_id,
                author_ext_user_id,
                values.ext_id,
                values.text,
                values.text_format,
                values.page_url,
                values.page_title,
            )
        })
        .collect();
    let stored: Vec<StoredRow> =
        run_over(connection, include_str!("insert_messages.sql"), &rows, now).await?;
    Ok(stored
        .into_iter()
        .map(|row| ((row.conversation_id, row.seq), row))
        .collect())
}

/// What the store holds of `batch`'s people and messages: two reads at most, one for the
/// visitors' messages and one for the operators'.
async fn look_up(connection: &mut SqliteConnection, batch: &[Incoming]) -> StoreResult<Lookup> {
    let keys = Keys::of(batch);
    let mut lookup = Lookup::default();
    if !keys.visitors.is_empty() {
        let rows: Vec<LookupRow> = sqlx::query_as(include_str!("known_messages.sql"))
            .bind(json(&keys.visitors)?)
            .fetch_all(&mut *connection)
            .await?;
        lookup.add_all(rows, &keys)?;
    }
    if !keys.operators.is_empty() {
        let stored: Vec<(i64, String)> = sqlx::query_as(include_str!("stored_replies.sql"))
            .bind(json(&keys.operators)?)
            .fetch_all(&mut *connection)
            .await?;
        lookup.stored_replies.extend(stored);
    }
    Ok(lookup)
}

/// Queues `commands` in their order; returns their ids.
async fn insert_commands(
    connection: &mut SqliteConnection,
    commands: &[NewCommand],
    now: i64,
) -> StoreResult<Vec<i64>> {
    let rows: Vec<_> = commands
        .iter()
        .map(|c| {
            (
                &c.integration_id,
                c.conversation_id,
                &c.ordering_key,
                &c.command,
            )
        })
        .collect();
    let ids: Vec<(i64,)> =
        run_over(connection, include_str!("insert_commands.sql"), &rows, now).await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The rows `sql` returns when run over `rows` (its `$1`, one JSON array) at `now` (its `$2`);
/// none, without running it, when there are no rows.
async fn run_over<R, T>(
    connection: &mut SqliteConnection,
    sql: &'static str,
    rows: &[T],
    now: i64,
) -> StoreResult<Vec<R>>
where
    R: for<'r> sqlx::FromRow<'r, SqliteRow> + Send + Unpin,
    T: serde::Serialize,
{
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(sql)
        .bind(json(rows)?)
        .bind(now)
        .fetch_all(connection)
        .await?)
}
