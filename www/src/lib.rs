//! The demo shop: a static shop page on its own origin that embeds the chat exactly as a
//! customer's site would, with the one `<script>` tag the chat server hands out, under a
//! strict Content-Security-Policy that allows only what the chat needs.
//!
//! [`fetch_demo_config`] asks the chat server for the tag, [`Shop::new`] renders the page
//! once and [`app`] serves it, with a demo login (`POST /login`, driven by `static/shop.js`)
//! that hands the chat a signed matching-key token.

use anyhow::{Context, Result, bail};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use reqwest::Url;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

const PAGE_TEMPLATE: &str = include_str!("../static/index.html");
const STYLESHEET: &str = include_str!("../static/shop.css");
const SCRIPT: &str = include_str!("../static/shop.js");
const SCRIPT_TAG_PLACEHOLDER: &str = "<!-- webchat:script-tag -->";
const SCRIPT_TAG_TEXT_PLACEHOLDER: &str = "<!-- webchat:script-tag-text -->";
const CONFIG_ATTEMPTS: u32 = 5;
const CONFIG_RETRY_DELAY: Duration = Duration::from_secs(1);
const CONFIG_TIMEOUT: Duration = Duration::from_secs(5);

/// What `GET <chat-url>/demo/config` answers when the chat server runs its embedded demo
/// integration.
#[derive(Debug, Clone, Deserialize)]
pub struct DemoConfig {
    pub script_url: String,
    pub script_tag: String,
}

/// Fetches the demo configuration, retrying a few times while the chat server starts.
pub async fn fetch_demo_config(chat_url: &Url) -> Result<DemoConfig> {
    // Appended rather than joined, so a chat server under a path prefix keeps it.
    let url = Url::parse(&format!(
        "{}/demo/config",
        chat_url.as_str().trim_end_matches('/')
    ))?;
    let client = http_client()?;
    let mut attempt = 1;
    loop {
        let outcome = async {
            client
                .get(url.clone())
                .send()
                .await?
                .error_for_status()?
                .json::<DemoConfig>()
                .await
        }
        .await;
        match outcome {
            Ok(config) => return Ok(config),
            Err(error) if attempt < CONFIG_ATTEMPTS => {
                eprintln!("www: GET {url} failed (attempt {attempt}): {error}; retrying");
                attempt += 1;
                tokio::time::sleep(CONFIG_RETRY_DELAY).await;
            }
            Err(error) => {
                return Err(error).with_context(|| {
                    format!(
                        "GET {url} failed {CONFIG_ATTEMPTS} times; is the chat server running \
                         with its embedded demo integration?"
                    )
                });
            }
        }
    }
}

/// The rendered page and its policy, built once at start.
#[derive(Debug, Clone)]
pub struct Shop {
    page: String,
    content_security_policy: HeaderValue,
    /// Where the demo login gets its signed matching-key tokens.
    token_url: Url,
    client: reqwest::Client,
}

impl Shop {
    pub fn new(config: &DemoConfig, chat_url: &Url) -> Result<Self> {
        Ok(Self {
            page: render_page(&config.script_tag),
            content_security_policy: HeaderValue::from_str(&content_security_policy(chat_url)?)?,
            token_url: Url::parse(&format!(
                "{}/demo/matching-key-token",
                chat_url.as_str().trim_end_matches('/')
            ))?,
            client: http_client()?,
        })
    }
}

/// The workspace builds reqwest without a built-in TLS provider; ring is the one it uses.
fn http_client() -> Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder().timeout(CONFIG_TIMEOUT).build()?)
}

/// Body of the demo login.
#[derive(Debug, Deserialize)]
struct Login {
    name: String,
}

/// `POST /login`: the shop's server side of a login. It answers the customer's matching-key
/// token, signed by the chat server's demo route with the demo integration's signKey (a real
/// site signs with its own copy of the signKey).
async fn login(
    State(shop): State<Arc<Shop>>,
    Json(login): Json<Login>,
) -> Result<Json<serde_json::Value>, (StatusCode, String)> {
    let answer = shop
        .client
        .post(shop.token_url.clone())
        .json(&serde_json::json!({ "sub": login.name }))
        .send()
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))?;
    let status = answer.status();
    let body = answer
        .json::<serde_json::Value>()
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))?;
    if status.is_success() {
        Ok(Json(body))
    } else {
        Err((StatusCode::BAD_REQUEST, body.to_string()))
    }
}

pub fn app(shop: Shop) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/shop.css", get(stylesheet))
        .route("/shop.js", get(script))
        .route("/login", post(login))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(Arc::new(shop))
}

async fn page(State(shop): State<Arc<Shop>>) -> impl IntoResponse {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                CONTENT_SECURITY_POLICY,
                shop.content_security_policy.clone(),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        shop.page.clone(),
    )
}

async fn stylesheet() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8")], STYLESHEET)
}

async fn script() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT)
}

/// The page with the chat's script tag at the end of `<body>`, and the same tag shown as
/// text for visitors who want to see how the page embeds the chat.
fn render_page(script_tag: &str) -> String {
    PAGE_TEMPLATE
        .replace(SCRIPT_TAG_TEXT_PLACEHOLDER, &escape_html(script_tag))
        .replace(SCRIPT_TAG_PLACEHOLDER, script_tag)
}

