//! Limits and refusals: rate limit, message size, malformed frames, unknown integrations and
//! origins that may not embed the chat.

use crate::support::{error, say, visitor};
use backend::config::settings::Limits;
use protocol::{ErrorCode, ServerFrame, close_code};
use tests::server::SHOP_ORIGIN;
use tests::{Options, TestServer, WsClient, engines};
use tokio_tungstenite::tungstenite;

const EVIL_ORIGIN: &str = "https://evil.example";

#[tokio::test]
async fn a_visitor_over_the_rate_gets_a_retry_time() {
    for db in engines() {
        let limits = Limits {
            message_burst: 3,
            messages_per_minute: 6,
            ..Limits::default()
        };
        let server = TestServer::start(
            db,
            Options {
                limits,
                ..Options::default()
            },
        )
        .await;
        let (_, mut client) = visitor(&server).await;
        for n in 0..3 {
            say(&mut client, &format!("r-{n}"), "quick").await;
        }
        client.say("r-3", "one too many").await;
        match client.next().await {
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message,
                client_id,
                retry_after_ms,
            } => {
                assert!(message.contains("6 per minute"), "{db:?}: {message}");
                assert_eq!(client_id.as_deref(), Some("r-3"));
                let wait = retry_after_ms.expect("retry time");
                assert!((1..=10_000).contains(&wait), "{db:?}: {wait}");
            }
            other => panic!("{db:?}: expected rate_limited, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_with_the_limit() {
    for db in engines() {
        let limits = Limits {
            max_message_bytes: 100,
            ..Limits::default()
        };
        let server = TestServer::start(
            db,
            Options {
                limits,
                ..Options::default()
            },
        )
        .await;
        let (_, mut client) = visitor(&server).await;
        client.say("big", &"a".repeat(101)).await;
        let message = error(&mut client, ErrorCode::MessageTooLarge).await;
        assert!(
            message.contains("101 bytes; the limit is 100 bytes"),
            "{db:?}: {message}"
        );
        assert_eq!(
            say(&mut client, "fits", &"a".repeat(100)).await.text.len(),
            100
        );
    }
}

#[tokio::test]
async fn malformed_frames_get_an_error_frame_and_the_session_goes_on() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let (_, mut client) = visitor(&server).await;
    client.send_raw("not json".into()).await;
    assert!(
        error(&mut client, ErrorCode::BadFrame)
            .await
            .contains("not a valid frame")
    );
    client.send_raw(r#"{"type":"teleport"}"#.into()).await;
    assert!(
        error(&mut client, ErrorCode::BadFrame)
            .await
            .contains("unknown variant")
    );
    client.say("", "no id").await;
    assert!(
        error(&mut client, ErrorCode::BadFrame)
            .await
            .contains("client_id")
    );
    say(&mut client, "ok", "still here").await;
}

#[tokio::test]
async fn unknown_integrations_are_404() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let http = tests::http();
    for key in ["nope:public-token", "shop:wrong-token", "shop"] {
        let response = http
            .post(format!("{}/api/v1/chat/{key}/visitors", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{key}");
        let body: protocol::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code, "unknown_integration");
        let api = format!("{}/api/v1/chat/{key}", server.base);
        let refused = WsClient::connect(&api, SHOP_ORIGIN, "any", None).await;
        assert!(
            matches!(&refused, Err(tungstenite::Error::Http(r)) if r.status() == 404),
            "{key}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn origins_outside_allowed_origins_are_refused() {
    for db in engines() {
        let options = Options {
            allowed_origins: vec![SHOP_ORIGIN.into()],
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let http = tests::http();
        let create = |origin: Option<&str>| {
            let request = http.post(format!("{}/visitors", server.api()));
            match origin {
                Some(origin) => request.header("Origin", origin),
                None => request,
            }
            .send()
        };
        let allowed = create(Some(SHOP_ORIGIN)).await.unwrap();
        assert_eq!(allowed.status(), 201, "{db:?}");
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            SHOP_ORIGIN,
            "{db:?}: CORS answers the allowed origin"
        );
        for origin in [Some(EVIL_ORIGIN), None] {
            let refused = create(origin).await.unwrap();
            assert_eq!(refused.status(), 403, "{db:?} {origin:?}");
            assert!(
                refused
                    .headers()
                    .get("access-control-allow-origin")
                    .is_none()
            );
            let body: protocol::ErrorBody = refused.json().await.unwrap();
            assert_eq!(body.error.code, "origin_not_allowed");
        }
        let token = server.new_visitor().await;
        let refused = WsClient::connect(&server.api(), EVIL_ORIGIN, &token, None).await;
        assert!(
            matches!(&refused, Err(tungstenite::Error::Http(r)) if r.status() == 403),
            "{db:?}: {refused:?}"
        );
        let preflight = http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/visitors", server.api()),
            )
            .header("Origin", EVIL_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_missed_heartbeats() {
    let limits = Limits {
        heartbeat_secs: 1,
        ..Options::default().limits
    };
    let server = TestServer::start(
        tests::Db::Sqlite,
        Options {
            limits,
            ..Options::default()
        },
    )
    .await;
    let token = server.new_visitor().await;
    let silent = tests::silent::SilentPeer::connect(&server.api(), SHOP_ORIGIN, &token).await;
    assert_eq!(silent.close_code().await, close_code::TIMEOUT);
}
