//! The measured scenarios: many idle sessions (memory per session, reconnect storm) and active
//! sessions at a fixed message rate (latencies, throughput, CPU, loss), each against the chat
//! server or the bare baseline.

use crate::console::{Consoles, Delivery};
use crate::cpu::CpuMeter;
use crate::fake::FakeCollaboration;
use crate::load::{Endpoint, Load};
use crate::operators;
use crate::others::{self, Others, Own};
use crate::server::{Database, ServerProcess, Target};
use crate::stats::rss_kib;
use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The core the server runs on; the generator is pinned to another by `cargo xtask bench`.
const SERVER_CORE: usize = 0;
/// The run name of the active runs' messages: their client ids are `load-N`.
const LOAD_RUN: &str = "load";
/// Longest wait for the last messages after the sending stops.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for the warm-up's messages to reach the collaboration server. Each session's
/// first message queues three commands (`createUser`, `createConversation`, `createMessage`),
/// so 10,000 sessions queue 30,000 at once, which the server on its one core delivers 256 at a
/// time at most (the bridge's `MAX_LANES`): on a slow moment that took longer than
/// `DRAIN_TIMEOUT` and stopped a full run, though none of it is measured.
const WARM_UP_FORWARD_TIMEOUT: Duration = Duration::from_secs(120);

/// Which site the chat serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A site with 1C: the chat forwards every conversation to a (fake) collaboration server,
    /// whose operator answers each visitor message through the inbound webhook.
    With1C,
    /// A site without 1C: its operators work in the console, and no one answers during the run.
    Without1C,
}

/// What an idle run measured.
#[derive(Debug)]
pub struct Idle {
    pub requested: usize,
    pub held: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub reconnect: Duration,
}

impl Idle {
    pub fn kib_per_session(&self) -> f64 {
        self.rss_after_kib.saturating_sub(self.rss_before_kib) as f64 / self.held.max(1) as f64
    }
}

/// What an active run measured.
#[derive(Debug)]
pub struct Active {
    pub sessions: usize,
    pub rate: u64,
    pub duration: Duration,
    pub sent: u64,
    pub acked: u64,
    /// Visitor message sent → acknowledged as stored (baseline: echoed).
    pub stored: Histogram<u64>,
    /// The same during warm-up, reported apart.
    pub warm_up: Histogram<u64>,
    /// Visitor message sent → received by the collaboration server.
    pub to_collaboration: Histogram<u64>,
    pub collaboration_received: u64,
    pub collaboration_distinct: usize,
    /// Messages the collaboration server should have got (warm-up included).
    pub collaboration_expected: u64,
    /// Operator reply posted → received by the visitor.
    pub to_visitor: Histogram<u64>,
    pub operator_sent: u64,
    pub operator_received: u64,
    pub cpu_seconds: f64,
    /// CPU time of the PostgreSQL server (all its processes) during the run; `None` on SQLite,
    /// whose work is in the chat server's `cpu_seconds`, and for the baseline.
    pub database_cpu_seconds: Option<f64>,
    pub rss_kib: u64,
    pub errors: u64,
    /// Each run's tail, in the order run: a run alone is one draw of this machine's noise,
    /// so several runs show how far one can be trusted.
    pub runs: Vec<RunTail>,
    /// Other processes' work on the machine during the run.
    pub others: Others,
    /// Visitor messages in flight during one of the others' bursts ([`Others::bursts`]).
    pub touched: u64,
    /// Sent → stored of the messages no burst touched.
    pub untouched: Histogram<u64>,
}

/// One run's p99 in microseconds; `None` where the run measured nothing (the baseline has no
/// collaboration server and no operator).
#[derive(Debug, Clone, Copy)]
pub struct RunTail {
    pub stored: Option<u64>,
    pub to_collaboration: Option<u64>,
    pub to_visitor: Option<u64>,
}

impl RunTail {
    fn of(active: &Active) -> Self {
        let p99 = |histogram: &Histogram<u64>| {
            (!histogram.is_empty()).then(|| histogram.value_at_quantile(0.99))
        };
        Self {
            stored: p99(&active.stored),
            to_collaboration: p99(&active.to_collaboration),
            to_visitor: p99(&active.to_visitor),
        }
    }
}

