//! The session driven over channels, as in axum's testing-websockets example: the test plays the
//! widget on one end of two channels and the session runs on a real store (a SQLite file, and a
//! fresh PostgreSQL database when `WEBCHAT_TEST_POSTGRES_URL` names a server). Heartbeats run on
//! paused tokio time, so minutes of silence take no time.

use super::{Resume, run};
use crate::auth::visitor_token;
use crate::config::integrations::Integration;
use crate::config::settings::Limits;
use crate::live::channels::Subscription;
use crate::live::hub::{CHANNEL_CAPACITY, HubEvent};
use crate::live::operators::{Heard, InboxEvent};

type OperatorSubscription = Subscription<String, Heard>;
use crate::state::AppState;
use crate::storage::test_stores::shared_test_stores;
use crate::store::{NewMessage, Visitor};
use axum::extract::ws::Message as WsMessage;
use base64::Engine;
use futures_channel::mpsc;
use futures_util::{SinkExt, StreamExt};
use protocol::{ClientFrame, ContactInfo, ErrorCode, Message, ServerFrame, TextFormat, close_code};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// What the tests wait for a frame at most: long enough for any store, and a session that
/// never answers fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

/// A store with one integration and one visitor on it, and the switch that shuts the server
/// down.
struct World {
    state: AppState,
    integration: Arc<Integration>,
    visitor: Visitor,
    shutdown: watch::Sender<bool>,
}

/// A world on each test store; the directory holds the SQLite file.
async fn worlds(limits: Limits) -> (TempDir, Vec<World>) {
    let (dir, stores) = shared_test_stores().await;
    let integration = Integration::for_tests(None);
    let mut worlds = Vec::new();
    for store in stores {
        let visitor = store
            .create_visitor(
                "1",
                &visitor_token::hash(&visitor_token::random_token()),
                None,
            )
            .await
            .unwrap();
        let (shutdown, stopping) = watch::channel(false);
        worlds.push(World {
            state: AppState::for_tests(store, limits, stopping),
            integration: Arc::clone(&integration),
            visitor,
            shutdown,
        });
    }
    (dir, worlds)
}

/// The widget's end of a session.
struct Widget {
    to_session: mpsc::UnboundedSender<Result<WsMessage, Infallible>>,
    from_session: mpsc::UnboundedReceiver<WsMessage>,
    session: JoinHandle<()>,
}

impl World {
    /// A session of the world's visitor, as a widget that saw nothing yet opens it.
    fn connect(&self) -> Widget {
        self.resume(Resume::default())
    }

    /// A session past its welcome.
    async fn welcomed(&self) -> Widget {
        let mut widget = self.connect();
        widget.welcome().await;
        widget
    }

    fn resume(&self, resume: Resume) -> Widget {
        let (to_session, stream) = mpsc::unbounded();
        let (sink, from_session) = mpsc::unbounded();
        let session = tokio::spawn(run(
            sink,
            stream,
            self.state.clone(),
            Arc::clone(&self.integration),
            self.visitor.clone(),
            resume,
        ));
        Widget {
            to_session,
            from_session,
            session,
        }
    }

    /// The messages stored in conversation `id`, up to ten.
    async fn messages_of(&self, id: i64) -> Vec<Message> {
        self.state.store.messages_after(id, 0, 10).await.unwrap()
    }

    /// Stores a message of the visitor as another tab of it would, without telling the hub.
    async fn stored(&self, client_id: &str) -> Message {
        let new = NewMessage {
            client_id: client_id.into(),
            text: format!("text of {client_id}"),
            text_format: TextFormat::Plain,
            page: None,
        };
        let appended = self
            .state
            .store
            .append_visitor_message(&self.visitor, new, self.integration.bridge())
            .await
            .unwrap();
        appended.message().clone()
    }
}

impl Widget {
    /// The next WebSocket message the session sends.
    async fn next(&mut self) -> WsMessage {
        tokio::time::timeout(PATIENCE, self.from_session.next())
            .await
            .expect("the session sends within the patience")
            .expect("the session sends before it ends")
    }

