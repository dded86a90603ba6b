//! A lean fake collaboration server for load runs: it answers every webhook command 200 (409 for
//! a repeated `createMessage` extId), and for visitor messages records the latency from the send
//! time stamped in their text, and counts them and their distinct ids.

use crate::clock;
use crate::stats::histogram;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use hdrhistogram::Histogram;
use protocol::webhook::Command;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

const PATH: &str = "/integration/webhook/1:bench/callback";

/// What the fake saw.
#[derive(Debug)]
pub struct Received {
    pub latency: Histogram<u64>,
    pub messages: u64,
    pub distinct: HashSet<String>,
}

/// A running fake collaboration server.
#[derive(Debug, Clone)]
pub struct FakeCollaboration {
    pub url: String,
    received: Arc<Mutex<Received>>,
}

impl FakeCollaboration {
    pub async fn start() -> anyhow::Result<Self> {
        let received = Arc::new(Mutex::new(Received {
            latency: histogram(),
            messages: 0,
            distinct: HashSet::new(),
        }));
        let app = Router::new()
            .route(PATH, post(command))
            .with_state(Arc::clone(&received));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}{PATH}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, received })
    }

    /// Visitor messages received so far.
    pub fn messages(&self) -> u64 {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .messages
    }

    /// Forgets the latencies recorded so far (after warm-up).
    pub fn reset_latency(&self) {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .latency
            .reset();
    }

    /// Latencies, count and distinct ids of the visitor messages received.
    pub fn snapshot(&self) -> (Histogram<u64>, u64, usize) {
        let received = self.received.lock().unwrap_or_else(|p| p.into_inner());
        (
            received.latency.clone(),
            received.messages,
            received.distinct.len(),
        )
    }
}

async fn command(State(received): State<Arc<Mutex<Received>>>, body: Bytes) -> StatusCode {
    let Ok(Command::CreateMessage(message)) = serde_json::from_slice::<Command>(&body) else {
        return StatusCode::OK;
    };
    let mut received = received.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(latency) = clock::latency_us("v", &message.text) {
        let _ = received.latency.record(latency.max(1));
    }
    received.messages += 1;
    if received.distinct.insert(message.ext_id) {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    }
}
