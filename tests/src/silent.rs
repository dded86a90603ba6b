//! A WebSocket peer that completes the handshake and then never answers a ping: what a browser
//! tab looks like after its machine went to sleep. Raw TCP, since WebSocket libraries answer
//! pings by themselves.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const OPCODE_CLOSE: u8 = 0x8;

/// A connected peer that reads but never writes after the handshake.
#[derive(Debug)]
pub struct SilentPeer {
    stream: TcpStream,
}

impl SilentPeer {
    /// Opens the WebSocket at `api`'s `/ws` for `visitor_token`.
    pub async fn connect(api: &str, origin: &str, visitor_token: &str) -> Self {
        let rest = api.strip_prefix("http://").expect("http URL");
        let (host, path) = rest.split_once('/').expect("URL with a path");
        let mut stream = TcpStream::connect(host).await.expect("connect");
        let request = format!(
            "GET /{path}/ws?visitor_token={visitor_token} HTTP/1.1\r\nHost: {host}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("handshake");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.expect("handshake answer"));
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused: {head}");
        Self { stream }
    }

    /// Reads frames (answering none) until the server closes; returns the close code.
    pub async fn close_code(mut self) -> u16 {
        loop {
            let first = self.stream.read_u8().await.expect("frame header");
            let length = match self.stream.read_u8().await.expect("frame length") & 0x7f {
                126 => u64::from(self.stream.read_u16().await.expect("length")),
                127 => self.stream.read_u64().await.expect("length"),
                short => u64::from(short),
            };
            let mut payload = vec![0; usize::try_from(length).expect("frame size")];
            self.stream
                .read_exact(&mut payload)
                .await
                .expect("frame payload");
            if first & 0x0f == OPCODE_CLOSE {
                return payload
                    .get(..2)
                    .map_or(1005, |code| u16::from_be_bytes([code[0], code[1]]));
            }
        }
    }
}
