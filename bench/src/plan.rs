//! The sizes of a bench run: the full run the budgets are judged on and the quick smoke run;
//! `cli` applies the command line's overrides.

use std::time::Duration;

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// How long each core is watched for pauses before the scenarios.
    pub pauses: Duration,
    pub idle_sessions: usize,
    pub hold: Duration,
    pub active_sessions: usize,
    /// The latency budget's load (sessions at the same rate), run after the active runs.
    pub budget_sessions: Option<usize>,
    pub rate: u64,
    pub active: Duration,
    /// Times each active run is repeated: one run's p99 moves by about a millisecond from run
    /// to run on the bench machine.
    pub active_runs: usize,
    pub soak: Option<Duration>,
    /// Sustained throughput: how long, over how many sessions, at what rate per engine.
    pub sustained: Duration,
    pub sustained_sessions: usize,
    pub sqlite_rate: u64,
    pub postgres_rate: u64,
    pub token_iterations: u32,
    /// Operator consoles connected in the console scenario (at the budget's load).
    pub operator_sockets: usize,
    /// The inbox scenario: conversations seeded, first pages asked for per view, how many at
    /// once.
    pub inbox_conversations: u64,
    pub inbox_requests: usize,
    pub inbox_concurrency: usize,
}

pub const FULL: Plan = Plan {
    pauses: Duration::from_secs(10),
    idle_sessions: 10_000,
    hold: Duration::from_secs(10),
    active_sessions: 1_000,
    budget_sessions: Some(10_000),
    rate: 1_000,
    active: Duration::from_secs(30),
    active_runs: 3,
    soak: Some(Duration::from_secs(60)),
    sustained: Duration::from_secs(600),
    sustained_sessions: 1_000,
    sqlite_rate: 5_000,
    postgres_rate: 2_000,
    token_iterations: 100_000,
    operator_sockets: 20,
    inbox_conversations: 100_000,
    inbox_requests: 1_000,
    inbox_concurrency: 4,
};

/// A smoke run that checks the harness works, in well under a minute.
pub const QUICK: Plan = Plan {
    pauses: Duration::from_secs(2),
    idle_sessions: 200,
    hold: Duration::from_secs(1),
    active_sessions: 50,
    budget_sessions: None,
    rate: 200,
    active: Duration::from_secs(3),
    active_runs: 1,
    soak: None,
    sustained: Duration::from_secs(10),
    sustained_sessions: 200,
    sqlite_rate: 5_000,
    postgres_rate: 2_000,
    token_iterations: 10_000,
    operator_sockets: 3,
    inbox_conversations: 2_000,
    inbox_requests: 50,
    inbox_concurrency: 2,
};
