//! The load generator: opens visitor sessions over real WebSockets and drives them open-loop at
//! a fixed rate, with operator replies through the inbound webhook at the same rate. Every text
//! carries its intended send time, so latencies include any queueing the server causes
//! (no coordinated omission).

use crate::clock;
use crate::stats::histogram;
use anyhow::{Context, Result};
use futures_util::SinkExt;
use futures_util::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use protocol::{AuthorKind, ClientFrame, ServerFrame, TextFormat, VisitorCreated};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Connections opened at once while setting up.
const SETUP_CONCURRENCY: usize = 64;
/// The origin the generator's pages claim.
const ORIGIN: &str = "http://bench.localhost";

/// What every reader records into.
#[derive(Debug)]
pub struct Recorder {
    /// Visitor message sent → acknowledged (stored).
    pub stored: Mutex<Histogram<u64>>,
    /// Each acknowledgement's time (the bench's clock, ns) and latency (µs), to be set
    /// against other processes' bursts of work ([`crate::others`]); kept only once
    /// [`Recorder::keep_ack_times`] was called (the active runs), not in the long runs that
    /// do not use them.
    pub acks_at: Mutex<Vec<(u64, u64)>>,
    keep_ack_times: AtomicBool,
    /// Operator message posted → received by the visitor's socket (or echo, for the baseline).
    pub delivered: Mutex<Histogram<u64>>,
    pub acks: AtomicU64,
    pub operator_messages: AtomicU64,
    pub errors: AtomicU64,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            stored: Mutex::new(histogram()),
            acks_at: Mutex::new(Vec::new()),
            keep_ack_times: AtomicBool::new(false),
            delivered: Mutex::new(histogram()),
            acks: AtomicU64::new(0),
            operator_messages: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        })
    }

    /// Forgets latencies and counts (after warm-up).
    pub fn reset(&self) {
        self.stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reset();
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reset();
        self.acks_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.acks.store(0, Ordering::Relaxed);
        self.operator_messages.store(0, Ordering::Relaxed);
    }

    fn record(histogram: &Mutex<Histogram<u64>>, latency_us: u64) {
        let _ = histogram
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(latency_us.max(1));
    }

    /// Keeps each acknowledgement's time from now on ([`Recorder::acks_at`]).
    pub fn keep_ack_times(&self) {
        self.keep_ack_times.store(true, Ordering::Relaxed);
    }

    fn record_ack(&self, latency_us: u64) {
        Self::record(&self.stored, latency_us);
        if !self.keep_ack_times.load(Ordering::Relaxed) {
            return;
        }
        self.acks_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((clock::now_ns(), latency_us));
    }
}

/// One open session: a queue into its socket and what the server told it.
#[derive(Debug)]
pub struct Session {
    outbound: mpsc::UnboundedSender<Message>,
    pub visitor_token: String,
    pub conversation_id: Arc<AtomicU64>,
    open: Arc<AtomicBool>,
}

/// What the sessions talk to.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// The chat's widget API (`.../api/v1/chat/{id}:{token}`).
    Chat { api: String },
    /// The baseline's echo socket (`ws://.../ws`).
    Baseline { ws: String },
}

/// A set of sessions and what they record.
#[derive(Debug)]
pub struct Load {
    pub sessions: Vec<Session>,
    pub recorder: Arc<Recorder>,
    http: reqwest::Client,
}

