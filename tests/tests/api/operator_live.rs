//! The operator WebSocket, on both engines: what operators hear live (a visitor's message with
//! the summary and counts, the counts of a busy spell, each other's assignments, typing both
//! ways, a 1C operator's reply with its name), how it is authenticated (bearer subprotocol, or
//! the cookie from the server's own origin only), that it ends with the session and that one
//! account holds a limited number of them; and a console reply on a bridged integration
//! reaching the collaboration server as `createUser` once, the operator joining the
//! conversation once, then `createMessage`.

use crate::bridge::inbound;
use crate::operator_inbox::{ANNA, PASSWORD, boris, server_with_anna};
use crate::support::{say, visitor};
use backend::config::settings::OperatorSettings;
use protocol::operator::{
    AssignRequest, AssignTarget, ConversationSummary, OperatorClientFrame, OperatorEvent,
    ReadRequest,
};
use protocol::webhook::Command;
use protocol::{AuthorKind, ClientFrame, ErrorBody, ServerFrame};
use tests::fake_collab::FakeCollaborationServer;
use tests::operator::{Operator, OperatorSocket};
use tests::server::WEBHOOK_TOKEN;
use tests::{Options, engines};
use tokio_tungstenite::tungstenite;

fn take() -> AssignRequest {
    AssignRequest {
        operator: AssignTarget::Me,
    }
}

/// The next conversation summary `socket` hears for conversation `id`.
async fn summary_of(socket: &mut OperatorSocket, id: i64) -> ConversationSummary {
    socket
        .until(|event| match event {
            OperatorEvent::Conversation { conversation } if conversation.id == id => {
                Some(conversation)
            }
            _ => None,
        })
        .await
}

#[tokio::test]
async fn an_operator_hears_a_visitors_message_live_with_the_summary_and_counts() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let mut socket = anna.socket().await;
        match socket.next().await {
            OperatorEvent::Counts { counts } => assert_eq!(counts.all, 0, "{db:?}"),
            other => panic!("{db:?}: expected the counts first, got {other:?}"),
        }
        let (_, mut client) = visitor(&server).await;
        let sent = say(&mut client, "v-1", "Hello?").await;
        match socket.next().await {
            OperatorEvent::Message { message } => assert_eq!(message, sent, "{db:?}"),
            other => panic!("{db:?}: expected the message, got {other:?}"),
        }
        let summary = summary_of(&mut socket, sent.conversation_id).await;
        assert_eq!(summary.unread, 1, "{db:?}");
        match socket.next().await {
            OperatorEvent::Counts { counts } => {
                assert_eq!((counts.all, counts.unassigned), (1, 1), "{db:?}");
            }
            other => panic!("{db:?}: expected the counts, got {other:?}"),
        }
        socket.send(&OperatorClientFrame::Ping).await;
        assert_eq!(socket.next().await, OperatorEvent::Pong);
    }
}

#[tokio::test]
async fn the_counts_of_a_busy_spell_end_with_every_change_in_them() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let mut socket = anna.socket().await;
        assert!(matches!(socket.next().await, OperatorEvent::Counts { .. }));
        // Three conversations within the counts' interval: the first change is counted at
        // once, the others at the next tick.
        for n in 1..=3 {
            let (_, mut client) = visitor(&server).await;
            say(&mut client, &format!("v-{n}"), "Hello?").await;
        }
        let mut heard = Vec::new();
        socket
            .until(|event| match event {
                OperatorEvent::Counts { counts } => {
                    heard.push(counts.all);
                    (counts.all == 3).then_some(())
                }
                _ => None,
            })
            .await;
        assert!(heard.len() <= 3, "{db:?}: counts sent {heard:?}");
    }
}

