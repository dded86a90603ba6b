//! The real `webchat-server` binary: `kill -9` right after an acknowledgement loses nothing,
//! SIGTERM closes sessions and exits cleanly, no secret reaches its output, and a language the
//! chat does not speak is warned about at start.

use crate::support::{say, welcomed};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tests::server::{INTEGRATION_ID, INTEGRATION_TOKEN, fresh_postgres_database};
use tests::{Db, engines};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The server binary: `WEBCHAT_SERVER_BIN`, or the debug build beside this test binary.
pub(crate) fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("WEBCHAT_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let binary = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory")
        .join("webchat-server");
    assert!(
        binary.is_file(),
        "{} is missing: build it with `cargo build -p backend --bin webchat-server` \
         (cargo xtask test does)",
        binary.display()
    );
    binary
}

/// A running server process, the address it reported and everything it printed so far.
pub(crate) struct Process {
    child: Child,
    pub(crate) base: String,
    pub(crate) output: Arc<Mutex<String>>,
}

pub(crate) async fn start(config: &std::path::Path) -> Process {
    launch(|command| {
        command.arg("--config").arg(config);
    })
    .await
}

/// Starts the binary as `configure` sets it up and waits for its start line.
pub(crate) async fn launch(configure: impl FnOnce(&mut Command)) -> Process {
    let mut command = Command::new(server_binary());
    configure(&mut command);
    let mut child = command
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start webchat-server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let output = Arc::new(Mutex::new(String::new()));
    let address = loop {
        let line = lines
            .next_line()
            .await
            .expect("read server output")
            .expect("server exited before it started");
        output.lock().unwrap().push_str(&format!("{line}\n"));
        if line.contains("web chat server started") {
            let address = line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("listen="))
                .expect("listen address in the start line")
                .to_owned();
            break address;
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    let collected = Arc::clone(&output);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            collected.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    Process {
        child,
        base: format!("http://{address}"),
        output,
    }
}

/// Starts the binary without a config file in `dir` (the embedded default, its database
/// there) on a free port.
pub(crate) async fn launch_embedded_default(dir: &Path) -> Process {
    launch(|command| {
        command
            .current_dir(dir)
            .env("WEBCHAT_LISTEN", "127.0.0.1:0");
    })
    .await
}

/// A config file in `dir` for `database_url`, with `extra` lines in the integration table.
pub(crate) fn write_config(dir: &Path, database_url: &str, extra: &str) -> PathBuf {
    write_config_with(dir, database_url, "", extra)
}

/// Like [`write_config`], with `top` lines (tables) before the integration.
fn write_config_with(dir: &Path, database_url: &str, top: &str, extra: &str) -> PathBuf {
    let config = dir.join("webchat.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"{database_url}\"\n{top}\n\
             [[integration]]\nid = \"{INTEGRATION_ID}\"\ntoken = \"{INTEGRATION_TOKEN}\"\n{extra}\n\
             [integration.params]\nlanguageCode = \"en\"\n"
        ),
    )
    .expect("write config");
    config
}

pub(crate) async fn database_url(db: Db, dir: &Path) -> String {
    match db {
        Db::Sqlite => format!("sqlite://{}", dir.join("chat.db").display()),
        Db::Postgres => fresh_postgres_database().await,
    }
}

/// Runs the binary on `config`, which must make it refuse to start; what it printed.
async fn refused_start(config: &Path) -> String {
    let run = Command::new(server_binary())
        .arg("--config")
        .arg(config)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the server exits instead of serving")
        .expect("run webchat-server");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "it started: {printed}");
    assert!(!printed.contains("web chat server started"), "{printed}");
    printed
}

