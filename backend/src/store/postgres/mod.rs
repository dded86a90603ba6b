//! PostgreSQL: the [`SqlStore`] on one typed pool. Messages are written in batches, each in one
//! statement of a fixed text that binds arrays ([`batch`]), so it is prepared and planned once.

mod batch;
mod message_ids;
mod remembered;

use super::conversation_refs::ConversationRefs;
use super::interface::Engine;
use super::interface::StoreResult;
use super::sql_store::{Dialect, SqlStore};
use super::writer::Writer;
use crate::outbox::OutboxSignal;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Postgres};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The store on PostgreSQL.
pub(crate) type PgStore = SqlStore<Postgres>;

/// Connections in the pool.
const CONNECTIONS: u32 = 16;

/// How long a pooled connection may sit idle before it is checked (a round trip) when taken
/// again. sqlx checks every connection it hands out by default, a round trip before every
/// statement; a connection used moments ago is alive, and one that is not fails its statement
/// like any other lost connection.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Connects to the PostgreSQL database at `url` and applies the migrations.
pub(crate) async fn open(url: &str) -> StoreResult<PgStore> {
    // No JIT: every statement here is a short one, and a cost estimate over `jit_above_cost`
    // (a count over an account's many read positions) spent 100 ms compiling for 30 of work.
    let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(CONNECTIONS)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    let signal = Arc::new(OutboxSignal::default());
    let batches = batch::PgBatches::new(pool.clone(), Arc::clone(&signal));
    Ok(SqlStore {
        writer: Writer::start(batches, Arc::clone(&signal), None),
        reads: pool.clone(),
        writes: pool,
        signal,
        conversation_refs: ConversationRefs::default(),
        own: (),
    })
}

impl Dialect for Postgres {
    const ENGINE: Engine = Engine::Postgres;

    /// Nothing: PostgreSQL writes with its pool.
    type Own = ();
}
