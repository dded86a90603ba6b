//! `GET /api/v1/operator/ws`: an operator's live socket. It hears every conversation of the
//! operator's integrations through the operator hub and turns each event into
//! `OperatorEvent`s: the event itself, or for a conversation's summary (which the hub reads for
//! all the sockets after the events that changed it, see [`crate::live::summaries`]) the
//! summary as this operator sees it and the inbox counts. Counting reads an index entry per
//! open conversation of the integrations, so the counts go out when the socket opens, at once
//! after a quiet spell, and otherwise at the server's count ticks, with every change in
//! between ([`CountsPace`]). The counts are read beside the socket's loop, one read at a time:
//! events keep going out while the store answers. It takes `typing` (for the visitor and the
//! other operators, throttled) and `ping` frames. While it is open its operator is online for the
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
use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, SelectAll};
use futures_util::{FutureExt, Sink, Stream, StreamExt};
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
        counts_wanted: false,
    };
    drive(writer, socket.read(stream, events, colleagues)).await;
}

/// Waits until `due` (the loop polls it only when there is one).
async fn sleep_until_due(due: Option<Instant>) {
    if let Some(due) = due {
        tokio::time::sleep_until(due).await;
    }
}

/// Waits for the counts being read (the loop polls it only when there is a read under way).
async fn until_counted(counting: &mut Option<Counting>) -> (Instant, StoreResult<Counted>) {
    match counting {
        Some(counting) => (counting.started, (&mut counting.read).await),
        None => std::future::pending().await,
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

/// The counts of the operator's views, with when the earliest tally they came from started to
/// be read.
type Counted = (InboxCounts, Instant);

/// A read of the counts under way, started at `started`.
struct Counting {
    started: Instant,
    read: BoxFuture<'static, StoreResult<Counted>>,
}

struct Socket {
    state: AppState,
    session: OperatorSession,
    outbound: mpsc::Sender<Outbound<OperatorEvent>>,
    typing: TypingThrottle,
    counts: CountsPace,
    /// A change asks for the counts at once: read unless a read is under way, which counts
    /// the change or leaves the counts due at the next tick ([`CountsPace::sent`]).
    counts_wanted: bool,
}

impl Socket {
    async fn read<R, E>(mut self, mut stream: R, mut events: InboxEvents, online: Vec<Assignee>)
    where
        R: Stream<Item = Result<WsMessage, E>> + Unpin,
    {
        let opening = self.count(false);
        let counted = opening.read.await;
        if let Flow::Stop = self.counted(opening.started, counted).await {
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
        // One read of the counts at a time, kept here: the future is `Send` but not `Sync`.
        let mut counting: Option<Counting> = None;
        loop {
            if std::mem::take(&mut self.counts_wanted) && counting.is_none() {
                counting = Some(self.count(false));
            }
            let counts_due = self.counts.due.filter(|_| counting.is_none());
            let flow = tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(message)) => {
                        heartbeat.heard();
                        self.incoming(message).await
                    }
                    Some(Err(_)) | None => Flow::Stop,
                },
                Some(event) = events.next() => self.event(event).await,
                (started, counted) = until_counted(&mut counting) => {
                    counting = None;
                    self.counted(started, counted).await
                }
                () = sleep_until_due(counts_due), if counts_due.is_some() => {
                    counting = Some(self.count(true));
                    Flow::Continue
                }
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
                // the counts are read again at once (or by the read under way).
                tracing::debug!(missed, "operator socket lagged");
                self.counts_changed(Instant::now());
                return Flow::Continue;
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
            self.counts_changed(heard.at());
            return sent;
        }
        match heard.frame() {
            Some(frame) => self.send(Outbound::Serialized(frame.clone())).await,
            None => Flow::Continue,
        }
    }

    /// The counts changed: read now, or at the next tick.
    fn counts_changed(&mut self, at: Instant) {
        if self.counts.changed(at, Instant::now()) {
            self.counts_wanted = true;
        }
    }

    /// A read of the unread counts of the operator's views: when the socket opens, and after
    /// changes, at once or `paced` at a tick.
    fn count(&self, paced: bool) -> Counting {
        let started = Instant::now();
        let not_before = self.counts.not_before(started, paced);
        let state = self.state.clone();
        let account_id = self.session.account_id;
        let integrations = self.session.integrations.clone();
        let read = async move { read_counts(&state, account_id, &integrations, not_before).await };
        Counting {
            started,
            read: read.boxed(),
        }
    }

    /// The counts read at `started`: sent, or, if they could not be read, tried again at the
    /// next tick.
    async fn counted(&mut self, started: Instant, counted: StoreResult<Counted>) -> Flow {
        match counted {
            Ok((counts, counted)) => {
                self.counts.sent(started, Some(counted));
                self.event_frame(OperatorEvent::Counts { counts }).await
            }
            Err(error) => {
                self.counts.sent(started, None);
                tracing::warn!(%error, account = self.session.account_id, "counts not sent");
                Flow::Continue
            }
        }
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

/// The counts from each integration's tally read at `not_before` or later (shared with the
/// integration's other sockets) less what `account_id` has read to the end, with when the
/// earliest of those tallies started to be read.
async fn read_counts(
    state: &AppState,
    account_id: i64,
    integrations: &[String],
    not_before: Instant,
) -> StoreResult<Counted> {
    let store = &state.store;
    let mut tallies = Vec::with_capacity(integrations.len());
    let mut counted: Option<Instant> = None;
    for integration_id in integrations {
        let tally = state
            .operator_hub
            .tallies()
            .get(integration_id, not_before, || {
                store.unread_tally(integration_id)
            });
        let (tally, started) = tally.await?;
        counted = Some(counted.map_or(started, |earliest| earliest.min(started)));
        tallies.push(tally);
    }
    let read_through = store.read_through(account_id, integrations).await?;
    let counts = Tally::counts(account_id, &tallies, &read_through);
    Ok((counts, counted.unwrap_or(not_before)))
}

#[cfg(test)]
mod tests {
    //! The socket driven over channels on a real store, as the visitor session's tests drive
    //! theirs; a quiet spell is skipped on paused time.

    use super::*;
    use crate::config::settings::Limits;
    use crate::desk::SharedSummary;
    use crate::live::counts_pace::COUNTS_INTERVAL;
    use crate::live::stale::Audience;
    use crate::storage::test_stores::shared_test_stores;
    use futures_channel::mpsc as channel;
    use protocol::operator::{ConversationStatus, ConversationSummary, VisitorCard};
    use std::convert::Infallible;
    use std::time::Duration;
    use tokio::sync::{oneshot, watch};

    /// Longer than any wait the socket makes without its store; shorter than its heartbeat.
    const PATIENCE: Duration = Duration::from_secs(5);

    fn summary(conversation_id: i64) -> InboxEvent {
        let summary = ConversationSummary {
            id: conversation_id,
            integration_id: "shop".to_owned(),
            visitor: VisitorCard::default(),
            page: None,
            last_message: None,
            last_activity_at: 0,
            unread: 1,
            visitor_read_seq: 0,
            assignee: None,
            status: ConversationStatus::Open,
            created_at: 0,
        };
        InboxEvent::Summary {
            summary: Box::new(SharedSummary {
                summary,
                unread_by: Vec::new(),
            }),
            audience: Audience::Everyone,
        }
    }

    async fn next_event(from_socket: &mut channel::UnboundedReceiver<WsMessage>) -> OperatorEvent {
        let frame = tokio::time::timeout(PATIENCE, from_socket.next())
            .await
            .expect("the socket said nothing")
            .expect("the socket ended");
        match frame {
            WsMessage::Text(text) => serde_json::from_str(text.as_str()).unwrap(),
            other => panic!("not an event: {other:?}"),
        }
    }

    #[tokio::test]
    async fn events_go_out_while_the_counts_are_being_read() {
        let (_dir, stores) = shared_test_stores().await;
        let (_shutdown, stopping) = watch::channel(false);
        let limits = Limits {
            heartbeat_secs: 3600,
            ..Limits::default()
        };
        let state = AppState::for_tests(Arc::clone(&stores[0]), limits, stopping);
        let session = OperatorSession::for_tests(1, &["shop"]);
        let slot = state.operator_sockets.take(1).unwrap();
        let (to_console, mut from_socket) = channel::unbounded::<WsMessage>();
        let (_to_socket, from_console) = channel::unbounded::<Result<WsMessage, Infallible>>();
        tokio::spawn(run(to_console, from_console, state.clone(), session, slot));
        assert!(matches!(
            next_event(&mut from_socket).await,
            OperatorEvent::Counts { .. }
        ));

        // A quiet spell (time skipped, then running again for the store), a change, and a
        // tally read of the integration started after it that lasts until the test ends it:
        // the socket's counts for the change share that read.
        tokio::time::pause();
        tokio::time::advance(COUNTS_INTERVAL * 2).await;
        tokio::time::resume();
        state.operator_hub.publish("shop", summary(7));
        let (end_read, read_ends) = oneshot::channel::<()>();
        let mut shared = Box::pin(state.operator_hub.tallies().get(
            "shop",
            Instant::now(),
            || async {
                read_ends.await.ok();
                Ok(Tally::default())
            },
        ));
        assert!(
            (&mut shared).now_or_never().is_none(),
            "the read is under way"
        );

        state.operator_hub.publish(
            "shop",
            InboxEvent::Typing {
                conversation_id: 7,
                operator: None,
            },
        );
        assert!(matches!(
            next_event(&mut from_socket).await,
            OperatorEvent::Conversation { .. }
        ));
        assert_eq!(
            next_event(&mut from_socket).await,
            OperatorEvent::Typing {
                conversation_id: 7,
                operator: None
            },
            "the event after the change goes out before its counts are read"
        );

        end_read.send(()).unwrap();
        shared.await.unwrap();
        assert!(matches!(
            next_event(&mut from_socket).await,
            OperatorEvent::Counts { .. }
        ));
    }
}
