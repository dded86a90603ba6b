//! `webchat-bench`: the load generator of `cargo xtask bench`.
//!
//! - `webchat-bench run [--quick] [--only SCENARIOS] [--seconds N] [--sessions N] [--rate N]
//!   [--postgres URL] [--out PATH]`
//!   runs the scenarios against the release `webchat-server` (SQLite, and PostgreSQL when a URL
//!   is given) and the bare baseline, prints the table and writes it to `PATH` (default
//!   `bench/RESULTS.md`). `--only` takes a comma-separated subset of `tokens`, `idle`,
//!   `active`, `soak`, `sustained`; `--seconds` overrides the length of the active, soak and
//!   sustained runs (to reproduce one scenario under a profiler), `--sessions` the number of
//!   sessions of the active and soak runs (a full run has active runs at 1,000 sessions, then
//!   at 10,000, the latency budget's load; with `--sessions` only at the number given),
//!   `--rate` the messages per second of the sustained runs on both engines (to find where one
//!   falls behind), `--runs` how many times each active run is repeated (3 in a full run; the
//!   table shows the runs together and each run's p99), `--servers` a comma-separated subset of
//!   `sqlite`, `postgres`, `baseline`, `sqlite-normal`, `postgres-fsync-off` to run (to compare
//!   two builds of one engine quickly). The last two are the ceiling rows of the active runs:
//!   SQLite with `sqlite_synchronous = "normal"` and PostgreSQL on the server given by
//!   `--postgres-ceiling URL` (one started with fsync off), both not durable across a power
//!   cut, shown beside the durable rows the budgets are judged on;
//! - `webchat-bench baseline-server` is the baseline itself, started by `run`;
//! - `webchat-bench pauses SECONDS` watches the core it runs on for pauses (see `pauses`),
//!   started by `run` on each core before the scenarios;
//! - `webchat-bench widget ...` is the widget bench (see `widget`), which writes its own
//!   section of the same file.

mod baseline;
mod clock;
mod fake;
mod load;
mod pauses;
mod report;
mod scenarios;
mod server;
mod stats;
mod sustained;
mod widget;
use bench::tokens;

use anyhow::{Context, Result, bail};
use report::Results;
use scenarios::Active;
use server::Database;
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: webchat-bench run [--quick] [--only SCENARIOS] [--seconds N] [--sessions N] [--rate N] \
                     [--runs N] [--servers SERVERS] [--postgres URL] [--postgres-ceiling URL] [--out PATH] | baseline-server | \
                     pauses SECONDS | widget ...";

/// The scenarios `--only` can pick, in the order they run.
const SCENARIOS: [&str; 5] = ["tokens", "idle", "active", "soak", "sustained"];

/// The servers `--servers` can pick: the chat on each engine with durable commits, the
/// baseline, and the active runs' ceilings with durability off.
const SERVERS: [&str; 5] = [
    "sqlite",
    "postgres",
    "baseline",
    "sqlite-normal",
    "postgres-fsync-off",
];

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// How long each core is watched for pauses before the scenarios.
    pauses: Duration,
    idle_sessions: usize,
    hold: Duration,
    active_sessions: usize,
    /// The latency budget's load (sessions at the same rate), run after the active runs.
    budget_sessions: Option<usize>,
    rate: u64,
    active: Duration,
    /// Times each active run is repeated: one run's p99 moves by about a millisecond from run
    /// to run on the bench machine.
    active_runs: usize,
    soak: Option<Duration>,
    /// Sustained throughput: how long, over how many sessions, at what rate per engine.
    sustained: Duration,
    sustained_sessions: usize,
    sqlite_rate: u64,
    postgres_rate: u64,
    token_iterations: u32,
}

const FULL: Plan = Plan {
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
};

/// A smoke run that checks the harness works, in well under a minute.
const QUICK: Plan = Plan {
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
};

#[derive(Debug)]
struct Args {
    plan: Plan,
    quick: bool,
    /// The scenarios to run: all of [`SCENARIOS`] unless `--only` names some.
    only: Vec<String>,
    /// The servers to run: all of [`SERVERS`] unless `--servers` names some.
    servers: Vec<String>,
    postgres: Option<String>,
    /// A PostgreSQL server with durability off, for the ceiling row.
    postgres_ceiling: Option<String>,
    out: PathBuf,
}

impl Args {
    fn runs(&self, scenario: &str) -> bool {
        self.only.iter().any(|name| name == scenario)
    }

