//! The widget bench's part of `bench/RESULTS.md`: download sizes, browser timings (ours next
//! to the reference widget), Lighthouse on the host page without and with the chat, and the
//! criterion token figures, as one Markdown section that
//! replaces its previous version in the file and leaves the rest alone.

use super::criterion::Estimate;
use super::lighthouse::{Audit, Audits, Throttling};
use super::runs::{Paint, Runs};
use super::sizes::{Download, Phase};
use compressed::Sizes;
use std::fmt::Write;

const START: &str = "<!-- widget bench: start (written by `cargo xtask bench --widget`) -->";
const END: &str = "<!-- widget bench: end -->";

const BEFORE_INTERACTION_GZIP: usize = 10_000;
const FIRST_OPEN_GZIP: usize = 120_000;
const FIRST_OPEN_BROTLI: usize = 100_000;
const TAB_SINCE_NAVIGATION_MS: f64 = 250.0;
const FIRST_PAINT_DELAY_MS: f64 = 50.0;
/// The chat loads on the first click: the composer must still come at once.
const OPEN_TO_COMPOSER_MS: f64 = 300.0;

/// Everything the section shows.
#[derive(Debug)]
pub struct WidgetResults {
    pub runs: Runs,
    /// Loader script, then the rest until the composer is usable: ours, then the reference's.
    pub ours: [Phase; 2],
    pub reference: [Phase; 2],
    pub reference_name: String,
    /// `verify` and `decode`, or why they are missing.
    pub criterion: Result<(Estimate, Estimate), String>,
    /// Lighthouse without and with the chat under each throttling method, or why it did not
    /// run.
    pub audits: Vec<(Throttling, Result<Audits, String>)>,
    pub machine: String,
    pub commit: String,
}

/// `text` with the widget section replaced by `section` (appended when it has none).
pub fn splice(text: &str, section: &str) -> String {
    let block = format!("{START}\n{section}{END}\n");
    match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{block}{}",
                &text[..start],
                &text[end + END.len()..].trim_start_matches('\n')
            )
        }
        _ if text.trim().is_empty() => block,
        _ => format!("{}\n\n{block}", text.trim_end()),
    }
}

/// The section as Markdown.
pub fn markdown(results: &WidgetResults) -> String {
    let mut out = String::new();
    let runs = &results.runs;
    let _ = writeln!(
        out,
        "## Widget in the browser\n\nMachine: {}. Commit: `{}`. Headless Chromium through \
         chromedriver, window 1280×800, against the release `webchat-server` (SQLite, not \
         pinned) and a host page on another origin (`localhost` vs `127.0.0.1`) under the strict \
         CSP of README; the reference widget is served the same way by the bench. Every page \
         load is a new browser with an empty profile, so nothing is cached. The 2 cores are shared \
         with the build and anything else running: timings are noisy, compare medians of one run \
         only.\n",
        results.machine, results.commit
    );
    sizes(&mut out, results);
    timings(&mut out, results);
    violations(&mut out, runs);
    lighthouse(&mut out, &results.audits);
    criterion(&mut out, &results.criterion);
    out
}

