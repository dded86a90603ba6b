//! The outbox worker: delivers queued webhook commands to each integration's collaboration
//! server. Each conversation (ordering key) gets its own lane, a task that sends that
//! conversation's commands one after another, oldest first, so commands arrive in order per
//! conversation while a slow or hanging conversation holds up only itself. A delivered command is
//! deleted before its lane goes on, together with those other lanes delivered meanwhile (one
//! statement for many); a failed one is retried with exponential backoff and jitter, capped:
//! through outages for as long as they last, but a command the collaboration server refuses for
//! good only `max_attempts` times, after which it is set aside as a dead letter and its lane goes
//! on with the conversation's next command. Commits hand the worker the commands they queued, so
//! delivery starts at once, and a conversation whose queue the worker knows in full is delivered
//! from memory without reading the outbox back ([`Handoff`]); a scan of the outbox at start and
//! every `poll_ms` catches retries that fell due. The worker keeps each integration's backlog
//! figures ([`OutboxFigures`]) and logs an alert while a backlog is past its limits.

use super::client::CollaborationClient;
use super::figures::{BacklogAlarm, BridgeFigures, OutboxFigures};
use super::handoff::Handoff;
use super::lanes::Lanes;
use super::{AfterFailure, Due, Failure, OutboxStore};
use crate::config::integrations::Integration;
use crate::config::settings::BridgeSettings;
use crate::outbox::OutboxItem;
use crate::store::now_ms;
use crate::telemetry;
use futures_util::future::join_all;
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;

/// Conversations delivered to at once per integration: also the most requests in flight to one
/// collaboration server.
pub const MAX_LANES: usize = 256;

/// Commands a lane reads at once.
const LANE_READ: i64 = 16;

/// Least time between the starts of two deletions of delivered commands, so that under load
/// one statement deletes what many lanes delivered (each lane waits for its command's deletion
/// before the next), rather than one statement per delivered command
/// (docs/performance.md, "Outbox").
const REMOVAL_INTERVAL: Duration = Duration::from_millis(5);

/// The delivery loop's parts.
#[derive(Debug)]
pub struct Worker {
    pub store: Arc<dyn OutboxStore>,
    pub client: Arc<dyn CollaborationClient>,
    pub integrations: Vec<Arc<Integration>>,
    pub settings: BridgeSettings,
    /// The backlog figures it keeps up to date, one per integration it delivers for.
    pub figures: Arc<BridgeFigures>,
    pub shutdown: watch::Receiver<bool>,
}

impl Worker {
    /// Delivers until shutdown, every integration on its own.
    pub async fn run(self) {
        let dispatchers = self.integrations.iter().filter_map(|integration| {
            let url = integration.webhook_url.clone()?;
            let figures = self.figures.of(&integration.id)?;
            let (removals, delivered) = mpsc::channel(MAX_LANES);
            tokio::spawn(remove_delivered(
                Arc::clone(&self.store),
                delivered,
                Arc::clone(&figures),
                telemetry::deliveries(&integration.id),
            ));
            let courier = Courier {
                store: Arc::clone(&self.store),
                client: Arc::clone(&self.client),
                url,
                integration: Arc::clone(integration),
                settings: self.settings,
                figures,
                removals,
            };
            Some(dispatch(Arc::new(courier), self.shutdown.clone()))
        });
        join_all(dispatchers).await;
    }
}

/// Everything a lane needs to deliver one integration's commands.
#[derive(Debug)]
struct Courier {
    store: Arc<dyn OutboxStore>,
    client: Arc<dyn CollaborationClient>,
    integration: Arc<Integration>,
    url: String,
    settings: BridgeSettings,
    figures: Arc<OutboxFigures>,
    /// Delivered commands to delete.
    removals: mpsc::Sender<Removal>,
}

/// A delivered command to delete, and where to say whether it was deleted.
type Removal = (i64, oneshot::Sender<bool>);

