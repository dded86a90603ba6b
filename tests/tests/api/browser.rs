//! The widget in headless Chromium against the real backend and bundle, embedded by a host page
//! on another origin: the page API and its events, chatting with an operator live, unread
//! badge, HTML rendered inert, identity across browsers, reconnect after a restart, host CSS
//! and the layouts (screenshots under `target/screenshots/`).

use backend::config::params::ParamValue;
use headless::{Driver, HostPage, Session, shadow};
use protocol::ServerFrame;
use serde_json::{Value, json};
use tests::EmbeddedChat;
use tests::server::{Endpoint, SHOP_ORIGIN, WEBHOOK_TOKEN};
use tests::tokens::{claims, signed};
use tests::{Db, Options, TestServer, WsClient};

pub(crate) use headless::{DESKTOP, PHONE};
/// Where the widget keeps the visitor token.
pub(crate) const STORAGE_KEY: &str = "cw-webchat:shop:visitor-token";

async fn session(driver: &Driver, (width, height): (u32, u32)) -> Session {
    driver.session(width, height).await
}

/// Posts an inbound webhook command as the collaboration server would.
pub(crate) async fn inbound(server: &Endpoint, body: Value) {
    let response = tests::http()
        .post(format!(
            "{}/integration/webhook/shop:{WEBHOOK_TOKEN}/callback",
            server.base
        ))
        .json(&body)
        .send()
        .await
        .expect("inbound command");
    // 409: the operator exists already.
    assert!(
        [200, 409].contains(&response.status().as_u16()),
        "{body}: {}",
        response.status()
    );
}

/// The visitor token the page keeps (`null` when it has none).
pub(crate) async fn stored_visitor_token(page: &Session) -> Value {
    page.js(
        &format!("return localStorage.getItem('{STORAGE_KEY}')"),
        Vec::new(),
    )
    .await
}

/// The first frame a connection with the visitor token the page holds gets.
pub(crate) async fn welcome_of_page_visitor(server: &Endpoint, page: &Session) -> ServerFrame {
    let token = stored_visitor_token(page).await;
    let token = token.as_str().expect("the page keeps a visitor token");
    let mut client = WsClient::connect(&server.api(), SHOP_ORIGIN, token, None)
        .await
        .expect("connect as the visitor");
    client.next().await
}

/// An operator's reply in the conversation of the visitor whose token the page holds.
pub(crate) async fn operator_says(server: &Endpoint, page: &Session, ext_id: &str, text: &str) {
    let ServerFrame::Welcome {
        conversation_id: Some(conversation_id),
        ..
    } = welcome_of_page_visitor(server, page).await
    else {
        panic!("the visitor has a conversation");
    };
    inbound(
        server,
        json!({"createUser": {"extUserId": "op-1", "name": "Anna"}}),
    )
    .await;
    inbound(
        server,
        json!({"createMessage": {"extId": ext_id, "text": text, "extUserId": "op-1",
                                 "extConversationId": conversation_id.to_string()}}),
    )
    .await;
}

/// A state of the widget a visitor meets, in the order [`through_every_state`] shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WidgetState {
    /// The collapsed tab, before any conversation.
    Collapsed,
    /// The open chat with the visitor's message and an operator's.
    OpenWithMessages,
    /// The open chat with the contact form.
    ContactForm,
    /// The collapsed tab again, with an unread operator message on its badge.
    UnreadBadge,
}

/// Takes the chat through every [`WidgetState`] (with `openChatOnNewMessage` off, so the
/// second operator message waits on the badge), calling `check` in each.
pub(crate) async fn through_every_state(
    chat: &EmbeddedChat,
    mut check: impl AsyncFnMut(WidgetState),
) {
    check(WidgetState::Collapsed).await;
    chat.say_hello().await;
    operator_says(&chat.server, &chat.page, "r-1", "Hi there").await;
    chat.page.widget_element(".cw-msg-other .cw-text").await;
    check(WidgetState::OpenWithMessages).await;
    chat.page
        .widget_element(".cw-contact-toggle")
        .await
        .click()
        .await
        .expect("open the contact form");
    chat.page.widget_element(".cw-contact-name").await;
    check(WidgetState::ContactForm).await;
    chat.call("close()").await;
    operator_says(&chat.server, &chat.page, "r-2", "Still there?").await;
    chat.page
        .wait_for(
            "the unread badge",
            &format!("{}.querySelector('.cw-badge:not([hidden])')", shadow()),
        )
        .await;
    check(WidgetState::UnreadBadge).await;
}

