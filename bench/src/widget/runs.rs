//! The browser half of the widget bench: each run opens the host page in a new headless
//! Chromium with an empty profile (so nothing is cached) three times, plain, with our chat and
//! with the reference widget, and reads what the page's probe recorded (see `probe.js`), and
//! for the reference also what `frame_probe.js` recorded inside its iframe.

use super::site::{Embed, Sites};
use headless::{Driver, Session};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long to wait for something the widget should show.
const SHOW_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(20);
/// A desktop window: our chat shows its tab there (a round launcher on narrow screens).
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 800;
const FRAME_PROBE: &str = include_str!("frame_probe.js");
/// The reference's iframe in the page's process, so the frame probe reaches it.
const IN_PROCESS_FRAMES: &[&str] = &["--disable-site-isolation-trials"];

/// First paint and first contentful paint of the host page, ms since navigation start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paint {
    pub first: Option<f64>,
    pub contentful: Option<f64>,
}

/// One page load with our chat; times in ms, `None` when it did not happen in time.
#[derive(Debug, Clone, Default)]
pub struct Ours {
    pub paint: Paint,
    /// Script insertion → `initialized` event.
    pub initialized: Option<f64>,
    /// Script insertion → collapsed tab painted.
    pub tab: Option<f64>,
    /// Navigation start → collapsed tab painted.
    pub tab_since_navigation: Option<f64>,
    /// `open()` → composer usable.
    pub composer: Option<f64>,
    pub violations: Vec<String>,
}

/// One page load with the reference widget.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub paint: Paint,
    /// Script insertion → its iframe page's load event (its scripts ran).
    pub frame_loaded: Option<f64>,
    /// Script insertion → launcher button painted.
    pub launcher: Option<f64>,
    /// Navigation start → launcher button painted.
    pub launcher_since_navigation: Option<f64>,
    /// `maximizeWidget()` → composer usable.
    pub composer: Option<f64>,
    pub violations: Vec<String>,
}

/// A file the page fetched: its URL and when the fetch started, in ms since the epoch (the
/// host page's and the iframe's clocks agree on it).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub url: String,
    pub start: f64,
}

/// Everything the runs measured.
#[derive(Debug, Default)]
pub struct Runs {
    pub plain: Vec<Paint>,
    pub ours: Vec<Ours>,
    pub reference: Vec<Reference>,
    /// What our chat's page fetched in the first run.
    pub ours_first: FirstLoad,
    /// What the reference's page and its iframe fetched in the first run.
    pub reference_first: FirstLoad,
}

/// What a page fetched until the composer was usable, and when (ms since the epoch) the
/// widget's script was inserted, its tab or launcher painted, and the chat opened.
#[derive(Debug, Default)]
pub struct FirstLoad {
    pub fetched: Vec<Fetched>,
    pub inserted: Option<f64>,
    pub painted: Option<f64>,
    pub opened: Option<f64>,
}

/// `count` runs of the three page loads.
pub async fn measure(sites: &Sites, count: usize) -> Runs {
    let driver = Driver::start().await;
    let mut runs = Runs::default();
    for run in 0..count {
        eprintln!("bench: widget run {} of {count}", run + 1);
        let first = run == 0;
        runs.plain.push(plain(&driver, sites).await);
        runs.ours
            .push(ours(&driver, sites, first, &mut runs.ours_first).await);
        let reference = reference(&driver, sites, first, &mut runs).await;
        runs.reference.push(reference);
    }
    runs
}

async fn plain(driver: &Driver, sites: &Sites) -> Paint {
    let session = load(driver, &sites.page(Embed::Nothing)).await;
    let paint = paint(&session).await;
    close(session).await;
    paint
}

async fn ours(driver: &Driver, sites: &Sites, first: bool, first_load: &mut FirstLoad) -> Ours {
    let session = load(driver, &sites.page(Embed::Ours)).await;
    settle(
        &session,
        "b.tabPainted !== undefined && b.initialized !== undefined",
    )
    .await;
    let paint = paint(&session).await;
    let inserted = number(&session, "inserted").await;
    let since_insertion = |at: Option<f64>| Some(at? - inserted?);
    let initialized = number(&session, "initialized").await;
    let tab = number(&session, "tabPainted").await;
    let composer = session
        .js_async(
            "var done = arguments[arguments.length - 1];\n\
             if (!window.CollaborationSystemWebChat1CE) return done(null);\n\
             window.__bench.open(done);",
            Vec::new(),
        )
        .await
        .as_f64();
    if first {
        let origin = session
            .js("return performance.timeOrigin", Vec::new())
            .await
            .as_f64();
        let opened = number(&session, "opened").await;
        let epoch = |at: Option<f64>| Some(origin? + at?);
        *first_load = FirstLoad {
            fetched: resources(&session).await,
            inserted: epoch(inserted),
            painted: epoch(tab),
            opened: epoch(opened),
        };
    }
    let violations = violations(&session).await;
    close(session).await;
    Ours {
        paint,
        initialized: since_insertion(initialized),
        tab: since_insertion(tab),
        tab_since_navigation: tab,
        composer,
        violations,
    }
}

