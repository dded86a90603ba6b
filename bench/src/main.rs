//! `webchat-bench`: the load generator of `cargo xtask bench`.
//!
//! - `webchat-bench run [--quick] [--postgres URL] [--out PATH]` runs every scenario against the
//!   release `webchat-server` (SQLite, and PostgreSQL when a URL is given) and the bare
//!   baseline, prints the table and writes it to `PATH` (default `bench/RESULTS.md`);
//! - `webchat-bench baseline-server` is the baseline itself, started by `run`;
//! - `webchat-bench widget ...` is the widget bench (see `widget`), which writes its own
//!   section of the same file.

mod baseline;
mod clock;
mod fake;
mod load;
mod report;
mod scenarios;
mod server;
mod stats;
mod sustained;
mod widget;
use bench::tokens;

use anyhow::{Context, Result, bail};
use report::Results;
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: webchat-bench run [--quick] [--postgres URL] [--out PATH] | baseline-server | widget ...";

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
struct Plan {
    idle_sessions: usize,
    hold: Duration,
    active_sessions: usize,
    rate: u64,
    active: Duration,
    soak: Option<Duration>,
    /// Sustained throughput: how long, over how many sessions, at what rate per engine.
    sustained: Duration,
    sustained_sessions: usize,
    sqlite_rate: u64,
    postgres_rate: u64,
    token_iterations: u32,
}

const FULL: Plan = Plan {
    idle_sessions: 10_000,
    hold: Duration::from_secs(10),
    active_sessions: 1_000,
    rate: 1_000,
    active: Duration::from_secs(30),
    soak: Some(Duration::from_secs(60)),
    sustained: Duration::from_secs(600),
    sustained_sessions: 1_000,
    sqlite_rate: 5_000,
    postgres_rate: 2_000,
    token_iterations: 100_000,
};

/// A smoke run that checks the harness works, in well under a minute.
const QUICK: Plan = Plan {
    idle_sessions: 200,
    hold: Duration::from_secs(1),
    active_sessions: 50,
    rate: 200,
    active: Duration::from_secs(3),
    soak: None,
    sustained: Duration::from_secs(10),
    sustained_sessions: 200,
    sqlite_rate: 5_000,
    postgres_rate: 2_000,
    token_iterations: 10_000,
};

#[derive(Debug)]
struct Args {
    plan: Plan,
    quick: bool,
    postgres: Option<String>,
    out: PathBuf,
}

// One thread: the generator is pinned to one core, where a second worker thread would only
// add scheduler delays to the latencies it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("baseline-server") => baseline::serve().await,
        Some("run") => run(parse(args)?).await,
        Some("widget") => widget::run(args, machine(), commit()).await,
        _ => bail!("{USAGE}"),
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args> {
    let mut parsed = Args {
        plan: FULL,
        quick: false,
        postgres: None,
        out: PathBuf::from("bench/RESULTS.md"),
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--quick" => {
                parsed.plan = QUICK;
                parsed.quick = true;
            }
            "--postgres" => parsed.postgres = Some(args.next().context("--postgres needs a URL")?),
            "--out" => parsed.out = PathBuf::from(args.next().context("--out needs a path")?),
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    Ok(parsed)
}

async fn run(args: Args) -> Result<()> {
    let plan = args.plan;
    let scratch = tempfile::tempdir()?;
    let sqlite = |name: &str| {
        format!(
            "sqlite://{}",
            scratch.path().join(format!("{name}.db")).display()
        )
    };
    let mut databases = vec![("sqlite".to_owned(), sqlite("idle"), sqlite("active"))];
    if let Some(url) = &args.postgres {
        databases.push(("postgres".to_owned(), url.clone(), url.clone()));
    }
    let mut results = Results::default();

    eprintln!(
        "bench: token verification ({} iterations)",
        plan.token_iterations
    );
    results.tokens = Some(tokens::measure(plan.token_iterations));

    for (engine, idle_url, _) in &databases {
        eprintln!("bench: {} idle sessions on {engine}", plan.idle_sessions);
        let idle = scenarios::idle(Some(idle_url), plan.idle_sessions, plan.hold).await?;
        results.idle.push((format!("chat, {engine}"), idle));
    }
    eprintln!(
        "bench: {} idle sessions on the baseline",
        plan.idle_sessions
    );
    let idle = scenarios::idle(None, plan.idle_sessions, plan.hold).await?;
    results.idle.push(("baseline".to_owned(), idle));

    for (engine, _, active_url) in &databases {
        eprintln!(
            "bench: {} sessions at {}/s on {engine}",
            plan.active_sessions, plan.rate
        );
        let active = scenarios::active(
            Some(active_url),
            plan.active_sessions,
            plan.rate,
            plan.active,
        )
        .await?;
        results.active.push((format!("chat, {engine}"), active));
    }
    eprintln!(
        "bench: {} sessions at {}/s on the baseline",
        plan.active_sessions, plan.rate
    );
    let active = scenarios::active(None, plan.active_sessions, plan.rate, plan.active).await?;
    results.active.push(("baseline".to_owned(), active));

    if let Some(soak) = plan.soak {
        eprintln!("bench: soak, {}s on sqlite", soak.as_secs());
        let url = sqlite("soak");
        let active = scenarios::active(Some(&url), plan.active_sessions, plan.rate, soak).await?;
        results
            .active
            .push(("chat, sqlite, soak".to_owned(), active));
    }

    let sustained_runs = [
        ("sqlite", Some(sqlite("sustained")), plan.sqlite_rate),
        ("postgres", args.postgres.clone(), plan.postgres_rate),
    ];
    for (engine, url, rate) in sustained_runs {
        let Some(url) = url else { continue };
        eprintln!(
            "bench: sustained, {}s at {rate}/s on {engine}",
            plan.sustained.as_secs()
        );
        let run = sustained::run(&url, plan.sustained_sessions, rate, plan.sustained).await?;
        results.sustained.push((format!("chat, {engine}"), run));
    }

    let note = if args.quick {
        "Quick run (`--quick`): small sizes, for checking the harness only."
    } else {
        "Full run."
    };
    let text = report::markdown(&results, &machine(), &commit(), note);
    print!("{text}");
    std::fs::write(&args.out, &text)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("bench: written to {}", args.out.display());
    Ok(())
}

fn machine() -> String {
    // The machine's cores, not this process's: the generator itself is pinned to one.
    let cores = std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines()
                .filter(|line| line.starts_with("processor"))
                .count()
        })
        .unwrap_or(0);
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
