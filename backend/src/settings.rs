//! Server settings: one TOML file (default `webchat.toml`), every key overridable by a `WEBCHAT_`
//! environment variable (`WEBCHAT_DATABASE_URL`, `WEBCHAT_LIMITS__MAX_MESSAGE_BYTES`). Defaults
//! live here and nowhere else.

use crate::params::ParamValue;
use crate::secret::Secret;
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
    /// The trunk-built widget bundle, served under `/widget/`.
    #[serde(default = "default_widget_dir")]
    pub widget_dir: PathBuf,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub bridge: BridgeSettings,
    #[serde(default, rename = "integration")]
    pub integrations: Vec<IntegrationSettings>,
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
            // Six months, as Crisp keeps a visitor's session; Intercom keeps its anonymous
            // visitor cookie for nine.
            visitor_idle_days: 180,
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
}

impl Default for BridgeSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            retry_base_ms: 500,
            retry_max_ms: 5 * 60 * 1000,
            poll_ms: 1000,
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
                [[integration]]
                id = "1"
                token = "t"
                webhook_token = "w"
                [integration.params]
                languageCode = "ru"
                displayUserPictures = false
                "#,
            )?;
            jail.set_env("WEBCHAT_DATABASE_URL", "postgres://u:p@h/db");
            jail.set_env("WEBCHAT_LIMITS__MAX_MESSAGE_BYTES", "100");
            let (settings, source) = Settings::load(Path::new("webchat.toml")).unwrap();
            assert_eq!(source, Source::File);
            assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
            assert_eq!(settings.database_url.expose(), "postgres://u:p@h/db");
            assert_eq!(settings.limits.max_message_bytes, 100);
            assert_eq!(settings.limits.messages_per_minute, 5);
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
