//! Stores for unit tests: one on a SQLite file, and one on a fresh PostgreSQL database when a
//! PostgreSQL server is given (`WEBCHAT_TEST_POSTGRES_URL`), with a way to change their rows
//! under them.

use super::Storage;
use crate::config::settings::SqliteSynchronous;
use crate::store::now_ms;
use crate::store::postgres::{self, PgStore};
use crate::store::sqlite::{self, SqliteStore};
use sqlx::{
    ColumnIndex, Connection, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use tempfile::TempDir;

/// Databases made so far by this process, to name each apart.
static MADE: AtomicUsize = AtomicUsize::new(0);

/// A store on either engine.
#[derive(Debug)]
pub(crate) enum TestStore {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl std::ops::Deref for TestStore {
    type Target = dyn Storage;

    fn deref(&self) -> &Self::Target {
        match self {
            Self::Sqlite(store) => store,
            Self::Postgres(store) => store,
        }
    }
}

impl TestStore {
    /// The store as the server holds it.
    fn into_shared(self) -> std::sync::Arc<dyn Storage> {
        match self {
            Self::Sqlite(store) => std::sync::Arc::new(store),
            Self::Postgres(store) => std::sync::Arc::new(store),
        }
    }

    /// Runs `sql` with `binds` on the write pool: tests change stored rows under the store.
    /// Returns the first column of each row, as text.
    pub(crate) async fn execute(&self, sql: &str, binds: &[Bound]) -> Vec<String> {
        self.column(sql, binds, 0).await
    }

    /// Runs `sql` with `binds` on the write pool; returns the column `index` of each row, as
    /// text.
    pub(crate) async fn column(&self, sql: &str, binds: &[Bound], index: usize) -> Vec<String> {
        match self {
            Self::Sqlite(store) => column(&store.writes, sql, binds, index).await,
            Self::Postgres(store) => column(&store.writes, sql, binds, index).await,
        }
    }

    /// The engine's plan of `sql` with `binds`, one line per step: `EXPLAIN QUERY PLAN`'s
    /// details on SQLite, `EXPLAIN`'s lines on PostgreSQL.
    pub(crate) async fn plan(&self, sql: &str, binds: &[Bound]) -> String {
        let lines = match self {
            Self::Sqlite(_) => {
                let explain = format!("EXPLAIN QUERY PLAN {sql}");
                self.column(&explain, binds, 3).await
            }
            Self::Postgres(_) => self.execute(&format!("EXPLAIN {sql}"), binds).await,
        };
        lines.join("\n")
    }
}

/// A value bound to a test's statement ([`TestStore::execute`]).
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Int(i64),
    Text(String),
}

/// Runs `sql` with `binds` on `pool`; returns the column `index` of each row, as text.
async fn column<DB>(pool: &Pool<DB>, sql: &str, binds: &[Bound], index: usize) -> Vec<String>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut query = sqlx::query::<DB>(sql);
    for bound in binds {
        query = match bound {
            Bound::Int(value) => query.bind(*value),
            Bound::Text(value) => query.bind(value.clone()),
        };
    }
    query
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| {
            row.try_get::<String, _>(index)
                .or_else(|_| row.try_get::<i64, _>(index).map(|n| n.to_string()))
                .unwrap_or_default()
        })
        .collect()
}

/// The stores, and the directory holding the SQLite file (removed when dropped).
pub(crate) async fn test_stores() -> (TempDir, Vec<TestStore>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut stores = vec![TestStore::Sqlite(
        sqlite::open(&url, SqliteSynchronous::default())
            .await
            .unwrap(),
    )];
    if let Some(store) = postgres_store().await {
        stores.push(TestStore::Postgres(store));
    }
    (dir, stores)
}

/// A store on a fresh database of the PostgreSQL server tests are given, if one is.
pub(crate) async fn postgres_store() -> Option<PgStore> {
    let admin = std::env::var("WEBCHAT_TEST_POSTGRES_URL").ok()?;
    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
    let made = MADE.fetch_add(1, Ordering::Relaxed);
    let name = format!("webchat_unit_{}_{}_{made}", std::process::id(), now_ms());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    let (server, _) = admin.rsplit_once('/').unwrap();
    Some(postgres::open(&format!("{server}/{name}")).await.unwrap())
}

/// The kinds of the commands queued for a conversation (`createUser`, ...), in queue order.
pub(crate) async fn queued(store: &TestStore, conversation_id: i64) -> Vec<String> {
    let key = Bound::Text(format!("conversation-{conversation_id}"));
    store
        .execute(
            "SELECT command FROM outbox WHERE ordering_key = $1 ORDER BY id",
            &[key],
        )
        .await
        .iter()
        .map(|command| command.split('"').nth(1).unwrap_or_default().to_owned())
        .collect()
}

/// The stores as the server holds them, for tests outside the store (the session's).
pub(crate) async fn shared_test_stores() -> (TempDir, Vec<std::sync::Arc<dyn Storage>>) {
    let (dir, stores) = test_stores().await;
    (
        dir,
        stores.into_iter().map(TestStore::into_shared).collect(),
    )
}