/// The policy a strict shop would send: scripts, fetches, sockets and images only from this
/// site and the chat server, WebAssembly compilation allowed, nothing inline.
fn content_security_policy(chat_url: &Url) -> Result<String> {
    let socket_scheme = match chat_url.scheme() {
        "http" => "ws",
        "https" => "wss",
        other => bail!("the chat URL must be http or https, not {other}"),
    };
    let origin = chat_url.origin().ascii_serialization();
    let socket_origin = format!(
        "{socket_scheme}{}",
        origin.strip_prefix(chat_url.scheme()).unwrap_or_default()
    );
    Ok(format!(
        "default-src 'self'; \
         script-src 'self' {origin} 'wasm-unsafe-eval'; \
         connect-src 'self' {origin} {socket_origin}; \
         img-src 'self' {origin} data:; \
         style-src 'self'"
    ))
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_client() -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    const TAG: &str =
        r#"<script src="http://127.0.0.1:8080/integration/webchat/demo:abc" async></script>"#;

    #[test]
    fn page_embeds_the_script_tag_verbatim_once() {
        let page = render_page(TAG);
        assert_eq!(page.matches(TAG).count(), 1);
        assert!(page.contains("&lt;script src=&quot;http://127.0.0.1:8080/"));
        assert!(!page.contains("<!-- webchat:"));
    }

    #[test]
    fn page_has_no_inline_script_or_style() {
        let page = render_page(TAG)
            .replace(TAG, "")
            .replace(r#"<script src="/shop.js" defer></script>"#, "");
        assert!(!page.contains("<script"), "inline script in the page");
        assert!(!page.contains("<style"), "style element in the page");
        assert!(!page.contains("style="), "style attribute in the page");
    }

    #[test]
    fn policy_allows_the_chat_origin_and_its_websocket() {
        let url = Url::parse("http://127.0.0.1:8080/some/path").unwrap();
        assert_eq!(
            content_security_policy(&url).unwrap(),
            "default-src 'self'; \
             script-src 'self' http://127.0.0.1:8080 'wasm-unsafe-eval'; \
             connect-src 'self' http://127.0.0.1:8080 ws://127.0.0.1:8080; \
             img-src 'self' http://127.0.0.1:8080 data:; \
             style-src 'self'"
        );
        let secure = Url::parse("https://chat.example.com").unwrap();
        assert!(
            content_security_policy(&secure)
                .unwrap()
                .contains("connect-src 'self' https://chat.example.com wss://chat.example.com;")
        );
    }

    #[tokio::test]
    async fn serves_the_page_with_its_policy() {
        let url = Url::parse("http://127.0.0.1:8080").unwrap();
        let config = DemoConfig {
            script_url: "http://127.0.0.1:8080/integration/webchat/demo:abc".into(),
            script_tag: TAG.into(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(
            axum::serve(listener, app(Shop::new(&config, &url).unwrap())).into_future(),
        );

        let response = test_client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let policy = response.headers()[CONTENT_SECURITY_POLICY.as_str()]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.starts_with("default-src 'self'; script-src 'self' http://127.0.0.1:8080"));
        assert!(response.text().await.unwrap().contains(TAG));

        let css = test_client()
            .get(format!("http://{addr}/shop.css"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            css.headers()[CONTENT_TYPE.as_str()],
            "text/css; charset=utf-8"
        );
        server.abort();
    }

    #[tokio::test]
    async fn login_answers_the_token_the_chat_server_signs() {
        let fake_chat = Router::new().route(
            "/demo/matching-key-token",
            post(|Json(body): Json<serde_json::Value>| async move {
                Json(serde_json::json!({ "token": format!("signed-for-{}", body["sub"].as_str().unwrap()) }))
            }),
        );
        let chat = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let chat_url = Url::parse(&format!("http://{}", chat.local_addr().unwrap())).unwrap();
        let chat_server = tokio::spawn(axum::serve(chat, fake_chat).into_future());
        let config = DemoConfig {
            script_url: "http://chat/x".into(),
            script_tag: TAG.into(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shop = tokio::spawn(
            axum::serve(listener, app(Shop::new(&config, &chat_url).unwrap())).into_future(),
        );
        let answer: serde_json::Value = test_client()
            .post(format!("http://{addr}/login"))
            .json(&serde_json::json!({"name": "alice"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["token"], "signed-for-alice");
        let script = test_client()
            .get(format!("http://{addr}/shop.js"))
            .send()
            .await
            .unwrap();
        assert!(script.text().await.unwrap().contains("setMatchingKeyToken"));
        shop.abort();
        chat_server.abort();
    }

    #[tokio::test]
    async fn fetches_the_demo_config_from_the_chat_server() {
        let fake_chat = Router::new().route(
            "/demo/config",
            get(|| async {
                (
                    [(CONTENT_TYPE, "application/json")],
                    r#"{"script_url": "http://chat/x", "script_tag": "<script src=\"http://chat/x\" async></script>"}"#,
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(axum::serve(listener, fake_chat).into_future());

        let chat_url = Url::parse(&format!("http://{addr}")).unwrap();
        let config = fetch_demo_config(&chat_url).await.unwrap();
        assert_eq!(config.script_url, "http://chat/x");
        assert_eq!(
            config.script_tag,
            r#"<script src="http://chat/x" async></script>"#
        );
        server.abort();
    }
}
