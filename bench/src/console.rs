//! Visitor → console delivery: operator WebSockets (`GET /api/v1/operator/ws`, authenticated by
//! the `bearer.TOKEN` subprotocol) open beside the active scenario's load, each recording when
//! the run's visitor messages arrive as `message` events and which ones, so a message lost or
//! doubled on its way to any console shows.

use crate::clock;
use crate::operators::LoggedIn;
use crate::others;
use crate::stats::histogram;
use anyhow::{Context, Result, bail};
use backend::api::operator::auth::{BEARER_PROTOCOL_PREFIX, SOCKET_PROTOCOL};
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use protocol::AuthorKind;
use protocol::operator::OperatorEvent;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// How a `message` event's JSON starts: other events (a summary per message, counts) are
/// skipped without parsing, so the generator's own parsing adds as little as it can to the
/// latencies it measures.
const MESSAGE_EVENT: &str = r#"{"type":"message","#;

/// What one operator socket received of the run's visitor messages.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    received: u64,
    ids: HashSet<i64>,
}

impl Tally {
    fn record(&mut self, message_id: i64) {
        self.received += 1;
        self.ids.insert(message_id);
    }

    fn distinct(&self) -> u64 {
        self.ids.len() as u64
    }
}

/// What the operator sockets of one or more runs received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub sockets: usize,
    /// Visitor messages each socket should have received, summed over the runs.
    pub expected: u64,
    /// `message` events received, all sockets together.
    pub received: u64,
    /// Expected messages some socket never received, summed over the sockets.
    pub lost: u64,
    /// Messages a socket received more than once, counted once per extra copy.
    pub doubled: u64,
    /// Visitor message sent → `message` event at an operator socket, every socket.
    pub latency: Histogram<u64>,
    /// Events in flight during a burst of other programs' work ([`crate::others`]).
    pub touched: u64,
    /// The latency of the others.
    pub untouched: Histogram<u64>,
}

impl Delivery {
    /// What `tallies` say, each socket having been sent `expected` messages, with what
    /// `bursts` touched of what was `received`.
    pub fn of(
        tallies: &[Tally],
        expected: u64,
        received: &Received,
        bursts: &[(u64, u64)],
    ) -> Self {
        let (touched, untouched) = others::untouched(&received.at, bursts);
        Self {
            sockets: tallies.len(),
            expected,
            received: tallies.iter().map(|tally| tally.received).sum(),
            lost: tallies
                .iter()
                .map(|tally| expected.saturating_sub(tally.distinct()))
                .sum(),
            doubled: tallies
                .iter()
                .map(|tally| tally.received - tally.distinct())
                .sum(),
            latency: received.latency.clone(),
            touched,
            untouched,
        }
    }

    /// Runs of one scenario as one: their latencies in one histogram, their counts summed.
    pub fn add(&mut self, run: &Delivery) -> Result<()> {
        self.expected += run.expected;
        self.received += run.received;
        self.lost += run.lost;
        self.doubled += run.doubled;
        self.latency.add(&run.latency)?;
        self.touched += run.touched;
        self.untouched.add(&run.untouched)?;
        Ok(())
    }
}

/// The run's `message` events at every socket: their latencies, and when each arrived (the
/// bench's clock, ns) with its latency (µs).
#[derive(Debug)]
pub struct Received {
    latency: Histogram<u64>,
    at: Vec<(u64, u64)>,
}

impl Received {
    fn new() -> Self {
        Self {
            latency: histogram(),
            at: Vec::new(),
        }
    }

    fn record(&mut self, latency_us: u64) {
        let _ = self.latency.record(latency_us.max(1));
        self.at.push((clock::now_ns(), latency_us));
    }
}

/// Open operator sockets and what they record.
#[derive(Debug)]
pub struct Consoles {
    tallies: Vec<Arc<Mutex<Tally>>>,
    received: Arc<Mutex<Received>>,
    readers: Vec<JoinHandle<()>>,
}

