//! Privacy in the browser: the page's query and fragment (reset and OAuth tokens) never leave
//! it with a message; a login replaces the visitor token and the browser's other tabs follow;
//! a visitor back after the idle expiry starts afresh; a logout the server could not confirm is
//! retried, also after a reload, while the widget starts fresh at once.

use crate::browser::{STORAGE_KEY, resolve};
use crate::privacy::{DAY_MS, refused};
use headless::{DESKTOP, shadow};
use serde_json::Value;
use tests::EmbeddedChat;
use tests::Options;
use tests::fake_collab::FakeCollaborationServer;
use tests::tokens::{claims, unsigned};

const PENDING_LOGOUT_KEY: &str = "cw-webchat:shop:pending-logout";

/// Records every frame the page's WebSockets send in `window.__sent`, from now on.
const SPY_ON_SOCKETS: &str = "window.__sent = [];\n\
     const send = WebSocket.prototype.send;\n\
     WebSocket.prototype.send = function (data) { window.__sent.push(String(data)); \
     return send.call(this, data); };";

#[tokio::test]
async fn the_page_query_and_fragment_never_leave_the_page() {
    let fake = FakeCollaborationServer::start().await;
    let options = Options {
        webhook_url: Some(fake.url()),
        ..Options::default()
    }
    .with_widget();
    let chat = EmbeddedChat::start_with(options, DESKTOP, "?reset=SECRET#access_token=X").await;
    chat.page.js(SPY_ON_SOCKETS, Vec::new()).await;
    chat.say_hello().await;
    let sent = chat
        .page
        .js("return window.__sent.join('\\n')", Vec::new())
        .await;
    let sent = sent.as_str().expect("frames");
    assert!(sent.contains("Hello"), "the spy saw the message: {sent}");
    for secret in ["SECRET", "access_token"] {
        assert!(!sent.contains(secret), "{secret} left the page: {sent}");
    }
    let data = fake.message_data("Hello").await;
    assert_eq!(
        data["pageUrl"],
        chat.host.url.as_str(),
        "origin and path only"
    );
    let stored = chat
        .server
        .select_texts("SELECT page_url FROM messages WHERE text = 'Hello'")
        .await;
    assert_eq!(stored[0][0].as_deref(), Some(chat.host.url.as_str()));
    chat.page.close().await;
}

#[tokio::test]
async fn a_logout_the_server_missed_is_retried_after_a_reload() {
    let mut chat = EmbeddedChat::start_with(Options::default().with_widget(), DESKTOP, "").await;
    chat.say_hello().await;
    let item = |key: &str| format!("return localStorage.getItem('{key}')");
    let token = chat.page.js(&item(STORAGE_KEY), Vec::new()).await;
    let token = token.as_str().expect("a visitor token").to_owned();

    chat.server.stop().await;
    let outcome = resolve(&chat.page, "logout()").await;
    assert!(
        outcome.as_str().is_some_and(|o| o.starts_with("rejected")),
        "the page learns the server did not confirm: {outcome}"
    );
    // The widget starts fresh at once; the token waits aside for the server.
    assert_eq!(
        chat.page.js(&item(STORAGE_KEY), Vec::new()).await,
        Value::Null
    );
    assert_eq!(
        chat.page.js(&item(PENDING_LOGOUT_KEY), Vec::new()).await,
        Value::String(token.clone())
    );
    assert!(chat.page.message_texts().await.is_empty());
    // Leave the page while the server is still down: its own retries go with it.
    chat.page.goto("about:blank").await;

    chat.server.start_again().await;
    assert!(
        !refused(&chat.server, &token).await,
        "the server never heard of the logout yet"
    );
    chat.page.open_page(&chat.host.url).await;
    chat.page
        .wait_for(
            "the logout confirmed",
            &format!("localStorage.getItem('{PENDING_LOGOUT_KEY}') === null"),
        )
        .await;
    assert!(
        refused(&chat.server, &token).await,
        "the old token is ended"
    );
    chat.page.close().await;
}

#[tokio::test]
async fn after_a_login_in_one_tab_the_other_tab_reconnects_with_the_new_token() {
    let mut chat = EmbeddedChat::start_with(Options::default().with_widget(), DESKTOP, "").await;
    chat.say_hello().await;
    let stored_token = format!("return localStorage.getItem('{STORAGE_KEY}')");
    let old = chat.page.js(&stored_token, Vec::new()).await;
    let old = old.as_str().expect("a visitor token").to_owned();
    let client = &chat.page.client;
    let first = client.window().await.expect("first tab");
    let second = client.new_window(true).await.expect("second tab").handle;
    client
        .switch_to_window(second.clone())
        .await
        .expect("to the second tab");
    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    let has = |text: &str| {
        format!(
            "Array.from({}.querySelectorAll('.cw-msg-own')).some(m => \
             m.textContent.includes('{text}') && m.querySelector('.cw-status-sent'))",
            shadow()
        )
    };
    chat.page
        .wait_for("the conversation in the second tab", &has("Hello"))
        .await;

    client
        .switch_to_window(first)
        .await
        .expect("to the first tab");
    chat.page
        .js(
            "window.CollaborationSystemWebChat1CE.setMatchingKeyToken(arguments[0]);",
            vec![Value::String(unsigned(&claims("customer-9")))],
        )
        .await;
    let replaced = format!(
        "localStorage.getItem('{STORAGE_KEY}') !== {}",
        Value::String(old.clone())
    );
    chat.page
        .wait_for("a new visitor token stored", &replaced)
        .await;
    assert!(
        refused(&chat.server, &old).await,
        "the old token is refused"
    );

    // Both tabs lose their connection; the second comes back with the token the first stored.
    chat.server.restart().await;
    client
        .switch_to_window(second)
        .await
        .expect("to the second tab");
    chat.page.type_message("from the second tab").await;
    chat.page
        .wait_for(
            "the second tab's message stored",
            &has("from the second tab"),
        )
        .await;
    chat.page.close().await;
}

#[tokio::test]
async fn a_visitor_back_after_the_idle_expiry_starts_afresh() {
    let chat = EmbeddedChat::start_with(Options::default().with_widget(), DESKTOP, "").await;
    chat.say_hello().await;
    let old = chat
        .page
        .js(
            &format!("return localStorage.getItem('{STORAGE_KEY}')"),
            Vec::new(),
        )
        .await;
    let old = old.as_str().expect("a visitor token").to_owned();
    chat.server
        .execute_sql(&format!(
            "UPDATE visitors SET last_seen_at = last_seen_at - {} WHERE token_hash = '{}'",
            181 * DAY_MS,
            backend::auth::visitor_token::hash(&old)
        ))
        .await;
    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    let renewed = format!(
        "localStorage.getItem('{STORAGE_KEY}') && localStorage.getItem('{STORAGE_KEY}') !== {}",
        Value::String(old)
    );
    chat.page.wait_for("a new visitor", &renewed).await;
    chat.page.type_message("back after half a year").await;
    chat.page
        .wait_for(
            "the message stored",
            &format!("{}.querySelector('.cw-msg-own .cw-status-sent')", shadow()),
        )
        .await;
    assert_eq!(chat.page.message_texts().await, ["back after half a year"]);
    chat.page.close().await;
}
