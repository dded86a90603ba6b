//! `webchat-bench`'s command line (clap): `run` with its options, the two helper processes
//! `run` starts (`baseline-server`, `pauses`), and `widget`. `cargo xtask bench` builds the
//! `run` and `widget` lines; the options are for reproducing one scenario by hand.

use crate::plan::{FULL, Plan, QUICK};
use crate::widget;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// The load generator of `cargo xtask bench`.
#[derive(Debug, Parser)]
#[command(name = "webchat-bench")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the scenarios against the release `webchat-server` (SQLite, and PostgreSQL when a
    /// URL is given) and the bare baseline, prints the table and writes it to `--out`.
    Run(RunArgs),
    /// The bare WebSocket echo server the chat is compared with, started by `run`.
    BaselineServer,
    /// Watches the core it runs on for pauses, started by `run` on each core before the
    /// scenarios.
    Pauses {
        /// How long to watch.
        seconds: u64,
    },
    /// The widget bench, which writes its own section of the same file.
    Widget(widget::Args),
}

/// What `run` runs, and where the table goes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A smoke run with small sizes, for checking the harness only.
    #[arg(long)]
    pub quick: bool,
    /// The scenarios to run, comma-separated; all by default. They run in this order.
    #[arg(long, value_enum, value_delimiter = ',', hide_default_value = true,
          default_values_t = Scenario::value_variants().to_vec())]
    pub only: Vec<Scenario>,
    /// Overrides the length of the active, soak and sustained runs (to reproduce one scenario
    /// under a profiler).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// The number of sessions of the active and soak runs. A full run has active runs at 1,000
    /// sessions, then at 10,000 (the latency budget's load); with `--sessions` only at the
    /// number given.
    #[arg(long)]
    pub sessions: Option<usize>,
    /// The conversations seeded for the inbox run (100,000 in a full run).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub conversations: Option<u64>,
    /// The messages per second of the sustained runs on both engines (to find where one falls
    /// behind).
    #[arg(long)]
    pub rate: Option<u64>,
    /// How many times each active run is repeated (3 in a full run, 1 in a quick one); the
    /// table shows the runs together and each run's p99.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub runs: Option<u16>,
    /// The servers to run, comma-separated; all by default (fewer to compare two builds of one
    /// engine quickly). The last two are the ceiling rows of the active runs, not durable
    /// across a power cut, shown beside the durable rows the budgets are judged on.
    #[arg(long, value_enum, value_delimiter = ',', hide_default_value = true,
          default_values_t = Server::value_variants().to_vec())]
    pub servers: Vec<Server>,
    /// The PostgreSQL server of the `postgres` rows (PostgreSQL's durable defaults).
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// A PostgreSQL server started with fsync off, for the `postgres-fsync-off` ceiling row.
    #[arg(long, value_name = "URL")]
    pub postgres_ceiling: Option<String>,
    /// Where the table is written.
    #[arg(long, value_name = "PATH", default_value = "bench/RESULTS.md")]
    pub out: PathBuf,
}

/// The scenarios `--only` can pick, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Matching-key token verification per call.
    Tokens,
    /// Idle sessions held, then the reconnect storm.
    Idle,
    /// Sessions sending at a fixed rate: latency from send to stored and to delivered.
    Active,
    /// Visitor messages at the budget's sessions with operator consoles connected, for a site
    /// without 1C and one with it: latency from a visitor's send to each console's `message`
    /// event, nothing lost or doubled.
    Console,
    /// The inbox's first page of each view over HTTP at 100,000 conversations, with the
    /// engines' query plans.
    Inbox,
    /// One long active run on SQLite.
    Soak,
    /// Stored messages per second held for long, nothing lost or doubled.
    Sustained,
}

