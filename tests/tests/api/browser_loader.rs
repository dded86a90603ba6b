//! The loader script in headless Chromium: the page API and the collapsed tab come before the
//! WebAssembly chat, which loads when the page is idle without opening a connection or storing
//! anything, and calls made before it loaded are answered once it has.

use crate::browser::DESKTOP;
use serde_json::json;
use tests::browser::{Driver, HostPage, shadow};
use tests::{Db, Options, TestServer};

#[tokio::test]
async fn the_tab_and_api_come_first_and_the_chat_loads_when_the_page_is_idle() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, "").await;
    let driver = Driver::start().await;
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.open_page(&host.url).await;

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
    page.close().await;
}

#[tokio::test]
async fn calls_made_before_the_chat_loaded_are_answered_in_order() {
    let server = TestServer::start(Db::Sqlite, Options::default().with_widget()).await;
    let host = HostPage::start(&server.base, "").await;
    let driver = Driver::start().await;
    let page = driver.session(DESKTOP.0, DESKTOP.1).await;
    page.open_page(&format!("{}?early", host.url)).await;
    let contact = page
        .wait_for("the early getContactInfo", "window.__early")
        .await;
    assert_eq!(
        contact,
        json!({"name": "Early bird", "fullName": "Early bird", "email": "", "phone": ""})
    );
    page.close().await;
}