impl Consoles {
    /// Opens one socket per operator at `base` (`http://host:port`) and waits until the server
    /// greeted each (its first event), so each is in the operators' hub before the run
    /// starts. Only visitor messages whose client id starts with `run` are recorded.
    pub async fn open(base: &str, operators: &[LoggedIn], run: &str) -> Result<Self> {
        let received = Arc::new(Mutex::new(Received::new()));
        let mut tallies = Vec::with_capacity(operators.len());
        let mut readers = Vec::with_capacity(operators.len());
        let url = format!("{}/api/v1/operator/ws", base.replacen("http", "ws", 1));
        for operator in operators {
            let mut request = url.as_str().into_client_request()?;
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                format!(
                    "{SOCKET_PROTOCOL}, {BEARER_PROTOCOL_PREFIX}{}",
                    operator.token
                )
                .parse()
                .context("subprotocol header")?,
            );
            let (socket, _) = tokio_tungstenite::connect_async(request)
                .await
                .with_context(|| format!("operator socket of account {}", operator.id))?;
            let (sink, mut stream) = socket.split();
            match stream.next().await {
                Some(Ok(Message::Text(_))) => {}
                other => bail!("expected the operator socket's first event, got {other:?}"),
            }
            let tally = Arc::new(Mutex::new(Tally::default()));
            let reader_tally = Arc::clone(&tally);
            let reader_received = Arc::clone(&received);
            let run = run.to_owned();
            readers.push(tokio::spawn(async move {
                while let Some(Ok(message)) = stream.next().await {
                    if let Message::Text(text) = message {
                        read(&text, &run, &reader_tally, &reader_received);
                    }
                }
                // The socket's two halves end together, with this reader.
                drop(sink);
            }));
            tallies.push(tally);
        }
        Ok(Self {
            tallies,
            received,
            readers,
        })
    }

    /// Whether every socket received `sent` distinct messages of the run.
    pub fn all_received(&self, sent: u64) -> bool {
        self.tallies
            .iter()
            .all(|tally| lock(tally).distinct() >= sent)
    }

    /// What the sockets received, each having been sent `sent` messages, with what other
    /// programs' `bursts` touched.
    pub fn delivery(&self, sent: u64, bursts: &[(u64, u64)]) -> Delivery {
        let tallies: Vec<Tally> = self
            .tallies
            .iter()
            .map(|tally| lock(tally).clone())
            .collect();
        Delivery::of(&tallies, sent, &lock(&self.received), bursts)
    }
}

impl Drop for Consoles {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records `text` if it is a `message` event of one of the run's visitor messages.
fn read(text: &str, run: &str, tally: &Mutex<Tally>, received: &Mutex<Received>) {
    if !text.starts_with(MESSAGE_EVENT) {
        return;
    }
    let Ok(OperatorEvent::Message { message }) = serde_json::from_str(text) else {
        return;
    };
    let of_run = message
        .client_id
        .as_deref()
        .is_some_and(|id| id.starts_with(run));
    if message.author.kind != AuthorKind::Visitor || !of_run {
        return;
    }
    if let Some(us) = clock::latency_us("v", &message.text) {
        lock(received).record(us);
    }
    lock(tally).record(message.id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Author, Message as ChatMessage, TextFormat};

    fn tally(ids: &[i64]) -> Tally {
        let mut tally = Tally::default();
        for id in ids {
            tally.record(*id);
        }
        tally
    }

    #[test]
    fn counts_what_each_socket_missed_and_got_twice() {
        let complete = tally(&[1, 2, 3]);
        let missing_one = tally(&[1, 3]);
        let doubled_one = tally(&[1, 2, 2, 3]);
        // Two events, received at 100 and 200 ms; a burst from 195 to 245 ms touches the second.
        let ms = 1_000_000;
        let mut received = Received::new();
        for (at, latency_us) in [(100 * ms, 2_000), (200 * ms, 9_000)] {
            received.latency.record(latency_us).unwrap();
            received.at.push((at, latency_us));
        }
        let delivery = Delivery::of(
            &[complete, missing_one, doubled_one],
            3,
            &received,
            &[(195 * ms, 245 * ms)],
        );
        assert_eq!(delivery.sockets, 3);
        assert_eq!((delivery.touched, delivery.untouched.len()), (1, 1));
        assert_eq!(delivery.received, 9);
        assert_eq!((delivery.lost, delivery.doubled), (1, 1));
        let mut runs = delivery.clone();
        runs.add(&delivery).unwrap();
        assert_eq!((runs.expected, runs.received), (6, 18));
        assert_eq!((runs.lost, runs.doubled), (2, 2));
        assert_eq!((runs.touched, runs.untouched.len()), (2, 2));
    }

    fn event(id: i64, client_id: &str, kind: AuthorKind) -> String {
        let message = ChatMessage {
            id,
            conversation_id: 7,
            seq: 1,
            client_id: Some(client_id.to_owned()),
            author: Author {
                kind,
                name: None,
                picture: None,
            },
            text: clock::stamped("v"),
            text_format: TextFormat::Plain,
            sent_at: 0,
            edited_at: None,
        };
        serde_json::to_string(&OperatorEvent::Message { message }).unwrap()
    }

    #[test]
    fn records_only_the_runs_visitor_messages() {
        let (tally, received) = (Mutex::new(Tally::default()), Mutex::new(Received::new()));
        let frames = [
            event(1, "console-0", AuthorKind::Visitor),
            event(1, "console-0", AuthorKind::Visitor),
            event(2, "warm-0", AuthorKind::Visitor),
            event(3, "console-1", AuthorKind::Operator),
            serde_json::to_string(&OperatorEvent::Pong).unwrap(),
        ];
        for frame in &frames {
            read(frame, "console-", &tally, &received);
        }
        let tally = tally.into_inner().unwrap();
        assert_eq!((tally.received, tally.distinct()), (2, 1));
        let received = received.into_inner().unwrap();
        assert_eq!((received.latency.len(), received.at.len()), (2, 2));
    }
}