/// Deletes delivered commands, until every courier is gone: those reported while a deletion
/// runs, or within [`REMOVAL_INTERVAL`] of the last one's start, all in the next statement.
async fn remove_delivered(
    store: Arc<dyn OutboxStore>,
    mut delivered: mpsc::Receiver<Removal>,
    figures: Arc<OutboxFigures>,
    deliveries: metrics::Counter,
) {
    let mut batch = Vec::with_capacity(MAX_LANES);
    let mut next = Instant::now();
    while delivered.recv_many(&mut batch, MAX_LANES).await > 0 {
        tokio::time::sleep_until(next).await;
        while batch.len() < MAX_LANES {
            let Ok(removal) = delivered.try_recv() else {
                break;
            };
            batch.push(removal);
        }
        next = Instant::now() + REMOVAL_INTERVAL;
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let removed = store.remove_delivered(&ids).await;
        match &removed {
            Ok(()) => {
                figures.left(ids.len());
                deliveries.increment(u64::try_from(ids.len()).unwrap_or(u64::MAX));
            }
            Err(error) => {
                tracing::error!(%error, commands = ids.len(), "cannot delete delivered commands")
            }
        }
        for (_, done) in batch.drain(..) {
            let _ = done.send(removed.is_ok());
        }
    }
}

/// Opens a lane for every conversation with commands to deliver: those commits hand over
/// (see [`OutboxSignal`](crate::outbox::OutboxSignal)), those whose retry fell due, and those a
/// scan of the whole outbox finds. Retries are looked for every `poll_ms`; the whole outbox is
/// read at start and every [`Scans::FULL_EVERY`] polls (for what no signal named, such as a
/// lane cut short by a database error). Scans take at most a tenth of the time.
async fn dispatch(courier: Arc<Courier>, mut shutdown: watch::Receiver<bool>) {
    let mut signal = courier
        .store
        .outbox_signal()
        .subscribe(&courier.integration.id);
    let poll = Duration::from_millis(courier.settings.poll_ms.max(1));
    let mut scans = Scans::new(poll, Instant::now());
    let mut lanes = Lanes::new(MAX_LANES);
    let mut handoff = Handoff::default();
    let mut running = Running::default();
    let mut alarm = BacklogAlarm::default();
    loop {
        if let Some(scan) = scans.due(Instant::now()) {
            let started = Instant::now();
            for item in courier.scan(scan).await {
                if scan == Scan::Retries {
                    // Failed before, so normally unknown already; but a dead letter re-queued by
                    // `webchat-server outbox retry` is new to a conversation the handoff knows.
                    handoff.forget(&item.ordering_key);
                }
                lanes.want(item.ordering_key);
            }
            scans.ran(started, Instant::now());
        }
        let mut unread = Vec::new();
        for key in std::iter::from_fn(|| lanes.start()) {
            match handoff.start(&key) {
                Some(items) => running.spawn(&courier, key, Start::Handed(items)),
                None => unread.push(key),
            }
        }
        if !unread.is_empty() {
            let mut read = courier.next_commands(&unread).await;
            for key in unread {
                let start = match &mut read {
                    Some(found) => Start::Read(found.remove(&key)),
                    None => Start::Unread,
                };
                running.spawn(&courier, key, start);
            }
        }
        tokio::select! {
            Some(ended) = running.lanes.join_next_with_id() => {
                let (id, drained) = ended.unwrap_or_else(|error| (error.id(), false));
                if let Some(key) = running.keys.remove(&id) {
                    handoff.ended(&key, drained);
                    lanes.ended(&key);
                }
            }
            queued = signal.next() => {
                let Some(queued) = queued else { return };
                if queued.rescan {
                    scans.ask(Scan::Everything);
                }
                courier.figures.queued(queued.items.len(), now_ms());
                for item in queued.items {
                    let key = item.ordering_key.clone();
                    handoff.handed(item);
                    lanes.want(key);
                }
            }
            () = tokio::time::sleep_until(scans.next(Instant::now())) => {
                scans.poll(Instant::now());
                let backlog = courier.figures.backlog();
                let alert = backlog.alert(&courier.settings, now_ms());
                alarm.check(&courier.integration.id, alert, Instant::now());
            }
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
    }
}

/// The running lanes: each says when it ends whether it left its conversation drained.
#[derive(Debug, Default)]
struct Running {
    lanes: JoinSet<bool>,
    keys: HashMap<Id, String>,
}

impl Running {
    fn spawn(&mut self, courier: &Arc<Courier>, key: String, start: Start) {
        let lane = self
            .lanes
            .spawn(Arc::clone(courier).lane(key.clone(), start));
        self.keys.insert(lane.id(), key);
    }
}

/// What a lane starts with.
#[derive(Debug)]
enum Start {
    /// The commands handed over for its conversation: all it has to deliver.
    Handed(Vec<OutboxItem>),
    /// What a read of the outbox found for it: its due commands (none while the first waits
    /// for a retry), or `None` when it has nothing undelivered.
    Read(Option<Vec<OutboxItem>>),
    /// The read failed (logged).
    Unread,
}

/// What a scan of the outbox looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Scan {
    /// Failed commands due again.
    Retries,
    /// The head of every conversation.
    Everything,
}

