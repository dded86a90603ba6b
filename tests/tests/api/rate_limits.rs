//! Rate limits on every surface a visitor drives: each client frame type (a `set_contact` flood
//! must not become a flood of `updateUser` commands to the collaboration server), visitor
//! creation per IP address, and open sessions per visitor.

use crate::support::{say, visitor, welcomed};
use backend::config::settings::Limits;
use protocol::webhook::Command;
use protocol::{ClientFrame, ContactInfo, ErrorCode, ServerFrame, VisitorCreated};
use tests::fake_collab::FakeCollaborationServer;
use tests::server::SHOP_ORIGIN;
use tests::tokens::{claims, unsigned};
use tests::{Options, TestServer, WsClient, engines};
use tokio_tungstenite::tungstenite;

/// `limits` over the test defaults.
fn with_limits(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

/// How the server answered a flood of frames: the accepted answers and the refusals' texts.
#[derive(Debug, Default)]
struct Answers {
    accepted: usize,
    refusals: Vec<String>,
}

/// Sends `count` frames made by `frame`, then reads one answer per frame.
async fn flood(
    client: &mut WsClient,
    count: usize,
    frame: impl Fn(usize) -> ClientFrame,
) -> Answers {
    for n in 0..count {
        client.send(&frame(n)).await;
    }
    let mut answers = Answers::default();
    for _ in 0..count {
        match client.next().await {
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message,
                retry_after_ms,
                ..
            } => {
                assert!(retry_after_ms.is_some_and(|ms| ms >= 1), "{message}");
                answers.refusals.push(message);
            }
            ServerFrame::Error { code, message, .. } => panic!("unexpected {code:?}: {message}"),
            _ => answers.accepted += 1,
        }
    }
    answers
}

#[tokio::test]
async fn a_set_contact_flood_does_not_become_a_flood_of_update_user_commands() {
    const FLOOD: usize = 300;
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let limits = Limits {
            change_burst: 5,
            changes_per_minute: 6,
            ..Options::default().limits
        };
        let options = Options {
            webhook_url: Some(fake.url()),
            ..with_limits(limits)
        };
        let server = TestServer::start(db, options).await;
        let (_, mut client) = visitor(&server).await;
        say(&mut client, "c-1", "hello").await;
        fake.wait_for("the first message", |c| c.len() >= 3).await;

        let answers = flood(&mut client, FLOOD, |n| ClientFrame::SetContact {
            contact: ContactInfo {
                name: Some(format!("Name {n}")),
                email: None,
                phone: None,
            },
        })
        .await;
        // One more may have been refilled (one every ten seconds) while the flood ran.
        assert!(
            (5..=6).contains(&answers.accepted),
            "{db:?}: {} contact changes accepted",
            answers.accepted
        );
        assert!(
            answers.refusals[0]
                .contains("too many contact changes and identifications: at most 6 per minute"),
            "{db:?}: {:?}",
            answers.refusals[0]
        );

        say(&mut client, "c-2", "after the flood").await;
        let commands = fake
            .wait_for("the message after the flood", |c| {
                c.iter()
                    .any(|c| matches!(c, Command::CreateMessage(m) if m.text == "after the flood"))
            })
            .await;
        let updates = commands.iter().filter(|c| c.name() == "updateUser").count();
        assert!(
            updates <= answers.accepted,
            "{db:?}: {updates} updateUser commands for {} accepted changes",
            answers.accepted
        );
    }
}

#[tokio::test]
async fn ping_and_identify_floods_get_rate_limited_frames() {
    let limits = Limits {
        frame_burst: 20,
        frames_per_minute: 60,
        change_burst: 3,
        changes_per_minute: 6,
        ..Options::default().limits
    };
    let server = TestServer::start(tests::Db::Sqlite, with_limits(limits)).await;

    let (_, mut pinging) = visitor(&server).await;
    let pings = flood(&mut pinging, 40, |_| ClientFrame::Ping).await;
    assert!((20..=21).contains(&pings.accepted), "{pings:?}");
    assert!(
        pings.refusals[0].contains("too many frames: at most 60 per minute (bursts of 20)"),
        "{pings:?}"
    );

    let (_, mut identifying) = visitor(&server).await;
    let token = unsigned(&claims("site-user"));
    let identifies = flood(&mut identifying, 10, |_| ClientFrame::Identify {
        token: token.clone(),
    })
    .await;
    assert!((3..=4).contains(&identifies.accepted), "{identifies:?}");
    assert!(
        identifies.refusals[0].contains("too many contact changes and identifications"),
        "{identifies:?}"
    );

    let garbage = {
        let (_, mut client) = visitor(&server).await;
        for _ in 0..25 {
            client.send_raw("not json".into()).await;
        }
        let mut refused = 0;
        for _ in 0..25 {
            if let ServerFrame::Error {
                code: ErrorCode::RateLimited,
                ..
            } = client.next().await
            {
                refused += 1;
            }
        }
        refused
    };
    assert!(
        garbage >= 4,
        "unparsable frames count too: {garbage} refused"
    );
}

