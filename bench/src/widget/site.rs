//! The two static servers of the widget bench: a host site on `localhost` (another origin than
//! the chat server's `127.0.0.1`) whose one page embeds either widget or none under a strict
//! Content-Security-Policy, and the reference widget's server, which serves the
//! `@rocket.chat/livechat` build as Rocket.Chat does (its files under `/livechat/`, the iframe
//! page one level up, here at `/frame`) plus a stub of the configuration call it makes first.

use anyhow::Result;
use axum::Router;
use axum::extract::Query;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_http::services::ServeDir;

const PROBE: &str = include_str!("probe.js");
const HOST_CSS: &str = "body { font-family: sans-serif; margin: 2rem; max-width: 40rem; }\n";

/// Which widget the host page embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embed {
    Nothing,
    Ours,
    Reference,
}

impl Embed {
    fn query(self) -> &'static str {
        match self {
            Self::Nothing => "none",
            Self::Ours => "ours",
            Self::Reference => "reference",
        }
    }
}

/// The running host site and reference server; both stop when this is dropped.
#[derive(Debug)]
pub struct Sites {
    host: String,
    /// Base URL of the reference widget's server.
    pub reference: String,
    _stops: [oneshot::Sender<()>; 2],
}

impl Sites {
    /// Serves the host page embedding the chat whose loader is at `loader` (on `backend`), and
    /// the reference widget's `build` folder.
    pub async fn start(backend: &str, loader: &str, build: &Path) -> Result<Self> {
        let reference_listener = TcpListener::bind("127.0.0.1:0").await?;
        let reference = format!("http://{}", reference_listener.local_addr()?);
        let host_listener = TcpListener::bind("127.0.0.1:0").await?;
        let host = format!("http://localhost:{}", host_listener.local_addr()?.port());
        let host_stop = serve(host_listener, host_site(backend, loader, &reference));
        let reference_stop = serve(reference_listener, reference_site(build));
        Ok(Self {
            host,
            reference,
            _stops: [host_stop, reference_stop],
        })
    }

    /// The reference's host loader script, as the page inserts it.
    pub fn reference_loader(&self) -> String {
        reference_loader(&self.reference)
    }

    /// The host page embedding `embed`.
    pub fn page(&self, embed: Embed) -> String {
        format!("{}/?widget={}", self.host, embed.query())
    }
}

fn reference_loader(reference: &str) -> String {
    format!("{reference}/livechat/rocketchat-livechat.min.js")
}

fn serve(listener: TcpListener, app: Router) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    stop
}

fn host_site(backend: &str, loader: &str, reference: &str) -> Router {
    let reference_loader = reference_loader(reference);
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Bench shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/host.css"></head>
<body><h1>Bench shop</h1>
<p>A host page for the widget bench: a heading, this text and a button.</p>
<button type="button">Add to cart</button>
<script src="/probe.js" data-chat="{loader}" data-reference="{reference}"
  data-reference-loader="{reference_loader}"></script>
</body></html>"#
    );
    let ours = headless::content_security_policy(backend);
    // The same strictness for the reference: its files, its iframe and its calls, nothing inline.
    let theirs = format!(
        "default-src 'none'; script-src 'self' {reference}; frame-src {reference}; \
         connect-src {reference}; img-src {reference} data:; style-src 'self'"
    );
    Router::new()
        .route(
            "/",
            get(move |Query(query): Query<HashMap<String, String>>| {
                let policy = match query.get("widget").map(String::as_str) {
                    Some("reference") => theirs.clone(),
                    _ => ours.clone(),
                };
                let page = page.clone();
                async move { ([(header::CONTENT_SECURITY_POLICY, policy)], Html(page)) }
            }),
        )
        .route(
            "/probe.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], PROBE) }),
        )
        .route(
            "/host.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], HOST_CSS) }),
        )
}

fn reference_site(build: &Path) -> Router {
    let index = build.join("index.html");
    Router::new()
        .route(
            "/frame",
            get(move || {
                let index = index.clone();
                async move {
                    match tokio::fs::read_to_string(&index).await {
                        Ok(page) => Html(page).into_response(),
                        Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
                    }
                }
            }),
        )
        .route("/api/v1/livechat/config", get(stub_config))
        .nest_service("/livechat", ServeDir::new(build))
}

/// What a Rocket.Chat server with an online agent and no forms would answer, minimally.
async fn stub_config() -> impl IntoResponse {
    axum::Json(json!({
        "success": true,
        "config": {
            "enabled": true,
            "online": true,
            "settings": {"registrationForm": false},
            "theme": {"title": "Bench shop"},
            "triggers": [],
            "departments": [],
            "resources": {},
            "messages": {}
        }
    }))
}