    fn serves(&self, server: &str) -> bool {
        self.servers.iter().any(|name| name == server)
    }
}

// One thread: the generator is pinned to one core, where a second worker thread would only
// add scheduler delays to the latencies it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("baseline-server") => baseline::serve().await,
        Some("pauses") => {
            let seconds = number(&mut args, "pauses", "seconds")?;
            pauses::watch(Duration::from_secs(seconds));
            Ok(())
        }
        Some("run") => run(parse(args)?).await,
        Some("widget") => widget::run(args, machine(), commit()).await,
        _ => bail!("{USAGE}"),
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args> {
    let mut parsed = Args {
        plan: FULL,
        quick: false,
        only: SCENARIOS.iter().map(|name| (*name).to_owned()).collect(),
        servers: SERVERS.iter().map(|name| (*name).to_owned()).collect(),
        postgres: None,
        postgres_ceiling: None,
        out: PathBuf::from("bench/RESULTS.md"),
    };
    let mut length = None;
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--quick" => {
                parsed.plan = QUICK;
                parsed.quick = true;
            }
            "--only" => parsed.only = names(&mut args, "--only", "scenario", &SCENARIOS)?,
            "--servers" => parsed.servers = names(&mut args, "--servers", "server", &SERVERS)?,
            "--seconds" => {
                let seconds = number(&mut args, "--seconds", "seconds")?;
                length = Some(Duration::from_secs(seconds));
            }
            "--sessions" => {
                parsed.plan.active_sessions = number(&mut args, "--sessions", "sessions")?;
                parsed.plan.budget_sessions = None;
            }
            "--runs" => {
                let runs: usize = number(&mut args, "--runs", "runs")?;
                anyhow::ensure!(runs > 0, "--runs needs at least 1 run");
                parsed.plan.active_runs = runs;
            }
            "--rate" => {
                let rate = number(&mut args, "--rate", "messages per second")?;
                parsed.plan.sqlite_rate = rate;
                parsed.plan.postgres_rate = rate;
            }
            "--postgres" => parsed.postgres = Some(args.next().context("--postgres needs a URL")?),
            "--postgres-ceiling" => {
                parsed.postgres_ceiling =
                    Some(args.next().context("--postgres-ceiling needs a URL")?);
            }
            "--out" => parsed.out = PathBuf::from(args.next().context("--out needs a path")?),
            other => bail!("unknown argument {other:?}; {USAGE}"),
        }
    }
    if let Some(length) = length {
        parsed.plan.active = length;
        parsed.plan.soak = parsed.plan.soak.map(|_| length);
        parsed.plan.sustained = length;
    }
    Ok(parsed)
}

/// The comma-separated names that follow `flag`, each one of `known`.
fn names(
    args: &mut impl Iterator<Item = String>,
    flag: &str,
    kind: &str,
    known: &[&str],
) -> Result<Vec<String>> {
    let list = args
        .next()
        .with_context(|| format!("{flag} needs {kind} names"))?;
    let names: Vec<String> = list.split(',').map(str::to_owned).collect();
    if let Some(unknown) = names.iter().find(|name| !known.contains(&name.as_str())) {
        bail!(
            "unknown {kind} {unknown:?}; the {kind}s are {}",
            known.join(", ")
        );
    }
    Ok(names)
}

/// The whole number of `unit` that follows `flag`.
fn number<T: std::str::FromStr>(
    args: &mut impl Iterator<Item = String>,
    flag: &str,
    unit: &str,
) -> Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    args.next()
        .with_context(|| format!("{flag} needs a number"))?
        .parse()
        .with_context(|| format!("{flag} needs a whole number of {unit}"))
}

