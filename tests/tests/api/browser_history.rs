//! A long conversation in the widget, in headless Chromium: after a reload the log shows the
//! newest page; the "load earlier messages" button above it (named in the integration's
//! language) brings the pages before in above, without moving what the visitor was reading, down
//! to the first message; and sending still works.

use crate::browser::stored_visitor_token;
use crate::support::{say, welcomed};
use headless::shadow;
use serde_json::json;
use tests::EmbeddedChat;

const LONG_MESSAGES: usize = 30;

fn long_text(n: usize) -> String {
    format!("{n:02} {}", "x".repeat(6_997))
}

/// How many messages the log shows.
async fn shown(chat: &EmbeddedChat) -> usize {
    let count = chat
        .page
        .js(
            &format!("return {}.querySelectorAll('.cw-msg').length", shadow()),
            Vec::new(),
        )
        .await;
    count.as_u64().expect("a count") as usize
}

/// Waits until the log shows more than `before` messages; returns how many.
async fn more_than(chat: &EmbeddedChat, before: usize) -> usize {
    let count = chat
        .page
        .wait_for(
            "an older page in the log",
            &format!(
                "{}.querySelectorAll('.cw-msg').length > {before} \
                 && {0}.querySelectorAll('.cw-msg').length",
                shadow()
            ),
        )
        .await;
    count.as_u64().expect("a count") as usize
}

#[tokio::test]
async fn a_reloaded_long_history_shows_the_newest_page_and_older_ones_on_request() {
    let chat = EmbeddedChat::start(&[]).await;
    let page = &chat.page;
    chat.say_hello().await;
    // The same visitor writes the long messages from a second connection: typing 7,000
    // characters thirty times would take the test minutes.
    let token = stored_visitor_token(page).await;
    let token = token.as_str().expect("the page keeps a visitor token");
    let (mut writer, _) = welcomed(&chat.server, token).await;
    for n in 1..=LONG_MESSAGES {
        say(&mut writer, &format!("long-{n}"), &long_text(n)).await;
    }
    drop(writer);

    page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    page.wait_for(
        "the newest message after the reload",
        &format!(
            "Array.from({}.querySelectorAll('.cw-msg .cw-text')).pop().textContent.startsWith('30 ')",
            shadow()
        ),
    )
    .await;
    let first_page = shown(&chat).await;
    assert!(
        (2..LONG_MESSAGES).contains(&first_page),
        "the newest page only: {first_page}"
    );
    let button = page.widget_element(".cw-earlier").await;
    assert_eq!(
        button.text().await.unwrap(),
        "Показать предыдущие сообщения"
    );
    page.screenshot("history-newest-page").await;

    // Scrolled up to the top, the visitor asks for more: the page before comes in above, and
    // the message that was first stays where the visitor saw it.
    let before = page
        .js(
            &format!(
                "const log = {}.querySelector('.cw-log'); log.scrollTop = 0; \
                 const first = log.querySelector('.cw-msg'); \
                 return [first.dataset.id, first.getBoundingClientRect().top];",
                shadow()
            ),
            Vec::new(),
        )
        .await;
    button.click().await.expect("click the load-earlier button");
    let second_page = more_than(&chat, first_page).await;
    assert!(
        second_page < LONG_MESSAGES,
        "one page at a time: {second_page}"
    );
    let after = page
        .wait_for(
            "the view kept in place",
            &format!(
                "(() => {{ const log = {}.querySelector('.cw-log'); \
                 const kept = log.querySelector('.cw-msg[data-id=\"' + {} + '\"]'); \
                 const top = kept.getBoundingClientRect().top; \
                 return log.scrollTop > 0 && Math.abs(top - {}) < 2 && [log.scrollTop, top]; }})()",
                shadow(),
                json!(before[0]),
                before[1]
            ),
        )
        .await;
    assert!(after.is_array(), "{after}");
    page.screenshot("history-older-page").await;

    // The button brings the rest, down to the first message; then it is hidden.
    let mut count = second_page;
    while count < LONG_MESSAGES + 1 {
        page.widget_element(".cw-earlier")
            .await
            .click()
            .await
            .expect("click the load-earlier button");
        count = more_than(&chat, count).await;
    }
    page.wait_for(
        "the button hidden with nothing older",
        &format!("{}.querySelector('.cw-earlier').hidden", shadow()),
    )
    .await;
    let texts = page.message_texts().await;
    let expected: Vec<String> = std::iter::once("Hello".to_owned())
        .chain((1..=LONG_MESSAGES).map(long_text))
        .collect();
    assert_eq!(texts, expected, "every message once, in order");

    page.type_message("Thanks!").await;
    page.wait_for(
        "the new message stored",
        &format!(
            "{}.querySelector('.cw-msg-own:last-child .cw-status-sent') \
             && Array.from({0}.querySelectorAll('.cw-msg .cw-text')).pop().textContent === 'Thanks!'",
            shadow()
        ),
    )
    .await;
    chat.page.close().await;
}
