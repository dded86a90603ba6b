//! The group-commit writer both engines share: visitors' and operators' messages wait in one
//! queue, and whatever waits when the writer is free goes into the next batch, written by the
//! engine ([`WriteBatch`]) in one transaction (SQLite) or one statement (PostgreSQL), so one
//! commit, and one fsync, serves many messages. Each sender is answered only after its batch
//! committed; the outbox worker is then handed the commands the batch queued. A batch that
//! fails is written again one message at a time, so a message the database refuses fails
//! alone. One writer writes every message, so a person's messages are stored in the order they
//! arrived and numbers are never taken twice.

use super::batch::{Incoming, OperatorMessage, Outcome, VisitorMessage};
use super::interface::{Appended, Refused, StoreError, StoreResult};
use crate::outbox::signal::{OutboxSignal, QueuedCommand};
use crate::telemetry;
use async_trait::async_trait;
use protocol::Message;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Notify, mpsc, oneshot};

/// Most messages in one batch.
const MAX_BATCH: usize = 256;
/// Messages waiting before senders wait too.
const QUEUE_CAPACITY: usize = 4096;

/// What a batch's commit stored.
#[derive(Debug, Default)]
pub(super) struct Written {
    /// What became of each message, in the order of the batch.
    pub outcomes: Vec<Outcome>,
    /// The webhook commands the commit queued.
    pub handed: Vec<QueuedCommand>,
}

/// An engine's way of writing a batch.
#[async_trait]
pub(super) trait WriteBatch: Send + 'static {
    /// Stores `batch` and commits, or stores none of it.
    async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written>;
}

/// Where a sender waits for its message's outcome.
type Waiter = oneshot::Sender<StoreResult<Outcome>>;

/// The writer's queue.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<(Incoming, Waiter)>,
}

impl Writer {
    /// Starts writing with `engine`; each commit hands `signal` the commands it queued and
    /// wakes `committed` if given.
    pub(super) fn start(
        engine: impl WriteBatch,
        signal: Arc<OutboxSignal>,
        committed: Option<Arc<Notify>>,
    ) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(engine, waiting, signal, committed));
        Self { queue }
    }

    /// Stores a visitor's message; returns once it is committed.
    pub(super) async fn append(&self, message: VisitorMessage) -> StoreResult<Appended> {
        match self.write(Incoming::Visitor(message)).await? {
            Outcome::Visitor(appended) => Ok(appended),
            Outcome::Operator(_) => Err(out_of_order()),
        }
    }

    /// Stores an operator's message; returns once it is committed.
    pub(crate) async fn reply(
        &self,
        message: OperatorMessage,
    ) -> StoreResult<Result<Message, Refused>> {
        match self.write(Incoming::Operator(message)).await? {
            Outcome::Operator(reply) => Ok(reply),
            Outcome::Visitor(_) => Err(out_of_order()),
        }
    }

    async fn write(&self, incoming: Incoming) -> StoreResult<Outcome> {
        let (waiter, outcome) = oneshot::channel();
        self.queue
            .send((incoming, waiter))
            .await
            .map_err(|_| writer_gone())?;
        outcome.await.map_err(|_| writer_gone())?
    }
}

fn out_of_order() -> StoreError {
    StoreError::Corrupt("outcomes out of order".into())
}

fn writer_gone() -> StoreError {
    StoreError::Corrupt("the message writer stopped".into())
}

/// Writes what is queued, a batch at a time, until every sender is gone.
async fn run(
    mut engine: impl WriteBatch,
    mut queue: mpsc::Receiver<(Incoming, Waiter)>,
    signal: Arc<OutboxSignal>,
    committed: Option<Arc<Notify>>,
) {
    let listeners = CommitListeners { signal, committed };
    let mut requests = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut requests, MAX_BATCH).await > 0 {
        let (batch, waiters): (Vec<Incoming>, Vec<Waiter>) = requests.drain(..).unzip();
        let started = Instant::now();
        match engine.write_batch(&batch).await {
            Ok(written) => {
                telemetry::batch_committed(batch.len(), started.elapsed());
                listeners.commit(waiters, written);
            }
            Err(error) => {
                // A message the database refuses (PostgreSQL refuses a NUL in a text) must not
                // fail the others: each is written again on its own.
                tracing::debug!(%error, messages = batch.len(), "a batch failed; writing it one by one");
                for (incoming, waiter) in batch.into_iter().zip(waiters) {
                    let started = Instant::now();
                    match engine.write_batch(std::slice::from_ref(&incoming)).await {
                        Ok(written) => {
                            telemetry::batch_committed(1, started.elapsed());
                            listeners.commit(vec![waiter], written);
                        }
                        Err(error) => {
                            let _ = waiter.send(Err(error));
                        }
                    }
                }
            }
        }
    }
}

/// Who hears of a commit besides its senders.
struct CommitListeners {
    /// The outbox worker, of the commands the commit queued.
    signal: Arc<OutboxSignal>,
    /// Woken after every commit.
    committed: Option<Arc<Notify>>,
}