fn sizes(out: &mut String, results: &WidgetResults) {
    let _ = writeln!(
        out,
        "### Download sizes\n\n\
         What the first run's page fetched from each widget's server until the composer was \
         usable (Resource Timing; API calls and WebSockets left out): the loader script at the \
         script URL (what a page downloads before the visitor interacts), then the rest (what \
         the chat needs when it first opens). Each file is fetched again from the same server: \
         *served* is the body as sent to a browser asking for `gzip, deflate, br`; gzip / \
         brotli are the file compressed at the best levels, as precompression would serve it. \
         KB = 1000 bytes. *Started* is when the page began fetching it, in ms after the script \
         was inserted, and whether that was before the tab (launcher) was painted and before \
         `open()`: files fetched before `open()` came without any interaction (for ours: on \
         page idle or eagerly, whatever the loader did).\n"
    );
    let _ = writeln!(
        out,
        "| phase | budget (ours) | ours gzip / brotli KB | reference gzip / brotli KB |\n|---|---|---|---|"
    );
    let [ours_loader, ours_rest] = &results.ours;
    let [their_loader, their_rest] = &results.reference;
    let (loader, rest) = (ours_loader.total(), ours_rest.total());
    let _ = writeln!(
        out,
        "| loader script (before interaction) | ≤ 10 KB gzip | {} {} | {} |",
        pair(loader),
        verdict(loader.gzip <= BEFORE_INTERACTION_GZIP),
        pair(their_loader.total())
    );
    let _ = writeln!(
        out,
        "| the rest, until the composer is usable (at first open) | ≤ 120 KB gzip, ≤ 100 KB brotli | {} {} | {} |",
        pair(rest),
        verdict(rest.gzip <= FIRST_OPEN_GZIP && rest.brotli <= FIRST_OPEN_BROTLI),
        pair(their_rest.total())
    );
    let _ = writeln!(
        out,
        "| of the rest, fetched before the tab was painted / before `open()` | – | {} | {} |\n",
        fetched_early(ours_rest),
        fetched_early(their_rest)
    );
    let _ = writeln!(
        out,
        "| widget | file | started | served | raw KB | gzip KB | brotli KB |\n|---|---|---|---|---|---|---|"
    );
    for phase in results.ours.iter().chain(&results.reference) {
        for download in &phase.downloads {
            let file = &download.file;
            let _ = writeln!(
                out,
                "| {} | `{}` | {}{}{} | {} KB {} | {} | {} | {} |",
                phase.widget,
                path_of(&file.url),
                download
                    .started
                    .map_or("?".to_owned(), |started| format!("{started:.0}")),
                if download.before_painted {
                    ", before the tab"
                } else {
                    ""
                },
                if download.before_opened {
                    ", before `open()`"
                } else {
                    ""
                },
                kb(file.served_bytes),
                file.served_encoding,
                kb(file.sizes.raw),
                kb(file.sizes.gzip),
                kb(file.sizes.brotli)
            );
        }
    }
    out.push('\n');
}

/// `files fetched before the tab / before open() of all`, e.g. `2 / 2 of 2 files`.
fn fetched_early(phase: &Phase) -> String {
    let count = |early: fn(&Download) -> bool| {
        phase
            .downloads
            .iter()
            .filter(|download| early(download))
            .count()
    };
    format!(
        "{} / {} of {} files",
        count(|download| download.before_painted),
        count(|download| download.before_opened),
        phase.downloads.len()
    )
}

fn pair(sizes: Sizes) -> String {
    format!("{} / {}", kb(sizes.gzip), kb(sizes.brotli))
}

fn timings(out: &mut String, results: &WidgetResults) {
    let runs = &results.runs;
    let ours = &runs.ours;
    let reference = &runs.reference;
    let count = ours.len();
    let _ = writeln!(
        out,
        "### Timings (median of {count} runs, min–max, ms)\n\n\
         \"Painted\" is the start of the first animation frame after the one in which the \
         element was present with a size and not hidden. The reference is {} with a stub of \
         its configuration call (`/api/v1/livechat/config`: enabled, online, no forms) and no \
         Rocket.Chat server: its real-time connection (DDP WebSocket) fails, so it cannot send, \
         but it draws its launcher and opens its chat window with the composer. Its launcher and \
         composer are inside its cross-origin iframe: a probe added to that frame through the \
         DevTools protocol times them on the shared clock (`performance.timeOrigin`), with the \
         iframe kept in the page's process (`--disable-site-isolation-trials`) for these page \
         loads only.\n",
        results.reference_name
    );
    let _ = writeln!(
        out,
        "| measure | budget | ours | reference |\n|---|---|---|---|"
    );
    let plain_fcp = median(runs.plain.iter().map(|paint| paint.contentful));
    let plain_fp = median(runs.plain.iter().map(|paint| paint.first));
    let rows = [
        (
            "script insertion → `initialized` event",
            "–".to_owned(),
            stat(ours.iter().map(|run| run.initialized)),
            "n/a: it has no such event (its API is a command queue)".to_owned(),
        ),
        (
            "script insertion → collapsed tab (reference: launcher) painted",
            "–".to_owned(),
            stat(ours.iter().map(|run| run.tab)),
            stat(reference.iter().map(|run| run.launcher)),
        ),
        (
            "script insertion → the reference's iframe page loaded (its scripts ran)",
            "–".to_owned(),
            "–".to_owned(),
            stat(reference.iter().map(|run| run.frame_loaded)),
        ),
        (
            "navigation start → collapsed tab (reference: launcher) painted",
            format!("≤ {TAB_SINCE_NAVIGATION_MS:.0} ms"),
            with_verdict(ours.iter().map(|run| run.tab_since_navigation), |median| {
                median <= TAB_SINCE_NAVIGATION_MS
            }),
            with_verdict(
                reference.iter().map(|run| run.launcher_since_navigation),
                |median| median <= TAB_SINCE_NAVIGATION_MS,
            ),
        ),
        (
            "`open()`, as a click on the tab calls it (reference: `maximizeWidget()`) → composer \
             usable (present, visible, enabled); ours fetches and starts the chat in between",
            format!("≤ {OPEN_TO_COMPOSER_MS:.0} ms"),
            with_verdict(ours.iter().map(|run| run.composer), |median| {
                median <= OPEN_TO_COMPOSER_MS
            }),
            stat(reference.iter().map(|run| run.composer)),
        ),
        (
            "host page first paint / first contentful paint, no chat",
            "–".to_owned(),
            format!(
                "{} / {}",
                stat(runs.plain.iter().map(|paint| paint.first)),
                stat(runs.plain.iter().map(|paint| paint.contentful))
            ),
            "(same page)".to_owned(),
        ),
        (
            "host page first paint / first contentful paint, with the chat (delay over no chat)",
            format!("≤ +{FIRST_PAINT_DELAY_MS:.0} ms"),
            paint_delay(ours.iter().map(|run| run.paint), plain_fp, plain_fcp),
            paint_delay(reference.iter().map(|run| run.paint), plain_fp, plain_fcp),
        ),
    ];
    for (measure, budget, ours, theirs) in rows {
        let _ = writeln!(out, "| {measure} | {budget} | {ours} | {theirs} |");
    }
    out.push('\n');
}

