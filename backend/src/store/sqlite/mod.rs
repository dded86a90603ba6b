//! SQLite: the [`SqlStore`] on typed SQLite pools, in WAL mode. Every write takes the pool's
//! one write connection, so writers wait their turn in the pool's queue rather than in
//! SQLite's sleeping busy handler; messages are written in batches ([`batch`]), on a
//! connection of the writer's own while it holds that turn, and the log is mostly checkpointed
//! off the write path ([`checkpoint`]).

mod batch;
mod checkpoint;

use super::conversation_refs::ConversationRefs;
use super::interface::Engine;
use super::interface::{StoreError, StoreResult};
use super::sql_store::{Dialect, SqlStore};
use super::writer::Writer;
use crate::config::settings::SqliteSynchronous;
use crate::outbox::OutboxSignal;
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The store on SQLite.
pub(crate) type SqliteStore = SqlStore<Sqlite>;

/// Most memory each connection's page cache may take, in KiB.
const CACHE_KIB: u32 = 64 * 1024;

/// Connections reading beside the one writer.
const READERS: u32 = 4;

/// `rows` as the JSON array a statement reads with `json_each`: how a statement takes a list of
/// any length with a text that does not change, so it is prepared once.
pub(crate) fn json<T: serde::Serialize>(rows: &[T]) -> StoreResult<String> {
    serde_json::to_string(rows).map_err(|error| StoreError::Corrupt(error.to_string()))
}

/// How long a connection waits for another's lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What every connection sets besides WAL (which the file keeps): whether a commit waits for
/// its log to reach the disk (see `SqliteSynchronous`, and `checkpoint` for the log), foreign
/// keys, and a page cache of at most 64 MiB (grown as used) that holds the hot index pages of
/// a large database, which the default 2 MiB spilled and read again; statement journals stay in
/// memory, not in a temporary file.
fn pragmas(synchronous: SqliteSynchronous) -> [(&'static str, String); 5] {
    let synchronous = match synchronous {
        SqliteSynchronous::Full => "FULL",
        SqliteSynchronous::Normal => "NORMAL",
    };
    [
        ("synchronous", synchronous.into()),
        ("foreign_keys", "ON".into()),
        ("wal_autocheckpoint", checkpoint::LOG_PAGES.to_string()),
        ("temp_store", "MEMORY".into()),
        ("cache_size", format!("-{CACHE_KIB}")),
    ]
}

/// Opens the SQLite database at `url`, creating the file if there is none, with commits as
/// durable as `synchronous` says, and applies the migrations.
pub(crate) async fn open(url: &str, synchronous: SqliteSynchronous) -> StoreResult<SqliteStore> {
    // WAL lets readers run beside the writer.
    let options = pragmas(synchronous).into_iter().fold(
        SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT),
        |options, (name, value)| options.pragma(name, value),
    );
    let pool = |connections| {
        SqlitePoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.clone())
    };
    let writes = pool(1).await?;
    sqlx::migrate!("migrations/sqlite").run(&writes).await?;
    let committed = checkpoint::start(pool(1).await?);
    let reads = pool(READERS).await?;
    let signal = Arc::new(OutboxSignal::default());
    let own = writer_connection(options.get_filename(), synchronous).await?;
    let batches = batch::SqliteBatches {
        pool: writes.clone(),
        connection: own.clone(),
        signal: Arc::clone(&signal),
    };
    Ok(SqlStore {
        writer: Writer::start(batches, Arc::clone(&signal), Some(committed)),
        reads,
        writes,
        signal,
        conversation_refs: ConversationRefs::default(),
        own,
    })
}

/// Runs `job` on the thread that owns `connection`: one hand-over there and one back, however
/// many statements it runs.
pub(crate) async fn on_own_thread<R: Send + 'static>(
    connection: &tokio_rusqlite::Connection,
    job: impl FnOnce(&mut rusqlite::Connection) -> StoreResult<R> + Send + 'static,
) -> StoreResult<R> {
    connection
        .call(move |connection| Ok(job(connection)))
        .await
        .map_err(|error| StoreError::Corrupt(format!("the writer's connection: {error}")))?
}

/// The batch writer's own connection to the database at `path`, set as the pool's are.
async fn writer_connection(
    path: &Path,
    synchronous: SqliteSynchronous,
) -> StoreResult<tokio_rusqlite::Connection> {
    let connection = tokio_rusqlite::Connection::open(path)
        .await
        .map_err(|error| {
            StoreError::Corrupt(format!("cannot open the writer's connection: {error}"))
        })?;
    on_own_thread(&connection, move |connection| {
        connection.busy_timeout(BUSY_TIMEOUT)?;
        for (name, value) in pragmas(synchronous) {
            connection.pragma_update(None, name, value)?;
        }
        Ok(())
    })
    .await?;
    Ok(connection)
}

impl Dialect for Sqlite {
    const ENGINE: Engine = Engine::Sqlite;

    /// The batch writer's own connection.
    type Own = tokio_rusqlite::Connection;
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Row, SqlitePool};

    /// `PRAGMA synchronous` of a connection from `pool`: 2 is FULL, 1 NORMAL.
    async fn synchronous_of(pool: &SqlitePool) -> i64 {
        sqlx::query("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }

    #[tokio::test]
    async fn commits_are_synced_unless_asked_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
        let durable = open(&url("durable.db"), SqliteSynchronous::default())
            .await
            .unwrap();
        assert_eq!(synchronous_of(&durable.writes).await, 2, "FULL by default");
        assert_eq!(synchronous_of(&durable.reads).await, 2);
        let fast = open(&url("fast.db"), SqliteSynchronous::Normal)
            .await
            .unwrap();
        assert_eq!(synchronous_of(&fast.writes).await, 1, "NORMAL when asked");
        // The batch writer's own connection is set as the pools' are.
        assert_eq!(own_pragma(&durable, "synchronous").await, 2);
        assert_eq!(own_pragma(&fast, "synchronous").await, 1);
        assert_eq!(own_pragma(&durable, "foreign_keys").await, 1);
        assert_eq!(own_pragma(&durable, "temp_store").await, 2, "MEMORY");
    }

    /// `PRAGMA name` of the batch writer's own connection of `store`.
    async fn own_pragma(store: &SqliteStore, name: &'static str) -> i64 {
        on_own_thread(&store.own, move |connection| {
            Ok(connection.pragma_query_value(None, name, |row| row.get(0))?)
        })
        .await
        .unwrap()
    }
}
