//! [`CannedStore`] on both engines, through the statements in `sql/canned/`. An account reaches
//! the canned replies of the integrations it answers: the statements join its integrations, so
//! a reply of any other is as absent as one that never was.

use super::canned::{CannedDraft, CannedSaved};
use super::interface::CannedStore;
use crate::store::{Dialect, SqlStore, StoreResult, is_unique_violation, now_ms};
use async_trait::async_trait;
use protocol::operator::CannedReply;
use sql_bounds::sql_bounds;

/// A canned reply as the statements read it.
#[derive(Debug, sqlx::FromRow)]
struct CannedRow {
    id: i64,
    integration_id: String,
    shortcut: String,
    text: String,
    created_at: i64,
    updated_at: i64,
}

impl From<CannedRow> for CannedReply {
    fn from(row: CannedRow) -> Self {
        Self {
            id: row.id,
            integration_id: row.integration_id,
            shortcut: row.shortcut,
            text: row.text,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A write's row, or [`CannedSaved::ShortcutTaken`] when it hit the unique shortcut.
fn saved(written: StoreResult<CannedRow>) -> StoreResult<CannedSaved> {
    match written {
        Ok(row) => Ok(CannedSaved::Saved(row.into())),
        Err(error) if is_unique_violation(&error) => Ok(CannedSaved::ShortcutTaken),
        Err(error) => Err(error),
    }
}

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> CannedStore for SqlStore<DB> {
    async fn canned_replies(&self, account_id: i64) -> StoreResult<Vec<CannedReply>> {
        let rows: Vec<CannedRow> = sqlx::query_as(include_str!("sql/canned/list.sql"))
            .bind(account_id)
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn create_canned_reply(
        &self,
        integration_id: &str,
        draft: &CannedDraft,
    ) -> StoreResult<CannedSaved> {
        let inserted = sqlx::query_as(include_str!("sql/canned/insert.sql"))
            .bind(integration_id)
            .bind(draft.shortcut())
            .bind(draft.text())
            .bind(now_ms())
            .fetch_one(&self.writes)
            .await
            .map_err(Into::into);
        saved(inserted)
    }

    async fn update_canned_reply(
        &self,
        account_id: i64,
        id: i64,
        draft: &CannedDraft,
    ) -> StoreResult<Option<CannedSaved>> {
        let updated: StoreResult<Option<CannedRow>> =
            sqlx::query_as(include_str!("sql/canned/update.sql"))
                .bind(draft.shortcut())
                .bind(draft.text())
                .bind(now_ms())
                .bind(id)
                .bind(account_id)
                .fetch_optional(&self.writes)
                .await
                .map_err(Into::into);
        // Not found stays `None`; a row found is saved or hit the unique shortcut.
        updated.transpose().map(saved).transpose()
    }

    async fn delete_canned_reply(&self, account_id: i64, id: i64) -> StoreResult<bool> {
        let deleted: Option<(i64,)> = sqlx::query_as(include_str!("sql/canned/delete.sql"))
            .bind(id)
            .bind(account_id)
            .fetch_optional(&self.writes)
            .await?;
        Ok(deleted.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::NewAccount;
    use crate::storage::test_stores::{TestStore, test_stores};

    fn draft(shortcut: &str, text: &str) -> CannedDraft {
        CannedDraft::new(shortcut, text, 1000).unwrap()
    }

    fn reply(saved: CannedSaved) -> CannedReply {
        match saved {
            CannedSaved::Saved(reply) => reply,
            CannedSaved::ShortcutTaken => panic!("the shortcut was free"),
        }
    }

    async fn account(store: &TestStore, email: &str, integrations: &[&str]) -> i64 {
        let new = NewAccount {
            email: email.into(),
            name: "Operator".into(),
            password_hash: "$argon2id$stand-in".into(),
            integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
        };
        store.create_account(&new).await.unwrap().unwrap().id
    }

    #[tokio::test]
    async fn canned_replies_are_kept_per_integration_and_reached_through_its_operators() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            per_integration(store).await;
        }
    }

    async fn per_integration(store: &TestStore) {
        let ann = account(store, "ann@example.com", &["shop", "demo"]).await;
        let bob = account(store, "bob@example.com", &["demo"]).await;
        let hello = reply(
            store
                .create_canned_reply("shop", &draft("hello", "Hello!"))
                .await
                .unwrap(),
        );
        assert_eq!(hello.created_at, hello.updated_at);
        let demo_hello = reply(
            store
                .create_canned_reply("demo", &draft("hello", "Hi from the demo"))
                .await
                .unwrap(),
        );
        let bye = reply(
            store
                .create_canned_reply("demo", &draft("bye", "Bye"))
                .await
                .unwrap(),
        );
        assert_eq!(
            store
                .create_canned_reply("shop", &draft("HELLO", "again"))
                .await
                .unwrap(),
            CannedSaved::ShortcutTaken,
            "one shortcut per integration, whatever its case"
        );

        assert_eq!(
            store.canned_replies(ann).await.unwrap(),
            [bye.clone(), demo_hello.clone(), hello.clone()]
        );
        assert_eq!(
            store.canned_replies(bob).await.unwrap(),
            [bye.clone(), demo_hello.clone()]
        );

        // Bob does not answer the shop: its reply is not found for him.
        let edit = draft("hi", "Hi there");
        assert_eq!(
            store
                .update_canned_reply(bob, hello.id, &edit)
                .await
                .unwrap(),
            None
        );
        assert!(!store.delete_canned_reply(bob, hello.id).await.unwrap());
        let edited = reply(
            store
                .update_canned_reply(ann, hello.id, &edit)
                .await
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            (edited.shortcut.as_str(), edited.text.as_str()),
            ("hi", "Hi there")
        );
        assert_eq!(edited.created_at, hello.created_at);
        assert_eq!(
            store
                .update_canned_reply(bob, bye.id, &draft("hello", "x"))
                .await
                .unwrap(),
            Some(CannedSaved::ShortcutTaken)
        );

        assert!(store.delete_canned_reply(bob, bye.id).await.unwrap());
        assert!(!store.delete_canned_reply(bob, bye.id).await.unwrap());
        assert_eq!(store.canned_replies(bob).await.unwrap(), [demo_hello]);
    }
}
