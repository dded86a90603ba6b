//! SQLite's `write_batch`: one transaction, run whole on the thread that owns the writer's own
//! connection (`tokio_rusqlite`), so a batch is one hand-over to that thread and one back where
//! sqlx would hand over each statement (begin, look-ups, counters, messages, commands, commit).
//! Its statements take the batch as one JSON array (`json_each`), so their text does not
//! depend on the batch's size and each is prepared once and kept. The writer holds the pool's
//! one write connection meanwhile, so the server's other writes still take turns with it.
//! A person's first message first creates and announces its conversation on that pooled
//! connection, in a transaction of its own, and the batch is then run again.

use super::super::batch::{Incoming, Keys, Lookup, LookupRow, MessageValues, Plan, Touch, handed};
use super::super::interface::{StoreError, StoreResult, now_ms};
use super::super::rows::{author_kind_name, operator_picture, text_format_name};
use super::super::sql_store::SqlStore;
use super::super::writer::{WriteBatch, Written};
use super::{json, on_own_thread};
use crate::outbox::NewCommand;
use crate::outbox::signal::{OutboxSignal, QueuedCommand};
use async_trait::async_trait;
use protocol::Message;
use rusqlite::{Row, ToSql, Transaction, TransactionBehavior};
use sqlx::{Sqlite, SqlitePool};
use std::collections::HashMap;
use std::sync::Arc;

/// The writer's side of SQLite.
pub(super) struct SqliteBatches {
    /// The pool's one write connection: the writer's turn to write.
    pub pool: SqlitePool,
    /// The writer's own connection to the same file, on its own thread.
    pub connection: tokio_rusqlite::Connection,
    /// Told of the commands a first message's announcement queued, at its commit.
    pub signal: Arc<OutboxSignal>,
}

/// What became of a batch on the writer's own connection.
enum Attempt {
    /// Committed: what the batch planned, its new messages as stored and its queued commands.
    Committed {
        plan: Plan,
        created: Vec<Message>,
        handed: Vec<QueuedCommand>,
    },
    /// Nothing written: some of its people have no conversation announced yet.
    Unprepared(Lookup),
}

#[async_trait]
impl WriteBatch for SqliteBatches {
    async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written> {
        let mut turn = self.pool.acquire().await?;
        let batch = Arc::new(batch.to_vec());
        let attempt = match self.attempt(&batch).await? {
            Attempt::Unprepared(mut lookup) => {
                let prepared =
                    SqlStore::<Sqlite>::prepare_conversations(&mut turn, &mut lookup, &batch)
                        .await?;
                self.signal.queued(prepared);
                self.attempt(&batch).await?
            }
            committed => committed,
        };
        let Attempt::Committed {
            plan,
            created,
            handed,
        } = attempt
        else {
            return Err(StoreError::Corrupt(
                "a conversation just announced was not found".into(),
            ));
        };
        // Messages sent again were stored before this batch: read once it committed.
        let stored = SqlStore::<Sqlite>::messages_by_id(&mut turn, &plan.stored_ids()).await?;
        Ok(Written {
            outcomes: plan.outcomes(&batch, created, &stored)?,
            handed,
        })
    }
}

impl SqliteBatches {
    /// Runs `batch` on the writer's own connection.
    async fn attempt(&self, batch: &Arc<Vec<Incoming>>) -> StoreResult<Attempt> {
        let batch = Arc::clone(batch);
        on_own_thread(&self.connection, move |connection| {
            write(connection, &batch)
        })
        .await
    }
}

/// Writes `batch` in one transaction, unless some of its people's conversations must be
/// announced first.
fn write(connection: &mut rusqlite::Connection, batch: &[Incoming]) -> StoreResult<Attempt> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let lookup = look_up(&tx, batch)?;
    if !lookup.unprepared(batch).is_empty() {
        return Ok(Attempt::Unprepared(lookup));
    }
    let plan = Plan::new(batch, &lookup)?;
    let now = now_ms();
    let bases = take_numbers(&tx, &plan, &plan.touches(batch), now)?;
    let mut fresh = Vec::with_capacity(plan.new_messages());
    for (incoming, conversation_id, ordinal) in plan.fresh(batch) {
        let base = bases.get(&conversation_id).ok_or_else(|| {
            StoreError::Corrupt(format!("conversation {conversation_id} is gone"))
        })?;
        fresh.push((incoming, conversation_id, base + 1 + ordinal));
    }
    let mut stored = insert_messages(&tx, &fresh, now)?;
    let mut created = Vec::with_capacity(fresh.len());
    let mut commands = Vec::new();
    for (incoming, conversation_id, seq) in fresh {
        let row = stored
            .remove(&(conversation_id, seq))
            .ok_or_else(|| StoreError::Corrupt("a message went missing from its insert".into()))?;
        let mut message = MessageValues::of(incoming).message(row.id, conversation_id, seq, now);
        match incoming {
            Incoming::Operator(_) => {
                message.author.name = row.author_name;
                message.author.picture = row.picture_of.map(operator_picture);
            }
            Incoming::Visitor(visitor) => {
                let command = lookup.message_command(visitor, &message)?;
                commands.extend(command.map(|(command, _)| command));
            }
        }
        created.push(message);
    }
    let queued = insert_commands(&tx, &commands, now)?;
    let handed = handed(commands, queued)?;
    tx.commit()?;
    Ok(Attempt::Committed {
        plan,
        created,
        handed,
    })
}

