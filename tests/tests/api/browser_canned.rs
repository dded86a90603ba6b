//! Canned replies in the operators' console, in headless Chromium: an operator the test
//! creates logs in, types `/` at the start of the composer (a text box completing from a
//! list) and gets a listbox of its canned replies filtered as it types; arrows and Enter insert one without sending it, Esc closes
//! the list and leaves the conversation open; the header's management view adds and deletes
//! canned replies on the server. Both pass axe-core's WCAG rules; no CSP violation on the way.

use fantoccini::key::Key;
use headless::{DESKTOP, Driver, Session};
use protocol::operator::{CannedReply, CannedReplyList, LoginAnswer, LoginRequest, NewCannedReply};
use serde_json::json;
use tests::server::INTEGRATION_ID;
use tests::{Db, Options, TestServer};

const EMAIL: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";

fn canned_url(server: &TestServer) -> String {
    format!("{}/api/v1/operator/canned-replies", server.base)
}

/// Logs the operator in over the API: its bearer token.
async fn api_token(server: &TestServer) -> String {
    let answer: LoginAnswer = tests::json(
        tests::http()
            .post(format!("{}/api/v1/operator/login", server.base))
            .json(&LoginRequest {
                email: EMAIL.into(),
                password: PASSWORD.into(),
            }),
    )
    .await;
    answer.token
}

async fn create(server: &TestServer, token: &str, shortcut: &str, text: &str) -> CannedReply {
    tests::json(
        tests::http()
            .post(canned_url(server))
            .bearer_auth(token)
            .json(&NewCannedReply {
                integration_id: INTEGRATION_ID.into(),
                shortcut: shortcut.into(),
                text: text.into(),
            }),
    )
    .await
}

async fn shortcuts(server: &TestServer, token: &str) -> Vec<String> {
    let list: CannedReplyList =
        tests::json(tests::http().get(canned_url(server)).bearer_auth(token)).await;
    list.canned_replies
        .into_iter()
        .map(|reply| reply.shortcut)
        .collect()
}

