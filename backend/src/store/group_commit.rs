//! Group commit of visitors' and operators' messages: messages that arrive while a transaction
//! is being written wait in a queue and go into the next transaction together, so one commit
//! (and one fsync) serves many messages. Each writer owns a share of the people (by person id),
//! so a person's messages are stored in arrival order and two writers never wait for each
//! other's row locks. A message is acknowledged only after the transaction holding it has
//! committed; if a transaction fails, its messages are tried again one transaction each, so one
//! bad message fails alone. A group costs a constant number of statements
//! ([`super::append_sql`], [`super::reply_sql`]); on PostgreSQL, once its conversations exist,
//! one statement ([`super::single_statement`]), planned from what the writer remembers of its
//! people ([`super::remembered`]), else after reading them.

use super::append_sql::{Incoming, Known, Plan, append_group, stored_messages};
use super::remembered::Remembered;
use super::reply_sql::{OperatorMessage, ReplyPlan, Seen, append_replies};
use super::single_statement::{self, MessageIds};
use super::sql::Tx;
use super::{
    Appended, Bridge, Engine, NewMessage, Refused, StoreError, StoreResult, Visitor, now_ms,
};
use crate::outbox::signal::{Handed, OutboxSignal};
use protocol::Message;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};

/// Most messages in one transaction.
const MAX_BATCH: usize = 256;
/// Messages waiting per writer before senders wait too.
const QUEUE_CAPACITY: usize = 4096;

/// One message to store and where its outcome goes.
#[derive(Debug)]
enum Request {
    Visitor {
        incoming: Incoming,
        outcome: oneshot::Sender<StoreResult<Appended>>,
    },
    Operator {
        incoming: OperatorMessage,
        outcome: oneshot::Sender<StoreResult<Result<Message, Refused>>>,
    },
}

/// What a group's transaction stored: the visitors' messages, then the operators', each in the
/// order of the group; and the webhook commands it queued.
type Stored = (Vec<Appended>, Vec<Result<Message, Refused>>, Vec<Handed>);

/// The queues of the writers.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    writers: Vec<mpsc::Sender<Request>>,
}

impl GroupCommit {
    /// Starts `writers` writers on `pool`; each commit that queued webhook commands tells
    /// `signal` for which conversations, and each commit wakes `committed` if given.
    pub(super) fn start(
        pool: &AnyPool,
        engine: Engine,
        writers: usize,
        signal: &Arc<OutboxSignal>,
        committed: Option<Arc<Notify>>,
    ) -> Self {
        let writers = (0..writers.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
                let told = Told {
                    signal: Arc::clone(signal),
                    committed: committed.clone(),
                };
                tokio::spawn(write(pool.clone(), engine, receiver, told));
                sender
            })
            .collect();
        Self { writers }
    }

    /// Stores `message`; returns once it is committed.
    pub(super) async fn append(
        &self,
        visitor: &Visitor,
        message: NewMessage,
        bridge: Bridge,
    ) -> StoreResult<Appended> {
        let (outcome, stored) = oneshot::channel();
        let incoming = Incoming {
            visitor: visitor.clone(),
            message,
            bridge,
        };
        self.writer_of(visitor.person_id)
            .send(Request::Visitor { incoming, outcome })
            .await
            .map_err(|_| writer_gone())?;
        stored.await.map_err(|_| writer_gone())?
    }

    /// Stores an operator's message; returns once it is committed.
    pub(super) async fn reply(
        &self,
        incoming: OperatorMessage,
    ) -> StoreResult<Result<Message, Refused>> {
        let (outcome, stored) = oneshot::channel();
        self.writer_of(incoming.conversation.person_id)
            .send(Request::Operator { incoming, outcome })
            .await
            .map_err(|_| writer_gone())?;
        stored.await.map_err(|_| writer_gone())?
    }

    /// The queue of the writer that owns `person_id`.
    fn writer_of(&self, person_id: i64) -> &mpsc::Sender<Request> {
        let shard = usize::try_from(person_id.unsigned_abs()).unwrap_or(0);
        &self.writers[shard % self.writers.len()]
    }
}

