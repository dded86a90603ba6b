//! History in pages: a conversation longer than one WebSocket frame can carry reaches a
//! reconnecting or identifying visitor as its newest page, older pages come on request down to the
//! first message, a resume far behind gets the newest page instead of a burst, and the chat keeps
//! working. Inbound operator texts over `max_message_bytes` are refused with the limit named; a
//! message stored before that cap goes out cut with a marker, and the session goes on.

use crate::bridge::inbound;
use crate::support::{say, visitor, welcomed};
use backend::config::settings::Limits;
use jsonwebtoken::Algorithm;
use protocol::{AuthorKind, ClientFrame, Message, ServerFrame};
use tests::server::{Endpoint, SHOP_ORIGIN, WEBHOOK_TOKEN};
use tests::tokens::{claims, signed};
use tests::{Options, TestServer, WsClient, engines};

/// Thirty visitor messages of 7,000 characters: far more than one frame of the default limits
/// carries (the socket refuses messages over about 160 KiB).
const LONG_MESSAGES: i64 = 30;
const LONG_TEXT_CHARS: usize = 7_000;
const SIGN_KEY: &str = "history-key";

fn long_text(n: i64) -> String {
    format!("{n:02} {}", "x".repeat(LONG_TEXT_CHARS - 3))
}

fn seqs(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(|message| message.seq).collect()
}

/// Sends the thirty long messages on `client`, each acknowledged.
async fn fill(client: &mut WsClient) {
    for n in 1..=LONG_MESSAGES {
        let stored = say(client, &format!("long-{n}"), &long_text(n)).await;
        assert_eq!(stored.seq, n);
    }
}

/// The page before `before_seq` and whether older messages exist.
async fn page_before(client: &mut WsClient, before_seq: i64) -> (Vec<Message>, bool) {
    client
        .send(&ClientFrame::History {
            before_seq,
            limit: 50,
        })
        .await;
    match client.next().await {
        ServerFrame::History {
            before_seq: answered,
            messages,
            has_older,
            ..
        } => {
            assert_eq!(answered, before_seq);
            (messages, has_older)
        }
        other => panic!("expected a history page, got {other:?}"),
    }
}

/// Pages back from `newest` to the first message; every page is one frame, never empty.
async fn page_to_the_start(client: &mut WsClient, newest: Vec<Message>) -> Vec<Message> {
    let mut all = newest;
    loop {
        let (page, has_older) = page_before(client, all[0].seq).await;
        assert!(!page.is_empty(), "a page moves back");
        all.splice(0..0, page);
        if !has_older {
            return all;
        }
    }
}

/// `messages` are the newest page of a long history: the last ones, in order, whole.
fn assert_newest_page(messages: &[Message], newest_seq: i64) {
    assert!(
        !messages.is_empty() && messages.len() < LONG_MESSAGES as usize,
        "{}",
        messages.len()
    );
    let first = newest_seq + 1 - messages.len() as i64;
    assert_eq!(seqs(messages), (first..=newest_seq).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_long_history_arrives_in_pages_and_the_chat_keeps_working() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (token, mut client) = visitor(&server).await;
        fill(&mut client).await;
        drop(client);

        // A reload: no resume point.
        let mut client = WsClient::connect(&server.api(), SHOP_ORIGIN, &token, None)
            .await
            .unwrap();
        let (conversation, newest) = match client.next().await {
            ServerFrame::Welcome {
                conversation_id,
                messages,
                reset,
                has_older,
                ..
            } => {
                assert!(reset && has_older, "{db:?}");
                (conversation_id.unwrap(), messages)
            }
            other => panic!("{db:?}: expected welcome, got {other:?}"),
        };
        assert_newest_page(&newest, LONG_MESSAGES);
        let all = page_to_the_start(&mut client, newest).await;
        assert_eq!(
            seqs(&all),
            (1..=LONG_MESSAGES).collect::<Vec<_>>(),
            "{db:?}"
        );
        for message in &all {
            assert_eq!(message.text, long_text(message.seq), "{db:?}: whole texts");
        }
        assert_eq!(say(&mut client, "after", "still here").await.seq, 31);
        drop(client);

        // A resume far behind gets the newest page replacing what it holds, not a burst.
        let mut behind =
            WsClient::connect(&server.api(), SHOP_ORIGIN, &token, Some((conversation, 1)))
                .await
                .unwrap();
        match behind.next().await {
            ServerFrame::Welcome {
                messages,
                reset,
                has_older,
                ..
            } => {
                assert!(reset && has_older, "{db:?}");
                assert_newest_page(&messages, 31);
            }
            other => panic!("{db:?}: expected welcome, got {other:?}"),
        }
        // A resume near the end gets just what it lacks.
        let mut near =
            WsClient::connect(&server.api(), SHOP_ORIGIN, &token, Some((conversation, 29)))
                .await
                .unwrap();
        match near.next().await {
            ServerFrame::Welcome {
                messages,
                reset,
                has_older,
                ..
            } => {
                assert!(!reset && !has_older, "{db:?}");
                assert_eq!(seqs(&messages), [30, 31], "{db:?}");
            }
            other => panic!("{db:?}: expected welcome, got {other:?}"),
        }
        say(&mut near, "near", "and here").await;
    }
}

