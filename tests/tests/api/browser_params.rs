//! The integration parameters and page behaviour as the widget shows them, in headless Chromium
//! under the strict host-page policy: the UI language, colour themes (auto following the
//! system), operator pictures, opening on an operator message, a hidden collapsed state, focus
//! going back to the page when the chat closes, and two tabs of one visitor in step.

use crate::browser::{DESKTOP, inbound, operator_says};
use backend::params::ParamValue;
use serde_json::json;
use tests::browser::{Driver, HostPage, Session, shadow};
use tests::{Db, Options, TestServer};

/// A server with `params`, a host page embedding it and a browser showing that page.
struct Chat {
    server: TestServer,
    page: Session,
    host: HostPage,
    _driver: Driver,
}

impl Chat {
    async fn start(params: &[(&str, ParamValue)]) -> Self {
        Self::start_with(params, &[]).await
    }

    /// Like [`Self::start`], with `flags` for Chromium.
    async fn start_with(params: &[(&str, ParamValue)], flags: &[&str]) -> Self {
        let options = params.iter().fold(
            Options::default().with_widget(),
            |options, (name, value)| options.param(name, value.clone()),
        );
        let server = TestServer::start(Db::Sqlite, options).await;
        let host = HostPage::start(&server.base, "").await;
        let driver = Driver::start().await;
        let page = driver.session_with(DESKTOP.0, DESKTOP.1, flags).await;
        page.open_page(&host.url).await;
        Self {
            server,
            page,
            host,
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
        self.page.open_and_say("Hello").await;
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

#[tokio::test]
async fn two_tabs_of_one_visitor_show_one_conversation_live() {
    let chat = Chat::start(&[]).await;
    chat.say_hello().await;
    let first = chat.page.client.window().await.expect("first tab");
    let second = chat
        .page
        .client
        .new_window(true)
        .await
        .expect("second tab")
        .handle;
    chat.page
        .client
        .switch_to_window(second.clone())
        .await
        .expect("switch to the second tab");
    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    let history = format!(
        "(function () {{ var t = Array.from({}.querySelectorAll('.cw-msg .cw-text')).map(e => e.textContent); \
         return t.length === 1 && t[0] === 'Hello'; }})()",
        shadow()
    );
    chat.page
        .wait_for("the first tab's message in the second tab", &history)
        .await;

    chat.page
        .client
        .switch_to_window(first)
        .await
        .expect("back to the first tab");
    chat.page.type_message("From the first tab").await;
    chat.page
        .client
        .switch_to_window(second)
        .await
        .expect("to the second tab");
    let live = format!(
        "(function () {{ var t = Array.from({}.querySelectorAll('.cw-msg .cw-text')).map(e => e.textContent); \
         return t.length === 2 && t[1] === 'From the first tab'; }})()",
        shadow()
    );
    chat.page
        .wait_for("the message live in the second tab, once", &live)
        .await;
    chat.page.close().await;
}

/// The open panel's background for `colorTheme` `theme`, in a browser started with `flags`.
async fn panel_background(theme: &str, flags: &[&str]) -> serde_json::Value {
    let chat = Chat::start_with(&[("colorTheme", ParamValue::Text(theme.into()))], flags).await;
    chat.call("open()").await;
    let background = chat
        .page
        .wait_for(
            "the open panel",
            &format!(
                "{0}.querySelector('.cw-panel') && getComputedStyle({0}.querySelector('.cw-panel')).backgroundColor",
                shadow()
            ),
        )
        .await;
    chat.page.close().await;
    background
}

#[tokio::test]
async fn color_themes_light_dark_and_auto_following_the_system() {
    let light = panel_background("light", &[]).await;
    let dark = panel_background("dark", &[]).await;
    assert_ne!(light, dark);
    assert_eq!(
        panel_background("auto", &[]).await,
        light,
        "auto on a light system"
    );
    assert_eq!(
        panel_background("auto", &["--force-dark-mode"]).await,
        dark,
        "auto on a dark system"
    );
    assert_eq!(
        panel_background("light", &["--force-dark-mode"]).await,
        light,
        "an explicit theme ignores the system"
    );
}