fn writer_gone() -> StoreError {
    StoreError::Corrupt("the message writer stopped".into())
}

/// Who hears of a writer's commits.
#[derive(Debug)]
struct Told {
    /// The outbox worker, of the conversations commits queued commands for.
    signal: Arc<OutboxSignal>,
    /// Woken after every commit.
    committed: Option<Arc<Notify>>,
}

/// Writes what is queued, a batch per transaction, until every sender is gone.
async fn write(pool: AnyPool, engine: Engine, mut queue: mpsc::Receiver<Request>, told: Told) {
    let mut writer = Writer {
        pool,
        engine,
        ids: MessageIds::default(),
        remembered: Remembered::default(),
        held: None,
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match writer.commit(&batch).await {
            Ok(stored) => answer(std::mem::take(&mut batch), stored, &told),
            Err(error) => {
                tracing::debug!(%error, messages = batch.len(), "batch failed; storing one by one");
                for request in batch.drain(..) {
                    match writer.commit(std::slice::from_ref(&request)).await {
                        Ok(stored) => answer(vec![request], stored, &told),
                        Err(error) => request.fail(error),
                    }
                }
            }
        }
    }
}

/// Hands the outbox worker the commands `batch`'s transaction queued, tells `committed` that
/// there was a commit, and each request what was `stored` for it. The requests are told
/// first, so their tasks run before the outbox worker's on a busy runtime.
fn answer(batch: Vec<Request>, (appended, replies, handed): Stored, told: &Told) {
    let (mut appended, mut replies) = (appended.into_iter(), replies.into_iter());
    for request in batch {
        match request {
            Request::Visitor { outcome, .. } => {
                let Some(appended) = appended.next() else {
                    break;
                };
                let _ = outcome.send(Ok(appended));
            }
            Request::Operator { outcome, .. } => {
                let Some(reply) = replies.next() else { break };
                let _ = outcome.send(Ok(reply));
            }
        }
    }
    told.signal.queued(handed);
    if let Some(committed) = &told.committed {
        committed.notify_one();
    }
}

impl Request {
    /// Tells the request its transaction failed.
    fn fail(self, error: StoreError) {
        match self {
            Self::Visitor { outcome, .. } => {
                let _ = outcome.send(Err(error));
            }
            Self::Operator { outcome, .. } => {
                let _ = outcome.send(Err(error));
            }
        }
    }
}

/// A writer's connections and what it keeps between groups.
struct Writer {
    pool: AnyPool,
    engine: Engine,
    /// Message ids taken ahead (PostgreSQL).
    ids: MessageIds,
    /// What earlier groups told of the writer's people (PostgreSQL).
    remembered: Remembered,
    /// The connection the writer's statements run on (PostgreSQL), held between groups: its
    /// server process stays warm and keeps the statements prepared, where a connection from
    /// the pool each time spread them over all the pool's. Let go after an error.
    held: Option<PoolConnection<Any>>,
}

impl Writer {
    /// Stores `group`: its visitors' messages, then its operators'. On SQLite in one
    /// transaction that reads what the store knows of the group, then writes; on PostgreSQL
    /// see [`Writer::commit_postgres`].
    async fn commit(&mut self, group: &[Request]) -> StoreResult<Stored> {
        let mut visitors = Vec::new();
        let mut operators = Vec::new();
        for request in group {
            match request {
                Request::Visitor { incoming, .. } => visitors.push(incoming),
                Request::Operator { incoming, .. } => operators.push(incoming),
            }
        }
        match self.engine {
            Engine::Sqlite => {
                let mut tx: Tx<'_> = self.pool.begin().await?;
                let known = Known::read(&mut tx, &visitors).await?;
                let seen = Seen::read(&mut tx, &operators).await?;
                let written = commit_in(tx, &visitors, &operators, (&known, &seen), None).await?;
                Ok(written.0)
            }
            Engine::Postgres => self.commit_postgres(&visitors, &operators).await,
        }
    }

