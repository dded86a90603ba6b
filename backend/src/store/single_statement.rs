//! PostgreSQL: a group of messages whose conversations exist (and, for the bridge, are
//! announced) written in one statement, its own transaction: data-modifying `WITH` clauses
//! move the conversations' counters, insert the messages numbered past them, and queue their
//! webhook commands. The message ids are taken from their sequence ahead, a block at a time, so
//! the commands, which carry them, are ready before the statement. The statement checks that
//! each conversation is still what the group was planned with ([`Expected`]), and fails, writing
//! nothing, if not: so a group may be planned from what its writer remembers of earlier groups
//! ([`super::remembered`]), and a group commit on PostgreSQL costs one round trip, where a
//! transaction costs `BEGIN`, one per statement and `COMMIT`. SQLite, in-process, keeps the
//! transaction of [`super::append_sql`] and [`super::reply_sql`].

use super::multi_row::values_from;
use super::rows::{author_kind_name, operator_picture, text_format_name};
use super::sql::{OUTBOX_COLUMNS, OUTBOX_INSERT, OutboxRow, bind_outbox, handed};
use super::{Engine, StoreError, StoreResult};
use crate::outbox::signal::Handed;
use protocol::{Message, PageInfo};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};
use std::collections::{BTreeMap, HashMap, VecDeque};
use tokio::task::JoinHandle;

/// Message ids taken from the sequence at a time.
const ID_BLOCK: usize = 1024;

/// The number a message carries before the statement numbers it.
pub(super) const UNNUMBERED: i64 = 0;

/// Columns of each conversation's row: how many numbers its new messages take and what it
/// must still be. Each column with the type PostgreSQL is told (a `VALUES` list in a `WITH`
/// clause has no table to take them from).
const TAKEN_COLUMNS: [(&str, &str); 5] = [
    ("id", "BIGINT"),
    ("n", "BIGINT"),
    ("person_id", "BIGINT"),
    ("ext_id", "TEXT"),
    ("ext_user_id", "TEXT"),
];

/// Columns of each new message's row, typed as [`TAKEN_COLUMNS`]. An operator's message names
/// its author by the collaboration server's id: the statement finds the operator, as it is
/// when the message is written.
const FRESH_COLUMNS: [(&str, &str); 14] = [
    ("id", "BIGINT"),
    ("conversation_id", "BIGINT"),
    ("ordinal", "BIGINT"),
    ("client_id", "TEXT"),
    ("author_kind", "TEXT"),
    ("author_name", "TEXT"),
    ("visitor_id", "BIGINT"),
    ("integration_id", "TEXT"),
    ("author_ext_user_id", "TEXT"),
    ("ext_id", "TEXT"),
    ("text", "TEXT"),
    ("text_format", "TEXT"),
    ("page_url", "TEXT"),
    ("page_title", "TEXT"),
];

/// What a message's conversation must still be when the statement runs; what the group was
/// planned with, read before the statement or remembered from earlier groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Expected {
    /// The person it belongs to (checked for visitors' messages).
    person_id: Option<i64>,
    /// The ids the collaboration server knows it and its person by, conversation's first,
    /// once announced (checked where a command was built with them).
    ext_ids: Option<(String, String)>,
}

impl Expected {
    /// A visitor's conversation: `person_id`'s, announced under `ext_ids` if given.
    pub(super) fn visitor(person_id: i64, ext_ids: Option<(String, String)>) -> Self {
        Self {
            person_id: Some(person_id),
            ext_ids,
        }
    }

    /// Adds what `other` expects of the same conversation; two messages that expect it to be
    /// different things were planned from a stale memory.
    fn merge(&mut self, other: &Self) -> StoreResult<()> {
        fn merge_one<T: Clone + PartialEq>(mine: &mut Option<T>, theirs: &Option<T>) -> bool {
            match (mine.as_ref(), theirs) {
                (Some(mine), Some(theirs)) => mine == theirs,
                (None, Some(_)) => {
                    *mine = theirs.clone();
                    true
                }
                (_, None) => true,
            }
        }
        if merge_one(&mut self.person_id, &other.person_id)
            && merge_one(&mut self.ext_ids, &other.ext_ids)
        {
            Ok(())
        } else {
            Err(StoreError::Corrupt(
                "a group was planned with two states of one conversation".into(),
            ))
        }
    }
}

