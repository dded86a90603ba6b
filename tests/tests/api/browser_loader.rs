//! The loader script in headless Chromium: the page API and the collapsed tab come before the
//! WebAssembly chat, which a first-time visitor's page never fetches until the visitor reaches
//! for the chat (pointer on the tab, keyboard focus on it, a click, an API call that needs the
//! server); a returning visitor's page loads it when idle, so the unread badge shows. Loading
//! opens no connection and stores nothing; calls made before it loaded are answered once it has;
//! a server that is down, or a bundle that cannot load, leaves the page working with nothing
//! shown.

use crate::browser::{DESKTOP, STORAGE_KEY, operator_says, resolve};
use backend::config::params::ParamValue;
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::key::Key;
use headless::{Driver, HOST_ID, HostPage, Session, shadow};
use serde_json::json;
use tests::EmbeddedChat;
use tests::Options;

/// The widget bundle's files (glue and WebAssembly) the page fetched, by Resource Timing.
const BUNDLE_FILES: &str = "performance.getEntriesByType('resource')\
     .filter(e => /\\.(wasm|js)$/.test(e.name) && e.name.includes('/widget/'))";

/// An expression: `[widget files fetched, API calls made, items stored]`.
fn costs() -> String {
    format!(
        "[{BUNDLE_FILES}.length, \
         performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length, \
         localStorage.length]"
    )
}

/// Waits until the chat's bundle was fetched and the chat started (the tab no longer busy).
async fn chat_loaded(page: &Session) {
    page.wait_for(
        "the chat loaded",
        &format!(
            "{BUNDLE_FILES}.length === 2 && \
             {}.querySelector('.cw-tab').getAttribute('aria-busy') === 'false'",
            shadow()
        ),
    )
    .await;
}

/// What loading the chat cost besides its bundle: nothing stored, no API call, not opened.
async fn assert_loaded_untouched(page: &Session) {
    let costs = page.js(&format!("return {}", costs()), Vec::new()).await;
    assert_eq!(
        costs,
        json!([2, 0, 0]),
        "bundle only: no API call, nothing stored"
    );
    let events = page.js("return window.__events", Vec::new()).await;
    assert_eq!(events, json!(["initialized"]), "not opened");
}

#[tokio::test]
async fn a_first_time_visitor_who_does_nothing_costs_the_page_nothing() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    let tab_width = page
        .js(
            &format!("return {}.querySelector('.cw-tab').offsetWidth", shadow()),
            Vec::new(),
        )
        .await;
    assert!(tab_width.as_f64().unwrap_or_default() > 0.0, "tab drawn");
    // Calls that need no server leave the chat unloaded.
    page.js(
        "window.CollaborationSystemWebChat1CE.addListener('close', function () {});\n\
         window.CollaborationSystemWebChat1CE.close();",
        Vec::new(),
    )
    .await;
    let video = resolve(page, "isVideoconferenceEnabled()").await;
    assert_eq!(video, json!(false));
    // Absence is checked once a returning visitor's chat would have started loading: at the
    // first idle moment from 2 s after `load` (the loader's rule), then one idle period more.
    // The loader marks the tab busy as it starts, before anything is fetched.
    let costs = page
        .js_async(
            &format!(
                "var done = arguments[arguments.length - 1];\n\
                 var check = function () {{ done({}.concat([\
                   {}.querySelector('.cw-tab').hasAttribute('aria-busy')])); }};\n\
                 var idle = function () {{ requestIdleCallback(function () {{ \
                   requestIdleCallback(check); }}); }};\n\
                 var later = function () {{ setTimeout(idle, 2000); }};\n\
                 if (document.readyState === 'complete') later();\n\
                 else addEventListener('load', later);",
                costs(),
                shadow()
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(
        costs,
        json!([0, 0, 0, false]),
        "no widget file, no API call, nothing stored, never started loading"
    );
    chat.page.close().await;
}

#[tokio::test]
async fn the_pointer_entering_the_tab_loads_the_chat() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    let tab = page.widget_element(".cw-tab").await;
    let pointer = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: tab,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    page.client
        .perform_actions(pointer)
        .await
        .expect("move the pointer onto the tab");
    chat_loaded(page).await;
    assert_loaded_untouched(page).await;
    chat.page.close().await;
}

#[tokio::test]
async fn keyboard_focus_reaching_the_tab_loads_the_chat() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    // The host page's button comes right before the chat's tab in the focus order.
    page.js("document.getElementById('host-button').focus()", Vec::new())
        .await;
    page.press(Key::Tab).await;
    let focused = page
        .js(
            &format!("return {}.activeElement.className", shadow()),
            Vec::new(),
        )
        .await;
    assert_eq!(focused, json!("cw-tab"));
    chat_loaded(page).await;
    assert_loaded_untouched(page).await;
    chat.page.close().await;
}

