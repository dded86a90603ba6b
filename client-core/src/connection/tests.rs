//! The connection's state machine driven event by event, as the widget drives it: reconnecting
//! with backoff, resending what the server has not acknowledged, logging out here or in another
//! tab, and starting fresh when the server no longer knows a stored token.

use super::*;
use crate::outbox::tests::outgoing as message;

/// The largest jitter: delays are then the backoff's full steps.
fn full_jitter() -> f64 {
    1.0
}

/// A connection welcomed with `token`, and the effects that got it there.
fn online(token: &str) -> Connection {
    let mut connection = Connection::new(full_jitter);
    assert_eq!(
        connection.on(Event::Resumed(token.into())),
        [Effect::ReadStoredToken]
    );
    assert_eq!(
        connection.on(Event::TokenRead(StoredToken::Stored(token.into()))),
        [Effect::OpenSocket(token.into())]
    );
    assert_eq!(connection.state(), State::Connecting);
    assert_eq!(connection.on(Event::Welcome), []);
    assert_eq!(connection.state(), State::Online);
    connection
}

/// What forgetting the visitor with `token` does.
fn forgotten(token: &str) -> Vec<Effect> {
    vec![
        Effect::ClearToken(token.into()),
        Effect::CloseSocket,
        Effect::ClearChat,
    ]
}

/// Drives a scheduled retry through to a new socket with `token`.
fn reconnect(connection: &mut Connection, token: &str) {
    assert_eq!(connection.on(Event::RetryDue), [Effect::ReadStoredToken]);
    assert_eq!(
        connection.on(Event::TokenRead(StoredToken::Stored(token.into()))),
        [Effect::OpenSocket(token.into())]
    );
}

#[test]
fn the_first_interaction_creates_a_visitor_and_connects_with_its_token() {
    let mut connection = Connection::new(full_jitter);
    assert_eq!(connection.state(), State::Idle);
    assert_eq!(connection.on(Event::Interacted), [Effect::CreateVisitor]);
    assert_eq!(connection.state(), State::CreatingVisitor);
    assert_eq!(
        connection.on(Event::Interacted),
        [],
        "one visitor at a time"
    );
    assert_eq!(
        connection.on(Event::VisitorCreated("t1".into())),
        [Effect::KeepToken("t1".into()), Effect::ReadStoredToken]
    );
    assert_eq!(
        connection.on(Event::TokenRead(StoredToken::Missing)),
        [Effect::OpenSocket("t1".into())],
        "storage refused: the token lives as long as the page"
    );
    assert_eq!(connection.on(Event::Welcome), []);
    assert_eq!(connection.state(), State::Online);
    assert_eq!(connection.visitor_token(), Some("t1"));
}

#[test]
fn a_lost_connection_is_retried_with_growing_delays_reset_by_a_welcome() {
    let mut connection = online("t1");
    let mut delays = Vec::new();
    assert_eq!(
        connection.on(Event::SocketClosed(1006)),
        [
            Effect::CloseSocket,
            Effect::EarlierUnanswered,
            Effect::ScheduleRetry(500)
        ]
    );
    assert_eq!(connection.state(), State::Retrying);
    assert_eq!(
        connection.on(Event::Interacted),
        [],
        "the retry is on its way"
    );
    for _ in 0..3 {
        reconnect(&mut connection, "t1");
        // Closed before its welcome: the token is checked first.
        assert_eq!(
            connection.on(Event::SocketClosed(1006))[2..],
            [Effect::CheckToken("t1".into())]
        );
        assert_eq!(connection.state(), State::CheckingToken);
        match connection.on(Event::TokenChecked(
            TokenCheck::Inconclusive,
            ChatVisibility::Open,
        ))[..]
        {
            [Effect::ScheduleRetry(delay)] => delays.push(delay),
            ref other => panic!("expected a retry, got {other:?}"),
        }
    }
    assert_eq!(delays, [1000, 2000, 4000]);
    reconnect(&mut connection, "t1");
    connection.on(Event::Welcome);
    assert_eq!(
        connection.on(Event::SocketClosed(1006))[2..],
        [Effect::ScheduleRetry(500)],
        "a welcome resets the backoff"
    );
    assert_eq!(
        connection.on(Event::SocketFailed),
        [Effect::ScheduleRetry(1000)]
    );
}

