//! `text/html` messages come out inert; `text/plain` is stored exactly as typed.

use crate::support::{ack, error, visitor};
use protocol::{ErrorCode, TextFormat};
use tests::{Options, TestServer, engines};

const CORPUS: &[&str] = &[
    "<script>alert(1)</script><b>bold</b>",
    "<img src=x onerror=alert(1)>text",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<span style=\"color: expression(alert(1))\">styled</span>",
    "<span style=\"background-color: url(javascript:alert(1))\">styled</span>",
    "<b onmouseover=\"alert(1)\">hover</b>",
    "<svg onload=alert(1)><circle/></svg>svg",
    "<iframe src=\"https://evil.example\"></iframe>frame",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>math",
    "<div><style>body{display:none}</style>css</div>",
    "<<script>script>alert(1)//<</script>",
];

const ACTIVE: &[&str] = &[
    "<script",
    "onerror",
    "onload",
    "onmouseover",
    "javascript:",
    "expression(",
    "url(",
    "<iframe",
    "<img",
    "<svg",
    "<style",
    "<math",
    "<div",
];

#[tokio::test]
async fn html_messages_are_sanitized_before_storing() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (_, mut client) = visitor(&server).await;
        for (n, dirty) in CORPUS.iter().enumerate() {
            client
                .send_message(&format!("x-{n}"), dirty, TextFormat::Html)
                .await;
            let stored = ack(&mut client).await;
            let lower = stored.text.to_ascii_lowercase();
            for active in ACTIVE {
                assert!(
                    !lower.contains(active),
                    "{db:?}: {dirty:?} kept {active:?}: {lower:?}"
                );
            }
        }
        client
            .send_message("kept", "<b style=\"color: red\">ok</b>", TextFormat::Html)
            .await;
        assert_eq!(ack(&mut client).await.text, "<b style=\"color:red\">ok</b>");
    }
}

#[tokio::test]
async fn plain_text_is_kept_verbatim_and_empty_html_is_refused() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (_, mut client) = visitor(&server).await;
        let typed = "<script>alert(1)</script> is how XSS looks";
        client.send_message("p", typed, TextFormat::Plain).await;
        let stored = ack(&mut client).await;
        assert_eq!(
            (stored.text.as_str(), stored.text_format),
            (typed, TextFormat::Plain)
        );
        client
            .send_message("e", "<script>alert(1)</script>", TextFormat::Html)
            .await;
        let message = error(&mut client, ErrorCode::EmptyMessage).await;
        assert!(message.contains("empty"), "{db:?}: {message}");
    }
}

#[tokio::test]
async fn relative_and_protocol_relative_links_lose_their_href() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let (_, mut client) = visitor(&server).await;
        for (n, href) in ["//evil.example/x", "/logout", "../admin", "logout"]
            .iter()
            .enumerate()
        {
            let html = format!("<a href=\"{href}\">link</a>");
            client
                .send_message(&format!("r-{n}"), &html, TextFormat::Html)
                .await;
            let stored = ack(&mut client).await;
            assert!(
                !stored.text.contains("href"),
                "{db:?}: {href:?} kept its href: {:?}",
                stored.text
            );
        }
        client
            .send_message(
                "abs",
                "<a href=\"https://shop.example/help\">help</a>",
                TextFormat::Html,
            )
            .await;
        assert!(
            ack(&mut client)
                .await
                .text
                .contains("href=\"https://shop.example/help\""),
            "{db:?}: an absolute link stays"
        );
    }
}
