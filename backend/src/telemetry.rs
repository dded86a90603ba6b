//! The server's metrics, recorded through the small named functions here (other code never
//! names a metric) and rendered in the Prometheus text format for `GET /metrics`. Counters and
//! histograms live in one process-wide recorder of the `metrics` crate; the figures of one
//! server's outbox (depth, age, dead letters, last error) are read from its state at each scrape
//! and rendered by a recorder made for that scrape, so they are never stale and cost nothing
//! between scrapes. The hot path (a visitor's message stored and acknowledged) goes through
//! handles registered once, so it takes no lookup and no allocation for labels.

use metrics::{Counter, Gauge, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Open WebSocket sessions of visitors.
const SESSIONS_OPEN: &str = "webchat_sessions_open";
/// Visitors' messages stored (acknowledged).
const MESSAGES_IN: &str = "webchat_messages_in_total";
/// Operators' messages from the collaboration server, stored and sent on to visitors.
const MESSAGES_OUT: &str = "webchat_messages_out_total";
/// From a visitor's `send` frame to its acknowledgement.
const ACK_LATENCY: &str = "webchat_ack_latency_seconds";
/// Messages in each batch the writer committed.
const STORE_BATCH: &str = "webchat_store_batch_messages";
/// How long the writer took to store and commit each batch.
const STORE_COMMIT: &str = "webchat_store_commit_seconds";
/// Frames refused by a rate limit, by frame kind.
const RATE_LIMITED: &str = "webchat_rate_limited_total";
/// Matching-key tokens refused, by reason.
const TOKENS_REJECTED: &str = "webchat_tokens_rejected_total";
/// Commands the collaboration server took, by integration.
const DELIVERED: &str = "webchat_deliveries_total";
/// Failed delivery attempts, by integration and kind.
const DELIVERIES_FAILED: &str = "webchat_deliveries_failed_total";
/// Commands set aside as dead letters, by integration.
const SET_ASIDE: &str = "webchat_dead_letters_total";
const OUTBOX_DEPTH: &str = "webchat_outbox_depth";
const OUTBOX_OLDEST_AGE: &str = "webchat_outbox_oldest_age_seconds";
const OUTBOX_DEAD_LETTERS: &str = "webchat_outbox_dead_letters";
const OUTBOX_BACKLOG_ALERT: &str = "webchat_outbox_backlog_alert";
const OUTBOX_LAST_ERROR: &str = "webchat_outbox_last_error_info";

/// Acknowledgement latency buckets, in seconds: the budget is a few milliseconds.
const ACK_BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002, 0.003, 0.005, 0.007_5, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Batch size buckets, in messages: a batch holds at most 256.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// How often histogram samples are folded into their buckets between scrapes, so an
/// unscraped server does not keep them.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Handles of the metrics the hot path records.
#[derive(Debug)]
struct Hot {
    sessions_open: Gauge,
    messages_in: Counter,
    messages_out: Counter,
    ack_latency: Histogram,
    store_batch: Histogram,
    store_commit: Histogram,
}

#[derive(Debug)]
struct Installed {
    handle: PrometheusHandle,
    hot: Hot,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Installs the process-wide recorder, once; later calls do nothing. Until it runs, every
/// recording function here does nothing.
pub fn install() {
    INSTALLED.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(ACK_LATENCY.into()), &ACK_BUCKETS)
            .expect("the acknowledgement buckets are not empty")
            .set_buckets_for_metric(Matcher::Full(STORE_BATCH.into()), &BATCH_BUCKETS)
            .expect("the batch buckets are not empty")
            .set_buckets_for_metric(Matcher::Full(STORE_COMMIT.into()), &ACK_BUCKETS)
            .expect("the commit buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed: /metrics shows only the outbox");
        }
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start the metrics upkeep thread");
        }
        metrics::describe_gauge!(SESSIONS_OPEN, "Open WebSocket sessions of visitors.");
        metrics::describe_counter!(MESSAGES_IN, "Visitors' messages stored.");
        metrics::describe_counter!(
            MESSAGES_OUT,
            "Operators' messages from the collaboration server, stored and sent to visitors."
        );
        metrics::describe_histogram!(
            ACK_LATENCY,
            metrics::Unit::Seconds,
            "From a visitor's send frame to its acknowledgement, for new messages."
        );
        metrics::describe_histogram!(
            STORE_BATCH,
            "Messages (visitors' and operators') in each batch the writer committed: a commit \
             and its flush serve them all."
        );
        metrics::describe_histogram!(
            STORE_COMMIT,
            metrics::Unit::Seconds,
            "How long the writer took to store and commit each batch, its flush to disk included."
        );
        metrics::describe_counter!(
            RATE_LIMITED,
            "Frames, requests and connections refused by a limit, by limit."
        );
        metrics::describe_counter!(TOKENS_REJECTED, "Matching-key tokens refused, by reason.");
        metrics::describe_counter!(DELIVERED, "Commands the collaboration server took.");
        metrics::describe_counter!(DELIVERIES_FAILED, "Failed delivery attempts, by kind.");
        metrics::describe_counter!(SET_ASIDE, "Commands set aside as dead letters.");
        Installed {
            handle,
            hot: Hot {
                sessions_open: metrics::gauge!(SESSIONS_OPEN),
                messages_in: metrics::counter!(MESSAGES_IN),
                messages_out: metrics::counter!(MESSAGES_OUT),
                ack_latency: metrics::histogram!(ACK_LATENCY),
                store_batch: metrics::histogram!(STORE_BATCH),
                store_commit: metrics::histogram!(STORE_COMMIT),
            },
        }
    });
}

fn hot() -> Option<&'static Hot> {
    INSTALLED.get().map(|installed| &installed.hot)
}

