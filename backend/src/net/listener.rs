//! The HTTP listener: accepts TCP connections, refuses those over the per-IP cap, and serves
//! each with hyper's HTTP/1 server — request heads (and the wait for the next request on an
//! idle keep-alive connection) time out, request bodies time out between chunks, WebSocket
//! upgrades work, and shutdown lets requests in flight finish.
//!
//! `axum::serve` sets no hyper timer, so it has no header-read timeout; this follows axum's
//! `serve-with-hyper` example instead. The per-IP cap lives in the accept loop, since a
//! connection has to be counted before any request is read from it.

use crate::config::settings::ServerSettings;
use crate::net::slots::{Full, Slot, Slots};
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// A connection's place in its IP address's cap. Every request on the connection carries a
/// clone, so a WebSocket session keeps the place after hyper has handed the socket over.
#[derive(Debug, Clone)]
pub struct ConnectionSlot(#[expect(dead_code, reason = "held for its Drop")] Arc<Slot<IpAddr>>);

/// What a refused connection is told before it is closed.
const REFUSED: &str = "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\
                       content-type: text/plain; charset=utf-8\r\ncontent-length: ";

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in
/// flight (not for upgraded WebSocket sessions, which end on their own).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()>,
) {
    let header_read_timeout = Duration::from_secs(settings.header_read_timeout_secs.max(1));
    let per_ip = Slots::new(settings.max_connections_per_ip);
    let router = router.layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
        settings.body_read_timeout_secs.max(1),
    )));
    // Connections watch `stopping`; each holds a `finished` receiver until it ends.
    let (stop, stopping) = watch::channel(false);
    let (all_finished, finished) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match per_ip.take(peer.ip()) {
            Ok(slot) => ConnectionSlot(Arc::new(slot)),
            Err(full) => {
                refuse(&stream, peer, full);
                continue;
            }
        };
        // Chat frames are small and latency-bound: no Nagle delay on any connection.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        tokio::spawn(connection(
            stream,
            peer,
            slot,
            router.clone(),
            header_read_timeout,
            stopping.clone(),
            finished.clone(),
        ));
    }
    drop(listener);
    drop(finished);
    let _ = stop.send(true);
    all_finished.closed().await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    slot: ConnectionSlot,
    router: Router,
    header_read_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
    _finished: watch::Receiver<()>,
) {
    let service = router.map_request(move |request: Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(slot.clone());
        request
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let mut served = pin!(
        builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades()
    );
    let mut stopping_now = pin!(stopping.wait_for(|stopping| *stopping));
    let mut told = false;
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
                return;
            }
            _ = &mut stopping_now, if !told => {
                told = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Tells a connection over its IP's cap why it is closed, without waiting for it to listen.
fn refuse(stream: &TcpStream, peer: SocketAddr, full: Full) {
    // Not a warning: a flood of refused connections must not become a flood of log lines.
    tracing::debug!(ip = %peer.ip(), max = full.max, "connection refused: too many from this address");
    crate::telemetry::rate_limited("connections_per_ip");
    let message = format!(
        "too many connections from your address: at most {} at once \
         (server.max_connections_per_ip)\n",
        full.max
    );
    let response = format!("{REFUSED}{}\r\n\r\n{message}", message.len());
    // Best effort: a client that is not reading just sees the connection close.
    let _ = stream.try_write(response.as_bytes());
}

/// Like `axum::serve`: a connection-level error concerns only that connection; anything else
/// (out of file descriptors) gets a pause before the next accept, instead of a busy loop.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