    /// The next frame, past the session's pings.
    async fn frame(&mut self) -> ServerFrame {
        loop {
            match self.next().await {
                WsMessage::Text(json) => return serde_json::from_str(json.as_str()).unwrap(),
                WsMessage::Ping(_) => {}
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    async fn welcome(&mut self) -> ServerFrame {
        let welcome = self.frame().await;
        assert!(
            matches!(welcome, ServerFrame::Welcome { .. }),
            "{welcome:?}"
        );
        welcome
    }

    fn send(&mut self, frame: &ClientFrame) {
        let json = serde_json::to_string(frame).unwrap();
        self.to_session
            .unbounded_send(Ok(WsMessage::text(json)))
            .unwrap();
    }

    fn say(&mut self, client_id: &str, text: &str) {
        self.send(&ClientFrame::Send {
            client_id: client_id.into(),
            text: text.into(),
            text_format: TextFormat::Plain,
            page: None,
        });
    }

    /// The code of the close frame the session ends with, and that it ended.
    async fn closed_with(mut self) -> u16 {
        let code = loop {
            match self.next().await {
                WsMessage::Close(Some(close)) => break close.code,
                WsMessage::Ping(_) | WsMessage::Text(_) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        };
        tokio::time::timeout(PATIENCE, self.session)
            .await
            .expect("the session ends after its close frame")
            .unwrap();
        code
    }

    /// Asks for a pong and returns what came before it: nothing, when the session has nothing
    /// else to say.
    async fn frames_before_pong(&mut self) -> Vec<ServerFrame> {
        self.send(&ClientFrame::Ping);
        let mut before = Vec::new();
        loop {
            match self.frame().await {
                ServerFrame::Pong => return before,
                frame => before.push(frame),
            }
        }
    }
}

/// The code and client id of an `error` frame.
fn refusal(frame: ServerFrame) -> (ErrorCode, Option<String>) {
    match frame {
        ServerFrame::Error {
            code, client_id, ..
        } => (code, client_id),
        other => panic!("expected an error, got {other:?}"),
    }
}

/// The messages of a `welcome` frame.
fn welcome_messages(frame: ServerFrame) -> Vec<Message> {
    match frame {
        ServerFrame::Welcome { messages, .. } => messages,
        other => panic!("expected a welcome, got {other:?}"),
    }
}

fn acknowledged(frame: ServerFrame) -> (String, Message) {
    match frame {
        ServerFrame::Ack { client_id, message } => (client_id, message),
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_visitor_is_welcomed_without_a_conversation() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.connect();
        match widget.welcome().await {
            ServerFrame::Welcome {
                visitor_id,
                conversation_id,
                messages,
                reset,
                max_message_bytes,
                has_older,
                ..
            } => {
                assert_eq!(visitor_id, world.visitor.id);
                assert_eq!(conversation_id, None);
                assert!(messages.is_empty() && reset && !has_older);
                assert_eq!(max_message_bytes, Limits::default().max_message_bytes);
            }
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn a_sent_message_is_stored_acknowledged_and_echoed_to_the_other_tabs() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut sender = world.welcomed().await;
        let mut other_tab = world.welcomed().await;
        sender.say("c-1", "Hello");
        let (client_id, message) = acknowledged(sender.frame().await);
        assert_eq!(client_id, "c-1");
        assert_eq!((message.seq, message.text.as_str()), (1, "Hello"));
        let stored = world.messages_of(message.conversation_id).await;
        assert_eq!(stored, vec![message.clone()]);
        assert_eq!(
            other_tab.frame().await,
            ServerFrame::Message {
                message: message.clone()
            }
        );
        // The sender has it from its ack: the hub's copy is not sent again.
        assert_eq!(sender.frames_before_pong().await, Vec::new());
        // A new tab gets it in its welcome.
        let mut new_tab = world.connect();
        assert_eq!(welcome_messages(new_tab.welcome().await), vec![message]);
    }
}

#[tokio::test]
async fn a_duplicate_client_id_is_acknowledged_with_the_message_stored_first() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        widget.say("c-1", "first");
        let (_, first) = acknowledged(widget.frame().await);
        // A resend after a lost ack, with the text edited in between.
        widget.say("c-1", "edited");
        let (client_id, again) = acknowledged(widget.frame().await);
        assert_eq!(client_id, "c-1");
        assert_eq!(again, first);
        let stored = world.messages_of(first.conversation_id).await;
        assert_eq!(stored, vec![first]);
    }
}

#[tokio::test]
async fn a_refused_message_is_answered_with_its_client_id_and_not_stored() {
    let limits = Limits {
        max_message_bytes: 8,
        ..Limits::default()
    };
    let (_dir, worlds) = worlds(limits).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        for (client_id, text, code) in [
            ("", "hi", ErrorCode::BadFrame),
            ("c-1", "far too long", ErrorCode::MessageTooLarge),
            ("c-2", "   ", ErrorCode::EmptyMessage),
        ] {
            widget.say(client_id, text);
            let answered = refusal(widget.frame().await);
            assert_eq!(answered, (code, Some(client_id.to_owned())));
        }
        let conversation = world
            .state
            .store
            .conversation_of(world.visitor.person_id)
            .await
            .unwrap();
        assert_eq!(conversation, None, "nothing stored, so no conversation");
    }
}

#[tokio::test]
async fn a_bad_frame_is_refused_and_the_session_goes_on() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    let world = &worlds[0];
    let mut widget = world.welcomed().await;
    widget
        .to_session
        .unbounded_send(Ok(WsMessage::text("{\"type\":\"launch\"}")))
        .unwrap();
    widget
        .to_session
        .unbounded_send(Ok(WsMessage::Binary(vec![1, 2].into())))
        .unwrap();
    let refused = widget.frames_before_pong().await;
    assert_eq!(refused.len(), 2);
    for frame in refused {
        assert_eq!(refusal(frame), (ErrorCode::BadFrame, None));
    }
}

#[tokio::test]
async fn a_lagging_session_is_refilled_from_the_store() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        let count = 4;
        let mut stored = Vec::new();
        for n in 0..count {
            stored.push(world.stored(&format!("tab-{n}")).await);
        }
        // All at once, without yielding: the session cannot read in between, so its channel
        // keeps only the newest events, which say nothing to it (another visitor of the person
        // logged out). Only the store can tell it about the messages.
        for message in &stored {
            world
                .state
                .hub
                .publish(&world.visitor.person_id, HubEvent::Message(message.clone()));
        }
        for _ in 0..CHANNEL_CAPACITY {
            world.state.hub.publish(
                &world.visitor.person_id,
                HubEvent::Revoked {
                    visitor_id: world.visitor.id + 1,
                },
            );
        }
        let mut delivered = Vec::new();
        while delivered.len() < count {
            match widget.frame().await {
                ServerFrame::Message { message } => delivered.push(message),
                other => panic!("expected a message, got {other:?}"),
            }
        }
        assert_eq!(delivered, stored, "each once, in order");
        assert_eq!(widget.frames_before_pong().await, Vec::new());
    }
}

