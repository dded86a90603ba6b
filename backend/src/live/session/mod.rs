//! One widget's WebSocket session: a writer that drains an outbound queue into the socket and a
//! reader that handles client frames, hub events and heartbeats, run together under `select!`.
//! Generic over `Sink`/`Stream` so tests drive it with channels. The writer, the heartbeat and the
//! typing throttle are [`crate::live::socket`]'s, shared with the operator socket.
//!
//! This file holds that loop and what it dispatches to; the rest is apart:
//! - `parse.rs`: a client's frame read and checked without the store (refusals as values);
//! - `requests.rs`: what `send`, `set_contact` and `identify` do with the store and the hub;
//!   `typing` goes to the integration's operators from here, throttled;
//! - `refill.rs`: what the client gets from the store (welcome, catch-up, history pages, the
//!   resync of a lagging or reordered feed) and the delivery of live messages;
//! - `tests.rs`: the session driven over channels on real stores, heartbeats on paused time.
//!
//! Delivery keeps what the client has of its conversation ([`Delivered`]): a message it has is
//! skipped, one past a gap triggers a resync from the store, so a lagging or reordered feed never
//! loses or repeats a message.
//!
//! History goes out in pages ([`crate::live::history`]): a welcome carries the newest page, or on a
//! resume the messages the client lacks when they fit one page; a client pages further back with
//! `history` frames. Every frame thus stays within the socket's limits however long the
//! conversation.

pub mod parse;
mod refill;
mod requests;
#[cfg(test)]
mod tests;

use crate::config::integrations::Integration;
use crate::live::delivered::Delivered;
use crate::live::hub::{HubEvent, Subscription};
use crate::live::operators::InboxEvent;
use crate::live::socket::heartbeat::{Beat, Heartbeat};
use crate::live::socket::typing::TypingThrottle;
use crate::live::socket::writer::{OUTBOUND_CAPACITY, Outbound, Peer, write};
use crate::live::socket::{drive, shutting_down};
use crate::net::ratelimit;
use crate::state::AppState;
use crate::store::{NewMessage, StoreError, Visitor};
use crate::telemetry::OpenSession;
use axum::extract::ws::Message as WsMessage;
use futures_util::{Sink, Stream, StreamExt};
use parse::{Incoming, Refusal};
use protocol::{ClientFrame, ErrorCode, ServerFrame, close_code};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

/// What the client saw last: the server sends exactly the messages after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resume {
    pub conversation_id: Option<i64>,
    pub after_seq: Option<i64>,
}

/// Whether the session goes on.
enum Flow {
    Continue,
    Stop,
}

/// The session, to run until the peer leaves, goes silent, logs out, or the server shuts down.
/// Not an `async fn`: one would hold its arguments beside the session that takes them over
/// (see [`drive`]).
pub fn run<S, R, E>(
    sink: S,
    stream: R,
    state: AppState,
    integration: Arc<Integration>,
    visitor: Visitor,
    resume: Resume,
) -> impl Future<Output = ()>
where
    S: Sink<WsMessage> + Unpin + Send,
    S::Error: std::fmt::Display,
    R: Stream<Item = Result<WsMessage, E>> + Unpin + Send,
{
    let (outbound, queue) = mpsc::channel(OUTBOUND_CAPACITY);
    let writer = write(sink, queue, Peer::Visitor(visitor.id));
    let subscription = state.hub.subscribe(visitor.person_id);
    let session = Box::new(Session {
        _open: crate::telemetry::session_opened(),
        state,
        integration,
        visitor,
        subscription,
        conversation_id: None,
        delivered: Delivered::default(),
        outbound,
        new_token: None,
        typing: TypingThrottle::default(),
    });
    drive(writer, session.read(stream, resume))
}

/// A session's reader: who it speaks for and what its client has.
struct Session {
    /// Counts the session as open while it lives.
    _open: OpenSession,
    state: AppState,
    integration: Arc<Integration>,
    visitor: Visitor,
    subscription: Subscription,
    conversation_id: Option<i64>,
    delivered: Delivered,
    outbound: mpsc::Sender<Outbound<ServerFrame>>,
    /// The visitor token identification just issued, for the `identified` frame.
    new_token: Option<String>,
    /// When typing notices may go to operators again.
    typing: TypingThrottle,
}

