//! Server settings: one TOML file (default `webchat.toml`), every key overridable by a `WEBCHAT_`
//! environment variable (`WEBCHAT_DATABASE_URL`, `WEBCHAT_LIMITS__MAX_MESSAGE_BYTES`). Defaults
//! live here and nowhere else.

use crate::config::params::ParamValue;
use crate::config::secret::{MIN_SHARED_SECRET_CHARS, Secret};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything the server is configured with.
#[derive(Deserialize, Debug, Clone)]
pub struct Settings {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where browsers reach this server; defaults to `http://{listen}`.
    #[serde(default)]
    pub public_url: Option<String>,
    #[serde(default = "default_database_url")]
    pub database_url: Secret,
    /// How SQLite makes commits durable; ignored on PostgreSQL.
    #[serde(default)]
    pub sqlite_synchronous: SqliteSynchronous,
    /// The trunk-built widget bundle, served under `/widget/`; the console's is in its
    /// `console/` folder, served under `/console/`.
    #[serde(default = "default_widget_dir")]
    pub widget_dir: PathBuf,
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub bridge: BridgeSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub operators: OperatorSettings,
    #[serde(default, rename = "integration")]
    pub integrations: Vec<IntegrationSettings>,
}

/// SQLite's `synchronous` setting (in WAL mode). `Full` syncs the log at every commit, so an
/// acknowledged message survives a power cut; group commit makes that one sync per group of
/// messages, not per message. `Normal` syncs only at checkpoints: a commit survives a crash of
/// the process but the last ones before a power cut can vanish.
#[derive(Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    #[default]
    Full,
    Normal,
}

impl SqliteSynchronous {
    /// The value of SQLite's `PRAGMA synchronous`.
    pub fn pragma(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

/// Limits that protect the server from one visitor.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(default)]
pub struct Limits {
    /// Longest accepted message text, in bytes (after sanitizing).
    pub max_message_bytes: usize,
    /// Sustained messages per minute per visitor.
    pub messages_per_minute: u32,
    /// Messages a visitor may send at once before the per-minute rate applies.
    pub message_burst: u32,
    /// Seconds between server pings; a peer silent for three of them is dropped.
    pub heartbeat_secs: u64,
    /// Longest matching-key token accepted, in bytes.
    pub max_token_bytes: usize,
    /// Sustained client frames of any type per minute per visitor (pings, contact changes and
    /// identifications included; messages count here and under `messages_per_minute`).
    pub frames_per_minute: u32,
    /// Frames a visitor may send at once before `frames_per_minute` applies.
    pub frame_burst: u32,
    /// Sustained `set_contact` and `identify` frames per minute per visitor: each writes to the
    /// database and may queue a command to the collaboration server.
    pub changes_per_minute: u32,
    /// Contact changes and identifications at once before `changes_per_minute` applies.
    pub change_burst: u32,
    /// Sustained visitor creations per minute per client IP address.
    pub visitors_per_minute_per_ip: u32,
    /// Visitor creations at once from one IP before `visitors_per_minute_per_ip` applies.
    pub visitor_burst_per_ip: u32,
    /// Open WebSocket sessions of one visitor (its tabs); the next one is refused.
    pub max_sessions_per_visitor: usize,
    /// Days a visitor token may go unused before it is refused (the widget then starts a new
    /// visitor); `0` keeps tokens until logout.
    pub visitor_idle_days: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 8 * 1024,
            messages_per_minute: 30,
            message_burst: 10,
            heartbeat_secs: 20,
            max_token_bytes: 8 * 1024,
            frames_per_minute: 120,
            frame_burst: 60,
            changes_per_minute: 20,
            change_burst: 10,
            visitors_per_minute_per_ip: 30,
            visitor_burst_per_ip: 30,
            max_sessions_per_visitor: 16,
            // Six months, as Crisp keeps a visitor's session; Intercom keeps its anonymous
            // visitor cookie for nine.
            visitor_idle_days: 180,
        }
    }
}

