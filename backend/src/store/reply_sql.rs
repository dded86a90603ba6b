//! Storing a group of operators' messages (`createMessage` from the collaboration server) in a
//! constant number of statements, inside a group commit's transaction: one read of the
//! messages stored earlier under the group's ids, one of their authors, one update moving each
//! conversation's counter past its new messages and one multi-row insert; each is split only
//! past the engines' limit on bound parameters.

use super::multi_row::{engine_of, rows_per_statement, values};
use super::rows::{author_kind_name, operator_picture, text_format_name};
use super::single_statement::{Fresh, MessageIds, UNNUMBERED, next_id};
use super::sql::Tx;
use super::{ConversationRef, Refused, StoreError, StoreResult, now_ms};
use protocol::webhook::MessageCommand;
use protocol::{Author, AuthorKind, Message};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Values bound per row of the messages insert.
const MESSAGE_COLUMNS: usize = 10;

/// An operator's message waiting to be stored (text already sanitized).
#[derive(Debug)]
pub(super) struct OperatorMessage {
    pub integration_id: String,
    pub conversation: ConversationRef,
    pub command: MessageCommand,
}

/// An operator as a message shows it.
#[derive(Debug, Clone)]
struct Byline {
    id: i64,
    name: String,
    has_picture: bool,
}

/// What the store knew of a group's messages before the group.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The group's (conversation, message id) pairs stored before.
    stored: HashSet<(i64, String)>,
    /// The operators the group's messages name, by integration and id in the collaboration
    /// server.
    authors: HashMap<(String, String), Byline>,
}

impl Seen {
    /// Reads what the store knows of `group`, one statement after the other.
    pub(super) async fn read(
        connection: &mut AnyConnection,
        group: &[&OperatorMessage],
    ) -> StoreResult<Self> {
        Ok(Self {
            stored: stored_ids(connection, group).await?,
            authors: authors(connection, group).await?,
        })
    }

    fn author(&self, reply: &OperatorMessage) -> Option<&Byline> {
        let ext_user_id = reply.command.ext_user_id.as_ref()?;
        self.authors
            .get(&(reply.integration_id.clone(), ext_user_id.clone()))
    }
}

/// Which messages of a group are new, and their places among their conversations' new
/// messages.
#[derive(Debug)]
pub(super) struct ReplyPlan {
    /// Each message's ordinal among its conversation's new messages; `None` if stored before
    /// or earlier in the group.
    ordinals: Vec<Option<i64>>,
    /// How many numbers each conversation's new messages take, by conversation id, so
    /// PostgreSQL locks the conversations in one order.
    taken: BTreeMap<i64, i64>,
}

impl ReplyPlan {
    pub(super) fn new(group: &[&OperatorMessage], seen: &Seen) -> Self {
        let mut first: HashSet<(i64, &str)> = HashSet::new();
        let mut ordinals = Vec::with_capacity(group.len());
        let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
        for reply in group {
            let key = (reply.conversation.id, reply.command.ext_id.as_str());
            if seen.stored.contains(&(key.0, key.1.to_owned())) || !first.insert(key) {
                ordinals.push(None);
                continue;
            }
            let count = taken.entry(reply.conversation.id).or_insert(0);
            ordinals.push(Some(*count));
            *count += 1;
        }
        Self { ordinals, taken }
    }

    /// The group's new messages under the `ids` given, for a statement that numbers them.
    pub(super) fn prepared(
        &self,
        group: &[&OperatorMessage],
        seen: &Seen,
        ids: &mut MessageIds,
        now: i64,
    ) -> StoreResult<Vec<Fresh>> {
        let mut fresh = Vec::new();
        for (reply, ordinal) in group.iter().zip(&self.ordinals) {
            if ordinal.is_none() {
                continue;
            }
            let id = ids.take()?;
            let message = reply_message(reply, id, UNNUMBERED, seen.author(reply), now);
            let author = reply
                .command
                .ext_user_id
                .clone()
                .map(|ext_user_id| (reply.integration_id.clone(), ext_user_id));
            fresh.push(Fresh::operator(
                message,
                author,
                reply.command.ext_id.clone(),
            ));
        }
        Ok(fresh)
    }