/// The servers `--servers` can pick: the chat on each engine with durable commits, the
/// baseline, and the active runs' ceilings with durability off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Server {
    /// The chat on SQLite with its durable default (`synchronous=FULL`).
    Sqlite,
    /// The chat on the `--postgres` server.
    Postgres,
    /// The bare WebSocket echo server.
    Baseline,
    /// SQLite with `sqlite_synchronous = "normal"`.
    SqliteNormal,
    /// PostgreSQL on the server given by `--postgres-ceiling`.
    PostgresFsyncOff,
}

impl RunArgs {
    /// The sizes of this run: the full or quick plan with the options' overrides.
    pub fn plan(&self) -> Plan {
        let mut plan = if self.quick { QUICK } else { FULL };
        if let Some(seconds) = self.seconds {
            let length = Duration::from_secs(seconds);
            plan.active = length;
            plan.soak = plan.soak.map(|_| length);
            plan.sustained = length;
        }
        if let Some(sessions) = self.sessions {
            plan.active_sessions = sessions;
            plan.budget_sessions = None;
        }
        if let Some(runs) = self.runs {
            plan.active_runs = runs.into();
        }
        if let Some(conversations) = self.conversations {
            plan.inbox_conversations = conversations;
        }
        if let Some(rate) = self.rate {
            plan.sqlite_rate = rate;
            plan.postgres_rate = rate;
        }
        plan
    }

    pub fn runs(&self, scenario: Scenario) -> bool {
        self.only.contains(&scenario)
    }

    pub fn serves(&self, server: Server) -> bool {
        self.servers.contains(&server)
    }

    /// Whether some scenario or server was left out.
    pub fn partial(&self) -> bool {
        self.only.len() < Scenario::value_variants().len()
            || self.servers.len() < Server::value_variants().len()
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&name(self))
    }
}

impl std::fmt::Display for Server {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&name(self))
    }
}

/// The name a value has on the command line (`sqlite-normal`, `sustained`).
fn name(value: &impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|possible| possible.get_name().to_owned())
        .unwrap_or_default()
}

