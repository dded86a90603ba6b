//! A socket's writer: drains the queue its reader fills into the socket, so a slow peer slows
//! only its own session and the reader never waits on the network. Generic over the frames it
//! serializes: a widget's [`ServerFrame`]s, an operator's `OperatorEvent`s.

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes};
use futures_util::{Sink, SinkExt};
use serde::Serialize;
use std::fmt;
use tokio::sync::mpsc;

/// Frames queued for the writer before the reader waits for it.
pub const OUTBOUND_CAPACITY: usize = 64;

/// What the writer sends. Frames are boxed: the queue allocates its slots up front, and an
/// idle session should not hold room for dozens of full frames.
#[derive(Debug)]
pub enum Outbound<F> {
    Frame(Box<F>),
    /// A frame serialized once for every socket that sends it (an operator hub's event).
    Serialized(Utf8Bytes),
    Ping,
    Close(u16, &'static str),
}

/// Whose socket it is, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Visitor(i64),
    Operator(i64),
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Visitor(id) => write!(f, "visitor {id}"),
            Self::Operator(id) => write!(f, "operator {id}"),
        }
    }
}

/// Drains `queue` into `sink`. Whatever is queued when the writer wakes goes out with one
/// flush: under load (an operator socket hears every conversation of its integrations) a socket
/// writes many frames per system call, not one each. A send that fails ends the session (the
/// socket is of no more use) and is logged with its reason: a peer gone, or a frame the
/// socket's limits refuse.
pub async fn write<S, F>(mut sink: S, mut queue: mpsc::Receiver<Outbound<F>>, peer: Peer)
where
    S: Sink<WsMessage> + Unpin,
    S::Error: fmt::Display,
    F: Serialize,
{
    'session: while let Some(first) = queue.recv().await {
        let queued = std::iter::from_fn(|| queue.try_recv().ok());
        for item in std::iter::once(first).chain(queued) {
            let (message, bytes) = match item {
                Outbound::Frame(frame) => match serde_json::to_string(&*frame) {
                    Ok(json) => {
                        let bytes = json.len();
                        (WsMessage::text(json), bytes)
                    }
                    Err(error) => {
                        tracing::error!(%error, %peer, "cannot serialize a server frame");
                        continue;
                    }
                },
                Outbound::Serialized(text) => {
                    let bytes = text.len();
                    (WsMessage::Text(text), bytes)
                }
                Outbound::Ping => (WsMessage::Ping(Default::default()), 0),
                Outbound::Close(code, reason) => {
                    let close = WsMessage::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    }));
                    if let Err(error) = sink.send(close).await {
                        tracing::warn!(%error, %peer, code, "cannot send the close frame");
                    }
                    break 'session;
                }
            };
            if let Err(error) = sink.feed(message).await {
                tracing::warn!(%error, %peer, bytes, "cannot send a frame; ending the session");
                break 'session;
            }
        }
        if let Err(error) = sink.flush().await {
            tracing::warn!(%error, %peer, "cannot send the frames; ending the session");
            break;
        }
    }
    if let Err(error) = sink.close().await {
        tracing::debug!(%error, %peer, "closing the socket failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ServerFrame;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    /// A socket refusing every frame, as tungstenite does one over its write buffer.
    struct Refusing;

    impl Sink<WsMessage> for Refusing {
        type Error = String;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(self: Pin<&mut Self>, _: WsMessage) -> Result<(), String> {
            Err("Space limit exceeded: Message too long".into())
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Log lines written by the test's subscriber.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    #[tokio::test]
    async fn a_failed_send_is_logged_with_its_reason() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let (outbound, queue) = mpsc::channel(4);
        let frame = Outbound::Frame(Box::new(ServerFrame::Pong));
        outbound.send(frame).await.unwrap();
        drop(outbound);
        write(Refusing, queue, Peer::Visitor(7)).await;
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("WARN"), "{log}");
        assert!(log.contains("cannot send a frame"), "{log}");
        assert!(log.contains("Space limit exceeded"), "{log}");
        assert!(
            log.contains("peer=visitor 7") && log.contains("bytes=15"),
            "{log}"
        );
    }

    /// A socket noting what it is asked to do: `frame` for each frame, `flush` for each flush.
    #[derive(Clone, Default)]
    struct Recording(Arc<Mutex<Vec<&'static str>>>);

    impl Recording {
        fn note(&self, what: &'static str) {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).push(what);
        }
    }

    impl Sink<WsMessage> for Recording {
        type Error = String;

        fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Ok(()))
        }

        fn start_send(self: Pin<&mut Self>, _: WsMessage) -> Result<(), String> {
            self.note("frame");
            Ok(())
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            self.note("flush");
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn frames_queued_together_go_out_with_one_flush() {
        let socket = Recording::default();
        let (outbound, queue) = mpsc::channel(4);
        for _ in 0..3 {
            outbound
                .send(Outbound::Frame(Box::new(ServerFrame::Pong)))
                .await
                .unwrap();
        }
        let writer = tokio::spawn(write(socket.clone(), queue, Peer::Operator(1)));
        tokio::task::yield_now().await;
        outbound
            .send(Outbound::Frame(Box::new(ServerFrame::Pong)))
            .await
            .unwrap();
        drop(outbound);
        writer.await.unwrap();
        let noted = socket.0.lock().unwrap().clone();
        assert_eq!(
            noted,
            ["frame", "frame", "frame", "flush", "frame", "flush"],
            "one flush for what was queued, then one for the late frame"
        );
    }
}