    /// [`Writer::commit`] on PostgreSQL; a failure lets the held connection go, in case it
    /// is the connection that failed.
    async fn commit_postgres(
        &mut self,
        visitors: &[&Incoming],
        operators: &[&OperatorMessage],
    ) -> StoreResult<Stored> {
        let stored = self.commit_held(visitors, operators).await;
        if stored.is_err() {
            // Out of the pool, so it is not handed out again; closed when dropped.
            drop(self.held.take().map(PoolConnection::detach));
        }
        stored
    }

    /// A group whose people are remembered is written in one statement at once; if what was
    /// remembered is no longer true, the statement fails and the group's people are read (the
    /// reads side by side) and it is written again, in one statement, or in a transaction when
    /// a conversation must first be created or announced.
    async fn commit_held(
        &mut self,
        visitors: &[&Incoming],
        operators: &[&OperatorMessage],
    ) -> StoreResult<Stored> {
        let count = visitors.len() + operators.len();
        let group = (visitors, operators);
        if let Some(known) = self.remembered.recall(visitors) {
            let held = held(&self.pool, &mut self.held).await?;
            self.ids.reserve(&self.pool, count).await?;
            // Operators' messages need nothing remembered: the statement finds their authors,
            // and an id stored before is refused by its unique index.
            let seen = Seen::default();
            match write_planned(held, &self.pool, &mut self.ids, group, (&known, &seen)).await {
                Ok(Some(stored)) => return Ok(stored),
                Ok(None) => {}
                Err(error) => {
                    tracing::debug!(%error, "a group planned from memory was refused; reading it");
                    self.remembered.forget(visitors);
                }
            }
        }
        let held = held(&self.pool, &mut self.held).await?;
        // What was taken for a refused plan is dropped, with its ids.
        self.ids.reserve(&self.pool, count).await?;
        let pool = &self.pool;
        let (known, seen) = tokio::try_join!(Known::read(held, visitors), async {
            Seen::read(&mut *pool.acquire().await?, operators).await
        },)?;
        self.remembered.learn(&known);
        let planned = (&known, &seen);
        if let Some(stored) = write_planned(held, pool, &mut self.ids, group, planned).await? {
            return Ok(stored);
        }
        self.ids.reserve(&self.pool, count).await?;
        let tx = held.begin().await?;
        let (stored, after) =
            commit_in(tx, visitors, operators, planned, Some(&mut self.ids)).await?;
        self.remembered.learn(&after);
        Ok(stored)
    }
}

/// The connection held in `slot`, taken from `pool` if none is. Its prepared statements keep
/// one plan each: PostgreSQL would otherwise plan the group's statement again at every
/// execution, which took four times as long as running it (0.34 ms against 0.09).
async fn held<'h>(
    pool: &AnyPool,
    slot: &'h mut Option<PoolConnection<Any>>,
) -> StoreResult<&'h mut PoolConnection<Any>> {
    let connection = match slot.take() {
        Some(connection) => connection,
        None => {
            let mut connection = pool.acquire().await?;
            sqlx::query("SET plan_cache_mode = force_generic_plan")
                .execute(&mut *connection)
                .await?;
            connection
        }
    };
    Ok(slot.insert(connection))
}

/// Writes the group on `connection` in one statement, planned from what was `known` and
/// `seen` of it; `None` if a conversation must first be created or announced.
async fn write_planned(
    connection: &mut AnyConnection,
    pool: &AnyPool,
    ids: &mut MessageIds,
    (visitors, operators): (&[&Incoming], &[&OperatorMessage]),
    (known, seen): (&Known, &Seen),
) -> StoreResult<Option<Stored>> {
    let now = now_ms();
    let plan = Plan::new(visitors, known);
    let replies = ReplyPlan::new(operators, seen);
    let Some((mut fresh, commands)) = plan.prepared(visitors, known, ids, now)? else {
        return Ok(None);
    };
    let stored = if plan.repeats_stored() {
        stored_messages(&mut *pool.acquire().await?, &plan).await?
    } else {
        HashMap::new()
    };
    let from_visitors = fresh.len();
    fresh.extend(replies.prepared(operators, seen, ids, now)?);
    let (mut created, handed) = single_statement::write(connection, fresh, commands, now).await?;
    let answered = created.split_off(from_visitors);
    let appended = plan.appended(created, &stored)?;
    Ok(Some((
        appended,
        replies.outcomes(operators, answered)?,
        handed,
    )))
}

