//! A backend started in-process on `127.0.0.1:0`, with its own SQLite file or PostgreSQL
//! database, stopped when dropped.

pub use crate::database::Db;
use backend::auth::password;
use backend::config::params::ParamValue;
use backend::config::secret::Secret;
use backend::config::settings::{
    BridgeSettings, IntegrationSettings, Limits, MetricsSettings, OperatorSettings, ServerSettings,
    Settings, Source, SqliteSynchronous,
};
use backend::desk::NewAccount;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Integration id and public token every test server uses.
pub const INTEGRATION_ID: &str = "shop";
pub const INTEGRATION_TOKEN: &str = "public-token";
/// The origin allowed when a test restricts origins.
pub const SHOP_ORIGIN: &str = "https://shop.example";

/// What a test changes from the defaults.
#[derive(Debug, Clone)]
pub struct Options {
    pub sign_key: Option<String>,
    pub allowed_origins: Vec<String>,
    pub limits: Limits,
    pub server: ServerSettings,
    pub webhook_url: Option<String>,
    pub token_max_age_secs: Option<u64>,
    /// The integration's `send_page_query`.
    pub send_page_query: bool,
    pub bridge: BridgeSettings,
    pub metrics: MetricsSettings,
    /// Console operators' sessions and login limits.
    pub operators: OperatorSettings,
    /// Where browsers reach the server; `None` is `http://{listen}`.
    pub public_url: Option<String>,
    /// Integration parameters besides `languageCode` (and `signKey` from `sign_key`).
    pub params: Vec<(String, ParamValue)>,
    /// Where the widget bundle is; `None` serves an empty directory.
    pub widget_dir: Option<PathBuf>,
}

impl Options {
    /// These options with the real widget bundle (`WEBCHAT_TEST_WIDGET_DIR`, the `dist/` that
    /// `cargo xtask test` builds), for browser tests.
    pub fn with_widget(self) -> Self {
        let dir = std::env::var_os("WEBCHAT_TEST_WIDGET_DIR").expect(
            "WEBCHAT_TEST_WIDGET_DIR is not set: run the tests with `cargo xtask test`, \
             which builds the widget bundle",
        );
        Self {
            widget_dir: Some(PathBuf::from(dir)),
            ..self
        }
    }

    /// These options with integration parameter `name` set to `value`.
    pub fn param(mut self, name: &str, value: ParamValue) -> Self {
        self.params.push((name.to_owned(), value));
        self
    }
}

impl Default for Options {
    /// The server's defaults, but with rate limits and caps no test reaches unless it means to:
    /// every test connects from 127.0.0.1.
    fn default() -> Self {
        Self {
            sign_key: None,
            allowed_origins: Vec::new(),
            limits: Limits {
                message_burst: 1000,
                frame_burst: 10_000,
                change_burst: 1000,
                visitor_burst_per_ip: 10_000,
                max_sessions_per_visitor: 1000,
                ..Limits::default()
            },
            server: ServerSettings {
                max_connections_per_ip: 100_000,
                ..ServerSettings::default()
            },
            webhook_url: None,
            token_max_age_secs: None,
            send_page_query: false,
            bridge: fast_bridge(),
            metrics: MetricsSettings::default(),
            operators: OperatorSettings::default(),
            public_url: None,
            params: Vec::new(),
            widget_dir: None,
        }
    }
}

/// Where a backend answers, in-process or a separate process.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

/// A backend running in this process, stopped when dropped.
#[derive(Debug)]
pub struct TestServer {
    pub db: Db,
    endpoint: Endpoint,
    stop: watch::Sender<bool>,
    settings: Settings,
    running: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

impl std::ops::Deref for TestServer {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl TestServer {
    pub async fn start(db: Db, options: Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("chat.db").display()),
            Db::Postgres => fresh_postgres_database().await,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let settings = Settings {
            listen: listener.local_addr().expect("address"),
            public_url: options.public_url.clone(),
            database_url: Secret::new(database_url),
            sqlite_synchronous: SqliteSynchronous::default(),
            widget_dir: options
                .widget_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(dir.path())),
            server: options.server.clone(),
            limits: options.limits,
            bridge: options.bridge,
            metrics: options.metrics.clone(),
            operators: options.operators,
            integrations: vec![integration(&options)],
        };
        let (stop, running) = run(&settings, listener).await;
        Self {
            db,
            endpoint: Endpoint::new(&format!("http://{}", settings.listen)),
            stop,
            settings,
            running,
            _dir: dir,
        }
    }

