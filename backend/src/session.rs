//! One widget's WebSocket session: a writer that drains an outbound queue into the socket and a
//! reader that handles client frames, hub events and heartbeats, run together under `select!`.
//! Generic over `Sink`/`Stream` so tests drive it with channels.
//!
//! Delivery keeps what the client has of its conversation ([`Delivered`]): a message it has is
//! skipped, one past a gap triggers a resync from the store, so a lagging or reordered feed never
//! loses or repeats a message.

use crate::contact;
use crate::delivered::{Delivered, Verdict};
use crate::hub::{HubEvent, Subscription};
use crate::integrations::Integration;
use crate::page_url;
use crate::ratelimit::Refusal;
use crate::sanitize::sanitize_html;
use crate::state::AppState;
use crate::store::{Appended, Identified, NewMessage, StoreError, TokenRotation, Visitor};
use crate::token;
use crate::visitor_token;
use axum::extract::ws::{CloseFrame, Message as WsMessage};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use protocol::{ClientFrame, ErrorCode, Message, PageInfo, ServerFrame, TextFormat};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Frames queued for the writer before the reader waits for it.
const OUTBOUND_CAPACITY: usize = 64;
/// Longest client-chosen message id.
const MAX_CLIENT_ID_CHARS: usize = 64;
/// Longest page URL and title kept with a message.
const MAX_PAGE_URL_CHARS: usize = 2048;
const MAX_PAGE_TITLE_CHARS: usize = 512;
/// Heartbeat intervals without a word from the peer before it is considered dead.
const SILENT_INTERVALS: u32 = 3;
/// Time the writer gets to flush the last frames after the reader ends.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Close codes sent to the widget.
pub mod close_code {
    /// The server is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer stopped answering heartbeats.
    pub const TIMEOUT: u16 = 4000;
    /// The visitor logged out; the widget starts fresh.
    pub const LOGGED_OUT: u16 = 4001;
}

/// What the client saw last: the server sends exactly the messages after it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Resume {
    pub conversation_id: Option<i64>,
    pub after_seq: Option<i64>,
}

