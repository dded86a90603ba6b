//! CPU time of a run: the chat server's, and its PostgreSQL server's beside it (SQLite works
//! inside the chat server, so its time is already the server's).

use crate::database::postgres_server_process;
use crate::stats::{cpu_seconds, cpu_seconds_with_children};

/// CPU seconds spent since [`CpuMeter::start`].
#[derive(Debug)]
pub struct CpuMeter {
    server: u32,
    /// The PostgreSQL server's postmaster, when the run has one on this machine.
    database: Option<u32>,
    server_before: f64,
    database_before: Option<f64>,
}

/// What a [`CpuMeter`] read, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct CpuSpent {
    pub server: f64,
    pub database: Option<f64>,
}

impl CpuMeter {
    /// Starts counting for the chat server `server` and the database of `database_url` (none
    /// for the baseline).
    pub async fn start(server: u32, database_url: Option<&str>) -> anyhow::Result<Self> {
        let database = match database_url {
            Some(url) => postgres_server_process(url).await?,
            None => None,
        };
        Ok(Self {
            server,
            database,
            server_before: cpu_seconds(server),
            database_before: database.map(cpu_seconds_with_children),
        })
    }

    /// The PostgreSQL server's postmaster, when the run has one on this machine.
    pub fn postmaster(&self) -> Option<u32> {
        self.database
    }

    /// The time spent so far.
    pub fn spent(&self) -> CpuSpent {
        CpuSpent {
            server: cpu_seconds(self.server) - self.server_before,
            database: self
                .database
                .map(cpu_seconds_with_children)
                .zip(self.database_before)
                .map(|(now, before)| now - before),
        }
    }
}
