//! A widget's WebSocket session as a test drives it: send [`ClientFrame`]s, read
//! [`ServerFrame`]s, with a timeout on every wait.

use futures_util::{SinkExt, StreamExt};
use protocol::{ClientFrame, ServerFrame, TextFormat};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Longest a test waits for a frame.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected widget.
#[derive(Debug)]
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection attempt ended.
pub type ConnectResult = Result<WsClient, tungstenite::Error>;

impl WsClient {
    /// Opens `.../ws` for `visitor_token`, resuming after `resume` when given.
    pub async fn connect(
        api: &str,
        origin: &str,
        visitor_token: &str,
        resume: Option<(i64, i64)>,
    ) -> ConnectResult {
        let mut url = format!(
            "{}/ws?visitor_token={visitor_token}",
            api.replacen("http", "ws", 1)
        );
        if let Some((conversation_id, after_seq)) = resume {
            url.push_str(&format!(
                "&conversation_id={conversation_id}&after_seq={after_seq}"
            ));
        }
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Origin", origin.parse().expect("origin header"));
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { socket })
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        let json = serde_json::to_string(frame).expect("frame json");
        self.send_raw(json).await;
    }

    pub async fn send_raw(&mut self, text: String) {
        self.socket
            .send(Message::text(text))
            .await
            .expect("send frame");
    }

    /// Sends a plain-text message with `client_id`.
    pub async fn say(&mut self, client_id: &str, text: &str) {
        self.send_message(client_id, text, TextFormat::Plain).await;
    }

    pub async fn send_message(&mut self, client_id: &str, text: &str, text_format: TextFormat) {
        self.send(&ClientFrame::Send {
            client_id: client_id.into(),
            text: text.into(),
            text_format,
            page: None,
        })
        .await;
    }

    /// The next protocol frame (pings are skipped).
    pub async fn next(&mut self) -> ServerFrame {
        loop {
            match self.next_message().await {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("server frame json");
                }
                Message::Close(close) => panic!("connection closed: {close:?}"),
                _ => continue,
            }
        }
    }

    /// Waits for the server to close the connection and returns the close code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match self.next_message().await {
                Message::Close(close) => return close.map_or(1005, |frame| frame.code.into()),
                Message::Text(text) => panic!("expected close, got {text}"),
                _ => continue,
            }
        }
    }

    /// Sends a ping and returns every frame that arrives before its pong: what the server had
    /// queued for this client.
    pub async fn drain(&mut self) -> Vec<ServerFrame> {
        self.send(&ClientFrame::Ping).await;
        let mut frames = Vec::new();
        loop {
            match self.next().await {
                ServerFrame::Pong => return frames,
                frame => frames.push(frame),
            }
        }
    }

    async fn next_message(&mut self) -> Message {
        tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
            .await
            .expect("a frame within the timeout")
            .expect("connection open")
            .expect("valid websocket message")
    }
}
