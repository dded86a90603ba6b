//! The sustained-throughput scenario: visitor messages at a fixed rate for minutes, with
//! forwarding to the fake collaboration server on, then a count of what arrived, in the
//! database (rows and distinct client ids) and at the fake (commands and distinct ids), so a lost
//! or doubled message shows.

use crate::cpu::CpuMeter;
use crate::database::is_sqlite;
use crate::scenarios;
use crate::server::Database;
use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use sqlx::{Connection, Row};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The client ids of a run's messages start with this and the run's start time; the database
/// count looks only at them (PostgreSQL runs share one database, which may be used again).
const RUN: &str = "sustained";
/// Longest wait for the backlog after the sending stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// What a sustained run measured.
#[derive(Debug)]
pub struct Sustained {
    pub sessions: usize,
    pub rate: u64,
    pub duration: Duration,
    pub sent: u64,
    pub acked: u64,
    /// From the first message until the last ack (or the drain timeout).
    pub elapsed: Duration,
    /// From the first message until the collaboration server had every message (or the drain
    /// timeout).
    pub forwarded_in: Duration,
    /// Visitor message sent → acknowledged as stored.
    pub stored: Histogram<u64>,
    pub database_rows: i64,
    pub database_distinct: i64,
    /// Messages the collaboration server should have got (the warm-up's included).
    pub collaboration_expected: u64,
    pub collaboration_received: u64,
    pub collaboration_distinct: usize,
    pub errors: u64,
    /// Server CPU time from the first message until the drain ended.
    pub cpu_seconds: f64,
    /// The PostgreSQL server's in the same time; `None` on SQLite (inside the server's).
    pub database_cpu_seconds: Option<f64>,
}

impl Sustained {
    pub fn cpu_per_thousand(&self) -> f64 {
        self.cpu_seconds * 1000.0 / (self.acked.max(1) as f64)
    }

    /// The PostgreSQL server's CPU seconds per 1,000 messages, where it was measured.
    pub fn database_cpu_per_thousand(&self) -> Option<f64> {
        Some(self.database_cpu_seconds? * 1000.0 / (self.acked.max(1) as f64))
    }

    pub fn stored_per_second(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Messages acknowledged as stored but missing from the database: a broken promise.
    pub fn lost(&self) -> u64 {
        self.acked
            .saturating_sub(u64::try_from(self.database_distinct).unwrap_or(0))
    }

    /// Messages sent but not stored when the run ended: the server fell behind the rate and
    /// never acknowledged them (a widget would send them again).
    pub fn not_stored(&self) -> u64 {
        self.sent
            .saturating_sub(u64::try_from(self.database_distinct).unwrap_or(0))
    }

    /// Stored messages the collaboration server had not received when the run ended: still
    /// in the outbox.
    pub fn not_forwarded(&self) -> u64 {
        let stored = u64::try_from(self.database_distinct).unwrap_or(0);
        let warm_up = self.collaboration_expected.saturating_sub(self.sent);
        (stored + warm_up).saturating_sub(u64::try_from(self.collaboration_distinct).unwrap_or(0))
    }

    /// Extra copies, in the database and at the collaboration server.
    pub fn doubled(&self) -> u64 {
        let in_database = self.database_rows - self.database_distinct;
        let forwarded =
            self.collaboration_received - u64::try_from(self.collaboration_distinct).unwrap_or(0);
        u64::try_from(in_database).unwrap_or(0) + forwarded
    }
}

/// Drives `sessions` sessions at `rate` messages per second for `duration` against the chat on
/// `database`, then counts.
pub async fn run(
    database: &Database,
    sessions: usize,
    rate: u64,
    duration: Duration,
) -> Result<Sustained> {
    let (server, load, fake) = scenarios::warmed_up(database, sessions).await?;
    let recorder = &load.recorder;
    let started = Instant::now();
    let cpu = CpuMeter::start(server.pid, Some(&database.url)).await?;
    let run = format!(
        "{RUN}{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    );
    let (sent, _) = load.drive(rate, duration, None, &run).await;
    let collaboration_expected = sent + sessions as u64;
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let mut elapsed = None;
    while Instant::now() < deadline {
        if elapsed.is_none() && recorder.acks.load(Ordering::Relaxed) >= sent {
            elapsed = Some(started.elapsed());
        }
        if elapsed.is_some() && fake.messages() >= collaboration_expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let forwarded_in = started.elapsed();
    let elapsed = elapsed.unwrap_or(forwarded_in);
    let cpu = cpu.spent();
    // Acks first: every one counted must then be in the database.
    let acked = recorder.acks.load(Ordering::Relaxed);
    let (database_rows, database_distinct) = count_stored(&database.url, &run).await?;
    let (_, collaboration_received, collaboration_distinct) = fake.snapshot();
    let report = Sustained {
        sessions,
        rate,
        duration,
        sent,
        acked,
        elapsed,
        forwarded_in,
        stored: recorder
            .stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        database_rows,
        database_distinct,
        collaboration_expected,
        collaboration_received,
        collaboration_distinct,
        errors: recorder.errors.load(Ordering::Relaxed),
        cpu_seconds: cpu.server,
        database_cpu_seconds: cpu.database,
    };
    drop(load);
    server.stop().await;
    Ok(report)
}

/// Rows and distinct client ids of run `run`'s messages in the database.
async fn count_stored(database_url: &str, run: &str) -> Result<(i64, i64)> {
    if is_sqlite(database_url) {
        count_stored_on::<sqlx::Sqlite>(database_url, run).await
    } else {
        count_stored_on::<sqlx::Postgres>(database_url, run).await
    }
}

async fn count_stored_on<DB>(database_url: &str, run: &str) -> Result<(i64, i64)>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> i64: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    for<'n> &'n str: sqlx::ColumnIndex<DB::Row>,
{
    let mut connection = DB::Connection::connect(database_url)
        .await
        .context("cannot open the bench database to count")?;
    let row = sqlx::query::<DB>(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT client_id) AS d FROM messages \
         WHERE client_id LIKE $1",
    )
    .bind(format!("{run}-%"))
    .fetch_one(&mut connection)
    .await?;
    Ok((row.try_get("n")?, row.try_get("d")?))
}
