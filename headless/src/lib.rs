//! The chat's widget in headless Chromium, for the browser tests and the widget bench: a
//! chromedriver on a free port, Chromium sessions with a fresh profile each, a host page on
//! its own origin that embeds the chat's script tag under the strict Content-Security-Policy
//! (`host_page`), and waits that poll the page (inside the widget's shadow root) until a
//! condition holds.

mod host_page;

pub use host_page::{HostPage, content_security_policy};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// Id of the element the widget appends to `document.body`.
pub const HOST_ID: &str = "collaboration-system-web-chat-1ce";
/// A desktop browser window.
pub const DESKTOP: (u32, u32) = (1280, 800);
/// A phone's screen.
pub const PHONE: (u32, u32) = (390, 760);
/// Longest a test waits for a condition in the page.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// Chromedrivers started before a test gives up: the free port one is given can be taken by
/// another test's server before it binds it, and then it exits.
const DRIVER_ATTEMPTS: usize = 3;
/// Longest a chromedriver takes to answer that it is ready (it takes well under a second).
const DRIVER_READY: Duration = Duration::from_secs(10);

/// Browser tests share two cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env_path(name: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!("{name} is not set: run the browser tests with `cargo xtask test`")
        })
}

/// A chromedriver process, shut down with its browsers when dropped, and the turn it holds.
#[derive(Debug)]
pub struct Driver {
    port: u16,
    _child: Child,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// How long a dropped driver's shutdown may take before the process is killed.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

impl Drop for Driver {
    /// Asks chromedriver to shut down, which quits the browser of every session still open,
    /// before the process is killed: a session a test did not close (a failed assertion, a
    /// forgotten `close`) would otherwise leave its Chromium running after its driver.
    fn drop(&mut self) {
        // Blocking on purpose: no runtime may be left to run a future in a drop.
        let shutdown = || -> std::io::Result<()> {
            use std::io::{Read, Write};
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
            let mut stream = std::net::TcpStream::connect_timeout(&address, SHUTDOWN_TIMEOUT)?;
            stream.set_read_timeout(Some(SHUTDOWN_TIMEOUT))?;
            stream.set_write_timeout(Some(SHUTDOWN_TIMEOUT))?;
            stream.write_all(
                b"GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )?;
            // chromedriver answers once its sessions are gone, then closes the connection.
            stream.read_to_end(&mut Vec::new()).map(drop)
        };
        if let Err(error) = shutdown() {
            eprintln!("chromedriver at {} did not shut down: {error}", self.url());
        }
    }
}

impl Driver {
    fn url(&self) -> String {
        driver_url(self.port)
    }

    pub async fn start() -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        // The workspace builds reqwest without a TLS provider of its own; plain HTTP here, but
        // a client cannot be built before one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        for attempt in 1..=DRIVER_ATTEMPTS {
            let port = {
                let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
                probe.local_addr().expect("address").port()
            };
            let mut child = Command::new(env_path("WEBCHAT_TEST_CHROMEDRIVER"))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("start chromedriver");
            if driver_ready(&http, &driver_url(port), &mut child).await {
                return Self {
                    port,
                    _child: child,
                    _turn: turn,
                };
            }
            eprintln!("chromedriver on port {port} did not get ready (attempt {attempt})");
        }
        panic!("chromedriver did not get ready in {DRIVER_ATTEMPTS} attempts");
    }

    /// A new headless Chromium with an empty profile and a window of `width`×`height`.
    pub async fn session(&self, width: u32, height: u32) -> Session {
        self.session_with(width, height, &[]).await
    }

    /// Like [`Self::session`], with `extra` Chromium flags (e.g. `--force-dark-mode`).
    pub async fn session_with(&self, width: u32, height: u32, extra: &[&str]) -> Session {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS
            .iter()
            .chain(extra)
            .map(|flag| flag.to_string())
            .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": env_path("WEBCHAT_TEST_CHROMIUM"),
                "args": args,
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal");
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url())
            .await
            .expect("start a Chromium session");
        Session {
            client,
            _profile: profile,
        }
    }
}

/// The address of the chromedriver listening on `port`.
fn driver_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// Whether the chromedriver `child` at `url` answers that it is ready before it exits or
/// [`DRIVER_READY`] is over.
async fn driver_ready(http: &reqwest::Client, url: &str, child: &mut Child) -> bool {
    let status = format!("{url}/status");
    let deadline = Instant::now() + DRIVER_READY;
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        let answer = async { http.get(&status).send().await?.json::<Value>().await };
        if let Ok(body) = answer.await
            && body["value"]["ready"].as_bool() == Some(true)
        {
            return true;
        }
        tokio::time::sleep(POLL).await;
    }
    false
}

/// Polls `probe` until it gives `Some`, for at most [`PAGE_TIMEOUT`].
pub async fn wait_until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// One browser window.
#[derive(Debug)]
pub struct Session {
    pub client: Client,
    _profile: TempDir,
}

/// JavaScript giving the widget's shadow root.
pub fn shadow() -> String {
    format!("document.getElementById('{HOST_ID}').shadowRoot")
}

impl Session {
    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Runs an async `script` whose last argument is the callback to call with the result.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Evaluates the expression `expression` until it is truthy; returns its value.
    pub async fn wait_for(&self, what: &str, expression: &str) -> Value {
        let script =
            format!("try {{ return ({expression}) || null; }} catch (e) {{ return null; }}");
        wait_until(what, || async {
            let value = self.client.execute(&script, Vec::new()).await.ok()?;
            (!value.is_null()).then_some(value)
        })
        .await
    }

