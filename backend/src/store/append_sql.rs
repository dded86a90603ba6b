//! Storing a group of visitors' messages in a constant number of statements, however many
//! messages the group holds: one read of what is known (each person's id in the collaboration
//! server, and messages stored earlier under the group's client ids), one upsert moving each
//! conversation's counter past its new messages, one multi-row insert of the messages and one
//! of their webhook commands; each is split only past the engines' limit on bound parameters.
//! A person's first message costs a few statements more: announcing the person and its
//! conversation to the collaboration server.

use super::multi_row::{engine_of, list, rows_per_statement, values};
use super::rows::{self, MESSAGE_SELECT};
use super::single_statement::{Expected, Fresh, MessageIds, UNNUMBERED, next_id};
use super::sql::{OutboxRow, Tx, announce_person, insert_outbox};
use super::{Appended, Bridge, NewMessage, StoreError, StoreResult, Visitor, now_ms};
use crate::outbox::commands;
use crate::outbox::signal::Handed;
use protocol::webhook::Command;
use protocol::{Author, AuthorKind, Message};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Values bound per row of the messages insert.
const MESSAGE_COLUMNS: usize = 12;
/// Values bound per row of the conversation counters' upsert.
const COUNTER_COLUMNS: usize = 4;

/// A visitor's message waiting to be stored.
#[derive(Debug)]
pub(super) struct Incoming {
    pub visitor: Visitor,
    pub message: NewMessage,
    pub bridge: Bridge,
}

/// What becomes of one message of the group.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Stored before the group, under this id.
    Stored(i64),
    /// Sent again within the group: the message at this index of the group.
    SameAs(usize),
    /// New: its person's `ordinal`-th new message in the group, counting from 0.
    New { ordinal: i64 },
}

/// A conversation's counter after the group's messages took their numbers.
#[derive(Debug)]
struct Counter {
    conversation_id: i64,
    last_seq: i64,
    /// How many numbers the group took.
    taken: i64,
    ext_id: Option<String>,
    announced: bool,
}

impl Counter {
    fn seq(&self, ordinal: i64) -> i64 {
        self.last_seq - self.taken + 1 + ordinal
    }
}

/// Which message of the group becomes what, given what the store knew before the group.
#[derive(Debug)]
pub(super) struct Plan<'g> {
    slots: Vec<Slot>,
    /// Each person's visitor and number of new messages, by person id, so PostgreSQL locks the
    /// conversations in one order.
    new_per_person: BTreeMap<i64, (&'g Visitor, i64)>,
}