    /// What became of each message of the group: `created` holds the new ones in the order
    /// of the group; the others are refused as conflicts.
    pub(super) fn outcomes(
        &self,
        group: &[&OperatorMessage],
        created: impl IntoIterator<Item = Message>,
    ) -> StoreResult<Vec<Result<Message, Refused>>> {
        let mut created = created.into_iter();
        group
            .iter()
            .zip(&self.ordinals)
            .map(|(reply, ordinal)| match ordinal {
                Some(_) => created
                    .next()
                    .map(Ok)
                    .ok_or_else(|| StoreError::Corrupt("a stored message went missing".into())),
                None => Ok(Err(Refused::Conflict(format!(
                    "message {} exists",
                    reply.command.ext_id
                )))),
            })
            .collect()
    }
}

/// An operator's message as stored: `seq` is its number in the conversation.
fn reply_message(
    reply: &OperatorMessage,
    id: i64,
    seq: i64,
    author: Option<&Byline>,
    now: i64,
) -> Message {
    Message {
        id,
        conversation_id: reply.conversation.id,
        seq,
        client_id: None,
        author: Author {
            kind: AuthorKind::Operator,
            name: author.map(|author| author.name.clone()),
            picture: author
                .filter(|author| author.has_picture)
                .map(|author| operator_picture(author.id)),
        },
        text: reply.command.text.clone(),
        text_format: reply.command.text_format,
        sent_at: now,
        edited_at: None,
    }
}