#[tokio::test]
async fn empty_or_short_secrets_stop_the_server_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(Db::Sqlite, dir.path()).await;
    for webhook_token in ["", "short-secret"] {
        let config = write_config(
            dir.path(),
            &database_url,
            &format!("webhook_token = \"{webhook_token}\""),
        );
        let printed = refused_start(&config).await;
        assert!(
            printed.contains(&format!("integration '{INTEGRATION_ID}': webhook_token is"))
                && printed.contains("at least 16"),
            "{webhook_token:?}: {printed}"
        );
        if !webhook_token.is_empty() {
            assert!(
                !printed.contains(webhook_token),
                "the secret leaked: {printed}"
            );
        }
    }
    let with_sign_key = |key: &str| {
        let config = write_config(dir.path(), &database_url, "");
        let text = std::fs::read_to_string(&config).unwrap().replace(
            "languageCode = \"en\"",
            &format!("languageCode = \"en\"\nsignKey = \"{key}\""),
        );
        std::fs::write(&config, text).unwrap();
        config
    };
    let printed = refused_start(&with_sign_key("")).await;
    assert!(
        printed.contains(&format!("integration '{INTEGRATION_ID}'")) && printed.contains("signKey"),
        "{printed}"
    );
    let mut short_key = start(&with_sign_key("only-20-bytes-long!!")).await;
    let output = short_key.output.lock().unwrap().clone();
    assert!(
        output.contains("signKey is shorter than 32 bytes")
            && !output.contains("only-20-bytes-long!!"),
        "a short signKey is warned about, without showing it: {output}"
    );
    short_key.child.start_kill().unwrap();
    short_key.child.wait().await.unwrap();
}

#[tokio::test]
async fn a_language_the_chat_does_not_speak_is_warned_about_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(Db::Sqlite, dir.path()).await;
    let config = write_config(dir.path(), &database_url, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("languageCode = \"en\"", "languageCode = \"xx_YY\"");
    std::fs::write(&config, text).unwrap();
    let mut server = start(&config).await;
    let output = server.output.lock().unwrap().clone();
    assert!(
        output.contains("languageCode \"xx_YY\" names no language the chat speaks"),
        "{output}"
    );
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
}

#[tokio::test]
async fn acknowledged_messages_survive_kill_9() {
    for db in engines() {
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &database_url(db, dir.path()).await, "");

        let mut first = start(&config).await;
        let server = tests::server::Endpoint::new(&first.base);
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        let mut acknowledged = Vec::new();
        for n in 0..5 {
            acknowledged
                .push(say(&mut client, &format!("k-{n}"), &format!("before crash {n}")).await);
        }
        first.child.start_kill().expect("SIGKILL");
        first.child.wait().await.expect("killed");

        let second = start(&config).await;
        let server = tests::server::Endpoint::new(&second.base);
        let (_, history) = welcomed(&server, &token).await;
        assert_eq!(
            history, acknowledged,
            "{db:?}: every acknowledged message is there"
        );
    }
}

#[tokio::test]
async fn sigterm_closes_sessions_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &database_url(Db::Sqlite, dir.path()).await, "");
    let mut process = start(&config).await;
    let server = tests::server::Endpoint::new(&process.base);
    let token = server.new_visitor().await;
    let (mut client, _) = welcomed(&server, &token).await;
    let pid = process.child.id().expect("pid").to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    assert_eq!(
        client.closed().await,
        1001,
        "sessions are told the server is going away"
    );
    let exit = process.child.wait().await.unwrap();
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
}

#[tokio::test]
async fn secrets_never_reach_the_output() {
    const SIGN_KEY: &str = "sign-key-that-must-not-leak";
    const WEBHOOK_TOKEN: &str = "webhook-token-that-must-not-leak";
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(Db::Postgres, dir.path()).await;
    let extra = format!("webhook_token = \"{WEBHOOK_TOKEN}\"\nallowed_origins = []");
    let config = write_config(dir.path(), &database_url, &extra);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "languageCode = \"en\"",
        &format!("languageCode = \"en\"\nsignKey = \"{SIGN_KEY}\""),
    );
    std::fs::write(&config, text).unwrap();
    let mut process = start(&config).await;
    let server = tests::server::Endpoint::new(&process.base);
    let token = server.new_visitor().await;
    let (mut client, _) = welcomed(&server, &token).await;
    say(&mut client, "s-1", "hello").await;
    let webhook = format!(
        "{}/integration/webhook/{INTEGRATION_ID}:{WEBHOOK_TOKEN}/callback",
        process.base
    );
    tests::http().post(webhook).body("{}").send().await.unwrap();
    drop(client);
    process.child.start_kill().unwrap();
    process.child.wait().await.unwrap();
    let output = process.output.lock().unwrap().clone();
    assert!(output.contains("web chat server started"), "{output}");
    assert!(
        output.contains("/integration/webhook/shop:[redacted]/callback"),
        "requests are logged: {output}"
    );
    // The password is the test server's, possibly a common word: look for it where a URL holds it.
    let credentials = database_url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(user, _)| format!("{user}@"));
    let secrets = [SIGN_KEY, WEBHOOK_TOKEN, &database_url, &token];
    for secret in secrets.into_iter().chain(credentials.as_deref()) {
        assert!(!output.contains(secret), "{secret} leaked: {output}");
    }
}

