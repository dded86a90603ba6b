//! `webchat-server [--config PATH]`: loads settings, starts logging, binds, prints the script tag
//! of every integration and serves until SIGTERM or Ctrl-C. `webchat-server outbox list-dead`
//! and `outbox retry ID|--all` show and re-queue the commands set aside as dead letters;
//! `webchat-server operator add|list|remove|password` manage console operators.

use backend::bridge::DeadLetters;
use backend::cli::operator::{self, AddOperator, NewPassword};
use backend::cli::outbox;
use backend::config::integrations::DEMO_ID;
use backend::config::settings::{Settings, Source};
use backend::startup::build_state;
use backend::storage;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

/// The web chat server.
#[derive(Debug, Parser)]
#[command(name = "webchat-server", version)]
struct Cli {
    /// The settings file; without it the embedded demo default runs.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "webchat.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The outbox of commands to the collaboration servers.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Operators who answer visitors from the console.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Adds an operator; the password is read from standard input unless generated.
    Add {
        /// The login name.
        email: String,
        /// The name visitors see.
        #[arg(long)]
        name: String,
        /// An integration it answers (repeat for several).
        #[arg(long = "integration", value_name = "ID", required = true)]
        integrations: Vec<String>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Lists the operators and the integrations they answer.
    List,
    /// Removes an operator; its sessions end.
    Remove { email: String },
    /// Sets a new password (from standard input unless generated); its sessions end.
    Password {
        email: String,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Debug, Args)]
struct PasswordArgs {
    /// Generates a password and prints it instead of reading one from standard input.
    #[arg(long)]
    generate_password: bool,
}

impl PasswordArgs {
    /// The password to set: generated when asked for, else the first line of standard input.
    fn read(self) -> anyhow::Result<NewPassword> {
        if self.generate_password {
            return Ok(NewPassword::Generated);
        }
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']);
        if password.is_empty() {
            anyhow::bail!(
                "no password on standard input; pipe one in (`echo PASSWORD | webchat-server \
                 operator ...`) or pass --generate-password"
            );
        }
        Ok(NewPassword::Given(password.to_owned()))
    }
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// Lists the commands refused for good and set aside (dead letters).
    ListDead,
    /// Puts dead letters back in the outbox, ahead of their conversations' newer commands.
    Retry(RetryArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct RetryArgs {
    /// Ids from `outbox list-dead`.
    ids: Vec<i64>,
    /// Every dead letter.
    #[arg(long)]
    all: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("webchat-server: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(&cli.config).await,
        Some(Command::Outbox(command)) => outbox(&cli.config, command).await,
        Some(Command::Operator(command)) => operator(&cli.config, command).await,
    }
}

async fn operator(config: &Path, command: OperatorCommand) -> anyhow::Result<()> {
    let (settings, source) = Settings::load(config)?;
    let store = storage::open(settings.database_url.expose(), settings.sqlite_synchronous).await?;
    let store = store.as_ref();
    let text = match command {
        OperatorCommand::Add {
            email,
            name,
            integrations,
            password,
        } => {
            let known: Vec<String> = match source {
                Source::EmbeddedDefault if settings.integrations.is_empty() => {
                    vec![DEMO_ID.to_owned()]
                }
                _ => settings.integrations.iter().map(|i| i.id.clone()).collect(),
            };
            let operator = AddOperator {
                email,
                name,
                integrations,
            };
            operator::add(store, &known, operator, password.read()?).await?
        }
        OperatorCommand::List => operator::list(store).await?,
        OperatorCommand::Remove { email } => operator::remove(store, &email).await?,
        OperatorCommand::Password { email, password } => {
            operator::set_password(store, &email, password.read()?).await?
        }
    };
    print!("{text}");
    Ok(())
}

async fn outbox(config: &Path, command: OutboxCommand) -> anyhow::Result<()> {
    let (settings, _) = Settings::load(config)?;
    let store = storage::open(settings.database_url.expose(), settings.sqlite_synchronous).await?;
    let text = match command {
        OutboxCommand::ListDead => outbox::list_dead(store.as_ref()).await?,
        OutboxCommand::Retry(RetryArgs { all: true, .. }) => {
            outbox::retry(store.as_ref(), DeadLetters::All).await?
        }
        OutboxCommand::Retry(RetryArgs { ids, .. }) => {
            outbox::retry(store.as_ref(), DeadLetters::Ids(&ids)).await?
        }
    };
    print!("{text}");
    Ok(())
}

async fn serve(config: &Path) -> anyhow::Result<()> {
    let (mut settings, source) = Settings::load(config)?;
    let listener = TcpListener::bind(settings.listen).await?;
    // With port 0 the real port is known only now; the default public URL needs it.
    settings.listen = listener.local_addr()?;
    let (stop, stopping) = watch::channel(false);
    let state = build_state(&settings, source, stopping).await?;
    tracing::info!(
        listen = %settings.listen,
        database = state.store.engine().name(),
        config = %config.display(),
        ?source,
        "web chat server started"
    );
    for integration in state.integrations.iter() {
        let tag = backend::script_tag(&backend::script_url(&state.public_url, integration));
        println!(
            "integration {}: paste into your pages: {tag}",
            integration.id
        );
    }
    if let Some(login) = &state.demo_login {
        let console = backend::console_url(&state.public_url);
        match &login.password {
            Some(password) => println!(
                "operator console: {console} (log in as {} with password {})",
                login.email,
                password.expose()
            ),
            None => println!(
                "operator console: {console} (log in as {}; its password was changed with \
                 `webchat-server operator password`)",
                login.email
            ),
        }
    }
    backend::serve(listener, state, async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    })
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
