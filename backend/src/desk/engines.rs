//! What the inbox does its own way on each engine: statements that take a list of
//! conversations as one parameter, so their text does not depend on its length (PostgreSQL
//! binds an array; SQLite a JSON array that `json_each` reads).

use crate::store::Dialect;
use sqlx::{Encode, Postgres, Sqlite, Type};

/// An engine's statements over a list of conversations.
pub(crate) trait InboxDialect: Dialect {
    /// `sql/inbox/summary_columns.sql` for a list of conversations (`$2`, bound as
    /// [`Self::IdList`]) with `$1` NULL: as an account that has read none of them sees them.
    const SHARED_SUMMARIES: &'static str;

    /// `sql/inbox/readers_unread.sql` for a list of conversations (`$1`, bound as
    /// [`Self::IdList`]).
    const READERS_UNREAD: &'static str;

    /// A list of ids as this engine binds it.
    type IdList: for<'q> Encode<'q, Self> + Type<Self> + Send;

    fn id_list(ids: &[i64]) -> Self::IdList;
}

impl InboxDialect for Sqlite {
    const SHARED_SUMMARIES: &'static str = concat!(
        include_str!("sql/inbox/summary_columns.sql"),
        include_str!("sql/sqlite/shared_summaries.sql")
    );

    const READERS_UNREAD: &'static str = concat!(
        include_str!("sql/inbox/readers_unread.sql"),
        include_str!("sql/sqlite/readers_unread.sql")
    );

    type IdList = String;

    fn id_list(ids: &[i64]) -> String {
        crate::store::sqlite::json(ids).expect("integers serialize")
    }
}

impl InboxDialect for Postgres {
    const SHARED_SUMMARIES: &'static str = concat!(
        include_str!("sql/inbox/summary_columns.sql"),
        include_str!("sql/postgres/shared_summaries.sql")
    );

    const READERS_UNREAD: &'static str = concat!(
        include_str!("sql/inbox/readers_unread.sql"),
        include_str!("sql/postgres/readers_unread.sql")
    );

    type IdList = Vec<i64>;

    fn id_list(ids: &[i64]) -> Vec<i64> {
        ids.to_vec()
    }
}