impl<'g> Plan<'g> {
    pub(super) fn new(group: &[&'g Incoming], known: &Known) -> Self {
        let mut slots = Vec::with_capacity(group.len());
        let mut first_of: HashMap<(i64, &str), usize> = HashMap::new();
        let mut new_per_person: BTreeMap<i64, (&Visitor, i64)> = BTreeMap::new();
        for (index, incoming) in group.iter().enumerate() {
            let person_id = incoming.visitor.person_id;
            let client_id = incoming.message.client_id.as_str();
            let slot = if let Some(&id) = known.stored.get(&(person_id, client_id.to_owned())) {
                Slot::Stored(id)
            } else if let Some(&first) = first_of.get(&(person_id, client_id)) {
                Slot::SameAs(first)
            } else {
                first_of.insert((person_id, client_id), index);
                let (_, count) = new_per_person
                    .entry(person_id)
                    .or_insert((&incoming.visitor, 0));
                *count += 1;
                Slot::New {
                    ordinal: *count - 1,
                }
            };
            slots.push(slot);
        }
        Self {
            slots,
            new_per_person,
        }
    }

    /// The group's new messages under the `ids` given, and their webhook commands, for a
    /// statement that numbers them; `None` if a new message's conversation does not exist yet,
    /// or must first be announced to the collaboration server.
    pub(super) fn prepared(
        &self,
        group: &[&Incoming],
        known: &Known,
        ids: &mut MessageIds,
        now: i64,
    ) -> StoreResult<Option<(Vec<Fresh>, Vec<OutboxRow>)>> {
        let mut fresh = Vec::new();
        let mut commands = Vec::new();
        for (incoming, slot) in group.iter().zip(&self.slots) {
            if !matches!(slot, Slot::New { .. }) {
                continue;
            }
            let person_id = incoming.visitor.person_id;
            let Some(conversation) = known.conversations.get(&person_id) else {
                return Ok(None);
            };
            let id = ids.take()?;
            let message = visitor_message(incoming, id, conversation.id, UNNUMBERED, now);
            let mut expected = Expected::visitor(person_id, None);
            if incoming.bridge == Bridge::On {
                let ext_user_id = known.ext_user_ids.get(&person_id).cloned().flatten();
                let (Some(ext_user_id), Some(ext_conversation_id), true) = (
                    ext_user_id,
                    conversation.ext_id.clone(),
                    conversation.announced,
                ) else {
                    return Ok(None);
                };
                let ids = Announced {
                    ext_user_id,
                    ext_conversation_id,
                };
                commands.push(message_command(incoming, &message, &ids)?);
                let ext_ids = (ids.ext_conversation_id, ids.ext_user_id);
                expected = Expected::visitor(person_id, Some(ext_ids));
            }
            fresh.push(Fresh::visitor(
                message,
                incoming.visitor.id,
                incoming.message.page.clone(),
                expected,
            ));
        }
        Ok(Some((fresh, commands)))
    }

    /// What each message of the group became: `created` holds the new messages in the order
    /// of the group, `stored` those stored before the group.
    pub(super) fn appended(
        &self,
        created: impl IntoIterator<Item = Message>,
        stored: &HashMap<i64, Message>,
    ) -> StoreResult<Vec<Appended>> {
        let mut created = created.into_iter();
        let mut appended: Vec<Appended> = Vec::with_capacity(self.slots.len());
        for slot in &self.slots {
            let message = match slot {
                Slot::Stored(id) => stored.get(id).cloned().map(Appended::Existing),
                Slot::SameAs(first) => appended
                    .get(*first)
                    .map(|first| Appended::Existing(first.message().clone())),
                Slot::New { .. } => created.next().map(Appended::Created),
            };
            appended.push(
                message
                    .ok_or_else(|| StoreError::Corrupt("a stored message went missing".into()))?,
            );
        }
        Ok(appended)
    }

    /// Whether the group holds a message stored before it (sent again after a lost
    /// acknowledgement).
    pub(super) fn repeats_stored(&self) -> bool {
        self.slots
            .iter()
            .any(|slot| matches!(slot, Slot::Stored(_)))
    }

    /// The ids of the messages stored before the group.
    fn stored_ids(&self) -> Vec<i64> {
        let ids: BTreeSet<i64> = self
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Stored(id) => Some(*id),
                _ => None,
            })
            .collect();
        ids.into_iter().collect()
    }
}

/// A visitor's message as stored: `seq` is its number in the conversation.
fn visitor_message(
    incoming: &Incoming,
    id: i64,
    conversation_id: i64,
    seq: i64,
    now: i64,
) -> Message {
    let Incoming {
        visitor, message, ..
    } = incoming;
    Message {
        id,
        conversation_id,
        seq,
        client_id: Some(message.client_id.clone()),
        author: Author {
            kind: AuthorKind::Visitor,
            name: visitor.contact.name.clone(),
            picture: None,
        },
        text: message.text.clone(),
        text_format: message.text_format,
        sent_at: now,
        edited_at: None,
    }
}