/// Stores `group` in `tx`, in order, given what was `seen` before it; an id stored before, or
/// earlier in the group, is refused as a conflict (the collaboration server sent the message
/// twice). New messages take their ids from `ids` where given.
pub(super) async fn append_replies(
    tx: &mut Tx<'_>,
    group: &[&OperatorMessage],
    seen: &Seen,
    mut ids: Option<&mut MessageIds>,
) -> StoreResult<Vec<Result<Message, Refused>>> {
    let plan = ReplyPlan::new(group, seen);
    let last_seqs = advance_counters(tx, &plan.taken).await?;
    let now = now_ms();
    let mut fresh = Vec::new();
    for (index, (reply, ordinal)) in group.iter().zip(&plan.ordinals).enumerate() {
        if let Some(ordinal) = ordinal {
            let conversation_id = reply.conversation.id;
            let last_seq = last_seqs.get(&conversation_id).ok_or_else(|| {
                StoreError::Corrupt(format!("no conversation counter for {conversation_id}"))
            })?;
            let seq = last_seq - plan.taken[&conversation_id] + 1 + ordinal;
            fresh.push((index, next_id(&mut ids)?, seq, seen.author(reply)));
        }
    }
    let ids = insert_messages(tx, group, &fresh, now).await?;
    let created = fresh
        .into_iter()
        .map(|(index, _, seq, author)| {
            let reply = group[index];
            let id = *ids
                .get(&(reply.conversation.id, seq))
                .ok_or_else(|| StoreError::Corrupt("an inserted message has no id".into()))?;
            Ok(reply_message(reply, id, seq, author, now))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    plan.outcomes(group, created)
}

/// The group's (conversation, message id) pairs stored before the group.
async fn stored_ids(
    connection: &mut AnyConnection,
    group: &[&OperatorMessage],
) -> StoreResult<HashSet<(i64, String)>> {
    let engine = engine_of(connection);
    let wanted: BTreeSet<(i64, &str)> = group
        .iter()
        .map(|reply| (reply.conversation.id, reply.command.ext_id.as_str()))
        .collect();
    let wanted: Vec<_> = wanted.into_iter().collect();
    let mut stored = HashSet::new();
    for part in wanted.chunks(rows_per_statement(2)) {
        let sql = format!(
            "WITH wanted (conversation_id, ext_id) AS (VALUES {}) \
             SELECT m.conversation_id, m.ext_id FROM wanted w \
             JOIN messages m ON m.conversation_id = w.conversation_id AND m.ext_id = w.ext_id",
            values(engine, part.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (conversation_id, ext_id) in part {
            query = query.bind(*conversation_id).bind(*ext_id);
        }
        for row in query.fetch_all(&mut *connection).await? {
            stored.insert((row.try_get("conversation_id")?, row.try_get("ext_id")?));
        }
    }
    Ok(stored)
}

/// The operators the group's messages name, by integration and id in the collaboration server.
async fn authors(
    connection: &mut AnyConnection,
    group: &[&OperatorMessage],
) -> StoreResult<HashMap<(String, String), Byline>> {
    let engine = engine_of(connection);
    let wanted: BTreeSet<(&str, &str)> = group
        .iter()
        .filter_map(|reply| {
            let ext_user_id = reply.command.ext_user_id.as_deref()?;
            Some((reply.integration_id.as_str(), ext_user_id))
        })
        .collect();
    let wanted: Vec<_> = wanted.into_iter().collect();
    let mut authors = HashMap::new();
    for part in wanted.chunks(rows_per_statement(2)) {
        let sql = format!(
            "WITH wanted (integration_id, ext_user_id) AS (VALUES {}) \
             SELECT o.id, o.integration_id, o.ext_user_id, o.name, \
             CAST(CASE WHEN o.picture_type IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_picture FROM wanted w \
             JOIN operators o ON o.integration_id = w.integration_id \
             AND o.ext_user_id = w.ext_user_id",
            values(engine, part.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (integration_id, ext_user_id) in part {
            query = query.bind(*integration_id).bind(*ext_user_id);
        }
        for row in query.fetch_all(&mut *connection).await? {
            let author = Byline {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                has_picture: row.try_get::<i64, _>("has_picture")? != 0,
            };
            authors.insert(
                (row.try_get("integration_id")?, row.try_get("ext_user_id")?),
                author,
            );
        }
    }
    Ok(authors)
}

/// Moves each conversation's counter past the numbers `taken` by its new messages; returns the
/// counters by conversation id.
async fn advance_counters(
    tx: &mut Tx<'_>,
    taken: &BTreeMap<i64, i64>,
) -> StoreResult<HashMap<i64, i64>> {
    let engine = engine_of(tx);
    let entries: Vec<(&i64, &i64)> = taken.iter().collect();
    let mut last_seqs = HashMap::with_capacity(entries.len());
    for part in entries.chunks(rows_per_statement(2)) {
        let sql = format!(
            "WITH taken (id, n) AS (VALUES {}) \
             UPDATE conversations SET last_seq = last_seq + \
             (SELECT taken.n FROM taken WHERE taken.id = conversations.id) \
             WHERE id IN (SELECT id FROM taken) RETURNING id, last_seq",
            values(engine, part.len(), 2)
        );
        let mut query = sqlx::query(&sql);
        for (conversation_id, count) in part {
            query = query.bind(**conversation_id).bind(**count);
        }
        for row in query.fetch_all(&mut **tx).await? {
            last_seqs.insert(row.try_get("id")?, row.try_get("last_seq")?);
        }
    }
    Ok(last_seqs)
}

/// Inserts the `fresh` messages (index in the group, id if taken ahead, number, author);
/// returns their ids by (conversation, number).
async fn insert_messages(
    tx: &mut Tx<'_>,
    group: &[&OperatorMessage],
    fresh: &[(usize, Option<i64>, i64, Option<&Byline>)],
    now: i64,
) -> StoreResult<HashMap<(i64, i64), i64>> {
    let engine = engine_of(tx);
    let mut ids = HashMap::with_capacity(fresh.len());
    for part in fresh.chunks(rows_per_statement(MESSAGE_COLUMNS)) {
        let sql = format!(
            "INSERT INTO messages (id, conversation_id, seq, author_kind, author_name, \
             operator_id, ext_id, text, text_format, sent_at) VALUES {} \
             RETURNING id, conversation_id, seq",
            values(engine, part.len(), MESSAGE_COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for &(index, id, seq, author) in part {
            let reply = group[index];
            query = query
                .bind(id)
                .bind(reply.conversation.id)
                .bind(seq)
                .bind(author_kind_name(AuthorKind::Operator))
                .bind(author.map(|author| author.name.clone()))
                .bind(author.map(|author| author.id))
                .bind(&reply.command.ext_id)
                .bind(&reply.command.text)
                .bind(text_format_name(reply.command.text_format))
                .bind(now);
        }
        // RETURNING promises no order: rows are matched by their (conversation, seq) key.
        for row in query.fetch_all(&mut **tx).await? {
            let key: (i64, i64) = (row.try_get("conversation_id")?, row.try_get("seq")?);
            ids.insert(key, row.try_get::<i64, _>("id")?);
        }
    }
    Ok(ids)
}