impl Session {
    /// The session's loop. Its future is most of what an idle session costs, and whatever it
    /// awaits inline stays reserved in it, idle or not, at the size of the largest: so the
    /// session comes boxed (an `async fn` keeps its arguments beside its locals), and the work a
    /// frame or an event starts is boxed while it runs.
    async fn read<R, E>(mut self: Box<Self>, mut stream: R, resume: Resume)
    where
        R: Stream<Item = Result<WsMessage, E>> + Unpin,
    {
        if let Err(error) = Box::pin(self.welcome(resume)).await {
            self.internal_error(&error, None).await;
            return;
        }
        let mut heartbeat = Heartbeat::every(self.state.limits.heartbeat_secs);
        let mut shutdown = self.state.shutdown.clone();
        loop {
            let flow = tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(message)) => {
                        heartbeat.heard();
                        Box::pin(self.incoming(message)).await
                    }
                    Some(Err(_)) | None => Flow::Stop,
                },
                event = self.subscription.receiver.recv() => {
                    Box::pin(self.event(event.map(Arc::unwrap_or_clone))).await
                }
                beat = heartbeat.beat() => match beat {
                    Beat::Silent => self.close(close_code::TIMEOUT, "no heartbeat").await,
                    Beat::Ping => self.send(Outbound::Ping).await,
                },
                () = shutting_down(&mut shutdown) => {
                    self.close(close_code::GOING_AWAY, "server shutting down").await
                }
            };
            if matches!(flow, Flow::Stop) {
                return;
            }
        }
    }

    /// Every client frame, whatever its type and even if it does not parse, counts against the
    /// visitor's frame limit; `send`, `set_contact` and `identify` also against their own.
    async fn incoming(&mut self, message: WsMessage) -> Flow {
        let frame = match parse::decode(message) {
            Incoming::Frame(frame) => frame,
            Incoming::Control => return Flow::Continue,
            Incoming::Close => return Flow::Stop,
        };
        let client_id = match &frame {
            Ok(ClientFrame::Send { client_id, .. }) => Some(client_id.clone()),
            _ => None,
        };
        let limits = &self.state.rate_limits;
        let mut checked = limits.frames.check(&self.visitor.id);
        if let Ok(ClientFrame::SetContact { .. } | ClientFrame::Identify { .. }) = &frame {
            checked = checked.and_then(|()| limits.changes.check(&self.visitor.id));
        }
        if let Err(refusal) = checked {
            return self.rate_limited(refusal, client_id).await;
        }
        match frame {
            Err(refusal) => self.refuse(refusal).await,
            Ok(ClientFrame::Send {
                client_id,
                text,
                text_format,
                page,
            }) => {
                let sent = NewMessage {
                    client_id,
                    text,
                    text_format,
                    page,
                };
                self.send_message(sent).await
            }
            Ok(ClientFrame::SetContact { contact }) => self.set_contact(contact).await,
            Ok(ClientFrame::Identify { token }) => self.identify(&token).await,
            Ok(ClientFrame::Ping) => self.frame(ServerFrame::Pong).await,
            Ok(ClientFrame::History { before_seq, limit }) => self.history(before_seq, limit).await,
            Ok(ClientFrame::Typing) => self.typing().await,
            Ok(ClientFrame::Read { seq }) => self.read_up_to(seq).await,
        }
    }

    /// `typing`: tells the integration's operators, at most once per
    /// [`crate::live::socket::typing::TYPING_INTERVAL`]
    /// (the rest are dropped unanswered: a typing notice is a hint, never stored), once the
    /// visitor has a conversation.
    async fn typing(&mut self) -> Flow {
        if !self.typing.admits(Instant::now()) {
            return Flow::Continue;
        }
        match self.conversation().await {
            Ok(Some(conversation_id)) => {
                self.state.operator_hub.publish(
                    &self.visitor.integration_id,
                    InboxEvent::Typing {
                        conversation_id,
                        operator: None,
                    },
                );
                Flow::Continue
            }
            Ok(None) => Flow::Continue,
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    /// `read`: the visitor has seen its conversation up to `seq`; its operators hear of it when
    /// that moved the position. A position past what this session delivered is taken as the
    /// last delivered message: the visitor cannot have seen more.
    async fn read_up_to(&mut self, seq: i64) -> Flow {
        let Some(conversation_id) = self.conversation_id else {
            return Flow::Continue;
        };
        let seq = seq.min(self.delivered.seq());
        if seq <= 0 {
            return Flow::Continue;
        }
        match self
            .state
            .store
            .mark_visitor_read(conversation_id, seq)
            .await
        {
            Ok(Some(seq)) => {
                self.state.operator_hub.publish(
                    &self.visitor.integration_id,
                    InboxEvent::VisitorRead {
                        conversation_id,
                        seq,
                    },
                );
                Flow::Continue
            }
            Ok(None) => Flow::Continue,
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    /// The one way a session refuses a frame over a rate limit.
    async fn rate_limited(&self, refusal: ratelimit::Refusal, client_id: Option<String>) -> Flow {
        tracing::debug!(visitor = self.visitor.id, limit = ?refusal.limit, "frame refused over a rate limit");
        crate::telemetry::rate_limited(refusal.limit.name());
        self.frame(ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: refusal.to_string(),
            client_id,
            retry_after_ms: Some(refusal.retry_after_ms()),
        })
        .await
    }

    async fn event(&mut self, event: Result<HubEvent, broadcast::error::RecvError>) -> Flow {
        match event {
            Ok(HubEvent::Message(message)) => self.deliver(vec![message]).await,
            // An edit of a message the client has not got yet arrives with the message itself.
            Ok(HubEvent::MessageUpdated(message))
                if self.conversation_id == Some(message.conversation_id)
                    && message.seq <= self.delivered.seq() =>
            {
                self.frame(ServerFrame::MessageUpdated { message }).await
            }
            Ok(HubEvent::ConversationUpdated {
                conversation_id,
                title,
            }) if self.conversation_id == Some(conversation_id) => {
                self.frame(ServerFrame::ConversationUpdated {
                    conversation_id,
                    title,
                })
                .await
            }
            Ok(HubEvent::Rebound { visitor_id }) if visitor_id == self.visitor.id => {
                match self.state.store.visitor(visitor_id).await {
                    Ok(Some(visitor))
                        if visitor.person_id == self.visitor.person_id
                            && visitor.sub == self.visitor.sub =>
                    {
                        Flow::Continue
                    }
                    Ok(Some(visitor)) => self.rebind(visitor).await,
                    Ok(None) => self.close(close_code::LOGGED_OUT, "logged out").await,
                    Err(error) => self.internal_error(&error, None).await,
                }
            }
            Ok(HubEvent::Revoked { visitor_id }) if visitor_id == self.visitor.id => {
                self.close(close_code::LOGGED_OUT, "logged out").await
            }
            Ok(HubEvent::Seen {
                conversation_id,
                seq,
            }) if self.conversation_id == Some(conversation_id) => {
                self.frame(ServerFrame::Seen {
                    conversation_id,
                    seq,
                })
                .await
            }
            Ok(HubEvent::Typing {
                conversation_id,
                name,
            }) if self.conversation_id == Some(conversation_id) => {
                self.frame(ServerFrame::Typing { name }).await
            }
            Ok(
                HubEvent::Rebound { .. }
                | HubEvent::Revoked { .. }
                | HubEvent::MessageUpdated(_)
                | HubEvent::ConversationUpdated { .. }
                | HubEvent::Seen { .. }
                | HubEvent::Typing { .. },
            ) => Flow::Continue,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "session lagged; resyncing from the store");
                self.resync().await
            }
            Err(broadcast::error::RecvError::Closed) => Flow::Stop,
        }
    }

    async fn frame(&self, frame: ServerFrame) -> Flow {
        self.send(Outbound::Frame(Box::new(frame))).await
    }

    /// Answers a frame refused by [`parse`] with an `error` frame.
    async fn refuse(&self, refusal: Refusal) -> Flow {
        self.error(refusal.code, refusal.reason, refusal.client_id)
            .await
    }

    async fn error(&self, code: ErrorCode, message: String, client_id: Option<String>) -> Flow {
        self.frame(ServerFrame::Error {
            code,
            message,
            client_id,
            retry_after_ms: None,
        })
        .await
    }

    async fn internal_error(&self, error: &StoreError, client_id: Option<String>) -> Flow {
        tracing::error!(%error, visitor = self.visitor.id, "session store failure");
        self.error(
            ErrorCode::Internal,
            "internal error; please retry".into(),
            client_id,
        )
        .await
    }

    async fn close(&self, code: u16, reason: &'static str) -> Flow {
        let _ = self.outbound.send(Outbound::Close(code, reason)).await;
        Flow::Stop
    }

    async fn send(&self, item: Outbound<ServerFrame>) -> Flow {
        match self.outbound.send(item).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}
