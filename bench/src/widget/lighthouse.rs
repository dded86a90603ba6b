//! Lighthouse on the bench's host page, without and with our chat: what the chat costs a page
//! that a visitor loads and does not touch, in the figures a site owner's own audit shows (total
//! blocking time, time to interactive, largest contentful paint), under each of Lighthouse's
//! two mobile throttling methods. A tool we did not write, run as its CLI on the installed
//! Chromium, one fresh browser per run.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::process::Command;

/// Chromium as the browser tests start it: headless, and quiet on the closed network.
const CHROME_FLAGS: &str = "--headless=new --no-sandbox --disable-gpu \
     --disable-background-networking --disable-component-update --disable-sync --no-first-run";

/// One Lighthouse run's figures, ms; `None` when Lighthouse could not compute one.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub total_blocking_time: Option<f64>,
    pub time_to_interactive: Option<f64>,
    pub largest_contentful_paint: Option<f64>,
    /// Whether our loader script arrived before the page's first paint (on localhost, without
    /// applied throttling, the two race). Lighthouse's simulation then counts the script as
    /// render-blocking: its download over slow 4G lands in the paint metrics. `None` on the page
    /// without the chat.
    pub loader_before_paint: Option<bool>,
}

/// How Lighthouse slows the page down to a mobile phone on slow 4G.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Throttling {
    /// Its default: the page loads at full speed and the figures are computed from the trace by
    /// a model of the slow network and CPU (Lantern). The model decides from the observed order
    /// of events what the paint waited for.
    #[default]
    Simulated,
    /// Chromium itself delays every request and slows the CPU as the page loads (Lighthouse's
    /// `devtools` method); the figures are the ones observed.
    Applied,
}

impl Throttling {
    pub const ALL: [Self; 2] = [Self::Applied, Self::Simulated];

    fn flag(self) -> &'static str {
        match self {
            Self::Simulated => "--throttling-method=simulate",
            Self::Applied => "--throttling-method=devtools",
        }
    }
}

/// The runs of the plain page and of the page with our chat, taken in turns, under one
/// throttling method.
#[derive(Debug, Default)]
pub struct Audits {
    pub plain: Vec<Audit>,
    pub ours: Vec<Audit>,
}

/// Lighthouse's CLI (`cli/index.js` of the npm package), the Chromium it drives, and our
/// loader's URL, as the page with the chat fetches it.
#[derive(Debug, Clone)]
pub struct Lighthouse {
    pub cli: PathBuf,
    pub chromium: PathBuf,
    pub loader: String,
}

impl Lighthouse {
    /// `count` runs each of `plain` and `ours` (page URLs) under `throttling`, alternating so
    /// both see the same load from the rest of the machine.
    pub async fn measure(
        &self,
        plain: &str,
        ours: &str,
        count: usize,
        throttling: Throttling,
    ) -> Result<Audits> {
        let mut audits = Audits::default();
        for run in 0..count {
            eprintln!(
                "bench: Lighthouse ({throttling:?} throttling) run {} of {count}",
                run + 1
            );
            audits.plain.push(self.audit(plain, throttling).await?);
            audits.ours.push(self.audit(ours, throttling).await?);
        }
        Ok(audits)
    }

    async fn audit(&self, url: &str, throttling: Throttling) -> Result<Audit> {
        let profile = tempfile::tempdir()?;
        let output = Command::new("node")
            .arg(&self.cli)
            .arg(url)
            .args([
                "--output=json",
                "--output-path=stdout",
                "--only-categories=performance",
                "--quiet",
                throttling.flag(),
            ])
            .arg(format!(
                "--chrome-flags={CHROME_FLAGS} --user-data-dir={}",
                profile.path().display()
            ))
            .env("CHROME_PATH", &self.chromium)
            .stdin(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run node {}", self.cli.display()))?;
        if !output.status.success() {
            bail!(
                "Lighthouse failed on {url} ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let report: Value = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("Lighthouse's report on {url} is not JSON"))?;
        Ok(Audit::from_report(&report, &self.loader))
    }
}

impl Audit {
    fn from_report(report: &Value, loader: &str) -> Self {
        let figure = |audit: &str| report["audits"][audit]["numericValue"].as_f64();
        Self {
            total_blocking_time: figure("total-blocking-time"),
            time_to_interactive: figure("interactive"),
            largest_contentful_paint: figure("largest-contentful-paint"),
            loader_before_paint: loader_before_paint(report, loader),
        }
    }
}

/// Whether the request for `loader` ended before the first contentful paint Lighthouse
/// observed; both times are on the same clock in its report.
fn loader_before_paint(report: &Value, loader: &str) -> Option<bool> {
    let paint = report["audits"]["metrics"]["details"]["items"][0]["observedFirstContentfulPaint"]
        .as_f64()?;
    let requests = report["audits"]["network-requests"]["details"]["items"].as_array()?;
    let request = requests
        .iter()
        .find(|request| request["url"].as_str() == Some(loader))?;
    Some(request["networkEndTime"].as_f64()? < paint)
}

#[cfg(test)]
mod tests {
    use super::Audit;
    use serde_json::json;

    const LOADER: &str = "http://127.0.0.1:2/integration/webchat/bench:t";

    #[test]
    fn reads_the_three_figures_and_whether_the_loader_came_before_the_paint() {
        let report = json!({"audits": {
            "total-blocking-time": {"numericValue": 12.5},
            "interactive": {"numericValue": 1830.0},
            "largest-contentful-paint": {"numericValue": 1200.0},
            "metrics": {"details": {"items": [{"observedFirstContentfulPaint": 85}]}},
            "network-requests": {"details": {"items": [
                {"url": "http://localhost:1/probe.js", "networkEndTime": 41.4},
                {"url": LOADER, "networkEndTime": 63.4},
            ]}},
        }});
        let audit = Audit::from_report(&report, LOADER);
        assert_eq!(audit.total_blocking_time, Some(12.5));
        assert_eq!(audit.time_to_interactive, Some(1830.0));
        assert_eq!(audit.largest_contentful_paint, Some(1200.0));
        assert_eq!(audit.loader_before_paint, Some(true));
        let empty = Audit::from_report(&json!({}), LOADER);
        assert!(empty.total_blocking_time.is_none() && empty.loader_before_paint.is_none());
    }
}