/// `POST .../visitors` from this test's address.
async fn create_visitor(server: &TestServer) -> reqwest::Response {
    create_visitor_forwarded(server, None).await
}

/// `POST .../visitors` as a proxy forwarding for `client`.
async fn create_visitor_forwarded(server: &TestServer, client: Option<&str>) -> reqwest::Response {
    let request = tests::http()
        .post(format!("{}/visitors", server.api()))
        .header("Origin", SHOP_ORIGIN);
    match client {
        Some(client) => request.header("X-Forwarded-For", format!("198.51.100.9, {client}")),
        None => request,
    }
    .send()
    .await
    .expect("create visitor")
}

#[tokio::test]
async fn visitor_creation_is_limited_per_ip_address() {
    for db in engines() {
        let limits = Limits {
            visitor_burst_per_ip: 3,
            visitors_per_minute_per_ip: 2,
            ..Options::default().limits
        };
        let server = TestServer::start(db, with_limits(limits)).await;
        for n in 0..3 {
            let created = create_visitor(&server).await;
            assert_eq!(created.status(), 201, "{db:?}: visitor {n}");
            let _: VisitorCreated = created.json().await.unwrap();
        }
        let refused = create_visitor(&server).await;
        assert_eq!(refused.status(), 429, "{db:?}");
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry_after), "{db:?}: {retry_after}");
        let body: protocol::ErrorBody = refused.json().await.unwrap();
        assert_eq!(body.error.code, "rate_limited");
        assert!(
            body.error
                .message
                .contains("too many new visitors from this address: at most 2 per minute"),
            "{db:?}: {}",
            body.error.message
        );
    }
}

#[tokio::test]
async fn sessions_per_visitor_are_capped() {
    for db in engines() {
        let limits = Limits {
            max_sessions_per_visitor: 2,
            ..Options::default().limits
        };
        let server = TestServer::start(db, with_limits(limits)).await;
        let token = server.new_visitor().await;
        let (_first, _) = welcomed(&server, &token).await;
        let (mut second, _) = welcomed(&server, &token).await;
        let third = WsClient::connect(&server.api(), SHOP_ORIGIN, &token, None).await;
        match third {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 429, "{db:?}");
                let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
                assert!(
                    body.contains("has 2 chat sessions open")
                        && body.contains("max_sessions_per_visitor"),
                    "{db:?}: {body}"
                );
            }
            other => panic!("{db:?}: the third session was not refused: {other:?}"),
        }
        say(&mut second, "s-1", "the open sessions go on").await;
        let (_, _other_visitor) = visitor(&server).await;
    }
}

#[tokio::test]
async fn a_forwarded_client_address_counts_only_when_the_proxy_header_is_trusted() {
    let limits = Limits {
        visitor_burst_per_ip: 1,
        visitors_per_minute_per_ip: 1,
        ..Options::default().limits
    };
    let direct = TestServer::start(tests::Db::Sqlite, with_limits(limits)).await;
    let first = create_visitor_forwarded(&direct, Some("203.0.113.5")).await;
    assert_eq!(first.status(), 201);
    let claimed_elsewhere = create_visitor_forwarded(&direct, Some("203.0.113.6")).await;
    assert_eq!(
        claimed_elsewhere.status(),
        429,
        "by default the header is ignored: the peer address counts"
    );

    let proxied = TestServer::start(
        tests::Db::Sqlite,
        Options {
            server: backend::config::settings::ServerSettings {
                client_ip_header: Some("X-Forwarded-For".into()),
                ..Options::default().server
            },
            ..with_limits(limits)
        },
    )
    .await;
    let statuses = [
        create_visitor_forwarded(&proxied, Some("203.0.113.5"))
            .await
            .status(),
        create_visitor_forwarded(&proxied, Some("203.0.113.5"))
            .await
            .status(),
        create_visitor_forwarded(&proxied, Some("203.0.113.6"))
            .await
            .status(),
    ];
    assert_eq!(statuses.map(|status| status.as_u16()), [201, 429, 201]);
}
