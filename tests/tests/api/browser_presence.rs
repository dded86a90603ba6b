//! What the visitor sees of operators besides their messages, and what they hear of the
//! visitor, in headless Chromium: "Seen" under the visitor's newest message an operator (logged
//! in through the operator API) has read, and only there; "Anna is typing…" under the log while
//! she types, gone at once when her message comes; axe-core finding nothing with both shown;
//! and the visitor's typing reaching the operators.

use crate::browser::{DESKTOP, operator_says, welcome_of_page_visitor};
use backend::config::params::ParamValue;
use backend::live::operators::InboxEvent;
use headless::{Session, shadow};
use protocol::ServerFrame;
use protocol::operator::{LoginAnswer, LoginRequest};
use serde_json::json;
use std::time::Duration;
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

/// Logs in through the operator API as the operator the test added: its account id.
async fn operator_id(chat: &EmbeddedChat) -> i64 {
    chat.server
        .add_operator(EMAIL, PASSWORD, &[INTEGRATION_ID])
        .await;
    let answer: LoginAnswer = tests::json(
        tests::http()
            .post(format!("{}/api/v1/operator/login", chat.server.base))
            .json(&LoginRequest {
                email: EMAIL.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .header("Origin", &chat.server.base),
    )
    .await;
    answer.operator.id
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
    let account_id = operator_id(&chat).await;
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
    let mut operators = chat.server.operator_events();
    page.type_message("second").await;
    let typing = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let event = operators.receiver.recv().await.expect("operator events");
            if let InboxEvent::Typing {
                conversation_id: typed_in,
                operator: None,
            } = *event
            {
                return typed_in;
            }
        }
    })
    .await
    .expect("the visitor's typing reaches the operators");
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

    chat.server
        .operator_reads(account_id, conversation_id, 1)
        .await;
    page.wait_for(
        "the first message seen",
        &format!("{}.querySelector('.cw-seen:not([hidden])')", shadow()),
    )
    .await;
    assert_eq!(seen_texts(page).await, json!(["first"]));
    chat.server
        .operator_reads(account_id, conversation_id, 2)
        .await;
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

    chat.server.operator_types(conversation_id, "Anna").await;
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
    chat.server.operator_types(conversation_id, "").await;
    page.wait_for(
        "an operator without a name typing",
        &format!(
            "{}.querySelector('.cw-typing').textContent === 'Operator is typing…'",
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