/// Stores `group` in `tx`, in order, given what was `known` before it; a client id stored
/// before, or earlier in the group, gives back the message stored under it. Also returns the
/// webhook commands it queued, and what is known after it of the people it wrote new messages
/// for. New messages take their ids from `ids` where given.
pub(super) async fn append_group(
    tx: &mut Tx<'_>,
    group: &[&Incoming],
    known: &Known,
    ids: Option<&mut MessageIds>,
) -> StoreResult<(Vec<Appended>, Vec<Handed>, Known)> {
    let now = now_ms();
    let plan = Plan::new(group, known);
    let counters = advance_counters(tx, &plan.new_per_person, now).await?;
    let created = insert_messages(tx, group, &plan.slots, &counters, ids, now).await?;
    let (handed, announced) = queue_commands(tx, group, &created, known, &counters).await?;
    let stored = stored_messages(tx, &plan).await?;
    Ok((
        plan.appended(created.into_iter().flatten(), &stored)?,
        handed,
        known.after(&counters, &announced),
    ))
}

/// A conversation as the store knew it before the group.
#[derive(Debug, Clone)]
struct KnownConversation {
    id: i64,
    /// Its id in the collaboration server, once announced.
    ext_id: Option<String>,
    announced: bool,
}

/// What the store knows of the group's people before the group.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// Each person's id in the collaboration server, once announced.
    ext_user_ids: HashMap<i64, Option<String>>,
    /// Each person's conversation, once it exists.
    conversations: HashMap<i64, KnownConversation>,
    /// Messages stored under a client id, by person and client id.
    stored: HashMap<(i64, String), i64>,
}

impl Known {
    pub(super) async fn read(
        connection: &mut AnyConnection,
        group: &[&Incoming],
    ) -> StoreResult<Self> {
        let mut known = Self::default();
        let engine = engine_of(connection);
        for part in group.chunks(rows_per_statement(2)) {
            // Each (person, client id) pair is looked up on its own: one index probe per
            // message, where matching every client id of the group against every person's
            // conversation would cost their product.
            let wanted: BTreeSet<(i64, &str)> = part
                .iter()
                .map(|item| (item.visitor.person_id, item.message.client_id.as_str()))
                .collect();
            let pairs = values(engine, wanted.len(), 2);
            let sql = format!(
                "WITH wanted (person_id, client_id) AS (VALUES {pairs}) \
                 SELECT p.id AS person_id, p.ext_user_id, c.id AS conversation_id, \
                 c.ext_id AS ext_conversation_id, c.announced_at, m.id AS existing, m.client_id \
                 FROM wanted w JOIN people p ON p.id = w.person_id \
                 LEFT JOIN conversations c ON c.person_id = p.id \
                 LEFT JOIN messages m ON m.conversation_id = c.id AND m.client_id = w.client_id",
            );
            let mut query = sqlx::query(&sql);
            for (person_id, client_id) in &wanted {
                query = query.bind(*person_id).bind(*client_id);
            }
            let people: BTreeSet<i64> = wanted.iter().map(|(person_id, _)| *person_id).collect();
            for row in query.fetch_all(&mut *connection).await? {
                known.add(&row)?;
            }
            if let Some(gone) = people
                .iter()
                .find(|person_id| !known.ext_user_ids.contains_key(person_id))
            {
                return Err(StoreError::Corrupt(format!("person {gone} is gone")));
            }
        }
        Ok(known)
    }

    /// What `self` knows of `group`'s people, if it knows each one's conversation, and no
    /// two share one.
    pub(super) fn recall(&self, group: &[&Incoming]) -> Option<Self> {
        let mut part = Self::default();
        let mut conversations = HashSet::new();
        for incoming in group {
            let person_id = incoming.visitor.person_id;
            if part.conversations.contains_key(&person_id) {
                continue;
            }
            let conversation = self.conversations.get(&person_id)?;
            if !conversations.insert(conversation.id) {
                return None;
            }
            let ext_user_id = self.ext_user_ids.get(&person_id)?;
            part.ext_user_ids.insert(person_id, ext_user_id.clone());
            part.conversations.insert(person_id, conversation.clone());
        }
        Some(part)
    }

    /// Takes what `other` knows of its people's conversations (not of their messages) over
    /// what `self` knew.
    pub(super) fn learn(&mut self, other: &Self) {
        for (person_id, conversation) in &other.conversations {
            let Some(ext_user_id) = other.ext_user_ids.get(person_id) else {
                continue;
            };
            self.ext_user_ids.insert(*person_id, ext_user_id.clone());
            self.conversations.insert(*person_id, conversation.clone());
        }
    }