/// When the outbox worker scans the outbox, and for what: at most a tenth of the time, so a
/// long backlog (slow scans) cannot crowd out delivery.
#[derive(Debug)]
struct Scans {
    poll: Duration,
    polls: u32,
    asked: Option<Scan>,
    /// No scan before this, to keep the duty cycle.
    earliest: Instant,
    /// The poll's next scan.
    next_poll: Instant,
}

impl Scans {
    /// Rests this many times as long as the last scan took before the next.
    const REST_PER_SCAN: u32 = 9;
    /// Every this many polls read the whole outbox rather than only retries.
    const FULL_EVERY: u32 = 60;

    fn new(poll: Duration, now: Instant) -> Self {
        Self {
            poll,
            polls: 0,
            asked: Some(Scan::Everything),
            earliest: now,
            next_poll: now + poll,
        }
    }

    fn ask(&mut self, scan: Scan) {
        self.asked = self.asked.max(Some(scan));
    }

    /// Asks for the poll's scan if it is time.
    fn poll(&mut self, now: Instant) {
        if now >= self.next_poll {
            self.polls = self.polls.wrapping_add(1);
            self.ask(if self.polls.is_multiple_of(Self::FULL_EVERY) {
                Scan::Everything
            } else {
                Scan::Retries
            });
            self.next_poll = now + self.poll;
        }
    }

    fn due(&self, now: Instant) -> Option<Scan> {
        self.asked.filter(|_| now >= self.earliest)
    }

    /// When to wake for the next scan.
    fn next(&self, now: Instant) -> Instant {
        match self.asked {
            Some(_) => self.earliest.max(now),
            None => self.next_poll,
        }
    }

    fn ran(&mut self, started: Instant, finished: Instant) {
        self.asked = None;
        self.earliest = finished + (finished - started) * Self::REST_PER_SCAN;
        self.next_poll = (finished + self.poll).max(self.earliest);
    }
}

