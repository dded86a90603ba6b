//! The bridge to the collaboration server, against the fake one over real HTTP: visitors'
//! conversations go out command by command, in order, through outages; operators' commands come
//! in with the spec's status codes and reach visitors live.

use crate::support::{ack, say, welcomed};
use backend::config::settings::BridgeSettings;
use jsonwebtoken::Algorithm;
use protocol::webhook::{Command, MessageCommand};
use protocol::{AuthorKind, ClientFrame, ContactInfo, PageInfo, ServerFrame, TextFormat};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tests::fake_collab::{DELIVERY_TIMEOUT, FakeCollaborationServer, Mode};
use tests::server::fast_bridge;
use tests::server::{Endpoint, SHOP_ORIGIN, WEBHOOK_TOKEN};
use tests::tokens::{claims, signed};
use tests::{Options, TestServer, WsClient, engines};

fn bridged(fake: &FakeCollaborationServer) -> Options {
    Options {
        webhook_url: Some(fake.url()),
        ..Options::default()
    }
}

/// Bridged to `fake`, accepting only tokens signed with `sign_key`.
fn bridged_signed(fake: &FakeCollaborationServer, sign_key: &str) -> Options {
    Options {
        sign_key: Some(sign_key.into()),
        ..bridged(fake)
    }
}

fn created_messages(commands: &[Command]) -> Vec<&MessageCommand> {
    commands
        .iter()
        .filter_map(|command| match command {
            Command::CreateMessage(message) => Some(message),
            _ => None,
        })
        .collect()
}

fn count(commands: &[Command], name: &str) -> usize {
    commands.iter().filter(|c| c.name() == name).count()
}

#[tokio::test]
async fn a_first_message_creates_user_conversation_and_message_in_order() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged(&fake)).await;
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        client
            .send(&ClientFrame::Send {
                client_id: "m-1".into(),
                text: "Where is my order?".into(),
                text_format: TextFormat::Plain,
                page: Some(PageInfo {
                    url: "https://shop.example/cart".into(),
                    title: "Cart".into(),
                }),
            })
            .await;
        let stored = ack(&mut client).await;
        let commands = fake
            .wait_for("the first three commands", |c| c.len() >= 3)
            .await;
        let [
            Command::CreateUser(user),
            Command::CreateConversation(conversation),
            Command::CreateMessage(message),
        ] = &commands[..]
        else {
            panic!("{db:?}: unexpected commands {commands:#?}");
        };
        assert!(user.ext_user_id.starts_with("visitor-"), "{db:?}: {user:?}");
        assert!(user.name.starts_with("Visitor "), "{db:?}: {user:?}");
        assert_eq!(
            conversation.ext_conversation_id,
            stored.conversation_id.to_string()
        );
        assert_eq!(conversation.ext_user_id.as_ref(), Some(&user.ext_user_id));
        assert_eq!(conversation.members, Some(vec![user.ext_user_id.clone()]));
        assert!(
            conversation
                .title
                .as_deref()
                .unwrap()
                .contains("shop.example")
        );
        assert_eq!(message.ext_id, stored.id.to_string());
        assert_eq!(message.text, "Where is my order?");
        assert_eq!(message.text_format, TextFormat::Plain);
        assert_eq!(message.ext_user_id.as_ref(), Some(&user.ext_user_id));
        assert_eq!(
            message.ext_conversation_id,
            conversation.ext_conversation_id
        );
        assert_eq!(message.data_type.as_deref(), Some("application/json"));
        let data: serde_json::Value =
            serde_json::from_str(message.data.as_deref().unwrap()).unwrap();
        assert_eq!(data["pageUrl"], "https://shop.example/cart");
        assert_eq!(data["pageTitle"], "Cart");
        assert_eq!(data["extConversationId"], conversation.ext_conversation_id);

        say(&mut client, "m-2", "Hello?").await;
        let commands = fake.wait_for("the second message", |c| c.len() >= 4).await;
        assert_eq!(
            commands.len(),
            4,
            "{db:?}: only createMessage the second time"
        );
        let Command::CreateMessage(without_page) = &commands[3] else {
            panic!("{db:?}: expected createMessage, got {:?}", commands[3]);
        };
        assert_eq!(without_page.text, "Hello?");
        let data: serde_json::Value =
            serde_json::from_str(without_page.data.as_deref().expect("data")).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"extConversationId": conversation.ext_conversation_id}),
            "{db:?}: the conversation id travels without a page too"
        );
    }
}

