//! The host page of the browser tests: a site on its own origin whose page embeds the chat's
//! script tag under the strict Content-Security-Policy README gives for sites, and records the
//! chat's events, CSP violations and console warnings for the tests to read.

use tokio::net::TcpListener;

/// Records the page's CSP violations in `window.__violations`: the host page runs it, and
/// [`crate::Session::record_csp_violations`] puts it before the scripts of any page.
pub(crate) const VIOLATION_RECORDER: &str = r#"
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"#;

/// The host page's own script (after [`VIOLATION_RECORDER`]): records chat events and
/// console warnings.
const HOST_SCRIPT: &str = r#"
window.__events = [];
window.__warnings = [];
var consoleWarn = console.warn;
console.warn = function () {
  window.__warnings.push(Array.prototype.join.call(arguments, " "));
  consoleWarn.apply(console, arguments);
};
function subscribe() {
  var chat = window.CollaborationSystemWebChat1CE;
  if (!chat || window.__subscribed) return;
  window.__subscribed = true;
  ["initialized", "open", "close"].forEach(function (name) {
    chat.addListener(name, function () { window.__events.push(name); });
  });
  // `?early`: calls made as soon as the object exists, before the chat has loaded.
  if (location.search.indexOf("early") >= 0) {
    chat.setContactInfo({ name: "Early bird" });
    chat.getContactInfo().then(function (contact) { window.__early = contact; });
  }
}
new MutationObserver(subscribe).observe(document.documentElement, {
  childList: true,
  subtree: true
});
"#;

/// The policy README gives for a site embedding the chat from `backend`: scripts from the site
/// and the chat server plus WebAssembly, connections and images only to the chat server,
/// nothing inline anywhere.
pub fn content_security_policy(backend: &str) -> String {
    let socket = backend.replacen("http", "ws", 1);
    format!(
        "default-src 'none'; script-src 'self' {backend} 'wasm-unsafe-eval'; \
         connect-src {backend} {socket}; img-src {backend} data:; style-src 'self'"
    )
}

/// A site on its own origin whose page embeds the chat's script tag.
#[derive(Debug)]
pub struct HostPage {
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl HostPage {
    /// Serves a page embedding the chat of `backend` (its base URL), with `css` in the
    /// page's own stylesheet, under the strict Content-Security-Policy README gives for sites
    /// (nothing inline: the page's script and stylesheet are files). The page records the chat's
    /// events in `window.__events`, subscribing as soon as the chat object appears, and every
    /// CSP violation in `window.__violations`, console warnings in `window.__warnings`. With
    /// `?early` in its URL it calls `setContactInfo` and `getContactInfo` at once, the answer
    /// going to `window.__early`.
    pub async fn start(backend: &str, css: &str) -> Self {
        let page = format!(
            r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/host.css"><script src="/host.js"></script></head>
<body><h1>Test shop</h1><button id="host-button">Host button</button>
<script src="{backend}/integration/webchat/shop:public-token" async></script>
</body></html>"#
        );
        let policy = content_security_policy(backend);
        let css = css.to_owned();
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || {
                    let page = page.clone();
                    let policy = policy.clone();
                    async move {
                        (
                            [(axum::http::header::CONTENT_SECURITY_POLICY, policy)],
                            axum::response::Html(page),
                        )
                    }
                }),
            )
            .route(
                "/host.js",
                axum::routing::get(|| async {
                    (
                        [(axum::http::header::CONTENT_TYPE, "text/javascript")],
                        format!("{VIOLATION_RECORDER}{HOST_SCRIPT}"),
                    )
                }),
            )
            .route(
                "/host.css",
                axum::routing::get(move || {
                    let css = css.clone();
                    async move { ([(axum::http::header::CONTENT_TYPE, "text/css")], css) }
                }),
            );
        // `localhost`, not the backend's `127.0.0.1`: another origin.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            url: format!("http://localhost:{port}/"),
            _stop: stop,
        }
    }
}
