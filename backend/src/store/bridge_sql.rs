//! [`BridgeStore`] over SQL: the outbox queue and what the collaboration server sends us
//! (operators, their messages, conversation titles).

use super::multi_row::{list, placeholders, rows_per_statement};
use super::reply_sql::OperatorMessage;
use super::rows::{self, MESSAGE_SELECT};
use super::sql::{SqlStore, Tx};
use super::{
    AfterFailure, BridgeStore, ConversationRef, DeadLetter, DeadLetters, Engine, Failure, Operator,
    OutboxCounts, OutboxItem, Refused, StoreResult, Write, now_ms,
};
use crate::content::picture::Picture;
use crate::outbox::commands;
use crate::store::rows::text_format_name;
use async_trait::async_trait;
use protocol::webhook::{Conversation, MessageCommand, User};
use protocol::{Author, AuthorKind, Message, TextFormat};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Longest error text kept per command.
const MAX_ERROR_CHARS: usize = 500;

/// Ordering keys read in one statement (SQLite allows 500 arms of a `UNION ALL`).
const KEYS_PER_READ: usize = 200;

/// Each of `keys` ordering keys' first undelivered commands, at most `limit` each, every key
/// read through the outbox's queue index on its own. PostgreSQL runs one subquery for each key
/// of a list (`LATERAL`), planned once whatever the number of keys: the `UNION ALL` of one arm
/// per key that SQLite runs took PostgreSQL 30 to 40 ms to plan at 200 keys (and 12 to 31 ms
/// to run, against 4), at every read of a backlog. Bound on PostgreSQL: the integration, the
/// limit, then the keys; on SQLite: integration, key and limit for each key.
fn next_commands_sql(engine: Engine, keys: usize) -> String {
    const COLUMNS: &str = "id, ordering_key, command, attempts, next_attempt_at";
    match engine {
        Engine::Postgres => {
            let keys: Vec<String> = placeholders(engine, keys, 3)
                .iter()
                .map(|key| format!("(CAST({key} AS TEXT))"))
                .collect();
            format!(
                "SELECT o.* FROM (VALUES {}) AS k (ordering_key) CROSS JOIN LATERAL \
                 (SELECT {COLUMNS} FROM outbox WHERE integration_id = $1 \
                  AND delivered_at IS NULL AND ordering_key = k.ordering_key \
                  ORDER BY id LIMIT $2) AS o",
                keys.join(", ")
            )
        }
        Engine::Sqlite => (0..keys)
            .map(|arm| {
                format!(
                    "SELECT * FROM (SELECT {COLUMNS} FROM outbox WHERE integration_id = ? \
                     AND delivered_at IS NULL AND ordering_key = ? ORDER BY id LIMIT ?) AS k{arm}"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL "),
    }
}

fn operator(row: &AnyRow) -> StoreResult<Operator> {
    Ok(Operator {
        id: row.try_get("id")?,
        ext_user_id: row.try_get("ext_user_id")?,
        name: row.try_get("name")?,
    })
}

fn outbox_item(row: &AnyRow) -> StoreResult<OutboxItem> {
    Ok(OutboxItem {
        id: row.try_get("id")?,
        ordering_key: row.try_get("ordering_key")?,
        command: row.try_get("command")?,
        attempts: row.try_get("attempts")?,
    })
}

fn conversation_ref(row: &AnyRow) -> StoreResult<ConversationRef> {
    Ok(ConversationRef {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
    })
}

async fn message_by_id(tx: &mut Tx<'_>, message_id: i64) -> StoreResult<Message> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1");
    let row = sqlx::query(&sql)
        .bind(message_id)
        .fetch_one(&mut **tx)
        .await?;
    rows::message(&row)
}

async fn operator_by_ext_id(
    tx: &mut Tx<'_>,
    integration_id: &str,
    ext_user_id: &str,
) -> StoreResult<Option<Operator>> {
    sqlx::query(
        "SELECT id, ext_user_id, name FROM operators WHERE integration_id = $1 AND ext_user_id = $2",
    )
    .bind(integration_id)
    .bind(ext_user_id)
    .fetch_optional(&mut **tx)
    .await?
    .as_ref()
    .map(operator)
    .transpose()
}

impl SqlStore {
    /// Outbox items by `sql`, which takes the integration, the time due and a limit as `$1..$3`.
    async fn due_items(
        &self,
        sql: &str,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>> {
        let rows = sqlx::query(sql)
            .bind(integration_id)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?;
        rows.iter().map(outbox_item).collect()
    }
}

#[async_trait]
impl BridgeStore for SqlStore {
    async fn due_commands(
        &self,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.due_items(
            "SELECT o.id, o.ordering_key, o.command, o.attempts FROM outbox o \
             JOIN (SELECT MIN(id) AS head FROM outbox WHERE integration_id = $1 \
                   AND delivered_at IS NULL GROUP BY ordering_key) h ON h.head = o.id \
             WHERE o.next_attempt_at <= $2 ORDER BY o.id LIMIT $3",
            integration_id,
            now,
            limit,
        )
        .await
    }

    async fn due_retries(
        &self,
        integration_id: &str,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxItem>> {
        self.due_items(
            "SELECT id, ordering_key, command, attempts FROM outbox \
             WHERE integration_id = $1 AND attempts > 0 AND next_attempt_at <= $2 \
             ORDER BY next_attempt_at LIMIT $3",
            integration_id,
            now,
            limit,
        )
        .await
    }

    async fn next_commands(
        &self,
        integration_id: &str,
        ordering_keys: &[String],
        now: i64,
        limit: i64,
    ) -> StoreResult<HashMap<String, Vec<OutboxItem>>> {
        let mut items = HashMap::with_capacity(ordering_keys.len());
        for part in ordering_keys.chunks(KEYS_PER_READ) {
            let sql = next_commands_sql(self.engine, part.len());
            let mut query = sqlx::query(&sql);
            match self.engine {
                Engine::Postgres => {
                    query = query.bind(integration_id).bind(limit);
                    for key in part {
                        query = query.bind(key);
                    }
                }
                Engine::Sqlite => {
                    for key in part {
                        query = query.bind(integration_id).bind(key).bind(limit);
                    }
                }
            }
            let mut queues: HashMap<String, Vec<(i64, OutboxItem)>> = HashMap::new();
            for row in query.fetch_all(&self.reads).await? {
                let item = outbox_item(&row)?;
                let due_at: i64 = row.try_get("next_attempt_at")?;
                queues
                    .entry(item.ordering_key.clone())
                    .or_default()
                    .push((due_at, item));
            }
            for (key, mut queue) in queues {
                queue.sort_by_key(|(_, item)| item.id);
                let due = queue.first().is_some_and(|(due_at, _)| *due_at <= now);
                let due = due.then(|| queue.into_iter().map(|(_, item)| item).collect());
                items.insert(key, due.unwrap_or_default());
            }
        }
        Ok(items)
    }

    async fn remove_delivered(&self, outbox_ids: &[i64]) -> StoreResult<()> {
        for part in outbox_ids.chunks(rows_per_statement(1)) {
            let sql = format!(
                "DELETE FROM outbox WHERE id IN ({})",
                list(self.engine, part.len(), 1)
            );
            let mut query = sqlx::query(&sql);
            for id in part {
                query = query.bind(*id);
            }
            query.execute(&self.writes).await?;
        }
        Ok(())
    }

    fn outbox_signal(&self) -> std::sync::Arc<crate::outbox::OutboxSignal> {
        SqlStore::outbox_signal(self)
    }

    async fn record_failure(
        &self,
        outbox_id: i64,
        failure: Failure<'_>,
    ) -> StoreResult<AfterFailure> {
        let (error, next_attempt_at, refused) = match failure {
            Failure::Outage {
                error,
                next_attempt_at,
            } => (error, next_attempt_at, None),
            Failure::Refusal {
                status,
                error,
                next_attempt_at,
                max_attempts,
            } => (error, next_attempt_at, Some((status, max_attempts))),
        };
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        let Some((status, max_attempts)) = refused else {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, \
                 last_error = $2 WHERE id = $3",
            )
            .bind(next_attempt_at)
            .bind(error)
            .bind(outbox_id)
            .execute(&self.writes)
            .await?;
            return Ok(AfterFailure::Retried);
        };
        let mut tx = self.writes.begin().await?;
        let refusals: Option<i64> = sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, refusals = refusals + 1, \
             next_attempt_at = $1, last_error = $2 WHERE id = $3 RETURNING refusals",
        )
        .bind(next_attempt_at)
        .bind(&error)
        .bind(outbox_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| row.try_get("refusals"))
        .transpose()?;
        if refusals.is_none_or(|refusals| refusals < max_attempts) {
            tx.commit().await?;
            return Ok(AfterFailure::Retried);
        }
        sqlx::query(
            "INSERT INTO outbox_dead (id, integration_id, conversation_id, ordering_key, command, \
             created_at, attempts, last_status, last_error, dead_at) \
             SELECT id, integration_id, conversation_id, ordering_key, command, created_at, \
             attempts, $1, $2, $3 FROM outbox WHERE id = $4",
        )
        .bind(i64::from(status))
        .bind(&error)
        .bind(now_ms())
        .bind(outbox_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(outbox_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(AfterFailure::SetAside)
    }

    async fn outbox_counts(&self, integration_id: &str) -> StoreResult<OutboxCounts> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS depth, MIN(created_at) AS oldest, \
             (SELECT COUNT(*) FROM outbox_dead WHERE integration_id = $1) AS dead \
             FROM outbox WHERE integration_id = $1",
        )
        .bind(integration_id)
        .fetch_one(&self.reads)
        .await?;
        Ok(OutboxCounts {
            depth: row.try_get("depth")?,
            oldest_created_at: row.try_get("oldest")?,
            dead_letters: row.try_get("dead")?,
        })
    }

    async fn dead_letters(&self) -> StoreResult<Vec<DeadLetter>> {
        let rows = sqlx::query(
            "SELECT id, integration_id, ordering_key, attempts, last_status, last_error, \
             created_at, dead_at FROM outbox_dead ORDER BY id",
        )
        .fetch_all(&self.reads)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DeadLetter {
                    id: row.try_get("id")?,
                    integration_id: row.try_get("integration_id")?,
                    ordering_key: row.try_get("ordering_key")?,
                    attempts: row.try_get("attempts")?,
                    last_status: row.try_get("last_status")?,
                    last_error: row.try_get("last_error")?,
                    created_at: row.try_get("created_at")?,
                    dead_at: row.try_get("dead_at")?,
                })
            })
            .collect()
    }

    async fn retry_dead_letters(&self, which: DeadLetters<'_>, now: i64) -> StoreResult<Vec<i64>> {
        if which == DeadLetters::Ids(&[]) {
            return Ok(Vec::new());
        }
        let mut tx = self.writes.begin().await?;
        let (filter, ids) = match which {
            DeadLetters::All => (String::new(), &[][..]),
            DeadLetters::Ids(ids) => (
                format!(" WHERE id IN ({})", list(self.engine, ids.len(), 1)),
                ids,
            ),
        };
        let selected = format!("SELECT id FROM outbox_dead{filter} ORDER BY id");
        let mut query = sqlx::query(&selected);
        for id in ids {
            query = query.bind(*id);
        }
        let moved: Vec<i64> = query
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
        // Same id as before: ahead of the newer commands of its conversation still queued.
        // `attempts` stays above zero, which is what the worker's look for retries finds.
        for id in &moved {
            sqlx::query(
                "INSERT INTO outbox (id, integration_id, conversation_id, ordering_key, command, \
                 created_at, attempts, next_attempt_at, last_error, refusals) \
                 SELECT id, integration_id, conversation_id, ordering_key, command, created_at, \
                 attempts, $1, last_error, 0 FROM outbox_dead WHERE id = $2",
            )
            .bind(now)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM outbox_dead WHERE id = $1")
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn save_operator(
        &self,
        integration_id: &str,
        user: &User,
        picture: Option<&Picture>,
        write: Write,
    ) -> StoreResult<Result<Operator, Refused>> {
        let (data, content_type, etag) = match picture {
            Some(picture) => (
                Some(picture.bytes.clone()),
                Some(picture.content_type.clone()),
                Some(picture.etag.clone()),
            ),
            None => (None, None, None),
        };
        let mut tx = self.writes.begin().await?;
        // A write first, so SQLite takes its write lock before the read.
        sqlx::query("DELETE FROM operators WHERE id = -1")
            .execute(&mut *tx)
            .await?;
        let existing = operator_by_ext_id(&mut tx, integration_id, &user.ext_user_id).await?;
        let saved = match (write, existing) {
            (Write::Create, Some(_)) => {
                return Ok(Err(Refused::Conflict(format!(
                    "user {} exists",
                    user.ext_user_id
                ))));
            }
            (Write::Update, None) => {
                return Ok(Err(Refused::Unknown(format!(
                    "no user {}; create it with createUser",
                    user.ext_user_id
                ))));
            }
            (Write::Create, None) => {
                sqlx::query(
                    "INSERT INTO operators (integration_id, ext_user_id, name, full_name, \
                     picture_data, picture_type, picture_etag, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, ext_user_id, name",
                )
                .bind(integration_id)
                .bind(&user.ext_user_id)
                .bind(&user.name)
                .bind(&user.full_name)
                .bind(data)
                .bind(content_type)
                .bind(etag)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?
            }
            (Write::Update, Some(found)) => {
                // A new picture replaces any base64 one a conversion could not read.
                sqlx::query(
                    "UPDATE operators SET name = $1, full_name = $2, \
                     picture_data = COALESCE($3, picture_data), \
                     picture_type = COALESCE($4, picture_type), \
                     picture_etag = COALESCE($5, picture_etag), \
                     picture = CASE WHEN $4 IS NULL THEN picture ELSE NULL END, \
                     updated_at = $6 WHERE id = $7 RETURNING id, ext_user_id, name",
                )
                .bind(&user.name)
                .bind(&user.full_name)
                .bind(data)
                .bind(content_type)
                .bind(etag)
                .bind(now_ms())
                .bind(found.id)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let saved = operator(&saved)?;
        tx.commit().await?;
        Ok(Ok(saved))
    }

    async fn conversation_title(&self, conversation_id: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query("SELECT title FROM conversations WHERE id = $1")
            .bind(conversation_id)
            .fetch_optional(&self.reads)
            .await?
            .map(|row| row.try_get("title"))
            .transpose()?
            .flatten())
    }

    async fn operator_name(
        &self,
        integration_id: &str,
        ext_user_id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query(
                "SELECT name FROM operators WHERE integration_id = $1 AND ext_user_id = $2",
            )
            .bind(integration_id)
            .bind(ext_user_id)
            .fetch_optional(&self.reads)
            .await?
            .map(|row| row.try_get("name"))
            .transpose()?,
        )
    }

    async fn append_system_message(
        &self,
        conversation: ConversationRef,
        text: &str,
    ) -> StoreResult<Message> {
        // Numbered like every message: the writers of visitors' and operators' messages check
        // the counter they planned with, so this one moving under them is safe.
        let mut tx = self.writes.begin().await?;
        let seq: i64 = sqlx::query(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
        )
        .bind(conversation.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last_seq")?;
        let sent_at = now_ms();
        let id: i64 = sqlx::query(
            "INSERT INTO messages (conversation_id, seq, author_kind, text, text_format, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(conversation.id)
        .bind(seq)
        .bind(rows::author_kind_name(AuthorKind::System))
        .bind(text)
        .bind(text_format_name(TextFormat::Plain))
        .bind(sent_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(Message {
            id,
            conversation_id: conversation.id,
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

    async fn operator_picture(
        &self,
        integration_id: &str,
        operator_id: i64,
    ) -> StoreResult<Option<Picture>> {
        let row = sqlx::query(
            "SELECT picture_data, picture_type, picture_etag FROM operators \
             WHERE integration_id = $1 AND id = $2 AND picture_type IS NOT NULL",
        )
        .bind(integration_id)
        .bind(operator_id)
        .fetch_optional(&self.reads)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Picture {
            bytes: row.try_get("picture_data")?,
            content_type: row.try_get("picture_type")?,
            etag: row.try_get("picture_etag")?,
        }))
    }

    async fn conversation_by_ext_id(
        &self,
        integration_id: &str,
        ext_id: &str,
    ) -> StoreResult<Option<ConversationRef>> {
        let started = match self.conversation_refs.get(integration_id, ext_id) {
            Ok(conversation) => return Ok(Some(conversation)),
            Err(started) => started,
        };
        // A conversation not announced yet is known by its own id; both branches are index
        // lookups (comparing `CAST(id AS TEXT)` instead made the engines look at every
        // conversation not announced).
        let own_id = ext_id
            .parse::<i64>()
            .ok()
            .filter(|id| id.to_string() == ext_id);
        let found = sqlx::query(
            "SELECT id, person_id FROM conversations WHERE integration_id = $1 \
             AND (ext_id = $2 OR (id = $3 AND ext_id IS NULL))",
        )
        .bind(integration_id)
        .bind(ext_id)
        .bind(own_id)
        .fetch_optional(&self.reads)
        .await?
        .as_ref()
        .map(conversation_ref)
        .transpose()?;
        if let Some(conversation) = found {
            self.conversation_refs
                .remember(started, integration_id, ext_id, conversation);
        }
        Ok(found)
    }

    async fn create_conversation_from_server(
        &self,
        integration_id: &str,
        conversation: &Conversation,
    ) -> StoreResult<Result<ConversationRef, Refused>> {
        if self
            .conversation_by_ext_id(integration_id, &conversation.ext_conversation_id)
            .await?
            .is_some()
        {
            return Ok(Err(Refused::Conflict(format!(
                "conversation {} exists",
                conversation.ext_conversation_id
            ))));
        }
        let candidates: Vec<&String> = conversation
            .members
            .iter()
            .flatten()
            .chain(&conversation.ext_user_id)
            .collect();
        let mut tx = self.writes.begin().await?;
        sqlx::query("DELETE FROM conversations WHERE id = -1")
            .execute(&mut *tx)
            .await?;
        for ext_user_id in candidates {
            // The id it was announced with first; else a site user named by its namespaced
            // id (`site-{sub}`) or, as before namespaces, by its bare `sub`.
            let person = sqlx::query(
                "SELECT p.id, c.id AS conversation_id FROM people p \
                 LEFT JOIN conversations c ON c.person_id = p.id \
                 WHERE p.integration_id = $1 AND (p.ext_user_id = $2 OR p.sub = $2 OR p.sub = $3) \
                 ORDER BY CASE WHEN p.ext_user_id = $2 THEN 0 ELSE 1 END LIMIT 1",
            )
            .bind(integration_id)
            .bind(ext_user_id)
            .bind(commands::sub_of(ext_user_id).unwrap_or(ext_user_id))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(person) = person else { continue };
            let person_id: i64 = person.try_get("id")?;
            if let Some(existing) = person.try_get::<Option<i64>, _>("conversation_id")? {
                return Ok(Err(Refused::Conflict(format!(
                    "visitor {ext_user_id} already has conversation {existing}"
                ))));
            }
            let id: i64 = sqlx::query(
                "INSERT INTO conversations (integration_id, person_id, title, ext_id, announced_at, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(integration_id)
            .bind(person_id)
            .bind(conversation.title.clone())
            .bind(&conversation.ext_conversation_id)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?;
            tx.commit().await?;
            return Ok(Ok(ConversationRef { id, person_id }));
        }
        Ok(Err(Refused::Unknown(
            "none of extUserId and members is a visitor of this chat".into(),
        )))
    }

    async fn set_conversation_title(&self, conversation_id: i64, title: &str) -> StoreResult<()> {
        sqlx::query("UPDATE conversations SET title = $1 WHERE id = $2")
            .bind(title)
            .bind(conversation_id)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    async fn append_operator_message(
        &self,
        integration_id: &str,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>> {
        let incoming = OperatorMessage {
            integration_id: integration_id.to_owned(),
            conversation,
            command: command.clone(),
        };
        self.appends.reply(incoming).await
    }

    async fn update_operator_message(
        &self,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>> {
        let mut tx = self.writes.begin().await?;
        let updated = sqlx::query(
            "UPDATE messages SET text = $1, text_format = $2, edited_at = $3 \
             WHERE conversation_id = $4 AND ext_id = $5 RETURNING id",
        )
        .bind(&command.text)
        .bind(text_format_name(command.text_format))
        .bind(now_ms())
        .bind(conversation.id)
        .bind(&command.ext_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(updated) = updated else {
            return Ok(Err(Refused::Unknown(format!(
                "no message {} in conversation {}",
                command.ext_id, command.ext_conversation_id
            ))));
        };
        let message = message_by_id(&mut tx, updated.try_get("id")?).await?;
        tx.commit().await?;
        Ok(Ok(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Bridge, NewMessage, Store};
    use protocol::TextFormat;

    #[tokio::test]
    async fn delivered_commands_leave_the_outbox_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("outbox.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        let mut queued = store.outbox_signal().subscribe("shop");
        queued.take();
        let visitor = store.create_visitor("shop", "hash").await.unwrap();
        let message = NewMessage {
            client_id: "m-1".into(),
            text: "hello".into(),
            text_format: TextFormat::Plain,
            page: None,
        };
        let appended = store
            .append_visitor_message(&visitor, message, Bridge::On)
            .await
            .unwrap();
        let handed = queued.take().items;
        assert_eq!(
            handed
                .iter()
                .map(|item| item.command.split('"').nth(1).unwrap_or_default())
                .collect::<Vec<_>>(),
            ["createUser", "createConversation", "createMessage"],
            "the commit hands the worker what it queued"
        );
        let key = crate::outbox::ordering_key(appended.message().conversation_id);
        assert!(handed.iter().all(|item| item.ordering_key == key));
        let queued_ids: Vec<i64> = sqlx::query("SELECT id FROM outbox ORDER BY id")
            .fetch_all(&store.reads)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("id").unwrap())
            .collect();
        assert_eq!(
            handed.iter().map(|item| item.id).collect::<Vec<_>>(),
            queued_ids,
            "handed under the ids they were queued with"
        );

        let now = now_ms();
        let heads = store.due_commands("shop", now, 10).await.unwrap();
        assert_eq!(heads.len(), 1, "one head per conversation: {heads:?}");
        assert!(store.due_retries("shop", now, 10).await.unwrap().is_empty());
        let head = &heads[0];
        let outage = Failure::Outage {
            error: "answered 500",
            next_attempt_at: now + 1000,
        };
        let after = store.record_failure(head.id, outage).await.unwrap();
        assert_eq!(after, AfterFailure::Retried);
        assert!(
            store.due_retries("shop", now, 10).await.unwrap().is_empty(),
            "not due yet"
        );
        let retries = store.due_retries("shop", now + 1000, 10).await.unwrap();
        assert_eq!(
            retries
                .iter()
                .map(|item| (item.id, item.attempts))
                .collect::<Vec<_>>(),
            [(head.id, 1)],
            "the failed head, due again"
        );
        assert!(
            store
                .due_retries("other", now + 1000, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let now = now + 1000;

        let key = &heads[0].ordering_key;
        assert_eq!(
            store
                .next_commands("shop", std::slice::from_ref(key), now - 1000, 10)
                .await
                .unwrap(),
            HashMap::from([(key.clone(), Vec::new())]),
            "nothing due while the head waits for its retry, but the queue is not empty"
        );
        assert!(
            store
                .next_commands("shop", &["conversation-0".to_owned()], now, 10)
                .await
                .unwrap()
                .is_empty(),
            "a key with nothing queued is left out"
        );
        let other = store.create_visitor("shop", "other").await.unwrap();
        let other_message = NewMessage {
            client_id: "m-1".into(),
            text: "hello".into(),
            text_format: TextFormat::Plain,
            page: None,
        };
        let other_key = crate::outbox::ordering_key(
            store
                .append_visitor_message(&other, other_message, Bridge::On)
                .await
                .unwrap()
                .message()
                .conversation_id,
        );
        let both = [key.clone(), other_key.clone()];
        let read = |now| {
            let store = &store;
            let both = &both;
            async move {
                store
                    .next_commands("shop", both, now, 10)
                    .await
                    .unwrap()
                    .into_values()
                    .flatten()
                    .map(|item| (item.ordering_key, item.id))
                    .collect::<Vec<_>>()
            }
        };
        let early = read(now - 1).await;
        assert_eq!(early.len(), 3, "the other's three commands: {early:?}");
        assert!(early.iter().all(|(queue, _)| *queue == other_key));
        assert!(early.is_sorted(), "in order");
        assert_eq!(
            read(now).await.len(),
            6,
            "both queues once the retry is due"
        );
        let first_ids: Vec<i64> = early.iter().map(|(_, id)| *id).collect();
        store.remove_delivered(&first_ids).await.unwrap();
        let mut sent = Vec::new();
        loop {
            let next = store
                .next_commands("shop", std::slice::from_ref(key), now, 2)
                .await
                .unwrap()
                .remove(key)
                .unwrap_or_default();
            if next.is_empty() {
                break;
            }
            for item in next {
                sent.push(
                    item.command
                        .split('"')
                        .nth(1)
                        .unwrap_or_default()
                        .to_owned(),
                );
                store.remove_delivered(&[item.id]).await.unwrap();
            }
        }
        assert_eq!(sent, ["createUser", "createConversation", "createMessage"]);
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox")
            .fetch_one(&store.reads)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(left, 0, "delivered commands are deleted");
        assert_eq!(store.outbox_counts("shop").await.unwrap().depth, 0);
    }

    #[tokio::test]
    async fn notices_and_titles_of_the_collaboration_server_show_in_the_conversation() {
        let (_dir, stores) = crate::store::test_stores::test_stores().await;
        for store in stores {
            let engine = store.engine();
            let visitor = store.create_visitor("shop", "hash").await.unwrap();
            let say = |n: usize| NewMessage {
                client_id: format!("m-{n}"),
                text: format!("hello {n}"),
                text_format: TextFormat::Plain,
                page: None,
            };
            let first = store
                .append_visitor_message(&visitor, say(1), Bridge::Off)
                .await
                .unwrap();
            let conversation = ConversationRef {
                id: first.message().conversation_id,
                person_id: visitor.person_id,
            };
            assert_eq!(
                store.conversation_title(conversation.id).await.unwrap(),
                None
            );
            store
                .set_conversation_title(conversation.id, "Order 42")
                .await
                .unwrap();
            assert_eq!(
                store.conversation_title(conversation.id).await.unwrap(),
                Some("Order 42".into()),
                "{engine:?}"
            );

            let anna = User {
                ext_user_id: "op-1".into(),
                name: "Anna".into(),
                full_name: String::new(),
                picture: None,
            };
            store
                .save_operator("shop", &anna, None, Write::Create)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                store.operator_name("shop", "op-1").await.unwrap(),
                Some("Anna".into())
            );
            assert_eq!(
                store.operator_name("shop", "visitor-1").await.unwrap(),
                None
            );
            assert_eq!(store.operator_name("other", "op-1").await.unwrap(), None);

            let notice = store
                .append_system_message(conversation, "Anna joined the conversation")
                .await
                .unwrap();
            store
                .append_visitor_message(&visitor, say(2), Bridge::Off)
                .await
                .unwrap();
            let stored = store.messages_after(conversation.id, 0, 10).await.unwrap();
            let shown: Vec<_> = stored
                .iter()
                .map(|m| (m.seq, m.author.kind, m.text.as_str()))
                .collect();
            assert_eq!(
                shown,
                [
                    (1, AuthorKind::Visitor, "hello 1"),
                    (2, AuthorKind::System, "Anna joined the conversation"),
                    (3, AuthorKind::Visitor, "hello 2"),
                ],
                "{engine:?}: numbered among the others"
            );
            assert_eq!(stored[1], notice, "{engine:?}: returned as stored");
        }
    }

    #[tokio::test]
    async fn a_command_refused_max_attempts_times_is_set_aside_and_retried_under_its_id() {
        let (_dir, stores) = crate::store::test_stores::test_stores().await;
        for store in stores {
            let visitor = store.create_visitor("shop", "hash").await.unwrap();
            for n in 0..2 {
                let message = NewMessage {
                    client_id: format!("m-{n}"),
                    text: format!("hello {n}"),
                    text_format: TextFormat::Plain,
                    page: None,
                };
                store
                    .append_visitor_message(&visitor, message, Bridge::On)
                    .await
                    .unwrap();
            }
            let now = now_ms();
            let head = store.due_commands("shop", now, 1).await.unwrap().remove(0);
            let refusal = Failure::Refusal {
                status: 400,
                error: "answered 400: bad field",
                next_attempt_at: now,
                max_attempts: 2,
            };
            let outage = Failure::Outage {
                error: "answered 500",
                next_attempt_at: now,
            };
            let engine = store.engine();
            for (failure, expected) in [
                (refusal, AfterFailure::Retried),
                (outage, AfterFailure::Retried),
                (outage, AfterFailure::Retried),
                (refusal, AfterFailure::SetAside),
            ] {
                let after = store.record_failure(head.id, failure).await.unwrap();
                assert_eq!(after, expected, "{engine:?}: outages do not count");
            }
            let counts = store.outbox_counts("shop").await.unwrap();
            assert_eq!((counts.depth, counts.dead_letters), (3, 1), "{engine:?}");
            let next = store.due_commands("shop", now, 1).await.unwrap().remove(0);
            assert!(
                next.id > head.id,
                "{engine:?}: the next command is the head now"
            );

            let dead = store.dead_letters().await.unwrap();
            assert_eq!(dead.len(), 1, "{engine:?}");
            assert_eq!(
                (dead[0].id, dead[0].attempts, dead[0].last_status),
                (head.id, 4, Some(400)),
                "{engine:?}"
            );
            assert_eq!(dead[0].last_error, "answered 400: bad field");
            assert_eq!(dead[0].ordering_key, head.ordering_key);

            for none in [&[head.id + 1000][..], &[]] {
                let moved = store
                    .retry_dead_letters(DeadLetters::Ids(none), now)
                    .await
                    .unwrap();
                assert!(moved.is_empty(), "{engine:?}");
            }
            let moved = store
                .retry_dead_letters(DeadLetters::All, now)
                .await
                .unwrap();
            assert_eq!(moved, [head.id], "{engine:?}");
            assert!(store.dead_letters().await.unwrap().is_empty());
            let again = store.due_commands("shop", now, 1).await.unwrap().remove(0);
            assert_eq!(
                again.id, head.id,
                "{engine:?}: back at the head, under its id"
            );
            let retries = store.due_retries("shop", now, 10).await.unwrap();
            assert!(
                retries.iter().any(|item| item.id == head.id),
                "{engine:?}: a running worker's look for retries finds it"
            );
            let refused_once = store.record_failure(head.id, refusal).await.unwrap();
            assert_eq!(
                refused_once,
                AfterFailure::Retried,
                "{engine:?}: its refusals start again"
            );
        }
    }
}