#[tokio::test]
async fn after_a_login_the_conversation_goes_on_in_1c_as_the_site_user() {
    const SIGN_KEY: &str = "bridge-key";
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged_signed(&fake, SIGN_KEY)).await;
        let (mut laptop, _) = welcomed(&server, &server.new_visitor().await).await;
        say(&mut laptop, "l-1", "hi").await;
        let commands = fake.wait_for("createUser", |c| c.len() >= 3).await;
        let Command::CreateUser(user) = &commands[0] else {
            panic!("{db:?}: {commands:#?}");
        };
        let ext_user_id = user.ext_user_id.clone();

        let contact = ContactInfo {
            name: Some("Ivan".into()),
            email: Some("ivan@example.com".into()),
            phone: None,
        };
        laptop.send(&ClientFrame::SetContact { contact }).await;
        assert!(matches!(laptop.next().await, ServerFrame::Contact { .. }));
        fake.wait_for("updateUser with the name", |c| {
            c.iter().any(|c| {
                matches!(c, Command::UpdateUser(u) if u.ext_user_id == ext_user_id && u.name == "Ivan"
                    && u.full_name.contains("ivan@example.com"))
            })
        })
        .await;

        let token = signed(Algorithm::HS256, SIGN_KEY, &claims("customer-9"));
        laptop
            .send(&ClientFrame::Identify {
                token: token.clone(),
            })
            .await;
        assert!(matches!(
            laptop.next().await,
            ServerFrame::Identified { .. }
        ));
        // The conversation goes on in 1C under the site user: created once, it joins the
        // conversation before anything it says.
        let site_user = "site-customer-9".to_owned();
        let commands = fake
            .wait_for("the site user joining the conversation", |c| {
                c.iter().any(|c| {
                    matches!(c, Command::UpdateConversation(u)
                        if u.add_members.as_deref() == Some(&[site_user.clone()][..]))
                })
            })
            .await;
        let created = commands
            .iter()
            .position(|c| matches!(c, Command::CreateUser(u) if u.ext_user_id == site_user))
            .unwrap_or_else(|| panic!("{db:?}: no createUser for the site user: {commands:#?}"));
        let joined = commands
            .iter()
            .position(|c| matches!(c, Command::UpdateConversation(_)))
            .unwrap();
        assert!(created < joined, "{db:?}: created before it joins");
        say(&mut laptop, "l-2", "logged in now").await;

        let (mut phone, _) = welcomed(&server, &server.new_visitor().await).await;
        phone.send(&ClientFrame::Identify { token }).await;
        assert!(matches!(phone.next().await, ServerFrame::Identified { .. }));
        say(&mut phone, "p-1", "from the phone").await;
        let commands = fake
            .wait_for("the phone's message", |c| {
                created_messages(c)
                    .iter()
                    .any(|m| m.text == "from the phone")
            })
            .await;
        let from_phone = created_messages(&commands)
            .into_iter()
            .find(|m| m.text == "from the phone")
            .unwrap()
            .clone();
        let logged_in = created_messages(&commands)
            .into_iter()
            .find(|m| m.text == "logged in now")
            .unwrap()
            .clone();
        assert_eq!(logged_in.ext_user_id, Some(site_user.clone()), "{db:?}");
        assert_eq!(
            from_phone.ext_user_id,
            Some(site_user),
            "{db:?}: the site user's devices speak as it"
        );
        let first = created_messages(&commands)
            .into_iter()
            .find(|m| m.text == "hi")
            .unwrap()
            .clone();
        assert_eq!(
            first.ext_user_id,
            Some(ext_user_id),
            "{db:?}: sent as it was"
        );
        assert_eq!(count(&commands, "createUser"), 2, "{db:?}");
        assert_eq!(count(&commands, "createConversation"), 1, "{db:?}");
    }
}