impl Active {
    /// Runs of one scenario as one: their latencies in one histogram each, their counts and
    /// CPU time summed, the largest RSS; `None` for no runs.
    pub fn combined(runs: Vec<Active>) -> Result<Option<Active>> {
        let mut runs = runs.into_iter();
        let Some(mut all) = runs.next() else {
            return Ok(None);
        };
        for run in runs {
            all.duration += run.duration;
            all.sent += run.sent;
            all.acked += run.acked;
            all.stored.add(&run.stored)?;
            all.warm_up.add(&run.warm_up)?;
            all.to_collaboration.add(&run.to_collaboration)?;
            all.collaboration_received += run.collaboration_received;
            all.collaboration_distinct += run.collaboration_distinct;
            all.collaboration_expected += run.collaboration_expected;
            all.to_visitor.add(&run.to_visitor)?;
            all.operator_sent += run.operator_sent;
            all.operator_received += run.operator_received;
            all.cpu_seconds += run.cpu_seconds;
            all.database_cpu_seconds = all
                .database_cpu_seconds
                .zip(run.database_cpu_seconds)
                .map(|(all, run)| all + run);
            all.rss_kib = all.rss_kib.max(run.rss_kib);
            all.errors += run.errors;
            all.runs.extend(run.runs);
            all.others.add(&run.others);
            all.touched += run.touched;
            all.untouched.add(&run.untouched)?;
        }
        Ok(Some(all))
    }

    pub fn stored_per_second(&self) -> f64 {
        self.acked as f64 / self.duration.as_secs_f64()
    }

    pub fn cpu_per_thousand(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.handled()
    }

    /// The PostgreSQL server's CPU seconds per 1,000 messages, where it was measured.
    pub fn database_cpu_per_thousand(&self) -> Option<f64> {
        Some(self.database_cpu_seconds? * 1000.0 / self.handled())
    }

    /// Messages the server took: the visitors' and the operators' replies.
    fn handled(&self) -> f64 {
        (self.acked + self.operator_received).max(1) as f64
    }
}

fn endpoint(server: &ServerProcess, target: &Target) -> Endpoint {
    match target {
        Target::Chat { .. } => Endpoint::Chat { api: server.api() },
        Target::Baseline => Endpoint::Baseline {
            ws: format!("{}/ws", server.base.replacen("http", "ws", 1)),
        },
    }
}

/// The chat on `database` for `site` (with 1C: beside a fresh fake collaboration server), or
/// the baseline.
pub async fn start(
    database: Option<&Database>,
    site: Site,
) -> Result<(ServerProcess, Target, Option<FakeCollaboration>)> {
    let (target, fake) = match database {
        Some(database) => {
            let fake = match site {
                Site::With1C => Some(FakeCollaboration::start().await?),
                Site::Without1C => None,
            };
            let target = Target::Chat {
                database: database.clone(),
                webhook_url: fake.as_ref().map(|fake| fake.url.clone()),
            };
            (target, fake)
        }
        None => (Target::Baseline, None),
    };
    let server = ServerProcess::start(&target, Some(SERVER_CORE)).await?;
    Ok((server, target, fake))
}

/// The chat on `database` with `sessions` sessions that each sent one message (so each has
/// a conversation), latencies and counts reset after that warm-up.
pub async fn warmed_up(
    database: &Database,
    sessions: usize,
) -> Result<(ServerProcess, Load, FakeCollaboration)> {
    let (server, target, fake) = start(Some(database), Site::With1C).await?;
    let fake = fake.context("a chat run has a fake collaboration server")?;
    let load = Load::open(&endpoint(&server, &target), sessions).await?;
    load.warm_up(DRAIN_TIMEOUT).await?;
    forwarded(&fake, sessions).await?;
    load.recorder.reset();
    fake.reset_latency();
    Ok((server, load, fake))
}

