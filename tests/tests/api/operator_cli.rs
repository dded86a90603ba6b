//! The real `webchat-server operator ...` commands on both engines: accounts added with a
//! typed or generated password, refused with a clear message for a weak password, an unknown
//! integration or a taken e-mail, listed without secrets, their passwords changed (sessions
//! end) and removed; and the embedded default's demo operator, printed at start.

use crate::binary::{
    Process, database_url, launch_embedded_default, line_printed, server_binary, start,
    write_config,
};
use protocol::operator::{LoginAnswer, LoginRequest};
use std::path::Path;
use std::process::Stdio;
use tests::engines;
use tests::server::INTEGRATION_ID;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// What a command printed, and whether it succeeded.
struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `webchat-server --config CONFIG ARGS` with `stdin` typed into it.
async fn operator(config: &Path, args: &[&str], stdin: &str) -> Ran {
    let mut child = Command::new(server_binary())
        .arg("--config")
        .arg(config)
        .arg("operator")
        .args(args)
        .env("RUST_LOG", "error")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run webchat-server");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("type");
    drop(input);
    let output = child.wait_with_output().await.expect("webchat-server ran");
    Ran {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a command that must succeed; what it printed.
async fn succeeds(config: &Path, args: &[&str], stdin: &str) -> String {
    let ran = operator(config, args, stdin).await;
    assert!(
        ran.success,
        "operator {args:?} failed: {}{}",
        ran.stdout, ran.stderr
    );
    ran.stdout
}

/// Runs a command that must fail; its error message.
async fn fails(config: &Path, args: &[&str], stdin: &str) -> String {
    let ran = operator(config, args, stdin).await;
    assert!(!ran.success, "operator {args:?} succeeded: {}", ran.stdout);
    ran.stderr
}

async fn login_status(base: &str, email: &str, password: &str) -> (u16, Option<LoginAnswer>) {
    let response = tests::http()
        .post(format!("{base}/api/v1/operator/login"))
        .json(&LoginRequest {
            email: email.into(),
            password: password.into(),
        })
        .send()
        .await
        .expect("login sent");
    let status = response.status().as_u16();
    (status, response.json().await.ok())
}

#[tokio::test]
async fn operators_are_added_listed_given_passwords_and_removed_from_the_command_line() {
    for db in engines() {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &database_url(db, dir.path()).await, "");
        let add = |email: &'static str, integration: &'static str| {
            [
                "add",
                email,
                "--name",
                "Ann Smith",
                "--integration",
                integration,
            ]
        };

        let weak = fails(&config, &add("ann@example.com", INTEGRATION_ID), "short\n").await;
        assert!(weak.contains("at least 10"), "{db:?}: {weak}");
        let unknown = fails(
            &config,
            &add("ann@example.com", "elsewhere"),
            "long enough pw\n",
        )
        .await;
        assert!(
            unknown.contains("\"elsewhere\"") && unknown.contains(INTEGRATION_ID),
            "{db:?}: names it and the configured ones: {unknown}"
        );
        let added = succeeds(
            &config,
            &add("Ann@Example.com", INTEGRATION_ID),
            "long enough pw\n",
        )
        .await;
        assert!(
            added.contains("added operator ann@example.com"),
            "{db:?}: {added}"
        );
        let taken = fails(
            &config,
            &add("ann@example.com", INTEGRATION_ID),
            "long enough pw\n",
        )
        .await;
        assert!(taken.contains("exists already"), "{db:?}: {taken}");

        let bob = [
            "add",
            "bob@example.com",
            "--name",
            "Bob",
            "--integration",
            INTEGRATION_ID,
            "--generate-password",
        ];
        let generated = succeeds(&config, &bob, "").await;
        let bob_password = generated
            .lines()
            .find_map(|line| line.strip_prefix("password: "))
            .unwrap_or_else(|| panic!("{db:?}: the generated password is printed: {generated}"))
            .to_owned();

        let listed = succeeds(&config, &["list"], "").await;
        let rows: Vec<Vec<&str>> = listed
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows[0], ["ID", "EMAIL", "NAME", "INTEGRATIONS"], "{db:?}");
        assert_eq!(
            rows[1][1..],
            ["ann@example.com", "Ann", "Smith", INTEGRATION_ID],
            "{db:?}"
        );
        assert_eq!(
            rows[2][1..],
            ["bob@example.com", "Bob", INTEGRATION_ID],
            "{db:?}"
        );
        assert!(
            !listed.contains(&bob_password) && !listed.contains("argon2"),
            "{db:?}: no secrets listed: {listed}"
        );

        let server = start(&config).await;
        let (status, ann) = login_status(&server.base, "ann@example.com", "long enough pw").await;
        assert_eq!(status, 200, "{db:?}");
        let (status, _) = login_status(&server.base, "bob@example.com", &bob_password).await;
        assert_eq!(status, 200, "{db:?}");

        let changed = succeeds(
            &config,
            &["password", "ann@example.com"],
            "a new long password\n",
        )
        .await;
        assert!(changed.contains("sessions ended"), "{db:?}: {changed}");
        let me = tests::http()
            .get(format!("{}/api/v1/operator/me", server.base))
            .bearer_auth(ann.unwrap().token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            401,
            "{db:?}: the session ended with the old password"
        );
        let (status, _) =
            login_status(&server.base, "ann@example.com", "a new long password").await;
        assert_eq!(status, 200, "{db:?}");
        let weak = fails(&config, &["password", "ann@example.com"], "tiny\n").await;
        assert!(weak.contains("at least 10"), "{db:?}: {weak}");

        let removed = succeeds(&config, &["remove", "BOB@example.com"], "").await;
        assert!(
            removed.contains("removed operator bob@example.com"),
            "{db:?}: {removed}"
        );
        let (status, _) = login_status(&server.base, "bob@example.com", &bob_password).await;
        assert_eq!(status, 401, "{db:?}");
        let missing = fails(&config, &["remove", "bob@example.com"], "").await;
        assert!(
            missing.contains("no operator with e-mail bob@example.com"),
            "{db:?}: {missing}"
        );
        let listed = succeeds(&config, &["list"], "").await;
        assert!(!listed.contains("bob@"), "{db:?}: {listed}");

        assert_no_password_printed(
            &server,
            &["long enough pw", &bob_password, "a new long password"],
        );
    }
}

fn assert_no_password_printed(server: &Process, passwords: &[&str]) {
    let output = server.output.lock().unwrap();
    for password in passwords {
        assert!(
            !output.contains(password),
            "the server printed a password: {output}"
        );
    }
}

#[tokio::test]
async fn the_demo_prints_its_console_and_an_operator_login_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let run = || launch_embedded_default(dir.path());
    let first = run().await;
    let line = line_printed(&first, "operator console:").await;
    let console = format!("{}/console/", first.base);
    assert!(line.contains(&console), "{line}");
    let password = line
        .split("with password ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("the demo password is printed: {line}"))
        .to_owned();
    assert!(line.contains("demo@localhost"), "{line}");
    let (status, answer) = login_status(&first.base, "demo@localhost", &password).await;
    assert_eq!(status, 200);
    assert_eq!(answer.unwrap().operator.integrations, ["demo"]);

    let login: serde_json::Value =
        tests::json(tests::http().get(format!("{}/demo/operator-login", first.base))).await;
    assert_eq!(login["console_url"], console.as_str());
    assert_eq!(login["email"], "demo@localhost");
    assert_eq!(login["password"], password.as_str());
    drop(first);

    let again = run().await;
    let line = line_printed(&again, "operator console:").await;
    assert!(
        line.contains(&password),
        "the same password on every start: {line}"
    );
}
