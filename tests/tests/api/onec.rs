//! The 1C forwarder's side of the inbound webhook: the bodies `onec/WebChatForwarder.bsl` sends
//! (the fixture README shows) posted as they are, answered as the module expects, and reaching
//! the visitor; the conversation id the module reads from a visitor message is the one those
//! bodies name.

use crate::bridge::inbound;
use crate::support::{ack, welcomed};
use protocol::{AuthorKind, ClientFrame, PageInfo, ServerFrame, TextFormat};
use serde::Deserialize;
use serde_json::Value;
use tests::fake_collab::FakeCollaborationServer;
use tests::server::{Endpoint, WEBHOOK_TOKEN};
use tests::{Options, TestServer, WsClient, engines};

/// The fixture README's 1C section shows: every body the forwarder sends, with the answer it
/// relies on.
const FIXTURE: &str = include_str!("../../../onec/forwarder-commands.json");
const README: &str = include_str!("../../../README.md");

/// What a visitor sees of the reply with a link: the allowed elements of the 1C web chat only
/// (paragraphs and classes are gone, the line between paragraphs stays), the link kept.
const FORMATTED_REPLY: &str = "Да, <span>в наличии</span>: <a href=\"https://shop.example/item/42\" \
                               rel=\"noopener noreferrer nofollow\">карточка товара</a>\nЖдём вас!";

#[derive(Debug, Deserialize)]
struct Case {
    what: String,
    answer: u16,
    body: Value,
}

fn cases() -> Vec<Case> {
    serde_json::from_str(FIXTURE).expect("onec/forwarder-commands.json")
}

/// The conversation the fixture's replies go to: that of its first delivered `createMessage`.
fn fixture_conversation(cases: &[Case]) -> String {
    cases
        .iter()
        .find(|case| case.answer == 200 && case.body.get("createMessage").is_some())
        .and_then(|case| case.body["createMessage"]["extConversationId"].as_str())
        .expect("a delivered createMessage in the fixture")
        .to_owned()
}

#[test]
fn readme_shows_the_fixture_as_it_is() {
    assert!(
        README.contains(FIXTURE.trim_end()),
        "README's 1C section must show onec/forwarder-commands.json verbatim"
    );
}

#[tokio::test]
async fn the_forwarders_bodies_are_answered_as_it_expects_and_reach_the_visitor() {
    let cases = cases();
    let conversation = fixture_conversation(&cases);
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let options = Options {
            webhook_url: Some(fake.url()),
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        client
            .send(&ClientFrame::Send {
                client_id: "q-1".into(),
                text: "Где мой заказ?".into(),
                text_format: TextFormat::Plain,
                page: Some(PageInfo {
                    url: "https://shop.example/orders".into(),
                    title: "Заказы".into(),
                }),
            })
            .await;
        let question = ack(&mut client).await;
        assert_eq!(question.conversation_id.to_string(), conversation, "{db:?}");
        let read_by_the_module = fake.message_data("Где мой заказ?").await;
        assert_eq!(
            read_by_the_module["extConversationId"], conversation,
            "{db:?}: the module reads the fixture's conversation from the visitor's message"
        );

        for case in &cases {
            let (status, text) = inbound(&server, WEBHOOK_TOKEN, case.body.to_string()).await;
            assert_eq!(status, case.answer, "{db:?}: {}: {text}", case.what);
            if status == 200 {
                expect_live(&server, &mut client, &case.body, db).await;
            }
        }
    }
}

/// What the visitor's session shows after the delivered command `body`.
async fn expect_live(server: &Endpoint, client: &mut WsClient, body: &Value, db: tests::Db) {
    if let Some(message) = body.get("createMessage") {
        let ServerFrame::Message { message: live } = client.next().await else {
            panic!("{db:?}: expected the reply live");
        };
        assert_eq!(live.author.kind, AuthorKind::Operator);
        if message["textFormat"] == "text/html" {
            assert_eq!(live.text, FORMATTED_REPLY, "{db:?}");
            assert_eq!(
                live.author.name.as_deref(),
                Some("Анна К."),
                "{db:?}: the name updateUser set"
            );
            let picture = live.author.picture.expect("the picture updateUser set");
            let image = tests::http()
                .get(format!("{}/{picture}", server.api()))
                .send()
                .await
                .unwrap();
            assert_eq!(image.status(), 200, "{db:?}: the wrapped picture is served");
            assert_eq!(image.headers()["content-type"], "image/png");
        } else {
            assert_eq!(live.text, message["text"].as_str().unwrap(), "{db:?}");
            assert!(live.author.picture.is_some(), "{db:?}");
        }
    } else if let Some(message) = body.get("updateMessage") {
        let ServerFrame::MessageUpdated { message: live } = client.next().await else {
            panic!("{db:?}: expected the edit live");
        };
        assert_eq!(live.text, message["text"].as_str().unwrap(), "{db:?}");
    }
}