#[tokio::test]
async fn each_operator_hears_its_own_unread_count_and_a_read_is_news_to_its_reader_only() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        let (_, mut client) = visitor(&server).await;
        let first = say(&mut client, "v-1", "Hello?").await;
        let id = first.conversation_id;
        let mut anna_socket = anna.socket().await;
        let mut boris_socket = boris.socket().await;
        let read = anna
            .post(
                &format!("conversations/{id}/read"),
                &ReadRequest { seq: first.seq },
            )
            .await;
        assert_eq!(read.status(), 204, "{db:?}");
        assert_eq!(summary_of(&mut anna_socket, id).await.unread, 0, "{db:?}");
        assert!(
            matches!(client.next().await, ServerFrame::Seen { .. }),
            "{db:?}"
        );

        say(&mut client, "v-2", "Anyone?").await;
        assert_eq!(
            summary_of(&mut anna_socket, id).await.unread,
            1,
            "{db:?}: Anna read the first"
        );
        let seen_by_boris = boris_socket
            .until(|event| match event {
                OperatorEvent::Conversation { conversation } => Some(conversation),
                _ => None,
            })
            .await;
        assert_eq!(
            seen_by_boris.unread, 2,
            "{db:?}: Boris read nothing, and hears no summary for Anna's read"
        );
    }
}

#[tokio::test]
async fn typing_goes_both_ways() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        let (_, mut client) = visitor(&server).await;
        let id = say(&mut client, "v-1", "Hello?").await.conversation_id;
        let mut anna_socket = anna.socket().await;
        let mut boris_socket = boris.socket().await;
        client.send(&ClientFrame::Typing).await;
        let typing = anna_socket
            .until(|event| match event {
                OperatorEvent::Typing {
                    conversation_id,
                    operator,
                } => Some((conversation_id, operator)),
                _ => None,
            })
            .await;
        assert_eq!(typing, (id, None), "{db:?}: the visitor types");

        anna_socket
            .send(&OperatorClientFrame::Typing {
                conversation_id: id,
            })
            .await;
        match client.next().await {
            ServerFrame::Typing { name } => assert_eq!(name, anna.profile.name, "{db:?}"),
            other => panic!("{db:?}: expected typing, got {other:?}"),
        }
        let typist = boris_socket
            .until(|event| match event {
                OperatorEvent::Typing {
                    operator: Some(operator),
                    ..
                } => Some(operator),
                _ => None,
            })
            .await;
        assert_eq!(typist.id, anna.profile.id, "{db:?}: Boris sees Anna typing");
    }
}