async fn health(server: &Endpoint) -> protocol::Health {
    tests::json(tests::http().get(format!("{}/healthz", server.base))).await
}

async fn outbox_health(server: &Endpoint) -> protocol::OutboxHealth {
    health(server).await.outbox.expect("a bridged integration")
}

/// `/metrics` of a server without a metrics token.
async fn metrics(server: &Endpoint) -> String {
    let response = tests::http()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn messages_sent_during_an_outage_are_all_delivered_in_order_once() {
    for db in engines() {
        let mut fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged(&fake)).await;
        fake.set_mode(Mode::Fail500);
        let mut visitors = Vec::new();
        for v in 0..10 {
            match v {
                3 => fake.set_mode(Mode::Fail404),
                5 => fake.set_mode(Mode::Hang),
                7 => fake.down(),
                _ => {}
            }
            let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
            for n in 0..10 {
                say(
                    &mut client,
                    &format!("v{v}-{n}"),
                    &format!("visitor {v} line {n}"),
                )
                .await;
            }
            visitors.push(client);
        }
        let during = outbox_health(&server).await;
        assert!(during.depth > 0, "{db:?}: {during:?}");
        assert!(during.oldest_undelivered_ms.is_some(), "{db:?}: {during:?}");
        let details = metrics(&server).await;
        assert!(
            details.contains("webchat_outbox_last_error_info{integration=\"shop\""),
            "{db:?}: the last error is behind /metrics: {details}"
        );

        fake.up().await;
        fake.set_mode(Mode::Normal);
        let commands = fake
            .wait_for("100 messages", |c| created_messages(c).len() >= 100)
            .await;
        let messages = created_messages(&commands);
        assert_eq!(messages.len(), 100, "{db:?}");
        let unique: HashSet<_> = messages.iter().map(|m| &m.ext_id).collect();
        assert_eq!(unique.len(), 100, "{db:?}: none twice");
        assert_eq!(
            fake.conflicts(),
            0,
            "{db:?}: nothing sent again once accepted"
        );
        let per_conversation = per_conversation(&commands);
        assert_eq!(per_conversation.len(), 10, "{db:?}");
        for (conversation, ids) in per_conversation {
            assert!(
                ids.is_sorted(),
                "{db:?}: conversation {conversation} out of order: {ids:?}"
            );
            assert_eq!(ids.len(), 10);
        }
        assert_eq!(count(&commands, "createUser"), 10, "{db:?}");
        assert_eq!(count(&commands, "createConversation"), 10, "{db:?}");

        let settled = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let health = outbox_health(&server).await;
                if health.depth == 0 {
                    return health;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the outbox drains");
        assert!(
            settled.oldest_undelivered_ms.is_none(),
            "{db:?}: {settled:?}"
        );
    }
}

/// Each conversation's messages, as the collaboration server's message ids (our message ids),
/// in arrival order, by conversation.
fn per_conversation(commands: &[Command]) -> BTreeMap<String, Vec<i64>> {
    let mut per_conversation: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for message in created_messages(commands) {
        per_conversation
            .entry(message.ext_conversation_id.clone())
            .or_default()
            .push(message.ext_id.parse().unwrap());
    }
    per_conversation
}

#[tokio::test]
async fn conversations_delivered_as_committed_come_through_an_outage_in_order_once() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged(&fake)).await;
        let mut visitors = Vec::new();
        for v in 0..5 {
            let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
            for n in 0..4 {
                say(&mut client, &format!("v{v}-{n}"), "before").await;
            }
            visitors.push(client);
        }
        // Every conversation was delivered in full: their next commands are delivered as
        // their commits hand them over, without reading the outbox back.
        fake.wait_for("20 messages", |c| created_messages(c).len() == 20)
            .await;
        fake.set_mode(Mode::Fail500);
        for (v, client) in visitors.iter_mut().enumerate() {
            for n in 4..8 {
                say(client, &format!("v{v}-{n}"), "during").await;
            }
        }
        fake.wait_for_failures(1).await;
        fake.set_mode(Mode::Normal);
        for (v, client) in visitors.iter_mut().enumerate() {
            for n in 8..12 {
                say(client, &format!("v{v}-{n}"), "after").await;
            }
        }
        let commands = fake
            .wait_for("60 messages", |c| created_messages(c).len() >= 60)
            .await;
        let delivered = per_conversation(&commands);
        assert_eq!(delivered.len(), 5, "{db:?}");
        for (conversation, ids) in delivered {
            assert_eq!(ids.len(), 12, "{db:?}: conversation {conversation}");
            assert!(
                ids.is_sorted(),
                "{db:?}: conversation {conversation} out of order: {ids:?}"
            );
        }
        assert_eq!(fake.conflicts(), 0, "{db:?}: nothing sent twice");
    }
}