    /// Stops the server (its sessions see it going away) and starts it again on the same
    /// address and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start_again().await;
    }

    /// Stops the server and starts it again on the same address and database with `limits`.
    pub async fn restart_with(&mut self, limits: Limits) {
        self.stop().await;
        self.settings.limits = limits;
        self.start_again().await;
    }

    /// Stops the server; its sessions see it going away. [`Self::start_again`] brings it back.
    pub async fn stop(&mut self) {
        let _ = self.stop.send(true);
        (&mut self.running).await.expect("server stopped");
    }

    /// Runs `statement` on the server's database. The server's clock is the real one: this is
    /// how a test moves stored times (a visitor's last visit) into the past.
    pub async fn execute_sql(&self, statement: &str) {
        crate::database::execute(self.db, self.settings.database_url.expose(), statement).await;
    }

    /// The text columns of the rows `query` selects from the server's database, row by row.
    pub async fn select_texts(&self, query: &str) -> Vec<Vec<Option<String>>> {
        crate::database::select_texts(self.db, self.settings.database_url.expose(), query).await
    }

    /// Adds a console operator answering `integrations`, as `webchat-server operator add` does.
    pub async fn add_operator(&self, email: &str, password: &str, integrations: &[&str]) {
        self.add_named_operator(email, &format!("Operator {email}"), password, integrations)
            .await;
    }

    /// Adds a console operator called `name`, as `webchat-server operator add --name` does.
    pub async fn add_named_operator(
        &self,
        email: &str,
        name: &str,
        password: &str,
        integrations: &[&str],
    ) {
        let account = NewAccount {
            email: email.to_owned(),
            name: name.to_owned(),
            password_hash: password::hash(password.to_owned()).await.expect("hash"),
            integrations: integrations.iter().map(|id| (*id).to_owned()).collect(),
        };
        self.store()
            .await
            .create_account(&account)
            .await
            .expect("store")
            .expect("a new e-mail");
    }

    /// Gives the operator with `email` a new password, as `webchat-server operator password`
    /// does.
    pub async fn set_operator_password(&self, email: &str, new_password: &str) {
        let hash = password::hash(new_password.to_owned()).await.expect("hash");
        let changed = self.store().await.set_password(email, &hash).await;
        assert!(changed.expect("store").is_some(), "no operator {email}");
    }

    /// The server's database opened a second time, beside the server.
    async fn store(&self) -> std::sync::Arc<dyn backend::storage::Storage> {
        backend::storage::open(
            self.settings.database_url.expose(),
            self.settings.sqlite_synchronous,
        )
        .await
        .expect("open the test server's store")
    }

    /// Starts a stopped server again on the same address and database.
    pub async fn start_again(&mut self) {
        let listener = TcpListener::bind(self.settings.listen)
            .await
            .expect("bind the same address again");
        (self.stop, self.running) = run(&self.settings, listener).await;
    }
}

async fn run(
    settings: &Settings,
    listener: TcpListener,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopping) = watch::channel(false);
    let state = backend::startup::build_state(settings, Source::File, stopping)
        .await
        .expect("server state");
    let mut stopped = stop.subscribe();
    let running = tokio::spawn(async move {
        let _ = backend::serve(listener, state, async move {
            let _ = stopped.wait_for(|stopping| *stopping).await;
        })
        .await;
    });
    (stop, running)
}

impl Endpoint {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
        }
    }

    /// `{id}:{token}` of the test integration.
    pub fn key(&self) -> String {
        format!("{INTEGRATION_ID}:{INTEGRATION_TOKEN}")
    }

    /// The widget API base of the test integration.
    pub fn api(&self) -> String {
        format!("{}/api/v1/chat/{}", self.base, self.key())
    }

    /// Creates an anonymous visitor and returns its token.
    pub async fn new_visitor(&self) -> String {
        let response = crate::http()
            .post(format!("{}/visitors", self.api()))
            .header("Origin", SHOP_ORIGIN)
            .send()
            .await
            .expect("create visitor");
        assert_eq!(response.status(), 201, "create visitor");
        let created: protocol::VisitorCreated = response.json().await.expect("visitor body");
        created.visitor_token
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn integration(options: &Options) -> IntegrationSettings {
    let mut params = BTreeMap::from([("languageCode".to_owned(), ParamValue::Text("ru".into()))]);
    if let Some(key) = &options.sign_key {
        params.insert("signKey".into(), ParamValue::Text(key.clone()));
    }
    params.extend(options.params.iter().cloned());
    IntegrationSettings {
        id: INTEGRATION_ID.into(),
        token: INTEGRATION_TOKEN.into(),
        webhook_token: Some(Secret::new(WEBHOOK_TOKEN)),
        allowed_origins: options.allowed_origins.clone(),
        webhook_url: options.webhook_url.clone(),
        token_max_age_secs: options.token_max_age_secs,
        send_page_query: options.send_page_query,
        params,
    }
}

/// Delivery settings that retry quickly, so outages in tests last milliseconds.
pub fn fast_bridge() -> BridgeSettings {
    BridgeSettings {
        timeout_ms: 500,
        retry_base_ms: 20,
        retry_max_ms: 200,
        poll_ms: 20,
        ..BridgeSettings::default()
    }
}

/// The webhook token of the test integration.
pub const WEBHOOK_TOKEN: &str = "webhook-secret-of-the-shop";

/// The PostgreSQL server `cargo xtask test` started.
pub fn postgres_admin_url() -> String {
    std::env::var("WEBCHAT_TEST_POSTGRES_URL").expect(
        "WEBCHAT_TEST_POSTGRES_URL is not set: run the tests with `cargo xtask test`, \
         which starts a throw-away PostgreSQL server",
    )
}

/// A new, empty database on the test PostgreSQL server.
pub async fn fresh_postgres_database() -> String {
    let admin = postgres_admin_url();
    let name = format!("webchat_test_{}", random_suffix());
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("create test database");
    let (server, _) = admin.rsplit_once('/').expect("database URL with a path");
    format!("{server}/{name}")
}

fn random_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
