//! "Seen" both ways in headless Chromium, with an operator of the operator API: the operators'
//! read position still shows under the visitor's message after a reload (the server sends it
//! after the welcome), and the widget tells operators the visitor read their reply only once the
//! visitor opens the chat, not while it is closed.

use crate::browser::welcome_of_page_visitor;
use backend::config::params::ParamValue;
use headless::{DESKTOP, shadow};
use protocol::ServerFrame;
use protocol::operator::OperatorEvent;
use tests::operator::Operator;
use tests::server::INTEGRATION_ID;
use tests::{EmbeddedChat, Options};

const EMAIL: &str = "anna@example.com";
const PASSWORD: &str = "correct horse battery";

/// The chat in English, kept closed when an operator writes, with Anna, an operator of the test
/// integration, logged in.
async fn chat_with_anna() -> (EmbeddedChat, Operator) {
    let options = Options::default()
        .with_widget()
        .param("languageCode", ParamValue::Text("en".into()))
        .param("openChatOnNewMessage", ParamValue::Flag(false));
    let chat = EmbeddedChat::start_with(options, DESKTOP, "").await;
    chat.server
        .add_operator(EMAIL, PASSWORD, &[INTEGRATION_ID])
        .await;
    let anna = Operator::login(&chat.server, EMAIL, PASSWORD).await;
    (chat, anna)
}

/// The conversation of the page's visitor, who has written.
async fn conversation_id(chat: &EmbeddedChat) -> i64 {
    match welcome_of_page_visitor(&chat.server, &chat.page).await {
        ServerFrame::Welcome {
            conversation_id: Some(id),
            ..
        } => id,
        other => panic!("the visitor has a conversation: {other:?}"),
    }
}

#[tokio::test]
async fn seen_is_still_shown_after_a_reload() {
    let (chat, anna) = chat_with_anna().await;
    chat.say_hello().await;
    let id = conversation_id(&chat).await;
    let read = anna
        .post(
            &format!("conversations/{id}/read"),
            &protocol::operator::ReadRequest { seq: 1 },
        )
        .await;
    assert_eq!(read.status(), 204);
    let seen = format!(
        "{}.querySelector('.cw-msg-own .cw-seen:not([hidden])')",
        shadow()
    );
    chat.page.wait_for("\"Seen\" live", &seen).await;

    chat.page.open_page(&chat.host.url).await;
    chat.call("open()").await;
    chat.page.wait_for("\"Seen\" after the reload", &seen).await;
}

#[tokio::test]
async fn operators_hear_the_visitor_read_their_reply_only_once_the_chat_is_open() {
    let (chat, anna) = chat_with_anna().await;
    let page = &chat.page;
    chat.say_hello().await;
    let id = conversation_id(&chat).await;
    chat.call("close()").await;
    let mut socket = anna.socket().await;

    let reply = anna.replied(id, "r-1", "Hi, how can I help?").await;
    page.wait_for(
        "the reply on the closed chat's badge",
        &format!("{}.querySelector('.cw-badge:not([hidden])')", shadow()),
    )
    .await;
    // The server handles a visitor's frames in order and operators hear them in that order: a
    // read sent when the reply arrived would come before the message the page sends after it.
    page.js(
        "window.CollaborationSystemWebChat1CE.sendMessage({text: 'still here'})",
        Vec::new(),
    )
    .await;
    let heard_first = socket
        .until(|event| match event {
            OperatorEvent::VisitorRead { .. } => Some(Err(event)),
            OperatorEvent::Message { message } if message.text == "still here" => Some(Ok(())),
            _ => None,
        })
        .await;
    assert_eq!(heard_first, Ok(()), "read while the chat was closed");

    chat.call("open()").await;
    let read = socket
        .until(|event| match event {
            OperatorEvent::VisitorRead {
                conversation_id,
                seq,
            } => Some((conversation_id, seq)),
            _ => None,
        })
        .await;
    assert_eq!(
        read,
        (id, reply.seq + 1),
        "up to the newest message it shows"
    );
}
