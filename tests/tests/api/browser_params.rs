//! The integration parameters as the widget shows them, in headless Chromium under the strict
//! host-page policy: the UI language, operator pictures, opening on an operator message, a
//! hidden collapsed state, and focus going back to the page when the chat closes.

use crate::browser::{DESKTOP, inbound, operator_says};
use backend::params::ParamValue;
use serde_json::json;
use tests::browser::{Driver, HostPage, Session, shadow};
use tests::{Db, Options, TestServer};

/// A server with `params`, a host page embedding it and a browser showing that page.
struct Chat {
    server: TestServer,
    page: Session,
    _host: HostPage,
    _driver: Driver,
}

impl Chat {
    async fn start(params: &[(&str, ParamValue)]) -> Self {
        let options = params.iter().fold(
            Options::default().with_widget(),
            |options, (name, value)| options.param(name, value.clone()),
        );
        let server = TestServer::start(Db::Sqlite, options).await;
        let host = HostPage::start(&server.base, "").await;
        let driver = Driver::start().await;
        let page = driver.session(DESKTOP.0, DESKTOP.1).await;
        page.open_page(&host.url).await;
        Self {
            server,
            page,
            _host: host,
            _driver: driver,
        }
    }

    async fn call(&self, method: &str) {
        self.page
            .js(
                &format!("window.CollaborationSystemWebChat1CE.{method}"),
                Vec::new(),
            )
            .await;
    }

    /// Sends a first message so the visitor has a conversation, and waits for it to be stored.
    async fn say_hello(&self) {
        self.call("open()").await;
        self.page.type_message("Hello").await;
        self.page
            .wait_for(
                "my message stored",
                &format!("{}.querySelector('.cw-msg-own .cw-status-sent')", shadow()),
            )
            .await;
    }
}

#[tokio::test]
async fn the_ui_speaks_the_integration_language() {
    for (code, send) in [
        ("ru", "Отправить"),
        ("ru_RU", "Отправить"),
        ("en", "Send"),
        ("de", "Send"),
    ] {
        let chat = Chat::start(&[("languageCode", ParamValue::Text(code.into()))]).await;
        chat.call("open()").await;
        chat.page
            .wait_for(
                &format!("the {code} send button"),
                &format!(
                    "{}.querySelector('.cw-send').textContent.trim() === {}",
                    shadow(),
                    json!(send)
                ),
            )
            .await;
        chat.page.close().await;
    }
}

#[tokio::test]
async fn operator_pictures_follow_display_user_pictures() {
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    for show in [true, false] {
        let chat = Chat::start(&[("displayUserPictures", ParamValue::Flag(show))]).await;
        chat.say_hello().await;
        inbound(
            &chat.server,
            json!({"createUser": {"extUserId": "op-1", "name": "Anna", "picture": PNG}}),
        )
        .await;
        operator_says(&chat.server, &chat.page, "r-1", "With a face").await;
        chat.page
            .wait_for(
                "the reply",
                &format!(
                    "Array.from({}.querySelectorAll('.cw-msg-other')).some(m => m.textContent.includes('With a face'))",
                    shadow()
                ),
            )
            .await;
        let pictures = format!(
            "{}.querySelectorAll('.cw-msg-other img.cw-avatar')",
            shadow()
        );
        if show {
            chat.page
                .wait_for(
                    "the operator's picture, loaded from the chat server",
                    &format!(
                        "Array.from({pictures}).some(i => i.complete && i.naturalWidth === 1)"
                    ),
                )
                .await;
        } else {
            let count = chat
                .page
                .js(&format!("return {pictures}.length"), Vec::new())
                .await;
            assert_eq!(
                count,
                json!(0),
                "no pictures when displayUserPictures is false"
            );
        }
        chat.page.close().await;
    }
}

#[tokio::test]
async fn an_operator_message_opens_the_chat_when_asked_to() {
    for open_on_message in [true, false] {
        let chat =
            Chat::start(&[("openChatOnNewMessage", ParamValue::Flag(open_on_message))]).await;
        chat.say_hello().await;
        chat.call("close()").await;
        operator_says(&chat.server, &chat.page, "r-1", "Are you there?").await;
        if open_on_message {
            chat.page
                .wait_for(
                    "the chat opened by the reply",
                    "window.__events.filter(e => e === 'open').length === 2",
                )
                .await;
        } else {
            chat.page
                .wait_for(
                    "the unread badge",
                    &format!("{}.querySelector('.cw-badge')", shadow()),
                )
                .await;
            let events = chat.page.js("return window.__events", Vec::new()).await;
            assert_eq!(
                events,
                json!(["initialized", "open", "close"]),
                "stays closed"
            );
        }
        chat.page.close().await;
    }
}

#[tokio::test]
async fn a_hidden_collapsed_state_shows_nothing_until_open() {
    let chat = Chat::start(&[("displayCollapsedState", ParamValue::Flag(false))]).await;
    let visible_tab = format!(
        "Array.from({}.querySelectorAll('.cw-tab, .cw-launcher')).filter(b => b.offsetWidth > 0).length",
        shadow()
    );
    assert_eq!(
        chat.page
            .js(&format!("return {visible_tab}"), Vec::new())
            .await,
        json!(0)
    );
    chat.call("open()").await;
    chat.page
        .wait_for(
            "the open panel",
            &format!("{}.querySelector('.cw-panel')", shadow()),
        )
        .await;
    chat.page.close().await;
}

#[tokio::test]
async fn focus_returns_to_the_page_when_the_chat_closes() {
    let chat = Chat::start(&[]).await;
    chat.page
        .js("document.getElementById('host-button').focus()", Vec::new())
        .await;
    chat.call("open()").await;
    chat.page
        .wait_for(
            "focus inside the chat",
            &format!(
                "{0}.activeElement && {0}.activeElement.classList.contains('cw-input')",
                shadow()
            ),
        )
        .await;
    chat.call("close()").await;
    chat.page
        .wait_for(
            "focus back on the page's button",
            "document.activeElement && document.activeElement.id === 'host-button'",
        )
        .await;
    chat.page.close().await;
}