#[tokio::test]
async fn commands_queued_while_the_collaboration_server_hangs_survive_kill_9() {
    use tests::fake_collab::{FakeCollaborationServer, Mode};
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        fake.set_mode(Mode::Hang);
        let dir = tempfile::tempdir().unwrap();
        let config = write_config_with(
            dir.path(),
            &database_url(db, dir.path()).await,
            "[bridge]\ntimeout_ms = 300\nretry_base_ms = 20\nretry_max_ms = 200\npoll_ms = 20",
            &format!("webhook_url = \"{}\"", fake.url()),
        );
        let mut first = start(&config).await;
        let server = tests::server::Endpoint::new(&first.base);
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        let mut sent = Vec::new();
        for n in 0..5 {
            sent.push(
                say(
                    &mut client,
                    &format!("h-{n}"),
                    &format!("while hanging {n}"),
                )
                .await,
            );
        }
        first.child.start_kill().expect("SIGKILL");
        first.child.wait().await.expect("killed");
        assert!(
            fake.accepted().is_empty(),
            "{db:?}: nothing got through the hang"
        );

        fake.set_mode(Mode::Normal);
        let _second = start(&config).await;
        let commands = fake
            .wait_for("the messages queued before the crash", |c| {
                c.iter().filter(|c| c.name() == "createMessage").count() >= sent.len()
            })
            .await;
        let delivered: Vec<String> = commands
            .iter()
            .filter_map(|c| match c {
                protocol::webhook::Command::CreateMessage(m) => Some(m.ext_id.clone()),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = sent.iter().map(|m| m.id.to_string()).collect();
        assert_eq!(delivered, expected, "{db:?}: all, in order, once");
    }
}

#[tokio::test]
async fn without_a_config_file_the_demo_runs_and_keeps_its_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let run = || launch_embedded_default(dir.path());
    let mut first = run().await;
    let demo = |base: String| async move {
        let config: serde_json::Value =
            tests::json(tests::http().get(format!("{base}/demo/config"))).await;
        config["script_url"].as_str().unwrap().to_owned()
    };
    let script_url = demo(first.base.clone()).await;
    assert!(script_url.starts_with(&format!("{}/integration/webchat/demo:", first.base)));
    assert!(
        first
            .output
            .lock()
            .unwrap()
            .contains(&format!("<script src=\"{script_url}\" async></script>")),
        "the script tag is printed"
    );
    assert!(
        dir.path().join("webchat.db").is_file(),
        "SQLite in the working directory"
    );

    let key = script_url.rsplit('/').next().unwrap().to_owned();
    let server = tests::server::Endpoint::new(&first.base);
    let api = format!("{}/api/v1/chat/{key}", first.base);
    let visitor: protocol::VisitorCreated =
        tests::json(tests::http().post(format!("{api}/visitors"))).await;
    let signed: serde_json::Value = tests::json(
        tests::http()
            .post(format!("{}/demo/matching-key-token", server.base))
            .json(&serde_json::json!({"sub": "demo-customer"})),
    )
    .await;
    let mut client =
        tests::WsClient::connect(&api, "http://127.0.0.1:8081", &visitor.visitor_token, None)
            .await
            .unwrap();
    assert!(matches!(
        client.next().await,
        protocol::ServerFrame::Welcome { .. }
    ));
    let token = signed["token"].as_str().unwrap().to_owned();
    client
        .send(&protocol::ClientFrame::Identify {
            token: token.clone(),
        })
        .await;
    assert!(matches!(
        client.next().await,
        protocol::ServerFrame::Identified { sub, .. } if sub == "demo-customer"
    ));
    let forged = tests::tokens::unsigned(&tests::tokens::claims("demo-customer"));
    client
        .send(&protocol::ClientFrame::Identify { token: forged })
        .await;
    assert!(
        matches!(
            client.next().await,
            protocol::ServerFrame::Error {
                code: protocol::ErrorCode::TokenRejected,
                ..
            }
        ),
        "the demo integration has a signKey"
    );
    drop(client);
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();

    let second = run().await;
    let again = demo(second.base.clone()).await;
    assert_eq!(
        again.rsplit('/').next(),
        Some(key.as_str()),
        "the demo token is kept across restarts"
    );
}

