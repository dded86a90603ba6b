//! The baseline: a bare axum WebSocket server that echoes every text frame, with the same
//! socket buffer sizes as the chat server. What the machine can do with no storage, no JSON and
//! no bridge; the chat's figures are reported as ratios of it.

use axum::Router;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::Message;
use axum::routing::get;
use axum::serve::ListenerExt;
use futures_util::{SinkExt, StreamExt};

const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

/// Serves `/ws` on a free port and prints `listen=ADDR`.
pub async fn serve() -> anyhow::Result<()> {
    let app = Router::new().route("/ws", get(upgrade));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("baseline started listen={}", listener.local_addr()?);
    // As the chat server: no Nagle delay.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(upgrade: WebSocketUpgrade) -> axum::response::Response {
    upgrade
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .on_upgrade(|socket| async move {
            let (mut sink, mut stream) = socket.split();
            while let Some(Ok(message)) = stream.next().await {
                if let Message::Text(text) = message
                    && sink.send(Message::Text(text)).await.is_err()
                {
                    break;
                }
            }
        })
}
