//! `kill -9` right after an acknowledgement loses nothing: the real `webchat-server` binary is
//! killed and restarted on the same database.

use crate::support::{say, welcomed};
use std::path::PathBuf;
use std::process::Stdio;
use tests::server::{INTEGRATION_ID, INTEGRATION_TOKEN, fresh_postgres_database};
use tests::{Db, engines};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The server binary: `WEBCHAT_SERVER_BIN`, or the debug build beside this test binary.
fn server_binary() -> PathBuf {
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

/// A running server process and the address it reported.
struct Process {
    child: Child,
    base: String,
}

async fn start(config: &std::path::Path) -> Process {
    let mut child = Command::new(server_binary())
        .arg("--config")
        .arg(config)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start webchat-server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .expect("read server output")
            .expect("server exited before it started");
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
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process {
        child,
        base: format!("http://{address}"),
    }
}

#[tokio::test]
async fn acknowledged_messages_survive_kill_9() {
    for db in engines() {
        let dir = tempfile::tempdir().unwrap();
        let database_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("chat.db").display()),
            Db::Postgres => fresh_postgres_database().await,
        };
        let config = dir.path().join("webchat.toml");
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:0\"\ndatabase_url = \"{database_url}\"\n\
                 [[integration]]\nid = \"{INTEGRATION_ID}\"\ntoken = \"{INTEGRATION_TOKEN}\"\n\
                 [integration.params]\nlanguageCode = \"en\"\n"
            ),
        )
        .unwrap();

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