fn violations(out: &mut String, runs: &Runs) {
    let ours: Vec<&String> = runs.ours.iter().flat_map(|run| &run.violations).collect();
    let theirs: Vec<&String> = runs
        .reference
        .iter()
        .flat_map(|run| &run.violations)
        .collect();
    let _ = writeln!(
        out,
        "CSP violations on the host page: ours {}, reference {}.\n",
        listed(&ours),
        listed(&theirs)
    );
}

/// One figure of a Lighthouse run.
type AuditFigure = fn(&Audit) -> Option<f64>;

fn lighthouse(out: &mut String, audits: &[(Throttling, Result<Audits, String>)]) {
    let runs = audits
        .iter()
        .filter_map(|(_, measured)| measured.as_ref().ok())
        .map(|measured| measured.ours.len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "### Lighthouse: the host page without and with the chat\n\n\
         Lighthouse 12 (performance only, mobile: slow 4G and a 4× slower CPU), a new headless \
         Chromium per run, on the same host page as above without a widget and with our chat's \
         script tag, loaded and not touched (a first-time visitor); the two pages alternate, \
         {runs} runs each, under each of Lighthouse's two throttling methods. Median (min–max), \
         ms. Goal: no difference.\n"
    );
    let _ = writeln!(
        out,
        "| throttling | measure | no chat | with the chat | difference of medians |\n\
         |---|---|---|---|---|"
    );
    let figures: [(&str, AuditFigure); 3] = [
        ("total blocking time", |audit| audit.total_blocking_time),
        ("time to interactive", |audit| audit.time_to_interactive),
        ("largest contentful paint", |audit| {
            audit.largest_contentful_paint
        }),
    ];
    for (throttling, measured) in audits {
        let method = name(*throttling);
        let Ok(measured) = measured else { continue };
        for (measure, figure) in figures {
            let plain = || measured.plain.iter().map(figure);
            let ours = || measured.ours.iter().map(figure);
            let difference = median(ours())
                .zip(median(plain()))
                .map_or("?".to_owned(), |(with, without)| {
                    format!("{:+.0}", with - without)
                });
            let _ = writeln!(
                out,
                "| {method} | {measure} | {} | {} | {difference} |",
                stat(plain()),
                stat(ours())
            );
        }
    }
    for (throttling, measured) in audits {
        let _ = write!(out, "\n{}", how(*throttling));
        match measured {
            Ok(measured) => race(out, *throttling, &measured.ours),
            Err(why) => {
                let _ = writeln!(out, " Not measured: {why}");
            }
        }
    }
    out.push('\n');
}

fn name(throttling: Throttling) -> &'static str {
    match throttling {
        Throttling::Applied => "applied",
        Throttling::Simulated => "simulated",
    }
}