impl CommitListeners {
    /// Answers the senders of a committed batch, then hands the outbox worker its commands:
    /// senders first, so their tasks run before the worker's on a busy runtime.
    fn commit(&self, waiters: Vec<Waiter>, Written { outcomes, handed }: Written) {
        answer(waiters, outcomes);
        self.signal.queued(handed);
        if let Some(committed) = &self.committed {
            committed.notify_one();
        }
    }
}

fn answer(waiters: Vec<Waiter>, outcomes: Vec<Outcome>) {
    if waiters.len() != outcomes.len() {
        for waiter in waiters {
            let missing =
                StoreError::Corrupt("a stored message went missing from its batch".into());
            let _ = waiter.send(Err(missing));
        }
        return;
    }
    for (waiter, outcome) in waiters.into_iter().zip(outcomes) {
        let _ = waiter.send(Ok(outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::OutboxItem;
    use crate::store::fixtures::visitor_message;
    use futures_util::future::join_all;
    use protocol::{Author, AuthorKind, TextFormat};
    use tokio::sync::Semaphore;

    /// An engine that writes nothing: it tells `batches` of each batch it is given, waits
    /// until `gate` lets it go on (so a test can fill the queue meanwhile), then answers each
    /// visitor's message as created under its client id's number and queues one command, or
    /// fails a batch holding "bad".
    struct Recording {
        batches: mpsc::UnboundedSender<Vec<String>>,
        gate: Arc<Semaphore>,
    }

    #[async_trait]
    impl WriteBatch for Recording {
        async fn write_batch(&mut self, batch: &[Incoming]) -> StoreResult<Written> {
            let client_ids: Vec<String> = batch
                .iter()
                .map(|incoming| match incoming {
                    Incoming::Visitor(message) => message.message.client_id.clone(),
                    Incoming::Operator(message) => message.command.ext_id.clone(),
                })
                .collect();
            self.batches.send(client_ids.clone()).unwrap();
            self.gate.acquire().await.unwrap().forget();
            if client_ids.iter().any(|id| id == "bad") {
                return Err(StoreError::Corrupt("refused".into()));
            }
            let outcomes = client_ids
                .iter()
                .map(|client_id| {
                    Outcome::Visitor(Appended::Created(Message {
                        id: client_id.parse().unwrap(),
                        conversation_id: 1,
                        seq: 0,
                        client_id: Some(client_id.clone()),
                        author: Author {
                            kind: AuthorKind::Visitor,
                            name: None,
                            picture: None,
                        },
                        text: String::new(),
                        text_format: TextFormat::Plain,
                        sent_at: 0,
                        edited_at: None,
                    }))
                })
                .collect();
            let item = OutboxItem {
                id: 1,
                ordering_key: "conversation-1".into(),
                command: "{}".into(),
                attempts: 0,
            };
            let handed = vec![QueuedCommand {
                integration_id: "shop".into(),
                item,
            }];
            Ok(Written { outcomes, handed })
        }
    }

    fn message(client_id: &str) -> VisitorMessage {
        visitor_message(1, client_id)
    }

    #[tokio::test]
    async fn messages_waiting_together_share_a_batch_and_a_refused_one_fails_alone() {
        let (batches, mut written) = mpsc::unbounded_channel();
        let gate = Arc::new(Semaphore::new(0));
        let signal = Arc::new(OutboxSignal::default());
        let mut queued = signal.subscribe("shop");
        queued.take();
        let engine = Recording {
            batches,
            gate: Arc::clone(&gate),
        };
        let writer = Writer::start(engine, Arc::clone(&signal), None);

        let first = tokio::spawn({
            let writer = writer.clone();
            async move { writer.append(message("1")).await }
        });
        assert_eq!(written.recv().await.unwrap(), ["1"]);
        // The writer waits at the gate with "1" while four more arrive.
        let waiting: Vec<_> = ["2", "3", "bad", "4"]
            .map(|client_id| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.append(message(client_id)).await })
            })
            .into_iter()
            .collect();
        while writer.queue.capacity() > QUEUE_CAPACITY - 4 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(2 + 4);
        assert!(first.await.unwrap().is_ok());
        assert_eq!(
            written.recv().await.unwrap(),
            ["2", "3", "bad", "4"],
            "what waited together is written together"
        );
        for alone in ["2", "3", "bad", "4"] {
            assert_eq!(written.recv().await.unwrap(), [alone], "then one by one");
        }
        let outcomes: Vec<bool> = join_all(waiting)
            .await
            .into_iter()
            .map(|outcome| outcome.unwrap().is_ok())
            .collect();
        assert_eq!(
            outcomes,
            [true, true, false, true],
            "only the message the engine refuses fails"
        );
        assert_eq!(
            queued.take().items.len(),
            4,
            "each commit hands over its commands, a failed one none"
        );

        gate.add_permits(1);
        let stored = writer.append(message("5")).await.unwrap();
        assert_eq!(stored.message().id, 5);
    }
}
