//! `webchat-server [--config PATH]`: loads settings, starts logging, binds, prints the script tag
//! of every integration and serves until SIGTERM or Ctrl-C.

use backend::settings::Settings;
use backend::startup::build_state;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: webchat-server [--config PATH]   (default webchat.toml; \
                     without the file the embedded demo default runs)";

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
    let config = config_path()?;
    let (mut settings, source) = Settings::load(&config)?;
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
    backend::serve(listener, state, async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    })
    .await?;
    Ok(())
}

fn config_path() -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => Ok(PathBuf::from("webchat.toml")),
        (Some("--config"), Some(path), None) => Ok(PathBuf::from(path)),
        _ => anyhow::bail!("{USAGE}"),
    }
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
