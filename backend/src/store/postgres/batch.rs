//! PostgreSQL's `write_batch`: one statement (`write_batch.sql`) that numbers and inserts the
//! batch's new messages and queues their commands. It binds arrays, so its text never changes
//! with the batch's size and it is prepared and planned once, on a connection the writer keeps.
//! A batch of people the writer remembers ([`RememberedPeople`]) costs that statement alone; others are
//! first read (people, conversations, messages stored before under their client ids). No
//! transaction is needed around them: the statement refuses, writing nothing, if a conversation
//! is no longer what the batch was planned with. A person's first message first creates and
//! announces its conversation, in a transaction of its own.

use super::message_ids::MessageIds;
use super::remembered::RememberedPeople;
use crate::outbox::NewCommand;
use crate::outbox::signal::OutboxSignal;
use crate::store::batch::{
    Announced, Incoming, Keys, Lookup, LookupRow, MessageValues, Plan, Touch, handed,
};
use crate::store::interface::{StoreError, StoreResult, now_ms};
use crate::store::rows::{author_kind_name, operator_picture, text_format_name};
use crate::store::sql_store::SqlStore;
use crate::store::writer::{WriteBatch, Written};
use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use std::collections::HashMap;
use std::sync::Arc;

/// The writer's side of PostgreSQL.
pub(super) struct PgBatches {
    pool: PgPool,
    /// Told of the commands a first message's announcement queued, at its commit.
    signal: Arc<OutboxSignal>,
    ids: MessageIds,
    remembered: RememberedPeople,
    /// The connection the writer's statements run on, kept between batches: its server
    /// process stays warm and keeps the statements prepared, each with one generic plan.
    /// Let go after an error, in case it is the connection that failed.
    held: Option<PoolConnection<Postgres>>,
}

impl PgBatches {
    pub(super) fn new(pool: PgPool, signal: Arc<OutboxSignal>) -> Self {
        Self {
            pool,
            signal,
            ids: MessageIds::default(),
            remembered: RememberedPeople::default(),
            held: None,
        }
    }
}

#[async_trait]
impl WriteBatch for PgBatches {
    async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written> {
        let mut connection = match self.held.take() {
            Some(connection) => connection,
            None => {
                let mut connection = self.pool.acquire().await?;
                sqlx::query(include_str!("writer_session.sql"))
                    .execute(&mut *connection)
                    .await?;
                connection
            }
        };
        let written = self.write(&mut connection, batch).await;
        if written.is_ok() {
            self.held = Some(connection);
        } else {
            // Out of the pool, so it is not handed out again; closed when dropped.
            drop(connection.detach());
        }
        written
    }
}

/// The values of the batch's new messages, one array per column of `write_batch.sql`.
#[derive(Debug, Default)]
struct Columns<'b> {
    id: Vec<i64>,
    conversation_id: Vec<i64>,
    ordinal: Vec<i64>,
    client_id: Vec<Option<&'b str>>,
    author_kind: Vec<&'static str>,
    author_name: Vec<Option<&'b str>>,
    visitor_id: Vec<Option<i64>>,
    integration_id: Vec<Option<&'b str>>,
    author_ext_user_id: Vec<Option<&'b str>>,
    ext_id: Vec<Option<&'b str>>,
    text: Vec<&'b str>,
    text_format: Vec<&'static str>,
    page_url: Vec<Option<&'b str>>,
    page_title: Vec<Option<&'b str>>,
}

impl<'b> Columns<'b> {
    fn push(&mut self, id: i64, conversation_id: i64, ordinal: i64, values: MessageValues<'b>) {
        let (integration_id, author_ext_user_id) = values.author.unzip();
        self.id.push(id);
        self.conversation_id.push(conversation_id);
        self.ordinal.push(ordinal);
        self.client_id.push(values.client_id);
        self.author_kind.push(author_kind_name(values.author_kind));
        self.author_name.push(values.author_name);
        self.visitor_id.push(values.visitor_id);
        self.integration_id.push(integration_id);
        self.author_ext_user_id.push(author_ext_user_id);
        self.ext_id.push(values.ext_id);
        self.text.push(values.text);
        self.text_format.push(text_format_name(values.text_format));
        self.page_url.push(values.page_url);
        self.page_title.push(values.page_title);
    }
}

/// The batch's commands, one array per column of `write_batch.sql`.
#[derive(Debug, Default)]
struct CommandColumns<'c> {
    integration_id: Vec<&'c str>,
    conversation_id: Vec<i64>,
    ordering_key: Vec<&'c str>,
    command: Vec<&'c str>,
}