impl Load {
    /// Opens `count` sessions (creating visitors for the chat).
    pub async fn open(endpoint: &Endpoint, count: usize) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let recorder = Recorder::new();
        let sessions: Vec<Result<Session>> = stream::iter(0..count)
            .map(|_| connect(&http, endpoint, None, Arc::clone(&recorder)))
            .buffer_unordered(SETUP_CONCURRENCY)
            .collect()
            .await;
        let sessions = sessions.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(Self {
            sessions,
            recorder,
            http,
        })
    }

    /// Drops every connection and opens them again for the same visitors, all at once;
    /// returns how long until every one was welcomed.
    pub async fn reconnect_all(&mut self, endpoint: &Endpoint) -> Result<Duration> {
        let tokens: Vec<String> = self
            .sessions
            .drain(..)
            .map(|session| session.visitor_token)
            .collect();
        let started = Instant::now();
        let reopened: Vec<Result<Session>> = stream::iter(tokens)
            .map(|token| {
                connect(
                    &self.http,
                    endpoint,
                    Some(token),
                    Arc::clone(&self.recorder),
                )
            })
            .buffer_unordered(1024)
            .collect()
            .await;
        let elapsed = started.elapsed();
        self.sessions = reopened.into_iter().collect::<Result<Vec<_>>>()?;
        Ok(elapsed)
    }

    /// How many sessions are still connected.
    pub fn held(&self) -> usize {
        self.sessions
            .iter()
            .filter(|session| session.open.load(Ordering::Relaxed))
            .count()
    }

    /// Every session sends one message, so each has a conversation; waits for the acks.
    pub async fn warm_up(&self, timeout: Duration) -> Result<()> {
        for (n, session) in self.sessions.iter().enumerate() {
            session.send_text(&format!("warm-{n}"), &clock::stamped("v"))?;
        }
        let deadline = Instant::now() + timeout;
        while self
            .sessions
            .iter()
            .any(|session| session.conversation_id.load(Ordering::Relaxed) == 0)
        {
            if Instant::now() > deadline {
                anyhow::bail!("warm-up: not every session got its ack within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Sends `rate` visitor messages per second for `duration`, round robin over the sessions,
    /// and (with `inbound`) as many operator replies through the inbound webhook.
    /// Returns how many of each were sent.
    pub async fn drive(
        &self,
        rate: u64,
        duration: Duration,
        inbound: Option<&str>,
        run: &str,
    ) -> (u64, u64) {
        let started = Instant::now();
        let start_ns = clock::now_ns();
        let interval_ns = 1_000_000_000 / rate.max(1);
        let mut sent = 0u64;
        let mut ticker = tokio::time::interval(Duration::from_millis(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        while started.elapsed() < duration {
            ticker.tick().await;
            // Message n is due at n × interval: message 0 at once.
            let due =
                u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX) / interval_ns + 1;
            while sent < due {
                let intended = start_ns + sent * interval_ns;
                let index = usize::try_from(sent).unwrap_or(0) % self.sessions.len();
                let session = &self.sessions[index];
                let _ = session.send_text(&format!("{run}-{sent}"), &format!("v {intended}"));
                if let Some(url) = inbound {
                    self.post_reply(url, session, &format!("{run}-{sent}"), intended);
                }
                sent += 1;
            }
        }
        (sent, if inbound.is_some() { sent } else { 0 })
    }

    fn post_reply(&self, url: &str, session: &Session, id: &str, intended: u64) {
        let conversation = session.conversation_id.load(Ordering::Relaxed);
        let body = serde_json::json!({"createMessage": {
            "extId": format!("op-{id}"),
            "text": format!("o {intended}"),
            "extConversationId": conversation.to_string(),
        }});
        let request = self.http.post(url).json(&body);
        let recorder = Arc::clone(&self.recorder);
        tokio::spawn(async move {
            match request.send().await {
                Ok(response) if response.status().is_success() => {}
                _ => {
                    recorder.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

impl Session {
    fn send_text(&self, client_id: &str, text: &str) -> Result<()> {
        let frame = ClientFrame::Send {
            client_id: client_id.to_owned(),
            text: text.to_owned(),
            text_format: TextFormat::Plain,
            page: None,
        };
        self.outbound
            .send(Message::text(serde_json::to_string(&frame)?))
            .map_err(|_| anyhow::anyhow!("session closed"))
    }
}

async fn connect(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    visitor_token: Option<String>,
    recorder: Arc<Recorder>,
) -> Result<Session> {
    let (url, visitor_token) = match endpoint {
        Endpoint::Chat { api } => {
            let token = match visitor_token {
                Some(token) => token,
                None => {
                    let created: VisitorCreated = http
                        .post(format!("{api}/visitors"))
                        .header("Origin", ORIGIN)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    created.visitor_token
                }
            };
            let ws = api.replacen("http", "ws", 1);
            (format!("{ws}/ws?visitor_token={token}"), token)
        }
        Endpoint::Baseline { ws } => (ws.clone(), String::new()),
    };
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Origin", ORIGIN.parse().context("origin header")?);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    let (mut sink, mut stream) = socket.split();
    let conversation_id = Arc::new(AtomicU64::new(0));
    if matches!(endpoint, Endpoint::Chat { .. }) {
        // The welcome frame comes first; the session is usable after it.
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                if let Ok(ServerFrame::Welcome {
                    conversation_id: Some(id),
                    ..
                }) = serde_json::from_str(text.as_str())
                {
                    conversation_id.store(u64::try_from(id).unwrap_or(0), Ordering::Relaxed);
                }
            }
            other => anyhow::bail!("expected a welcome frame, got {other:?}"),
        }
    }
    let (outbound, mut queue) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        while let Some(message) = queue.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        // The session was dropped: close the connection (the reader then ends).
        let _ = sink.close().await;
    });
    let reader_conversation = Arc::clone(&conversation_id);
    let open = Arc::new(AtomicBool::new(true));
    let reader_open = Arc::clone(&open);
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Text(text) = message {
                read(&recorder, &reader_conversation, text.as_str());
            }
        }
        reader_open.store(false, Ordering::Relaxed);
    });
    Ok(Session {
        outbound,
        visitor_token,
        conversation_id,
        open,
    })
}

fn read(recorder: &Recorder, conversation_id: &AtomicU64, text: &str) {
    // The baseline echoes the client frame itself.
    if let Ok(ClientFrame::Send { text, .. }) = serde_json::from_str::<ClientFrame>(text) {
        if let Some(latency) = clock::latency_us("v", &text) {
            recorder.record_ack(latency);
            recorder.acks.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    match serde_json::from_str::<ServerFrame>(text) {
        Ok(ServerFrame::Ack { message, .. }) => {
            conversation_id.store(
                u64::try_from(message.conversation_id).unwrap_or(0),
                Ordering::Relaxed,
            );
            if let Some(latency) = clock::latency_us("v", &message.text) {
                recorder.record_ack(latency);
            }
            recorder.acks.fetch_add(1, Ordering::Relaxed);
        }
        Ok(ServerFrame::Message { message }) if message.author.kind == AuthorKind::Operator => {
            if let Some(latency) = clock::latency_us("o", &message.text) {
                Recorder::record(&recorder.delivered, latency);
            }
            recorder.operator_messages.fetch_add(1, Ordering::Relaxed);
        }
        Ok(ServerFrame::Error { .. }) => {
            recorder.errors.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    }
}