    /// Forgets `group`'s people.
    pub(super) fn forget(&mut self, group: &[&Incoming]) {
        for incoming in group {
            self.ext_user_ids.remove(&incoming.visitor.person_id);
            self.conversations.remove(&incoming.visitor.person_id);
        }
    }

    /// How many people's conversations `self` knows.
    pub(super) fn people(&self) -> usize {
        self.conversations.len()
    }

    /// What is known of the people with `counters` once their new messages are written: their
    /// conversations as counted, with the ids `announced` where the group announced them.
    fn after(&self, counters: &HashMap<i64, Counter>, announced: &HashMap<i64, Announced>) -> Self {
        let mut after = Self::default();
        for (person_id, counter) in counters {
            let (ext_user_id, conversation) = match announced.get(person_id) {
                Some(ids) => (
                    Some(ids.ext_user_id.clone()),
                    KnownConversation {
                        id: counter.conversation_id,
                        ext_id: Some(ids.ext_conversation_id.clone()),
                        announced: true,
                    },
                ),
                None => (
                    self.ext_user_ids.get(person_id).cloned().flatten(),
                    KnownConversation {
                        id: counter.conversation_id,
                        ext_id: counter.ext_id.clone(),
                        announced: counter.announced,
                    },
                ),
            };
            after.ext_user_ids.insert(*person_id, ext_user_id);
            after.conversations.insert(*person_id, conversation);
        }
        after
    }

    /// Adds a row of [`Known::read`]'s statement.
    fn add(&mut self, row: &AnyRow) -> StoreResult<()> {
        let person_id: i64 = row.try_get("person_id")?;
        self.ext_user_ids
            .insert(person_id, row.try_get("ext_user_id")?);
        if let Some(id) = row.try_get::<Option<i64>, _>("conversation_id")? {
            let conversation = KnownConversation {
                id,
                ext_id: row.try_get("ext_conversation_id")?,
                announced: row.try_get::<Option<i64>, _>("announced_at")?.is_some(),
            };
            self.conversations.insert(person_id, conversation);
        }
        if let Some(existing) = row.try_get::<Option<i64>, _>("existing")? {
            let client_id: String = row.try_get("client_id")?;
            self.stored.insert((person_id, client_id), existing);
        }
        Ok(())
    }
}

