//! One widget's WebSocket session: a writer that drains an outbound queue into the socket and a
//! reader that handles client frames, hub events and heartbeats, run together under `select!`.
//! Generic over `Sink`/`Stream` so tests drive it with channels.
//!
//! Delivery keeps what the client has of its conversation ([`Delivered`]): a message it has is
//! skipped, one past a gap triggers a resync from the store, so a lagging or reordered feed never
//! loses or repeats a message.
//!
//! History goes out in pages ([`crate::live::history`]): a welcome carries the newest page, or on a
//! resume the messages the client lacks when they fit one page; a client pages further back with
//! `history` frames. Every frame thus stays within the socket's limits however long the
//! conversation.

use crate::auth::matching_key;
use crate::auth::visitor_token;
use crate::config::integrations::Integration;
use crate::content::contact;
use crate::content::page_url;
use crate::content::sanitize::sanitize_html;
use crate::live::delivered::{Delivered, Verdict};
use crate::live::history::{self, Older, Page, PageBudget};
use crate::live::hub::{HubEvent, Subscription};
use crate::net::ratelimit::Refusal;
use crate::state::AppState;
use crate::store::{Appended, Identified, NewMessage, StoreError, TokenRotation, Visitor};
use axum::extract::ws::{CloseFrame, Message as WsMessage};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use protocol::{ClientFrame, ErrorCode, Message, PageInfo, ServerFrame, TextFormat, close_code};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

