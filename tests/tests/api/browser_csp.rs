//! The chat on a host page under the strict Content-Security-Policy README gives for sites:
//! the page really is served with it, the chat loads and a message goes both ways without a
//! single reported violation, and the page's violation log does catch what the policy blocks.

use crate::browser::{DESKTOP, operator_says};
use headless::{Driver, HostPage, content_security_policy, shadow};
use serde_json::json;
use tests::{Db, Options, TestServer};

#[tokio::test]
async fn the_chat_works_under_the_strict_policy_without_violations() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, "").await;
    let response = tests::http()
        .get(&host.url)
        .send()
        .await
        .expect("the host page");
    let policy = response.headers()[axum::http::header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("an ASCII policy")
        .to_owned();
    assert_eq!(policy, content_security_policy(&server.base));
    for loophole in ["'unsafe-inline'", "'unsafe-eval'", "*"] {
        assert!(!policy.contains(loophole), "{loophole} in {policy}");
    }
    let socket = server.base.replacen("http", "ws", 1);
    assert!(
        policy.contains(&format!(
            "script-src 'self' {} 'wasm-unsafe-eval';",
            server.base
        )) && policy.contains(&format!("connect-src {} {socket};", server.base))
            && policy.contains(&format!("img-src {} data:;", server.base))
            && policy.ends_with("style-src 'self'"),
        "{policy}"
    );

    let driver = Driver::start().await;
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.open_page(&host.url).await;
    page.open_and_say("Under a strict policy").await;
    operator_says(&server, &page, "r-1", "Works here too").await;
    page.wait_for(
        "the operator's reply",
        &format!(
            "Array.from({}.querySelectorAll('.cw-msg-other .cw-text')).some(t => t.textContent === 'Works here too')",
            shadow()
        ),
    )
    .await;
    assert_eq!(page.csp_violations().await, json!([]), "CSP violations");

    // The log is not blind: an image from elsewhere and an inline script are blocked and
    // reported, so a widget doing either would fail the tests.
    page.js(
        "var image = document.createElement('img');\n\
         image.src = 'http://127.0.0.1:9/elsewhere.png';\n\
         document.body.appendChild(image);",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the image reported",
        "window.__violations.some(v => v.startsWith('img-src'))",
    )
    .await;
    // Forgets both reports: closing checks only what the widget did.
    page.assert_inline_scripts_are_blocked().await;
    page.close().await;
}