/// A conversation's share of the statement.
#[derive(Debug, Default)]
struct Taken {
    /// Numbers its new messages take.
    n: i64,
    expected: Expected,
}

/// A new message, visitor's or operator's, ready for the statement.
#[derive(Debug)]
pub(super) struct Fresh {
    /// The message under its id, numbered by the statement.
    message: Message,
    visitor_id: Option<i64>,
    /// An operator's message's author: integration and the collaboration server's user id.
    author: Option<(String, String)>,
    /// The operator message's id in the collaboration server.
    ext_id: Option<String>,
    /// The page a visitor's message was sent from (empty if not told).
    page: Option<PageInfo>,
    expected: Expected,
}

impl Fresh {
    pub(super) fn visitor(
        message: Message,
        visitor_id: i64,
        page: Option<PageInfo>,
        expected: Expected,
    ) -> Self {
        Self {
            message,
            visitor_id: Some(visitor_id),
            author: None,
            ext_id: None,
            page: Some(page.unwrap_or_default()),
            expected,
        }
    }

    /// An operator's message, by the author named `author` (integration, user id) if named.
    pub(super) fn operator(
        message: Message,
        author: Option<(String, String)>,
        ext_id: String,
    ) -> Self {
        Self {
            message,
            visitor_id: None,
            author,
            ext_id: Some(ext_id),
            page: None,
            expected: Expected::default(),
        }
    }
}

/// Ids for new messages, taken from their sequence ahead, a block at a time: a group's ids
/// are ready without a round trip of their own. The next block is taken in the background
/// while the last quarter of the current one is used: under load, taking 1,024 ids kept the
/// writer waiting 3 to 6 ms every half second. Every message a writer stores takes its id
/// here, and each block is asked for after the one before arrived, so a conversation's ids grow
/// in the order its messages are stored. Ids left over when the process stops are never used.
#[derive(Debug, Default)]
pub(super) struct MessageIds {
    ready: VecDeque<i64>,
    /// The next block, being taken.
    next: Option<JoinHandle<StoreResult<Vec<i64>>>>,
}

impl MessageIds {
    /// Makes sure at least `count` ids are ready, waiting for the next block only if they are
    /// not; starts taking the next block when few are left.
    pub(super) async fn reserve(&mut self, pool: &AnyPool, count: usize) -> StoreResult<()> {
        while self.ready.len() < count {
            let block = match self.next.take() {
                Some(next) => next
                    .await
                    .map_err(|error| StoreError::Corrupt(format!("taking ids failed: {error}")))?,
                None => take_block(pool.clone(), count.max(ID_BLOCK)).await,
            };
            self.ready.extend(block?);
        }
        if self.next.is_none() && self.ready.len() - count < ID_BLOCK / 4 {
            self.next = Some(tokio::spawn(take_block(pool.clone(), ID_BLOCK)));
        }
        Ok(())
    }

    /// The next ready id, taken once.
    pub(super) fn take(&mut self) -> StoreResult<i64> {
        self.ready
            .pop_front()
            .ok_or_else(|| StoreError::Corrupt("too few message ids taken".into()))
    }
}

/// `count` new message ids, in increasing order. The sequence is looked up once: looked up
/// for each id (a catalog scan each), a block took 3 ms of the database's CPU, and up to 9 ms
/// under load, against 0.4 ms.
async fn take_block(pool: AnyPool, count: usize) -> StoreResult<Vec<i64>> {
    let wanted = i64::try_from(count).unwrap_or(i64::MAX);
    sqlx::query(
        "WITH sequence AS MATERIALIZED \
             (SELECT pg_get_serial_sequence('messages', 'id')::regclass AS name) \
         SELECT nextval(name) AS id FROM sequence, generate_series(1, $1)",
    )
    .bind(wanted)
    .fetch_all(&pool)
    .await?
    .iter()
    .map(|row| Ok(row.try_get("id")?))
    .collect()
}

/// The id a message is inserted under: the next of `ids` where ids are taken ahead
/// (PostgreSQL), else `None`, for the database to assign.
pub(super) fn next_id(ids: &mut Option<&mut MessageIds>) -> StoreResult<Option<i64>> {
    ids.as_deref_mut().map(MessageIds::take).transpose()
}