impl<'c> CommandColumns<'c> {
    fn of(commands: &'c [NewCommand]) -> Self {
        let mut columns = Self::default();
        for command in commands {
            columns.integration_id.push(&command.integration_id);
            columns.conversation_id.push(command.conversation_id);
            columns.ordering_key.push(&command.ordering_key);
            columns.command.push(&command.command);
        }
        columns
    }
}

/// What the batch changes on its conversations, one array per column of `write_batch.sql`, in
/// the order of [`Plan::taken`].
#[derive(Debug, Default)]
struct TouchColumns<'b> {
    status: Vec<Option<&'static str>>,
    page_url: Vec<Option<&'b str>>,
    page_title: Vec<Option<&'b str>>,
    visitor_ordinal: Vec<Option<i64>>,
}

impl<'b> TouchColumns<'b> {
    fn of(touches: &[Touch<'b>]) -> Self {
        let mut columns = Self::default();
        for touch in touches {
            let (page_url, page_title) = touch.page.unzip();
            columns.status.push(touch.status);
            columns.page_url.push(page_url);
            columns.page_title.push(page_title);
            columns.visitor_ordinal.push(touch.visitor_ordinal);
        }
        columns
    }
}

/// What each conversation of the batch must still be for the statement to write it: what the
/// batch was planned with, one array per column of `write_batch.sql`, in the order of
/// [`Plan::taken`]. Nothing is checked of a conversation only operators write to.
#[derive(Debug, Default)]
struct Expected<'b> {
    /// The person it belongs to.
    person_id: Vec<Option<i64>>,
    /// The ids the collaboration server knows it and its person by, where commands carry them.
    ext_conversation_id: Vec<Option<&'b str>>,
    ext_user_id: Vec<Option<&'b str>>,
}

impl<'b> Expected<'b> {
    fn of(taken: &[i64], owners: &'b HashMap<i64, (i64, Option<Announced>)>) -> Self {
        let mut expected = Self::default();
        for id in taken {
            let owner = owners.get(id);
            let announced = owner.and_then(|(_, announced)| announced.as_ref());
            expected
                .person_id
                .push(owner.map(|(person_id, _)| *person_id));
            expected
                .ext_conversation_id
                .push(announced.map(|a| a.ext_conversation_id.as_str()));
            expected
                .ext_user_id
                .push(announced.map(|a| a.ext_user_id.as_str()));
        }
        expected
    }
}

/// A row `write_batch.sql` returns: a message as stored, or a command as queued (`seq` NULL).
#[derive(Debug, sqlx::FromRow)]
struct WrittenRow {
    id: i64,
    seq: Option<i64>,
    author_name: Option<String>,
    picture_of: Option<i64>,
}

impl PgBatches {
    /// Writes `batch` as planned from memory if its people are remembered; if the statement
    /// refuses that plan, they are forgotten, read, and the batch planned again.
    async fn write(
        &mut self,
        connection: &mut PgConnection,
        batch: &[Incoming],
    ) -> StoreResult<Written> {
        if let Some(lookup) = self.remembered.recall(batch) {
            match write_planned(connection, &self.pool, &mut self.ids, batch, &lookup).await {
                Ok(written) => return Ok(written),
                Err(error) => {
                    tracing::debug!(%error, "a batch planned from memory was refused; reading its people");
                    self.remembered.forget(batch);
                }
            }
        }
        let mut lookup = look_up(connection, batch).await?;
        let prepared =
            SqlStore::<Postgres>::prepare_conversations(connection, &mut lookup, batch).await?;
        self.signal.queued(prepared);
        self.remembered.learn(&lookup);
        write_planned(connection, &self.pool, &mut self.ids, batch, &lookup).await
    }
}