/// Calls API method `call` (JavaScript after `chat.`) and returns what its promise resolves to.
pub(crate) async fn resolve(page: &Session, call: &str) -> Value {
    page.js_async(
        &format!(
            "var done = arguments[arguments.length - 1];\n\
             window.CollaborationSystemWebChat1CE.{call}.then(done, e => done('rejected: ' + e));"
        ),
        Vec::new(),
    )
    .await
}

/// The message of the error `call` throws, or `null`.
async fn thrown(page: &Session, call: &str) -> Value {
    page.js(
        &format!(
            "try {{ window.CollaborationSystemWebChat1CE.{call}; return null; }}\n\
             catch (e) {{ return e.constructor.name + ': ' + e.message; }}"
        ),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn the_page_api_and_its_events() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, "").await;
    let driver = Driver::start().await;
    let page = session(&driver, DESKTOP).await;
    page.open_page(&host.url).await;

    // Nothing stored and no visitor before the visitor interacts.
    let stored = page.js("return localStorage.length", Vec::new()).await;
    assert_eq!(stored, json!(0));
    assert_eq!(
        resolve(&page, "isVideoconferenceEnabled()").await,
        json!(false)
    );
    assert_eq!(resolve(&page, "startVideoconference()").await, json!(false));

    // Wrong arguments throw TypeErrors naming method and argument; unknown events only warn.
    let error = thrown(&page, "setContactInfo('Ivan')").await;
    assert!(
        error.as_str().is_some_and(|e| e.starts_with("TypeError")
            && e.contains("setContactInfo")
            && e.contains("info")),
        "{error}"
    );
    let error = thrown(&page, "sendMessage({text: 5})").await;
    assert!(
        error
            .as_str()
            .is_some_and(|e| e.contains("sendMessage") && e.contains("text")),
        "{error}"
    );
    let error = thrown(&page, "addListener('open', 'not a function')").await;
    assert!(
        error.as_str().is_some_and(|e| e.contains("listener")),
        "{error}"
    );
    assert_eq!(
        thrown(&page, "addListener('nonsense', function () {})").await,
        Value::Null
    );

    // removeListener removes exactly that function; the other spelling is the same event.
    page.js(
        "window.__extra = [];\n\
         window.__removed = function () { window.__extra.push('removed'); };\n\
         window.__kept = function () { window.__extra.push('kept'); };\n\
         var chat = window.CollaborationSystemWebChat1CE;\n\
         chat.addListener('OPEN', window.__removed);\n\
         chat.addListener('open', window.__kept);\n\
         chat.removeListener('open', window.__removed);\n\
         chat.addListener('videoconferenceend', function () {});",
        Vec::new(),
    )
    .await;

    page.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
        .await;
    page.wait_for(
        "the panel to show",
        &format!("!{}.querySelector('.cw-panel').hidden", shadow()),
    )
    .await;
    page.wait_for(
        "focus in the composer",
        &format!(
            "{}.activeElement && {0}.activeElement.classList.contains('cw-input')",
            shadow()
        ),
    )
    .await;
    assert_eq!(
        page.js("return window.__extra", Vec::new()).await,
        json!(["kept"])
    );
    page.wait_for(
        "a visitor token kept after the first interaction",
        &format!("localStorage.getItem('{STORAGE_KEY}')"),
    )
    .await;

    // Contact info: API round trip, then the form.
    page.js(
        "window.CollaborationSystemWebChat1CE.setContactInfo({name: 'Ivan', email: 'ivan@example.com', phone: '+7 900 123-45-67'})",
        Vec::new(),
    )
    .await;
    assert_eq!(
        resolve(&page, "getContactInfo()").await,
        json!({"name": "Ivan", "fullName": "Ivan", "email": "ivan@example.com", "phone": "+7 900 123-45-67"})
    );
    page.js(
        &format!(
            "var root = {};\n\
             root.querySelector('.cw-contact-toggle').click();",
            shadow()
        ),
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the contact form",
        &format!("{}.querySelector('.cw-contact-name')", shadow()),
    )
    .await;
    page.js(
        &format!(
            "var root = {};\n\
             var name = root.querySelector('.cw-contact-name');\n\
             name.value = 'Maria'; name.dispatchEvent(new Event('input'));\n\
             root.querySelector('.cw-save').click();",
            shadow()
        ),
        Vec::new(),
    )
    .await;
    assert_eq!(
        resolve(&page, "getContactInfo()").await["name"],
        json!("Maria")
    );

    // Escape closes; close() and the close button fire `close`.
    page.js(
        &format!(
            "{}.querySelector('.cw-input').dispatchEvent(new KeyboardEvent('keydown', {{key: 'Escape', bubbles: true}}))",
            shadow()
        ),
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the panel to close on Escape",
        &format!("{}.querySelector('.cw-panel').hidden", shadow()),
    )
    .await;
    page.js("window.CollaborationSystemWebChat1CE.close()", Vec::new())
        .await;
    let events = page.js("return window.__events", Vec::new()).await;
    assert_eq!(
        events,
        json!(["initialized", "open", "close"]),
        "close only once"
    );

    // logout() ends the visitor: token forgotten, log empty, a new visitor next time.
    let before = stored_visitor_token(&page).await;
    assert_eq!(resolve(&page, "logout()").await, Value::Null);
    let after = stored_visitor_token(&page).await;
    assert_eq!(after, Value::Null);
    assert_eq!(resolve(&page, "getContactInfo()").await["name"], json!(""));
    page.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
        .await;
    let renewed = page
        .wait_for(
            "a new visitor token",
            &format!("localStorage.getItem('{STORAGE_KEY}')"),
        )
        .await;
    assert_ne!(renewed, before);
    page.close().await;
}

