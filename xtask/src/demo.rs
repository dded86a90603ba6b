//! `cargo xtask demo`: builds everything, starts the chat server on its embedded default
//! configuration (demo integration, SQLite `webchat.db` in the repository root) and the demo
//! shop on a second origin, prints where the shop, the script tag and the operator console
//! (with the demo operator's login) are, then keeps both running until Ctrl-C.
//!
//! Ctrl-C in a terminal reaches the whole foreground process group, so both servers get it
//! and shut down by themselves; when xtask stops for any other reason (a server died, an
//! error), the [`Running`] guards kill what is still running.

use crate::{build, cmd, http};
use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const CHAT_ADDR: &str = "127.0.0.1:8080";
const SHOP_ADDR: &str = "127.0.0.1:8081";
const CHAT_READY_TIMEOUT: Duration = Duration::from_secs(60);
const SHOP_READY_TIMEOUT: Duration = Duration::from_secs(30);
const SUPERVISE_INTERVAL: Duration = Duration::from_millis(500);

pub fn run(root: &Path) -> Result<()> {
    let chat_addr: SocketAddr = CHAT_ADDR.parse()?;
    let shop_addr: SocketAddr = SHOP_ADDR.parse()?;
    ensure_free(chat_addr)?;
    ensure_free(shop_addr)?;

    build::all(root)?;
    build::demo_site(root)?;

    let mut chat = Running::spawn(
        "chat server",
        Command::new(root.join("target/release/webchat-server")).current_dir(root),
    )?;
    http::wait_until_ok(chat_addr, "/healthz", CHAT_READY_TIMEOUT, || {
        chat.ensure_running()
    })
    .context("the chat server did not become ready")?;
    let script_tag = demo_script_tag(chat_addr)?;
    let operator = demo_operator_login(chat_addr)?;

    let chat_url = format!("http://{chat_addr}");
    let mut shop = Running::spawn(
        "demo shop",
        Command::new(root.join("target/release/www"))
            .args(["--listen", SHOP_ADDR, "--chat-url", &chat_url])
            .current_dir(root),
    )?;
    http::wait_until_ok(shop_addr, "/healthz", SHOP_READY_TIMEOUT, || {
        chat.ensure_running()?;
        shop.ensure_running()
    })
    .context("the demo shop did not become ready")?;

    println!();
    println!("  chat server: {chat_url}");
    println!("  demo shop:   http://{shop_addr}/");
    println!("  script tag:  {script_tag}");
    println!("  console:     {}", operator.console_url);
    match &operator.password {
        Some(password) => println!("  log in as:   {} / {password}", operator.email),
        None => println!(
            "  log in as:   {} (password changed with `webchat-server operator password`)",
            operator.email
        ),
    }
    println!();
    println!("  Ctrl-C stops both.");

    loop {
        std::thread::sleep(SUPERVISE_INTERVAL);
        for server in [&mut chat, &mut shop] {
            if let Some(status) = server.child.try_wait()? {
                // A clean exit is a server that got Ctrl-C; anything else is a crash.
                if !status.success() {
                    bail!("the {} exited ({status})", server.name);
                }
                println!("the {} stopped; stopping the demo", server.name);
                return Ok(());
            }
        }
    }
}

/// A port already taken would make the readiness check succeed against someone else's
/// server, so refuse to start instead.
fn ensure_free(addr: SocketAddr) -> Result<()> {
    TcpListener::bind(addr)
        .map(drop)
        .with_context(|| format!("{addr} is already in use; stop whatever listens there"))
}

fn demo_script_tag(chat_addr: SocketAddr) -> Result<String> {
    let response = http::get(chat_addr, "/demo/config")?;
    if response.status != 200 {
        bail!(
            "GET /demo/config answered {}: is the server running its embedded demo integration?",
            response.status
        );
    }
    let config: serde_json::Value =
        serde_json::from_str(&response.body).context("GET /demo/config is not JSON")?;
    config["script_tag"]
        .as_str()
        .map(str::to_owned)
        .context("GET /demo/config has no `script_tag` string")
}

/// How to log in to the console as the demo operator.
#[derive(Debug)]
struct OperatorLogin {
    console_url: String,
    email: String,
    /// `None` once changed by hand.
    password: Option<String>,
}

/// The demo operator's login, from the server's loopback-only demo route: the server keeps the
/// generated password, and its output (logs interleaved) is not a format to parse.
fn demo_operator_login(chat_addr: SocketAddr) -> Result<OperatorLogin> {
    let response = http::get(chat_addr, "/demo/operator-login")?;
    if response.status != 200 {
        bail!("GET /demo/operator-login answered {}", response.status);
    }
    let login: serde_json::Value =
        serde_json::from_str(&response.body).context("GET /demo/operator-login is not JSON")?;
    let text = |field: &str| {
        login[field]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("GET /demo/operator-login has no `{field}` string"))
    };
    Ok(OperatorLogin {
        console_url: text("console_url")?,
        email: text("email")?,
        password: login["password"].as_str().map(str::to_owned),
    })
}

/// A child process that is killed when this value is dropped.
#[derive(Debug)]
struct Running {
    name: &'static str,
    child: Child,
}

impl Running {
    fn spawn(name: &'static str, command: &mut Command) -> Result<Self> {
        println!("$ {}", cmd::describe(command));
        let child = command
            .spawn()
            .with_context(|| format!("could not start the {name}"))?;
        Ok(Self { name, child })
    }

    fn ensure_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => bail!("the {} exited ({status})", self.name),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