#[tokio::test]
async fn identifying_into_a_long_history_gets_its_newest_page() {
    for db in engines() {
        let options = Options {
            sign_key: Some(SIGN_KEY.into()),
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let token = signed(Algorithm::HS256, SIGN_KEY, &claims("customer-30"));
        let (_, mut laptop) = visitor(&server).await;
        laptop
            .send(&ClientFrame::Identify {
                token: token.clone(),
            })
            .await;
        assert!(matches!(
            laptop.next().await,
            ServerFrame::Identified { .. }
        ));
        fill(&mut laptop).await;

        let (_, mut phone) = visitor(&server).await;
        phone.send(&ClientFrame::Identify { token }).await;
        let newest = match phone.next().await {
            ServerFrame::Identified {
                messages,
                has_older,
                ..
            } => {
                assert!(has_older, "{db:?}");
                messages
            }
            other => panic!("{db:?}: expected identified, got {other:?}"),
        };
        assert_newest_page(&newest, LONG_MESSAGES);
        let all = page_to_the_start(&mut phone, newest).await;
        assert_eq!(all.len(), LONG_MESSAGES as usize, "{db:?}");
        say(&mut phone, "from-phone", "hello from the phone").await;
    }
}

/// Posts a `createMessage` (or `updateMessage`) of operator `op-1` into `conversation`.
async fn operator_message(
    server: &Endpoint,
    command: &str,
    conversation: i64,
    ext_id: &str,
    text: &str,
) -> (u16, String) {
    let body = serde_json::json!({
        command: {"extId": ext_id, "text": text, "extUserId": "op-1",
                  "extConversationId": conversation.to_string()}
    });
    inbound(server, WEBHOOK_TOKEN, body.to_string()).await
}

/// The next frame, which must be the live message `text`.
async fn live(client: &mut WsClient, text: &str) -> Message {
    match client.next().await {
        ServerFrame::Message { message } if message.text == text => message,
        other => panic!("expected {text:?} live, got {other:?}"),
    }
}

async fn operator(server: &Endpoint) {
    let user = r#"{"createUser": {"extUserId": "op-1", "name": "Anna"}}"#;
    assert_eq!(inbound(server, WEBHOOK_TOKEN, user).await.0, 200);
}

#[tokio::test]
async fn an_operator_text_over_the_limit_is_refused_and_replies_after_it_arrive() {
    let huge = "y".repeat(300_000);
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (token, mut client) = visitor(&server).await;
        let conversation = say(&mut client, "q", "Is it in stock?")
            .await
            .conversation_id;
        operator(&server).await;

        let (status, text) =
            operator_message(&server, "createMessage", conversation, "big", &huge).await;
        assert_eq!(status, 413, "{db:?}: {text}");
        assert!(
            text.contains("300000 bytes") && text.contains("the limit is 8192 bytes"),
            "{db:?}: {text}"
        );
        let (status, _) =
            operator_message(&server, "createMessage", conversation, "r-1", "Yes, 3 left").await;
        assert_eq!(status, 200, "{db:?}");
        let reply = live(&mut client, "Yes, 3 left").await;

        let (status, text) =
            operator_message(&server, "updateMessage", conversation, "r-1", &huge).await;
        assert_eq!(status, 413, "{db:?}: {text}");
        assert!(text.contains("max_message_bytes"), "{db:?}: {text}");
        let (status, _) = operator_message(
            &server,
            "createMessage",
            conversation,
            "r-2",
            "Anything else?",
        )
        .await;
        assert_eq!(status, 200, "{db:?}");
        live(&mut client, "Anything else?").await;
        drop(client);

        let (mut reloaded, messages) = welcomed(&server, &token).await;
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Is it in stock?", "Yes, 3 left", "Anything else?"],
            "{db:?}: the edit was refused, the replies are there"
        );
        assert_eq!(messages[1].id, reply.id);
        say(&mut reloaded, "thanks", "No, thanks").await;
    }
}

#[tokio::test]
async fn a_message_stored_before_the_cap_goes_out_cut_and_the_session_goes_on() {
    let huge = "z".repeat(300_000);
    for db in engines() {
        // A server that took texts this large (as before the cap), restarted with the defaults.
        let roomy = Limits {
            max_message_bytes: 400_000,
            ..Options::default().limits
        };
        let mut server = TestServer::start(
            db,
            Options {
                limits: roomy,
                ..Options::default()
            },
        )
        .await;
        let (token, mut client) = visitor(&server).await;
        let question = say(&mut client, "q", "Send me the catalogue").await;
        operator(&server).await;
        let conversation = question.conversation_id;
        let (status, _) =
            operator_message(&server, "createMessage", conversation, "legacy", &huge).await;
        assert_eq!(status, 200, "{db:?}");
        drop(client);
        server.restart_with(Options::default().limits).await;

        for resume in [None, Some((conversation, question.seq))] {
            let mut client = WsClient::connect(&server.api(), SHOP_ORIGIN, &token, resume)
                .await
                .unwrap();
            let ServerFrame::Welcome {
                messages,
                has_older,
                ..
            } = client.next().await
            else {
                panic!("{db:?} {resume:?}: expected welcome");
            };
            // A message this large fills a page alone: it may be in an older one.
            let messages = if has_older {
                page_to_the_start(&mut client, messages).await
            } else {
                messages
            };
            let cut = messages
                .iter()
                .find(|message| message.author.kind == AuthorKind::Operator)
                .unwrap_or_else(|| panic!("{db:?} {resume:?}: {:?}", seqs(&messages)));
            assert!(
                cut.text.starts_with("zzzz"),
                "{db:?}: {:?}",
                cut.text.chars().take(80).collect::<String>()
            );
            assert!(cut.text.len() < huge.len(), "{db:?}");
            // The test integration speaks Russian.
            assert!(
                cut.text
                    .ends_with("[сообщение сокращено: слишком длинное, чтобы показать целиком]"),
                "{db:?}: {:?}",
                cut.text.chars().rev().take(80).collect::<String>()
            );
            say(&mut client, &format!("after-{resume:?}"), "Got it, thanks").await;
        }
    }
}
