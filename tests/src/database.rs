//! The database engines a test server runs on ([`Db`]), and plain SQL on its database, on its
//! own engine's driver: how tests move stored times into the past and read back what it stored.

use sqlx::{ColumnIndex, Connection, Database, Decode, Executor, IntoArguments, Row, Type};

/// Which database a server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs `statement` on the database at `url`.
pub async fn execute(db: Db, url: &str, statement: &str) {
    match db {
        Db::Sqlite => execute_on::<sqlx::Sqlite>(url, statement).await,
        Db::Postgres => execute_on::<sqlx::Postgres>(url, statement).await,
    }
}

/// The text columns of the rows `query` selects from the database at `url`, row by row.
pub async fn select_texts(db: Db, url: &str, query: &str) -> Vec<Vec<Option<String>>> {
    match db {
        Db::Sqlite => texts_on::<sqlx::Sqlite>(url, query).await,
        Db::Postgres => texts_on::<sqlx::Postgres>(url, query).await,
    }
}

async fn execute_on<DB>(url: &str, statement: &str)
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut connection = connect::<DB>(url).await;
    sqlx::query::<DB>(statement)
        .execute(&mut connection)
        .await
        .expect("test SQL runs");
}

async fn texts_on<DB>(url: &str, query: &str) -> Vec<Vec<Option<String>>>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let mut connection = connect::<DB>(url).await;
    sqlx::query::<DB>(query)
        .fetch_all(&mut connection)
        .await
        .expect("test query runs")
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|column| row.try_get(column).expect("a text column"))
                .collect()
        })
        .collect()
}

async fn connect<DB: Database>(url: &str) -> DB::Connection {
    DB::Connection::connect(url)
        .await
        .expect("connect to the test server's database")
}
