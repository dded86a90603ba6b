//! `cargo xtask bench [--quick] [--widget] [--only SCENARIOS] [--seconds N] [--sessions N]
//! [--rate N] [--runs N] [--servers SERVERS] [--conversations N]`:
//! builds the release server and the load generator, starts two throw-away PostgreSQL servers
//! (one with PostgreSQL's durable defaults, which the budgets are judged on, and one with
//! durability off for the active runs' ceiling row), and runs
//! `webchat-bench` with the generator pinned to core 1 (the server pins itself to core 0) and
//! the file-descriptor limit raised to the hard limit, which 10,000 sessions need; then the
//! widget bench (`widget_bench`). `--widget` runs only the widget bench.
//! The table is printed and written to `bench/RESULTS.md`; a partial run (`--only`, `--seconds`,
//! `--sessions`, `--rate`, `--runs`, `--servers` or `--conversations`, to reproduce one scenario, see
//! `webchat-bench`) goes to `target/bench-partial.md` instead, without the widget bench.

use crate::postgres::{Durability, Postgres};
use crate::{build, cmd, widget_bench};
use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

/// The options that take a value; any of them makes the run partial.
const VALUE_OPTIONS: [&str; 7] = [
    "--only",
    "--seconds",
    "--sessions",
    "--rate",
    "--runs",
    "--servers",
    "--conversations",
];
const USAGE: &str = "usage: cargo xtask bench [--quick] [--widget] [--only SCENARIOS] \
                     [--seconds N] [--sessions N] [--rate N] [--runs N] [--servers SERVERS] \
                     [--conversations N]\n\
                     SCENARIOS: tokens, idle, active, console, inbox, soak, sustained \
                     (comma-separated); SERVERS: sqlite, postgres, baseline, sqlite-normal, \
                     postgres-fsync-off";

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    check_options(args)?;
    let quick = args.iter().any(|arg| arg == "--quick");
    if args.iter().any(|arg| arg == "--widget") {
        return widget_bench::run(root, quick);
    }
    let partial = args.iter().any(|arg| VALUE_OPTIONS.contains(&arg.as_str()));
    let out = if partial {
        "target/bench-partial.md"
    } else {
        "bench/RESULTS.md"
    };
    build::server(root)?;
    build::bench(root)?;
    let postgres = Postgres::start(Durability::Durable)?;
    let ceiling = Postgres::start(Durability::Off)?;
    let bench = root.join("target/release/webchat-bench");
    let pin = if cmd::probe(Command::new("taskset").arg("--version")).is_some() {
        "taskset -c 1 "
    } else {
        ""
    };
    let script = format!(
        "ulimit -n \"$(ulimit -Hn)\" && exec {pin}\"$0\" run --postgres \"$1\" \
         --postgres-ceiling \"$2\" --out {out} \"${{@:3}}\""
    );
    let outcome = cmd::run(
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg(&bench)
            .arg(postgres.url())
            .arg(ceiling.url())
            .args(args)
            .current_dir(root),
    );
    let stopped = postgres.stop();
    let ceiling_stopped = ceiling.stop();
    outcome?;
    stopped?;
    ceiling_stopped?;
    if partial {
        return Ok(());
    }
    widget_bench::run(root, quick)
}

/// Refuses, before anything is built, an option the bench does not know (`--help` among them:
/// a full bench takes most of an hour) and an option without its value.
fn check_options(args: &[String]) -> Result<()> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if VALUE_OPTIONS.contains(&arg.as_str()) {
            if args.next().is_none() {
                bail!("{arg} needs a value\n{USAGE}");
            }
        } else if !["--quick", "--widget"].contains(&arg.as_str()) {
            bail!("unknown option {arg}\n{USAGE}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_options;

    fn options(args: &[&str]) -> anyhow::Result<()> {
        check_options(&args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn refuses_unknown_and_incomplete_options_before_building() {
        assert!(options(&["--only", "active", "--sessions", "2000", "--quick"]).is_ok());
        assert!(options(&["--only", "inbox", "--conversations", "10000"]).is_ok());
        assert!(options(&["--widget"]).is_ok());
        let help = options(&["--help"]).unwrap_err().to_string();
        assert!(help.contains("unknown option --help") && help.contains("usage:"));
        let missing = options(&["--runs"]).unwrap_err().to_string();
        assert!(missing.starts_with("--runs needs a value"));
    }
}
