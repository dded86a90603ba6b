//! The [`Store`] over SQL through sqlx's `Any` driver: the same statements run on SQLite (WAL
//! journal) and PostgreSQL, and each engine has its own embedded migrations. On SQLite every
//! write goes through one connection, so writers wait their turn in the pool's queue rather
//! than in SQLite's sleeping busy handler; visitors' and operators' messages are committed in
//! groups ([`super::group_commit`]), each group in a constant number of statements, and the log
//! is mostly checkpointed off the write path ([`super::checkpoint`]).

use super::checkpoint;
use super::conversation_refs::ConversationRefs;
use super::group_commit::GroupCommit;
use super::multi_row::{engine_of, rows_per_statement, values};
use super::rows::{self, MESSAGE_SELECT, VISITOR_SELECT};
use super::{
    Appended, Bridge, Engine, Identified, NewMessage, OutboxItem, Store, StoreError, StoreResult,
    TokenRotation, Visitor, legacy_pictures, now_ms,
};
use crate::config::settings::SqliteSynchronous;
use crate::outbox::commands;
use crate::outbox::signal::{Handed, OutboxSignal, ordering_key};
use async_trait::async_trait;
use protocol::webhook::{Command, ConversationUpdate};
use protocol::{ContactInfo, Message};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Connection, Executor, Row, Transaction};
use std::sync::Arc;
use std::time::Duration;

/// Transactions writing messages side by side on PostgreSQL (SQLite has one writer). Fewer
/// writers make bigger groups, so fewer statements per message, and PostgreSQL's time goes
/// mostly to the statements, not to what they do: on the bench machine at 1,000 messages/s one
/// writer had half the p99 of two (9–11 against 15–22 ms) and still stored 4,000 messages/s.
const POSTGRES_MESSAGE_WRITERS: usize = 1;

/// Prepared statements kept per PostgreSQL connection (sqlx keeps 100). A group's statements
/// differ by group size (one `VALUES` row per message), and so do the deletions of delivered
/// commands: with 100 they were prepared again and again, a round trip and a plan each; at
/// 1,000 messages/s on the bench machine this cache took the p99 from 28 to 20 ms.
const POSTGRES_STATEMENT_CACHE: usize = 1024;

/// How long a pooled connection may sit idle before it is checked (a round trip) when taken
/// again. sqlx checks every connection it hands out by default: a round trip before every
/// statement and transaction, which at 1,000 messages/s on PostgreSQL was half of them; a
/// connection used moments ago is alive, and one that is not fails its statement like any
/// other lost connection.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How stale a visitor's last-seen time may get before a connection writes it again: the idle
/// expiry counts in days, and a write on every connection would cost every reconnect.
const LAST_SEEN_GRANULARITY_MS: i64 = 24 * 60 * 60 * 1000;

/// How often a transaction that lost a race on a unique key is tried again.
const UNIQUE_RACE_ATTEMPTS: usize = 3;

/// A [`Store`] on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Connections for reading.
    pub(super) reads: AnyPool,
    /// Connections for writing: one on SQLite, so writers queue here in order instead of
    /// sleeping in SQLite's busy handler; the same pool as `reads` on PostgreSQL.
    pub(super) writes: AnyPool,
    pub(super) engine: Engine,
    /// Tells the outbox worker what commits queued.
    signal: Arc<OutboxSignal>,
    /// Visitors' and operators' messages, committed in groups.
    pub(super) appends: GroupCommit,
    /// Conversations operators' commands named.
    pub(super) conversation_refs: Arc<ConversationRefs>,
}

/// Most memory each SQLite connection's page cache may take, in KiB.
const CACHE_KIB: u32 = 64 * 1024;

/// The transaction every write runs in.
pub(super) type Tx<'c> = Transaction<'c, Any>;