#[tokio::test]
async fn a_resumed_session_gets_only_what_it_lacks_and_pages_back_through_history() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        widget.send(&ClientFrame::History {
            before_seq: 10,
            limit: 5,
        });
        let (code, _) = refusal(widget.frame().await);
        assert_eq!(code, ErrorCode::BadFrame, "no conversation, no history");
        let mut stored = Vec::new();
        for n in 0..3 {
            stored.push(world.stored(&format!("m-{n}")).await);
        }
        let conversation_id = stored[0].conversation_id;
        let mut resumed = world.resume(Resume {
            conversation_id: Some(conversation_id),
            after_seq: Some(2),
        });
        match resumed.welcome().await {
            ServerFrame::Welcome {
                messages, reset, ..
            } => {
                assert_eq!(messages, stored[2..]);
                assert!(!reset, "kept what it has");
            }
            _ => unreachable!(),
        }
        resumed.send(&ClientFrame::History {
            before_seq: 3,
            limit: 1,
        });
        assert_eq!(
            resumed.frame().await,
            ServerFrame::History {
                conversation_id,
                before_seq: 3,
                messages: stored[1..2].to_vec(),
                has_older: true,
            }
        );
    }
}

#[tokio::test]
async fn logout_closes_the_session_with_logged_out() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let widget = world.welcomed().await;
        world
            .state
            .store
            .revoke_visitor(world.visitor.id)
            .await
            .unwrap();
        world.state.hub.publish(
            &world.visitor.person_id,
            HubEvent::Revoked {
                visitor_id: world.visitor.id,
            },
        );
        assert_eq!(widget.closed_with().await, close_code::LOGGED_OUT);
    }
}

