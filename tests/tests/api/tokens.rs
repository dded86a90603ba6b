//! Every matching-key token rule of the contract, through `setMatchingKeyToken`'s frame.

use crate::support::{error, visitor, welcomed};
use jsonwebtoken::Algorithm;
use protocol::{ClientFrame, ErrorCode, ServerFrame};
use serde_json::json;
use tests::tokens::{claims, now, signed, unsigned, with_payload};
use tests::{Options, TestServer, WsClient, engines};

const SIGN_KEY: &str = "site-sign-key";

async fn identify(client: &mut WsClient, token: String) -> ServerFrame {
    client.send(&ClientFrame::Identify { token }).await;
    client.next().await
}

#[tokio::test]
async fn signed_tokens_with_the_sign_key_are_accepted_for_each_hmac() {
    for db in engines() {
        let options = Options {
            sign_key: Some(SIGN_KEY.into()),
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        for (alg, sub) in [
            (Algorithm::HS256, "user-256"),
            (Algorithm::HS384, "user-384"),
            (Algorithm::HS512, "user-512"),
        ] {
            let (_, mut client) = visitor(&server).await;
            let frame = identify(&mut client, signed(alg, SIGN_KEY, &claims(sub))).await;
            assert!(
                matches!(&frame, ServerFrame::Identified { sub: got, .. } if got == sub),
                "{db:?} {alg:?}: {frame:?}"
            );
        }
    }
}

#[tokio::test]
async fn rejected_tokens_name_the_reason_and_leave_the_visitor_as_it_was() {
    let good = claims("user-1");
    let cases = [
        (unsigned(&good), "unsigned token refused"),
        (
            signed(Algorithm::HS256, "wrong-key", &good),
            "bad signature",
        ),
        (
            with_payload(&signed(Algorithm::HS256, SIGN_KEY, &good), &claims("admin")),
            "bad signature",
        ),
        (
            signed(
                Algorithm::HS256,
                SIGN_KEY,
                &json!({"sub": "user-1", "iat": now() - 7200, "exp": now() - 3600}),
            ),
            "expired",
        ),
        (
            signed(
                Algorithm::HS256,
                SIGN_KEY,
                &json!({"sub": "user-1", "iat": now() + 3600}),
            ),
            "issued in the future",
        ),
        (
            signed(Algorithm::HS256, SIGN_KEY, &json!({"iat": now()})),
            "sub is missing or empty",
        ),
        (
            signed(
                Algorithm::HS256,
                SIGN_KEY,
                &json!({"sub": "", "iat": now()}),
            ),
            "sub is missing or empty",
        ),
        (
            signed(Algorithm::HS256, SIGN_KEY, &json!({"sub": "user-1"})),
            "iat is missing",
        ),
        ("this is not a token".to_owned(), "not a JWT"),
        ("Zm9v".repeat(25_000), "longer than"),
    ];
    for db in engines() {
        let options = Options {
            sign_key: Some(SIGN_KEY.into()),
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let (token, mut client) = visitor(&server).await;
        for (bad, reason) in &cases {
            client
                .send(&ClientFrame::Identify { token: bad.clone() })
                .await;
            let message = error(&mut client, ErrorCode::TokenRejected).await;
            assert!(
                message.contains(reason),
                "{db:?}: {message:?} lacks {reason:?}"
            );
        }
        drop(client);
        let mut again = WsClient::connect(&server.api(), tests::server::SHOP_ORIGIN, &token, None)
            .await
            .unwrap();
        assert!(
            matches!(again.next().await, ServerFrame::Welcome { sub: None, .. }),
            "{db:?}: still anonymous"
        );
    }
}

#[tokio::test]
async fn without_a_sign_key_an_unsigned_jwt_is_accepted() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        let frame = identify(&mut client, unsigned(&claims("site-user"))).await;
        assert!(
            matches!(&frame, ServerFrame::Identified { sub, .. } if sub == "site-user"),
            "{db:?}: {frame:?}"
        );
    }
}

#[tokio::test]
async fn odd_time_claims_and_tokens_past_the_maximum_age_are_refused() {
    let cases = [
        (
            json!({"sub": "user-1", "iat": now(), "exp": "1"}),
            "claim exp must be a number",
        ),
        (
            json!({"sub": "user-1", "iat": now(), "nbf": "soon"}),
            "claim nbf must be a number",
        ),
        (
            json!({"sub": "user-1", "iat": now().to_string()}),
            "claim iat must be a number",
        ),
        (
            json!({"sub": "user-1", "iat": now() - 7200}),
            "token too old: issued more than 600 seconds ago",
        ),
    ];
    for db in engines() {
        let options = Options {
            sign_key: Some(SIGN_KEY.into()),
            token_max_age_secs: Some(600),
            ..Options::default()
        };
        let server = TestServer::start(db, options).await;
        let (_, mut client) = visitor(&server).await;
        for (claims, reason) in &cases {
            let token = signed(Algorithm::HS256, SIGN_KEY, claims);
            client.send(&ClientFrame::Identify { token }).await;
            let message = error(&mut client, ErrorCode::TokenRejected).await;
            assert!(
                message.contains(reason),
                "{db:?} {claims}: {message:?} lacks {reason:?}"
            );
        }
        let fresh = signed(
            Algorithm::HS256,
            SIGN_KEY,
            &json!({"sub": "user-1", "iat": now() - 60}),
        );
        assert!(
            matches!(
                identify(&mut client, fresh).await,
                ServerFrame::Identified { .. }
            ),
            "{db:?}: a token within the maximum age passes"
        );
    }
}