/// The next visitor read position `socket` hears.
async fn visitor_read(socket: &mut OperatorSocket) -> (i64, i64) {
    socket
        .until(|event| match event {
            OperatorEvent::VisitorRead {
                conversation_id,
                seq,
            } => Some((conversation_id, seq)),
            // Typing ends each probe below: a read position heard before it was sent.
            OperatorEvent::Typing { .. } => Some((0, 0)),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn operators_see_how_far_the_visitor_has_seen() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (_, mut client) = visitor(&server).await;
        let id = say(&mut client, "v-1", "Hello?").await.conversation_id;
        let reply = anna.replied(id, "r-1", "Hi, how can I help?").await;
        match client.next().await {
            ServerFrame::Message { message } => assert_eq!(message.seq, reply.seq, "{db:?}"),
            other => panic!("{db:?}: expected the reply, got {other:?}"),
        }
        let mut socket = anna.socket().await;
        client.send(&ClientFrame::Read { seq: reply.seq }).await;
        assert_eq!(visitor_read(&mut socket).await, (id, reply.seq), "{db:?}");

        // Backwards, or past what the visitor was given: nothing moves, nobody hears of it.
        client.send(&ClientFrame::Read { seq: 1 }).await;
        client
            .send(&ClientFrame::Read {
                seq: reply.seq + 50,
            })
            .await;
        client.send(&ClientFrame::Typing).await;
        assert_eq!(visitor_read(&mut socket).await, (0, 0), "{db:?}");

        let listed = anna.conversations("view=all").await;
        assert_eq!(
            listed.conversations[0].visitor_read_seq, reply.seq,
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn each_operator_sees_the_others_assignment_live() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        let (_, mut first) = visitor(&server).await;
        let first = say(&mut first, "v-1", "one").await.conversation_id;
        let (_, mut second) = visitor(&server).await;
        let second = say(&mut second, "v-1", "two").await.conversation_id;
        let mut anna_socket = anna.socket().await;
        let mut boris_socket = boris.socket().await;

        let route = format!("conversations/{first}/assign");
        assert_eq!(anna.post(&route, &take()).await.status(), 200);
        let seen = summary_of(&mut boris_socket, first).await;
        assert_eq!(
            seen.assignee.map(|a| a.name),
            Some(anna.profile.name.clone()),
            "{db:?}"
        );
        let route = format!("conversations/{second}/assign");
        assert_eq!(boris.post(&route, &take()).await.status(), 200);
        let seen = summary_of(&mut anna_socket, second).await;
        assert_eq!(
            seen.assignee.map(|a| a.id),
            Some(boris.profile.id),
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn operators_see_each_other_come_online_and_go() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        let mut anna_socket = anna.socket().await;
        let mut boris_socket = boris.socket().await;
        let presence = |event| match event {
            OperatorEvent::Presence { operator, online } => Some((operator.id, online)),
            _ => None,
        };
        assert_eq!(
            boris_socket.until(presence).await,
            (anna.profile.id, true),
            "{db:?}: Boris is told Anna is online"
        );
        assert_eq!(
            anna_socket.until(presence).await,
            (boris.profile.id, true),
            "{db:?}: Anna hears Boris come"
        );
        drop(boris_socket);
        assert_eq!(
            anna_socket.until(presence).await,
            (boris.profile.id, false),
            "{db:?}: and go"
        );
    }
}

/// The HTTP status a refused handshake answered with.
fn refused_with(result: Result<OperatorSocket, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(response)) => response.status().as_u16(),
        other => panic!("expected a refused handshake, got {other:?}"),
    }
}

#[tokio::test]
async fn one_account_holds_a_limited_number_of_sockets_and_the_next_is_refused() {
    for db in engines() {
        let options = Options {
            operators: OperatorSettings {
                max_sockets_per_account: 2,
                ..OperatorSettings::default()
            },
            ..Options::default()
        };
        let (server, anna) = server_with_anna(db, options).await;
        // Two sessions of one account share its sockets.
        let other_tab = Operator::login(&server, ANNA, PASSWORD).await;
        let first = anna.socket().await;
        let second = other_tab.socket().await;
        let third = OperatorSocket::connect(&server.base, Some(&anna.token), &[]).await;
        match third {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 429, "{db:?}");
                let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
                let error: ErrorBody = serde_json::from_str(&body).expect("a JSON error");
                assert_eq!(error.error.code, "too_many_sockets", "{db:?}");
                assert!(
                    error.error.message.contains("2 live sockets open")
                        && error
                            .error
                            .message
                            .contains("operators.max_sockets_per_account"),
                    "{db:?}: {body}"
                );
            }
            other => panic!("{db:?}: the third socket was not refused: {other:?}"),
        }
        // The cap is per account: another operator connects, and hears Anna leave once her
        // sockets close, by which time their places are free again.
        let boris = boris(&server).await;
        let mut boris_socket = boris.socket().await;
        let presence = |event| match event {
            OperatorEvent::Presence { operator, online } => Some((operator.id, online)),
            _ => None,
        };
        assert_eq!(boris_socket.until(presence).await, (anna.profile.id, true));
        drop((first, second));
        assert_eq!(boris_socket.until(presence).await, (anna.profile.id, false));
        let mut again = anna.socket().await;
        assert!(
            matches!(again.next().await, OperatorEvent::Counts { .. }),
            "{db:?}"
        );
    }
}