/// Rows to read for a page of `messages`: one more tells whether there are more.
fn rows_for(messages: usize) -> i64 {
    i64::try_from(messages).unwrap_or(i64::MAX - 1) + 1
}

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
    S::Error: std::fmt::Display,
    R: Stream<Item = Result<WsMessage, E>> + Unpin + Send,
{
    let _open = crate::telemetry::session_opened();
    let (outbound, queue) = mpsc::channel(OUTBOUND_CAPACITY);
    let mut writer = Box::pin(write(sink, queue, visitor.id));
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

/// Drains `queue` into `sink`. A send that fails ends the session (the socket is of no more
/// use) and is logged with its reason: a peer gone, or a frame the socket's limits refuse.
async fn write<S>(mut sink: S, mut queue: mpsc::Receiver<Outbound>, visitor: i64)
where
    S: Sink<WsMessage> + Unpin,
    S::Error: std::fmt::Display,
{
    while let Some(item) = queue.recv().await {
        let (message, bytes) = match item {
            Outbound::Frame(frame) => match serde_json::to_string(&*frame) {
                Ok(json) => {
                    let bytes = json.len();
                    (WsMessage::text(json), bytes)
                }
                Err(error) => {
                    tracing::error!(%error, visitor, "cannot serialize a server frame");
                    continue;
                }
            },
            Outbound::Ping => (WsMessage::Ping(Default::default()), 0),
            Outbound::Close(code, reason) => {
                let close = WsMessage::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }));
                if let Err(error) = sink.send(close).await {
                    tracing::warn!(%error, visitor, code, "cannot send the close frame");
                }
                break;
            }
        };
        if let Err(error) = sink.send(message).await {
            tracing::warn!(%error, visitor, bytes, "cannot send a frame; ending the session");
            break;
        }
    }
    if let Err(error) = sink.close().await {
        tracing::debug!(%error, visitor, "closing the socket failed");
    }
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
        let (page, reset) = match conversation_id {
            Some(id) if resume.conversation_id == Some(id) => {
                self.catch_up(id, resume.after_seq.unwrap_or(0)).await?
            }
            Some(id) => (self.newest_page(id).await?, true),
            None => (Page::default(), true),
        };
        self.conversation_id = conversation_id;
        if let Some(last) = page.messages.last() {
            self.delivered.reset(last.seq);
        }
        self.frame(ServerFrame::Welcome {
            visitor_id: self.visitor.id,
            conversation_id,
            sub: self.visitor.sub.clone(),
            contact: self.visitor.contact.clone(),
            messages: page.messages,
            reset,
            max_message_bytes: self.state.limits.max_message_bytes,
            has_older: page.has_older,
        })
        .await;
        Ok(())
    }

    /// What a client holding every message up to `after` gets, and whether it replaces what
    /// the client holds: the messages after `after` when they fit one page; otherwise the
    /// newest page, as for a new client. Catching up page by page would send a long absence
    /// as a burst of pages the visitor mostly never scrolls to; the newest page is bounded,
    /// and what lies between is older history, fetched on demand like any.
    async fn catch_up(&mut self, id: i64, after: i64) -> Result<(Page, bool), StoreError> {
        self.delivered.reset(after);
        let budget = self.budget();
        let rows = self
            .state
            .store
            .messages_after(id, after, rows_for(budget.messages))
            .await?;
        let older = Older::from_rows(rows.len(), budget.messages);
        let missing = Page::newest(rows, budget.messages, &budget, older, self.cut_marker());
        if missing.has_older {
            Ok((self.newest_page(id).await?, true))
        } else {
            // Older messages the client holds already, or fetches with `history` frames.
            Ok((missing, false))
        }
    }

    /// The newest page of conversation `id`.
    async fn newest_page(&self, id: i64) -> Result<Page, StoreError> {
        self.page_before(id, i64::MAX, self.budget().messages).await
    }

    /// At most `messages` of conversation `id` just before `before_seq`, as fit one page.
    async fn page_before(
        &self,
        id: i64,
        before_seq: i64,
        messages: usize,
    ) -> Result<Page, StoreError> {
        let rows = self
            .state
            .store
            .messages_before(id, before_seq, rows_for(messages))
            .await?;
        let older = Older::from_rows(rows.len(), messages);
        Ok(Page::newest(
            rows,
            messages,
            &self.budget(),
            older,
            self.cut_marker(),
        ))
    }

    /// `history`: the page before `before_seq`. Pages reach no further forward than what the
    /// client was delivered; newer messages come in order as ever.
    async fn history(&mut self, before_seq: i64, limit: i64) -> Flow {
        let conversation_id = match self.conversation().await {
            Ok(Some(id)) => id,
            Ok(None) => {
                let reason = "there is no conversation yet, so no history to page".to_owned();
                return self.error(ErrorCode::BadFrame, reason, None).await;
            }
            Err(error) => return self.internal_error(&error, None).await,
        };
        let messages = self.budget().messages_for(limit);
        let before = before_seq.min(self.delivered.seq().saturating_add(1));
        match self.page_before(conversation_id, before, messages).await {
            Ok(page) => {
                self.frame(ServerFrame::History {
                    conversation_id,
                    before_seq,
                    messages: page.messages,
                    has_older: page.has_older,
                })
                .await
            }
            Err(error) => self.internal_error(&error, None).await,
        }
    }

    fn budget(&self) -> PageBudget {
        PageBudget::for_limits(&self.state.limits)
    }

    /// What ends a stored message cut to fit a page, in the integration's language.
    fn cut_marker(&self) -> &'static str {
        history::cut_marker(&self.integration.params.language_code)
    }

    /// The session's conversation, looked up once the visitor has one.
    async fn conversation(&mut self) -> Result<Option<i64>, StoreError> {
        if self.conversation_id.is_none() {
            self.conversation_id = self
                .state
                .store
                .conversation_of(self.visitor.person_id)
                .await?;
        }
        Ok(self.conversation_id)
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
            ClientFrame::History { before_seq, limit } => self.history(before_seq, limit).await,
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
        let key = match matching_key::verify(token, &policy, now) {
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

    /// Switches the session to `visitor`'s person and sends the newest page of its history.
    async fn rebind(&mut self, visitor: Visitor) -> Flow {
        if visitor.person_id != self.visitor.person_id {
            self.subscription = self.state.hub.subscribe(visitor.person_id);
        }
        self.visitor = visitor;
        let history = async {
            let store = &self.state.store;
            let conversation_id = store.conversation_of(self.visitor.person_id).await?;
            let page = match conversation_id {
                Some(id) => self.newest_page(id).await?,
                None => Page::default(),
            };
            Ok::<_, StoreError>((conversation_id, page))
        };
        let (conversation_id, page) = match history.await {
            Ok(history) => history,
            Err(error) => return self.internal_error(&error, None).await,
        };
        self.conversation_id = conversation_id;
        self.delivered
            .reset(page.messages.last().map_or(0, |m| m.seq));
        let visitor_token = self.new_token.take();
        self.frame(ServerFrame::Identified {
            sub: self.visitor.sub.clone().unwrap_or_default(),
            conversation_id,
            contact: self.visitor.contact.clone(),
            messages: page.messages,
            has_older: page.has_older,
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

    /// Sends what the client lacks from the store, a page's worth of rows at a time: never
    /// more in memory than a page, each message cut to fit a frame, the writer's queue pacing
    /// the pages.
    async fn resync(&mut self) -> Flow {
        let id = match self.conversation().await {
            Ok(Some(id)) => id,
            Ok(None) => return Flow::Continue,
            Err(error) => return self.internal_error(&error, None).await,
        };
        let budget = self.budget();
        let marker = self.cut_marker();
        loop {
            let from = self.delivered.seq();
            let rows = self
                .state
                .store
                .messages_after(id, from, rows_for(budget.messages))
                .await;
            let rows = match rows {
                Ok(rows) => rows,
                Err(error) => return self.internal_error(&error, None).await,
            };
            let more = rows.len() > budget.messages;
            let missing = rows
                .into_iter()
                .map(|message| history::fitted(message, budget.bytes, marker))
                .collect();
            // Straight from the store: contiguous, so no further resync.
            if let Flow::Stop = Box::pin(self.deliver(missing)).await {
                return Flow::Stop;
            }
            if !more || self.delivered.seq() == from {
                return Flow::Continue;
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::Mutex;
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
        write(Refusing, queue, 7).await;
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("WARN"), "{log}");
        assert!(log.contains("cannot send a frame"), "{log}");
        assert!(log.contains("Space limit exceeded"), "{log}");
        assert!(
            log.contains("visitor=7") && log.contains("bytes=15"),
            "{log}"
        );
    }
}
