//! `webchat-bench widget`: the widget half of `cargo xtask bench`. Starts the release
//! `webchat-server`, a host site and the reference widget's server (`site`), loads the page in
//! headless Chromium a number of times (`runs`), measures what the pages downloaded (`sizes`),
//! audits the host page without and with the chat with Lighthouse (`lighthouse`), reads the
//! criterion token bench, and writes its section of `bench/RESULTS.md` (`report`).

mod criterion;
mod lighthouse;
mod report;
mod runs;
mod site;
mod sizes;

use crate::fake::FakeCollaboration;
use crate::server::{Database, INTEGRATION, ServerProcess, TOKEN, Target};
use anyhow::{Context, Result};
use lighthouse::{Lighthouse, Throttling};
use report::WidgetResults;
use runs::{Fetched, FirstLoad};
use site::{Embed, Sites};
use sizes::Phase;
use std::path::PathBuf;

const REFERENCE_NAME: &str = "`@rocket.chat/livechat` 1.13.3";
/// Calls to servers, not downloads of the widget: left out of the sizes.
const NOT_DOWNLOADS: &[&str] = &["/api/", "/websocket"];

/// What the widget bench reads and where it writes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reference widget's build folder (`@rocket.chat/livechat`).
    #[arg(long, value_name = "DIR")]
    reference: PathBuf,
    /// Criterion's output folder, with the token bench's `verify` and `decode` estimates.
    #[arg(long, value_name = "DIR")]
    criterion: PathBuf,
    /// Lighthouse's CLI: `cli/index.js` in its npm package.
    #[arg(long, value_name = "PATH")]
    lighthouse: PathBuf,
    /// The Chromium Lighthouse drives.
    #[arg(long, value_name = "PATH")]
    chromium: PathBuf,
    /// Page loads per measure.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
    /// The file whose widget section is replaced (the rest is kept).
    #[arg(long, value_name = "PATH", default_value = "bench/RESULTS.md")]
    out: PathBuf,
}

/// Runs the widget bench and writes its section into `--out`, keeping the rest of the file.
pub async fn run(args: Args, machine: String, commit: String) -> Result<()> {
    let scratch = tempfile::tempdir()?;
    let fake = FakeCollaboration::start().await?;
    let target = Target::Chat {
        database: Database::durable(format!(
            "sqlite://{}",
            scratch.path().join("widget.db").display()
        )),
        webhook_url: Some(fake.url.clone()),
    };
    let server = ServerProcess::start(&target, None).await?;
    let loader = format!("{}/integration/webchat/{INTEGRATION}:{TOKEN}", server.base);
    let sites = Sites::start(&server.base, &loader, &args.reference).await?;

    let runs = runs::measure(&sites, args.runs.into()).await;
    let lighthouse = Lighthouse {
        cli: args.lighthouse,
        chromium: args.chromium,
        loader: loader.clone(),
    };
    let mut audits = Vec::new();
    for throttling in Throttling::ALL {
        let measured = lighthouse
            .measure(
                &sites.page(Embed::Nothing),
                &sites.page(Embed::Ours),
                args.runs.into(),
                throttling,
            )
            .await
            .map_err(|error| format!("{error:#}"));
        audits.push((throttling, measured));
    }
    let ours = phases("ours", &runs.ours_first, &server.base, &loader).await?;
    let reference = phases(
        "reference",
        &runs.reference_first,
        &sites.reference,
        &sites.reference_loader(),
    )
    .await?;
    let results = WidgetResults {
        ours,
        reference,
        reference_name: REFERENCE_NAME.to_owned(),
        criterion: criterion::read(&args.criterion, "verify")
            .and_then(|verify| Ok((verify, criterion::read(&args.criterion, "decode")?)))
            .map_err(|error| format!("{error:#}")),
        runs,
        audits,
        machine,
        commit,
    };
    server.stop().await;

    let section = report::markdown(&results);
    print!("{section}");
    let previous = std::fs::read_to_string(&args.out).unwrap_or_default();
    std::fs::write(&args.out, report::splice(&previous, &section))
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("bench: widget section written to {}", args.out.display());
    Ok(())
}

/// The widget's downloads in `first` (from `origin`) measured, in two phases: its loader
/// script (before interaction) and the rest, until the composer was usable (at first open).
async fn phases(
    widget: &'static str,
    first: &FirstLoad,
    origin: &str,
    loader: &str,
) -> Result<[Phase; 2]> {
    let files = downloads(&first.fetched, origin);
    let (loaders, rest): (Vec<&Fetched>, Vec<&Fetched>) =
        files.into_iter().partition(|file| file.url == loader);
    Ok([
        Phase::measure(widget, &loaders, first).await?,
        Phase::measure(widget, &rest, first).await?,
    ])
}

/// The widget's own files among `fetched`: from `origin`, not API calls, each once.
fn downloads<'a>(fetched: &'a [Fetched], origin: &str) -> Vec<&'a Fetched> {
    let mut files: Vec<&Fetched> = Vec::new();
    for file in fetched {
        let own = file.url.starts_with(origin)
            && !NOT_DOWNLOADS
                .iter()
                .any(|call| file.url[origin.len()..].starts_with(call));
        if own && !files.iter().any(|seen| seen.url == file.url) {
            files.push(file);
        }
    }
    files
}
