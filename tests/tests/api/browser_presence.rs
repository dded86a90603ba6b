//! What the visitor sees of operators besides their messages, and what they hear of the
//! visitor, in headless Chromium, driven through the operator API as the console drives it:
//! "Seen" under the visitor's newest message an operator has read (`POST …/read`), and only
//! there; "Anna is typing…" under the log while she types on her socket, gone at once when her
//! message comes, or five seconds after her last notice; axe-core finding nothing with both
//! shown; and the visitor's typing reaching the operator's socket.

use crate::browser::{DESKTOP, operator_says, welcome_of_page_visitor};
use backend::config::params::ParamValue;
use headless::{Session, shadow};
use protocol::ServerFrame;
use protocol::operator::{OperatorClientFrame, OperatorEvent, ReadRequest};
use serde_json::json;
use std::time::Duration;
use tests::operator::{Operator, OperatorSocket};
use tests::server::INTEGRATION_ID;
use tests::{EmbeddedChat, Options};

const EMAIL: &str = "anna@example.com";
const PASSWORD: &str = "correct horse battery";

/// The chat in English, whose words the test reads.
fn english() -> Options {
    Options::default()
        .with_widget()
        .param("languageCode", ParamValue::Text("en".into()))
}

/// Anna, added to the test integration and logged in through the operator API, with her live
/// socket open and listening (its first event, the counts, comes once it hears the integration).
async fn anna(chat: &EmbeddedChat) -> (Operator, OperatorSocket) {
    chat.server
        .add_named_operator(EMAIL, "Anna", PASSWORD, &[INTEGRATION_ID])
        .await;
    let anna = Operator::login(&chat.server, EMAIL, PASSWORD).await;
    let mut socket = anna.socket().await;
    assert!(matches!(socket.next().await, OperatorEvent::Counts { .. }));
    (anna, socket)
}

/// Anna reads conversation `id` up to `seq`, as the console does when she opens it.
async fn read(anna: &Operator, id: i64, seq: i64) {
    let response = anna
        .post(&format!("conversations/{id}/read"), &ReadRequest { seq })
        .await;
    assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
}

/// The texts of the visitor's messages that show "Seen".
async fn seen_texts(page: &Session) -> serde_json::Value {
    page.js(
        &format!(
            "return Array.from({}.querySelectorAll('.cw-msg-own'))\
                 .filter(m => m.querySelector('.cw-seen:not([hidden])'))\
                 .map(m => m.querySelector('.cw-text').textContent)",
            shadow()
        ),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn seen_shows_under_the_newest_read_message_and_typing_until_the_reply() {
    let chat = EmbeddedChat::start_with(english(), DESKTOP, "").await;
    let page = &chat.page;
    let (anna, mut socket) = anna(&chat).await;
    // The first message by the page API, not typed: the server lets one typing notice through
    // per two seconds, and the one checked below is the second message's.
    page.js(
        "var chat = window.CollaborationSystemWebChat1CE; chat.open(); \
         chat.sendMessage({text: 'first'});",
        Vec::new(),
    )
    .await;
    page.wait_for(
        "the first message stored",
        &format!("{}.querySelector('.cw-msg-own .cw-status-sent')", shadow()),
    )
    .await;
    let ServerFrame::Welcome {
        conversation_id: Some(conversation_id),
        ..
    } = welcome_of_page_visitor(&chat.server, page).await
    else {
        panic!("the visitor has a conversation");
    };
    // The visitor's typing reaches the operators (the second message is typed after this).
    page.type_message("second").await;
    let typing = socket
        .until(|event| match event {
            OperatorEvent::Typing {
                conversation_id,
                operator: None,
            } => Some(conversation_id),
            _ => None,
        })
        .await;
    assert_eq!(typing, conversation_id);
    page.wait_for(
        "both stored",
        &format!(
            "{}.querySelectorAll('.cw-msg-own .cw-status-sent').length === 2",
            shadow()
        ),
    )
    .await;
    assert_eq!(seen_texts(page).await, json!([]), "nothing read yet");

    read(&anna, conversation_id, 1).await;
    page.wait_for(
        "the first message seen",
        &format!("{}.querySelector('.cw-seen:not([hidden])')", shadow()),
    )
    .await;
    assert_eq!(seen_texts(page).await, json!(["first"]));
    read(&anna, conversation_id, 2).await;
    page.wait_for(
        "\"Seen\" moved to the second message",
        &format!(
            "{}.querySelector('.cw-msg-own:last-child .cw-seen:not([hidden])')",
            shadow()
        ),
    )
    .await;
    assert_eq!(
        seen_texts(page).await,
        json!(["second"]),
        "only under the newest read message"
    );
    let seen_word = page
        .js(
            &format!(
                "return {}.querySelector('.cw-seen:not([hidden])').textContent",
                shadow()
            ),
            Vec::new(),
        )
        .await;
    assert_eq!(seen_word, json!("Seen"));

    socket
        .send(&OperatorClientFrame::Typing { conversation_id })
        .await;
    page.wait_for(
        "Anna typing",
        &format!(
            "{}.querySelector('.cw-typing').textContent === 'Anna is typing…'",
            shadow()
        ),
    )
    .await;
    page.screenshot("seen-and-typing").await;
    let violations = tests::axe::violations(page).await;
    assert!(
        violations.is_empty(),
        "seen and typing shown: axe-core finds\n{}",
        violations.join("\n")
    );
    // Anna's reply comes (from 1C, named as she is): her typing is over at once.
    operator_says(&chat.server, page, "r-1", "It ships today").await;
    page.wait_for(
        "the reply shown and the typing gone",
        &format!(
            "{0}.querySelector('.cw-msg-other') && {0}.querySelector('.cw-typing').textContent === ''",
            shadow()
        ),
    )
    .await;
    chat.page.close().await;
}

#[tokio::test]
async fn typing_without_more_notices_goes_after_five_seconds() {
    let chat = EmbeddedChat::start_with(english(), DESKTOP, "").await;
    let page = &chat.page;
    page.open_and_say("hello").await;
    let ServerFrame::Welcome {
        conversation_id: Some(conversation_id),
        ..
    } = welcome_of_page_visitor(&chat.server, page).await
    else {
        panic!("the visitor has a conversation");
    };
    let (_, mut socket) = anna(&chat).await;
    socket
        .send(&OperatorClientFrame::Typing { conversation_id })
        .await;
    page.wait_for(
        "Anna typing",
        &format!(
            "{}.querySelector('.cw-typing').textContent === 'Anna is typing…'",
            shadow()
        ),
    )
    .await;
    let shown_at = std::time::Instant::now();
    page.wait_for(
        "the typing gone",
        &format!(
            "{}.querySelector('.cw-typing').textContent === ''",
            shadow()
        ),
    )
    .await;
    assert!(
        shown_at.elapsed() >= Duration::from_secs(4),
        "shown about five seconds, not {:?}",
        shown_at.elapsed()
    );
    chat.page.close().await;
}