#[tokio::test]
async fn a_hanging_conversation_does_not_hold_up_the_others() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        // Longer than the fake waits for commands: a stuck conversation that held up the
        // others would fail the test.
        let bridge = BridgeSettings {
            timeout_ms: 10 * DELIVERY_TIMEOUT.as_millis() as u64,
            ..fast_bridge()
        };
        let server = TestServer::start(
            db,
            Options {
                bridge,
                ..bridged(&fake)
            },
        )
        .await;
        let (mut stuck, _) = welcomed(&server, &server.new_visitor().await).await;
        let first = say(&mut stuck, "s-1", "answered").await;
        fake.wait_for("the first message", |c| created_messages(c).len() == 1)
            .await;
        fake.hang_conversation(&first.conversation_id.to_string());
        say(&mut stuck, "s-2", "never answered").await;

        let (mut other, _) = welcomed(&server, &server.new_visitor().await).await;
        for n in 0..3 {
            say(&mut other, &format!("o-{n}"), &format!("other {n}")).await;
        }
        let commands = fake
            .wait_for("the other conversation's messages", |c| {
                created_messages(c).iter().any(|m| m.text == "other 2")
            })
            .await;
        let texts: Vec<_> = created_messages(&commands)
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(
            texts,
            ["answered", "other 0", "other 1", "other 2"],
            "{db:?}"
        );
    }
}

/// Posts `body` to the test integration's inbound URL with `token`.
pub(crate) async fn inbound(
    server: &Endpoint,
    token: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let response = tests::http()
        .post(format!(
            "{}/integration/webhook/shop:{token}/callback",
            server.base
        ))
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn inbound_commands_answer_with_the_spec_status_codes() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let unknown_id = tests::http()
        .post(format!(
            "{}/integration/webhook/nope:{WEBHOOK_TOKEN}/callback",
            server.base
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_id.status(), 404);
    assert_eq!(
        inbound(
            &server,
            "wrong-token",
            r#"{"createUser": {"extUserId": "a", "name": "A"}}"#
        )
        .await,
        (404, "No active integration".to_owned())
    );
    let cases = [
        ("{", ""),
        (
            r#"{"deleteEverything": {}}"#,
            "unknown variant `deleteEverything`",
        ),
        (r#"{"createUser": {"name": "A"}}"#, "extUserId"),
        (
            r#"{"createUser": {"extUserId": 5, "name": "A"}}"#,
            "createUser.extUserId",
        ),
        (
            r#"{"createMessage": {"extId": "1", "text": "x", "extConversationId": "999"}}"#,
            "no conversation 999",
        ),
        // A conversation is found by its id only, never through a member's user id.
        (
            r#"{"createMessage": {"extId": "1", "text": "x", "extUserId": "visitor-1"}}"#,
            "missing field `extConversationId`",
        ),
        // PostgreSQL's text cannot hold U+0000: refused for good, not a 500 retried for ever.
        (
            r#"{"createUser": {"extUserId": "nul", "name": "A\u0000B"}}"#,
            "NUL character",
        ),
    ];
    for (body, named) in cases {
        let (status, text) = inbound(&server, WEBHOOK_TOKEN, body).await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(named), "{body}: {text:?} lacks {named:?}");
    }
    let huge = format!(
        r#"{{"createUser": {{"extUserId": "big", "name": "B", "picture": "{}"}}}}"#,
        "A".repeat(5 * 1024 * 1024)
    );
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, huge).await.0, 413);
    let user = r#"{"createUser": {"extUserId": "op-1", "name": "Anna"}}"#;
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, user).await.0, 200);
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, user).await.0, 409);
    // An escaped backslash before `u0000` is text, not a NUL.
    let backslash = r#"{"createUser": {"extUserId": "op-2", "name": "A\\u0000B"}}"#;
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, backslash).await.0, 200);
    let update = r#"{"updateUser": {"extUserId": "nobody", "name": "X"}}"#;
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, update).await.0, 400);
    let with_bom = "\u{feff}{\"updateUser\": {\"extUserId\": \"op-1\", \"name\": \"Anna K.\"}}";
    assert_eq!(inbound(&server, WEBHOOK_TOKEN, with_bom).await.0, 200);
}