/// Writes `visitors`' and `operators`' messages in `tx`, given what was `known` and `seen`
/// of them, under ids from `ids` where given, and commits; also returns what is known after
/// of the people it wrote new messages for.
async fn commit_in(
    mut tx: Tx<'_>,
    visitors: &[&Incoming],
    operators: &[&OperatorMessage],
    (known, seen): (&Known, &Seen),
    mut ids: Option<&mut MessageIds>,
) -> StoreResult<(Stored, Known)> {
    let (appended, handed, after) = if visitors.is_empty() {
        (Vec::new(), Vec::new(), Known::default())
    } else {
        append_group(&mut tx, visitors, known, ids.as_deref_mut()).await?
    };
    let replies = if operators.is_empty() {
        Vec::new()
    } else {
        append_replies(&mut tx, operators, seen, ids).await?
    };
    if appended.len() != visitors.len() || replies.len() != operators.len() {
        return Err(StoreError::Corrupt(
            "a stored message went missing from its group".into(),
        ));
    }
    tx.commit().await?;
    Ok(((appended, replies, handed), after))
}

#[cfg(test)]
mod tests {
    use crate::store::test_stores::{queued, test_stores};
    use crate::store::{
        Appended, Bridge, BridgeStore, ConversationRef, NewMessage, SqlStore, Store,
    };
    use futures_util::future::join_all;
    use protocol::webhook::MessageCommand;
    use protocol::{Message, TextFormat};
    use sqlx::Row;

    fn message(client_id: &str) -> NewMessage {
        NewMessage {
            client_id: client_id.into(),
            text: "question".into(),
            text_format: TextFormat::Plain,
            page: None,
        }
    }

    fn reply(ext_id: &str, conversation_id: i64) -> MessageCommand {
        MessageCommand {
            ext_id: ext_id.into(),
            text: "answer".into(),
            text_format: TextFormat::Plain,
            ext_user_id: None,
            ext_conversation_id: conversation_id.to_string(),
            data: None,
            data_type: None,
        }
    }