/// Writes `batch` in one statement, planned from `lookup`.
async fn write_planned(
    connection: &mut PgConnection,
    pool: &PgPool,
    ids: &mut MessageIds,
    batch: &[Incoming],
    lookup: &Lookup,
) -> StoreResult<Written> {
    let plan = Plan::new(batch, lookup)?;
    let mut ids = ids.take(pool, plan.new_messages()).await?.into_iter();
    let now = now_ms();
    let mut columns = Columns::default();
    let mut created = Vec::with_capacity(plan.new_messages());
    let mut commands = Vec::new();
    let mut owners: HashMap<i64, (i64, Option<Announced>)> = HashMap::new();
    for (incoming, conversation_id, ordinal) in plan.fresh(batch) {
        let id = ids
            .next()
            .ok_or_else(|| StoreError::Corrupt("too few message ids taken".into()))?;
        let values = MessageValues::of(incoming);
        let message = values.message(id, conversation_id, 0, now);
        columns.push(id, conversation_id, ordinal, values);
        if let Incoming::Visitor(visitor) = incoming {
            let announced = match lookup.message_command(visitor, &message)? {
                Some((command, announced)) => {
                    commands.push(command);
                    Some(announced)
                }
                None => None,
            };
            owners.insert(conversation_id, (visitor.visitor.person_id, announced));
        }
        created.push(message);
    }
    let (taken, counts): (Vec<i64>, Vec<i64>) = plan.taken.iter().map(|(id, n)| (*id, *n)).unzip();
    let expected = Expected::of(&taken, &owners);
    let touches = TouchColumns::of(&plan.touches(batch));
    let queue = CommandColumns::of(&commands);
    let rows: Vec<WrittenRow> = sqlx::query_as(include_str!("write_batch.sql"))
        .bind(&taken)
        .bind(&counts)
        .bind(&expected.person_id)
        .bind(&columns.id)
        .bind(&columns.conversation_id)
        .bind(&columns.ordinal)
        .bind(&columns.client_id)
        .bind(&columns.author_kind)
        .bind(&columns.author_name)
        .bind(&columns.visitor_id)
        .bind(&columns.integration_id)
        .bind(&columns.author_ext_user_id)
        .bind(&columns.ext_id)
        .bind(&columns.text)
        .bind(&columns.text_format)
        .bind(&columns.page_url)
        .bind(&columns.page_title)
        .bind(now)
        .bind(&queue.integration_id)
        .bind(&queue.conversation_id)
        .bind(&queue.ordering_key)
        .bind(&queue.command)
        .bind(&touches.status)
        .bind(&touches.page_url)
        .bind(&touches.page_title)
        .bind(&touches.visitor_ordinal)
        .bind(&expected.ext_conversation_id)
        .bind(&expected.ext_user_id)
        .fetch_all(&mut *connection)
        .await?;
    let mut stored_rows = HashMap::with_capacity(created.len());
    let mut queued = Vec::with_capacity(commands.len());
    for row in rows {
        match row.seq {
            Some(seq) => {
                stored_rows.insert(row.id, (seq, row.author_name, row.picture_of));
            }
            None => queued.push(row.id),
        }
    }
    for (message, (incoming, _, _)) in created.iter_mut().zip(plan.fresh(batch)) {
        let (seq, author_name, picture_of) = stored_rows
            .remove(&message.id)
            .ok_or_else(|| StoreError::Corrupt("a message went missing from its insert".into()))?;
        message.seq = seq;
        if let Incoming::Operator(_) = incoming {
            message.author.name = author_name;
            message.author.picture = picture_of.map(operator_picture);
        }
    }
    let stored = SqlStore::<Postgres>::messages_by_id(connection, &plan.stored_ids()).await?;
    Ok(Written {
        outcomes: plan.outcomes(batch, created, &stored)?,
        handed: handed(commands, queued)?,
    })
}

/// What the store holds of `batch`'s people and messages: two reads at most, one for the
/// visitors' messages and one for the operators'.
async fn look_up(connection: &mut PgConnection, batch: &[Incoming]) -> StoreResult<Lookup> {
    let keys = Keys::of(batch);
    let mut lookup = Lookup::default();
    if !keys.visitors.is_empty() {
        let (people, client_ids): (Vec<i64>, Vec<&str>) = keys.visitors.iter().copied().unzip();
        let rows: Vec<LookupRow> = sqlx::query_as(include_str!("known_messages.sql"))
            .bind(&people)
            .bind(&client_ids)
            .fetch_all(&mut *connection)
            .await?;
        lookup.add_all(rows, &keys)?;
    }
    if !keys.operators.is_empty() {
        let (conversations, ext_ids): (Vec<i64>, Vec<&str>) =
            keys.operators.iter().copied().unzip();
        let stored: Vec<(i64, String)> = sqlx::query_as(include_str!("stored_replies.sql"))
            .bind(&conversations)
            .bind(&ext_ids)
            .fetch_all(&mut *connection)
            .await?;
        lookup.stored_replies.extend(stored);
    }
    Ok(lookup)
}
