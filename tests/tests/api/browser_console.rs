//! The operators' console served at `/console/` by the real server, loaded in headless
//! Chromium: its page carries the console's own strict Content Security Policy and is never
//! cached while the hashed files are cached for good, any path below `/console/` is the page
//! (links to a conversation) while `/widget/console/` is nothing, and the login form renders with its stable accessible names,
//! passes axe-core's WCAG rules, and draws no CSP violation. End to end, a visitor on a host
//! page and an operator logged in to the console chat live.

use backend::api::CONSOLE_CONTENT_SECURITY_POLICY;
use backend::config::params::ParamValue;
use headless::{DESKTOP, Driver, HostPage, Session, shadow};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use serde_json::json;
use tests::server::INTEGRATION_ID;
use tests::{Db, Options, TestServer};

#[tokio::test]
async fn the_console_page_and_files_are_served_with_its_policy_and_caching() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let mut page_text = String::new();
    for path in ["/console/", "/console", "/console/conversations/12"] {
        let response = tests::http()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("the console page");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(
            headers[CONTENT_SECURITY_POLICY], CONSOLE_CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(headers[CACHE_CONTROL], "no-cache", "{path}");
        page_text = response.text().await.expect("the page");
    }
    for loophole in ["'unsafe-inline'", "'unsafe-eval'", "*"] {
        assert!(
            !CONSOLE_CONTENT_SECURITY_POLICY.contains(loophole),
            "{loophole}"
        );
    }
    assert!(
        !page_text.contains("<script>") && !page_text.contains("<script type=\"module\">"),
        "no inline script in the page: {page_text}"
    );
    let glue = page_text
        .split('"')
        .find(|part| part.starts_with("/console/console-") && part.ends_with(".js"))
        .expect("the page names the console's glue");
    let response = tests::http()
        .get(format!("{}{glue}", server.base))
        .send()
        .await
        .expect("the glue");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .is_ok_and(|kind| kind.contains("javascript"))
    );
    // The console's folder is inside the widget's, but its page is only served with its policy.
    for path in [
        "/widget/console/",
        "/widget/console/index.html",
        "/widget/console",
    ] {
        let response = tests::http()
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("the console through the widget's path");
        assert_eq!(response.status(), 404, "{path}");
    }
}

/// The console's login form in a browser whose language is `language` (Chromium's own when
/// `None`), recording CSP violations from the start.
pub(crate) async fn login_form(
    server: &TestServer,
    driver: &Driver,
    language: Option<&str>,
) -> Session {
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.record_csp_violations().await;
    if let Some(language) = language {
        // The browser's language as the page reads it, before the page's scripts run.
        page.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": format!(
                "Object.defineProperty(navigator, 'language', {{ get: () => '{language}' }});"
            )}),
        )
        .await;
    }
    page.goto(&format!("{}/console/", server.base)).await;
    page.wait_for(
        "the login form",
        "document.querySelector('form.co-login-form button[type=submit]')",
    )
    .await;
    page
}

/// Fails unless the page has each `(role, name)` in its accessibility tree.
async fn assert_named(page: &Session, expected: [(&str, &str); 3]) {
    let names = page.accessible_names().await;
    for (role, name) in expected {
        assert!(
            names.iter().any(|(r, n)| r == role && n == name),
            "{role} {name:?} in {names:?}"
        );
    }
}

#[tokio::test]
async fn the_login_form_renders_under_the_policy_with_its_accessible_names() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let driver = Driver::start().await;
    let page = login_form(&server, &driver, None).await;
    assert_named(
        &page,
        [
            ("textbox", "Email"),
            ("textbox", "Password"),
            ("button", "Log in"),
        ],
    )
    .await;
    assert_eq!(
        tests::axe::violations_in(&page, "html").await,
        Vec::<String>::new()
    );
    assert_eq!(page.csp_violations().await, json!([]));
    page.assert_inline_scripts_are_blocked().await;
    page.close().await;
}

#[tokio::test]
async fn the_console_speaks_russian_to_a_russian_browser() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let driver = Driver::start().await;
    let page = login_form(&server, &driver, Some("ru-RU")).await;
    assert_eq!(
        page.js(
            "return [document.documentElement.lang, document.title]",
            Vec::new()
        )
        .await,
        json!(["ru", "Консоль оператора"])
    );
    assert_named(
        &page,
        [
            ("textbox", "Эл. почта"),
            ("textbox", "Пароль"),
            ("button", "Войти"),
        ],
    )
    .await;
    page.close().await;
}

/// Sets the console's field `css` to `value` as typing would (Leptos reads `input` events).
pub(crate) async fn fill(page: &Session, css: &str, value: &str) {
    page.js(
        "const field = document.querySelector(arguments[0]); field.value = arguments[1]; \
         field.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

pub(crate) async fn click(page: &Session, css: &str) {
    page.js(
        "document.querySelector(arguments[0]).click();",
        vec![json!(css)],
    )
    .await;
}

/// Logs in on the console's login form and waits for the inbox.
pub(crate) async fn log_in(console: &Session, email: &str, password: &str) {
    fill(console, "#co-email", email).await;
    fill(console, "#co-password", password).await;
    click(console, "form.co-login-form button[type=submit]").await;
    console
        .wait_for("the inbox", "document.querySelector('.co-inbox')")
        .await;
}

#[tokio::test]
async fn a_visitor_and_a_console_operator_chat_live() {
    let options = Options::default()
        .with_widget()
        .param("languageCode", ParamValue::Text("en".into()));
    let server = TestServer::start(Db::Sqlite, options).await;
    server
        .add_operator(
            "anna@example.com",
            "correct horse battery",
            &[INTEGRATION_ID],
        )
        .await;
    let driver = Driver::start().await;
    let console = login_form(&server, &driver, Some("en")).await;
    log_in(&console, "anna@example.com", "correct horse battery").await;

    let host = HostPage::start(&server.base, "").await;
    let visitor = driver.session(DESKTOP.0, DESKTOP.1).await;
    visitor.open_page(&host.url).await;
    visitor.open_and_say("Where is my order?").await;

    console
        .wait_for(
            "the visitor's message in the inbox, live",
            "Array.from(document.querySelectorAll('.co-entry')).some(e => e.textContent.includes('Where is my order?'))",
        )
        .await;
    click(&console, ".co-entry").await;
    console
        .wait_for(
            "the conversation open",
            "document.querySelector('.co-log')?.textContent.includes('Where is my order?')",
        )
        .await;
    fill(&console, "textarea.co-input", "It ships today").await;
    click(&console, "form.co-composer button[type=submit]").await;
    visitor
        .wait_for(
            "the console's reply in the widget",
            &format!(
                "Array.from({}.querySelectorAll('.cw-msg-other')).some(m => m.textContent.includes('It ships today'))",
                shadow()
            ),
        )
        .await;
    assert_eq!(console.csp_violations().await, json!([]));
    visitor.close().await;
    console.close().await;
}
