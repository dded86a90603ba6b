//! A minimal HTTP/1.1 GET over a plain `TcpStream`: enough to wait for a local server to be
//! ready and read a small JSON answer, without an HTTP client dependency.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A response: status code and body (the body is whatever follows the headers; servers
/// answer `Connection: close` requests without chunking small bodies in practice, and
/// callers only use it for diagnostics and small JSON documents).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

pub fn get(addr: SocketAddr, path: &str) -> Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP response from {addr}: {head:?}"))?;
    Ok(Response {
        status,
        body: body.to_owned(),
    })
}

/// Polls `GET path` until it answers 200. `check_alive` runs between attempts so a server
/// that crashed at start fails fast instead of after the whole `timeout`.
pub fn wait_until_ok(
    addr: SocketAddr,
    path: &str,
    timeout: Duration,
    mut check_alive: impl FnMut() -> Result<()>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match get(addr, path) {
            Ok(response) if response.status == 200 => return Ok(()),
            Ok(response) => format!("status {}", response.status),
            Err(error) => format!("{error:#}"),
        };
        check_alive()?;
        if Instant::now() >= deadline {
            bail!(
                "http://{addr}{path} did not answer 200 within {} s (last attempt: {last})",
                timeout.as_secs()
            );
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}