/// Counts an open session until dropped.
#[derive(Debug)]
#[must_use = "the session counts as open while this lives"]
pub struct OpenSession(());

impl Drop for OpenSession {
    fn drop(&mut self) {
        if let Some(hot) = hot() {
            hot.sessions_open.decrement(1.0);
        }
    }
}

/// A visitor's session opened; it counts as open until the returned guard is dropped.
pub fn session_opened() -> OpenSession {
    if let Some(hot) = hot() {
        hot.sessions_open.increment(1.0);
    }
    OpenSession(())
}

/// When a visitor's `send` frame began to be handled.
#[derive(Debug, Clone, Copy)]
pub struct SendStarted(Instant);

/// A visitor's `send` frame is being handled (see [`visitor_message_stored`]).
pub fn send_started() -> SendStarted {
    SendStarted(Instant::now())
}

/// A visitor's new message was stored and is acknowledged now.
pub fn visitor_message_stored(started: SendStarted) {
    if let Some(hot) = hot() {
        hot.messages_in.increment(1);
        hot.ack_latency.record(started.0.elapsed().as_secs_f64());
    }
}

/// An operator's message from the collaboration server was stored and goes to the visitor.
pub fn operator_message_sent() {
    if let Some(hot) = hot() {
        hot.messages_out.increment(1);
    }
}

/// The writer committed a batch of `messages`, which `took` to store and commit.
pub fn batch_committed(messages: usize, took: Duration) {
    if let Some(hot) = hot() {
        hot.store_batch.record(messages as f64);
        hot.store_commit.record(took.as_secs_f64());
    }
}

/// A limit refused a frame, a request or a connection: `limit` is its name (`messages`,
/// `changes`, `frames`, `new_visitors`, `sessions_per_visitor`, `connections_per_ip`,
/// `sockets_per_operator`, and the names of [`crate::net::ratelimit::Limit`]).
pub fn rate_limited(limit: &'static str) {
    metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// A matching-key token was refused for `reason` (see `TokenError::reason`).
pub fn token_rejected(reason: &'static str) {
    metrics::counter!(TOKENS_REJECTED, "reason" => reason).increment(1);
}

/// A delivery attempt to `integration`'s collaboration server failed; `kind` names why.
pub fn delivery_failed(integration: &str, kind: &'static str) {
    metrics::counter!(DELIVERIES_FAILED, "integration" => integration.to_owned(), "kind" => kind)
        .increment(1);
}

/// A command to `integration` was set aside as a dead letter.
pub fn set_aside(integration: &str) {
    metrics::counter!(SET_ASIDE, "integration" => integration.to_owned()).increment(1);
}

/// The count of commands one integration's collaboration server took, registered once.
pub fn deliveries(integration: &str) -> Counter {
    metrics::counter!(DELIVERED, "integration" => integration.to_owned())
}

/// One integration's outbox as a scrape shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxGauges<'a> {
    pub integration: &'a str,
    pub depth: i64,
    pub oldest_age: Option<Duration>,
    pub dead_letters: i64,
    /// Past `outbox_alert_age_secs` or `outbox_alert_depth`.
    pub backlog_alert: bool,
    pub last_error: Option<LastFailure>,
}

/// The last failed delivery attempt to one collaboration server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastFailure {
    pub kind: &'static str,
    pub text: String,
    /// When, in milliseconds since the epoch.
    pub at_ms: i64,
}

/// The whole scrape: the process-wide metrics, then `outboxes`.
pub fn render(outboxes: &[OutboxGauges<'_>]) -> String {
    let mut text = INSTALLED
        .get()
        .map(|installed| installed.handle.render())
        .unwrap_or_default();
    let scrape = PrometheusBuilder::new().build_recorder();
    let handle = scrape.handle();
    metrics::with_local_recorder(&scrape, || {
        metrics::describe_gauge!(OUTBOX_DEPTH, "Commands not delivered yet.");
        metrics::describe_gauge!(
            OUTBOX_OLDEST_AGE,
            metrics::Unit::Seconds,
            "Age of the oldest command not delivered yet."
        );
        metrics::describe_gauge!(OUTBOX_DEAD_LETTERS, "Commands set aside as dead letters.");
        metrics::describe_gauge!(
            OUTBOX_BACKLOG_ALERT,
            "1 while the outbox is past outbox_alert_age_secs or outbox_alert_depth."
        );
        metrics::describe_gauge!(
            OUTBOX_LAST_ERROR,
            "The last failed delivery attempt (kind and text); the value is when, in Unix seconds."
        );
        for outbox in outboxes {
            let integration = || ("integration", outbox.integration.to_owned());
            gauge_of(OUTBOX_DEPTH, integration()).set(outbox.depth as f64);
            gauge_of(OUTBOX_DEAD_LETTERS, integration()).set(outbox.dead_letters as f64);
            gauge_of(OUTBOX_BACKLOG_ALERT, integration())
                .set(f64::from(u8::from(outbox.backlog_alert)));
            let age = outbox.oldest_age.unwrap_or_default().as_secs_f64();
            gauge_of(OUTBOX_OLDEST_AGE, integration()).set(age);
            if let Some(failure) = &outbox.last_error {
                let labels = [
                    ("integration", outbox.integration.to_owned()),
                    ("kind", failure.kind.to_owned()),
                    ("error", failure.text.clone()),
                ];
                // The value says when: an info series whose text changes stays one series.
                metrics::gauge!(OUTBOX_LAST_ERROR, &labels).set(failure.at_ms as f64 / 1000.0);
            }
        }
    });
    text.push_str(&handle.render());
    text
}

fn gauge_of(name: &'static str, (key, value): (&'static str, String)) -> Gauge {
    metrics::gauge!(name, key => value)
}
