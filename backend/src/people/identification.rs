//! Identification: a visitor whose matching-key token names the site user `sub` moves to that
//! user's person, in one transaction with its visitor row locked. An anonymous person becomes
//! the site user when `sub` is new; otherwise the site user's person adopts what it lacks (the
//! anonymous conversation, empty contact fields). The collaboration server is told what
//! changed (`crate::store`'s announcements); the visitor's token is replaced whenever its
//! person changes.

use super::interface::TokenRotation;
use crate::outbox::signal::QueuedCommand;
use crate::outbox::{Bridge, commands};
use crate::store::{ContactRow, Dialect, SqlStore, StoreError, StoreResult, now_ms};
use protocol::ContactInfo;
use sql_bounds::sql_bounds;

#[sql_bounds]
impl<DB: Dialect> SqlStore<DB> {
    /// Moves the visitor to the person `sub`, replacing its token when the person changes;
    /// returns whether it did, the commands that queued and whether a conversation changed
    /// hands.
    pub(super) async fn identify_once(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<(TokenRotation, Vec<QueuedCommand>, bool)> {
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/lock_visitor.sql"))
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        let current: Option<CurrentPerson> =
            sqlx::query_as(include_str!("sql/person_of_visitor.sql"))
                .bind(visitor_id)
                .fetch_optional(&mut *tx)
                .await?;
        let current =
            current.ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        if current.sub.as_deref() == Some(sub) {
            tx.commit().await?;
            return Ok((TokenRotation::Kept, Vec::new(), false));
        }
        let target: Option<(i64,)> = sqlx::query_as(include_str!("sql/person_by_sub.sql"))
            .bind(&current.integration_id)
            .bind(sub)
            .fetch_optional(&mut *tx)
            .await?;
        let anonymous = current.sub.is_none();
        let (mut handed, mut handed_over) = (Vec::new(), false);
        let target_id = match target {
            None if anonymous => {
                sqlx::query(include_str!("sql/set_sub.sql"))
                    .bind(sub)
                    .bind(current.id)
                    .execute(&mut *tx)
                    .await?;
                if bridge == Bridge::On {
                    handed = Self::continue_as_site_user(&mut tx, current.id).await?;
                }
                current.id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(include_str!("sql/insert_person.sql"))
                    .bind(&current.integration_id)
                    .bind(sub)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?;
                id
            }
            Some((target_id,)) => {
                if anonymous {
                    (handed, handed_over) =
                        Self::adopt_anonymous(&mut tx, current, target_id, bridge).await?;
                }
                target_id
            }
        };
        sqlx::query(include_str!("sql/move_visitor.sql"))
            .bind(target_id)
            .bind(new_token_hash)
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((TokenRotation::Replaced, handed, handed_over))
    }

    /// An anonymous person who logs in as an existing one hands over what the existing one
    /// lacks: its conversation when that one has none, and each empty contact field. Returns
    /// the commands that queued and whether the conversation changed hands.
    async fn adopt_anonymous(
        connection: &mut DB::Connection,
        anonymous: CurrentPerson,
        target_id: i64,
        bridge: Bridge,
    ) -> StoreResult<(Vec<QueuedCommand>, bool)> {
        let adopted: Option<(i64, String, Option<String>, Option<i64>)> =
            sqlx::query_as(include_str!("sql/hand_over_conversation.sql"))
                .bind(target_id)
                .bind(anonymous.id)
                .fetch_optional(&mut *connection)
                .await?;
        let handed_over = adopted.is_some();
        let mut handed = Vec::new();
        if let Some((conversation_id, integration_id, ext_id, Some(_))) = adopted
            && bridge == Bridge::On
        {
            // The conversation exists in the collaboration server with the anonymous user as
            // its member: the user it now belongs to joins it.
            handed = Self::join_conversation(
                &mut *connection,
                target_id,
                &integration_id,
                conversation_id,
                commands::ext_conversation_id(conversation_id, ext_id),
            )
            .await?;
        }
        let contact: ContactInfo = anonymous.contact.into();
        sqlx::query(include_str!("sql/adopt_contact.sql"))
            .bind(contact.name)
            .bind(contact.email)
            .bind(contact.phone)
            .bind(target_id)
            .execute(&mut *connection)
            .await?;
        Ok((handed, handed_over))
    }
}

/// A visitor's current person, as identification reads it.
#[derive(Debug, sqlx::FromRow)]
struct CurrentPerson {
    id: i64,
    integration_id: String,
    sub: Option<String>,
    #[sqlx(flatten)]
    contact: ContactRow,
}