/// `values` by their command-line names, comma-separated.
pub fn names(values: &[impl ValueEnum]) -> String {
    let names: Vec<String> = values.iter().map(name).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn run_args(line: &str) -> Result<RunArgs, clap::Error> {
        let words = ["webchat-bench", "run"]
            .into_iter()
            .chain(line.split_whitespace());
        match Cli::try_parse_from(words)?.command {
            Command::Run(args) => Ok(args),
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sessions_and_seconds_change_the_plan_of_the_scenarios_asked_for() {
        let parsed = run_args("--only active --sessions 10000 --seconds 60").unwrap();
        assert_eq!(parsed.only, [Scenario::Active]);
        let plan = parsed.plan();
        assert_eq!(plan.active_sessions, 10_000);
        assert_eq!(plan.budget_sessions, None, "only the sessions asked for");
        assert_eq!(plan.active, Duration::from_secs(60));
        assert_eq!(plan.soak, Some(Duration::from_secs(60)));
        assert_eq!(plan.sustained, Duration::from_secs(60));
        let full = run_args("").unwrap().plan();
        assert_eq!(full.budget_sessions, Some(10_000));
        assert_eq!(full.active_sessions, FULL.active_sessions);
    }

    #[test]
    fn quick_takes_the_small_plan_whatever_the_order() {
        let plan = run_args("--sessions 70 --quick").unwrap().plan();
        assert_eq!(plan.active_sessions, 70);
        assert_eq!(plan.idle_sessions, QUICK.idle_sessions);
        assert_eq!(
            plan.soak, None,
            "no soak in a quick run, even with --seconds"
        );
        assert_eq!(run_args("--quick --seconds 5").unwrap().plan().soak, None);
    }

    #[test]
    fn rate_changes_the_sustained_runs_of_both_engines() {
        let plan = run_args("--only sustained --rate 4000").unwrap().plan();
        assert_eq!((plan.sqlite_rate, plan.postgres_rate), (4000, 4000));
        assert_eq!(plan.rate, FULL.rate, "the active runs keep theirs");
        let error = run_args("--rate fast").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(error.to_string().contains("--rate"), "{error}");
    }

    #[test]
    fn conversations_change_only_the_inbox_run() {
        let plan = run_args("--only inbox --conversations 10000")
            .unwrap()
            .plan();
        assert_eq!(plan.inbox_conversations, 10_000);
        assert_eq!(plan.active_sessions, FULL.active_sessions);
        assert_eq!(run_args("").unwrap().plan().inbox_conversations, 100_000);
        let error = run_args("--conversations 0").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(error.to_string().contains("--conversations"), "{error}");
    }

    #[test]
    fn runs_repeat_the_active_runs_at_least_once() {
        assert_eq!(run_args("--runs 5").unwrap().plan().active_runs, 5);
        assert_eq!(run_args("").unwrap().plan().active_runs, 3);
        assert_eq!(run_args("--quick").unwrap().plan().active_runs, 1);
        let error = run_args("--runs 0").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
        assert!(error.to_string().contains("1.."), "{error}");
    }

    #[test]
    fn ceilings_are_servers_of_their_own() {
        let parsed =
            run_args("--servers sqlite-normal,postgres-fsync-off --postgres-ceiling postgres://c")
                .unwrap();
        assert!(parsed.serves(Server::SqliteNormal) && parsed.serves(Server::PostgresFsyncOff));
        assert!(
            !parsed.serves(Server::Sqlite),
            "the durable row only when asked"
        );
        assert_eq!(parsed.postgres_ceiling.as_deref(), Some("postgres://c"));
        assert!(parsed.partial());
        let all = run_args("").unwrap();
        assert_eq!(all.servers, Server::value_variants());
        assert!(!all.partial());
        assert_eq!(Server::PostgresFsyncOff.to_string(), "postgres-fsync-off");
        assert_eq!(names(&[Scenario::Idle, Scenario::Soak]), "idle, soak");
    }

    #[test]
    fn bad_names_say_what_is_allowed() {
        let cases = [
            (
                "--only warp",
                "tokens, idle, active, console, inbox, soak, sustained",
            ),
            (
                "--servers sqlite,mysql",
                "sqlite, postgres, baseline, sqlite-normal, postgres-fsync-off",
            ),
        ];
        for (line, allowed) in cases {
            let error = run_args(line).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidValue, "{line}");
            assert!(error.to_string().contains(allowed), "{error}");
        }
        let error = run_args("--sessions many").unwrap_err();
        assert!(error.to_string().contains("--sessions"), "{error}");
    }

    #[test]
    fn the_lines_xtask_builds_parse() {
        let run = run_args(
            "--postgres postgres://a --postgres-ceiling postgres://b \
             --out target/bench-partial.md --quick --only active",
        )
        .unwrap();
        assert_eq!(run.postgres.as_deref(), Some("postgres://a"));
        assert_eq!(run.out, PathBuf::from("target/bench-partial.md"));
        assert!(run.quick && run.partial());
        let widget = Cli::try_parse_from([
            "webchat-bench",
            "widget",
            "--reference",
            "reference",
            "--criterion",
            "target/criterion",
            "--lighthouse",
            ".tools/lighthouse/node_modules/.bin/lighthouse",
            "--chromium",
            "/usr/bin/chromium",
            "--runs",
            "3",
            "--out",
            "bench/RESULTS.md",
        ]);
        assert!(matches!(widget.unwrap().command, Command::Widget(_)));
    }

    #[test]
    fn the_helper_processes_parse_as_run_starts_them() {
        let pauses = Cli::try_parse_from(["webchat-bench", "pauses", "10"]).unwrap();
        assert!(matches!(pauses.command, Command::Pauses { seconds: 10 }));
        let baseline = Cli::try_parse_from(["webchat-bench", "baseline-server"]).unwrap();
        assert!(matches!(baseline.command, Command::BaselineServer));
    }
}