async fn run(args: Args) -> Result<()> {
    let plan = args.plan;
    let scratch = tempfile::tempdir()?;
    let sqlite = |name: &str| {
        Database::durable(format!(
            "sqlite://{}",
            scratch.path().join(format!("{name}.db")).display()
        ))
    };
    let mut databases = Vec::new();
    if args.serves("sqlite") {
        databases.push(("sqlite".to_owned(), sqlite("idle"), sqlite("active")));
    }
    if let Some(url) = args.postgres.as_ref().filter(|_| args.serves("postgres")) {
        let database = Database::durable(url.clone());
        databases.push(("postgres".to_owned(), database.clone(), database));
    }
    let mut ceilings = Vec::new();
    if args.serves("sqlite-normal") {
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
        (args.postgres_ceiling.as_ref()).filter(|_| args.serves("postgres-fsync-off"))
    {
        ceilings.push((
            "postgres, fsync=off (ceiling, not durable)".to_owned(),
            Database::durable(url.clone()),
        ));
    }
    let baseline = args.serves("baseline");
    let mut results = Results::default();

    eprintln!(
        "bench: watching each core for pauses ({}s)",
        plan.pauses.as_secs()
    );
    results.pauses = pauses::measure(cores(), plan.pauses).await?;

    if args.runs("tokens") {
        eprintln!(
            "bench: token verification ({} iterations)",
            plan.token_iterations
        );
        results.tokens = Some(tokens::measure(plan.token_iterations));
    }
    if args.runs("idle") {
        idle_scenarios(&mut results, &databases, baseline, plan).await?;
    }
    if args.runs("active") {
        active_scenarios(&mut results, &databases, &ceilings, baseline, plan).await?;
    }
    if let Some(soak) = plan
        .soak
        .filter(|_| args.runs("soak") && args.serves("sqlite"))
    {
        eprintln!("bench: soak, {}s on sqlite", soak.as_secs());
        let url = sqlite("soak");
        let active = scenarios::active(Some(&url), plan.active_sessions, plan.rate, soak).await?;
        results
            .active
            .push(("chat, sqlite, soak".to_owned(), active));
    }
    if args.runs("sustained") {
        let sustained_runs = [
            ("sqlite", Some(sqlite("sustained")), plan.sqlite_rate),
            (
                "postgres",
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

    let partial = args.only.len() < SCENARIOS.len() || args.servers.len() < SERVERS.len();
    let note = match (args.quick, partial) {
        (true, _) => {
            "Quick run (`--quick`): small sizes, for checking the harness only.".to_owned()
        }
        (false, true) => format!(
            "Partial run: {} on {}.",
            args.only.join(", "),
            args.servers.join(", ")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args> {
        parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn sessions_and_seconds_change_the_plan_of_the_scenarios_asked_for() {
        let parsed = args("--only active --sessions 10000 --seconds 60").unwrap();
        assert_eq!(parsed.only, ["active"]);
        assert_eq!(parsed.plan.active_sessions, 10_000);
        assert_eq!(
            parsed.plan.budget_sessions, None,
            "only the sessions asked for"
        );
        assert_eq!(args("").unwrap().plan.budget_sessions, Some(10_000));
        assert_eq!(parsed.plan.active, Duration::from_secs(60));
        assert_eq!(args("").unwrap().plan.active_sessions, FULL.active_sessions);
    }

    #[test]
    fn rate_changes_the_sustained_runs_of_both_engines() {
        let parsed = args("--only sustained --rate 4000").unwrap();
        assert_eq!(
            (parsed.plan.sqlite_rate, parsed.plan.postgres_rate),
            (4000, 4000)
        );
        assert_eq!(parsed.plan.rate, FULL.rate, "the active runs keep theirs");
        let error = args("--rate fast").unwrap_err();
        assert!(
            format!("{error:#}").contains("--rate needs a whole number"),
            "{error:#}"
        );
    }

    #[test]
    fn runs_repeat_the_active_runs_at_least_once() {
        assert_eq!(args("--runs 5").unwrap().plan.active_runs, 5);
        assert_eq!(args("").unwrap().plan.active_runs, 3);
        assert_eq!(args("--quick").unwrap().plan.active_runs, 1);
        let error = args("--runs 0").unwrap_err();
        assert!(error.to_string().contains("at least 1 run"), "{error}");
    }

    #[test]
    fn ceilings_are_servers_of_their_own() {
        let parsed =
            args("--servers sqlite-normal,postgres-fsync-off --postgres-ceiling postgres://c")
                .unwrap();
        assert!(parsed.serves("sqlite-normal") && parsed.serves("postgres-fsync-off"));
        assert!(!parsed.serves("sqlite"), "the durable row only when asked");
        assert_eq!(parsed.postgres_ceiling.as_deref(), Some("postgres://c"));
        assert_eq!(args("").unwrap().servers.len(), SERVERS.len());
    }

    #[test]
    fn bad_arguments_say_what_is_allowed() {
        let error = args("--sessions many").unwrap_err();
        assert!(
            format!("{error:#}").contains("--sessions needs a whole number"),
            "{error:#}"
        );
        let error = args("--only warp").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("tokens, idle, active, soak, sustained"),
            "{error}"
        );
    }
}