/// A 1x1 PNG.
const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

#[tokio::test]
async fn operator_replies_and_edits_reach_visitors_live_and_on_resume() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        let question = say(&mut client, "q-1", "Is it in stock?").await;
        let conversation = question.conversation_id;
        let user = format!(
            r#"{{"createUser": {{"extUserId": "op-1", "name": "Anna", "fullName": "Anna Ivanova", "picture": "{PNG}"}}}}"#
        );
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, user).await.0, 200, "{db:?}");
        let reply = format!(
            r#"{{"createMessage": {{"extId": "r-1", "text": "<b>Yes</b><script>x()</script>", "textFormat": "text/html", "extUserId": "op-1", "extConversationId": "{conversation}"}}}}"#
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, reply.clone()).await.0,
            200,
            "{db:?}"
        );
        let live = match client.next().await {
            ServerFrame::Message { message } => message,
            other => panic!("{db:?}: expected the reply live, got {other:?}"),
        };
        assert_eq!(live.author.kind, AuthorKind::Operator);
        assert_eq!(live.author.name.as_deref(), Some("Anna"));
        assert_eq!(live.text, "<b>Yes</b>", "{db:?}: sanitized");
        let picture = live.author.picture.clone().expect("operator picture");
        let image = tests::http()
            .get(format!("{}/{picture}", server.api()))
            .send()
            .await
            .unwrap();
        assert_eq!(image.status(), 200);
        assert_eq!(image.headers()["content-type"], "image/png");
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, reply).await.0,
            409,
            "{db:?}"
        );

        let edit = format!(
            r#"{{"updateMessage": {{"extId": "r-1", "text": "Yes, 3 left", "extUserId": "op-1", "extConversationId": "{conversation}"}}}}"#
        );
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, edit).await.0, 200, "{db:?}");
        match client.next().await {
            ServerFrame::MessageUpdated { message } => {
                assert_eq!(
                    (message.id, message.text.as_str()),
                    (live.id, "Yes, 3 left")
                );
                assert!(message.edited_at.is_some());
            }
            other => panic!("{db:?}: expected the edit live, got {other:?}"),
        }
        let title = format!(
            r#"{{"updateConversation": {{"extConversationId": "{conversation}", "title": "Stock question"}}}}"#
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, title).await.0,
            200,
            "{db:?}"
        );
        assert!(matches!(
            client.next().await,
            ServerFrame::ConversationUpdated { title, .. } if title == "Stock question"
        ));
        drop(client);

        let mut later = WsClient::connect(
            &server.api(),
            SHOP_ORIGIN,
            &token,
            Some((conversation, question.seq)),
        )
        .await
        .unwrap();
        match later.next().await {
            ServerFrame::Welcome { messages, .. } => {
                let texts: Vec<_> = messages.iter().map(|m| m.text.as_str()).collect();
                assert_eq!(
                    texts,
                    ["Yes, 3 left"],
                    "{db:?}: the reply, edited, on resume"
                );
            }
            other => panic!("{db:?}: {other:?}"),
        }
    }
}

