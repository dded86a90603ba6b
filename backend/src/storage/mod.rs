//! The server's one database: the messages' [`Store`], visitors' [`People`], the operators'
//! [`Desk`], the bridge's outbox and inbound commands ([`OutboxStore`], [`InboundStore`]) and
//! the server's own settings ([`ServerStore`]) keep their tables in it, on the same pools.
//! [`open`] picks the engine once from the URL's scheme: SQLite or PostgreSQL.

mod server_store;
#[cfg(test)]
pub(crate) mod test_stores;

pub use server_store::ServerStore;

use crate::bridge::interface::{InboundStore, OutboxStore};
use crate::config::settings::SqliteSynchronous;
use crate::desk::Desk;
use crate::people::People;
use crate::store::{Store, StoreError, StoreResult, postgres, sqlite};
use std::sync::Arc;

/// Everything the server keeps.
pub trait Storage: ServerStore + Store + People + Desk + OutboxStore + InboundStore {}

impl<T> Storage for T where T: ServerStore + Store + People + Desk + OutboxStore + InboundStore {}

/// Opens the database at `url` (`sqlite://file.db` or `postgres://...`), SQLite's commits made
/// as durable as `synchronous` says, and applies the engine's migrations (and converts what
/// migrations cannot: [`InboundStore::convert_legacy_pictures`]).
pub async fn open(url: &str, synchronous: SqliteSynchronous) -> StoreResult<Arc<dyn Storage>> {
    let storage: Arc<dyn Storage> = if url.starts_with("sqlite:") {
        Arc::new(sqlite::open(url, synchronous).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::open(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl);
    };
    storage.convert_legacy_pictures().await?;
    Ok(storage)
}