/// What a throttling method does, for the reader of the table.
fn how(throttling: Throttling) -> &'static str {
    match throttling {
        Throttling::Applied => {
            "Applied throttling (`--throttling-method=devtools`): Chromium delays every request \
             and slows the CPU while the page loads, and the figures are the ones observed."
        }
        Throttling::Simulated => {
            "Simulated throttling (Lighthouse's default): the page loads at full speed and a \
             model (Lantern) computes the figures from the trace."
        }
    }
}

/// How often our loader won its race with the page's first paint, and the paint metric's
/// median in each case: what the medians above mix.
fn race(out: &mut String, throttling: Throttling, ours: &[Audit]) {
    let (before, after): (Vec<&Audit>, Vec<&Audit>) = ours
        .iter()
        .filter(|audit| audit.loader_before_paint.is_some())
        .partition(|audit| audit.loader_before_paint == Some(true));
    let lcp = |runs: &[&Audit]| {
        median(runs.iter().map(|audit| audit.largest_contentful_paint))
            .map_or("–".to_owned(), |ms| format!("{ms:.0} ms"))
    };
    let why = match throttling {
        Throttling::Applied => "",
        Throttling::Simulated => {
            " (on localhost the two race, and the model then counts the script as \
             render-blocking and adds its download over slow 4G to the paint metrics)"
        }
    };
    let _ = writeln!(
        out,
        " With the chat, our loader script arrived before the page's first paint in {} of {} \
         runs{why}. Largest contentful paint, median: {} where it arrived after the paint, {} \
         where before.",
        before.len(),
        before.len() + after.len(),
        lcp(&after),
        lcp(&before)
    );
}

fn criterion(out: &mut String, estimates: &Result<(Estimate, Estimate), String>) {
    let _ = writeln!(
        out,
        "### Matching-key token verification under criterion (budget: ≤ 5 µs)\n\n\
         Criterion times batches of calls, so it gives the time per call averaged over each of \
         its 100 samples: the median of those (95 % confidence interval) and the slowest \
         sample's mean. Per-call percentiles (p50 / p99) are the HDR loop's, in the token table \
         of the full run.\n"
    );
    match estimates {
        Ok((verify, decode)) => {
            let _ = writeln!(
                out,
                "| verifier | median µs (95 % CI) | slowest sample mean µs |\n|---|---|---|"
            );
            for (name, estimate) in [
                (
                    "`backend::auth::matching_key::verify` (HS256, claims, leeway)",
                    verify,
                ),
                ("plain `jsonwebtoken::decode` (HS256)", decode),
            ] {
                let _ = writeln!(
                    out,
                    "| {name} | {:.2} ({:.2}–{:.2}) | {:.2} |",
                    estimate.median / 1000.0,
                    estimate.low / 1000.0,
                    estimate.high / 1000.0,
                    estimate.slowest_sample / 1000.0
                );
            }
            let _ = writeln!(
                out,
                "\n`verify` median against the budget: {}.\n",
                verdict(verify.median <= 5_000.0)
            );
        }
        Err(why) => {
            let _ = writeln!(out, "n/a: {why}\n");
        }
    }
}

/// `median (min–max) n/N` of the values that were measured, or `not seen` when none was.
fn stat(values: impl Iterator<Item = Option<f64>>) -> String {
    let values: Vec<Option<f64>> = values.collect();
    let mut seen: Vec<f64> = values.iter().flatten().copied().collect();
    if seen.is_empty() {
        return format!("not seen in {} runs (waited 20 s)", values.len());
    }
    seen.sort_by(f64::total_cmp);
    let missing = if seen.len() < values.len() {
        format!(", seen in {}/{}", seen.len(), values.len())
    } else {
        String::new()
    };
    format!(
        "{:.0} ({:.0}–{:.0}{missing})",
        middle(&seen),
        seen[0],
        seen[seen.len() - 1]
    )
}

fn with_verdict(values: impl Iterator<Item = Option<f64>>, within: impl Fn(f64) -> bool) -> String {
    let values: Vec<Option<f64>> = values.collect();
    let text = stat(values.iter().copied());
    match median(values.into_iter()) {
        Some(median) => format!("{text} {}", verdict(within(median))),
        None => format!("{text} {}", verdict(false)),
    }
}

