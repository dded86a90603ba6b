//! Canned replies over HTTP, on both engines: an operator creates, lists, edits and deletes
//! those of its integrations; another integration's are 404 to it; shortcuts and texts are
//! bounded with clear 400s, a taken shortcut is 409, and cookie-authenticated changes need the
//! server's `Origin` like every other operator change.

use protocol::ErrorBody;
use protocol::operator::{
    CannedReply, CannedReplyEdit, CannedReplyList, LoginAnswer, LoginRequest, NewCannedReply,
};
use reqwest::Method;
use serde_json::json;
use tests::server::INTEGRATION_ID;
use tests::{Options, TestServer, engines};

const PASSWORD: &str = "correct horse battery";
const OTHER_INTEGRATION: &str = "elsewhere";

/// The operator API's canned-reply route `tail` (empty or `/{id}`).
fn url(server: &TestServer, tail: &str) -> String {
    format!("{}/api/v1/operator/canned-replies{tail}", server.base)
}

/// Adds an operator answering `integrations` and logs it in: its bearer token.
async fn operator(server: &TestServer, email: &str, integrations: &[&str]) -> String {
    server.add_operator(email, PASSWORD, integrations).await;
    let answer: LoginAnswer = tests::json(
        tests::http()
            .post(format!("{}/api/v1/operator/login", server.base))
            .json(&LoginRequest {
                email: email.into(),
                password: PASSWORD.into(),
            }),
    )
    .await;
    answer.token
}

/// Sends `body` (if any) with `method` to `tail` as `token`: the status and the JSON answer.
async fn call(
    server: &TestServer,
    token: &str,
    method: Method,
    tail: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = tests::http()
        .request(method, url(server, tail))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.expect("an answer");
    (status, serde_json::from_str(&text).unwrap_or_default())
}

async fn list(server: &TestServer, token: &str) -> Vec<CannedReply> {
    let (status, body) = call(server, token, Method::GET, "", None).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value::<CannedReplyList>(body)
        .unwrap()
        .canned_replies
}

async fn create(
    server: &TestServer,
    token: &str,
    integration_id: &str,
    shortcut: &str,
) -> (u16, serde_json::Value) {
    let body = NewCannedReply {
        integration_id: integration_id.into(),
        shortcut: shortcut.into(),
        text: format!("The text of /{shortcut}"),
    };
    call(server, token, Method::POST, "", Some(json!(body))).await
}

fn code(body: &serde_json::Value) -> String {
    serde_json::from_value::<ErrorBody>(body.clone())
        .map(|body| body.error.code)
        .unwrap_or_default()
}

#[tokio::test]
async fn operators_keep_canned_replies_per_integration_and_see_only_their_integrations() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let ann = operator(&server, "ann@example.com", &[INTEGRATION_ID]).await;
        let bob = operator(&server, "bob@example.com", &[OTHER_INTEGRATION]).await;

        let (status, body) = create(&server, &ann, INTEGRATION_ID, "/Hello").await;
        assert_eq!(status, 201, "{db:?}: {body}");
        let hello: CannedReply = serde_json::from_value(body).unwrap();
        assert_eq!(hello.shortcut, "hello", "lower-cased, without the slash");
        assert_eq!(hello.integration_id, INTEGRATION_ID);
        let (status, _) = create(&server, &ann, INTEGRATION_ID, "bye").await;
        assert_eq!(status, 201);
        let (status, body) = create(&server, &bob, OTHER_INTEGRATION, "hello").await;
        assert_eq!(
            status, 201,
            "the same shortcut in another integration: {body}"
        );
        let elsewhere: CannedReply = serde_json::from_value(body).unwrap();

        let shortcuts = |replies: Vec<CannedReply>| -> Vec<String> {
            replies.into_iter().map(|reply| reply.shortcut).collect()
        };
        assert_eq!(
            shortcuts(list(&server, &ann).await),
            ["bye", "hello"],
            "{db:?}"
        );
        assert_eq!(shortcuts(list(&server, &bob).await), ["hello"], "{db:?}");

        // Another integration's reply, or one that never was, is not found.
        let (status, body) = create(&server, &ann, OTHER_INTEGRATION, "x").await;
        assert_eq!((status, code(&body).as_str()), (404, "not_found"), "{db:?}");
        let edit = json!(CannedReplyEdit {
            shortcut: "hi".into(),
            text: "Hi there".into(),
        });
        for tail in [
            format!("/{}", elsewhere.id),
            "/999999".into(),
            "/nope".into(),
        ] {
            let (status, body) = call(&server, &ann, Method::PUT, &tail, Some(edit.clone())).await;
            assert_eq!(
                (status, code(&body).as_str()),
                (404, "not_found"),
                "{db:?} PUT {tail}"
            );
            let (status, _) = call(&server, &ann, Method::DELETE, &tail, None).await;
            assert_eq!(status, 404, "{db:?} DELETE {tail}");
        }
        assert_eq!(shortcuts(list(&server, &bob).await), ["hello"], "untouched");

        let tail = format!("/{}", hello.id);
        let (status, body) = call(&server, &ann, Method::PUT, &tail, Some(edit)).await;
        assert_eq!(status, 200, "{db:?}: {body}");
        let edited: CannedReply = serde_json::from_value(body).unwrap();
        assert_eq!(
            (edited.id, edited.shortcut.as_str(), edited.text.as_str()),
            (hello.id, "hi", "Hi there")
        );

        let (status, _) = call(&server, &ann, Method::DELETE, &tail, None).await;
        assert_eq!(status, 204, "{db:?}");
        assert_eq!(shortcuts(list(&server, &ann).await), ["bye"], "{db:?}");
    }
}