#[tokio::test]
async fn the_socket_is_authenticated_like_the_routes_and_ends_with_the_session() {
    for db in engines() {
        let options = Options {
            limits: backend::config::settings::Limits {
                heartbeat_secs: 1,
                ..Options::default().limits
            },
            ..Options::default()
        };
        let (server, anna) = server_with_anna(db, options).await;
        let nobody = OperatorSocket::connect(&server.base, None, &[]).await;
        assert_eq!(refused_with(nobody), 401, "{db:?}");
        let wrong = OperatorSocket::connect(&server.base, Some("not-a-token"), &[]).await;
        assert_eq!(refused_with(wrong), 401, "{db:?}");
        let cookie = format!("webchat_operator={}", anna.token);
        let foreign = OperatorSocket::connect(
            &server.base,
            None,
            &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        )
        .await;
        assert_eq!(refused_with(foreign), 403, "{db:?}: cross-site handshake");
        let mut own = OperatorSocket::connect(
            &server.base,
            None,
            &[("Cookie", &cookie), ("Origin", &server.base)],
        )
        .await
        .expect("the console's own origin");
        assert!(matches!(own.next().await, OperatorEvent::Counts { .. }));

        assert_eq!(anna.post_empty("logout").await.status(), 204);
        assert_eq!(
            own.closed().await,
            protocol::close_code::LOGGED_OUT,
            "{db:?}: the socket ends with the session"
        );
    }
}

#[tokio::test]
async fn a_console_reply_on_a_bridged_integration_creates_its_user_once_and_1c_replies_show_live() {
    for db in engines() {
        let fake = FakeCollaborationServer::start().await;
        let options = Options {
            webhook_url: Some(fake.url()),
            ..Options::default()
        };
        let (server, anna) = server_with_anna(db, options).await;
        let (_, mut client) = visitor(&server).await;
        let id = say(&mut client, "v-1", "Hello?").await.conversation_id;
        anna.replied(id, "r-1", "Hi, Anna here").await;
        anna.replied(id, "r-2", "How can I help?").await;
        let commands = fake
            .wait_for("the visitor's message and both replies", |commands| {
                commands
                    .iter()
                    .filter(|command| matches!(command, Command::CreateMessage(_)))
                    .count()
                    == 3
            })
            .await;
        let users: Vec<&str> = commands
            .iter()
            .filter_map(|command| match command {
                Command::CreateUser(user) if user.name == anna.profile.name => {
                    Some(user.ext_user_id.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            users.len(),
            1,
            "{db:?}: one createUser for Anna: {commands:?}"
        );
        let first_reply = commands
            .iter()
            .position(|command| matches!(command, Command::CreateMessage(m) if m.ext_user_id.as_deref() == Some(users[0])))
            .expect("Anna's createMessage");
        let created_user = commands
            .iter()
            .position(|command| matches!(command, Command::CreateUser(user) if user.ext_user_id == users[0]))
            .unwrap();
        assert!(
            created_user < first_reply,
            "{db:?}: the user before its message"
        );
        // A message's author is a member of its discussion: Anna joins it once, before her
        // first message there (the fake refuses a message by anyone else).
        let joins: Vec<usize> = commands
            .iter()
            .enumerate()
            .filter(|(_, command)| {
                matches!(command, Command::UpdateConversation(update)
                if update.ext_user_id.as_deref() == Some(users[0])
                    && update.add_members == Some(vec![users[0].to_owned()])
                    && update.ext_conversation_id == id.to_string())
            })
            .map(|(at, _)| at)
            .collect();
        assert_eq!(joins.len(), 1, "{db:?}: one join: {commands:?}");
        assert!(
            created_user < joins[0] && joins[0] < first_reply,
            "{db:?}: the user, its join, then its message: {commands:?}"
        );

        let mut socket = anna.socket().await;
        let user = r#"{"createUser": {"extUserId": "op-1c", "name": "Vera"}}"#;
        assert_eq!(inbound(&server, WEBHOOK_TOKEN, user).await.0, 200, "{db:?}");
        let reply = format!(
            r#"{{"createMessage": {{"extId": "x-1", "text": "From 1C", "extUserId": "op-1c", "extConversationId": "{id}"}}}}"#
        );
        assert_eq!(
            inbound(&server, WEBHOOK_TOKEN, reply).await.0,
            200,
            "{db:?}"
        );
        let heard = socket
            .until(|event| match event {
                OperatorEvent::Message { message } => Some(message),
                _ => None,
            })
            .await;
        assert_eq!(heard.text, "From 1C", "{db:?}");
        assert_eq!(heard.author.kind, AuthorKind::Operator);
        assert_eq!(heard.author.name.as_deref(), Some("Vera"), "{db:?}");
    }
}
