//! Group commit of visitors' messages: messages that arrive while a transaction is being written
//! wait in a queue and go into the next transaction together, so one commit (and one fsync)
//! serves many messages. Each writer owns a share of the people (by person id), so a person's
//! messages are stored in arrival order and two writers never wait for each other's row locks.
//! A message is acknowledged only after the transaction holding it has committed; if a
//! transaction fails, its messages are tried again one transaction each, so one bad message
//! fails alone. A group costs a constant number of statements ([`super::append_sql`]).

use super::append_sql::{Incoming, append_group};
use super::outbox_signal::{OutboxSignal, ordering_key};
use super::sql::Tx;
use super::{Appended, Bridge, NewMessage, StoreError, StoreResult, Visitor};
use sqlx::AnyPool;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most messages in one transaction.
const MAX_BATCH: usize = 256;
/// Messages waiting per writer before senders wait too.
const QUEUE_CAPACITY: usize = 4096;

/// One message to store and where its outcome goes.
#[derive(Debug)]
struct Request {
    incoming: Incoming,
    reply: oneshot::Sender<StoreResult<Appended>>,
}

/// The queues of the writers.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    writers: Vec<mpsc::Sender<Request>>,
}

impl GroupCommit {
    /// Starts `writers` writers on `pool`; each commit that queued webhook commands tells
    /// `signal` for which conversations.
    pub(super) fn start(pool: &AnyPool, writers: usize, signal: &Arc<OutboxSignal>) -> Self {
        let writers = (0..writers.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
                tokio::spawn(write(pool.clone(), receiver, Arc::clone(signal)));
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
        let (reply, outcome) = oneshot::channel();
        let shard = usize::try_from(visitor.person_id.unsigned_abs()).unwrap_or(0);
        let writer = &self.writers[shard % self.writers.len()];
        let request = Request {
            incoming: Incoming {
                visitor: visitor.clone(),
                message,
                bridge,
            },
            reply,
        };
        writer.send(request).await.map_err(|_| writer_gone())?;
        outcome.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StoreError {
    StoreError::Corrupt("the message writer stopped".into())
}

/// Writes what is queued, a batch per transaction, until every sender is gone.
async fn write(pool: AnyPool, mut queue: mpsc::Receiver<Request>, signal: Arc<OutboxSignal>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let group: Vec<&Incoming> = batch.iter().map(|request| &request.incoming).collect();
        match commit(&pool, &group).await {
            Ok(appended) => {
                signal.queued(batch.iter().zip(&appended).filter_map(queued_key));
                for (request, appended) in batch.drain(..).zip(appended) {
                    let _ = request.reply.send(Ok(appended));
                }
            }
            Err(error) => {
                tracing::debug!(%error, messages = batch.len(), "batch failed; storing one by one");
                for request in batch.drain(..) {
                    let outcome = commit_alone(&pool, &request.incoming).await;
                    if let Ok(appended) = &outcome {
                        signal.queued(queued_key((&request, appended)));
                    }
                    let _ = request.reply.send(outcome);
                }
            }
        }
    }
}

/// The integration and ordering key a stored message queued its commands under, if it did: a
/// new message of a bridged integration.
fn queued_key<'a>((request, appended): (&'a Request, &Appended)) -> Option<(&'a str, String)> {
    let visitor = &request.incoming.visitor;
    match appended {
        Appended::Created(message) if request.incoming.bridge == Bridge::On => Some((
            visitor.integration_id.as_str(),
            ordering_key(message.conversation_id),
        )),
        _ => None,
    }
}

/// Stores `group` in one transaction.
async fn commit(pool: &AnyPool, group: &[&Incoming]) -> StoreResult<Vec<Appended>> {
    let mut tx: Tx<'_> = pool.begin().await?;
    let appended = append_group(&mut tx, group).await?;
    tx.commit().await?;
    Ok(appended)
}

async fn commit_alone(pool: &AnyPool, incoming: &Incoming) -> StoreResult<Appended> {
    commit(pool, &[incoming])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a message went missing from its commit".into()))
}
