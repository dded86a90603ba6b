//! [`People`] on the store's [`SqlStore`]: a visitor is made with its own anonymous person,
//! found again by its token's hash, ended at logout, and moved to the site user's person when a
//! matching-key token identifies it ([`super::identification`]).

use super::interface::{Identified, People};
use crate::outbox::Bridge;
use crate::store::{
    ContactRow, Dialect, SqlStore, StoreError, StoreResult, Visitor, is_unique_violation, now_ms,
};
use async_trait::async_trait;
use protocol::ContactInfo;
use sql_bounds::sql_bounds;

/// How stale a visitor's last-seen time may get before a connection writes it again: the idle
/// expiry counts in days, and a write on every connection would cost every reconnect.
const LAST_SEEN_GRANULARITY_MS: i64 = 24 * 60 * 60 * 1000;

/// How often a transaction that lost a race on a unique key is tried again.
const UNIQUE_RACE_ATTEMPTS: usize = 3;

/// A logged-in visitor with its person (`sql/visitor_*.sql`).
#[derive(Debug, sqlx::FromRow)]
struct VisitorRow {
    id: i64,
    integration_id: String,
    person_id: i64,
    sub: Option<String>,
    #[sqlx(flatten)]
    contact: ContactRow,
    last_seen_at: i64,
}

impl From<VisitorRow> for Visitor {
    fn from(row: VisitorRow) -> Self {
        Self {
            id: row.id,
            integration_id: row.integration_id,
            person_id: row.person_id,
            sub: row.sub,
            contact: row.contact.into(),
        }
    }
}

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> People for SqlStore<DB> {
    async fn create_visitor(
        &self,
        integration_id: &str,
        token_hash: &str,
        browser: Option<&str>,
    ) -> StoreResult<Visitor> {
        let now = now_ms();
        let mut tx = self.writes.begin().await?;
        let (person_id,): (i64,) = sqlx::query_as(include_str!("sql/insert_person.sql"))
            .bind(integration_id)
            .bind(None::<String>)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let (id,): (i64,) = sqlx::query_as(include_str!("sql/insert_visitor.sql"))
            .bind(integration_id)
            .bind(token_hash)
            .bind(person_id)
            .bind(now)
            .bind(browser)
            .fetch_one(&mut *tx)
            .await?;
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
        seen_since: i64,
    ) -> StoreResult<Option<Visitor>> {
        let row: Option<VisitorRow> = sqlx::query_as(include_str!("sql/visitor_by_token.sql"))
            .bind(token_hash)
            .bind(integration_id)
            .bind(seen_since)
            .fetch_optional(&self.reads)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let now = now_ms();
        let stale = row.last_seen_at < now - LAST_SEEN_GRANULARITY_MS;
        let visitor = Visitor::from(row);
        if stale {
            sqlx::query(include_str!("sql/touch_visitor.sql"))
                .bind(now)
                .bind(visitor.id)
                .execute(&self.writes)
                .await?;
        }
        Ok(Some(visitor))
    }

    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>> {
        let row: Option<VisitorRow> = sqlx::query_as(include_str!("sql/visitor_by_id.sql"))
            .bind(visitor_id)
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.map(Visitor::from))
    }

    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()> {
        sqlx::query(include_str!("sql/revoke_visitor.sql"))
            .bind(now_ms())
            .bind(visitor_id)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    async fn identify(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<Identified> {
        let mut attempt = 1;
        let (token, handed, handed_over) = loop {
            match self
                .identify_once(visitor_id, sub, new_token_hash, bridge)
                .await
            {
                Err(error) if attempt < UNIQUE_RACE_ATTEMPTS && is_unique_violation(&error) => {
                    attempt += 1;
                }
                result => break result?,
            }
        };
        if handed_over {
            self.conversation_refs.forget_all();
        }
        self.signal.queued(handed);
        let visitor = self
            .visitor(visitor_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        Ok(Identified { visitor, token })
    }

    async fn set_contact(
        &self,
        person_id: i64,
        contact: &ContactInfo,
        bridge: Bridge,
    ) -> StoreResult<()> {
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/set_contact.sql"))
            .bind(contact.name.as_deref())
            .bind(contact.email.as_deref())
            .bind(contact.phone.as_deref())
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        let handed = match bridge {
            Bridge::On => Self::queue_user_update(&mut tx, person_id).await?,
            Bridge::Off => Vec::new(),
        };
        tx.commit().await?;
        self.signal.queued(handed);
        Ok(())
    }
}
