//! Parts of the chat's UI in headless Chromium that need a particular server or screen: a
//! message the server refused shows as not sent (passing axe-core) and goes through on Retry,
//! and on a phone the open chat fills the visual viewport (what an on-screen keyboard leaves),
//! composer included.

use crate::browser::{DESKTOP, PHONE};
use backend::config::settings::Limits;
use headless::shadow;
use serde_json::json;
use tests::EmbeddedChat;
use tests::Options;

#[tokio::test]
async fn a_refused_message_is_marked_not_sent_and_goes_through_on_retry() {
    // One message at once, then one every 3 s: the second of two quick ones is refused. Frames
    // are not what is limited here: Retry may be clicked as often as the widget offers it.
    let limits = Limits {
        message_burst: 1,
        messages_per_minute: 20,
        frame_burst: 1_000,
        ..Limits::default()
    };
    let options = Options {
        limits,
        ..Options::default()
    };
    let chat = EmbeddedChat::start_with(options.with_widget(), DESKTOP, "").await;
    let page = &chat.page;
    page.open_and_say("first").await;
    page.type_message("second").await;
    let retry = ".cw-msg-own:last-child .cw-retry";
    page.wait_for(
        "the second message marked not sent",
        &format!(
            "{}.querySelector('.cw-msg-own:last-child .cw-status-failed')",
            shadow()
        ),
    )
    .await;
    page.screenshot("refused-message").await;
    // The not-sent mark and its Retry button pass the accessibility checks too.
    let violations = tests::axe::violations(page).await;
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // The server takes the message again once its limit has refilled (within 3 s); until then
    // each Retry is refused and offered anew. So retry whenever offered, until it is stored.
    let answered = format!(
        "({0}.querySelectorAll('.cw-msg-own .cw-status-sent').length === 2 \
         && !{0}.querySelector('.cw-retry') && 'stored') \
         || ({0}.querySelector('{retry}') && 'refused')",
        shadow()
    );
    loop {
        page.widget_element(retry)
            .await
            .click()
            .await
            .expect("click Retry");
        if page.wait_for("the retry answered", &answered).await == "stored" {
            break;
        }
    }
    let texts = page
        .js(
            &format!(
                "return Array.from({}.querySelectorAll('.cw-msg-own .cw-text'), e => e.textContent)",
                shadow()
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(texts, json!(["first", "second"]), "each once, in order");
    chat.page.close().await;
}

#[tokio::test]
async fn on_a_phone_the_open_chat_fills_the_visual_viewport() {
    let chat = EmbeddedChat::start_with(Options::default().with_widget(), PHONE, "").await;
    let page = &chat.page;
    page.open_and_say("Hello").await;
    // Zooming in shrinks the visual viewport as an on-screen keyboard does.
    for scale in [1.0, 2.0] {
        page.cdp(
            "Emulation.setPageScaleFactor",
            json!({ "pageScaleFactor": scale }),
        )
        .await;
        let fits = page
            .wait_for(
                "the panel sized to the visual viewport",
                &format!(
                    "(() => {{ const v = visualViewport; \
                     const panel = {0}.querySelector('.cw-panel').getBoundingClientRect(); \
                     const composer = {0}.querySelector('.cw-composer').getBoundingClientRect(); \
                     const near = (a, b) => Math.abs(a - b) < 1.5; \
                     return near(panel.height, v.height) && near(panel.top, v.offsetTop) \
                       && composer.bottom <= v.offsetTop + v.height + 1.5 \
                       && [v.height, panel.height, composer.bottom]; }})()",
                    shadow()
                ),
            )
            .await;
        assert!(fits.is_array(), "scale {scale}: {fits}");
    }
    page.screenshot("phone-zoomed").await;
    chat.page.close().await;
}
