//! `cargo xtask test`: every check and test, runnable on a fresh machine without questions.
//! Installs the widget toolchain, the JWT libraries the signing tests run and axe-core, checks
//! formatting and lints, builds the widget and console bundles the browser tests load, makes
//! sure Chromium is there, starts a throw-away PostgreSQL and runs `cargo test` against all of it. Stops at the
//! first failing step and prints a summary of the steps with their durations either way.

use crate::postgres::{Durability, Postgres};
use crate::{axe, build, chromium, cmd, signers, tools};
use anyhow::{Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(root: &Path) -> Result<()> {
    let mut summary = Summary::default();
    let outcome = run_steps(root, &mut summary);
    summary.print();
    outcome
}

fn run_steps(root: &Path, summary: &mut Summary) -> Result<()> {
    let tools = summary.step("install tools", || tools::install(root))?;
    // The JWT libraries of docs/signing.md, whose tokens the black-box tests hand the server.
    let signers = summary.step("install signers", || signers::install(root))?;
    // The accessibility checker the browser tests inject into the page.
    let axe = summary.step("install axe-core", || axe::install(root))?;
    summary.step("format", || {
        cmd::run(
            cmd::cargo()
                .args(["fmt", "--all", "--", "--check"])
                .current_dir(root),
        )
    })?;
    summary.step("clippy (native)", || {
        cmd::run(
            cmd::cargo()
                .args([
                    "clippy",
                    "--workspace",
                    "--exclude",
                    "widget",
                    "--exclude",
                    "console",
                    "--all-targets",
                ])
                .args(["--", "-D", "warnings"])
                .current_dir(root),
        )
    })?;
    summary.step("clippy (widget and console, wasm32)", || {
        cmd::run(
            cmd::cargo()
                .args([
                    "clippy",
                    "-p",
                    "widget",
                    "-p",
                    "console",
                    "--target",
                    "wasm32-unknown-unknown",
                ])
                .args(["--", "-D", "warnings"])
                .current_dir(root),
        )
    })?;
    // The release bundles, so the browser tests exercise what visitors and operators get
    // (wasm-opt included).
    summary.step("build widget and console", || build::bundles(root, &tools))?;
    let browser = summary.step("chromium", chromium::ensure)?;
    // Tests check behaviour, not durability: PostgreSQL runs with fsync off for speed.
    let postgres = summary.step("start postgres", || Postgres::start(Durability::Off))?;
    // The black-box tests also run the real server binary (kill -9, SIGTERM).
    summary.step("build webchat-server", || {
        cmd::run(
            cmd::cargo()
                .args(["build", "-p", "backend", "--bin", "webchat-server"])
                .current_dir(root),
        )
    })?;
    let tested = summary.step("cargo test", || {
        cmd::run(
            cmd::cargo()
                .args([
                    "test",
                    "--workspace",
                    "--exclude",
                    "widget",
                    "--exclude",
                    "console",
                ])
                .env("WEBCHAT_TEST_POSTGRES_URL", postgres.url())
                .env("WEBCHAT_TEST_CHROMEDRIVER", &browser.chromedriver)
                .env("WEBCHAT_TEST_CHROMIUM", &browser.chromium)
                .env("WEBCHAT_TEST_WIDGET_DIR", root.join("dist"))
                .env("WEBCHAT_TEST_NODE_MODULES", &signers.node_modules)
                .env("WEBCHAT_TEST_PYTHON_PACKAGES", &signers.python_packages)
                .env("WEBCHAT_TEST_AXE", &axe)
                .current_dir(root),
        )
    });
    let stopped = summary.step("stop postgres", || postgres.stop());
    tested?;
    stopped
}

#[derive(Debug, Default)]
struct Summary {
    steps: Vec<(&'static str, Duration, bool)>,
}

impl Summary {
    fn step<T>(&mut self, name: &'static str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        println!("\n==> {name}");
        let started = Instant::now();
        let outcome = work();
        self.steps.push((name, started.elapsed(), outcome.is_ok()));
        outcome.with_context(|| format!("step `{name}` failed"))
    }

    fn print(&self) {
        println!("\n==> summary");
        for (name, duration, passed) in &self.steps {
            let verdict = if *passed { "ok" } else { "FAILED" };
            println!(
                "  {verdict:<6} {name:<26} {:>7.1} s",
                duration.as_secs_f64()
            );
        }
        let total: Duration = self.steps.iter().map(|(_, duration, _)| *duration).sum();
        println!("         {:<26} {:>7.1} s", "total", total.as_secs_f64());
    }
}
