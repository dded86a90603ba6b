//! The [`Store`] over SQL through sqlx's `Any` driver: the same statements run on SQLite (WAL
//! journal) and PostgreSQL, and each engine has its own embedded migrations. Every transaction
//! begins with a write so SQLite takes its write lock up front instead of failing to upgrade a
//! read lock under contention.

use super::rows::{self, MESSAGE_COLUMNS, VISITOR_SELECT};
use super::{Appended, Engine, NewMessage, Store, StoreError, StoreResult, Visitor, now_ms};
use async_trait::async_trait;
use protocol::{AuthorKind, ContactInfo, Message};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

/// How often a transaction that lost a race on a unique key is tried again.
const UNIQUE_RACE_ATTEMPTS: usize = 3;

/// A [`Store`] on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    engine: Engine,
}

impl SqlStore {
    /// Connects to `url` (`sqlite://file.db` or `postgres://...`) and applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let (engine, url) = if url.starts_with("sqlite:") {
            (Engine::Sqlite, sqlite_url_creating_the_file(url))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Engine::Postgres, url.to_owned())
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 4,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // WAL lets readers run beside the writer; NORMAL syncing keeps every
                        // committed transaction across a process crash (not a power cut).
                        connection
                            .execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        match engine {
            Engine::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Engine::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Self { pool, engine })
    }

    async fn identify_once(&self, visitor_id: i64, sub: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE visitors SET person_id = person_id WHERE id = $1")
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        let current = sqlx::query(
            "SELECT p.id, p.integration_id, p.sub, p.name, p.email, p.phone FROM visitors v \
             JOIN people p ON p.id = v.person_id WHERE v.id = $1",
        )
        .bind(visitor_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        let current_id: i64 = current.try_get("id")?;
        let integration_id: String = current.try_get("integration_id")?;
        let current_sub: Option<String> = current.try_get("sub")?;
        if current_sub.as_deref() == Some(sub) {
            return Ok(tx.commit().await?);
        }
        let target: Option<i64> =
            sqlx::query("SELECT id FROM people WHERE integration_id = $1 AND sub = $2")
                .bind(&integration_id)
                .bind(sub)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let anonymous = current_sub.is_none();
        let target_id = match target {
            None if anonymous => {
                sqlx::query("UPDATE people SET sub = $1 WHERE id = $2")
                    .bind(sub)
                    .bind(current_id)
                    .execute(&mut *tx)
                    .await?;
                current_id
            }
            None => sqlx::query(
                "INSERT INTO people (integration_id, sub, created_at) VALUES ($1, $2, $3) \
                     RETURNING id",
            )
            .bind(&integration_id)
            .bind(sub)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?,
            Some(target_id) => {
                if anonymous {
                    adopt_anonymous(&mut tx, &current, current_id, target_id).await?;
                }
                target_id
            }
        };
        sqlx::query("UPDATE visitors SET person_id = $1 WHERE id = $2")
            .bind(target_id)
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }
}

/// An anonymous person who logs in as an existing one hands over what the existing one lacks:
/// its conversation when that one has none, and each empty contact field.
async fn adopt_anonymous(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    anonymous: &AnyRow,
    anonymous_id: i64,
    target_id: i64,
) -> StoreResult<()> {
    let target_has_conversation = sqlx::query("SELECT id FROM conversations WHERE person_id = $1")
        .bind(target_id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if !target_has_conversation {
        sqlx::query("UPDATE conversations SET person_id = $1 WHERE person_id = $2")
            .bind(target_id)
            .bind(anonymous_id)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query(
        "UPDATE people SET name = COALESCE(name, $1), email = COALESCE(email, $2), \
         phone = COALESCE(phone, $3) WHERE id = $4",
    )
    .bind(anonymous.try_get::<Option<String>, _>("name")?)
    .bind(anonymous.try_get::<Option<String>, _>("email")?)
    .bind(anonymous.try_get::<Option<String>, _>("phone")?)
    .bind(target_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn sqlite_url_creating_the_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

fn is_unique_violation(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
}

#[async_trait]
impl Store for SqlStore {
    fn engine(&self) -> Engine {
        self.engine
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(initial)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query("SELECT value FROM server_settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.pool)
                .await?
                .try_get("value")?,
        )
    }

    async fn create_visitor(&self, integration_id: &str, token_hash: &str) -> StoreResult<Visitor> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let person_id: i64 = sqlx::query(
            "INSERT INTO people (integration_id, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(integration_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let id: i64 = sqlx::query(
            "INSERT INTO visitors (integration_id, token_hash, person_id, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(integration_id)
        .bind(token_hash)
        .bind(person_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(Visitor {
            id,
            integration_id: integration_id.to_owned(),
            person_id,
            sub: None,
            contact: ContactInfo::default(),
        })
    }

    async fn visitor_by_token(
        &self,
        integration_id: &str,
        token_hash: &str,
    ) -> StoreResult<Option<Visitor>> {
        let sql = format!("{VISITOR_SELECT} AND v.token_hash = $1 AND v.integration_id = $2");
        sqlx::query(&sql)
            .bind(token_hash)
            .bind(integration_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(rows::visitor)
            .transpose()
    }

    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>> {
        let sql = format!("{VISITOR_SELECT} AND v.id = $1");
        sqlx::query(&sql)
            .bind(visitor_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(rows::visitor)
            .transpose()
    }

    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE visitors SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(visitor_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn identify(&self, visitor_id: i64, sub: &str) -> StoreResult<Visitor> {
        let mut attempt = 1;
        loop {
            match self.identify_once(visitor_id, sub).await {
                Err(error) if attempt < UNIQUE_RACE_ATTEMPTS && is_unique_violation(&error) => {
                    attempt += 1;
                }
                result => break result?,
            }
        }
        self.visitor(visitor_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))
    }

    async fn set_contact(&self, person_id: i64, contact: &ContactInfo) -> StoreResult<()> {
        sqlx::query("UPDATE people SET name = $1, email = $2, phone = $3 WHERE id = $4")
            .bind(contact.name.clone())
            .bind(contact.email.clone())
            .bind(contact.phone.clone())
            .bind(person_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn conversation_of(&self, person_id: i64) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query("SELECT id FROM conversations WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?,
        )
    }

    async fn append_visitor_message(
        &self,
        visitor: &Visitor,
        message: NewMessage,
    ) -> StoreResult<Appended> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO conversations (integration_id, person_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id) DO NOTHING",
        )
        .bind(&visitor.integration_id)
        .bind(visitor.person_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let counter = sqlx::query(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE person_id = $1 \
             RETURNING id, last_seq",
        )
        .bind(visitor.person_id)
        .fetch_one(&mut *tx)
        .await?;
        let conversation_id: i64 = counter.try_get("id")?;
        let seq: i64 = counter.try_get("last_seq")?;
        let select_by_client_id = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_id = $2"
        );
        let existing = sqlx::query(&select_by_client_id)
            .bind(conversation_id)
            .bind(&message.client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            tx.rollback().await?;
            return Ok(Appended::Existing(rows::message(&row)?));
        }
        let page = message.page.unwrap_or_default();
        sqlx::query(
            "INSERT INTO messages (conversation_id, seq, client_id, author_kind, author_name, \
             visitor_id, text, text_format, page_url, page_title, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
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
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let stored = sqlx::query(&select_by_client_id)
            .bind(conversation_id)
            .bind(&message.client_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Appended::Created(rows::message(&stored)?))
    }

    async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 \
             ORDER BY seq"
        );
        sqlx::query(&sql)
            .bind(conversation_id)
            .bind(after_seq)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::message)
            .collect()
    }
}