/// An operator's message into `conversation`, through the inbound webhook.
async fn reply(server: &Endpoint, conversation: i64, ext_id: &str, text: &str) {
    let body = format!(
        r#"{{"createMessage": {{"extId": "{ext_id}", "text": "{text}", "extConversationId": "{conversation}"}}}}"#
    );
    assert_eq!(inbound(server, WEBHOOK_TOKEN, body).await.0, 200);
}

/// Reads `client`'s frames until the message `text` arrives; other messages are passed over.
async fn live(client: &mut WsClient, text: &str) -> protocol::Message {
    loop {
        match client.next().await {
            ServerFrame::Message { message } if message.text == text => return message,
            ServerFrame::Message { .. } => {}
            other => panic!("expected {text:?} live, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_known_user_adopting_an_anonymous_conversation_joins_it_in_1c() {
    const SIGN_KEY: &str = "adopt-key";
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged_signed(&fake, SIGN_KEY)).await;
        let token = signed(Algorithm::HS256, SIGN_KEY, &claims("cust-1"));
        let (mut known, _) = welcomed(&server, &server.new_visitor().await).await;
        known
            .send(&ClientFrame::Identify {
                token: token.clone(),
            })
            .await;
        assert!(matches!(known.next().await, ServerFrame::Identified { .. }));

        let (mut anonymous, _) = welcomed(&server, &server.new_visitor().await).await;
        let first = say(&mut anonymous, "a-1", "before login").await;
        // The operator answers the anonymous visitor, so the server knows whose it is.
        reply(&server, first.conversation_id, "r-1", "answer before login").await;
        let answer = live(&mut anonymous, "answer before login").await;
        anonymous.send(&ClientFrame::Identify { token }).await;
        match anonymous.next().await {
            ServerFrame::Identified { messages, .. } => {
                assert_eq!(
                    messages,
                    [first.clone(), answer],
                    "{db:?}: the conversation came along"
                );
            }
            other => panic!("{db:?}: {other:?}"),
        }
        say(&mut anonymous, "a-2", "after login").await;
        reply(&server, first.conversation_id, "r-2", "answer after login").await;
        for tab in [&mut anonymous, &mut known] {
            // Published to the person the conversation now belongs to.
            live(tab, "answer after login").await;
        }
        let commands = fake
            .wait_for("the message after login", |c| {
                created_messages(c).iter().any(|m| m.text == "after login")
            })
            .await;
        let position = |wanted: &dyn Fn(&Command) -> bool| {
            commands
                .iter()
                .position(wanted)
                .unwrap_or_else(|| panic!("{db:?}: missing in {commands:#?}"))
        };
        let conversation = first.conversation_id.to_string();
        let user =
            position(&|c| matches!(c, Command::CreateUser(u) if u.ext_user_id == "site-cust-1"));
        let joined = position(&|c| {
            matches!(c, Command::UpdateConversation(u) if u.ext_conversation_id == conversation
                && u.add_members == Some(vec!["site-cust-1".to_owned()]))
        });
        let after = position(&|c| {
            matches!(c, Command::CreateMessage(m) if m.text == "after login"
                && m.ext_user_id.as_deref() == Some("site-cust-1") && m.ext_conversation_id == conversation)
        });
        assert!(user < joined && joined < after, "{db:?}: {commands:#?}");
    }
}

#[tokio::test]
async fn the_collaboration_server_can_open_a_conversation_with_a_known_visitor() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
        let token = tests::tokens::unsigned(&claims("cust-5"));
        client.send(&ClientFrame::Identify { token }).await;
        assert!(matches!(
            client.next().await,
            ServerFrame::Identified { .. }
        ));
        let open = r#"{"createConversation": {"extConversationId": "1c-77", "title": "Follow-up", "extUserId": "cust-5"}}"#;
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, open).await.0, 200, "{db:?}");
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, open).await.0, 409, "{db:?}");
        let stranger =
            r#"{"createConversation": {"extConversationId": "1c-78", "extUserId": "nobody"}}"#;
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, stranger).await.0,
            400,
            "{db:?}"
        );
        let hello = r#"{"createMessage": {"extId": "o-1", "text": "We have news", "extConversationId": "1c-77"}}"#;
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, hello).await.0,
            200,
            "{db:?}"
        );
        match client.next().await {
            ServerFrame::Message { message } => {
                assert_eq!(message.text, "We have news");
                assert_eq!(message.author.kind, AuthorKind::Operator);
            }
            other => panic!("{db:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn redirects_are_failed_deliveries_and_every_message_arrives_afterwards_in_order() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged(&fake)).await;
        // Followed, a 302 turns the POST into a GET of a page answering 200: "delivered".
        fake.set_mode(Mode::Redirect);
        let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
        let mut sent = Vec::new();
        for n in 0..3 {
            sent.push(say(&mut client, &format!("r-{n}"), &format!("redirected {n}")).await);
        }
        fake.wait_for_failures(3).await;
        fake.set_mode(Mode::Normal);
        let commands = fake
            .wait_for("the three messages sent while redirected", |c| {
                created_messages(c).len() >= 3
            })
            .await;
        let delivered: Vec<String> = created_messages(&commands)
            .iter()
            .map(|m| m.ext_id.clone())
            .collect();
        let expected: Vec<String> = sent.iter().map(|m| m.id.to_string()).collect();
        assert_eq!(delivered, expected, "{db:?}: all, in order, once");
        assert_eq!(count(&commands, "createUser"), 1, "{db:?}");
        assert_eq!(count(&commands, "createConversation"), 1, "{db:?}");
    }
}

