//! Tokens made by JWT libraries we did not write, with the programs of `docs/signing.md`:
//! the server accepts what they sign with the signKey and refuses what they sign with another
//! key or with a clock two hours off, through the frame `setMatchingKeyToken` sends.

use crate::support::{error, visitor};
use protocol::{ClientFrame, ErrorCode, ServerFrame};
use tests::signers::{Clock, ExampleSignature, Language, Signer};
use tests::{Options, TestServer, WsClient, engines};

/// A site's signKey, long enough that no library warns about it.
const SIGN_KEY: &str = "a-site-sign-key-of-more-than-32-bytes";

fn signed_with(sign_key: &str) -> Options {
    Options {
        sign_key: Some(sign_key.to_owned()),
        ..Options::default()
    }
}

/// Sends `token` as `setMatchingKeyToken` does and returns the server's answer.
async fn identify(client: &mut WsClient, token: &str) -> ServerFrame {
    client
        .send(&ClientFrame::Identify {
            token: token.to_owned(),
        })
        .await;
    client.next().await
}

/// Runs `language`'s program from the guide and checks what the server makes of its tokens.
async fn check_signer(language: Language) {
    let signer = Signer::from_guide(language);
    let user = format!("{language:?}-user-42");
    let good = signer.token(SIGN_KEY, &user, Clock::Right).await;
    let refused = [
        (
            signer
                .token("another-key-of-more-than-32-bytes!", &user, Clock::Right)
                .await,
            "bad signature",
        ),
        (
            signer.token(SIGN_KEY, &user, Clock::Behind).await,
            "token expired",
        ),
        (
            signer.token(SIGN_KEY, &user, Clock::Ahead).await,
            "issued in the future",
        ),
    ];
    for db in engines() {
        let server = TestServer::start(db, signed_with(SIGN_KEY)).await;
        let (_, mut client) = visitor(&server).await;
        for (token, reason) in &refused {
            client
                .send(&ClientFrame::Identify {
                    token: token.clone(),
                })
                .await;
            let message = error(&mut client, ErrorCode::TokenRejected).await;
            assert!(
                message.contains(reason),
                "{db:?} {language:?}: {message:?} lacks {reason:?}"
            );
        }
        let frame = identify(&mut client, &good).await;
        assert!(
            matches!(&frame, ServerFrame::Identified { sub, .. } if *sub == user),
            "{db:?} {language:?}: {frame:?}"
        );
    }
}

#[tokio::test]
async fn tokens_from_node_jsonwebtoken_are_accepted_and_bad_ones_refused() {
    check_signer(Language::Node).await;
}

#[tokio::test]
async fn tokens_from_python_pyjwt_are_accepted_and_bad_ones_refused() {
    check_signer(Language::Python).await;
}

#[tokio::test]
async fn the_guides_example_signature_is_accepted() {
    let example = ExampleSignature::from_guide();
    for db in engines() {
        let server = TestServer::start(db, signed_with(&example.sign_key)).await;
        let (_, mut client) = visitor(&server).await;
        let frame = identify(&mut client, &example.token()).await;
        assert!(
            matches!(&frame, ServerFrame::Identified { sub, .. } if sub == "42"),
            "{db:?}: {frame:?}"
        );
    }
}
