//! Operators' login, logout and sessions over HTTP, on both engines: the cookie and the
//! bearer token, one answer (and the same hashing work) for an unknown e-mail and a wrong
//! password, limits on failed logins (successful ones are not counted), CSRF by `Origin` for cookie-authenticated changes, and the
//! ways a session ends (logout, idle, absolute end, password change).

use backend::auth::password;
use backend::config::settings::OperatorSettings;
use protocol::operator::{LoginAnswer, LoginRequest, OperatorProfile};
use protocol::{ErrorBody, ErrorDetail};
use std::time::Instant;
use tests::server::INTEGRATION_ID;
use tests::{Options, TestServer, engines};

const EMAIL: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";

async fn server_with(db: tests::Db, options: Options) -> TestServer {
    let server = TestServer::start(db, options).await;
    server
        .add_operator(EMAIL, PASSWORD, &[INTEGRATION_ID])
        .await;
    server
}

fn url(server: &TestServer, route: &str) -> String {
    format!("{}/api/v1/operator/{route}", server.base)
}

async fn login_response(server: &TestServer, email: &str, password: &str) -> reqwest::Response {
    tests::http()
        .post(url(server, "login"))
        .json(&LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        })
        .send()
        .await
        .expect("login sent")
}

/// Logs in as the test operator: its token and `Set-Cookie`.
async fn login(server: &TestServer) -> (LoginAnswer, String) {
    let response = login_response(server, EMAIL, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    (response.json().await.unwrap(), cookie)
}

/// `GET me` with a bearer token: the status.
async fn me_status(server: &TestServer, token: &str) -> u16 {
    tests::http()
        .get(url(server, "me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn error_of(response: reqwest::Response) -> (u16, ErrorDetail) {
    let status = response.status().as_u16();
    let body: ErrorBody = response.json().await.expect("an error body");
    (status, body.error)
}

#[tokio::test]
async fn a_login_sets_a_strict_http_only_cookie_and_returns_a_bearer_token() {
    for db in engines() {
        let server = server_with(db, Options::default()).await;
        let (answer, cookie) = login(&server).await;
        assert_eq!(answer.operator.email, EMAIL);
        assert_eq!(answer.operator.integrations, [INTEGRATION_ID]);
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert_eq!(attributes[0], format!("webchat_operator={}", answer.token));
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(attributes.contains(&attribute), "{db:?}: {cookie}");
        }
        assert!(!cookie.contains("Secure"), "{db:?}: plain http: {cookie}");

        let by_cookie: OperatorProfile = tests::json(
            tests::http()
                .get(url(&server, "me"))
                .header("Cookie", attributes[0]),
        )
        .await;
        assert_eq!(by_cookie, answer.operator, "{db:?}");
        let by_bearer: OperatorProfile = tests::json(
            tests::http()
                .get(url(&server, "me"))
                .bearer_auth(&answer.token),
        )
        .await;
        assert_eq!(by_bearer, answer.operator, "{db:?}");
        let anonymous = tests::http().get(url(&server, "me")).send().await.unwrap();
        let (status, error) = error_of(anonymous).await;
        assert_eq!(
            (status, error.code.as_str()),
            (401, "not_logged_in"),
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn over_https_the_cookie_is_secure() {
    let options = Options {
        public_url: Some("https://chat.example".into()),
        ..Options::default()
    };
    let server = server_with(tests::Db::Sqlite, options).await;
    let (_, cookie) = login(&server).await;
    assert!(cookie.split(';').any(|a| a.trim() == "Secure"), "{cookie}");
}

#[tokio::test]
async fn an_unknown_e_mail_and_a_wrong_password_get_the_same_answer_after_the_same_work() {
    // One Argon2id verification, measured here on the same machine: the fastest of three, so
    // a busy moment while measuring does not raise the bar.
    let hash = password::hash("some password".into()).await.unwrap();
    let mut one_verify = std::time::Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        password::verify("other password".into(), Some(hash.clone()))
            .await
            .unwrap();
        one_verify = one_verify.min(started.elapsed());
    }
    for db in engines() {
        let server = server_with(db, Options::default()).await;
        let mut answers = Vec::new();
        for (email, password) in [(EMAIL, "wrong password!"), ("bob@example.com", PASSWORD)] {
            let started = Instant::now();
            let response = login_response(&server, email, password).await;
            let took = started.elapsed();
            assert!(
                response.headers().get("set-cookie").is_none(),
                "{db:?}: no session"
            );
            let (status, error) = error_of(response).await;
            assert!(
                took >= one_verify / 2,
                "{db:?}: {email} answered in {took:?}, an Argon2id check takes {one_verify:?}"
            );
            answers.push((status, error.code, error.message));
        }
        assert_eq!(answers[0], answers[1], "{db:?}: the same answer");
        assert_eq!(answers[0].0, 401);
        assert_eq!(answers[0].1, "invalid_credentials");
    }
}

/// Limits of `per_account` and `per_ip` failed logins a minute.
fn failure_limits(per_account: u32, per_ip: u32) -> Options {
    Options {
        operators: OperatorSettings {
            failed_logins_per_minute_per_account: per_account,
            failed_logins_per_minute_per_ip: per_ip,
            ..OperatorSettings::default()
        },
        ..Options::default()
    }
}

// A limit of N a minute forgives one failure every 60/N s, and every failure costs an Argon2id
// check: seconds each in a debug build under a full run's load. The limits below are the
// smallest that show each refusal, so nothing is forgiven (60 s, 30 s) before the one or two
// checks ahead of it are done.

#[tokio::test]
async fn repeated_failures_are_refused_per_account_and_per_ip() {
    for db in engines() {
        let server = server_with(db, failure_limits(1, 2)).await;
        server
            .add_operator("bob@example.com", PASSWORD, &[INTEGRATION_ID])
            .await;
        let response = login_response(&server, EMAIL, "wrong password!").await;
        assert_eq!(response.status(), 401, "{db:?}");
        let refused = login_response(&server, EMAIL, PASSWORD).await;
        let retry_after: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{db:?}: {retry_after}");
        let (status, error) = error_of(refused).await;
        assert_eq!(
            (status, error.code.as_str()),
            (429, "rate_limited"),
            "{db:?}"
        );
        assert!(
            error.message.contains("failed logins for this account"),
            "{}",
            error.message
        );

        // The refused attempt was no failure of the address: it has one left, whatever e-mail
        // it names.
        let response = login_response(&server, "x@example.com", "guess").await;
        assert_eq!(response.status(), 401, "{db:?}");
        let (status, error) =
            error_of(login_response(&server, "y@example.com", "guess").await).await;
        assert_eq!(status, 429, "{db:?}");
        assert!(
            error.message.contains("failed logins from this address"),
            "{}",
            error.message
        );
        // Nor does another operator's right password get through, or unlock the address.
        for _ in 0..2 {
            let (status, error) =
                error_of(login_response(&server, "bob@example.com", PASSWORD).await).await;
            assert_eq!(status, 429, "{db:?}");
            assert!(
                error.message.contains("from this address"),
                "{}",
                error.message
            );
        }
    }
}

#[tokio::test]
async fn successful_logins_are_not_counted_and_failures_still_are() {
    for db in engines() {
        let server = server_with(db, failure_limits(1, 1)).await;
        for _ in 0..6 {
            login(&server).await;
        }
        let response = login_response(&server, EMAIL, "wrong password!").await;
        assert_eq!(response.status(), 401, "{db:?}");
        let (status, error) = error_of(login_response(&server, EMAIL, PASSWORD).await).await;
        assert_eq!(
            (status, error.code.as_str()),
            (429, "rate_limited"),
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn cookie_changes_need_the_servers_origin_and_bearer_tokens_need_none() {
    for db in engines() {
        let server = server_with(db, Options::default()).await;
        let (answer, _) = login(&server).await;
        let cookie = format!("webchat_operator={}", answer.token);
        let logout = || {
            tests::http()
                .post(url(&server, "logout"))
                .header("Cookie", &cookie)
        };
        for request in [logout(), logout().header("Origin", "https://evil.example")] {
            let (status, error) = error_of(request.send().await.unwrap()).await;
            assert_eq!((status, error.code.as_str()), (403, "csrf"), "{db:?}");
            assert!(error.message.contains(&server.base), "{}", error.message);
        }
        assert_eq!(
            me_status(&server, &answer.token).await,
            200,
            "still logged in"
        );
        let done = logout()
            .header("Origin", &server.base)
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 204, "{db:?}");
        let cleared = done.headers()["set-cookie"].to_str().unwrap();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert_eq!(
            me_status(&server, &answer.token).await,
            401,
            "{db:?}: logged out"
        );

        let (answer, _) = login(&server).await;
        let by_bearer = tests::http()
            .post(url(&server, "logout"))
            .bearer_auth(&answer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(by_bearer.status(), 204, "{db:?}");
        assert_eq!(me_status(&server, &answer.token).await, 401, "{db:?}");
    }
}

/// Moves the session's time `column` `millis` into the past.
async fn move_back(server: &TestServer, column: &str, millis: i64, token: &str) {
    let statement = format!(
        "UPDATE operator_sessions SET {column} = {column} - {millis} WHERE token_hash = '{}'",
        backend::auth::token::hash(token)
    );
    server.execute_sql(&statement).await;
}

#[tokio::test]
async fn sessions_end_when_idle_at_their_absolute_end_and_with_a_new_password() {
    let options = Options {
        operators: OperatorSettings {
            session_idle_secs: 60,
            session_lifetime_secs: 600,
            ..OperatorSettings::default()
        },
        ..Options::default()
    };
    for db in engines() {
        let server = server_with(db, options.clone()).await;
        // Idle: its last use moves more than a minute into the past.
        let (idle, _) = login(&server).await;
        assert_eq!(me_status(&server, &idle.token).await, 200);
        move_back(&server, "last_used_at", 61_000, &idle.token).await;
        assert_eq!(me_status(&server, &idle.token).await, 401, "{db:?}: idle");

        // Absolute: used a second ago, but logged in more than ten minutes ago.
        let (old, _) = login(&server).await;
        move_back(&server, "expires_at", 601_000, &old.token).await;
        assert_eq!(me_status(&server, &old.token).await, 401, "{db:?}: too old");

        let (first, _) = login(&server).await;
        let (second, _) = login(&server).await;
        server
            .set_operator_password(EMAIL, "a brand new password")
            .await;
        for token in [&first.token, &second.token] {
            assert_eq!(me_status(&server, token).await, 401, "{db:?}: revoked");
        }
        let old_password = login_response(&server, EMAIL, PASSWORD).await;
        assert_eq!(old_password.status(), 401, "{db:?}");
        let new_password = login_response(&server, EMAIL, "a brand new password").await;
        assert_eq!(new_password.status(), 200, "{db:?}");
    }
}

#[tokio::test]
async fn an_oversized_or_malformed_login_body_is_refused_before_any_check() {
    let server = server_with(tests::Db::Sqlite, Options::default()).await;
    let huge = "x".repeat(64 * 1024);
    let response = tests::http()
        .post(url(&server, "login"))
        .header("Content-Type", "application/json")
        .body(format!("{{\"email\":\"{EMAIL}\",\"password\":\"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.code.as_str()), (413, "too_large"));
    let response = tests::http()
        .post(url(&server, "login"))
        .body("{\"email\": 1}")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.code.as_str()), (400, "bad_request"));
}