#[test]
fn unacknowledged_messages_and_control_frames_are_sent_after_the_welcome() {
    let mut connection = online("t1");
    assert_eq!(
        connection.on(Event::Wrote(message("a"))),
        [Effect::Send(message("a").frame())]
    );
    connection.on(Event::Wrote(message("b")));
    connection.on(Event::Stored("a".into()));
    connection.on(Event::SocketClosed(1006));

    // Offline: written messages and control frames wait.
    assert_eq!(connection.on(Event::Wrote(message("c"))), []);
    let identify = ClientFrame::Identify {
        token: "jwt".into(),
    };
    assert_eq!(connection.on(Event::Control(identify.clone())), []);
    assert_eq!(
        connection.on(Event::EarlierWanted { before_seq: 7 }),
        [Effect::EarlierUnanswered],
        "an earlier page is not queued: the log asks again"
    );

    reconnect(&mut connection, "t1");
    // The server's history already holds "c": only "b" goes again, after the control frame.
    assert_eq!(connection.on(Event::Stored("c".into())), []);
    assert_eq!(
        connection.on(Event::Welcome),
        [Effect::Send(identify), Effect::Send(message("b").frame())]
    );
    assert_eq!(connection.waiting(), [message("b")]);
    connection.on(Event::Stored("b".into()));
    connection.on(Event::SocketClosed(1006));
    reconnect(&mut connection, "t1");
    assert_eq!(
        connection.on(Event::Welcome),
        [],
        "acknowledged messages are not sent again"
    );
}

#[test]
fn a_refused_message_waits_for_the_visitor_to_retry_it() {
    let mut connection = online("t1");
    connection.on(Event::Wrote(message("a")));
    connection.on(Event::Refused("a".into()));
    assert!(connection.waiting().is_empty());
    assert_eq!(
        connection.on(Event::RetryRequested("a".into())),
        [
            Effect::MarkSending("a".into()),
            Effect::Send(message("a").frame())
        ]
    );
    assert_eq!(connection.on(Event::RetryRequested("a".into())), []);
}

#[test]
fn logout_forgets_the_visitor_and_ignores_answers_of_its_connection() {
    let mut connection = online("t1");
    connection.on(Event::Wrote(message("a")));
    let before = connection.epoch();
    assert_eq!(connection.on(Event::Logout), forgotten("t1"));
    assert_eq!(connection.state(), State::LoggedOut);
    assert_eq!(connection.visitor_token(), None);
    assert!(connection.waiting().is_empty());
    assert_eq!(
        connection.answer(before, Event::SocketClosed(1006)),
        [],
        "the old socket's close comes too late"
    );
    assert_eq!(
        connection.on(Event::Interacted),
        [Effect::CreateVisitor],
        "the next interaction starts a new visitor"
    );
    let current = connection.epoch();
    assert_eq!(
        connection.answer(before, Event::VisitorCreated("old".into())),
        []
    );
    assert_eq!(
        connection.answer(current, Event::VisitorCreated("t2".into())),
        [Effect::KeepToken("t2".into()), Effect::ReadStoredToken]
    );
}

/// Another tab's logout is seen either way: the server closes this tab's socket with the
/// logged-out code, or, while this tab is offline, storage shows it before reconnecting.
#[test]
fn a_logout_in_another_tab_forgets_the_visitor_here() {
    let by_close_code = [Event::SocketClosed(close_code::LOGGED_OUT)];
    let in_storage = [
        Event::SocketClosed(1006),
        Event::RetryDue,
        Event::TokenRead(StoredToken::LoggedOut),
    ];
    for events in [&by_close_code[..], &in_storage[..]] {
        let mut connection = online("t1");
        let effects: Vec<Effect> = events
            .iter()
            .flat_map(|event| connection.on(event.clone()))
            .collect();
        assert!(effects.ends_with(&forgotten("t1")), "{effects:?}");
        assert_eq!(connection.state(), State::LoggedOut);
        assert_eq!(connection.visitor_token(), None);
    }
}

#[test]
fn a_token_replaced_in_another_tab_is_the_one_connected_with() {
    let mut connection = online("t1");
    connection.on(Event::SocketClosed(1006));
    reconnect(&mut connection, "t2");
    assert_eq!(connection.visitor_token(), Some("t2"));
}

