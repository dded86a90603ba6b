//! Parts of the chat's UI in headless Chromium that need a particular server or screen: a
//! message over the rate limit shows as waiting and goes by itself, one refused for good shows
//! as not sent and is sent again on Retry, and on a phone the open chat fills the visual
//! viewport (what an on-screen keyboard leaves), composer included.

use crate::browser::{DESKTOP, PHONE};
use backend::config::settings::Limits;
use headless::shadow;
use serde_json::json;
use tests::EmbeddedChat;
use tests::Options;

#[tokio::test]
async fn a_message_over_the_rate_limit_shows_as_waiting_and_goes_by_itself() {
    // One message at once, then one every 3 s: the second of two quick ones is refused.
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
    page.wait_for(
        "the second message waiting",
        &format!(
            "{}.querySelector('.cw-msg-own:last-child .cw-status-waiting')",
            shadow()
        ),
    )
    .await;
    page.screenshot("waiting-message").await;
    page.wait_for(
        "both stored, without a Retry",
        &format!(
            "{0}.querySelectorAll('.cw-msg-own .cw-status-sent').length === 2 \
             && !{0}.querySelector('.cw-retry')",
            shadow()
        ),
    )
    .await;
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
async fn a_refused_message_is_marked_not_sent_and_retry_sends_it_again() {
    let chat = EmbeddedChat::start_with(Options::default().with_widget(), DESKTOP, "").await;
    let page = &chat.page;
    page.open_and_say("first").await;
    page.js(
        "window.__refusals = 0;\n\
         var chat = window.CollaborationSystemWebChat1CE;\n\
         chat.addListener('error', function () { window.__refusals += 1; });\n\
         chat.sendMessage({text: arguments[0]});",
        vec![json!(
            "x".repeat(Options::default().limits.max_message_bytes + 1)
        )],
    )
    .await;
    let refused = |count: u32| {
        format!(
            "window.__refusals === {count} && \
             {}.querySelector('.cw-msg-own:last-child .cw-status-failed')",
            shadow()
        )
    };
    page.wait_for("the message marked not sent", &refused(1))
        .await;
    page.screenshot("refused-message").await;
    // The not-sent mark and its Retry button pass the accessibility checks too.
    let violations = tests::axe::violations(page).await;
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    page.widget_element(".cw-msg-own:last-child .cw-retry")
        .await
        .click()
        .await
        .expect("click Retry");
    page.wait_for("the retry sent and refused again", &refused(2))
        .await;
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
