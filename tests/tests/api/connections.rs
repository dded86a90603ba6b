//! What the listener does to slow and greedy clients, seen over raw TCP: a half-sent request
//! head and an idle keep-alive connection are closed after the header-read timeout,
//! connections over the per-IP cap are refused, and the inbound webhook checks its token
//! before it reads a body.

use backend::config::settings::ServerSettings;
use std::time::{Duration, Instant};
use tests::server::{INTEGRATION_ID, WEBHOOK_TOKEN};
use tests::{Options, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest a test waits for the server to answer or close.
const WAIT: Duration = Duration::from_secs(15);

fn with_server(server: ServerSettings) -> Options {
    Options {
        server,
        ..Options::default()
    }
}

async fn connect(server: &TestServer) -> TcpStream {
    let address = server.base.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Reads until the server closes the connection; everything it sent.
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(WAIT, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server did not close the connection within {WAIT:?}; it sent {:?}",
        String::from_utf8_lossy(&received)
    );
    String::from_utf8_lossy(&received).into_owned()
}

/// Reads until a whole response head has arrived; the head.
async fn response_head(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(WAIT, async {
        let mut byte = [0u8; 1];
        while !received.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(_) => received.push(byte[0]),
            }
        }
    })
    .await
    .expect("a response within the wait");
    String::from_utf8_lossy(&received).into_owned()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: chat\r\n\r\n";

#[tokio::test]
async fn a_half_sent_request_head_and_an_idle_connection_are_closed_after_the_timeout() {
    let settings = ServerSettings {
        header_read_timeout_secs: 1,
        ..Options::default().server
    };
    let server = TestServer::start(tests::Db::Sqlite, with_server(settings)).await;

    let mut half = connect(&server).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nhost: chat\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    until_closed(&mut half).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed after the timeout, not before: {:?}",
        started.elapsed()
    );

    let mut idle = connect(&server).await;
    idle.write_all(HEALTH).await.unwrap();
    assert!(response_head(&mut idle).await.starts_with("HTTP/1.1 200"));
    until_closed(&mut idle).await;
}

#[tokio::test]
async fn connections_over_the_per_ip_cap_are_refused_until_one_closes() {
    let settings = ServerSettings {
        max_connections_per_ip: 3,
        ..Options::default().server
    };
    let server = TestServer::start(tests::Db::Sqlite, with_server(settings)).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&server).await;
        stream.write_all(HEALTH).await.unwrap();
        assert!(response_head(&mut stream).await.starts_with("HTTP/1.1 200"));
        open.push(stream);
    }
    let mut refused = connect(&server).await;
    let answer = until_closed(&mut refused).await;
    assert!(
        answer.starts_with("HTTP/1.1 503")
            && answer.contains("too many connections from your address: at most 3"),
        "{answer}"
    );

    let mut closing = open.pop().unwrap();
    closing
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: chat\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    until_closed(&mut closing).await;
    // The server frees the place right after it closed the socket, so the first attempts may
    // still meet the full cap; each attempt waits for the server's answer.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut again = connect(&server).await;
        again.write_all(HEALTH).await.unwrap();
        let head = response_head(&mut again).await;
        if head.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(head.starts_with("HTTP/1.1 503"), "{head}");
        assert!(
            attempts < 100,
            "the closed connection's place was never freed"
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn the_webhook_refuses_a_wrong_token_before_reading_the_body() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let mut stream = connect(&server).await;
    // Announces 3 MiB and sends only 64 KiB of it: the answer must not wait for the rest.
    let head = format!(
        "POST /integration/webhook/{INTEGRATION_ID}:wrong-token-of-the-right-length/callback HTTP/1.1\r\n\
         host: chat\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        3 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 64 * 1024]).await.unwrap();
    let answer = response_head(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
}

#[tokio::test]
async fn an_oversized_command_is_refused_naming_the_limit() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let huge = format!(
        r#"{{"createUser": {{"extUserId": "big", "name": "B", "picture": "{}"}}}}"#,
        "A".repeat(5 * 1024 * 1024)
    );
    let response = tests::http()
        .post(format!(
            "{}/integration/webhook/{INTEGRATION_ID}:{WEBHOOK_TOKEN}/callback",
            server.base
        ))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("larger than the limit of 4194304 bytes"),
        "{text}"
    );
}

#[tokio::test]
async fn websocket_sessions_count_toward_the_per_ip_cap() {
    let settings = ServerSettings {
        max_connections_per_ip: 2,
        ..Options::default().server
    };
    let server = TestServer::start(tests::Db::Sqlite, with_server(settings)).await;
    let token = server.new_visitor().await;
    let (_first, _) = crate::support::welcomed(&server, &token).await;
    let (_second, _) = crate::support::welcomed(&server, &token).await;
    let mut third = connect(&server).await;
    let answer = until_closed(&mut third).await;
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "upgraded connections keep their place: {answer}"
    );
}
