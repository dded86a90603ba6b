//! `cargo xtask bench --widget` (also the last part of a full `cargo xtask bench`): what a
//! visitor's browser downloads and waits for. Builds the release widget bundle and server,
//! makes sure Chromium, chromedriver, Lighthouse and the reference widget are installed, runs
//! the criterion token bench, then `webchat-bench widget`, which writes its section of
//! `bench/RESULTS.md`.

use crate::{build, chromium, cmd, lighthouse, reference, tools};
use anyhow::Result;
use std::path::Path;

/// Page loads per measure; `--quick` takes fewer.
const RUNS: &str = "10";
const QUICK_RUNS: &str = "3";

pub fn run(root: &Path, quick: bool) -> Result<()> {
    let tools = tools::install(root)?;
    build::bundles(root, &tools)?;
    build::server(root)?;
    let browser = chromium::ensure()?;
    let reference = reference::ensure(root)?;
    let lighthouse = lighthouse::install(root)?;
    let mut criterion = cmd::cargo();
    criterion
        .args(["bench", "-p", "bench", "--bench", "token", "--"])
        .current_dir(root);
    if quick {
        criterion.arg("--quick");
    }
    cmd::run(&mut criterion)?;
    build::bench(root)?;
    cmd::run(
        std::process::Command::new(root.join("target/release/webchat-bench"))
            .arg("widget")
            .arg("--reference")
            .arg(&reference)
            .arg("--criterion")
            .arg(root.join("target/criterion"))
            .arg("--lighthouse")
            .arg(&lighthouse)
            .arg("--chromium")
            .arg(&browser.chromium)
            .args(["--runs", if quick { QUICK_RUNS } else { RUNS }])
            .args(["--out", "bench/RESULTS.md"])
            .env("WEBCHAT_TEST_CHROMEDRIVER", &browser.chromedriver)
            .env("WEBCHAT_TEST_CHROMIUM", &browser.chromium)
            .current_dir(root),
    )
}