#[test]
fn identification_keeps_the_new_token() {
    let mut connection = online("t1");
    assert_eq!(
        connection.on(Event::TokenChanged("t2".into())),
        [Effect::KeepToken("t2".into())]
    );
    assert_eq!(connection.visitor_token(), Some("t2"));
}

/// A connection resumed with `token` whose socket closed before its welcome.
fn closed_before_welcome(token: &str) -> Connection {
    let mut connection = Connection::new(full_jitter);
    connection.on(Event::Resumed(token.into()));
    connection.on(Event::TokenRead(StoredToken::Stored(token.into())));
    assert_eq!(
        connection.on(Event::SocketClosed(1008)),
        [
            Effect::CloseSocket,
            Effect::EarlierUnanswered,
            Effect::CheckToken(token.into())
        ]
    );
    assert_eq!(connection.state(), State::CheckingToken);
    connection
}

/// A stored token the server no longer knows is dropped; a new visitor is created at once only
/// when the visitor sees the chat, else at the next interaction.
#[test]
fn an_expired_token_starts_fresh() {
    let cases = [
        (
            ChatVisibility::Open,
            vec![Effect::CreateVisitor],
            State::CreatingVisitor,
        ),
        (ChatVisibility::Collapsed, vec![], State::Idle),
    ];
    for (visibility, then, state) in cases {
        let mut connection = closed_before_welcome("old");
        assert_eq!(
            connection.on(Event::TokenChecked(TokenCheck::Refused, visibility)),
            [forgotten("old"), then].concat()
        );
        assert_eq!(connection.state(), state);
        assert_eq!(connection.visitor_token(), None);
    }
}

#[test]
fn a_token_the_server_still_knows_is_retried() {
    let mut connection = closed_before_welcome("t1");
    assert_eq!(
        connection.on(Event::TokenChecked(
            TokenCheck::Inconclusive,
            ChatVisibility::Open
        )),
        [Effect::ScheduleRetry(500)]
    );
    assert_eq!(connection.visitor_token(), Some("t1"));
}

#[test]
fn messages_refused_over_the_rate_limit_are_sent_again_in_order_when_allowed() {
    let mut connection = online("t1");
    for id in ["a", "b", "c"] {
        assert_eq!(
            connection.on(Event::Wrote(message(id))),
            [Effect::Send(message(id).frame())]
        );
    }
    connection.on(Event::Stored("a".into()));
    assert_eq!(
        connection.on(Event::RateLimited {
            client_id: "b".into(),
            retry_after_ms: 700
        }),
        [Effect::MarkWaiting("b".into()), Effect::ScheduleResend(700)]
    );
    assert_eq!(
        connection.on(Event::RateLimited {
            client_id: "c".into(),
            retry_after_ms: 650
        }),
        [Effect::MarkWaiting("c".into())],
        "one resend for all"
    );
    assert_eq!(
        connection.on(Event::Wrote(message("d"))),
        [],
        "held back behind the refused ones"
    );
    assert_eq!(
        connection.on(Event::ResendDue),
        [
            Effect::MarkSending("b".into()),
            Effect::MarkSending("c".into()),
            Effect::MarkSending("d".into()),
            Effect::Send(message("b").frame()),
            Effect::Send(message("c").frame()),
            Effect::Send(message("d").frame()),
        ]
    );
    assert_eq!(connection.on(Event::ResendDue), [], "nothing held any more");
    assert_eq!(
        connection.on(Event::Wrote(message("e"))),
        [Effect::Send(message("e").frame())]
    );
}

#[test]
fn messages_held_over_the_rate_limit_wait_for_the_resend_after_a_reconnect() {
    let mut connection = online("t1");
    connection.on(Event::Wrote(message("a")));
    connection.on(Event::RateLimited {
        client_id: "a".into(),
        retry_after_ms: 500,
    });
    connection.on(Event::SocketClosed(1006));
    reconnect(&mut connection, "t1");
    assert_eq!(connection.on(Event::Welcome), [], "still held back");
    assert_eq!(
        connection.on(Event::ResendDue),
        [
            Effect::MarkSending("a".into()),
            Effect::Send(message("a").frame())
        ]
    );
}