#[tokio::test]
async fn shutdown_closes_the_session_with_going_away() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let widget = world.welcomed().await;
        world.shutdown.send_replace(true);
        assert_eq!(widget.closed_with().await, close_code::GOING_AWAY);
    }
}

/// Heartbeat tests need no second engine: the store is not read once the welcome is out.
async fn welcomed_on_paused_time(limits: Limits) -> (TempDir, World, Widget) {
    let (dir, mut worlds) = worlds(limits).await;
    let world = worlds.swap_remove(0);
    // The welcome reads the store on real time: paused time would jump to the pool's timeouts
    // while SQLite works on its own thread.
    let widget = world.welcomed().await;
    tokio::time::pause();
    (dir, world, widget)
}

#[tokio::test]
async fn a_silent_peer_is_closed_with_timeout_after_the_missed_heartbeats() {
    let limits = Limits {
        heartbeat_secs: 20,
        ..Limits::default()
    };
    let interval = Duration::from_secs(limits.heartbeat_secs);
    let (_dir, _world, mut widget) = welcomed_on_paused_time(limits).await;
    let silent_since = Instant::now();
    let mut pings = Vec::new();
    let code = loop {
        match widget.next().await {
            WsMessage::Ping(_) => pings.push(silent_since.elapsed()),
            WsMessage::Close(Some(close)) => break close.code,
            other => panic!("expected pings, then a close, got {other:?}"),
        }
    };
    let silent = silent_since.elapsed();
    assert_eq!(code, close_code::TIMEOUT);
    assert_eq!(
        pings.len() as u32,
        crate::live::socket::heartbeat::SILENT_INTERVALS,
        "a ping each interval until then"
    );
    // Give or take the moment between the session's clock and the test's, and the timer's
    // millisecond.
    let slack = Duration::from_millis(100);
    let near = |a: Duration, b: Duration| a.abs_diff(b) < slack;
    for (earlier, later) in pings.iter().zip(pings.iter().skip(1).chain([&silent])) {
        assert!(
            near(*later - *earlier, interval),
            "pings at {pings:?}, closed after {silent:?}"
        );
    }
    // The first beat falls somewhere in the first interval, so the close at the first beat
    // past three silent intervals comes between three and four intervals after the last word.
    let silent_intervals = crate::live::socket::heartbeat::SILENT_INTERVALS;
    assert!(
        silent + slack > interval * silent_intervals
            && silent < interval * (silent_intervals + 1) + slack,
        "closed after {silent:?}"
    );
}

#[tokio::test]
async fn a_peer_that_answers_pings_is_kept() {
    let limits = Limits {
        heartbeat_secs: 20,
        ..Limits::default()
    };
    let (_dir, _world, mut widget) = welcomed_on_paused_time(limits).await;
    let started = Instant::now();
    for _ in 0..10 {
        match widget.next().await {
            WsMessage::Ping(payload) => widget
                .to_session
                .send(Ok(WsMessage::Pong(payload)))
                .await
                .unwrap(),
            other => panic!("expected only pings, got {other:?}"),
        }
    }
    // Ten pings: the first within the first interval, then one each interval.
    assert!(started.elapsed() >= Duration::from_secs(limits.heartbeat_secs * 9));
    assert!(!widget.session.is_finished());
}

#[tokio::test]
async fn a_contact_is_checked_stored_and_confirmed() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        widget.send(&ClientFrame::SetContact {
            contact: ContactInfo {
                email: Some("not an address".into()),
                ..ContactInfo::default()
            },
        });
        assert_eq!(
            refusal(widget.frame().await),
            (ErrorCode::InvalidContact, None)
        );
        widget.send(&ClientFrame::SetContact {
            contact: ContactInfo {
                name: Some("  Anna ".into()),
                ..ContactInfo::default()
            },
        });
        let kept = ContactInfo {
            name: Some("Anna".into()),
            ..ContactInfo::default()
        };
        assert_eq!(
            widget.frame().await,
            ServerFrame::Contact {
                contact: kept.clone()
            }
        );
        let visitor = world.state.store.visitor(world.visitor.id).await.unwrap();
        assert_eq!(visitor.unwrap().contact, kept);
    }
}

