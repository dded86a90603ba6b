//! The loader script in headless Chromium: the page API and the collapsed tab come before the
//! WebAssembly chat, which loads when the page is idle without opening a connection or storing
//! anything, and calls made before it loaded are answered once it has; a server that is down, or
//! a bundle that cannot load, leaves the page working with nothing shown.

use crate::browser::DESKTOP;
use headless::{Driver, HOST_ID, HostPage, shadow};
use serde_json::json;
use tests::EmbeddedChat;
use tests::Options;

#[tokio::test]
async fn the_tab_and_api_come_first_and_the_chat_loads_when_the_page_is_idle() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;

    let tab_width = page
        .js(
            &format!("return {}.querySelector('.cw-tab').offsetWidth", shadow()),
            Vec::new(),
        )
        .await;
    assert!(tab_width.as_f64().unwrap_or_default() > 0.0, "tab drawn");

    // The bundle is fetched only after the page's `load` event.
    let started_after_load = page
        .wait_for(
            "the chat loaded while the page is idle",
            "(() => { const bundle = performance.getEntriesByType('resource')\
               .filter(e => /\\.(wasm|js)$/.test(e.name) && e.name.includes('/widget/')); \
             const load = performance.getEntriesByType('navigation')[0].loadEventStart; \
             return bundle.length === 2 && bundle.map(e => e.startTime >= load); })()",
        )
        .await;
    assert_eq!(
        started_after_load,
        json!([true, true]),
        "glue and wasm after `load`"
    );
    let untouched = page
        .js(
            "return [localStorage.length, \
             performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).length]",
            Vec::new(),
        )
        .await;
    assert_eq!(untouched, json!([0, 0]), "nothing stored, no API call");
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