/// How the HTTP listener treats connections.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(default)]
pub struct ServerSettings {
    /// Longest wait for a complete request head; an idle keep-alive connection gets the same
    /// time for its next request before it is closed.
    pub header_read_timeout_secs: u64,
    /// Longest pause while a request body is being received.
    pub body_read_timeout_secs: u64,
    /// Open connections (WebSocket sessions included) from one IP address; more are refused.
    pub max_connections_per_ip: usize,
    /// Off by default. Behind a reverse proxy: the header it puts the client's address in
    /// (`X-Forwarded-For`, `X-Real-IP`); limits per IP then use its last address. Set it only
    /// when clients cannot reach this server but through that proxy, or they choose their IP.
    pub client_ip_header: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 30,
            body_read_timeout_secs: 30,
            max_connections_per_ip: 256,
            client_ip_header: None,
        }
    }
}

/// Delivery of webhook commands to collaboration servers.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(default)]
pub struct BridgeSettings {
    /// Longest wait for the collaboration server to answer one command.
    pub timeout_ms: u64,
    /// First retry delay; it doubles with every failed attempt.
    pub retry_base_ms: u64,
    /// Longest retry delay.
    pub retry_max_ms: u64,
    /// How often the outbox is checked when nothing wakes the worker.
    pub poll_ms: u64,
    /// Attempts at a command the collaboration server refuses for good (a 4xx such as 400,
    /// 413 or 422) before it is set aside as a dead letter. 8 refusals take about a minute
    /// with the default backoff: long enough to ride out a collaboration server briefly
    /// misconfigured, short enough that the conversation's later messages wait only that long.
    pub max_attempts: u32,
    /// Past this age of the oldest undelivered command, the backlog is alerted about and
    /// `/healthz` says `degraded`: ten minutes, so a restart of 1C does not alert but a
    /// visitor left unanswered that long does.
    pub outbox_alert_age_secs: u64,
    /// Past this many undelivered commands (per integration), the same: about a hundred
    /// seconds of a busy server's traffic, far above any burst a healthy bridge queues.
    pub outbox_alert_depth: u64,
}

impl Default for BridgeSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            retry_base_ms: 500,
            retry_max_ms: 5 * 60 * 1000,
            poll_ms: 1000,
            max_attempts: 8,
            outbox_alert_age_secs: 600,
            outbox_alert_depth: 100_000,
        }
    }
}

/// The Prometheus endpoint `GET /metrics`.
#[derive(Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(default)]
pub struct MetricsSettings {
    /// When set, scrapes must send `Authorization: Bearer TOKEN` (at least
    /// [`MIN_SHARED_SECRET_CHARS`] characters).
    pub token: Option<Secret>,
    /// When set, `/metrics` is served on this address only, not on `listen`.
    pub listen: Option<SocketAddr>,
}

/// Console operators' sessions and logins (`[operators]`).
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(default)]
pub struct OperatorSettings {
    /// Seconds a session may go unused before it ends: a working day and a half, so an
    /// operator logged in in the morning is still logged in the next morning only if the
    /// console kept using it.
    pub session_idle_secs: u64,
    /// Seconds after login a session ends however busy: a week, then the password again.
    pub session_lifetime_secs: u64,
    /// Failed logins per minute from one client IP address (at once, then spread over the
    /// minute); successful ones are not counted. Several operators behind one office address
    /// share it. Its name until this counted failures only is still read.
    #[serde(alias = "login_attempts_per_minute_per_ip")]
    pub failed_logins_per_minute_per_ip: u32,
    /// Failed logins per minute for one e-mail, known or not: what slows guessing one
    /// operator's password from many addresses.
    #[serde(alias = "login_attempts_per_minute_per_account")]
    pub failed_logins_per_minute_per_account: u32,
    /// Operator sockets one account holds open at once (its tabs and devices, all sessions
    /// together); the next handshake is refused.
    pub max_sockets_per_account: usize,
}

