//! `webchat-bench`: the load generator of `cargo xtask bench` (`webchat-bench --help`; the
//! command line is in `cli`). `run` runs the scenarios against the release `webchat-server`
//! and the bare baseline and writes the table; `baseline-server` and `pauses` are the helper
//! processes `run` starts; `widget` is the widget bench (see `widget`), which writes its own
//! section of the same file.

mod baseline;
mod cli;
mod clock;
mod console;
mod cpu;
mod database;
mod fake;
mod inbox;
mod inbox_seed;
mod load;
mod operators;
mod others;
mod pauses;
mod plan;
mod query_plan;
mod report;
mod scenarios;
mod server;
mod settle;
mod stats;
mod sustained;
mod widget;
use bench::tokens;

use anyhow::{Context, Result};
use clap::Parser;
use cli::{Cli, Command, RunArgs, Scenario, Server, names};
use console::Delivery;
use plan::Plan;
use report::Results;
use scenarios::{Active, Site};
use server::Database;
use std::time::Duration;

// One thread: the generator is pinned to one core, where a second worker thread would only
// add scheduler delays to the latencies it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::BaselineServer => baseline::serve().await,
        Command::Pauses { seconds } => {
            pauses::watch(Duration::from_secs(seconds));
            Ok(())
        }
        Command::Run(args) => run(args).await,
        Command::Widget(args) => widget::run(args, machine(), commit()).await,
    }
}

async fn run(args: RunArgs) -> Result<()> {
    let plan = args.plan();
    let scratch = tempfile::tempdir()?;
    let sqlite = |name: &str| {
        Database::durable(format!(
            "sqlite://{}",
            scratch.path().join(format!("{name}.db")).display()
        ))
    };
    let mut databases = Vec::new();
    if args.serves(Server::Sqlite) {
        databases.push(("sqlite".to_owned(), sqlite("idle"), sqlite("active")));
    }
    if let Some(url) = args
        .postgres
        .as_ref()
        .filter(|_| args.serves(Server::Postgres))
    {
        let database = Database::durable(url.clone());
        databases.push(("postgres".to_owned(), database.clone(), database));
    }
    let mut ceilings = Vec::new();
    if args.serves(Server::SqliteNormal) {
        let database = Database {
            sqlite_synchronous: "normal",
            ..sqlite("ceiling")
        };
        ceilings.push((
            "sqlite, synchronous=NORMAL (ceiling, not durable)".to_owned(),
            database,
        ));
    }
    if let Some(url) =
        (args.postgres_ceiling.as_ref()).filter(|_| args.serves(Server::PostgresFsyncOff))
    {
        ceilings.push((
            "postgres, fsync=off (ceiling, not durable)".to_owned(),
            Database::durable(url.clone()),
        ));
    }
    let baseline = args.serves(Server::Baseline);
    let mut results = Results::default();

    eprintln!(
        "bench: watching each core for pauses ({}s)",
        plan.pauses.as_secs()
    );
    results.pauses = pauses::measure(cores(), plan.pauses).await?;

    if args.runs(Scenario::Tokens) {
        eprintln!(
            "bench: token verification ({} iterations)",
            plan.token_iterations
        );
        results.tokens = Some(tokens::measure(plan.token_iterations));
    }
    if args.runs(Scenario::Idle) {
        idle_scenarios(&mut results, &databases, baseline, plan).await?;
    }
    if args.runs(Scenario::Active) {
        active_scenarios(&mut results, &databases, &ceilings, baseline, plan).await?;
    }
    if args.runs(Scenario::Console) {
        console_scenarios(&mut results, &databases, plan).await?;
    }
    if args.runs(Scenario::Inbox) {
        let engines = [
            (Server::Sqlite, Some(sqlite("inbox").url)),
            (Server::Postgres, args.postgres.clone()),
        ];
        for (engine, url) in engines {
            let Some(url) = url.filter(|_| args.serves(engine)) else {
                continue;
            };
            eprintln!(
                "bench: inbox at {} conversations on {engine}",
                plan.inbox_conversations
            );
            let inbox = inbox_scenario(engine, url, plan).await?;
            results.inbox.push((format!("chat, {engine}"), inbox));
        }
    }
    if let Some(soak) = plan
        .soak
        .filter(|_| args.runs(Scenario::Soak) && args.serves(Server::Sqlite))
    {
        eprintln!("bench: soak, {}s on sqlite", soak.as_secs());
        let url = sqlite("soak");
        let active = scenarios::active(Some(&url), plan.active_sessions, plan.rate, soak).await?;
        results
            .active
            .push(("chat, sqlite, soak".to_owned(), active));
    }
    if args.runs(Scenario::Sustained) {
        let sustained_runs = [
            (Server::Sqlite, Some(sqlite("sustained")), plan.sqlite_rate),
            (
                Server::Postgres,
                args.postgres.clone().map(Database::durable),
                plan.postgres_rate,
            ),
        ];
        for (engine, url, rate) in sustained_runs {
            let Some(url) = url.filter(|_| args.serves(engine)) else {
                continue;
            };
            eprintln!(
                "bench: sustained, {}s at {rate}/s on {engine}",
                plan.sustained.as_secs()
            );
            let run = sustained::run(&url, plan.sustained_sessions, rate, plan.sustained).await?;
            results.sustained.push((format!("chat, {engine}"), run));
        }
    }

    let note = match (args.quick, args.partial()) {
        (true, _) => {
            "Quick run (`--quick`): small sizes, for checking the harness only.".to_owned()
        }
        (false, true) => format!(
            "Partial run: {} on {}.",
            names(&args.only),
            names(&args.servers)
        ),
        (false, false) => "Full run.".to_owned(),
    };
    let text = report::markdown(&results, &machine(), &commit(), &note);
    print!("{text}");
    std::fs::write(&args.out, &text)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("bench: written to {}", args.out.display());
    Ok(())
}