/// Stores `fresh` (each conversation's messages numbered in the order given) and queues
/// `commands`, in one statement; returns the messages, numbered (operators' with their author
/// as stored), and the commands as queued. Fails, having written nothing, if a conversation is
/// not what its messages expect. A group's values (at most 256 messages, 20 values each with
/// its command) stay far under PostgreSQL's 65,535 per statement.
pub(super) async fn write(
    connection: &mut AnyConnection,
    fresh: Vec<Fresh>,
    commands: Vec<OutboxRow>,
    now: i64,
) -> StoreResult<(Vec<Message>, Vec<Handed>)> {
    if fresh.is_empty() {
        // Commands here are those of new messages: none without them.
        return Ok((Vec::new(), handed(commands, Vec::new())?));
    }
    let mut taken: BTreeMap<i64, Taken> = BTreeMap::new();
    let mut ordinals = Vec::with_capacity(fresh.len());
    for row in &fresh {
        let conversation = taken.entry(row.message.conversation_id).or_default();
        conversation.expected.merge(&row.expected)?;
        ordinals.push(conversation.n);
        conversation.n += 1;
    }
    let sql = statement(taken.len(), fresh.len(), commands.len());
    let mut query = sqlx::query(&sql);
    // In the order of the statement's placeholders: counters, messages, time, commands.
    for (conversation_id, conversation) in &taken {
        let Expected { person_id, ext_ids } = &conversation.expected;
        let (ext_id, ext_user_id) = ext_ids.as_ref().map(|(c, u)| (c, u)).unzip();
        query = query
            .bind(*conversation_id)
            .bind(conversation.n)
            .bind(*person_id)
            .bind(ext_id)
            .bind(ext_user_id);
    }
    for (row, ordinal) in fresh.iter().zip(&ordinals) {
        let message = &row.message;
        let (integration_id, author_ext_user_id) = row.author.as_ref().map(|(i, u)| (i, u)).unzip();
        query = query
            .bind(message.id)
            .bind(message.conversation_id)
            .bind(*ordinal)
            .bind(message.client_id.as_deref())
            .bind(author_kind_name(message.author.kind))
            .bind(message.author.name.as_deref())
            .bind(row.visitor_id)
            .bind(integration_id)
            .bind(author_ext_user_id)
            .bind(row.ext_id.as_deref())
            .bind(&message.text)
            .bind(text_format_name(message.text_format))
            .bind(row.page.as_ref().map(|page| page.url.as_str()))
            .bind(row.page.as_ref().map(|page| page.title.as_str()));
    }
    query = bind_outbox(query.bind(now), &commands, now);
    let mut written = HashMap::with_capacity(fresh.len());
    let mut queued = Vec::with_capacity(commands.len());
    for row in query.fetch_all(connection).await? {
        let id: i64 = row.try_get("id")?;
        match row.try_get::<Option<i64>, _>("seq")? {
            Some(seq) => {
                written.insert(id, Written::read(seq, &row)?);
            }
            None => queued.push(id),
        }
    }
    let messages = fresh
        .into_iter()
        .map(|row| {
            let mut message = row.message;
            let written = written.remove(&message.id).ok_or_else(|| {
                StoreError::Corrupt("a message went missing from its insert".into())
            })?;
            message.seq = written.seq;
            if row.author.is_some() {
                message.author.name = written.author_name;
                message.author.picture = written.picture;
            }
            Ok(message)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((messages, handed(commands, queued)?))
}

/// A message as the statement wrote it.
#[derive(Debug)]
struct Written {
    seq: i64,
    author_name: Option<String>,
    /// Its operator's picture, if it has one.
    picture: Option<String>,
}

impl Written {
    fn read(seq: i64, row: &AnyRow) -> StoreResult<Self> {
        Ok(Self {
            seq,
            author_name: row.try_get("author_name")?,
            picture: row
                .try_get::<Option<i64>, _>("picture_of")?
                .map(operator_picture),
        })
    }
}

/// `rows` rows of `columns`, each value cast to its column's type, placeholders numbered from
/// `first`.
fn typed_values(rows: usize, columns: &[(&str, &str)], first: usize) -> String {
    (0..rows)
        .map(|row| {
            let values = columns
                .iter()
                .enumerate()
                .map(|(column, (_, kind))| {
                    let number = first + row * columns.len() + column;
                    format!("CAST(${number} AS {kind})")
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("({values})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of `columns`, for a `WITH` clause.
fn names(columns: &[(&str, &str)]) -> String {
    columns
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement for `conversations` counters, `messages` new messages and `commands`
/// webhook commands; the rows it returns are the messages' ids, numbers and authors, then the
/// commands' ids (number `NULL`).
///
/// A conversation whose row is not what its messages expect is not counted; its messages'
/// numbers are then `NULL`, which `messages.seq` refuses: the statement fails and writes
/// nothing.
fn statement(conversations: usize, messages: usize, commands: usize) -> String {
    let counters = typed_values(conversations, &TAKEN_COLUMNS, 1);
    let mut next = 1 + conversations * TAKEN_COLUMNS.len();
    let fresh = typed_values(messages, &FRESH_COLUMNS, next);
    next += messages * FRESH_COLUMNS.len();
    let now = next;
    next += 1;
    let (taken_names, fresh_names) = (names(&TAKEN_COLUMNS), names(&FRESH_COLUMNS));
    let mut sql = format!(
        "WITH taken ({taken_names}) AS (VALUES {counters}), \
         advanced AS (UPDATE conversations c SET last_seq = c.last_seq + t.n FROM taken t \
         WHERE c.id = t.id AND (t.person_id IS NULL OR c.person_id = t.person_id) \
         AND (t.ext_id IS NULL OR (c.announced_at IS NOT NULL AND c.ext_id = t.ext_id \
         AND EXISTS (SELECT 1 FROM people p WHERE p.id = c.person_id \
         AND p.ext_user_id = t.ext_user_id))) \
         RETURNING c.id, c.last_seq - t.n AS base), \
         fresh ({fresh_names}) AS (VALUES {fresh}), \
         inserted AS (INSERT INTO messages (id, conversation_id, seq, client_id, author_kind, \
         author_name, visitor_id, operator_id, ext_id, text, text_format, page_url, page_title, \
         sent_at) SELECT f.id, f.conversation_id, a.base + 1 + f.ordinal, f.client_id, \
         f.author_kind, COALESCE(o.name, f.author_name), f.visitor_id, o.id, f.ext_id, f.text, \
         f.text_format, f.page_url, f.page_title, ${now} \
         FROM fresh f LEFT JOIN advanced a ON a.id = f.conversation_id \
         LEFT JOIN operators o ON o.integration_id = f.integration_id \
         AND o.ext_user_id = f.author_ext_user_id \
         RETURNING id, seq, author_name, operator_id), \
         written AS (SELECT i.id, i.seq, i.author_name, \
         CASE WHEN o.picture_type IS NULL THEN NULL ELSE o.id END AS picture_of \
         FROM inserted i LEFT JOIN operators o ON o.id = i.operator_id)"
    );
    if commands == 0 {
        sql.push_str(" SELECT * FROM written");
    } else {
        let rows = values_from(Engine::Postgres, commands, OUTBOX_COLUMNS, next);
        sql.push_str(&format!(
            ", queued AS ({OUTBOX_INSERT} {rows} RETURNING id) \
             SELECT * FROM written UNION ALL SELECT id, CAST(NULL AS BIGINT), \
             CAST(NULL AS TEXT), CAST(NULL AS BIGINT) FROM queued"
        ));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores::test_stores;

    #[tokio::test]
    async fn ids_taken_ahead_grow_across_blocks() {
        let (_dir, stores) = test_stores().await;
        for store in stores
            .iter()
            .filter(|store| store.engine == Engine::Postgres)
        {
            let mut ids = MessageIds::default();
            let mut taken = Vec::new();
            // Three blocks and more, in groups as a writer takes them; the next block is
            // taken in the background from the first quarter on.
            for _ in 0..20 {
                ids.reserve(&store.writes, 200).await.unwrap();
                for _ in 0..200 {
                    taken.push(ids.take().unwrap());
                }
            }
            assert!(
                ids.take().is_ok(),
                "what was reserved beyond is still ready"
            );
            assert!(
                taken.windows(2).all(|pair| pair[0] < pair[1]),
                "each id greater than the one before"
            );
        }
    }

    #[test]
    fn placeholders_follow_the_order_values_are_bound_in() {
        let sql = statement(1, 2, 1);
        let numbers: Vec<usize> = sql
            .split('$')
            .skip(1)
            .map(|rest| {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                digits.parse().unwrap()
            })
            .collect();
        let count = TAKEN_COLUMNS.len() + 2 * FRESH_COLUMNS.len() + 1 + OUTBOX_COLUMNS;
        assert_eq!(numbers, (1..=count).collect::<Vec<_>>());
    }
}