impl Default for OperatorSettings {
    fn default() -> Self {
        Self {
            session_idle_secs: 12 * 60 * 60,
            session_lifetime_secs: 7 * 24 * 60 * 60,
            failed_logins_per_minute_per_ip: 20,
            failed_logins_per_minute_per_account: 5,
            // A console per tab: an operator with a dozen tabs and a phone stays under it, a
            // client opening sockets in a loop does not get far.
            max_sockets_per_account: 20,
        }
    }
}

/// One `[[integration]]` table as written.
#[derive(Deserialize, Debug, Clone)]
pub struct IntegrationSettings {
    pub id: String,
    /// Public: part of the script URL.
    pub token: String,
    /// Secret: part of the inbound webhook URL.
    #[serde(default)]
    pub webhook_token: Option<Secret>,
    /// Origins of the sites that may embed the chat; empty allows any origin.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Outbound command URL of the collaboration server.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Matching-key tokens issued longer ago than this (by their `iat`) are refused.
    #[serde(default)]
    pub token_max_age_secs: Option<u64>,
    /// Whether messages carry the page's query string to operators (never its fragment).
    #[serde(default)]
    pub send_page_query: bool,
    #[serde(default)]
    pub params: BTreeMap<String, ParamValue>,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_database_url() -> Secret {
    Secret::new("sqlite://webchat.db")
}

fn default_widget_dir() -> PathBuf {
    PathBuf::from("dist")
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings: {0}")]
    Read(#[from] Box<figment::Error>),
    #[error("{path}: no [[integration]] is configured; add one or remove the file to run the demo")]
    NoIntegration { path: String },
    #[error("{key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// Where the settings came from: the embedded default has no file and gets a demo integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    File,
    EmbeddedDefault,
}

impl Settings {
    /// Reads `path` if it exists, then the `WEBCHAT_` environment.
    pub fn load(path: &Path) -> Result<(Self, Source), SettingsError> {
        let source = if path.exists() {
            Source::File
        } else {
            Source::EmbeddedDefault
        };
        let mut figment = Figment::new();
        if source == Source::File {
            figment = figment.merge(Toml::file_exact(path));
        }
        let settings: Self = figment
            .merge(Env::prefixed("WEBCHAT_").split("__"))
            .extract()
            .map_err(Box::new)?;
        if source == Source::File && settings.integrations.is_empty() {
            return Err(SettingsError::NoIntegration {
                path: path.display().to_string(),
            });
        }
        Ok((settings, source))
    }

    /// Refuses values the server cannot run with, naming the key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.bridge.max_attempts == 0 {
            return Err(SettingsError::Invalid {
                key: "bridge.max_attempts",
                reason: "must be at least 1 (the first refusal then sets a command aside)".into(),
            });
        }
        for (key, secs) in [
            (
                "operators.session_idle_secs",
                self.operators.session_idle_secs,
            ),
            (
                "operators.session_lifetime_secs",
                self.operators.session_lifetime_secs,
            ),
        ] {
            if secs == 0 {
                return Err(SettingsError::Invalid {
                    key,
                    reason: "must be at least 1 second".into(),
                });
            }
        }
        if let Some(token) = &self.metrics.token {
            let chars = token.strength_chars();
            if chars < MIN_SHARED_SECRET_CHARS {
                return Err(SettingsError::Invalid {
                    key: "metrics.token",
                    reason: format!(
                        "is {chars} characters; it must be at least {MIN_SHARED_SECRET_CHARS} \
                         (remove the key to serve /metrics without a token)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The base URL browsers use, without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures must return figment::Error"
)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "webchat.toml",
                r#"
                listen = "127.0.0.1:9000"
                database_url = "sqlite://a.db"
                [limits]
                messages_per_minute = 5
                [server]
                max_connections_per_ip = 7
                client_ip_header = "X-Real-IP"
                [operators]
                session_idle_secs = 60
                login_attempts_per_minute_per_ip = 7
                [[integration]]
                id = "1"
                token = "t"
                webhook_token = "w"
                token_max_age_secs = 300
                [integration.params]
                languageCode = "ru"
                displayUserPictures = false
                "#,
            )?;
            jail.set_env("WEBCHAT_DATABASE_URL", "postgres://u:p@h/db");
            jail.set_env("WEBCHAT_LIMITS__MAX_MESSAGE_BYTES", "100");
            jail.set_env("WEBCHAT_SQLITE_SYNCHRONOUS", "normal");
            jail.set_env(
                "WEBCHAT_OPERATORS__FAILED_LOGINS_PER_MINUTE_PER_ACCOUNT",
                "3",
            );
            let (settings, source) = Settings::load(Path::new("webchat.toml")).unwrap();
            assert_eq!(source, Source::File);
            assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
            assert_eq!(settings.database_url.expose(), "postgres://u:p@h/db");
            assert_eq!(settings.limits.max_message_bytes, 100);
            assert_eq!(settings.limits.messages_per_minute, 5);
            assert_eq!(settings.sqlite_synchronous, SqliteSynchronous::Normal);
            assert_eq!(settings.limits.frame_burst, Limits::default().frame_burst);
            assert_eq!(settings.server.max_connections_per_ip, 7);
            assert_eq!(settings.operators.session_idle_secs, 60);
            assert_eq!(
                settings.operators.failed_logins_per_minute_per_ip, 7,
                "read under its former name"
            );
            assert_eq!(settings.operators.failed_logins_per_minute_per_account, 3);
            assert_eq!(
                settings.operators.session_lifetime_secs,
                OperatorSettings::default().session_lifetime_secs
            );
            assert_eq!(
                settings.server.client_ip_header.as_deref(),
                Some("X-Real-IP")
            );
            assert_eq!(
                settings.server.header_read_timeout_secs,
                ServerSettings::default().header_read_timeout_secs
            );
            assert_eq!(settings.integrations[0].token_max_age_secs, Some(300));
            assert_eq!(settings.public_url(), "http://127.0.0.1:9000");
            let integration = &settings.integrations[0];
            assert_eq!(integration.webhook_token.as_ref().unwrap().expose(), "w");
            assert_eq!(
                integration.params["displayUserPictures"],
                ParamValue::Flag(false)
            );
            Ok(())
        });
    }

    #[test]
    fn missing_file_is_the_embedded_default() {
        figment::Jail::expect_with(|_| {
            let (settings, source) = Settings::load(Path::new("absent.toml")).unwrap();
            assert_eq!(source, Source::EmbeddedDefault);
            assert_eq!(settings.database_url.expose(), "sqlite://webchat.db");
            assert_eq!(settings.widget_dir, PathBuf::from("dist"));
            assert_eq!(settings.limits, Limits::default());
            assert_eq!(settings.sqlite_synchronous, SqliteSynchronous::Full);
            Ok(())
        });
    }

    #[test]
    fn a_short_metrics_token_no_attempts_or_no_session_time_is_refused_naming_the_key() {
        figment::Jail::expect_with(|_| {
            let (mut settings, _) = Settings::load(Path::new("absent.toml")).unwrap();
            settings.validate().unwrap();
            settings.metrics.token = Some(Secret::new("short"));
            let error = settings.validate().unwrap_err().to_string();
            assert!(
                error.starts_with("metrics.token: is 5 characters"),
                "{error}"
            );
            settings.metrics.token = Some(Secret::new("a-long-enough-token"));
            settings.validate().unwrap();
            settings.operators.session_idle_secs = 0;
            let error = settings.validate().unwrap_err().to_string();
            assert!(error.starts_with("operators.session_idle_secs"), "{error}");
            settings.operators = OperatorSettings::default();
            settings.bridge.max_attempts = 0;
            let error = settings.validate().unwrap_err().to_string();
            assert!(error.starts_with("bridge.max_attempts"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn a_file_without_integrations_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("webchat.toml", "listen = \"127.0.0.1:9000\"")?;
            let error = Settings::load(Path::new("webchat.toml")).unwrap_err();
            assert!(error.to_string().contains("no [[integration]]"));
            Ok(())
        });
    }
}