impl Courier {
    /// Due commands the scan looks for, oldest first: up to several times as many as there
    /// can be lanes, so the heads of running lanes cannot crowd out conversations waiting for
    /// one; the next scan finds any beyond.
    async fn scan(&self, scan: Scan) -> Vec<OutboxItem> {
        let limit = i64::try_from(MAX_LANES * 4).unwrap_or(i64::MAX);
        let (integration, now) = (&self.integration.id, now_ms());
        let due = match scan {
            Scan::Retries => self.store.due(Due::Retries, integration, now, limit).await,
            Scan::Everything => {
                // The figures are counted again with each read of the whole outbox, which
                // costs as much: between these counts they are followed in memory.
                match self.store.outbox_counts(integration).await {
                    Ok(counts) => self.figures.counted(&counts),
                    Err(error) => tracing::error!(
                        %error,
                        integration = %self.integration.id,
                        "cannot count the outbox"
                    ),
                }
                self.store.due(Due::Heads, integration, now, limit).await
            }
        };
        match due {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, integration = %self.integration.id, "cannot read the outbox");
                Vec::new()
            }
        }
    }

    /// What the outbox holds for each of `keys` (see [`Start::Read`]; at most [`LANE_READ`]
    /// commands each), read at once, by key; `None` after a database error (logged).
    async fn next_commands(&self, keys: &[String]) -> Option<HashMap<String, Vec<OutboxItem>>> {
        let read = self
            .store
            .next_commands(&self.integration.id, keys, now_ms(), LANE_READ)
            .await;
        read.map_err(|error| {
            tracing::error!(%error, integration = %self.integration.id, "cannot read the outbox");
        })
        .ok()
    }

    /// Delivers the commands of conversation `key` in order: those handed over, or those read
    /// from the outbox, [`LANE_READ`] at a time, until it has read all that were due or a
    /// delivery fails (it is then retried later). True when it left nothing undelivered.
    /// Commands queued after its last read need no further read here: their commit hands them
    /// over, which runs the lane again.
    async fn lane(self: Arc<Self>, key: String, start: Start) -> bool {
        let mut found = match start {
            Start::Handed(items) => return self.deliver_all(&items).await,
            Start::Read(found) => found,
            Start::Unread => return false,
        };
        let keys = [key];
        let full = usize::try_from(LANE_READ).unwrap_or(usize::MAX);
        loop {
            let Some(items) = found else { return true };
            if items.is_empty() || !self.deliver_all(&items).await {
                return false;
            }
            if items.len() < full {
                return true;
            }
            let Some(mut read) = self.next_commands(&keys).await else {
                return false;
            };
            found = read.remove(&keys[0]);
        }
    }

    /// True when all of `items` were delivered and removed (or set aside), in order; stops at
    /// the first that was not.
    async fn deliver_all(&self, items: &[OutboxItem]) -> bool {
        for item in items {
            if !self.deliver(item).await {
                return false;
            }
        }
        true
    }

    /// True when `item` was delivered and removed from the outbox, or set aside as a dead
    /// letter: either way its conversation goes on.
    async fn deliver(&self, item: &OutboxItem) -> bool {
        let error = match self.client.deliver(&self.url, &item.command).await {
            Ok(()) => return self.remove(item.id).await,
            Err(error) => error,
        };
        let integration = &self.integration.id;
        let (kind, text, now) = (error.kind(), error.to_string(), now_ms());
        telemetry::delivery_failed(integration, kind);
        self.figures.failed(kind, text.clone(), now);
        let delay = retry_delay(&self.settings, item.attempts + 1, &mut rand::rng());
        let next_attempt_at = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        let failure = match error.refusal_status() {
            Some(status) => Failure::Refusal {
                status,
                error: &text,
                next_attempt_at,
                max_attempts: i64::from(self.settings.max_attempts),
            },
            None => Failure::Outage {
                error: &text,
                next_attempt_at,
            },
        };
        match self.store.record_failure(item.id, failure).await {
            Ok(AfterFailure::Retried) => {
                tracing::warn!(
                    integration = %integration,
                    command = item.id,
                    queue = %item.ordering_key,
                    attempt = item.attempts + 1,
                    next_try_in = ?delay,
                    %error,
                    "webhook command not delivered; will retry"
                );
                false
            }
            Ok(AfterFailure::SetAside) => {
                tracing::error!(
                    integration = %integration,
                    command = item.id,
                    queue = %item.ordering_key,
                    %error,
                    "webhook command refused {} times: set aside as a dead letter; see \
                     `webchat-server outbox list-dead` and `outbox retry`",
                    self.settings.max_attempts
                );
                telemetry::set_aside(integration);
                self.figures.set_aside();
                true
            }
            Err(error) => {
                tracing::error!(%error, command = item.id, "cannot record a delivery outcome");
                false
            }
        }
    }

    /// True once the delivered command `outbox_id` is deleted. One that is not stays queued
    /// and is sent again (a crash in between does the same): the receiver dedupes by id (409).
    async fn remove(&self, outbox_id: i64) -> bool {
        let (done, removed) = oneshot::channel();
        self.removals.send((outbox_id, done)).await.is_ok() && removed.await.unwrap_or(false)
    }
}

