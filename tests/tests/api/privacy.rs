//! Privacy: page addresses reach operators without their query (unless the integration opts
//! in) and never with their fragment; a site user never shares a collaboration-server id with
//! an anonymous visitor; identification replaces the visitor token and unused tokens expire;
//! operators' pictures are checked on the way in and served as what they are.

use crate::bridge::inbound;
use crate::support::{ack, say, visitor, welcomed};
use backend::config::settings::Limits;
use protocol::webhook::Command;
use protocol::{ClientFrame, PageInfo, ServerFrame, TextFormat};
use tests::fake_collab::FakeCollaborationServer;
use tests::server::{Endpoint, SHOP_ORIGIN, WEBHOOK_TOKEN};
use tests::tokens::{claims, unsigned};
use tests::{Options, TestServer, WsClient, engines};

pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn bridged(fake: &FakeCollaborationServer) -> Options {
    Options {
        webhook_url: Some(fake.url()),
        ..Options::default()
    }
}

/// The `pageUrl` of the `createMessage` of `text` at `fake`.
async fn forwarded_page_url(fake: &FakeCollaborationServer, text: &str) -> String {
    let data = fake.message_data(text).await;
    data["pageUrl"].as_str().expect("pageUrl").to_owned()
}

/// The page address stored with the message `text`.
async fn stored_page_url(server: &TestServer, text: &str) -> String {
    let rows = server
        .select_texts(&format!(
            "SELECT page_url FROM messages WHERE text = '{text}'"
        ))
        .await;
    rows[0][0].clone().unwrap_or_default()
}

#[tokio::test]
async fn page_addresses_lose_their_query_and_fragment_on_the_server() {
    for db in engines() {
        for (send_page_query, expected) in [
            (false, "https://shop.example/account/reset"),
            (true, "https://shop.example/account/reset?reset=SECRET"),
        ] {
            let fake = FakeCollaborationServer::start().await;
            let server = TestServer::start(
                db,
                Options {
                    send_page_query,
                    ..bridged(&fake)
                },
            )
            .await;
            let (_, mut client) = visitor(&server).await;
            // What a widget that sends the whole address (every one before this) sends.
            client
                .send(&ClientFrame::Send {
                    client_id: "m-1".into(),
                    text: "Help".into(),
                    text_format: TextFormat::Plain,
                    page: Some(PageInfo {
                        url: "https://shop.example/account/reset?reset=SECRET#access_token=X"
                            .into(),
                        title: "Reset".into(),
                    }),
                })
                .await;
            ack(&mut client).await;
            let forwarded = forwarded_page_url(&fake, "Help").await;
            let stored = stored_page_url(&server, "Help").await;
            for url in [&forwarded, &stored] {
                assert_eq!(url, expected, "{db:?}, send_page_query {send_page_query}");
            }
        }
    }
}

#[tokio::test]
async fn a_site_user_called_like_an_anonymous_visitor_is_another_user_in_1c() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let server = TestServer::start(db, bridged(&fake)).await;
        let (_, mut anonymous) = visitor(&server).await;
        say(&mut anonymous, "a-1", "from the anonymous visitor").await;
        let commands = fake
            .wait_for("the anonymous visitor's user", |c| {
                c.iter().any(|c| matches!(c, Command::CreateUser(_)))
            })
            .await;
        let anonymous_id = commands
            .iter()
            .find_map(|c| match c {
                Command::CreateUser(user) => Some(user.ext_user_id.clone()),
                _ => None,
            })
            .unwrap();
        assert!(
            anonymous_id.starts_with("visitor-"),
            "{db:?}: {anonymous_id}"
        );

        let (_, mut site_user) = visitor(&server).await;
        site_user
            .send(&ClientFrame::Identify {
                token: unsigned(&claims(&anonymous_id)),
            })
            .await;
        assert!(matches!(
            site_user.next().await,
            ServerFrame::Identified { .. }
        ));
        say(&mut site_user, "s-1", "from the site user").await;
        let commands = fake
            .wait_for("the site user's message", |c| {
                c.iter().any(
                    |c| matches!(c, Command::CreateMessage(m) if m.text == "from the site user"),
                )
            })
            .await;
        let author = commands
            .iter()
            .find_map(|c| match c {
                Command::CreateMessage(m) if m.text == "from the site user" => {
                    m.ext_user_id.clone()
                }
                _ => None,
            })
            .unwrap();
        assert_ne!(author, anonymous_id, "{db:?}: two people, one 1C user");
        assert!(
            commands
                .iter()
                .any(|c| matches!(c, Command::CreateUser(u) if u.ext_user_id == author)),
            "{db:?}: the site user is created as {author}: {commands:#?}"
        );
        assert_eq!(fake.conflicts(), 0, "{db:?}");
    }
}

/// The next frame, which must be `identified`; its sub and new token.
async fn identified(client: &mut WsClient) -> (String, Option<String>) {
    match client.next().await {
        ServerFrame::Identified {
            sub, visitor_token, ..
        } => (sub, visitor_token),
        other => panic!("expected identified, got {other:?}"),
    }
}

pub(crate) async fn refused(server: &Endpoint, token: &str) -> bool {
    matches!(
        WsClient::connect(&server.api(), SHOP_ORIGIN, token, None).await,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401
    )
}