/// Sets a field of the console the way typing does (an `input` event), by CSS selector.
async fn fill(page: &Session, css: &str, value: &str) {
    page.js(
        "const field = document.querySelector(arguments[0]); field.value = arguments[1];
         field.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

/// The listbox's options (id, `aria-selected`, text), once `expected` of them show.
async fn options(page: &Session, expected: usize) -> serde_json::Value {
    page.wait_for(
        &format!("{expected} canned options"),
        &format!(
            "document.querySelectorAll('#co-canned-list [role=option]:not([aria-disabled])')\
             .length === {expected} && [...document.querySelectorAll('#co-canned-list \
             [role=option]')].map(o => [o.id, o.getAttribute('aria-selected'), o.textContent])"
        ),
    )
    .await
}

#[tokio::test]
async fn the_composer_picks_canned_replies_and_the_header_manages_them() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    server
        .add_operator(EMAIL, PASSWORD, &[INTEGRATION_ID])
        .await;
    let token = api_token(&server).await;
    let hello = create(&server, &token, "hello", "Hello! How can I help?").await;
    let thanks = create(&server, &token, "thanks", "Thank you for waiting!").await;

    let driver = Driver::start().await;
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.record_csp_violations().await;
    // A link to a conversation: once logged in, the console opens it with its composer.
    page.goto(&format!("{}/console/conversations/1", server.base))
        .await;
    page.wait_for(
        "the login form",
        "document.querySelector('form.co-login-form')",
    )
    .await;
    fill(&page, "form.co-login-form input[type=email]", EMAIL).await;
    fill(&page, "form.co-login-form input[type=password]", PASSWORD).await;
    page.js(
        "document.querySelector('form.co-login-form button[type=submit]').click()",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the composer",
        "document.querySelector('textarea[aria-label=Reply]')",
    )
    .await;
    page.js(
        "document.querySelector('textarea[aria-label=Reply]').focus()",
        Vec::new(),
    )
    .await;
    let composer = |what: &'static str| {
        format!(
            "(t => [t.getAttribute('aria-autocomplete'), t.getAttribute('aria-controls'), \
             t.getAttribute('aria-activedescendant'), t.value])\
             (document.querySelector('textarea[aria-label=Reply]')) /* {what} */"
        )
    };

    page.type_text("/tha").await;
    let shown = options(&page, 1).await;
    assert_eq!(
        shown[0][0],
        json!(format!("co-canned-{}", thanks.id)),
        "{shown}"
    );
    for _ in 0..3 {
        page.press(Key::Backspace).await;
    }
    let shown = options(&page, 2).await;
    assert_eq!(
        shown,
        json!([
            [
                format!("co-canned-{}", hello.id),
                "true",
                "/hello Hello! How can I help?"
            ],
            [
                format!("co-canned-{}", thanks.id),
                "false",
                "/thanks Thank you for waiting!"
            ]
        ])
    );
    assert_eq!(
        page.js(&format!("return {}", composer("open")), Vec::new())
            .await[1],
        json!("co-canned-list"),
        "the open list is the composer's"
    );
    assert_eq!(
        tests::axe::violations_in(&page, ".co-composer").await,
        Vec::<String>::new(),
        "the composer and its open listbox"
    );
    page.press(Key::Down).await;
    page.wait_for(
        "the second option selected",
        &format!(
            "document.querySelector('textarea[aria-label=Reply]')\
             .getAttribute('aria-activedescendant') === 'co-canned-{}'",
            thanks.id
        ),
    )
    .await;
    page.press(Key::Enter).await;
    page.wait_for(
        "the text inserted",
        "document.querySelector('textarea[aria-label=Reply]').value === 'Thank you for waiting!'",
    )
    .await;
    assert_eq!(
        page.js(&format!("return {}", composer("after Enter")), Vec::new())
            .await,
        json!(["list", null, null, "Thank you for waiting!"]),
        "the list closed: the composer names no listbox that is not there"
    );
    assert_eq!(
        page.js(
            "return document.querySelectorAll('.co-pending').length",
            Vec::new()
        )
        .await,
        json!(0),
        "Enter inserted, it did not send"
    );

    // Esc closes the list, not the conversation.
    fill(&page, "textarea[aria-label=Reply]", "").await;
    page.type_text("/").await;
    options(&page, 2).await;
    page.press(Key::Escape).await;
    page.wait_for(
        "the list closed",
        "!document.querySelector('#co-canned-list')",
    )
    .await;
    assert_eq!(
        page.js(
            "return !!document.querySelector('textarea[aria-label=Reply]')",
            Vec::new()
        )
        .await,
        json!(true),
        "the conversation stays open"
    );

    // The management view: add one, delete one.
    page.js(
        "[...document.querySelectorAll('header button')]\
         .find(b => b.textContent === 'Canned replies').click()",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the management view",
        "document.querySelector('[role=dialog] form.co-manage-form')",
    )
    .await;
    assert_eq!(
        tests::axe::violations_in(&page, "[role=dialog]").await,
        Vec::<String>::new(),
        "the management view"
    );
    fill(&page, ".co-manage-form input", "bye").await;
    fill(&page, ".co-manage-form textarea", "Goodbye!").await;
    page.js(
        "document.querySelector('.co-manage-form button[type=submit]').click()",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the new reply listed",
        "[...document.querySelectorAll('.co-manage-item')].some(i => i.textContent.includes('/bye'))",
    )
    .await;
    page.js(
        "document.querySelector('button[aria-label=\"Delete /hello\"]').click()",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the deleted reply gone",
        "![...document.querySelectorAll('.co-manage-item')].some(i => i.textContent.includes('/hello'))",
    )
    .await;
    assert_eq!(shortcuts(&server, &token).await, ["bye", "thanks"]);
    assert_eq!(page.csp_violations().await, json!([]));
    page.close().await;
}