    #[tokio::test]
    async fn a_conversation_changed_under_what_a_writer_remembers_is_read_again() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            changed_under_memory(store).await;
        }
    }

    /// On PostgreSQL the writer remembers the person after its first message, and plans the
    /// later ones from that memory.
    async fn changed_under_memory(store: &SqlStore) {
        let ann = store.create_visitor("shop", "ann").await.unwrap();
        let bob = store.create_visitor("shop", "bob").await.unwrap();
        let send_with = |client_id: &'static str, bridge| {
            store.append_visitor_message(&ann, message(client_id), bridge)
        };
        let send = |client_id| send_with(client_id, Bridge::On);
        let first = send("1").await.unwrap().message().clone();
        let second = send("2").await.unwrap().message().clone();
        assert_eq!(second.conversation_id, first.conversation_id);

        let again = send("2").await.unwrap();
        assert!(matches!(again, Appended::Existing(_)), "stored once");
        assert_eq!(again.message(), &second);

        // The collaboration server's id of the person changes.
        sqlx::query("UPDATE people SET ext_user_id = 'renamed' WHERE id = $1")
            .bind(ann.person_id)
            .execute(&store.writes)
            .await
            .unwrap();
        let third = send("3").await.unwrap().message().clone();
        let command: String =
            sqlx::query("SELECT command FROM outbox WHERE command LIKE $1 ORDER BY id DESC")
                .bind(format!("%\"extId\":\"{}\"%", third.id))
                .fetch_one(&store.reads)
                .await
                .unwrap()
                .try_get("command")
                .unwrap();
        assert!(
            command.contains("\"renamed\""),
            "the command names the person as it is now: {command}"
        );

        // The conversation is handed to another person: the next message starts a new one
        // (sent with the bridge off, the conversation's ids in the collaboration server are not
        // what tells).
        sqlx::query("UPDATE conversations SET person_id = $1 WHERE id = $2")
            .bind(bob.person_id)
            .bind(first.conversation_id)
            .execute(&store.writes)
            .await
            .unwrap();
        let fourth = send_with("4", Bridge::Off).await.unwrap().message().clone();
        assert_ne!(fourth.conversation_id, first.conversation_id);
        assert_eq!(fourth.seq, 1);
        let handed_over = store
            .messages_after(first.conversation_id, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(
            handed_over.len(),
            3,
            "nothing more joined the handed-over one"
        );
    }

    #[tokio::test]
    async fn visitors_and_operators_messages_share_a_group_and_its_numbering() {
        let (_dir, stores) = test_stores().await;
        for store in &stores {
            share_a_group_and_its_numbering(store).await;
        }
    }

    /// On PostgreSQL the group after the first message is written in one statement.
    async fn share_a_group_and_its_numbering(store: &SqlStore) {
        let visitor = store.create_visitor("shop", "hash").await.unwrap();
        let first = store
            .append_visitor_message(&visitor, message("first"), Bridge::On)
            .await
            .unwrap();
        let conversation = ConversationRef {
            id: first.message().conversation_id,
            person_id: visitor.person_id,
        };
        // Sent together, so the writer finds them all queued: one group, one transaction.
        let asked: Vec<_> = (0..40)
            .map(|n| reply(&format!("op-{}", n % 30), conversation.id))
            .collect();
        let questions = (0..=40).map(|n| {
            // The last is the first message sent again, as after a lost acknowledgement.
            let client_id = if n == 40 {
                "first".into()
            } else {
                format!("v-{n}")
            };
            store.append_visitor_message(&visitor, message(&client_id), Bridge::On)
        });
        let answers = asked
            .iter()
            .map(|command| store.append_operator_message("shop", conversation, command));
        let (mut questions, answers) = tokio::join!(join_all(questions), join_all(answers));

        let again = questions.pop().unwrap().unwrap();
        assert!(matches!(again, Appended::Existing(_)), "stored once");
        assert_eq!(again.message(), first.message());
        let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
        let refused = answers.iter().filter(|answer| answer.is_err()).count();
        assert_eq!(refused, 10, "an id sent twice in a group is stored once");
        assert!(
            answers[..30].iter().all(Result::is_ok),
            "the first of each id is stored"
        );
        let mut seqs: Vec<i64> = questions
            .iter()
            .map(|stored| stored.as_ref().unwrap().message().seq)
            .chain(answers.iter().flatten().map(|message| message.seq))
            .collect();
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (2..=71).collect::<Vec<_>>(),
            "numbers follow the first message, none twice"
        );

        let stored = store
            .messages_after(conversation.id, 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!(stored.len(), 71);
        assert!(
            stored.windows(2).all(|pair| pair[0].id < pair[1].id),
            "ids grow with the numbers: the collaboration server gets them in that order"
        );
        let operators: Vec<Message> = stored
            .iter()
            .filter(|message| message.client_id.is_none())
            .cloned()
            .collect();
        assert_eq!(operators.len(), 30);
        assert_eq!(
            answers.iter().flatten().cloned().collect::<Vec<_>>(),
            operators,
            "what the writer answers is what was stored"
        );
        let visitors: Vec<Message> = questions
            .into_iter()
            .map(|q| q.unwrap().message().clone())
            .collect();
        assert_eq!(
            visitors,
            stored[1..]
                .iter()
                .filter(|message| message.client_id.is_some())
                .cloned()
                .collect::<Vec<_>>(),
            "visitors' messages are answered as stored, numbered in the order sent"
        );
        let mut expected = vec!["createUser", "createConversation"];
        expected.extend(["createMessage"; 41]);
        assert_eq!(queued(store, conversation.id).await, expected);
    }
}
