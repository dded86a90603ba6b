//! Identity across browsers: visitor tokens bound to the same `sub` share one conversation; a
//! logged-out token is refused.

use crate::support::{say, visitor, welcomed};
use jsonwebtoken::Algorithm;
use protocol::{ClientFrame, ServerFrame};
use tests::server::SHOP_ORIGIN;
use tests::tokens::{claims, signed};
use tests::{Options, TestServer, WsClient, engines};

const SIGN_KEY: &str = "identity-key";

fn options() -> Options {
    Options {
        sign_key: Some(SIGN_KEY.into()),
        ..Options::default()
    }
}

async fn identify(client: &mut WsClient, sub: &str) -> Vec<String> {
    let token = signed(Algorithm::HS256, SIGN_KEY, &claims(sub));
    client.send(&ClientFrame::Identify { token }).await;
    match client.next().await {
        ServerFrame::Identified { messages, .. } => messages.into_iter().map(|m| m.text).collect(),
        other => panic!("expected identified, got {other:?}"),
    }
}

#[tokio::test]
async fn two_browsers_with_the_same_sub_see_one_history_live() {
    for db in engines() {
        let server = TestServer::start(db, options()).await;
        let (_, mut laptop) = visitor(&server).await;
        let (_, mut phone) = visitor(&server).await;
        assert!(identify(&mut laptop, "customer-7").await.is_empty());
        say(&mut laptop, "l-1", "from the laptop").await;
        assert_eq!(
            identify(&mut phone, "customer-7").await,
            ["from the laptop"],
            "{db:?}"
        );
        say(&mut phone, "p-1", "from the phone").await;
        match laptop.next().await {
            ServerFrame::Message { message } => assert_eq!(message.text, "from the phone"),
            other => panic!("{db:?}: expected the phone's message live, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_anonymous_conversation_is_kept_when_the_visitor_logs_in() {
    for db in engines() {
        let server = TestServer::start(db, options()).await;
        let (_, mut client) = visitor(&server).await;
        say(&mut client, "a-1", "before login").await;
        assert_eq!(
            identify(&mut client, "new-customer").await,
            ["before login"],
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn logout_closes_sessions_and_refuses_the_old_token() {
    for db in engines() {
        let server = TestServer::start(db, options()).await;
        let (token, mut client) = visitor(&server).await;
        let http = tests::http();
        let logout = || {
            http.delete(format!("{}/visitor", server.api()))
                .header("Origin", SHOP_ORIGIN)
                .bearer_auth(&token)
                .send()
        };
        assert_eq!(logout().await.unwrap().status(), 204, "{db:?}");
        assert_eq!(
            client.closed().await,
            4001,
            "{db:?}: session closed as logged out"
        );
        let refused = WsClient::connect(&server.api(), SHOP_ORIGIN, &token, None).await;
        assert!(
            matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401),
            "{db:?}: {refused:?}"
        );
        assert_eq!(logout().await.unwrap().status(), 401, "{db:?}");
        let fresh = server.new_visitor().await;
        let (_, messages) = welcomed(&server, &fresh).await;
        assert!(messages.is_empty(), "{db:?}: a new visitor starts fresh");
    }
}
