//! `GET /metrics`: the Prometheus text format, behind its bearer token when one is set; its
//! series move with the traffic they count.

use crate::support::{error, say, welcomed};
use backend::config::secret::Secret;
use backend::config::settings::{Limits, MetricsSettings};
use protocol::{ClientFrame, ErrorCode};
use tests::server::{Endpoint, WEBHOOK_TOKEN};
use tests::{Db, Options, TestServer};

const TOKEN: &str = "metrics-token-of-the-test";

async fn scrape(server: &Endpoint, token: Option<&str>) -> (u16, String) {
    let mut request = tests::http().get(format!("{}/metrics", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of `series` (name and labels, exactly as rendered), 0 when absent.
fn value(scraped: &str, series: &str) -> f64 {
    scraped
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_need_the_token_and_count_messages_acks_and_refusals() {
    let options = Options {
        metrics: MetricsSettings {
            token: Some(Secret::new(TOKEN)),
            listen: None,
        },
        limits: Limits {
            message_burst: 2,
            messages_per_minute: 1,
            ..Limits::default()
        },
        ..Options::default()
    };
    let server = TestServer::start(Db::Sqlite, options).await;
    assert_eq!(scrape(&server, None).await.0, 401, "no token");
    assert_eq!(scrape(&server, Some("wrong-token-value")).await.0, 401);
    let (status, before) = scrape(&server, Some(TOKEN)).await;
    assert_eq!(status, 200);

    let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
    let first = say(&mut client, "m-1", "one").await;
    say(&mut client, "m-2", "two").await;
    client.say("m-3", "three").await;
    error(&mut client, ErrorCode::RateLimited).await;
    client
        .send(&ClientFrame::Identify {
            token: "not-a-jwt".into(),
        })
        .await;
    error(&mut client, ErrorCode::TokenRejected).await;
    let reply = format!(
        r#"{{"createMessage": {{"extId": "op-1", "text": "hello", "extConversationId": "{}"}}}}"#,
        first.conversation_id
    );
    let inbound = tests::http()
        .post(format!(
            "{}/integration/webhook/shop:{WEBHOOK_TOKEN}/callback",
            server.base
        ))
        .body(reply)
        .send()
        .await
        .unwrap();
    assert_eq!(inbound.status(), 200);

    let (_, after) = scrape(&server, Some(TOKEN)).await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert!(moved("webchat_messages_in_total") >= 2.0, "{after}");
    assert!(moved("webchat_ack_latency_seconds_count") >= 2.0, "{after}");
    assert!(moved("webchat_messages_out_total") >= 1.0, "{after}");
    // Two messages acknowledged one after the other and a reply: three written at least, in
    // one batch or more.
    assert!(moved("webchat_store_batch_messages_sum") >= 3.0, "{after}");
    assert!(
        moved("webchat_store_batch_messages_count") >= 1.0,
        "{after}"
    );
    // Every batch counted is timed too, and a commit takes some time.
    assert_eq!(
        moved("webchat_store_commit_seconds_count"),
        moved("webchat_store_batch_messages_count"),
        "{after}"
    );
    assert!(moved("webchat_store_commit_seconds_sum") > 0.0, "{after}");
    assert!(
        moved("webchat_rate_limited_total{limit=\"messages\"}") >= 1.0,
        "{after}"
    );
    assert!(
        moved("webchat_tokens_rejected_total{reason=\"malformed\"}") >= 1.0,
        "{after}"
    );
    assert!(
        value(&after, "webchat_sessions_open") >= 1.0,
        "this session is open: {after}"
    );
    assert!(after.contains("webchat_ack_latency_seconds_bucket{le=\"0.005\"}"));
}
