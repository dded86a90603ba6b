//! `GET /api/v1/operator/ws`: an operator's live socket. It hears every conversation of the
//! operator's integrations through the operator hub and turns each event into
//! `OperatorEvent`s: the event itself, or for a conversation's summary (which the hub reads for
//! all the sockets after the events that changed it, see [`crate::live::summaries`]) the
//! summary as this operator sees it and the inbox counts. Counting reads an index entry per
//! open conversation of the integrations, so the counts go out when the socket opens, at once
//! after a quiet spell, and otherwise at the server's count ticks, with every change in
//! between ([`CountsPace`]). It takes `typing` (for the visitor and the other
//! operators, throttled) and `ping` frames. While it is open its operator is online for the
//! others ([`crate::live::presence`]).
//!
//! Authenticated at the handshake like the routes (the cookie with a same-origin `Origin`, or a
//! `bearer.TOKEN` subprotocol, see [`OperatorSession::of_socket`]); it ends when the session
//! does (checked at every heartbeat), when the peer goes silent, or at shutdown. Its frames are
//! bounded like a widget's, and it shares the widget socket's writer and heartbeat. One account
//! holds at most `operators.max_sockets_per_account` open: the next handshake is refused with
//! 429 `too_many_sockets` rather than closing an older one, which a console tab still in use
//! may be.

use super::OperatorSession;
use super::auth::SOCKET_PROTOCOL;
use super::error::OperatorApiError;
use crate::api::chat::SocketBuffers;
use crate::desk::Tally;
use crate::live::counts_pace::CountsPace;
use crate::live::hub::HubEvent;
use crate::live::operators::{Heard, InboxEvent, OperatorHub};
use crate::live::socket::heartbeat::{Beat, Heartbeat};
use crate::live::socket::typing::TypingThrottle;
use crate::live::socket::writer::{OUTBOUND_CAPACITY, Outbound, Peer, write};
use crate::live::socket::{drive, shutting_down};
use crate::net::listener::ConnectionSlot;
use crate::net::slots::Slot;
use crate::state::AppState;
use crate::store::StoreResult;
use axum::extract::ws::Message as WsMessage;
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::stream::{BoxStream, SelectAll};
use futures_util::{Sink, Stream, StreamExt};
use protocol::close_code;
use protocol::operator::{Assignee, InboxCounts, OperatorClientFrame, OperatorEvent};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the operator hub says, from all the operator's integrations at once.
type InboxEvents = SelectAll<BoxStream<'static, Result<Arc<Heard>, RecvError>>>;

/// `GET /api/v1/operator/ws`.
pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    connection: Option<Extension<ConnectionSlot>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, OperatorApiError> {
    let session = OperatorSession::of_socket(&headers, &state).await?;
    let socket_slot = state
        .operator_sockets
        .take(session.account_id)
        .map_err(|full| OperatorApiError::TooManySockets { max: full.max })?;
    Ok(SocketBuffers::for_limits(&state.limits)
        .apply(upgrade)
        .protocols([SOCKET_PROTOCOL])
        .on_upgrade(move |socket| async move {
            let _held = connection;
            let (sink, stream) = socket.split();
            run(sink, stream, state, session, socket_slot).await;
        }))
}

/// Runs the socket until the peer leaves, goes silent, its session ends, or the server shuts
/// down.
async fn run<S, R, E>(
    sink: S,
    stream: R,
    state: AppState,
    session: OperatorSession,
    slot: Slot<i64>,
) where
    S: Sink<WsMessage> + Unpin + Send,
    S::Error: std::fmt::Display,
    R: Stream<Item = Result<WsMessage, E>> + Unpin + Send,
{
    let (outbound, queue) = mpsc::channel(OUTBOUND_CAPACITY);
    let writer = write(sink, queue, Peer::Operator(session.account_id));
    let events = inbox_events(&state.operator_hub, &session.integrations);
    // Subscribed first: an operator arriving meanwhile is either listed or heard.
    let me = Assignee {
        id: session.account_id,
        name: session.name.clone(),
    };
    let (_attendance, colleagues) =
        state
            .presence
            .arrive(&state.operator_hub, me, &session.integrations);
    // Declared after the attendance, so dropped before it: the socket's place is free again by
    // the time the others hear its operator leave.
    let _slot = slot;
    let counts = CountsPace::new(state.operator_hub.tallies().ticks());
    let socket = Socket {
        state,
        session,
        outbound,
        typing: TypingThrottle::default(),
        counts,
    };
    drive(writer, socket.read(stream, events, colleagues)).await;
}