impl SqlStore {
    /// Connects to `url` (`sqlite://file.db` or `postgres://...`) with durable SQLite commits
    /// and applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, SqliteSynchronous::default()).await
    }

    /// [`Self::connect`] with SQLite's commits made as durable as `synchronous` says.
    pub async fn connect_with(url: &str, synchronous: SqliteSynchronous) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let (engine, url) = if url.starts_with("sqlite:") {
            (Engine::Sqlite, sqlite_url_creating_the_file(url))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let cache = POSTGRES_STATEMENT_CACHE.to_string();
            (
                Engine::Postgres,
                with_parameter(url, "statement-cache-capacity", &cache),
            )
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        // WAL lets readers run beside the writer; `synchronous` decides whether a commit
        // waits for its log to reach the disk (see `SqliteSynchronous`, and `checkpoint` for
        // the log).
        // The page cache (at most 64 MiB, grown as used) holds the hot index pages of a large
        // database, which the default 2 MiB spilled and read again; statement journals (kept
        // by multi-row statements inside a transaction) stay in memory, not in a temporary file.
        let pragmas: Arc<str> = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA foreign_keys = ON; \
             PRAGMA busy_timeout = 10000; PRAGMA wal_autocheckpoint = {}; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{};",
            synchronous.pragma(),
            checkpoint::LOG_PAGES,
            CACHE_KIB
        )
        .into();
        let options = AnyPoolOptions::new()
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
            .after_connect(move |connection, _| {
                let pragmas = Arc::clone(&pragmas);
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        connection.execute(&*pragmas).await?;
                    }
                    Ok(())
                })
            });
        let (reads, writes, writers, committed) = match engine {
            Engine::Sqlite => {
                let writes = options.clone().max_connections(1).connect(&url).await?;
                sqlx::migrate!("migrations/sqlite").run(&writes).await?;
                legacy_pictures::convert(&writes).await?;
                let checkpoints = options.clone().max_connections(1).connect(&url).await?;
                let reads = options.max_connections(4).connect(&url).await?;
                (reads, writes, 1, Some(checkpoint::start(checkpoints)))
            }
            Engine::Postgres => {
                let pool = options.max_connections(16).connect(&url).await?;
                sqlx::migrate!("migrations/postgres").run(&pool).await?;
                legacy_pictures::convert(&pool).await?;
                (pool.clone(), pool, POSTGRES_MESSAGE_WRITERS, None)
            }
        };
        let signal = Arc::new(OutboxSignal::default());
        Ok(Self {
            appends: GroupCommit::start(&writes, engine, writers, &signal, committed),
            reads,
            writes,
            engine,
            signal,
            conversation_refs: Arc::default(),
        })
    }

    /// At most `limit` messages of `conversation_id` chosen and ordered by `seq_order` (a
    /// condition on `m.seq` against `$2`, then its `ORDER BY`), `seq` bound as `$2`.
    async fn messages_by_seq(
        &self,
        seq_order: &str,
        conversation_id: i64,
        seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let sql = format!("{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND {seq_order} LIMIT $3");
        sqlx::query(&sql)
            .bind(conversation_id)
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.reads)
            .await?
            .iter()
            .map(rows::message)
            .collect()
    }

    pub(super) fn outbox_signal(&self) -> Arc<OutboxSignal> {
        Arc::clone(&self.signal)
    }

    /// Moves the visitor to the person `sub`, replacing its token when the person changes;
    /// returns whether it did and the commands that queued.
    async fn identify_once(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<(TokenRotation, Vec<Handed>)> {
        let mut tx = self.writes.begin().await?;
        let mut handed = Vec::new();
        let mut adopted = false;
        sqlx::query("UPDATE visitors SET person_id = person_id WHERE id = $1")
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        let current = sqlx::query(
            "SELECT p.id, p.integration_id, p.sub, p.name, p.email, p.phone, p.ext_user_id \
             FROM visitors v JOIN people p ON p.id = v.person_id WHERE v.id = $1",
        )
        .bind(visitor_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        let current_id: i64 = current.try_get("id")?;
        let integration_id: String = current.try_get("integration_id")?;
        let current_sub: Option<String> = current.try_get("sub")?;
        if current_sub.as_deref() == Some(sub) {
            tx.commit().await?;
            return Ok((TokenRotation::Kept, handed));
        }
        let target: Option<i64> =
            sqlx::query("SELECT id FROM people WHERE integration_id = $1 AND sub = $2")
                .bind(&integration_id)
                .bind(sub)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?;
        let anonymous = current_sub.is_none();
        let target_id = match target {
            None if anonymous => {
                sqlx::query("UPDATE people SET sub = $1 WHERE id = $2")
                    .bind(sub)
                    .bind(current_id)
                    .execute(&mut *tx)
                    .await?;
                if bridge == Bridge::On {
                    // The collaboration server keeps knowing this user by its first id.
                    handed = queue_user_update(&mut tx, current_id).await?;
                }
                current_id
            }
            None => sqlx::query(
                "INSERT INTO people (integration_id, sub, created_at) VALUES ($1, $2, $3) \
                     RETURNING id",
            )
            .bind(&integration_id)
            .bind(sub)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?,
            Some(target_id) => {
                if anonymous {
                    handed =
                        adopt_anonymous(&mut tx, &current, current_id, target_id, bridge).await?;
                    adopted = true;
                }
                target_id
            }
        };
        sqlx::query("UPDATE visitors SET person_id = $1, token_hash = $2 WHERE id = $3")
            .bind(target_id)
            .bind(new_token_hash)
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if adopted {
            self.conversation_refs.forget_all();
        }
        Ok((TokenRotation::Replaced, handed))
    }
}

/// An anonymous person who logs in as an existing one hands over what the existing one lacks:
/// its conversation when that one has none, and each empty contact field. Returns the commands
/// that queued.
async fn adopt_anonymous(
    tx: &mut Tx<'_>,
    anonymous: &AnyRow,
    anonymous_id: i64,
    target_id: i64,
    bridge: Bridge,
) -> StoreResult<Vec<Handed>> {
    let mut handed = Vec::new();
    let target_has_conversation = sqlx::query("SELECT id FROM conversations WHERE person_id = $1")
        .bind(target_id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if !target_has_conversation {
        let adopted = sqlx::query(
            "UPDATE conversations SET person_id = $1 WHERE person_id = $2 \
             RETURNING id, integration_id, ext_id, announced_at",
        )
        .bind(target_id)
        .bind(anonymous_id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(adopted) = adopted
            && bridge == Bridge::On
            && adopted.try_get::<Option<i64>, _>("announced_at")?.is_some()
        {
            // The conversation exists in the collaboration server with the anonymous user as
            // its member: the user it now belongs to joins it.
            let conversation_id: i64 = adopted.try_get("id")?;
            let integration_id: String = adopted.try_get("integration_id")?;
            let ext_id: String = adopted
                .try_get::<Option<String>, _>("ext_id")?
                .unwrap_or_else(|| conversation_id.to_string());
            let mut commands = Vec::new();
            let target_ext = announce_person(tx, target_id, conversation_id, &mut commands).await?;
            let update = Command::UpdateConversation(ConversationUpdate {
                ext_conversation_id: ext_id,
                title: None,
                ext_user_id: Some(target_ext.clone()),
                add_members: Some(vec![target_ext]),
                remove_members: None,
            });
            commands.push(OutboxRow::new(&integration_id, conversation_id, &update)?);
            handed = insert_outbox(tx, commands).await?;
        }
    }
    sqlx::query(
        "UPDATE people SET name = COALESCE(name, $1), email = COALESCE(email, $2), \
         phone = COALESCE(phone, $3) WHERE id = $4",
    )
    .bind(anonymous.try_get::<Option<String>, _>("name")?)
    .bind(anonymous.try_get::<Option<String>, _>("email")?)
    .bind(anonymous.try_get::<Option<String>, _>("phone")?)
    .bind(target_id)
    .execute(&mut **tx)
    .await?;
    Ok(handed)
}

fn sqlite_url_creating_the_file(url: &str) -> String {
    if url.contains(":memory:") {
        url.to_owned()
    } else {
        with_parameter(url, "mode", "rwc")
    }
}

/// `url` with `name=value` added unless the URL sets `name` itself.
fn with_parameter(url: &str, name: &str, value: &str) -> String {
    if url.contains(&format!("{name}=")) {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&{name}={value}")
    } else {
        format!("{url}?{name}={value}")
    }
}

fn is_unique_violation(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
}

#[async_trait]
impl Store for SqlStore {
    fn engine(&self) -> Engine {
        self.engine
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.writes).await?;
        Ok(())
    }

    async fn server_setting(&self, key: &str, initial: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(initial)
        .execute(&self.writes)
        .await?;
        Ok(
            sqlx::query("SELECT value FROM server_settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.reads)
                .await?
                .try_get("value")?,
        )
    }

    async fn create_visitor(&self, integration_id: &str, token_hash: &str) -> StoreResult<Visitor> {
        let now = now_ms();
        let mut tx = self.writes.begin().await?;
        let person_id: i64 = sqlx::query(
            "INSERT INTO people (integration_id, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(integration_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        let id: i64 = sqlx::query(
            "INSERT INTO visitors (integration_id, token_hash, person_id, created_at, \
             last_seen_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(integration_id)
        .bind(token_hash)
        .bind(person_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(Visitor {
            id,
            integration_id: integration_id.to_owned(),
            person_id,
            sub: None,
            contact: ContactInfo::default(),
        })
    }

    async fn visitor_by_token(
        &self,
        integration_id: &str,
        token_hash: &str,
        seen_since: i64,
    ) -> StoreResult<Option<Visitor>> {
        let sql = format!(
            "{VISITOR_SELECT} AND v.token_hash = $1 AND v.integration_id = $2 \
             AND v.last_seen_at >= $3"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(token_hash)
            .bind(integration_id)
            .bind(seen_since)
            .fetch_optional(&self.reads)
            .await?
        else {
            return Ok(None);
        };
        let visitor = rows::visitor(&row)?;
        let now = now_ms();
        if row.try_get::<i64, _>("last_seen_at")? < now - LAST_SEEN_GRANULARITY_MS {
            sqlx::query("UPDATE visitors SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(visitor.id)
                .execute(&self.writes)
                .await?;
        }
        Ok(Some(visitor))
    }

    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>> {
        let sql = format!("{VISITOR_SELECT} AND v.id = $1");
        sqlx::query(&sql)
            .bind(visitor_id)
            .fetch_optional(&self.reads)
            .await?
            .as_ref()
            .map(rows::visitor)
            .transpose()
    }

    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE visitors SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(visitor_id)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    async fn identify(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<Identified> {
        let mut attempt = 1;
        let (token, handed) = loop {
            match self
                .identify_once(visitor_id, sub, new_token_hash, bridge)
                .await
            {
                Err(error) if attempt < UNIQUE_RACE_ATTEMPTS && is_unique_violation(&error) => {
                    attempt += 1;
                }
                result => break result?,
            }
        };
        self.signal.queued(handed);
        let visitor = self
            .visitor(visitor_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        Ok(Identified { visitor, token })
    }

    async fn set_contact(
        &self,
        person_id: i64,
        contact: &ContactInfo,
        bridge: Bridge,
    ) -> StoreResult<()> {
        let mut tx = self.writes.begin().await?;
        sqlx::query("UPDATE people SET name = $1, email = $2, phone = $3 WHERE id = $4")
            .bind(contact.name.clone())
            .bind(contact.email.clone())
            .bind(contact.phone.clone())
            .bind(person_id)
            .execute(&mut *tx)
            .await?;
        let handed = match bridge {
            Bridge::On => queue_user_update(&mut tx, person_id).await?,
            Bridge::Off => Vec::new(),
        };
        tx.commit().await?;
        self.signal.queued(handed);
        Ok(())
    }

    async fn conversation_of(&self, person_id: i64) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query("SELECT id FROM conversations WHERE person_id = $1")
                .bind(person_id)
                .fetch_optional(&self.reads)
                .await?
                .map(|row| row.try_get("id"))
                .transpose()?,
        )
    }

    async fn append_visitor_message(
        &self,
        visitor: &Visitor,
        message: NewMessage,
        bridge: Bridge,
    ) -> StoreResult<Appended> {
        self.appends.append(visitor, message, bridge).await
    }

    async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        self.messages_by_seq(
            "m.seq > $2 ORDER BY m.seq",
            conversation_id,
            after_seq,
            limit,
        )
        .await
    }

    async fn messages_before(
        &self,
        conversation_id: i64,
        before_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        // Newest first, so the limit keeps the page next to `before_seq`; both engines walk the
        // (conversation_id, seq) key backwards for it.
        let mut page = self
            .messages_by_seq(
                "m.seq < $2 ORDER BY m.seq DESC",
                conversation_id,
                before_seq,
                limit,
            )
            .await?;
        page.reverse();
        Ok(page)
    }
}

/// A webhook command ready to be queued.
#[derive(Debug)]
pub(super) struct OutboxRow {
    integration_id: String,
    conversation_id: i64,
    ordering_key: String,
    /// The command's JSON body.
    command: String,
}

impl OutboxRow {
    /// `command` for the conversation's ordering key.
    pub(super) fn new(
        integration_id: &str,
        conversation_id: i64,
        command: &Command,
    ) -> StoreResult<Self> {
        Ok(Self {
            integration_id: integration_id.to_owned(),
            conversation_id,
            ordering_key: ordering_key(conversation_id),
            command: serde_json::to_string(command)
                .map_err(|error| StoreError::Corrupt(format!("unserializable command: {error}")))?,
        })
    }

    /// The row as queued under `id`.
    fn into_handed(self, id: i64) -> Handed {
        Handed {
            integration_id: self.integration_id,
            item: OutboxItem {
                id,
                ordering_key: self.ordering_key,
                command: self.command,
                attempts: 0,
            },
        }
    }
}

/// Values bound per row of the outbox insert.
pub(super) const OUTBOX_COLUMNS: usize = 6;

/// The outbox insert, up to its `VALUES`; rows are bound by [`bind_outbox`].
pub(super) const OUTBOX_INSERT: &str = "INSERT INTO outbox (integration_id, conversation_id, \
     ordering_key, command, created_at, next_attempt_at) VALUES";

/// Binds `rows` for [`OUTBOX_INSERT`], queued at `now`.
pub(super) fn bind_outbox<'q>(
    mut query: Query<'q, Any, AnyArguments<'q>>,
    rows: &'q [OutboxRow],
    now: i64,
) -> Query<'q, Any, AnyArguments<'q>> {
    for row in rows {
        query = query
            .bind(&row.integration_id)
            .bind(row.conversation_id)
            .bind(&row.ordering_key)
            .bind(&row.command)
            .bind(now)
            .bind(now);
    }
    query
}

/// `rows` as queued under `ids`, the ids their insert returned: both engines number the rows of
/// one `VALUES` list in order, so the smallest id is the first row's.
pub(super) fn handed(rows: Vec<OutboxRow>, mut ids: Vec<i64>) -> StoreResult<Vec<Handed>> {
    if ids.len() != rows.len() {
        return Err(StoreError::Corrupt(
            "a queued command went missing from its insert".into(),
        ));
    }
    ids.sort_unstable();
    Ok(rows
        .into_iter()
        .zip(ids)
        .map(|(row, id)| row.into_handed(id))
        .collect())
}

/// Queues `commands` in their order, after everything queued for their conversations, and
/// gives them back as queued (with their ids), for [`OutboxSignal::queued`].
pub(super) async fn insert_outbox(
    tx: &mut Tx<'_>,
    commands: Vec<OutboxRow>,
) -> StoreResult<Vec<Handed>> {
    let now = now_ms();
    let engine = engine_of(tx);
    let mut all = Vec::with_capacity(commands.len());
    let mut commands = commands.into_iter().peekable();
    while commands.peek().is_some() {
        let part: Vec<OutboxRow> = commands
            .by_ref()
            .take(rows_per_statement(OUTBOX_COLUMNS))
            .collect();
        let sql = format!(
            "{OUTBOX_INSERT} {} RETURNING id",
            values(engine, part.len(), OUTBOX_COLUMNS)
        );
        let ids = bind_outbox(sqlx::query(&sql), &part, now)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get::<i64, _>("id"))
            .collect::<Result<Vec<_>, _>>()?;
        all.extend(handed(part, ids)?);
    }
    Ok(all)
}

/// The person's id in the collaboration server, adding its `createUser` (ordered with
/// `conversation_id`) to `commands` the first time.
pub(super) async fn announce_person(
    tx: &mut Tx<'_>,
    person_id: i64,
    conversation_id: i64,
    commands: &mut Vec<OutboxRow>,
) -> StoreResult<String> {
    let person = sqlx::query(
        "SELECT integration_id, sub, name, email, phone, ext_user_id FROM people WHERE id = $1",
    )
    .bind(person_id)
    .fetch_one(&mut **tx)
    .await?;
    if let Some(known) = person.try_get::<Option<String>, _>("ext_user_id")? {
        return Ok(known);
    }
    let sub: Option<String> = person.try_get("sub")?;
    let ext_user_id = commands::ext_user_id(person_id, sub.as_deref());
    sqlx::query("UPDATE people SET ext_user_id = $1 WHERE id = $2")
        .bind(&ext_user_id)
        .bind(person_id)
        .execute(&mut **tx)
        .await?;
    let contact = rows::contact(&person)?;
    let user = commands::user(&ext_user_id, person_id, sub.as_deref(), &contact);
    let integration_id: String = person.try_get("integration_id")?;
    commands.push(OutboxRow::new(
        &integration_id,
        conversation_id,
        &Command::CreateUser(user),
    )?);
    Ok(ext_user_id)
}

/// Queues `updateUser` with the person's current details, if the collaboration server knows it.
async fn queue_user_update(tx: &mut Tx<'_>, person_id: i64) -> StoreResult<Vec<Handed>> {
    let person = sqlx::query(
        "SELECT p.integration_id, p.sub, p.name, p.email, p.phone, p.ext_user_id, c.id AS conversation_id \
         FROM people p LEFT JOIN conversations c ON c.person_id = p.id WHERE p.id = $1",
    )
    .bind(person_id)
    .fetch_one(&mut **tx)
    .await?;
    let ext_user_id: Option<String> = person.try_get("ext_user_id")?;
    let conversation_id: Option<i64> = person.try_get("conversation_id")?;
    let (Some(ext_user_id), Some(conversation_id)) = (ext_user_id, conversation_id) else {
        // Not announced yet: its createUser will carry the current details.
        return Ok(Vec::new());
    };
    let sub: Option<String> = person.try_get("sub")?;
    let user = commands::user(
        &ext_user_id,
        person_id,
        sub.as_deref(),
        &rows::contact(&person)?,
    );
    let integration_id: String = person.try_get("integration_id")?;
    let update = OutboxRow::new(&integration_id, conversation_id, &Command::UpdateUser(user))?;
    insert_outbox(tx, vec![update]).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_stores::test_stores;
    use protocol::TextFormat;

    #[tokio::test]
    async fn history_reads_in_pages_before_and_after_a_seq() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            reads_pages(store).await;
        }
    }

    async fn reads_pages(store: &SqlStore) {
        let engine = store.engine.name();
        let visitor = store.create_visitor("shop", "pages").await.unwrap();
        let other = store.create_visitor("shop", "other").await.unwrap();
        for (who, n) in [(&visitor, 1..=7), (&other, 1..=3)]
            .into_iter()
            .flat_map(|(who, range)| range.map(move |n| (who, n)))
        {
            let message = NewMessage {
                client_id: format!("m-{n}"),
                text: format!("text {n}"),
                text_format: TextFormat::Plain,
                page: None,
            };
            store
                .append_visitor_message(who, message, Bridge::Off)
                .await
                .unwrap();
        }
        let conversation = store
            .conversation_of(visitor.person_id)
            .await
            .unwrap()
            .unwrap();
        let seqs = |page: Vec<Message>| -> Vec<i64> {
            assert!(page.iter().all(|m| m.conversation_id == conversation));
            page.into_iter().map(|message| message.seq).collect()
        };
        let before = |before_seq, limit| store.messages_before(conversation, before_seq, limit);
        assert_eq!(
            seqs(before(i64::MAX, 3).await.unwrap()),
            [5, 6, 7],
            "{engine}"
        );
        assert_eq!(seqs(before(5, 3).await.unwrap()), [2, 3, 4], "{engine}");
        assert_eq!(seqs(before(2, 3).await.unwrap()), [1], "{engine}");
        assert_eq!(seqs(before(1, 3).await.unwrap()), [0; 0], "{engine}");
        assert_eq!(
            seqs(before(i64::MAX, 50).await.unwrap()).len(),
            7,
            "{engine}"
        );
        let after = |after_seq, limit| store.messages_after(conversation, after_seq, limit);
        assert_eq!(seqs(after(0, 3).await.unwrap()), [1, 2, 3], "{engine}");
        assert_eq!(seqs(after(5, 3).await.unwrap()), [6, 7], "{engine}");
        assert_eq!(seqs(after(7, 3).await.unwrap()), [0; 0], "{engine}");
        let page = before(3, 1).await.unwrap();
        assert_eq!(page[0].client_id.as_deref(), Some("m-2"), "{engine}");
        assert_eq!(page[0].text, "text 2", "{engine}");
    }

    /// `PRAGMA synchronous` of a connection from `pool`: 2 is FULL, 1 NORMAL.
    async fn synchronous_of(pool: &AnyPool) -> i64 {
        sqlx::query("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_commits_are_synced_unless_asked_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
        let durable = SqlStore::connect(&url("durable.db")).await.unwrap();
        assert_eq!(synchronous_of(&durable.writes).await, 2, "FULL by default");
        assert_eq!(synchronous_of(&durable.reads).await, 2);
        let fast = SqlStore::connect_with(&url("fast.db"), SqliteSynchronous::Normal)
            .await
            .unwrap();
        assert_eq!(synchronous_of(&fast.writes).await, 1, "NORMAL when asked");
    }

    #[test]
    fn connection_parameters_are_added_unless_the_url_sets_them() {
        assert_eq!(
            sqlite_url_creating_the_file("sqlite:///tmp/chat.db"),
            "sqlite:///tmp/chat.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_the_file("sqlite:///tmp/chat.db?mode=ro"),
            "sqlite:///tmp/chat.db?mode=ro"
        );
        assert_eq!(
            sqlite_url_creating_the_file("sqlite::memory:"),
            "sqlite::memory:"
        );
        assert_eq!(
            with_parameter(
                "postgres://chat@db/chat?sslmode=require",
                "statement-cache-capacity",
                "1024"
            ),
            "postgres://chat@db/chat?sslmode=require&statement-cache-capacity=1024"
        );
        assert_eq!(
            with_parameter(
                "postgres://chat@db/chat?statement-cache-capacity=10",
                "statement-cache-capacity",
                "1024"
            ),
            "postgres://chat@db/chat?statement-cache-capacity=10"
        );
    }
}