#[test]
fn clearing_the_token_logs_an_identified_visitor_out_and_keeps_an_anonymous_one() {
    let mut anonymous = online("t1");
    anonymous.on(Event::Identity(Identity::Anonymous));
    assert_eq!(anonymous.on(Event::IdentificationCleared), []);

    let mut identified = online("t1");
    identified.on(Event::Identity(Identity::Identified));
    assert_eq!(
        identified.on(Event::IdentificationCleared),
        [Effect::LogOut]
    );
}

#[test]
fn a_token_cleared_before_the_welcome_logs_out_once_the_visitor_is_known_identified() {
    let mut connection = Connection::new(full_jitter);
    assert_eq!(
        connection.on(Event::IdentificationCleared),
        [],
        "no visitor at all"
    );
    connection.on(Event::Resumed("t1".into()));
    assert_eq!(connection.on(Event::IdentificationCleared), []);
    connection.on(Event::TokenRead(StoredToken::Stored("t1".into())));
    connection.on(Event::Welcome);
    assert_eq!(
        connection.on(Event::Identity(Identity::Identified)),
        [Effect::LogOut]
    );
    assert_eq!(
        connection.on(Event::Identity(Identity::Identified)),
        [],
        "once"
    );

    let mut anonymous = Connection::new(full_jitter);
    anonymous.on(Event::Resumed("t2".into()));
    anonymous.on(Event::IdentificationCleared);
    assert_eq!(anonymous.on(Event::Identity(Identity::Anonymous)), []);
    assert_eq!(
        anonymous.on(Event::Identity(Identity::Identified)),
        [],
        "a later identification is the page's new user"
    );
}

#[test]
fn typing_is_told_online_at_most_every_two_seconds_and_at_once_after_a_message() {
    let mut offline = Connection::new(full_jitter);
    assert_eq!(
        offline.on(Event::Typed {
            draft: "hello".into(),
            at: 0
        }),
        [],
        "never queued"
    );
    let mut connection = online("t1");
    let typing = [Effect::Send(ClientFrame::Typing)];
    assert_eq!(
        connection.on(Event::Typed {
            draft: "h".into(),
            at: 0
        }),
        typing
    );
    assert_eq!(
        connection.on(Event::Typed {
            draft: "he".into(),
            at: 1_999
        }),
        []
    );
    assert_eq!(
        connection.on(Event::Typed {
            draft: "".into(),
            at: 2_500
        }),
        [],
        "an emptied composer"
    );
    assert_eq!(
        connection.on(Event::Typed {
            draft: "hel".into(),
            at: 2_500
        }),
        typing
    );
    connection.on(Event::Wrote(message("c-1")));
    assert_eq!(
        connection.on(Event::Typed {
            draft: "n".into(),
            at: 2_600
        }),
        typing,
        "a new message"
    );
    connection.on(Event::SocketClosed(1006));
    assert_eq!(
        connection.on(Event::Typed {
            draft: "ne".into(),
            at: 9_000
        }),
        [],
        "not while reconnecting"
    );
}

#[test]
fn reads_are_told_online_only_while_the_visitor_sees_the_log_and_start_over_for_a_new_visitor() {
    let sighted = |seq| Event::Sighted {
        newest: (1, seq),
        chat: ChatVisibility::Open,
        page: PageVisibility::Visible,
    };
    let mut offline = Connection::new(full_jitter);
    assert_eq!(offline.on(sighted(4)), [], "never queued");
    let mut connection = online("t1");
    assert_eq!(
        connection.on(Event::Sighted {
            newest: (1, 4),
            chat: ChatVisibility::Collapsed,
            page: PageVisibility::Visible,
        }),
        []
    );
    let read = |seq| [Effect::Send(ClientFrame::Read { seq })];
    assert_eq!(connection.on(sighted(4)), read(4));
    assert_eq!(connection.on(sighted(4)), [], "told already");
    connection.on(Event::Logout);
    connection.on(Event::Interacted);
    connection.on(Event::VisitorCreated("t2".into()));
    connection.on(Event::TokenRead(StoredToken::Stored("t2".into())));
    connection.on(Event::Welcome);
    assert_eq!(connection.on(sighted(2)), read(2), "a new visitor's log");
}
