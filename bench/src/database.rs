//! A connection to the bench's database on either engine, for what the bench does beside the
//! server: writing seeded rows, reading the engine's plan of a statement with the values the
//! server binds and timing it alone, and making a throw-away PostgreSQL database next to the
//! given one.

use crate::query_plan;
use anyhow::Result;
use sqlx::query::Query;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use std::time::{Duration, Instant};

/// A connection straight to the bench's database (not through the server), on either engine.
#[derive(Debug)]
pub enum DirectConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// A value bound to a statement's `$n`.
#[derive(Debug, Clone)]
pub enum Bound {
    Int(i64),
    Text(String),
}

/// Whether `url` is a SQLite database's (the bench tells its engines apart by the scheme).
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl DirectConnection {
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(if is_sqlite(url) {
            Self::Sqlite(SqliteConnection::connect(url).await?)
        } else {
            Self::Postgres(PgConnection::connect(url).await?)
        })
    }

    /// Runs `sql`, which binds nothing.
    pub async fn execute(&mut self, sql: &str) -> Result<()> {
        match self {
            Self::Sqlite(connection) => {
                sqlx::raw_sql(sql).execute(connection).await?;
            }
            Self::Postgres(connection) => {
                sqlx::raw_sql(sql).execute(connection).await?;
            }
        }
        Ok(())
    }

    /// The one integer `sql` selects.
    pub async fn number(&mut self, sql: &str) -> Result<i64> {
        Ok(match self {
            Self::Sqlite(connection) => sqlx::query_scalar(sql).fetch_one(connection).await?,
            Self::Postgres(connection) => sqlx::query_scalar(sql).fetch_one(connection).await?,
        })
    }

    /// How long `sql` with `bound` takes on this connection, every row read.
    pub async fn timed(&mut self, sql: &str, bound: &[Bound]) -> Result<Duration> {
        let started = Instant::now();
        match self {
            Self::Sqlite(connection) => {
                bind_all(sqlx::query(sql), bound)
                    .fetch_all(connection)
                    .await?;
            }
            Self::Postgres(connection) => {
                bind_all(sqlx::query(sql), bound)
                    .fetch_all(connection)
                    .await?;
            }
        }
        Ok(started.elapsed())
    }

    /// The plan of `sql` with `bound` bound, one line per step, children indented.
    pub async fn plan(&mut self, sql: &str, bound: &[Bound]) -> Result<Vec<String>> {
        match self {
            Self::Sqlite(connection) => {
                let explain = format!("EXPLAIN QUERY PLAN {sql}");
                let rows = bind_all(sqlx::query(&explain), bound)
                    .fetch_all(connection)
                    .await?;
                let steps = rows
                    .iter()
                    .map(|row| {
                        Ok((
                            row.try_get("id")?,
                            row.try_get("parent")?,
                            row.try_get("detail")?,
                        ))
                    })
                    .collect::<Result<Vec<(i64, i64, String)>, sqlx::Error>>()?;
                Ok(query_plan::sqlite_tree(&steps))
            }
            Self::Postgres(connection) => {
                let explain = format!("EXPLAIN {sql}");
                let rows = bind_all(sqlx::query(&explain), bound)
                    .fetch_all(connection)
                    .await?;
                Ok(rows
                    .iter()
                    .map(|row| row.try_get::<String, _>(0))
                    .collect::<Result<_, _>>()?)
            }
        }
    }
}

/// `query` with `bound` bound to its `$1`, `$2`, ... in order.
fn bind_all<'q, DB>(
    query: Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    bound: &[Bound],
) -> Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    bound.iter().fold(query, |query, value| match value {
        Bound::Int(value) => query.bind(*value),
        Bound::Text(value) => query.bind(value.clone()),
    })
}

/// A new, empty PostgreSQL database `name` on the server of `url` (as its user), for a run that
/// needs its tables to itself; its URL. A database of that name left by an earlier run is
/// dropped first.
pub async fn scratch_postgres(url: &str, name: &str) -> Result<String> {
    let mut connection = PgConnection::connect(url).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut connection)
        .await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await?;
    let mut scratch = reqwest::Url::parse(url)?;
    scratch.set_path(&format!("/{name}"));
    Ok(scratch.to_string())
}

/// Drops the database `name` made by [`scratch_postgres`] on the server of `url`.
pub async fn drop_postgres(url: &str, name: &str) -> Result<()> {
    let mut connection = PgConnection::connect(url).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut connection)
        .await?;
    Ok(())
}

/// The process id of the PostgreSQL server of `url` (its postmaster, which every connection's
/// process is a child of), when it runs on this machine; `None` for SQLite, which runs inside
/// the chat server, and for a server whose processes this machine does not show.
pub async fn postgres_server_process(url: &str) -> Result<Option<u32>> {
    if is_sqlite(url) {
        return Ok(None);
    }
    let mut connection = PgConnection::connect(url).await?;
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut connection)
        .await?;
    let server = u32::try_from(backend)
        .ok()
        .and_then(crate::stats::parent_of);
    connection.close().await?;
    Ok(server)
}