/// Engines as (name, database for the idle run, database for the active run).
type Databases = [(String, Database, Database)];

/// Idle sessions and the reconnect storm on each engine and on the baseline if asked.
async fn idle_scenarios(
    results: &mut Results,
    databases: &Databases,
    baseline: bool,
    plan: Plan,
) -> Result<()> {
    for (engine, idle_database, _) in databases {
        eprintln!("bench: {} idle sessions on {engine}", plan.idle_sessions);
        let idle = scenarios::idle(Some(idle_database), plan.idle_sessions, plan.hold).await?;
        results.idle.push((format!("chat, {engine}"), idle));
    }
    if !baseline {
        return Ok(());
    }
    eprintln!(
        "bench: {} idle sessions on the baseline",
        plan.idle_sessions
    );
    let idle = scenarios::idle(None, plan.idle_sessions, plan.hold).await?;
    results.idle.push(("baseline".to_owned(), idle));
    Ok(())
}

/// Active sessions at the planned rate on each engine, on the ceilings (named databases with
/// durability off) and on the baseline if asked, each [`Plan::active_runs`] times: at
/// [`Plan::active_sessions`], then at the budget's load.
async fn active_scenarios(
    results: &mut Results,
    databases: &Databases,
    ceilings: &[(String, Database)],
    baseline: bool,
    plan: Plan,
) -> Result<()> {
    let engines = databases
        .iter()
        .map(|(engine, _, database)| (format!("chat, {engine}"), Some(database)));
    let ceilings = ceilings
        .iter()
        .map(|(name, database)| (format!("chat, {name}"), Some(database)));
    let baseline = baseline.then(|| ("baseline".to_owned(), None));
    let servers: Vec<(String, Option<&Database>)> =
        engines.chain(ceilings).chain(baseline).collect();
    for sessions in std::iter::once(plan.active_sessions).chain(plan.budget_sessions) {
        for (name, database) in &servers {
            let mut runs = Vec::with_capacity(plan.active_runs);
            for run in 1..=plan.active_runs {
                eprintln!(
                    "bench: {sessions} sessions at {}/s on {name}, run {run} of {}",
                    plan.rate, plan.active_runs
                );
                runs.push(scenarios::active(*database, sessions, plan.rate, plan.active).await?);
            }
            if let Some(active) = Active::combined(runs)? {
                results.active.push((name.clone(), active));
            }
        }
    }
    Ok(())
}

/// The active load at the budget's sessions (or `--sessions`) with [`Plan::operator_sockets`]
/// consoles connected, on each engine, for a site without 1C (the budget's load) and one with
/// it, [`Plan::active_runs`] times each.
async fn console_scenarios(results: &mut Results, databases: &Databases, plan: Plan) -> Result<()> {
    let sessions = plan.budget_sessions.unwrap_or(plan.active_sessions);
    for (engine, _, database) in databases {
        for (site, beside) in [(Site::Without1C, "without 1C"), (Site::With1C, "with 1C")] {
            let mut runs = Vec::with_capacity(plan.active_runs);
            let mut delivered: Option<Delivery> = None;
            for run in 1..=plan.active_runs {
                eprintln!(
                    "bench: {sessions} sessions at {}/s with {} consoles on {engine} {beside}, run {run} of {}",
                    plan.rate, plan.operator_sockets, plan.active_runs
                );
                let (active, delivery) = scenarios::active_with_consoles(
                    Some(database),
                    site,
                    sessions,
                    plan.rate,
                    plan.active,
                    plan.operator_sockets,
                )
                .await?;
                let delivery =
                    delivery.context("a chat run with consoles reports their delivery")?;
                match &mut delivered {
                    Some(all) => all.add(&delivery)?,
                    None => delivered = Some(delivery),
                }
                runs.push(active);
            }
            if let (Some(active), Some(delivery)) = (Active::combined(runs)?, delivered) {
                results
                    .console
                    .push((format!("chat, {engine}, {beside}"), active, delivery));
            }
        }
    }
    Ok(())
}

/// The inbox run on `engine`: on SQLite in the file `url` names, on PostgreSQL in a database of
/// its own on the server `url` names, dropped afterwards.
async fn inbox_scenario(engine: Server, url: String, plan: Plan) -> Result<inbox::Inbox> {
    let inbox_plan = inbox::InboxPlan {
        conversations: plan.inbox_conversations,
        requests: plan.inbox_requests,
        concurrency: plan.inbox_concurrency,
    };
    if engine != Server::Postgres {
        return inbox::run(&Database::durable(url), inbox_plan).await;
    }
    const SCRATCH: &str = "webchat_bench_inbox";
    let scratch = database::scratch_postgres(&url, SCRATCH).await?;
    let inbox = inbox::run(&Database::durable(scratch), inbox_plan).await;
    database::drop_postgres(&url, SCRATCH).await?;
    inbox
}

/// The machine's cores, not this process's: the generator itself is pinned to one.
fn cores() -> usize {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines()
                .filter(|line| line.starts_with("processor"))
                .count()
        })
        .unwrap_or(0)
}

fn machine() -> String {
    let cores = cores();
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let kib: f64 = info
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some(kib / 1024.0 / 1024.0)
        })
        .unwrap_or(0.0);
    format!("{cores} cores, {memory_gib:.1} GiB memory")
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
