//! PostgreSQL: a group of messages whose conversations exist (and, for the bridge, are
//! announced) written in one statement, its own transaction: data-modifying `WITH` clauses
//! move the conversations' counters, insert the messages numbered past them, and queue their
//! webhook commands. The message ids are taken from their sequence ahead, a block at a time, so
//! the commands, which carry them, are ready before the statement. A group commit on
//! PostgreSQL thus costs one round trip for its reads (side by side) and one for its writes,
//! where a transaction costs `BEGIN`, one per statement and `COMMIT`; SQLite, in-process, keeps
//! the transaction of [`super::append_sql`] and [`super::reply_sql`].

use super::multi_row::values_from;
use super::outbox_signal::Handed;
use super::rows::{author_kind_name, text_format_name};
use super::sql::{OUTBOX_COLUMNS, OUTBOX_INSERT, OutboxRow, bind_outbox, handed};
use super::{Engine, StoreError, StoreResult};
use protocol::{Message, PageInfo};
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Message ids taken from the sequence at a time.
const ID_BLOCK: usize = 1024;

/// The number a message carries before the statement numbers it.
pub(super) const UNNUMBERED: i64 = 0;

/// Columns of each new message's row, with the types PostgreSQL is told (a `VALUES` list in a
/// `WITH` clause has no table to take them from).
const FRESH_COLUMNS: [(&str, &str); 13] = [
    ("id", "BIGINT"),
    ("conversation_id", "BIGINT"),
    ("ordinal", "BIGINT"),
    ("client_id", "TEXT"),
    ("author_kind", "TEXT"),
    ("author_name", "TEXT"),
    ("visitor_id", "BIGINT"),
    ("operator_id", "BIGINT"),
    ("ext_id", "TEXT"),
    ("text", "TEXT"),
    ("text_format", "TEXT"),
    ("page_url", "TEXT"),
    ("page_title", "TEXT"),
];

/// A new message, visitor's or operator's, ready for the statement.
#[derive(Debug)]
pub(super) struct Fresh {
    /// The message under its id, numbered by the statement.
    message: Message,
    visitor_id: Option<i64>,
    operator_id: Option<i64>,
    /// The operator message's id in the collaboration server.
    ext_id: Option<String>,
    /// The page a visitor's message was sent from (empty if not told).
    page: Option<PageInfo>,
}

impl Fresh {
    pub(super) fn visitor(message: Message, visitor_id: i64, page: Option<PageInfo>) -> Self {
        Self {
            message,
            visitor_id: Some(visitor_id),
            operator_id: None,
            ext_id: None,
            page: Some(page.unwrap_or_default()),
        }
    }

    pub(super) fn operator(message: Message, operator_id: Option<i64>, ext_id: String) -> Self {
        Self {
            message,
            visitor_id: None,
            operator_id,
            ext_id: Some(ext_id),
            page: None,
        }
    }
}

/// Ids for new messages, taken from their sequence ahead, a block at a time: a group's ids
/// are ready without a round trip of their own. Every message a writer stores takes its id
/// here, so a conversation's ids grow in the order its messages are stored. Ids left over when
/// the process stops are never used.
#[derive(Debug, Default)]
pub(super) struct MessageIds {
    ready: VecDeque<i64>,
}

