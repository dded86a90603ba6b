//! The servers under test, as separate processes pinned to their own core: the release
//! `webchat-server` with a bench configuration, or the bare baseline (this binary's
//! `baseline-server` mode). Each reports its address on a `listen=` start line.

use crate::database::is_sqlite;
use crate::settle;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The bench integration's id, public token and webhook token.
pub const INTEGRATION: &str = "bench";
pub const TOKEN: &str = "bench-token";
pub const WEBHOOK_TOKEN: &str = "bench-webhook-secret";

/// The server's configuration file, in the server's temporary directory.
const CONFIG_FILE: &str = "webchat.toml";

/// A database the chat runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub url: String,
    /// The server's `sqlite_synchronous` setting: `full` (its durable default) or `normal`
    /// (the ceiling row, not durable). Ignored on PostgreSQL, whose durability is the
    /// database server's own setting.
    pub sqlite_synchronous: &'static str,
}

impl Database {
    /// `url` on the server's durable default.
    pub fn durable(url: String) -> Self {
        Self {
            url,
            sqlite_synchronous: "full",
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub enum Target {
    /// The chat server on `database`, forwarding to `webhook_url` if given (a site with 1C),
    /// or standing alone (a site whose operators answer in the console).
    Chat {
        database: Database,
        webhook_url: Option<String>,
    },
    /// The bare WebSocket echo server.
    Baseline,
}

/// A running server.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub pid: u32,
    pub base: String,
    /// Holds the configuration file while the server runs.
    dir: TempDir,
}

impl ServerProcess {
    /// Starts `target` on `core` (when `taskset` is available) and waits for its start line.
    /// What the runs before it left to write is written out first ([`settle`]).
    pub async fn start(target: &Target, core: Option<usize>) -> Result<Self> {
        match target {
            Target::Chat { database, .. } if !is_sqlite(&database.url) => {
                settle::database(&database.url).await?;
            }
            _ => settle::disk().await?,
        }
        let dir = tempfile::tempdir()?;
        let (program, args) = match target {
            Target::Chat {
                database,
                webhook_url,
            } => {
                let config = write_config(dir.path(), database, webhook_url.as_deref())?;
                let args = vec!["--config".to_owned(), config.display().to_string()];
                (sibling_binary("webchat-server")?, args)
            }
            Target::Baseline => (std::env::current_exe()?, vec!["baseline-server".to_owned()]),
        };
        let mut command = core
            .and_then(|core| pinned(&program, core))
            .map_or_else(|| Command::new(&program), Command::from);
        let mut child = command
            .args(&args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn,webchat_server=info")
            // Pinned to one core, the server gets one worker thread, as in production per core.
            .env("TOKIO_WORKER_THREADS", "1")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let pid = child.id().context("server pid")?;
        let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
        let address = loop {
            let Some(line) = lines.next_line().await? else {
                bail!("{} exited before it started", program.display());
            };
            if let Some(address) = line
                .split_whitespace()
                .find_map(|field| field.strip_prefix("listen="))
            {
                break address.to_owned();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            pid,
            base: format!("http://{address}"),
            dir,
        })
    }

    /// The widget API of the bench integration.
    pub fn api(&self) -> String {
        format!("{}/api/v1/chat/{INTEGRATION}:{TOKEN}", self.base)
    }

    /// The inbound webhook URL of the bench integration.
    pub fn inbound(&self) -> String {
        format!(
            "{}/integration/webhook/{INTEGRATION}:{WEBHOOK_TOKEN}/callback",
            self.base
        )
    }

    /// The configuration file the server runs on, for its command-line tools
    /// (`webchat-server --config PATH operator add ...`).
    pub fn config(&self) -> PathBuf {
        self.dir.path().join(CONFIG_FILE)
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

fn write_config(dir: &Path, database: &Database, webhook_url: Option<&str>) -> Result<PathBuf> {
    let path = dir.join(CONFIG_FILE);
    let Database {
        url: database_url,
        sqlite_synchronous,
    } = database;
    let webhook_url =
        webhook_url.map_or_else(String::new, |url| format!("webhook_url = \"{url}\"\n"));
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\n\
             database_url = \"{database_url}\"\n\
             sqlite_synchronous = \"{sqlite_synchronous}\"\n\
             [server]\nmax_connections_per_ip = 100000000\n\
             [limits]\nmessages_per_minute = 100000000\nmessage_burst = 100000000\n\
             frames_per_minute = 100000000\nframe_burst = 100000000\n\
             changes_per_minute = 100000000\nchange_burst = 100000000\n\
             visitors_per_minute_per_ip = 100000000\nvisitor_burst_per_ip = 100000000\n\
             max_sessions_per_visitor = 100000000\n\
             [operators]\nlogin_attempts_per_minute_per_ip = 100000000\n\
             login_attempts_per_minute_per_account = 100000000\n\
             [bridge]\npoll_ms = 50\ntimeout_ms = 5000\nretry_base_ms = 50\nretry_max_ms = 1000\n\
             [[integration]]\nid = \"{INTEGRATION}\"\ntoken = \"{TOKEN}\"\n\
             webhook_token = \"{WEBHOOK_TOKEN}\"\n{webhook_url}\
             [integration.params]\nlanguageCode = \"en\"\n"
        ),
    )?;
    Ok(path)
}

/// A binary built next to this one (`target/release/`), or `WEBCHAT_SERVER_BIN`.
pub fn sibling_binary(name: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("WEBCHAT_SERVER_BIN") {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::current_exe()?
        .parent()
        .context("bench binary directory")?
        .join(name);
    if !path.is_file() {
        bail!(
            "{} is missing: run `cargo xtask bench`, which builds it",
            path.display()
        );
    }
    Ok(path)
}

/// `program` to be run on `core` alone, or `None` without `taskset`.
pub fn pinned(program: &Path, core: usize) -> Option<std::process::Command> {
    has_taskset().then(|| {
        let mut command = std::process::Command::new("taskset");
        command.arg("-c").arg(core.to_string()).arg(program);
        command
    })
}

fn has_taskset() -> bool {
    std::process::Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::config::settings::Settings;

    /// The settings the server reads from a configuration the bench writes.
    fn settings(webhook_url: Option<&str>) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::durable("sqlite://bench.db".into());
        let path = write_config(dir.path(), &database, webhook_url).unwrap();
        let (settings, _) = Settings::load(&path).unwrap();
        settings.validate().unwrap();
        settings
    }

    #[test]
    fn a_site_with_1c_forwards_and_one_without_does_not() {
        let with = settings(Some("http://127.0.0.1:9/commands"));
        assert_eq!(
            with.integrations[0].webhook_url.as_deref(),
            Some("http://127.0.0.1:9/commands")
        );
        let without = settings(None);
        assert_eq!(without.integrations[0].id, INTEGRATION);
        assert_eq!(without.integrations[0].webhook_url, None);
    }
}
