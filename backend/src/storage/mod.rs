//! The server's one database: the messages' [`Store`] and the operators' [`Desk`] keep their
//! tables in it, on the same pools. [`open`] picks the engine once from the URL's scheme:
//! SQLite or PostgreSQL.

#[cfg(test)]
pub(crate) mod test_stores;

use crate::config::settings::SqliteSynchronous;
use crate::desk::Desk;
use crate::store::{Store, StoreError, StoreResult, postgres, sqlite};
use std::sync::Arc;

/// Everything the server keeps.
pub trait Storage: Store + Desk {}

impl<T: Store + Desk> Storage for T {}

/// Opens the database at `url` (`sqlite://file.db` or `postgres://...`), SQLite's commits made
/// as durable as `synchronous` says, and applies the engine's migrations.
pub async fn open(url: &str, synchronous: SqliteSynchronous) -> StoreResult<Arc<dyn Storage>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::open(url, synchronous).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}