/// Delay before attempt number `attempt` (1-based after the first failure): `base * 2^(n-1)`
/// capped at `max`, with jitter over its upper half so failing clients do not retry in step.
pub fn retry_delay(settings: &BridgeSettings, attempt: i64, rng: &mut impl Rng) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 32) - 1).unwrap_or(31);
    let ceiling = settings
        .retry_base_ms
        .saturating_mul(1u64 << exponent.min(40))
        .min(settings.retry_max_ms)
        .max(1);
    Duration::from_millis(rng.random_range(ceiling / 2..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_rest_nine_times_as_long_as_they_took() {
        let poll = Duration::from_millis(1000);
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let mut scans = Scans::new(poll, start);
        assert_eq!(
            scans.due(start),
            Some(Scan::Everything),
            "the first scan finds what was queued before"
        );
        scans.ran(start, ms(10));
        assert_eq!(scans.due(ms(20)), None, "not asked");
        assert_eq!(scans.next(ms(20)), ms(1010), "the poll");

        scans.ask(Scan::Everything);
        assert_eq!(scans.due(ms(50)), None, "resting after a 10 ms scan");
        assert_eq!(scans.next(ms(50)), ms(100));
        assert_eq!(scans.due(ms(100)), Some(Scan::Everything));

        scans.ran(ms(100), ms(300));
        assert_eq!(
            scans.next(ms(300)),
            ms(2100),
            "a slow scan pushes the poll back too"
        );
        scans.poll(ms(1500));
        assert_eq!(
            scans.due(ms(2100)),
            None,
            "woken before the poll: not asked"
        );
        scans.poll(ms(2100));
        assert_eq!(scans.due(ms(2100)), Some(Scan::Retries));
        scans.ask(Scan::Everything);
        scans.ask(Scan::Retries);
        assert_eq!(
            scans.due(ms(2100)),
            Some(Scan::Everything),
            "the wider scan wins"
        );
    }

    #[test]
    fn every_sixtieth_poll_reads_the_whole_outbox() {
        let poll = Duration::from_millis(10);
        let start = Instant::now();
        let mut scans = Scans::new(poll, start);
        scans.ran(start, start);
        let mut seen = Vec::new();
        for tick in 1..=120 {
            let now = start + poll * tick;
            scans.poll(now);
            seen.extend(scans.due(now));
            scans.ran(now, now);
        }
        let full: Vec<usize> = (0..seen.len())
            .filter(|&index| seen[index] == Scan::Everything)
            .collect();
        assert_eq!(seen.len(), 120);
        assert_eq!(full, [59, 119]);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let settings = BridgeSettings {
            retry_base_ms: 100,
            retry_max_ms: 1000,
            ..BridgeSettings::default()
        };
        let mut rng = rand::rng();
        for (attempt, ceiling) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (60, 1000),
        ] {
            for _ in 0..50 {
                let delay = retry_delay(&settings, attempt, &mut rng).as_millis();
                assert!(
                    (ceiling / 2..=ceiling).contains(&delay),
                    "attempt {attempt}: {delay}"
                );
            }
        }
    }
}