#[tokio::test]
async fn identification_replaces_the_visitor_token() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let old = server.new_visitor().await;
        let (mut tab, _) = welcomed(&server, &old).await;
        let (mut other_tab, _) = welcomed(&server, &old).await;
        let login = ClientFrame::Identify {
            token: unsigned(&claims("customer-1")),
        };
        tab.send(&login).await;
        let (sub, new) = identified(&mut tab).await;
        assert_eq!(sub, "customer-1");
        let new = new.expect("a new token for the identified visitor");
        assert_ne!(new, old, "{db:?}");
        // The browser's other tab follows; it reads the new token from shared storage.
        assert_eq!(
            identified(&mut other_tab).await,
            ("customer-1".to_owned(), None),
            "{db:?}"
        );
        assert!(
            refused(&server, &old).await,
            "{db:?}: the old token still works"
        );
        let mut reconnected = WsClient::connect(&server.api(), SHOP_ORIGIN, &new, None)
            .await
            .expect("the new token works");
        assert!(
            matches!(reconnected.next().await, ServerFrame::Welcome { sub: Some(sub), .. } if sub == "customer-1"),
            "{db:?}"
        );
        // Logging in again as the same person keeps the token.
        reconnected.send(&login).await;
        assert_eq!(
            identified(&mut reconnected).await,
            ("customer-1".to_owned(), None)
        );
        assert!(!refused(&server, &new).await, "{db:?}");
    }
}

#[tokio::test]
async fn a_token_unused_past_the_idle_expiry_is_refused() {
    for db in engines() {
        let options = Options {
            limits: Limits {
                visitor_idle_days: 30,
                ..Options::default().limits
            },
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let age = |token: &str, days: i64| {
            format!(
                "UPDATE visitors SET last_seen_at = last_seen_at - {} WHERE token_hash = '{}'",
                days * DAY_MS,
                backend::auth::visitor_token::hash(token)
            )
        };
        let stale = server.new_visitor().await;
        let regular = server.new_visitor().await;
        server.execute_sql(&age(&stale, 31)).await;
        assert!(refused(&server, &stale).await, "{db:?}: idle for 31 days");
        let logout = tests::http()
            .delete(format!("{}/visitor", server.api()))
            .header("Origin", SHOP_ORIGIN)
            .bearer_auth(&stale)
            .send()
            .await
            .unwrap();
        assert_eq!(logout.status(), 401, "{db:?}");
        // What a widget asks when its connection is closed before the welcome.
        let check = |token: String| {
            tests::http()
                .get(format!("{}/visitor", server.api()))
                .header("Origin", SHOP_ORIGIN)
                .bearer_auth(token)
                .send()
        };
        assert_eq!(check(stale.clone()).await.unwrap().status(), 401, "{db:?}");
        assert_eq!(
            check(regular.clone()).await.unwrap().status(),
            204,
            "{db:?}"
        );
        // A visitor coming back every 29 days stays: each visit counts as its last use.
        for _ in 0..2 {
            server.execute_sql(&age(&regular, 29)).await;
            assert!(
                !refused(&server, &regular).await,
                "{db:?}: idle for 29 days"
            );
        }
    }
}

/// A 1x1 PNG, in lines as 1C's `Base64String` writes them (JSON-escaped line break).
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYA\\r\\nAjCB0C8AAAAASUVORK5CYII=";
/// A 1x1 GIF.
const GIF: &str = "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==";

#[tokio::test]
async fn operator_pictures_are_checked_on_the_way_in_and_served_as_what_they_are() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let svg =
            "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=";
        let html = "PGh0bWw+PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0PjwvaHRtbD4=";
        for (picture, says) in [
            (svg, "allowed are PNG, JPEG, GIF and WebP"),
            (html, "text/html"),
            ("not base64!", "not valid base64"),
        ] {
            let user = format!(
                r#"{{"createUser": {{"extUserId": "op-x", "name": "X", "picture": "{picture}"}}}}"#
            );
            let (status, text) = inbound(&server, WEBHOOK_TOKEN, user).await;
            assert_eq!(status, 400, "{db:?}: {text}");
            assert!(text.contains(says), "{db:?}: {text:?} lacks {says:?}");
        }
        let user = format!(
            r#"{{"createUser": {{"extUserId": "op-1", "name": "Anna", "picture": "{PNG}"}}}}"#
        );
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, user).await.0, 200, "{db:?}");
        let update = format!(
            r#"{{"updateUser": {{"extUserId": "op-1", "name": "Anna", "picture": "{svg}"}}}}"#
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, update).await.0,
            400,
            "{db:?}"
        );

        let (_, mut client) = visitor(&server).await;
        let question = say(&mut client, "q-1", "Hello?").await;
        let reply = format!(
            r#"{{"createMessage": {{"extId": "r-1", "text": "Hi", "extUserId": "op-1", "extConversationId": "{}"}}}}"#,
            question.conversation_id
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, reply).await.0,
            200,
            "{db:?}"
        );
        let picture = match client.next().await {
            ServerFrame::Message { message } => message.author.picture.expect("a picture"),
            other => panic!("{db:?}: {other:?}"),
        };
        let url = format!("{}/{picture}", server.api());
        let http = tests::http();
        let first = http.get(&url).send().await.unwrap();
        assert_eq!(first.status(), 200, "{db:?}");
        let headers = first.headers().clone();
        assert_eq!(headers["content-type"], "image/png");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("cache-control"), "{db:?}");
        let etag = headers["etag"].clone();
        assert!(first.bytes().await.unwrap().starts_with(b"\x89PNG"));
        let again = http
            .get(&url)
            .header("If-None-Match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{db:?}: unchanged");

        let update = format!(
            r#"{{"updateUser": {{"extUserId": "op-1", "name": "Anna", "picture": "{GIF}"}}}}"#
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, update).await.0,
            200,
            "{db:?}"
        );
        let changed = http
            .get(&url)
            .header("If-None-Match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200, "{db:?}: a new picture");
        assert_eq!(changed.headers()["content-type"], "image/gif");
        assert_ne!(changed.headers()["etag"], etag);
    }
}