/// Runs `webchat-server --config CONFIG ARGS...` to its end; its standard output.
async fn run_command(config: &Path, args: &[&str]) -> String {
    let output = Command::new(server_binary())
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "error")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run webchat-server");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "webchat-server {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The base URL of the metrics listener the process reported.
async fn metrics_base(process: &Process) -> String {
    let line = line_printed(process, "metrics listening").await;
    let listening = line
        .split_whitespace()
        .find_map(|field| field.strip_prefix("listen="))
        .expect("the metrics listener's address");
    format!("http://{listening}")
}

/// The first line the process printed that contains `needle`, once it has printed it.
pub(crate) async fn line_printed(process: &Process, needle: &str) -> String {
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let found = process
                .output
                .lock()
                .unwrap()
                .lines()
                .find(|line| line.contains(needle))
                .map(str::to_owned);
            if let Some(line) = found {
                return line;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server prints {needle:?}"))
}

#[tokio::test]
async fn a_command_refused_for_good_is_set_aside_listed_and_retried() {
    use protocol::webhook::Command as Webhook;
    use tests::fake_collab::FakeCollaborationServer;
    fn texts(commands: &[Webhook]) -> Vec<String> {
        commands
            .iter()
            .filter_map(|command| match command {
                Webhook::CreateMessage(message) => Some(message.text.clone()),
                _ => None,
            })
            .collect()
    }
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        fake.refuse_message("refused");
        let dir = tempfile::tempdir().unwrap();
        let config = write_config_with(
            dir.path(),
            &database_url(db, dir.path()).await,
            "[bridge]\ntimeout_ms = 2000\nretry_base_ms = 20\nretry_max_ms = 200\npoll_ms = 20\n\
             max_attempts = 3\n[metrics]\nlisten = \"127.0.0.1:0\"",
            &format!("webhook_url = \"{}\"", fake.url()),
        );
        let process = start(&config).await;
        let metrics = metrics_base(&process).await;
        let server = tests::server::Endpoint::new(&process.base);
        let (mut client, _) = welcomed(&server, &server.new_visitor().await).await;
        for (n, text) in ["one", "refused", "three", "four"].iter().enumerate() {
            say(&mut client, &format!("d-{n}"), text).await;
        }
        let commands = fake
            .wait_for("the messages after the refused one", |c| {
                texts(c).contains(&"four".to_owned())
            })
            .await;
        assert_eq!(texts(&commands), ["one", "three", "four"], "{db:?}");

        let health: protocol::Health =
            tests::json(tests::http().get(format!("{}/healthz", process.base))).await;
        assert_eq!(health.outbox.unwrap().dead_letters, 1, "{db:?}");
        let public = tests::http()
            .get(format!("{}/metrics", process.base))
            .send()
            .await
            .unwrap();
        assert_eq!(public.status(), 404, "{db:?}: not on the public listener");
        let scraped = tests::text(tests::http().get(format!("{metrics}/metrics"))).await;
        assert!(
            scraped.contains("webchat_outbox_dead_letters{integration=\"shop\"} 1"),
            "{db:?}: {scraped}"
        );
        assert!(
            scraped.contains(
                "webchat_deliveries_failed_total{integration=\"shop\",kind=\"refused\"} 3"
            ),
            "{db:?}: {scraped}"
        );

        let listed = run_command(&config, &["outbox", "list-dead"]).await;
        let row = listed
            .lines()
            .find(|line| line.split_whitespace().nth(1) == Some("shop"))
            .unwrap_or_else(|| panic!("{db:?}: a dead letter of shop: {listed}"));
        let id = row.split_whitespace().next().unwrap().to_owned();
        assert!(row.contains("conversation-"), "{db:?}: {row}");
        assert!(row.contains(" 3 "), "{db:?}: three attempts: {row}");
        assert!(row.contains("400"), "{db:?}: the refusal: {row}");
        assert!(
            !listed.contains(&fake.url()) && !listed.contains("7:fake"),
            "{listed}"
        );

        fake.accept_message("refused");
        let retried = run_command(&config, &["outbox", "retry", &id]).await;
        assert!(retried.contains("re-queued 1 command"), "{db:?}: {retried}");
        let commands = fake
            .wait_for("the refused message, retried", |c| {
                texts(c).contains(&"refused".to_owned())
            })
            .await;
        assert_eq!(
            texts(&commands),
            ["one", "three", "four", "refused"],
            "{db:?}"
        );
        let listed = run_command(&config, &["outbox", "list-dead"]).await;
        assert!(listed.contains("no dead letters"), "{db:?}: {listed}");
    }
}