/// A matching-key token for the site's user `sub`, unsigned (the test integration has no
/// signKey, so it accepts those).
fn matching_key_token(sub: &str) -> String {
    let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let now = crate::store::now_ms() / 1000;
    let header = encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = encode(&format!(r#"{{"sub":"{sub}","iat":{now}}}"#));
    format!("{header}.{claims}.")
}

#[tokio::test]
async fn identification_binds_the_session_and_the_other_tabs_follow() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut widget = world.welcomed().await;
        let mut other_tab = world.welcomed().await;
        widget.send(&ClientFrame::Identify {
            token: "not.a.token".into(),
        });
        assert_eq!(
            refusal(widget.frame().await),
            (ErrorCode::TokenRejected, None)
        );
        widget.send(&ClientFrame::Identify {
            token: matching_key_token("user-1"),
        });
        match widget.frame().await {
            ServerFrame::Identified {
                sub, visitor_token, ..
            } => {
                assert_eq!(sub, "user-1");
                assert!(visitor_token.is_some(), "a new person, so a new token");
            }
            other => panic!("expected identified, got {other:?}"),
        }
        match other_tab.frame().await {
            ServerFrame::Identified {
                sub, visitor_token, ..
            } => {
                assert_eq!(sub, "user-1");
                assert_eq!(
                    visitor_token, None,
                    "read from the browser's storage instead"
                );
            }
            other => panic!("expected identified, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn operators_hear_the_visitor_write_and_type_and_the_visitor_sees_them_read_and_type() {
    let (_dir, worlds) = worlds(Limits::default()).await;
    for world in &worlds {
        let mut operators = world.state.operator_hub.subscribe("1".to_owned());
        // Each tab is throttled on its own: this one types before there is a conversation.
        let mut first_tab = world.welcomed().await;
        let mut widget = world.welcomed().await;
        first_tab.send(&ClientFrame::Typing);
        assert_eq!(
            first_tab.frames_before_pong().await,
            Vec::new(),
            "typing is never answered"
        );
        assert!(
            operators.receiver.try_recv().is_err(),
            "no conversation yet, nothing to type in"
        );
        widget.say("c-1", "hello");
        let ServerFrame::Ack { message, .. } = widget.frame().await else {
            panic!("expected the ack");
        };
        let stored = heard(&mut operators).await;
        assert_eq!(
            &stored,
            &InboxEvent::Message {
                person_id: world.visitor.person_id,
                message: message.clone()
            }
        );
        let conversation_id = message.conversation_id;
        // Within the interval of the first: one notice for all three.
        widget.send(&ClientFrame::Typing);
        widget.send(&ClientFrame::Typing);
        widget.send(&ClientFrame::Typing);
        widget.frames_before_pong().await;
        let typing = InboxEvent::Typing {
            conversation_id,
            operator: None,
        };
        assert_eq!(heard(&mut operators).await, typing);
        assert!(
            operators.receiver.try_recv().is_err(),
            "the rest were dropped"
        );

        let person_id = world.visitor.person_id;
        world.state.hub.publish(
            &person_id,
            HubEvent::Seen {
                conversation_id,
                seq: message.seq,
            },
        );
        world.state.hub.publish(
            &person_id,
            HubEvent::Typing {
                conversation_id: conversation_id + 1,
                name: "Not here".into(),
            },
        );
        world.state.hub.publish(
            &person_id,
            HubEvent::Typing {
                conversation_id,
                name: "Anna".into(),
            },
        );
        assert_eq!(
            widget.frame().await,
            ServerFrame::Seen {
                conversation_id,
                seq: message.seq
            }
        );
        assert_eq!(
            widget.frame().await,
            ServerFrame::Typing {
                name: "Anna".into()
            },
            "another conversation's typing is not shown"
        );
    }
}

/// The next event operators of the world's integration hear, waited for at most [`PATIENCE`].
async fn heard(operators: &mut OperatorSubscription) -> InboxEvent {
    let heard = tokio::time::timeout(PATIENCE, operators.receiver.recv())
        .await
        .expect("operators heard nothing")
        .unwrap();
    heard.event.clone()
}