fn paint_delay(
    paints: impl Iterator<Item = Paint>,
    plain_fp: Option<f64>,
    plain_fcp: Option<f64>,
) -> String {
    let paints: Vec<Paint> = paints.collect();
    let fp = median(paints.iter().map(|paint| paint.first));
    let fcp = median(paints.iter().map(|paint| paint.contentful));
    let delay = fcp.zip(plain_fcp).map(|(with, without)| with - without);
    let signed = |value: Option<f64>, base: Option<f64>| match value.zip(base) {
        Some((with, without)) => format!("{:+.0}", with - without),
        None => "?".to_owned(),
    };
    format!(
        "{} / {} ({} / {}){}",
        stat(paints.iter().map(|paint| paint.first)),
        stat(paints.iter().map(|paint| paint.contentful)),
        signed(fp, plain_fp),
        signed(fcp, plain_fcp),
        delay.map_or(String::new(), |delay| format!(
            " {}",
            verdict(delay <= FIRST_PAINT_DELAY_MS)
        ))
    )
}

fn median(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut seen: Vec<f64> = values.flatten().collect();
    if seen.is_empty() {
        return None;
    }
    seen.sort_by(f64::total_cmp);
    Some(middle(&seen))
}

/// The median of sorted, non-empty `values`.
fn middle(values: &[f64]) -> f64 {
    let half = values.len() / 2;
    if values.len() % 2 == 1 {
        values[half]
    } else {
        (values[half - 1] + values[half]) / 2.0
    }
}

fn listed(violations: &[&String]) -> String {
    if violations.is_empty() {
        return "none".to_owned();
    }
    let list: Vec<&str> = violations.iter().map(|text| text.as_str()).collect();
    format!("{} (`{}`)", list.len(), list.join("`, `"))
}

fn verdict(within: bool) -> &'static str {
    if within {
        "✓ within budget"
    } else {
        "✗ over budget"
    }
}

fn kb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1000.0)
}

/// The path and query of `url`.
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    url[after_scheme..]
        .find('/')
        .map_or(url, |at| &url[after_scheme + at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_its_own_section() {
        let first = splice("# Results\n\nbackend\n", "widget one\n");
        assert!(first.starts_with("# Results\n\nbackend\n\n"));
        let second = splice(&format!("{first}\n## Later\n"), "widget two\n");
        assert!(second.contains("widget two") && !second.contains("widget one"));
        assert!(second.contains("backend") && second.contains("## Later"));
        assert_eq!(splice("", "w\n"), format!("{START}\nw\n{END}\n"));
    }

    #[test]
    fn splits_the_paint_metric_by_the_loader_race() {
        let run = |lcp: f64, before: bool| Audit {
            largest_contentful_paint: Some(lcp),
            loader_before_paint: Some(before),
            ..Audit::default()
        };
        let mut out = String::new();
        race(
            &mut out,
            Throttling::Simulated,
            &[run(950.0, false), run(1580.0, true), run(960.0, false)],
        );
        assert!(out.contains("in 1 of 3 runs"), "{out}");
        assert!(out.contains("955 ms where it arrived after the paint, 1580 ms where before"));
    }

    #[test]
    fn lighthouse_rows_for_each_throttling_method_and_why_one_is_missing() {
        let run = |tti: f64| Audit {
            total_blocking_time: Some(0.0),
            time_to_interactive: Some(tti),
            largest_contentful_paint: Some(tti),
            loader_before_paint: Some(false),
        };
        let applied = Audits {
            plain: vec![run(1240.0), run(1250.0)],
            ours: vec![run(1246.0), run(1248.0)],
        };
        let mut out = String::new();
        lighthouse(
            &mut out,
            &[
                (Throttling::Applied, Ok(applied)),
                (Throttling::Simulated, Err("node exited".to_owned())),
            ],
        );
        assert!(out.contains("2 runs each"), "{out}");
        assert!(
            out.contains(
                "| applied | time to interactive | 1245 (1240–1250) | 1247 (1246–1248) | +2 |"
            ),
            "{out}"
        );
        assert!(!out.contains("| simulated |"), "{out}");
        assert!(
            out.contains("from the trace. Not measured: node exited"),
            "{out}"
        );
        assert!(out.contains("observed. With the chat, our loader script arrived before the page's first paint in 0 of 2 runs."), "{out}");
    }

    #[test]
    fn medians_and_ranges() {
        assert_eq!(
            median([Some(3.0), None, Some(1.0), Some(2.0)].into_iter()),
            Some(2.0)
        );
        assert_eq!(median([Some(1.0), Some(4.0)].into_iter()), Some(2.5));
        assert_eq!(
            stat([Some(10.0), None].into_iter()),
            "10 (10–10, seen in 1/2)"
        );
        assert_eq!(path_of("http://127.0.0.1:1/widget/a.js"), "/widget/a.js");
    }
}