    /// Loads `url` (until its `load` event).
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("load the host page");
    }

    /// Loads `url` and waits for the widget's `initialized` event.
    pub async fn open_page(&self, url: &str) {
        self.goto(url).await;
        self.wait_for(
            "the chat to initialize",
            "window.CollaborationSystemWebChat1CE && window.__events.includes('initialized')",
        )
        .await;
    }

    /// Opens the chat, types `text` and waits until it is stored (marked sent).
    pub async fn open_and_say(&self, text: &str) {
        self.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
            .await;
        self.type_message(text).await;
        self.wait_for(
            "my message stored",
            &format!("{}.querySelector('.cw-msg-own .cw-status-sent')", shadow()),
        )
        .await;
    }

    /// Types `text` into the composer with the keyboard and presses Enter.
    pub async fn type_message(&self, text: &str) {
        self.widget_element("textarea.cw-input")
            .await
            .send_keys(&format!("{text}{}", char::from(Key::Enter)))
            .await
            .expect("type into the composer");
    }

    /// The element matching `css` inside the widget's shadow root, for real clicks and keys;
    /// waits for it, as the chat's panel appears once its bundle has loaded.
    pub async fn widget_element(&self, css: &str) -> Element {
        self.wait_for(
            css,
            &format!("{}.querySelector({})", shadow(), serde_json::json!(css)),
        )
        .await;
        let host = self
            .client
            .find(Locator::Id(HOST_ID))
            .await
            .expect("widget host");
        let root = host.shadow_root().await.expect("shadow root");
        root.find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{css} in the widget: {error}"))
    }

    /// Presses and releases `key` wherever the focus is, as a keyboard would.
    pub async fn press(&self, key: Key) {
        self.chord(&[key]).await;
    }

    /// Presses `keys` together, as a chord (e.g. Shift+Tab), and releases them.
    pub async fn chord(&self, keys: &[Key]) {
        let keys: Vec<char> = keys.iter().copied().map(char::from).collect();
        let pressed = keys
            .iter()
            .fold(KeyActions::new("keyboard".into()), |actions, key| {
                actions.then(KeyAction::Down { value: *key })
            });
        let released = keys.iter().rev().fold(pressed, |actions, key| {
            actions.then(KeyAction::Up { value: *key })
        });
        self.client
            .perform_actions(released)
            .await
            .expect("press keys together");
    }

    /// Types `text` wherever the focus is, a key at a time, as a keyboard would.
    pub async fn type_text(&self, text: &str) {
        let typed = text
            .chars()
            .fold(KeyActions::new("keyboard".into()), |actions, key| {
                actions
                    .then(KeyAction::Down { value: key })
                    .then(KeyAction::Up { value: key })
            });
        self.client
            .perform_actions(typed)
            .await
            .expect("type on the keyboard");
    }

    /// Sends the Chrome DevTools Protocol command `method` through chromedriver.
    pub async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { method, params })
            .await
            .unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    /// Makes the page see `prefers-color-scheme: {scheme}` (`light` or `dark`) from now on.
    pub async fn emulate_color_scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
    }

    /// Records the Content-Security-Policy violations of every page loaded from now on, as the
    /// host page does for itself: for pages of the chat server's own, such as the console.
    pub async fn record_csp_violations(&self) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": host_page::VIOLATION_RECORDER}),
        )
        .await;
    }

    /// Shows that the page's violation log is not blind: an inline script is blocked and
    /// reported. The report is then forgotten, so [`Self::close`] judges only what the page
    /// did itself.
    pub async fn assert_inline_scripts_are_blocked(&self) {
        self.js(
            "var script = document.createElement('script');\n\
             script.textContent = 'window.__inline = true;';\n\
             document.body.appendChild(script);",
            Vec::new(),
        )
        .await;
        self.wait_for(
            "the inline script reported",
            "window.__violations.some(v => v.startsWith('script-src'))",
        )
        .await;
        assert_eq!(
            self.js("return window.__inline === true", Vec::new()).await,
            json!(false),
            "the inline script was blocked"
        );
        self.js("window.__violations.length = 0", Vec::new()).await;
    }

    /// The page's controls and fields as assistive technology sees them: `(role, name)` of each
    /// node of Chromium's accessibility tree that has a name.
    pub async fn accessible_names(&self) -> Vec<(String, String)> {
        let tree = self.cdp("Accessibility.getFullAXTree", json!({})).await;
        tree["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|node| {
                let role = node["role"]["value"].as_str()?;
                let name = node["name"]["value"]
                    .as_str()
                    .filter(|name| !name.is_empty())?;
                Some((role.to_owned(), name.to_owned()))
            })
            .collect()
    }

    /// The Content-Security-Policy violations the page recorded (see [`HostPage`] and
    /// [`Self::record_csp_violations`]).
    pub async fn csp_violations(&self) -> Value {
        self.js("return window.__violations || []", Vec::new())
            .await
    }

    /// Texts of the messages in the log, in order.
    pub async fn message_texts(&self) -> Vec<String> {
        let texts = self
            .js(
                &format!(
                    "return Array.from({}.querySelectorAll('.cw-msg .cw-text')).map(e => e.textContent)",
                    shadow()
                ),
                Vec::new(),
            )
            .await;
        serde_json::from_value(texts).expect("texts")
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Closes the browser; fails the test if the page reported a CSP violation, so every
    /// browser test checks the widget against the strict policy.
    pub async fn close(self) {
        let violations = self.csp_violations().await;
        let _ = self.client.close().await;
        assert_eq!(violations, json!([]), "CSP violations on the host page");
    }
}

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"cmd": self.method, "params": self.params});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}