#[tokio::test]
async fn a_backlog_past_its_alert_limit_degrades_health_without_showing_1c_errors() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let bridge = BridgeSettings {
            outbox_alert_depth: 3,
            ..fast_bridge()
        };
        let options = Options {
            bridge,
            ..bridged(&fake)
        };
        let server = TestServer::start(db, options).await;
        assert_eq!(health(&server).await.status, "ok", "{db:?}");
        fake.set_mode(Mode::Fail500);
        let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
        for n in 0..3 {
            say(&mut client, &format!("d-{n}"), &format!("during {n}")).await;
        }
        fake.wait_for_failures(1).await;
        let degraded = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let response = tests::http()
                    .get(format!("{}/healthz", server.base))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{db:?}: degraded is still 200");
                let body = response.text().await.unwrap();
                let health: protocol::Health = serde_json::from_str(&body).unwrap();
                // Degraded comes at the fourth waiting command; wait for all five queued.
                let all_waiting = health
                    .outbox
                    .as_ref()
                    .is_some_and(|outbox| outbox.depth >= 5);
                if health.status == "degraded" && all_waiting {
                    return (health, body);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let (degraded, body) = degraded.expect("five commands wait: past outbox_alert_depth = 3");
        assert!(!degraded.problems.is_empty(), "{db:?}: {degraded:?}");
        assert!(
            degraded.outbox.as_ref().unwrap().depth >= 5,
            "{db:?}: {degraded:?}"
        );
        assert!(
            !body.contains("database is down"),
            "{db:?}: 1C's error text is not public: {body}"
        );
        let details = metrics(&server).await;
        assert!(
            details.contains("database is down"),
            "{db:?}: it is behind /metrics: {details}"
        );
        assert!(
            details.contains("webchat_outbox_backlog_alert{integration=\"shop\"} 1"),
            "{db:?}: {details}"
        );

        fake.set_mode(Mode::Normal);
        fake.wait_for("the three messages", |c| created_messages(c).len() == 3)
            .await;
        tokio::time::timeout(Duration::from_secs(10), async {
            while health(&server).await.status != "ok" {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("ok again once the backlog is delivered");
    }
}