#[tokio::test]
async fn shortcuts_and_texts_are_bounded_and_a_taken_shortcut_is_a_conflict() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let ann = operator(&server, "ann@example.com", &[INTEGRATION_ID]).await;
        let (status, body) = create(&server, &ann, INTEGRATION_ID, "thanks").await;
        assert_eq!(status, 201, "{body}");
        let thanks: CannedReply = serde_json::from_value(body).unwrap();
        let (status, body) = create(&server, &ann, INTEGRATION_ID, "THANKS").await;
        assert_eq!(
            (status, code(&body).as_str()),
            (409, "shortcut_taken"),
            "{db:?}: {body}"
        );
        assert!(body.to_string().contains("/thanks"), "{body}");
        let (status, _) = create(&server, &ann, INTEGRATION_ID, "other").await;
        assert_eq!(status, 201);
        let taken = json!({"shortcut": "other", "text": "x"});
        let (status, _) = call(
            &server,
            &ann,
            Method::PUT,
            &format!("/{}", thanks.id),
            Some(taken),
        )
        .await;
        assert_eq!(status, 409, "{db:?}: an edit onto a taken shortcut");

        let long_text = "x".repeat(Options::default().limits.max_message_bytes + 1);
        for (shortcut, text, says) in [
            ("", "text", "shortcut is empty"),
            ("two words", "text", "one word"),
            (&"s".repeat(33) as &str, "text", "longer than 32"),
            ("ok", "  ", "text is empty"),
            ("ok", &long_text as &str, "text is longer"),
        ] {
            let body =
                json!({"integration_id": INTEGRATION_ID, "shortcut": shortcut, "text": text});
            let (status, body) = call(&server, &ann, Method::POST, "", Some(body)).await;
            assert_eq!(
                (status, code(&body).as_str()),
                (400, "bad_request"),
                "{db:?}: {shortcut:?}"
            );
            assert!(body.to_string().contains(says), "{body}");
        }
        let (status, body) = call(
            &server,
            &ann,
            Method::POST,
            "",
            Some(json!({"shortcut": "x"})),
        )
        .await;
        assert_eq!(status, 400, "missing fields: {body}");
    }
}

#[tokio::test]
async fn cookie_changes_to_canned_replies_need_the_servers_origin() {
    let server = TestServer::start(tests::Db::Sqlite, Options::default()).await;
    let token = operator(&server, "ann@example.com", &[INTEGRATION_ID]).await;
    let cookie = format!("webchat_operator={token}");
    let body = json!({"integration_id": INTEGRATION_ID, "shortcut": "hi", "text": "Hi"});
    let post = || {
        tests::http()
            .post(url(&server, ""))
            .header("Cookie", &cookie)
            .json(&body)
    };
    let refused = post().send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let listed = tests::http()
        .get(url(&server, ""))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200, "reads need no Origin");
    let created = post().header("Origin", &server.base).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let anonymous = tests::http().get(url(&server, "")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}