/// Moves each person's conversation counter past its new messages (creating the conversation
/// with the first), returning the counters by person id.
async fn advance_counters(
    tx: &mut Tx<'_>,
    new_per_person: &BTreeMap<i64, (&Visitor, i64)>,
    now: i64,
) -> StoreResult<HashMap<i64, Counter>> {
    let mut counters = HashMap::with_capacity(new_per_person.len());
    let engine = engine_of(tx);
    let entries: Vec<&(&Visitor, i64)> = new_per_person.values().collect();
    for part in entries.chunks(rows_per_statement(COUNTER_COLUMNS)) {
        let sql = format!(
            "INSERT INTO conversations (integration_id, person_id, created_at, last_seq) \
             VALUES {} ON CONFLICT (person_id) \
             DO UPDATE SET last_seq = conversations.last_seq + excluded.last_seq \
             RETURNING id, person_id, last_seq, ext_id, announced_at",
            values(engine, part.len(), COUNTER_COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for (visitor, taken) in part {
            query = query
                .bind(&visitor.integration_id)
                .bind(visitor.person_id)
                .bind(now)
                .bind(*taken);
        }
        for row in query.fetch_all(&mut **tx).await? {
            let person_id: i64 = row.try_get("person_id")?;
            let taken = new_per_person
                .get(&person_id)
                .map_or(0, |(_, taken)| *taken);
            let counter = Counter {
                conversation_id: row.try_get("id")?,
                last_seq: row.try_get("last_seq")?,
                taken,
                ext_id: row.try_get("ext_id")?,
                announced: row.try_get::<Option<i64>, _>("announced_at")?.is_some(),
            };
            counters.insert(person_id, counter);
        }
    }
    Ok(counters)
}

/// The counter of `person_id`, which [`advance_counters`] returned.
fn counter_of(counters: &HashMap<i64, Counter>, person_id: i64) -> StoreResult<&Counter> {
    counters
        .get(&person_id)
        .ok_or_else(|| StoreError::Corrupt(format!("no conversation counter for {person_id}")))
}

/// Inserts the group's new messages; returns them by index in the group.
async fn insert_messages(
    tx: &mut Tx<'_>,
    group: &[&Incoming],
    slots: &[Slot],
    counters: &HashMap<i64, Counter>,
    mut ids: Option<&mut MessageIds>,
    now: i64,
) -> StoreResult<Vec<Option<Message>>> {
    let mut fresh = Vec::new();
    for (index, (incoming, slot)) in group.iter().zip(slots).enumerate() {
        if let Slot::New { ordinal } = slot {
            let counter = counter_of(counters, incoming.visitor.person_id)?;
            let id = next_id(&mut ids)?;
            fresh.push((index, id, counter.conversation_id, counter.seq(*ordinal)));
        }
    }
    let mut ids = HashMap::with_capacity(fresh.len());
    let engine = engine_of(tx);
    for part in fresh.chunks(rows_per_statement(MESSAGE_COLUMNS)) {
        let sql = format!(
            "INSERT INTO messages (id, conversation_id, seq, client_id, author_kind, \
             author_name, visitor_id, text, text_format, page_url, page_title, sent_at) VALUES {} \
             RETURNING id, conversation_id, seq",
            values(engine, part.len(), MESSAGE_COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for &(index, id, conversation_id, seq) in part {
            let Incoming {
                visitor, message, ..
            } = group[index];
            let page = message.page.clone().unwrap_or_default();
            query = query
                .bind(id)
                .bind(conversation_id)
                .bind(seq)
                .bind(&message.client_id)
                .bind(rows::author_kind_name(AuthorKind::Visitor))
                .bind(visitor.contact.name.clone())
                .bind(visitor.id)
                .bind(&message.text)
                .bind(rows::text_format_name(message.text_format))
                .bind(page.url)
                .bind(page.title)
                .bind(now);
        }
        // RETURNING promises no order: rows are matched by their (conversation, seq) key.
        for row in query.fetch_all(&mut **tx).await? {
            let key: (i64, i64) = (row.try_get("conversation_id")?, row.try_get("seq")?);
            ids.insert(key, row.try_get::<i64, _>("id")?);
        }
    }
    let mut created = vec![None; group.len()];
    for (index, _, conversation_id, seq) in fresh {
        let id = *ids
            .get(&(conversation_id, seq))
            .ok_or_else(|| StoreError::Corrupt("an inserted message has no id".into()))?;
        created[index] = Some(visitor_message(group[index], id, conversation_id, seq, now));
    }
    Ok(created)
}

/// The ids the collaboration server knows a person and its conversation by.
#[derive(Debug, Clone)]
struct Announced {
    ext_user_id: String,
    ext_conversation_id: String,
}

/// Queues what the collaboration server needs for the new messages sent with the bridge on:
/// each person and conversation the first time, then the messages, in order. Also returns
/// the ids the collaboration server knows each of those people and conversations by.
async fn queue_commands(
    tx: &mut Tx<'_>,
    group: &[&Incoming],
    created: &[Option<Message>],
    known: &Known,
    counters: &HashMap<i64, Counter>,
) -> StoreResult<(Vec<Handed>, HashMap<i64, Announced>)> {
    let mut announced: HashMap<i64, Announced> = HashMap::new();
    let mut commands = Vec::new();
    for (incoming, message) in group.iter().zip(created) {
        let Some(message) = message else { continue };
        if incoming.bridge == Bridge::Off {
            continue;
        }
        let visitor = &incoming.visitor;
        let ids = match announced.get(&visitor.person_id) {
            Some(ids) => ids.clone(),
            None => {
                let counter = counter_of(counters, visitor.person_id)?;
                let ids = announce(tx, incoming, known, counter, &mut commands).await?;
                announced.insert(visitor.person_id, ids.clone());
                ids
            }
        };
        commands.push(message_command(incoming, message, &ids)?);
    }
    Ok((insert_outbox(tx, commands).await?, announced))
}

/// The `createMessage` command of `incoming`, stored as `message`, for the collaboration
/// server, which knows its person and conversation by `ids`.
fn message_command(
    incoming: &Incoming,
    message: &Message,
    ids: &Announced,
) -> StoreResult<OutboxRow> {
    let page = incoming.message.page.as_ref();
    let command = commands::message(message, &ids.ext_user_id, &ids.ext_conversation_id, page);
    OutboxRow::new(
        &incoming.visitor.integration_id,
        message.conversation_id,
        &Command::CreateMessage(command),
    )
}

/// The ids of `incoming`'s person and conversation in the collaboration server, announcing
/// either the first time: the person's `createUser` and the conversation's
/// `createConversation` join `commands`.
async fn announce(
    tx: &mut Tx<'_>,
    incoming: &Incoming,
    known: &Known,
    counter: &Counter,
    commands: &mut Vec<OutboxRow>,
) -> StoreResult<Announced> {
    let visitor = &incoming.visitor;
    let conversation_id = counter.conversation_id;
    let ext_user_id = match known
        .ext_user_ids
        .get(&visitor.person_id)
        .cloned()
        .flatten()
    {
        Some(ext_user_id) => ext_user_id,
        None => announce_person(tx, visitor.person_id, conversation_id, commands).await?,
    };
    let ext_conversation_id = counter
        .ext_id
        .clone()
        .unwrap_or_else(|| conversation_id.to_string());
    if !counter.announced {
        sqlx::query("UPDATE conversations SET ext_id = $1, announced_at = $2 WHERE id = $3")
            .bind(&ext_conversation_id)
            .bind(now_ms())
            .bind(conversation_id)
            .execute(&mut **tx)
            .await?;
        let name = commands::visitor_name(visitor.person_id, &visitor.contact);
        let page = incoming.message.page.as_ref();
        let created = commands::conversation(&ext_conversation_id, &ext_user_id, &name, page);
        commands.push(OutboxRow::new(
            &visitor.integration_id,
            conversation_id,
            &Command::CreateConversation(created),
        )?);
    }
    Ok(Announced {
        ext_user_id,
        ext_conversation_id,
    })
}

/// The messages stored before the group under the group's client ids, by id.
pub(super) async fn stored_messages(
    connection: &mut AnyConnection,
    plan: &Plan<'_>,
) -> StoreResult<HashMap<i64, Message>> {
    let ids = plan.stored_ids();
    let mut stored = HashMap::with_capacity(ids.len());
    let engine = engine_of(connection);
    for part in ids.chunks(rows_per_statement(1)) {
        let sql = format!(
            "{MESSAGE_SELECT} WHERE m.id IN ({})",
            list(engine, part.len(), 1)
        );
        let mut query = sqlx::query(&sql);
        for id in part {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *connection).await? {
            let message = rows::message(&row)?;
            stored.insert(message.id, message);
        }
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores::{queued, test_stores};
    use crate::store::{Engine, SqlStore, Store};
    use protocol::TextFormat;

    fn incoming(visitor: &Visitor, client_id: &str) -> Incoming {
        Incoming {
            visitor: visitor.clone(),
            message: NewMessage {
                client_id: client_id.into(),
                text: format!("text of {client_id}"),
                text_format: TextFormat::Plain,
                page: None,
            },
            bridge: Bridge::On,
        }
    }

    #[tokio::test]
    async fn a_group_numbers_each_conversation_in_order_and_stores_a_client_id_once() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            numbers_in_order_and_stores_once(store).await;
        }
    }

    async fn numbers_in_order_and_stores_once(store: &SqlStore) {
        let ann = store.create_visitor("shop", "ann").await.unwrap();
        let bob = store.create_visitor("shop", "bob").await.unwrap();
        let earlier = store
            .append_visitor_message(&ann, incoming(&ann, "a-1").message, Bridge::On)
            .await
            .unwrap();

        let group = [
            incoming(&bob, "b-1"),
            incoming(&ann, "a-2"),
            incoming(&ann, "a-1"),
            incoming(&bob, "b-2"),
            incoming(&ann, "a-2"),
            incoming(&ann, "a-3"),
        ];
        let group: Vec<&Incoming> = group.iter().collect();
        // PostgreSQL's writers insert messages under ids taken ahead.
        let mut ids = MessageIds::default();
        let ids = match store.engine {
            Engine::Postgres => {
                ids.reserve(&store.writes, group.len()).await.unwrap();
                Some(&mut ids)
            }
            Engine::Sqlite => None,
        };
        let mut tx = store.writes.begin().await.unwrap();
        let known = Known::read(&mut tx, &group).await.unwrap();
        let (appended, handed, after) = append_group(&mut tx, &group, &known, ids).await.unwrap();
        tx.commit().await.unwrap();

        let outline: Vec<(bool, &str, i64)> = appended
            .iter()
            .map(|appended| {
                let message = appended.message();
                let created = matches!(appended, Appended::Created(_));
                (created, message.client_id.as_deref().unwrap(), message.seq)
            })
            .collect();
        assert_eq!(
            outline,
            [
                (true, "b-1", 1),
                (true, "a-2", 2),
                (false, "a-1", 1),
                (true, "b-2", 2),
                (false, "a-2", 2),
                (true, "a-3", 3),
            ]
        );
        assert_eq!(appended[2].message(), earlier.message());
        assert_eq!(appended[4].message(), appended[1].message());

        let ann_conversation = store.conversation_of(ann.person_id).await.unwrap().unwrap();
        let stored: Vec<(i64, Option<String>)> = store
            .messages_after(ann_conversation, 0, i64::MAX)
            .await
            .unwrap()
            .into_iter()
            .map(|message| (message.seq, message.client_id))
            .collect();
        let expected = [(1, "a-1"), (2, "a-2"), (3, "a-3")]
            .map(|(seq, client_id)| (seq, Some(client_id.to_owned())));
        assert_eq!(stored, expected);
        assert_eq!(
            queued(store, ann_conversation).await,
            [
                "createUser",
                "createConversation",
                "createMessage",
                "createMessage",
                "createMessage"
            ]
        );
        let bob_conversation = appended[0].message().conversation_id;
        let recalled = after
            .recall(&group)
            .expect("both people known after the group");
        for (person_id, conversation_id) in [
            (ann.person_id, ann_conversation),
            (bob.person_id, bob_conversation),
        ] {
            let conversation = &recalled.conversations[&person_id];
            assert_eq!(conversation.id, conversation_id);
            assert!(conversation.announced, "announced by its first message");
            assert_eq!(conversation.ext_id, Some(conversation_id.to_string()));
            assert!(recalled.ext_user_ids[&person_id].is_some());
        }
        let handed: Vec<(i64, &str)> = handed
            .iter()
            .map(|handed| {
                let kind = handed.item.command.split('"').nth(1).unwrap_or_default();
                (handed.item.id, kind)
            })
            .collect();
        assert_eq!(
            handed.iter().map(|(_, kind)| *kind).collect::<Vec<_>>(),
            [
                "createUser",
                "createConversation",
                "createMessage",
                "createMessage",
                "createMessage",
                "createMessage"
            ],
            "the group hands over what it queued, in order: bob's announcement and four messages"
        );
        assert!(handed.is_sorted(), "ids follow the order");
        assert_eq!(
            queued(store, bob_conversation).await,
            [
                "createUser",
                "createConversation",
                "createMessage",
                "createMessage"
            ]
        );
    }
}
