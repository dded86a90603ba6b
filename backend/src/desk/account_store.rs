//! [`AccountStore`] on both engines, through the statements in `sql/accounts/`: console
//! operators' accounts and their sessions. A session is found by the SHA-256 of its token,
//! never the token, and ends when unused for the idle timeout, at its absolute end, at logout,
//! and when its account's password changes or the account is removed.

use super::accounts::{
    Account, Credentials, EmailTaken, NewAccount, SessionLifetime, TeamMember, normalize_email,
};
use super::interface::AccountStore;
use crate::store::{Dialect, SqlStore, StoreResult, is_unique_violation, now_ms};
use async_trait::async_trait;
use sql_bounds::sql_bounds;

/// How stale a session's last use may get before a request writes it again: idle timeouts
/// count in hours, and a write per request would cost every API call.
const LAST_USED_GRANULARITY_MS: i64 = 60 * 1000;

/// An account's columns, without its integrations.
#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: i64,
    email: String,
    name: String,
}

impl AccountRow {
    fn with(self, integrations: Vec<String>) -> Account {
        Account {
            id: self.id,
            email: self.email,
            name: self.name,
            integrations,
        }
    }
}

/// A live session's account and last use.
#[derive(Debug, sqlx::FromRow)]
struct SessionRow {
    account_id: i64,
    last_used_at: i64,
    email: String,
    name: String,
}

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> AccountStore for SqlStore<DB> {
    async fn create_account(
        &self,
        account: &NewAccount,
    ) -> StoreResult<Result<Account, EmailTaken>> {
        let email = normalize_email(&account.email);
        let mut tx = self.writes.begin().await?;
        let inserted: Result<(i64,), _> =
            sqlx::query_as(include_str!("sql/accounts/insert_account.sql"))
                .bind(&email)
                .bind(&account.name)
                .bind(&account.password_hash)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await
                .map_err(Into::into);
        let id = match inserted {
            Ok((id,)) => id,
            Err(error) if is_unique_violation(&error) => return Ok(Err(EmailTaken(email))),
            Err(error) => return Err(error),
        };
        let mut integrations = account.integrations.clone();
        integrations.sort();
        integrations.dedup();
        for integration_id in &integrations {
            sqlx::query(include_str!("sql/accounts/insert_account_integration.sql"))
                .bind(id)
                .bind(integration_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Ok(Account {
            id,
            email,
            name: account.name.clone(),
            integrations,
        }))
    }

    async fn accounts(&self) -> StoreResult<Vec<Account>> {
        let rows: Vec<(i64, String, String, Option<String>)> =
            sqlx::query_as(include_str!("sql/accounts/accounts.sql"))
                .fetch_all(&self.reads)
                .await?;
        let mut accounts: Vec<Account> = Vec::new();
        for (id, email, name, integration_id) in rows {
            // Rows come by account: a new id starts the next account.
            if accounts.last().is_none_or(|last| last.id != id) {
                accounts.push(AccountRow { id, email, name }.with(Vec::new()));
            }
            if let (Some(account), Some(integration_id)) = (accounts.last_mut(), integration_id) {
                account.integrations.push(integration_id);
            }
        }
        Ok(accounts)
    }

    async fn remove_account(&self, email: &str) -> StoreResult<Option<i64>> {
        let removed: Option<(i64,)> =
            sqlx::query_as(include_str!("sql/accounts/delete_account.sql"))
                .bind(normalize_email(email))
                .fetch_optional(&self.writes)
                .await?;
        Ok(removed.map(|(id,)| id))
    }

    async fn set_password(&self, email: &str, password_hash: &str) -> StoreResult<Option<i64>> {
        let mut tx = self.writes.begin().await?;
        let changed: Option<(i64,)> = sqlx::query_as(include_str!("sql/accounts/set_password.sql"))
            .bind(password_hash)
            .bind(now_ms())
            .bind(normalize_email(email))
            .fetch_optional(&mut *tx)
            .await?;
        if let Some((id,)) = changed {
            sqlx::query(include_str!("sql/accounts/delete_account_sessions.sql"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changed.map(|(id,)| id))
    }

    async fn credentials(&self, email: &str) -> StoreResult<Option<Credentials>> {
        Ok(sqlx::query_as(include_str!("sql/accounts/credentials.sql"))
            .bind(normalize_email(email))
            .fetch_optional(&self.reads)
            .await?)
    }

    async fn account(&self, account_id: i64) -> StoreResult<Option<Account>> {
        let row: Option<AccountRow> =
            sqlx::query_as(include_str!("sql/accounts/account_by_id.sql"))
                .bind(account_id)
                .fetch_optional(&self.reads)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let integrations = self.integrations_of(account_id).await?;
        Ok(Some(row.with(integrations)))
    }

    async fn team_of(&self, account_id: i64) -> StoreResult<Vec<TeamMember>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as(include_str!("sql/accounts/teammates.sql"))
                .bind(account_id)
                .fetch_all(&self.reads)
                .await?;
        let mut team: Vec<TeamMember> = Vec::new();
        for (id, name, integration_id) in rows {
            // Rows come by account: a new id starts the next member.
            match team.last_mut() {
                Some(last) if last.id == id => last.integrations.push(integration_id),
                _ => team.push(TeamMember {
                    id,
                    name,
                    integrations: vec![integration_id],
                }),
            }
        }
        Ok(team)
    }

    async fn create_session(
        &self,
        account_id: i64,
        token_hash: &str,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/accounts/delete_stale_sessions.sql"))
            .bind(account_id)
            .bind(now)
            .bind(now.saturating_sub(lifetime.idle_ms))
            .execute(&mut *tx)
            .await?;
        sqlx::query(include_str!("sql/accounts/insert_session.sql"))
            .bind(token_hash)
            .bind(account_id)
            .bind(now)
            .bind(now.saturating_add(lifetime.absolute_ms))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        lifetime: SessionLifetime,
        now: i64,
    ) -> StoreResult<Option<Account>> {
        let row: Option<SessionRow> = sqlx::query_as(include_str!("sql/accounts/session.sql"))
            .bind(token_hash)
            .bind(now)
            .bind(now.saturating_sub(lifetime.idle_ms))
            .fetch_optional(&self.reads)
            .await?;
        let Some(row) = row else { return Ok(None) };
        if now - row.last_used_at >= LAST_USED_GRANULARITY_MS {
            sqlx::query(include_str!("sql/accounts/touch_session.sql"))
                .bind(now)
                .bind(token_hash)
                .execute(&self.writes)
                .await?;
        }
        let integrations = self.integrations_of(row.account_id).await?;
        let account = AccountRow {
            id: row.account_id,
            email: row.email,
            name: row.name,
        };
        Ok(Some(account.with(integrations)))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query(include_str!("sql/accounts/delete_session.sql"))
            .bind(token_hash)
            .execute(&self.writes)
            .await?;
        Ok(())
    }
}

#[sql_bounds]
impl<DB: Dialect> SqlStore<DB> {
    /// The ids of the integrations `account_id` answers, sorted.
    async fn integrations_of(&self, account_id: i64) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as(include_str!("sql/accounts/account_integrations.sql"))
                .bind(account_id)
                .fetch_all(&self.reads)
                .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::test_stores::{Bound, TestStore, test_stores};

    const HOUR_MS: i64 = 60 * 60 * 1000;
    const LIFETIME: SessionLifetime = SessionLifetime {
        idle_ms: 12 * HOUR_MS,
        absolute_ms: 7 * 24 * HOUR_MS,
    };

    fn new_account(email: &str, integrations: &[&str]) -> NewAccount {
        NewAccount {
            email: email.into(),
            name: "Ann Operator".into(),
            password_hash: "$argon2id$stand-in".into(),
            integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[tokio::test]
    async fn a_team_is_who_shares_an_integration_with_its_shared_integrations_only() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            team(store).await;
        }
    }

    async fn team(store: &TestStore) {
        let mut created = Vec::new();
        for (email, name, integrations) in [
            ("ann@example.com", "Ann", &["shop", "demo"][..]),
            ("bob@example.com", "Bob", &["shop", "other"][..]),
            ("cid@example.com", "Cid", &["other"][..]),
            ("dan@example.com", "Dan", &[][..]),
        ] {
            let account = NewAccount {
                name: name.into(),
                ..new_account(email, integrations)
            };
            created.push(store.create_account(&account).await.unwrap().unwrap().id);
        }
        let member = |index: usize, name: &str, integrations: &[&str]| TeamMember {
            id: created[index],
            name: name.into(),
            integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
        };
        assert_eq!(
            store.team_of(created[0]).await.unwrap(),
            [
                member(0, "Ann", &["demo", "shop"]),
                member(1, "Bob", &["shop"])
            ],
            "Cid answers no integration of Ann's"
        );
        assert_eq!(
            store.team_of(created[2]).await.unwrap(),
            [member(1, "Bob", &["other"]), member(2, "Cid", &["other"])]
        );
        assert_eq!(store.team_of(created[3]).await.unwrap(), []);
    }

    #[tokio::test]
    async fn accounts_are_unique_by_lower_cased_email_and_list_their_integrations() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            accounts_by_email(store).await;
        }
    }

    async fn accounts_by_email(store: &TestStore) {
        let ann = store
            .create_account(&new_account(" Ann@Example.COM ", &["shop", "demo", "shop"]))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ann.email, "ann@example.com");
        assert_eq!(ann.integrations, ["demo", "shop"]);
        let taken = store
            .create_account(&new_account("ANN@example.com", &["shop"]))
            .await
            .unwrap();
        assert_eq!(taken, Err(EmailTaken("ann@example.com".into())));
        let bob = store
            .create_account(&new_account("bob@example.com", &[]))
            .await
            .unwrap()
            .unwrap();

        assert_eq!(store.accounts().await.unwrap(), [ann.clone(), bob.clone()]);
        assert_eq!(store.account(ann.id).await.unwrap(), Some(ann.clone()));
        let credentials = store.credentials("ANN@EXAMPLE.COM").await.unwrap().unwrap();
        assert_eq!(credentials.account_id, ann.id);
        assert_eq!(credentials.password_hash, "$argon2id$stand-in");
        assert_eq!(store.credentials("nobody@example.com").await.unwrap(), None);

        assert_eq!(
            store.remove_account("Bob@Example.com").await.unwrap(),
            Some(bob.id)
        );
        assert_eq!(store.remove_account("bob@example.com").await.unwrap(), None);
        assert_eq!(store.accounts().await.unwrap(), [ann]);
    }

    #[tokio::test]
    async fn sessions_end_when_idle_at_their_end_at_logout_and_with_a_new_password() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            sessions_end(store).await;
        }
    }

    async fn sessions_end(store: &TestStore) {
        let ann = store
            .create_account(&new_account("ann@example.com", &["shop"]))
            .await
            .unwrap()
            .unwrap();
        let now = now_ms();
        let start =
            |token: &'static str, at: i64| store.create_session(ann.id, token, LIFETIME, at);
        let at = |token: &'static str, when: i64| store.session(token, LIFETIME, when);
        start("a", now).await.unwrap();
        assert_eq!(at("a", now).await.unwrap(), Some(ann.clone()));
        assert_eq!(at("unknown", now).await.unwrap(), None);

        // Idle: used within the timeout it lives on, past it it ends.
        let later = now + LIFETIME.idle_ms - 1;
        assert!(at("a", later).await.unwrap().is_some());
        assert!(
            at("a", later + LIFETIME.idle_ms - 1)
                .await
                .unwrap()
                .is_some(),
            "the use was noted"
        );
        assert!(
            at("a", later + 2 * LIFETIME.idle_ms)
                .await
                .unwrap()
                .is_none()
        );

        // Uses within a minute of the last noted one write nothing.
        start("b", now).await.unwrap();
        at("b", now + LAST_USED_GRANULARITY_MS - 1).await.unwrap();
        assert_eq!(last_used(store, "b").await, now);
        at("b", now + LAST_USED_GRANULARITY_MS).await.unwrap();
        assert_eq!(last_used(store, "b").await, now + LAST_USED_GRANULARITY_MS);

        // Absolute: however busy, it ends at its end.
        start("c", now).await.unwrap();
        let mut when = now;
        while when < now + LIFETIME.absolute_ms - LIFETIME.idle_ms {
            when += LIFETIME.idle_ms / 2;
            assert!(at("c", when).await.unwrap().is_some());
        }
        assert!(at("c", now + LIFETIME.absolute_ms).await.unwrap().is_none());

        start("d", now).await.unwrap();
        store.delete_session("d").await.unwrap();
        assert!(at("d", now).await.unwrap().is_none(), "logged out");

        start("e", now).await.unwrap();
        start("f", now).await.unwrap();
        assert_eq!(
            store
                .set_password("ANN@example.com", "$argon2id$new")
                .await
                .unwrap(),
            Some(ann.id)
        );
        assert!(
            at("e", now).await.unwrap().is_none(),
            "a new password ends every session"
        );
        assert!(at("f", now).await.unwrap().is_none());
        let credentials = store.credentials("ann@example.com").await.unwrap().unwrap();
        assert_eq!(credentials.password_hash, "$argon2id$new");
        assert_eq!(
            store.set_password("nobody@example.com", "x").await.unwrap(),
            None
        );

        // A login forgets the account's ended sessions; removing the account ends the rest.
        start("g", now).await.unwrap();
        start("h", now + LIFETIME.absolute_ms).await.unwrap();
        assert_eq!(session_count(store).await, 1, "g ended and was forgotten");
        store.remove_account("ann@example.com").await.unwrap();
        assert_eq!(session_count(store).await, 0);
    }

    async fn last_used(store: &TestStore, token_hash: &str) -> i64 {
        let found = store
            .execute(
                "SELECT last_used_at FROM operator_sessions WHERE token_hash = $1",
                &[Bound::Text(token_hash.into())],
            )
            .await;
        found[0].parse().unwrap()
    }

    async fn session_count(store: &TestStore) -> i64 {
        store
            .execute("SELECT COUNT(*) FROM operator_sessions", &[])
            .await[0]
            .parse()
            .unwrap()
    }
}