/// Waits until `fake` received the warm-up's `sessions` messages, so none of them counts in
/// the measured latencies.
async fn forwarded(fake: &FakeCollaboration, sessions: usize) -> Result<()> {
    let deadline = Instant::now() + WARM_UP_FORWARD_TIMEOUT;
    while fake.messages() < sessions as u64 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "warm-up: {} of {sessions} messages reached the collaboration server within {WARM_UP_FORWARD_TIMEOUT:?}",
            fake.messages()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Opens `sessions` idle sessions, holds them for `hold`, then reconnects them all at once.
pub async fn idle(database: Option<&Database>, sessions: usize, hold: Duration) -> Result<Idle> {
    let (server, target, _fake) = start(database, Site::With1C).await?;
    let endpoint = endpoint(&server, &target);
    let rss_before_kib = rss_kib(server.pid);
    let mut load = Load::open(&endpoint, sessions).await?;
    // Idle sessions are the point: nothing happens while they are held.
    tokio::time::sleep(hold).await;
    let held = load.held();
    let rss_after_kib = rss_kib(server.pid);
    let reconnect = load.reconnect_all(&endpoint).await?;
    drop(load);
    server.stop().await;
    Ok(Idle {
        requested: sessions,
        held,
        rss_before_kib,
        rss_after_kib,
        reconnect,
    })
}

/// Drives `sessions` sessions at `rate` messages per second for `duration`.
pub async fn active(
    database: Option<&Database>,
    sessions: usize,
    rate: u64,
    duration: Duration,
) -> Result<Active> {
    let (active, _) =
        active_with_consoles(database, Site::With1C, sessions, rate, duration, 0).await?;
    Ok(active)
}

/// [`active`] for `site` with `operator_sockets` operators' consoles connected (on the chat,
/// after the warm-up), each receiving every visitor message of the run; with what they
/// received. Without 1C, no operator answers.
pub async fn active_with_consoles(
    database: Option<&Database>,
    site: Site,
    sessions: usize,
    rate: u64,
    duration: Duration,
    operator_sockets: usize,
) -> Result<(Active, Option<Delivery>)> {
    let (server, target, fake) = start(database, site).await?;
    let endpoint = endpoint(&server, &target);
    let load = Load::open(&endpoint, sessions).await?;
    let recorder = &load.recorder;
    let mut consoles = None;
    if database.is_some() {
        load.warm_up(DRAIN_TIMEOUT).await?;
        if let Some(fake) = &fake {
            forwarded(fake, sessions).await?;
        }
        if operator_sockets > 0 {
            consoles = Some(open_consoles(&server, operator_sockets).await?);
        }
    }
    let warm_up = recorder
        .stored
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    recorder.reset();
    recorder.keep_ack_times();
    if let Some(fake) = &fake {
        fake.reset_latency();
    }
    let cpu = CpuMeter::start(server.pid, database.map(|database| database.url.as_str())).await?;
    let others = others::Meter::start(Own {
        pids: vec![std::process::id(), server.pid],
        postmaster: cpu.postmaster(),
    });
    let inbound = fake.as_ref().map(|_| server.inbound());
    let (sent, operator_sent) = load
        .drive(rate, duration, inbound.as_deref(), LOAD_RUN)
        .await;
    let collaboration_expected = sent + if fake.is_some() { sessions as u64 } else { 0 };
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    while Instant::now() < deadline {
        let acked = recorder.acks.load(Ordering::Relaxed) >= sent;
        let replied = recorder.operator_messages.load(Ordering::Relaxed) >= operator_sent;
        let forwarded = fake
            .as_ref()
            .is_none_or(|fake| fake.messages() >= collaboration_expected);
        let at_consoles = consoles
            .as_ref()
            .is_none_or(|consoles| consoles.all_received(sent));
        if acked && replied && forwarded && at_consoles {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu = cpu.spent();
    let others = others.stop();
    let bursts = others.bursts();
    let (touched, untouched) = others::untouched(
        &recorder.acks_at.lock().unwrap_or_else(|p| p.into_inner()),
        &bursts,
    );
    let rss_kib = rss_kib(server.pid);
    let (to_collaboration, collaboration_received, collaboration_distinct) = match &fake {
        Some(fake) => fake.snapshot(),
        None => (crate::stats::histogram(), 0, 0),
    };
    let mut report = Active {
        sessions,
        rate,
        duration,
        sent,
        acked: recorder.acks.load(Ordering::Relaxed),
        stored: recorder
            .stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        warm_up,
        to_collaboration,
        collaboration_received,
        collaboration_distinct,
        collaboration_expected,
        to_visitor: recorder
            .delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        operator_sent,
        operator_received: recorder.operator_messages.load(Ordering::Relaxed),
        cpu_seconds: cpu.server,
        database_cpu_seconds: cpu.database,
        rss_kib,
        errors: recorder.errors.load(Ordering::Relaxed),
        runs: Vec::new(),
        others,
        touched,
        untouched,
    };
    report.runs.push(RunTail::of(&report));
    let delivery = consoles
        .as_ref()
        .map(|consoles| consoles.delivery(sent, &bursts));
    drop(consoles);
    drop(load);
    server.stop().await;
    Ok((report, delivery))
}

/// `count` operators of the bench integration, added and logged in, with a socket each;
/// recording the messages [`Load::drive`] sends as its run [`LOAD_RUN`].
async fn open_consoles(server: &ServerProcess, count: usize) -> Result<Consoles> {
    let http = reqwest::Client::new();
    // The PostgreSQL runs share one database, where e-mails of earlier runs are taken.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        .to_string();
    let operators = operators::logged_in(server, &http, count, &run).await?;
    Consoles::open(&server.base, &operators, &format!("{LOAD_RUN}-")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run whose latencies were `stored` and `to_visitor` µs, with `sent` messages.
    fn run(stored: &[u64], to_visitor: &[u64], sent: u64, rss_kib: u64) -> Active {
        let histogram = |values: &[u64]| {
            let mut histogram = crate::stats::histogram();
            for value in values {
                histogram.record(*value).unwrap();
            }
            histogram
        };
        let mut active = Active {
            sessions: 10,
            rate: 100,
            duration: Duration::from_secs(30),
            sent,
            acked: sent,
            stored: histogram(stored),
            warm_up: histogram(&[]),
            to_collaboration: histogram(&[]),
            collaboration_received: 0,
            collaboration_distinct: 0,
            collaboration_expected: 0,
            to_visitor: histogram(to_visitor),
            operator_sent: sent,
            operator_received: sent,
            cpu_seconds: 1.5,
            database_cpu_seconds: Some(0.5),
            rss_kib,
            errors: 1,
            runs: Vec::new(),
            others: Others {
                windows: vec![crate::others::Window {
                    start: 0,
                    programs: 6_000_000,
                    kernel: 0,
                }],
                by_name: [("agent".to_owned(), 6_000_000)].into(),
            },
            touched: 1,
            untouched: histogram(stored),
        };
        active.runs.push(RunTail::of(&active));
        active
    }

    #[test]
    fn runs_combined_keep_every_latency_and_each_runs_tail() {
        let first = run(&[1_000, 2_000], &[3_000], 2, 500);
        let second = run(&[9_000], &[4_000, 5_000], 1, 700);
        let all = Active::combined(vec![first, second]).unwrap().unwrap();
        assert_eq!((all.sent, all.acked, all.operator_received), (3, 3, 3));
        assert_eq!(all.duration, Duration::from_secs(60));
        assert_eq!((all.cpu_seconds, all.rss_kib, all.errors), (3.0, 700, 2));
        assert_eq!(all.database_cpu_seconds, Some(1.0));
        assert_eq!(all.database_cpu_per_thousand(), Some(1.0 * 1000.0 / 6.0));
        assert_eq!(all.stored.len(), 3);
        assert_eq!(all.stored.max(), all.stored.highest_equivalent(9_000));
        assert_eq!(all.to_visitor.len(), 3);
        assert_eq!((all.touched, all.untouched.len()), (2, 3));
        assert_eq!(all.others.windows.len(), 2);
        assert_eq!(all.others.by_name["agent"], 12_000_000);
        let tails: Vec<_> = all.runs.iter().map(|run| run.stored).collect();
        assert_eq!(
            tails,
            [
                Some(all.stored.highest_equivalent(2_000)),
                Some(all.stored.highest_equivalent(9_000))
            ]
        );
        assert_eq!(all.runs[0].to_collaboration, None, "nothing was forwarded");
        assert!(Active::combined(Vec::new()).unwrap().is_none());
    }
}