/// A message as `insert_messages.sql` stored it.
#[derive(Debug)]
struct StoredRow {
    id: i64,
    author_name: Option<String>,
    picture_of: Option<i64>,
}

/// What the store holds of `batch`'s people and messages: two reads at most, one for the
/// visitors' messages and one for the operators'.
fn look_up(tx: &Transaction<'_>, batch: &[Incoming]) -> StoreResult<Lookup> {
    let keys = Keys::of(batch);
    let mut lookup = Lookup::default();
    if !keys.visitors.is_empty() {
        let rows = query_over(
            tx,
            include_str!("known_messages.sql"),
            &keys.visitors,
            None,
            |row| {
                Ok(LookupRow {
                    person_id: row.get("person_id")?,
                    client_id: row.get("client_id")?,
                    ext_user_id: row.get("ext_user_id")?,
                    conversation_id: row.get("conversation_id")?,
                    ext_conversation_id: row.get("ext_conversation_id")?,
                    announced_at: row.get("announced_at")?,
                    existing: row.get("existing")?,
                })
            },
        )?;
        lookup.add_all(rows, &keys)?;
    }
    if !keys.operators.is_empty() {
        let stored = query_over(
            tx,
            include_str!("stored_replies.sql"),
            &keys.operators,
            None,
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        lookup.stored_replies.extend(stored);
    }
    Ok(lookup)
}

/// Moves the counters of the conversations the batch writes to past their new messages, and
/// returns each one's last number before them.
fn take_numbers(
    tx: &Transaction<'_>,
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
    let counters: Vec<(i64, i64)> = query_over(
        tx,
        include_str!("take_numbers.sql"),
        &rows,
        Some(now),
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok(counters
        .into_iter()
        .map(|(id, last_seq)| (id, last_seq - plan.taken.get(&id).copied().unwrap_or(0)))
        .collect())
}

/// Inserts the `fresh` messages, each with its conversation and number; returns them as stored
/// by conversation and number.
fn insert_messages(
    tx: &Transaction<'_>,
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
                author_kind_name(values.author_kind),
                values.author_name,
                values.visitor_id,
                integration_id,
                author_ext_user_id,
                values.ext_id,
                values.text,
                text_format_name(values.text_format),
                values.page_url,
                values.page_title,
            )
        })
        .collect();
    let stored = query_over(
        tx,
        include_str!("insert_messages.sql"),
        &rows,
        Some(now),
        |row| {
            Ok((
                (row.get("conversation_id")?, row.get("seq")?),
                StoredRow {
                    id: row.get("id")?,
                    author_name: row.get("author_name")?,
                    picture_of: row.get("picture_of")?,
                },
            ))
        },
    )?;
    Ok(stored.into_iter().collect())
}

/// Queues `commands` in their order; returns their ids.
fn insert_commands(
    tx: &Transaction<'_>,
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
    query_over(
        tx,
        include_str!("insert_commands.sql"),
        &rows,
        Some(now),
        |row| row.get(0),
    )
}

/// The rows `sql` returns, each read by `read`, when run over `rows` (its `$1`, one JSON array)
/// and, if given, `now` (its `$2`); none, without running it, when there are no rows.
fn query_over<T, R>(
    tx: &Transaction<'_>,
    sql: &'static str,
    rows: &[T],
    now: Option<i64>,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<R>,
) -> StoreResult<Vec<R>>
where
    T: serde::Serialize,
{
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let rows = json(rows)?;
    let mut statement = tx.prepare_cached(sql)?;
    let mut bound: Vec<(&str, &dyn ToSql)> = vec![("$1", &rows)];
    if let Some(now) = &now {
        bound.push(("$2", now));
    }
    let read = statement.query_map(bound.as_slice(), read)?;
    Ok(read.collect::<rusqlite::Result<_>>()?)
}