/// Waits until `due` (the loop polls it only when there is one).
async fn sleep_until_due(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

/// One subscription per integration, merged.
fn inbox_events(hub: &Arc<OperatorHub>, integrations: &[String]) -> InboxEvents {
    futures_util::stream::select_all(integrations.iter().map(|integration_id| {
        let subscription = hub.subscribe(integration_id.clone());
        futures_util::stream::unfold(subscription, |mut subscription| async move {
            match subscription.receiver.recv().await {
                Err(RecvError::Closed) => None,
                heard => Some((heard, subscription)),
            }
        })
        .boxed()
    }))
}

/// Whether the socket goes on.
enum Flow {
    Continue,
    Stop,
}

struct Socket {
    state: AppState,
    session: OperatorSession,
    outbound: mpsc::Sender<Outbound<OperatorEvent>>,
    typing: TypingThrottle,
    counts: CountsPace,
}

impl Socket {
    async fn read<R, E>(mut self, mut stream: R, mut events: InboxEvents, online: Vec<Assignee>)
    where
        R: Stream<Item = Result<WsMessage, E>> + Unpin,
    {
        if let Flow::Stop = self.counts(false).await {
            return;
        }
        for operator in online {
            let event = OperatorEvent::Presence {
                operator,
                online: true,
            };
            if let Flow::Stop = self.event_frame(event).await {
                return;
            }
        }
        let mut heartbeat = Heartbeat::every(self.state.limits.heartbeat_secs);
        let mut shutdown = self.state.shutdown.clone();
        loop {
            let counts_due = self.counts.due;
            let flow = tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(message)) => {
                        heartbeat.heard();
                        self.incoming(message).await
                    }
                    Some(Err(_)) | None => Flow::Stop,
                },
                Some(event) = events.next() => self.event(event).await,
                () = sleep_until_due(counts_due), if counts_due.is_some() => self.counts(true).await,
                beat = heartbeat.beat() => match beat {
                    Beat::Silent => self.close(close_code::TIMEOUT, "no heartbeat").await,
                    Beat::Ping => self.beat().await,
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

    /// A heartbeat: the session must still be open (logged out or expired ends the socket).
    async fn beat(&self) -> Flow {
        match self.session.is_open(&self.state).await {
            Ok(false) => self.close(close_code::LOGGED_OUT, "logged out").await,
            Ok(true) => self.send(Outbound::Ping).await,
            Err(error) => {
                // The store will answer again; the socket need not end for it.
                tracing::warn!(%error, account = self.session.account_id, "session check failed");
                self.send(Outbound::Ping).await
            }
        }
    }

    /// A client frame, counted against the account's frame limit whatever it is. Frames over
    /// the limit and frames that do not parse are dropped: neither is ever stored.
    async fn incoming(&mut self, message: WsMessage) -> Flow {
        let frame = match message {
            WsMessage::Text(text) => serde_json::from_str::<OperatorClientFrame>(text.as_str())
                .map_err(|error| error.to_string()),
            WsMessage::Binary(_) => Err("frames are JSON text, not binary".to_owned()),
            WsMessage::Ping(_) | WsMessage::Pong(_) => return Flow::Continue,
            WsMessage::Close(_) => return Flow::Stop,
        };
        let account = self.session.account_id;
        if let Err(refusal) = self.state.rate_limits.operator_frames.check(&account) {
            tracing::debug!(account, %refusal, "operator frame refused");
            crate::telemetry::rate_limited(refusal.limit.name());
            return Flow::Continue;
        }
        match frame {
            Ok(OperatorClientFrame::Ping) => self.event_frame(OperatorEvent::Pong).await,
            Ok(OperatorClientFrame::Typing { conversation_id }) => {
                self.typing(conversation_id).await
            }
            Err(reason) => {
                tracing::debug!(account, reason, "operator frame not understood");
                Flow::Continue
            }
        }
    }

    /// `typing`: the visitor sees the operator's name typing, the other operators too; at
    /// most once per throttle interval, and only in a conversation the operator sees.
    async fn typing(&mut self, conversation_id: i64) -> Flow {
        if !self.typing.admits(Instant::now()) {
            return Flow::Continue;
        }
        let account_id = self.session.account_id;
        match self
            .state
            .store
            .conversation_address(account_id, conversation_id)
            .await
        {
            Ok(Some(conversation)) => {
                let name = self.session.name.clone();
                self.state.hub.publish(
                    &conversation.person_id,
                    HubEvent::Typing {
                        conversation_id,
                        name: name.clone(),
                    },
                );
                self.state.operator_hub.publish(
                    &conversation.integration_id,
                    InboxEvent::Typing {
                        conversation_id,
                        operator: Some(Assignee {
                            id: account_id,
                            name,
                        }),
                    },
                );
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, account_id, "typing not passed on"),
        }
        Flow::Continue
    }

    /// An event of the operator's integrations, as this operator sees it.
    async fn event(&mut self, heard: Result<Arc<Heard>, RecvError>) -> Flow {
        let heard = match heard {
            Ok(heard) => heard,
            Err(RecvError::Lagged(missed)) => {
                // The summaries it missed come with the next change of each conversation;
                // the counts are right again at once.
                tracing::debug!(missed, "operator socket lagged");
                return self.counts_changed(Instant::now()).await;
            }
            Err(RecvError::Closed) => return Flow::Continue,
        };
        let event = &heard.event;
        let me = self.session.account_id;
        // An operator's own typing and arrival are news to the others only.
        if let InboxEvent::Typing {
            operator: Some(operator),
            ..
        }
        | InboxEvent::Presence { operator, .. } = event
            && operator.id == me
        {
            return Flow::Continue;
        }
        if let InboxEvent::Summary { summary, audience } = event {
            if !audience.includes(me) {
                return Flow::Continue;
            }
            let sent = match heard.frame() {
                Some(frame) if !summary.is_read_by(me) => {
                    self.send(Outbound::Serialized(frame.clone())).await
                }
                _ => {
                    let conversation = summary.for_account(me);
                    self.event_frame(OperatorEvent::Conversation { conversation })
                        .await
                }
            };
            if let Flow::Stop = sent {
                return Flow::Stop;
            }
            return self.counts_changed(heard.at()).await;
        }
        match heard.frame() {
            Some(frame) => self.send(Outbound::Serialized(frame.clone())).await,
            None => Flow::Continue,
        }
    }

    /// The counts changed: sent now, or at the next tick.
    async fn counts_changed(&mut self, at: Instant) -> Flow {
        if self.counts.changed(at, Instant::now()) {
            self.counts(false).await
        } else {
            Flow::Continue
        }
    }

    /// The unread counts of the operator's views: sent when the socket opens, and after
    /// changes, at once or `paced` at a tick.
    async fn counts(&mut self, paced: bool) -> Flow {
        let now = Instant::now();
        let not_before = self.counts.not_before(now, paced);
        let counted = self.read_counts(not_before).await;
        match counted {
            Ok((counts, counted)) => {
                self.counts.sent(now, Some(counted));
                self.event_frame(OperatorEvent::Counts { counts }).await
            }
            Err(error) => {
                self.counts.sent(now, None);
                tracing::warn!(%error, account = self.session.account_id, "counts not sent");
                Flow::Continue
            }
        }
    }

    /// The counts from each integration's tally read at `not_before` or later (shared with
    /// the integration's other sockets) less what this account has read to the end, with
    /// when the earliest of those tallies started to be read.
    async fn read_counts(&self, not_before: Instant) -> StoreResult<(InboxCounts, Instant)> {
        let store = &self.state.store;
        let integrations = &self.session.integrations;
        let mut tallies = Vec::with_capacity(integrations.len());
        let mut counted: Option<Instant> = None;
        for integration_id in integrations {
            let tally = self
                .state
                .operator_hub
                .tallies()
                .get(integration_id, not_before, || {
                    store.unread_tally(integration_id)
                });
            let (tally, started) = tally.await?;
            counted = Some(counted.map_or(started, |earliest| earliest.min(started)));
            tallies.push(tally);
        }
        let account_id = self.session.account_id;
        let read_through = store.read_through(account_id, integrations).await?;
        let counts = Tally::counts(account_id, &tallies, &read_through);
        Ok((counts, counted.unwrap_or(not_before)))
    }

    async fn event_frame(&self, event: OperatorEvent) -> Flow {
        self.send(Outbound::Frame(Box::new(event))).await
    }

    async fn close(&self, code: u16, reason: &'static str) -> Flow {
        let _ = self.outbound.send(Outbound::Close(code, reason)).await;
        Flow::Stop
    }

    async fn send(&self, item: Outbound<OperatorEvent>) -> Flow {
        match self.outbound.send(item).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}
