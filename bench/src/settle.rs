//! Lets the disk settle before a measurement: what earlier work wrote and the database or the
//! kernel still holds dirty (the runs before, a seed of many rows) is written out first, so
//! that flushing it does not fall into the measured seconds, where it would hold up the
//! commits of the run measured. The full bench runs every scenario on one machine, one
//! PostgreSQL cluster, and one disk, one after another.

use crate::database::DirectConnection;
use anyhow::{Context, Result, bail};

/// Writes out what the database at `url` holds dirty (PostgreSQL: a `CHECKPOINT`; SQLite:
/// its write-ahead log copied into the database file and emptied), then the kernel's dirty
/// pages (`sync`). A server of many conversations wrote them long before; a seed wrote them
/// just now.
pub async fn database(url: &str) -> Result<()> {
    let mut connection = DirectConnection::connect(url).await?;
    let checkpoint = match connection {
        DirectConnection::Sqlite(_) => "PRAGMA wal_checkpoint(TRUNCATE)",
        DirectConnection::Postgres(_) => "CHECKPOINT",
    };
    connection
        .execute(checkpoint)
        .await
        .with_context(|| format!("`{checkpoint}` before measuring"))?;
    disk().await
}

/// Writes out the kernel's dirty pages, of every file system (`sync`).
pub async fn disk() -> Result<()> {
    let status = tokio::process::Command::new("sync")
        .status()
        .await
        .context("cannot run `sync`")?;
    if !status.success() {
        bail!("`sync` failed: {status}");
    }
    Ok(())
}