impl MessageIds {
    /// Makes sure at least `count` ids are ready, taking a block from the sequence if not.
    pub(super) async fn reserve(&mut self, pool: &AnyPool, count: usize) -> StoreResult<()> {
        if self.ready.len() >= count {
            return Ok(());
        }
        let wanted = i64::try_from(count.max(ID_BLOCK)).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT nextval(pg_get_serial_sequence('messages', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind(wanted)
        .fetch_all(pool)
        .await?;
        for row in rows {
            self.ready.push_back(row.try_get("id")?);
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

/// The id a message is inserted under: the next of `ids` where ids are taken ahead
/// (PostgreSQL), else `None`, for the database to assign.
pub(super) fn next_id(ids: &mut Option<&mut MessageIds>) -> StoreResult<Option<i64>> {
    ids.as_deref_mut().map(MessageIds::take).transpose()
}

/// Stores `fresh` (each conversation's messages numbered in the order given) and queues
/// `commands`, in one statement; returns the messages, numbered, and the commands as queued.
/// A group's values (at most 256 messages, 19 values each with its command) stay far under
/// PostgreSQL's 65,535 per statement.
pub(super) async fn write(
    pool: &AnyPool,
    fresh: Vec<Fresh>,
    commands: Vec<OutboxRow>,
    now: i64,
) -> StoreResult<(Vec<Message>, Vec<Handed>)> {
    if fresh.is_empty() {
        // Commands here are those of new messages: none without them.
        return Ok((Vec::new(), handed(commands, Vec::new())?));
    }
    let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
    let ordinals: Vec<i64> = fresh
        .iter()
        .map(|row| {
            let count = taken.entry(row.message.conversation_id).or_insert(0);
            *count += 1;
            *count - 1
        })
        .collect();
    let sql = statement(taken.len(), fresh.len(), commands.len());
    let mut query = sqlx::query(&sql);
    // In the order of the statement's placeholders: counters, messages, time, commands.
    for (conversation_id, count) in &taken {
        query = query.bind(*conversation_id).bind(*count);
    }
    for (row, ordinal) in fresh.iter().zip(&ordinals) {
        let message = &row.message;
        query = query
            .bind(message.id)
            .bind(message.conversation_id)
            .bind(*ordinal)
            .bind(message.client_id.as_deref())
            .bind(author_kind_name(message.author.kind))
            .bind(message.author.name.as_deref())
            .bind(row.visitor_id)
            .bind(row.operator_id)
            .bind(row.ext_id.as_deref())
            .bind(&message.text)
            .bind(text_format_name(message.text_format))
            .bind(row.page.as_ref().map(|page| page.url.as_str()))
            .bind(row.page.as_ref().map(|page| page.title.as_str()));
    }
    query = bind_outbox(query.bind(now), &commands, now);
    let mut seqs = HashMap::with_capacity(fresh.len());
    let mut queued = Vec::with_capacity(commands.len());
    for row in query.fetch_all(pool).await? {
        let id: i64 = row.try_get("id")?;
        match row.try_get::<Option<i64>, _>("seq")? {
            Some(seq) => {
                seqs.insert(id, seq);
            }
            None => queued.push(id),
        }
    }
    let messages = fresh
        .into_iter()
        .map(|row| {
            let mut message = row.message;
            message.seq = *seqs.get(&message.id).ok_or_else(|| {
                StoreError::Corrupt("a message went missing from its insert".into())
            })?;
            Ok(message)
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((messages, handed(commands, queued)?))
}

/// The statement for `conversations` counters, `messages` new messages and `commands`
/// webhook commands; the rows it returns are the messages' ids and numbers, then the
/// commands' ids (number `NULL`).
fn statement(conversations: usize, messages: usize, commands: usize) -> String {
    let counters = values_from(Engine::Postgres, conversations, 2, 1);
    let mut next = 1 + conversations * 2;
    let fresh = (0..messages)
        .map(|row| {
            let columns = FRESH_COLUMNS
                .iter()
                .enumerate()
                .map(|(column, (_, kind))| {
                    let number = next + row * FRESH_COLUMNS.len() + column;
                    format!("CAST(${number} AS {kind})")
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("({columns})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    next += messages * FRESH_COLUMNS.len();
    let now = next;
    next += 1;
    let names = FRESH_COLUMNS.map(|(name, _)| name).join(", ");
    let mut sql = format!(
        "WITH taken (id, n) AS (VALUES {counters}), \
         advanced AS (UPDATE conversations c SET last_seq = c.last_seq + taken.n FROM taken \
         WHERE c.id = taken.id RETURNING c.id, c.last_seq - taken.n AS base), \
         fresh ({names}) AS (VALUES {fresh}), \
         inserted AS (INSERT INTO messages (id, conversation_id, seq, client_id, author_kind, \
         author_name, visitor_id, operator_id, ext_id, text, text_format, page_url, page_title, \
         sent_at) SELECT f.id, f.conversation_id, a.base + 1 + f.ordinal, f.client_id, \
         f.author_kind, f.author_name, f.visitor_id, f.operator_id, f.ext_id, f.text, \
         f.text_format, f.page_url, f.page_title, ${now} \
         FROM fresh f JOIN advanced a ON a.id = f.conversation_id RETURNING id, seq)"
    );
    if commands == 0 {
        sql.push_str(" SELECT id, seq FROM inserted");
    } else {
        let rows = values_from(Engine::Postgres, commands, OUTBOX_COLUMNS, next);
        sql.push_str(&format!(
            ", queued AS ({OUTBOX_INSERT} {rows} RETURNING id) \
             SELECT id, seq FROM inserted UNION ALL SELECT id, CAST(NULL AS BIGINT) FROM queued"
        ));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let count = 2 + 2 * FRESH_COLUMNS.len() + 1 + OUTBOX_COLUMNS;
        assert_eq!(numbers, (1..=count).collect::<Vec<_>>());
    }
}