#[tokio::test]
async fn chatting_with_an_operator_live() {
    let options = Options::default()
        .with_widget()
        .param("openChatOnNewMessage", ParamValue::Flag(false))
        .param("languageCode", ParamValue::Text("en".into()));
    let server = TestServer::start(Db::Sqlite, options).await;
    let host = HostPage::start(&server.base, "").await;
    let driver = Driver::start().await;
    let page = session(&driver, DESKTOP).await;
    page.open_page(&host.url).await;
    page.open_and_say("Where is my order?").await;

    operator_says(&server, &page, "r-1", "It ships today").await;
    page.wait_for(
        "the operator's reply",
        &format!(
            "Array.from({}.querySelectorAll('.cw-msg-other')).some(m => m.textContent.includes('It ships today') && m.textContent.includes('Anna'))",
            shadow()
        ),
    )
    .await;

    // Collapsed: the next reply shows on the badge, and opening clears it.
    page.js("window.CollaborationSystemWebChat1CE.close()", Vec::new())
        .await;
    operator_says(&server, &page, "r-2", "Anything else?").await;
    let badge = page
        .wait_for(
            "the unread badge",
            &format!(
                "{}.querySelector('.cw-tab .cw-badge:not([hidden])')?.textContent",
                shadow()
            ),
        )
        .await;
    assert_eq!(badge, json!("1"));
    page.screenshot("unread-badge").await;
    page.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
        .await;
    page.wait_for(
        "the badge to clear",
        &format!("!{}.querySelector('.cw-badge:not([hidden])')", shadow()),
    )
    .await;

    // HTML arrives inert: allowed formatting stays, scripts and handlers do not run.
    page.js(
        "window.__pwned = false;\n\
         window.CollaborationSystemWebChat1CE.sendMessage({textFormat: 'text/html', text: \
         '<b>bold</b><img src=x onerror=\"window.__pwned=true\"><script>window.__pwned=true</script>'});",
        Vec::new(),
    )
    .await;
    operator_says(
        &server,
        &page,
        "r-3",
        "<i>hi</i><img src=x onerror=\"window.__pwned=true\">",
    )
    .await;
    page.wait_for(
        "the html messages",
        &format!(
            "{0}.querySelector('.cw-msg-own .cw-text b') && {0}.querySelectorAll('.cw-msg-other').length >= 3",
            shadow()
        ),
    )
    .await;
    let inert = page
        .js(
            &format!(
                "var root = {};\n\
                 return {{pwned: window.__pwned, images: root.querySelectorAll('.cw-text img').length, \
                          scripts: root.querySelectorAll('.cw-text script').length}};",
                shadow()
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(inert, json!({"pwned": false, "images": 0, "scripts": 0}));
    // All of it under the strict policy of the host page, without a single violation.
    let violations = page.js("return window.__violations", Vec::new()).await;
    assert_eq!(violations, json!([]), "CSP violations");
    page.screenshot("conversation").await;
    page.close().await;
}

#[tokio::test]
async fn identity_follows_a_signed_token_across_browsers_and_a_tampered_one_is_refused() {
    let key = "site-sign-key";
    let options = Options {
        sign_key: Some(key.into()),
        ..Options::default()
    }
    .with_widget();
    let server = TestServer::start(Db::Sqlite, options).await;
    let host = HostPage::start(&server.base, "").await;
    let token = signed(jsonwebtoken::Algorithm::HS256, key, &claims("customer-42"));
    let driver = Driver::start().await;

    let first = session(&driver, DESKTOP).await;
    first.open_page(&host.url).await;
    first
        .js(
            "window.CollaborationSystemWebChat1CE.setMatchingKeyToken(arguments[0]);\n\
             window.CollaborationSystemWebChat1CE.sendMessage({text: 'from the first browser'});",
            vec![json!(token)],
        )
        .await;
    first
        .wait_for(
            "the first message stored",
            &format!("{}.querySelector('.cw-status-sent')", shadow()),
        )
        .await;
    first.close().await;

    let second = session(&driver, DESKTOP).await;
    second.open_page(&host.url).await;
    let mut tampered = token.clone();
    let signature_start = tampered.rfind('.').expect("a JWS") + 1;
    tampered.replace_range(signature_start..signature_start + 2, "AA");
    second
        .js(
            "var chat = window.CollaborationSystemWebChat1CE; chat.open();\n\
             chat.setMatchingKeyToken(arguments[0]);\n\
             chat.sendMessage({text: 'before a valid token'});",
            vec![json!(tampered)],
        )
        .await;
    second
        .wait_for(
            "the second browser's own message stored",
            &format!("{}.querySelector('.cw-status-sent')", shadow()),
        )
        .await;
    assert_eq!(second.message_texts().await, ["before a valid token"]);
    second
        .js(
            "window.CollaborationSystemWebChat1CE.setMatchingKeyToken(arguments[0]);",
            vec![json!(token)],
        )
        .await;
    second
        .wait_for(
            "the history of customer-42",
            &format!(
                "Array.from({}.querySelectorAll('.cw-text')).some(t => t.textContent === 'from the first browser')",
                shadow()
            ),
        )
        .await;
    second.close().await;
}

#[tokio::test]
async fn messages_survive_a_backend_restart_without_loss_or_duplicates() {
    let mut server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, "").await;
    let driver = Driver::start().await;
    let page = session(&driver, DESKTOP).await;
    page.open_page(&host.url).await;
    page.open_and_say("before the restart").await;

    server.stop().await;
    page.wait_for(
        "the offline notice",
        &format!(
            "/^(No connection|Нет связи):/.test({}.querySelector('.cw-notice:not([hidden])')?.textContent)",
            shadow()
        ),
    )
    .await;
    page.type_message("typed while offline").await;
    page.wait_for(
        "the message typed offline waiting",
        &format!("{}.querySelector('.cw-status-sending')", shadow()),
    )
    .await;
    server.start_again().await;
    page.wait_for(
        "both messages stored after reconnecting",
        &format!(
            "{}.querySelectorAll('.cw-status-sent').length == 2",
            shadow()
        ),
    )
    .await;
    operator_says(&server, &page, "r-1", "after the restart").await;
    page.wait_for(
        "the operator's reply after the restart",
        &format!("{}.querySelectorAll('.cw-msg').length == 3", shadow()),
    )
    .await;
    assert_eq!(
        page.message_texts().await,
        [
            "before the restart",
            "typed while offline",
            "after the restart"
        ]
    );
    page.close().await;
}

/// Host CSS that would break a widget living in the page's DOM.
const HOSTILE_CSS: &str = "* { all: unset !important; } button { display: none !important; }";

#[tokio::test]
async fn host_css_does_not_break_the_widget_and_every_layout_renders() {
    let driver = Driver::start().await;
    for (orientation, padding) in [
        ("bottom", "0"),
        ("bottom", "50"),
        ("left", "50"),
        ("right", "100"),
    ] {
        let options = Options::default()
            .with_widget()
            .param("orientation", ParamValue::Text(orientation.into()))
            .param("orientationPadding", ParamValue::Text(padding.into()))
            .param("titleText", ParamValue::Text("Support".into()));
        let server = TestServer::start(Db::Sqlite, options).await;
        let host = HostPage::start(&server.base, HOSTILE_CSS).await;
        let page = session(&driver, DESKTOP).await;
        page.open_page(&host.url).await;
        let tab = page
            .wait_for(
                "the tab on screen",
                &format!(
                    "(function () {{ var r = {}.querySelector('.cw-tab').getBoundingClientRect();\n\
                     return r.width > 20 && r.height > 20 && {{left: r.left, top: r.top, right: r.right, bottom: r.bottom}}; }})()",
                    shadow()
                ),
            )
            .await;
        let (left, top) = (tab["left"].as_f64().unwrap(), tab["top"].as_f64().unwrap());
        let (right, bottom) = (
            tab["right"].as_f64().unwrap(),
            tab["bottom"].as_f64().unwrap(),
        );
        let (width, height) = (f64::from(DESKTOP.0), f64::from(DESKTOP.1));
        match orientation {
            "bottom" => assert!(bottom > height - 200.0, "{orientation}: {tab}"),
            "left" => assert!(left < 1.0, "{orientation}: {tab}"),
            _ => assert!(right > width - 200.0, "{orientation}: {tab}"),
        }
        if (orientation, padding) == ("bottom", "0") {
            assert!(left < width / 2.0, "{tab}");
        }
        if (orientation, padding) == ("right", "100") {
            assert!(top < height / 2.0, "{tab}");
        }
        page.js(
            &format!("{}.querySelector('.cw-tab').click()", shadow()),
            Vec::new(),
        )
        .await;
        page.wait_for(
            "the open panel on screen",
            &format!(
                "{}.querySelector('.cw-panel').getBoundingClientRect().height > 200",
                shadow()
            ),
        )
        .await;
        page.type_message("styled?").await;
        page.wait_for(
            "the message stored despite the host CSS",
            &format!("{}.querySelector('.cw-status-sent')", shadow()),
        )
        .await;
        page.screenshot(&format!("orientation-{orientation}-{padding}"))
            .await;
        page.close().await;
    }

    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, HOSTILE_CSS).await;
    let phone = session(&driver, PHONE).await;
    phone.open_page(&host.url).await;
    phone
        .wait_for(
            "the round button instead of the tab",
            &format!(
                "{0}.querySelector('.cw-launcher').getBoundingClientRect().width > 40 && \
                 {0}.querySelector('.cw-tab').getBoundingClientRect().width == 0",
                shadow()
            ),
        )
        .await;
    phone.screenshot("mobile-collapsed").await;
    phone
        .js(
            &format!("{}.querySelector('.cw-launcher').click()", shadow()),
            Vec::new(),
        )
        .await;
    let size = phone
        .wait_for(
            "the full-screen chat",
            &format!(
                "(function () {{ var r = {}.querySelector('.cw-panel').getBoundingClientRect();\n\
                 return r.width == window.innerWidth && r.height > 0 && [r.width, r.height]; }})()",
                shadow()
            ),
        )
        .await;
    assert!(size[1].as_f64().unwrap() > 500.0, "{size}");
    phone.screenshot("mobile-open").await;
    phone.close().await;
}