async fn reference(driver: &Driver, sites: &Sites, first: bool, runs: &mut Runs) -> Reference {
    let session = driver.session_with(WIDTH, HEIGHT, IN_PROCESS_FRAMES).await;
    session
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": FRAME_PROBE}),
        )
        .await;
    let url = sites.page(Embed::Reference);
    session
        .client
        .goto(&url)
        .await
        .unwrap_or_else(|error| panic!("load {url}: {error}"));
    settle(&session, "b.frameLoaded !== undefined").await;
    let paint = paint(&session).await;
    let inserted = number(&session, "inserted").await;
    let frame_loaded = number(&session, "frameLoaded").await;
    let origin = session
        .js("return performance.timeOrigin", Vec::new())
        .await
        .as_f64();
    let launcher = in_frame(&session, "launcher").await;
    let opened = session
        .js(
            "window.RocketChat(function () { this.maximizeWidget(); });\n\
             return performance.timeOrigin + performance.now();",
            Vec::new(),
        )
        .await
        .as_f64();
    let composer = in_frame(&session, "composer").await;
    if first {
        let mut fetched = resources(&session).await;
        if session.client.enter_frame(0).await.is_ok() {
            fetched.extend(resources(&session).await);
            let _ = session.client.enter_parent_frame().await;
        }
        runs.reference_first = FirstLoad {
            fetched,
            inserted: inserted.zip(origin).map(|(at, origin)| origin + at),
            painted: launcher,
            opened,
        };
    }
    let violations = violations(&session).await;
    close(session).await;
    let since = |at: Option<f64>, from: Option<f64>| Some(at? - from?);
    let inserted_epoch = inserted.zip(origin).map(|(at, origin)| origin + at);
    Reference {
        paint,
        frame_loaded: since(frame_loaded, inserted),
        launcher: since(launcher, inserted_epoch),
        launcher_since_navigation: since(launcher, origin),
        composer: since(composer, opened),
        violations,
    }
}

/// Waits for the frame probe's `field` in the reference's iframe, for at most [`SHOW_TIMEOUT`].
async fn in_frame(session: &Session, field: &str) -> Option<f64> {
    let script = format!(
        "var r = window.__benchFrame; return r && r.{field} !== undefined ? r.{field} : null;"
    );
    let deadline = Instant::now() + SHOW_TIMEOUT;
    while Instant::now() < deadline {
        if session.client.enter_frame(0).await.is_ok() {
            let value = session.client.execute(&script, Vec::new()).await;
            let _ = session.client.enter_parent_frame().await;
            if let Some(at) = value.ok().and_then(|value| value.as_f64()) {
                return Some(at);
            }
        }
        tokio::time::sleep(POLL).await;
    }
    None
}

async fn load(driver: &Driver, url: &str) -> Session {
    let session = driver.session(WIDTH, HEIGHT).await;
    session
        .client
        .goto(url)
        .await
        .unwrap_or_else(|error| panic!("load {url}: {error}"));
    session
}

/// Waits until `condition` (on the probe's record `b`) holds, or [`SHOW_TIMEOUT`] passed.
async fn settle(session: &Session, condition: &str) {
    let script = format!("var b = window.__bench; return !!(b && {condition});");
    let deadline = Instant::now() + SHOW_TIMEOUT;
    while Instant::now() < deadline {
        if session.js(&script, Vec::new()).await.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A number the probe recorded, if it did.
async fn number(session: &Session, field: &str) -> Option<f64> {
    let script = format!(
        "var v = window.__bench && window.__bench.{field}; return v === undefined ? null : v;"
    );
    session.js(&script, Vec::new()).await.as_f64()
}

async fn paint(session: &Session) -> Paint {
    settle(
        session,
        "performance.getEntriesByName('first-contentful-paint').length > 0",
    )
    .await;
    let entry = |name: &str| {
        format!("var e = performance.getEntriesByName('{name}')[0]; return e ? e.startTime : null;")
    };
    Paint {
        first: session.js(&entry("first-paint"), Vec::new()).await.as_f64(),
        contentful: session
            .js(&entry("first-contentful-paint"), Vec::new())
            .await
            .as_f64(),
    }
}

async fn resources(session: &Session) -> Vec<Fetched> {
    let entries = session
        .js(
            "return performance.getEntriesByType('resource')\
             .map(function (e) { return [e.name, performance.timeOrigin + e.startTime]; })",
            Vec::new(),
        )
        .await;
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            Some(Fetched {
                url: entry.get(0)?.as_str()?.to_owned(),
                start: entry.get(1)?.as_f64()?,
            })
        })
        .collect()
}

async fn violations(session: &Session) -> Vec<String> {
    let found = session
        .js(
            "return (window.__bench && window.__bench.violations) || []",
            Vec::new(),
        )
        .await;
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

async fn close(session: Session) {
    let _ = session.client.clone().close().await;
}