#[tokio::test]
async fn a_click_on_the_tab_loads_and_opens_the_chat() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    // A click event alone, without the pointer moves or focus a real click brings.
    page.js(
        &format!("{}.querySelector('.cw-tab').click()", shadow()),
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the composer",
        &format!(
            "{}.querySelector('textarea.cw-input')?.offsetWidth > 0",
            shadow()
        ),
    )
    .await;
    chat_loaded(page).await;
    let events = page.js("return window.__events", Vec::new()).await;
    assert_eq!(events, json!(["initialized", "open"]));
    chat.page.close().await;
}

#[tokio::test]
async fn an_api_call_that_needs_the_server_loads_the_chat() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    let contact = resolve(page, "getContactInfo()").await;
    assert_eq!(
        contact,
        json!({"name": "", "fullName": "", "email": "", "phone": ""})
    );
    chat_loaded(page).await;
    chat.page.close().await;
}

#[tokio::test]
async fn a_returning_visitor_loads_the_chat_when_idle_and_sees_the_unread_badge() {
    let options = Options::default()
        .with_widget()
        .param("openChatOnNewMessage", ParamValue::Flag(false));
    let chat = EmbeddedChat::start_with(options, DESKTOP, "").await;
    chat.say_hello().await;
    let stored = chat
        .page
        .js(
            &format!("return localStorage.getItem('{STORAGE_KEY}')"),
            Vec::new(),
        )
        .await;
    assert!(stored.is_string(), "the visitor token is kept");

    chat.page.open_page(&chat.host.url).await;
    let page = &chat.page;
    chat_loaded(page).await;
    let started_after_load = page
        .js(
            &format!(
                "var load = performance.getEntriesByType('navigation')[0].loadEventStart;\n\
                 return {BUNDLE_FILES}.map(e => e.startTime >= load);"
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(
        started_after_load,
        json!([true, true]),
        "after the page's `load`"
    );
    operator_says(&chat.server, page, "r-1", "Still there?").await;
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
    let events = page.js("return window.__events", Vec::new()).await;
    assert_eq!(events, json!(["initialized"]), "the visitor did nothing");
    chat.page.close().await;
}

#[tokio::test]
async fn calls_made_before_the_chat_loaded_are_answered_in_order() {
    let chat = EmbeddedChat::start_with(Options::default().with_widget(), DESKTOP, "?early").await;
    let page = &chat.page;
    let contact = page
        .wait_for("the early getContactInfo", "window.__early")
        .await;
    assert_eq!(
        contact,
        json!({"name": "Early bird", "fullName": "Early bird", "email": "", "phone": ""})
    );
    chat.page.close().await;
}

#[tokio::test]
async fn a_chat_server_that_is_down_leaves_the_page_working() {
    // Nothing listens on port 9 here: the script tag fails to load.
    let host = HostPage::start("http://127.0.0.1:9", "").await;
    let driver = Driver::start().await;
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.goto(&host.url).await;
    // WebDriver may hand the page back before its `load`; the page must still reach it.
    page.wait_for("the host page's load", "document.readyState === 'complete'")
        .await;
    let state = page
        .js(
            &format!(
                "return [document.readyState, typeof window.CollaborationSystemWebChat1CE, \
                 !!document.getElementById('{HOST_ID}'), document.getElementById('host-button').offsetWidth > 0]"
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(state, json!(["complete", "undefined", false, true]));
    page.close().await;
}

#[tokio::test]
async fn a_bundle_that_cannot_load_removes_the_tab_with_one_warning() {
    // The bundle's glue is served, its WebAssembly module is not one.
    let built = std::path::PathBuf::from(
        std::env::var_os("WEBCHAT_TEST_WIDGET_DIR").expect("WEBCHAT_TEST_WIDGET_DIR"),
    );
    let broken = tempfile::tempdir().expect("temporary directory");
    for entry in std::fs::read_dir(&built).expect("read the bundle") {
        let path = entry.expect("bundle entry").path();
        if path.is_dir() {
            continue; // the console's bundle, not the widget's
        }
        let name = path.file_name().expect("file name").to_owned();
        let target = broken.path().join(&name);
        let name = name.to_string_lossy();
        if name.ends_with(".br") || name.ends_with(".gz") {
            continue; // precompressed copies would still hold the real module
        }
        if name.ends_with(".wasm") {
            std::fs::write(target, b"not WebAssembly").expect("write");
        } else {
            std::fs::copy(&path, target).expect("copy");
        }
    }
    let options = Options {
        widget_dir: Some(broken.path().to_owned()),
        ..Options::default()
    };
    let chat = EmbeddedChat::start_with(options, DESKTOP, "").await;
    let page = &chat.page;
    page.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
        .await;
    page.wait_for(
        "the tab removed",
        &format!("!document.getElementById('{HOST_ID}')"),
    )
    .await;
    page.js("window.CollaborationSystemWebChat1CE.open()", Vec::new())
        .await;
    let warnings = page.js("return window.__warnings", Vec::new()).await;
    let warnings = warnings.as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .is_some_and(|warning| warning.starts_with("web chat: cannot load the chat")),
        "{warnings:?}"
    );
    chat.page.close().await;
}