/// What the writer sends. Frames are boxed: the queue allocates its slots up front, and an
/// idle session should not hold room for dozens of full frames.
#[derive(Debug)]
enum Outbound {
    Frame(Box<ServerFrame>),
    Ping,
    Close(u16, &'static str),
}

/// Whether the session goes on.
enum Flow {
    Continue,
    Stop,
}

/// Runs the session until the peer leaves, goes silent, logs out, or the server shuts down.
pub async fn run<S, R, E>(
    sink: S,
    stream: R,
    state: AppState,
    integration: Arc<Integration>,
    visitor: Visitor,
    resume: Resume,
) where
    S: Sink<WsMessage> + Unpin + Send,
    R: Stream<Item = Result<WsMessage, E>> + Unpin + Send,
{
    let _open = crate::telemetry::session_opened();
    let (outbound, queue) = mpsc::channel(OUTBOUND_CAPACITY);
    let mut writer = Box::pin(write(sink, queue));
    let subscription = state.hub.subscribe(visitor.person_id);
    let session = Session {
        state,
        integration,
        visitor,
        subscription,
        conversation_id: None,
        delivered: Delivered::default(),
        outbound,
        new_token: None,
    };
    tokio::select! {
        () = &mut writer => {}
        () = session.read(stream, resume) => {
            // The reader dropped its queue sender: the writer ends once the queue is drained.
            let _ = tokio::time::timeout(FLUSH_TIMEOUT, writer).await;
        }
    }
}

async fn write<S: Sink<WsMessage> + Unpin>(mut sink: S, mut queue: mpsc::Receiver<Outbound>) {
    while let Some(item) = queue.recv().await {
        let message = match item {
            Outbound::Frame(frame) => match serde_json::to_string(&*frame) {
                Ok(json) => WsMessage::text(json),
                Err(error) => {
                    tracing::error!(%error, "cannot serialize a server frame");
                    continue;
                }
            },
            Outbound::Ping => WsMessage::Ping(Default::default()),
            Outbound::Close(code, reason) => {
                let _ = sink
                    .send(WsMessage::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                break;
            }
        };
        if sink.send(message).await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// Completes when the server starts shutting down (or its state is gone).
async fn shutting_down(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

struct Session {
    state: AppState,
    integration: Arc<Integration>,
    visitor: Visitor,
    subscription: Subscription,
    conversation_id: Option<i64>,
    delivered: Delivered,
    outbound: mpsc::Sender<Outbound>,
    /// The visitor token identification just issued, for the `identified` frame.
    new_token: Option<String>,
}

impl Session {
    async fn read<R, E>(mut self, mut stream: R, resume: Resume)
    where
        R: Stream<Item = Result<WsMessage, E>> + Unpin,
    {
        if let Err(error) = self.welcome(resume).await {
            self.internal_error(&error, None).await;
            return;
        }
        let interval = Duration::from_secs(self.state.limits.heartbeat_secs.max(1));
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        let mut shutdown = self.state.shutdown.clone();
        let mut last_heard = Instant::now();
        loop {
            let flow = tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(message)) => {
                        last_heard = Instant::now();
                        self.incoming(message).await
                    }
                    Some(Err(_)) | None => Flow::Stop,
                },
                event = self.subscription.receiver.recv() => {
                    self.event(event.map(Arc::unwrap_or_clone)).await
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > interval * SILENT_INTERVALS {
                        self.close(close_code::TIMEOUT, "no heartbeat").await
                    } else {
                        self.send(Outbound::Ping).await
                    }
                }
                () = shutting_down(&mut shutdown) => {
                    self.close(close_code::GOING_AWAY, "server shutting down").await
                }
            };
            if matches!(flow, Flow::Stop) {
                return;
            }
        }
    }

    async fn welcome(&mut self, resume: Resume) -> Result<(), StoreError> {
        let store = &self.state.store;
        let conversation_id = store.conversation_of(self.visitor.person_id).await?;
        let (messages, reset) = match conversation_id {
            Some(id) if resume.conversation_id == Some(id) => {
                let after = resume.after_seq.unwrap_or(0);
                self.delivered.reset(after);
                (store.messages_after(id, after).await?, false)
            }
            Some(id) => (store.messages_after(id, 0).await?, true),
            None => (Vec::new(), true),
        };
        self.conversation_id = conversation_id;
        if let Some(last) = messages.last() {
            self.delivered.reset(last.seq);
        }
        self.frame(ServerFrame::Welcome {
            visitor_id: self.visitor.id,
            conversation_id,
            sub: self.visitor.sub.clone(),
            contact: self.visitor.contact.clone(),
            messages,
            reset,
            max_message_bytes: self.state.limits.max_message_bytes,
        })
        .await;
        Ok(())
    }

    /// Every client frame, whatever its type and even if it does not parse, counts against the
    /// visitor's frame limit; `send`, `set_contact` and `identify` also against their own.
    async fn incoming(&mut self, message: WsMessage) -> Flow {
        let text = match message {
            WsMessage::Text(text) => Some(text),
            WsMessage::Binary(_) => None,
            // Answered by the WebSocket library, which keeps at most one pong pending: a ping
            // flood costs no more than reading it.
            WsMessage::Ping(_) | WsMessage::Pong(_) => return Flow::Continue,
            WsMessage::Close(_) => return Flow::Stop,
        };
        let frame = text.map(|text| serde_json::from_str::<ClientFrame>(text.as_str()));
        let client_id = match &frame {
            Some(Ok(ClientFrame::Send { client_id, .. })) => Some(client_id.clone()),
            _ => None,
        };
        let limits = &self.state.rate_limits;
        let mut checked = limits.frames.check(&self.visitor.id);
        if let Some(Ok(ClientFrame::SetContact { .. } | ClientFrame::Identify { .. })) = &frame {
            checked = checked.and_then(|()| limits.changes.check(&self.visitor.id));
        }
        if let Err(refusal) = checked {
            return self.rate_limited(refusal, client_id).await;
        }
        let frame = match frame {
            Some(Ok(frame)) => frame,
            None => {
                return self
                    .error(
                        ErrorCode::BadFrame,
                        "frames are JSON text, not binary".into(),
                        None,
                    )
                    .await;
            }
            Some(Err(error)) => {
                return self
                    .error(
                        ErrorCode::BadFrame,
                        format!("not a valid frame: {error}"),
                        None,
                    )
                    .await;
            }
        };
        match frame {
            ClientFrame::Send {
                client_id,
                text,
                text_format,
                page,
            } => self.send_message(client_id, text, text_format, page).await,
            ClientFrame::SetContact { contact } => self.set_contact(contact).await,
            ClientFrame::Identify { token } => self.identify(&token).await,
            ClientFrame::Ping => self.frame(ServerFrame::Pong).await,
        }
    }

    /// The one way a session refuses a frame over a rate limit.
    async fn rate_limited(&self, refusal: Refusal, client_id: Option<String>) -> Flow {
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

    async fn send_message(
        &mut self,
        client_id: String,
        text: String,
        text_format: TextFormat,
        page: Option<PageInfo>,
    ) -> Flow {
        let started = crate::telemetry::send_started();
        let limits = self.state.limits;
        if client_id.is_empty() || client_id.chars().count() > MAX_CLIENT_ID_CHARS {
            let reason = format!("client_id must be 1 to {MAX_CLIENT_ID_CHARS} characters");
            return self
                .error(ErrorCode::BadFrame, reason, Some(client_id))
                .await;
        }
        if text.len() > limits.max_message_bytes {
            let reason = format!(
                "message is {} bytes; the limit is {} bytes",
                text.len(),
                limits.max_message_bytes
            );
            return self
                .error(ErrorCode::MessageTooLarge, reason, Some(client_id))
                .await;
        }
        if let Err(refusal) = self.state.rate_limits.messages.check(&self.visitor.id) {
            return self.rate_limited(refusal, Some(client_id)).await;
        }
        let text = match text_format {
            TextFormat::Html => sanitize_html(&text),
            TextFormat::Plain => text,
        };
        if text.trim().is_empty() {
            let reason = "message is empty (after removing disallowed HTML)".to_owned();
            return self
                .error(ErrorCode::EmptyMessage, reason, Some(client_id))
                .await;
        }
        let page = page.map(|page| PageInfo {
            url: page_url::for_operators(&page.url, self.integration.page_query)
                .chars()
                .take(MAX_PAGE_URL_CHARS)
                .collect(),
            title: page.title.chars().take(MAX_PAGE_TITLE_CHARS).collect(),
        });
        let new = NewMessage {
            client_id: client_id.clone(),
            text,
            text_format,
            page,
        };
        match self
            .state
            .store
            .append_visitor_message(&self.visitor, new, self.integration.bridge())
            .await
        {
            Ok(appended) => {
                let message = appended.message().clone();
                if let Appended::Created(created) = appended {
                    crate::telemetry::visitor_message_stored(started);
                    self.delivered.acked(created.seq);
                    self.state
                        .hub
                        .publish(self.visitor.person_id, HubEvent::Message(created));
                }
                self.frame(ServerFrame::Ack { client_id, message }).await
            }
            Err(error) => self.internal_error(&error, Some(client_id)).await,
        }
    }

    async fn set_contact(&mut self, contact: protocol::ContactInfo) -> Flow {
        let contact = match contact::validate(contact) {
            Ok(contact) => contact,
            Err(error) => {
                return self
                    .error(ErrorCode::InvalidContact, error.to_string(), None)
                    .await;
            }
        };
        match self
            .state
            .store
            .set_contact(self.visitor.person_id, &contact, self.integration.bridge())
            .await
        {
            Ok(()) => {
                self.visitor.contact = contact.clone();
                self.frame(ServerFrame::Contact { contact }).await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    async fn identify(&mut self, token: &str) -> Flow {
        let now = u64::try_from(crate::store::now_ms() / 1000).unwrap_or_default();
        let policy = self
            .integration
            .token_policy(self.state.limits.max_token_bytes);
        let key = match token::verify(token, &policy, now) {
            Ok(key) => key,
            Err(error) => {
                crate::telemetry::token_rejected(error.reason());
                return self
                    .error(ErrorCode::TokenRejected, error.to_string(), None)
                    .await;
            }
        };
        let previous_person = self.visitor.person_id;
        let bridge = self.integration.bridge();
        let new_token = visitor_token::random_token();
        match self
            .state
            .store
            .identify(
                self.visitor.id,
                &key.sub,
                &visitor_token::hash(&new_token),
                bridge,
            )
            .await
        {
            Ok(Identified { visitor, token }) => {
                // Only this session learns the new token; the browser's other tabs read it
                // from the storage they share when they reconnect.
                self.new_token = (token == TokenRotation::Replaced).then_some(new_token);
                // Other tabs of this visitor follow.
                self.state.hub.publish(
                    previous_person,
                    HubEvent::Rebound {
                        visitor_id: self.visitor.id,
                    },
                );
                self.rebind(visitor).await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    /// Switches the session to `visitor`'s person and sends its whole history.
    async fn rebind(&mut self, visitor: Visitor) -> Flow {
        if visitor.person_id != self.visitor.person_id {
            self.subscription = self.state.hub.subscribe(visitor.person_id);
        }
        self.visitor = visitor;
        let history = async {
            let store = &self.state.store;
            let conversation_id = store.conversation_of(self.visitor.person_id).await?;
            let messages = match conversation_id {
                Some(id) => store.messages_after(id, 0).await?,
                None => Vec::new(),
            };
            Ok::<_, StoreError>((conversation_id, messages))
        };
        let (conversation_id, messages) = match history.await {
            Ok(history) => history,
            Err(error) => return self.internal_error(&error, None).await,
        };
        self.conversation_id = conversation_id;
        self.delivered.reset(messages.last().map_or(0, |m| m.seq));
        let visitor_token = self.new_token.take();
        self.frame(ServerFrame::Identified {
            sub: self.visitor.sub.clone().unwrap_or_default(),
            conversation_id,
            contact: self.visitor.contact.clone(),
            messages,
            visitor_token,
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
            Ok(
                HubEvent::Rebound { .. }
                | HubEvent::Revoked { .. }
                | HubEvent::MessageUpdated(_)
                | HubEvent::ConversationUpdated { .. },
            ) => Flow::Continue,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "session lagged; resyncing from the store");
                self.resync().await
            }
            Err(broadcast::error::RecvError::Closed) => Flow::Stop,
        }
    }

    /// Sends what the client lacks of `messages`; a gap is filled from the store.
    async fn deliver(&mut self, messages: Vec<Message>) -> Flow {
        for message in messages {
            match self.conversation_id {
                None => self.conversation_id = Some(message.conversation_id),
                Some(id) if id != message.conversation_id => continue,
                Some(_) => {}
            }
            match self.delivered.offer(message.seq) {
                Verdict::Skip => continue,
                Verdict::Gap => return self.resync().await,
                Verdict::Send => {}
            }
            if let Flow::Stop = self.frame(ServerFrame::Message { message }).await {
                return Flow::Stop;
            }
        }
        Flow::Continue
    }

    async fn resync(&mut self) -> Flow {
        let store = &self.state.store;
        let conversation_id = match self.conversation_id {
            Some(id) => Ok(Some(id)),
            None => store.conversation_of(self.visitor.person_id).await,
        };
        let missing = match conversation_id {
            Ok(Some(id)) => {
                self.conversation_id = Some(id);
                store.messages_after(id, self.delivered.seq()).await
            }
            Ok(None) => Ok(Vec::new()),
            Err(error) => Err(error),
        };
        match missing {
            // Straight from the store: contiguous, so no further resync.
            Ok(missing) => Box::pin(self.deliver(missing)).await,
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    async fn frame(&self, frame: ServerFrame) -> Flow {
        self.send(Outbound::Frame(Box::new(frame))).await
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

    async fn send(&self, item: Outbound) -> Flow {
        match self.outbound.send(item).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}
