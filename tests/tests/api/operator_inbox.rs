//! The operator API's conversation routes over HTTP, on both engines: the inbox and the history
//! in pages, replies (idempotent, live to the visitor and there after a reload), the take that
//! loses a race, close and reopen, unread counts and "seen" (live and after a reconnect), and
//! that a conversation of another integration does not exist for an operator.

use crate::support::{say, visitor, welcomed};
use protocol::operator::{
    AssignRequest, AssignTarget, ConversationStatus, ReadRequest, ReplyRequest,
};
use protocol::{AuthorKind, ClientFrame, ServerFrame, TextFormat};
use tests::operator::{Operator, ok_json, refusal};
use tests::server::INTEGRATION_ID;
use tests::{Options, TestServer, engines};

pub const ANNA: &str = "anna@example.com";
pub const BORIS: &str = "boris@example.com";
pub const PASSWORD: &str = "correct horse battery";

/// A server with Anna answering the test integration, and Anna logged in.
pub async fn server_with_anna(db: tests::Db, options: Options) -> (TestServer, Operator) {
    let server = TestServer::start(db, options).await;
    server.add_operator(ANNA, PASSWORD, &[INTEGRATION_ID]).await;
    let anna = Operator::login(&server, ANNA, PASSWORD).await;
    (server, anna)
}

/// Boris, answering the test integration too, logged in.
pub async fn boris(server: &TestServer) -> Operator {
    server
        .add_operator(BORIS, PASSWORD, &[INTEGRATION_ID])
        .await;
    Operator::login(server, BORIS, PASSWORD).await
}

/// A new visitor's conversation with `texts` in it: its id and the visitor's session.
async fn conversation(server: &TestServer, texts: &[&str]) -> (i64, tests::WsClient, String) {
    let (token, mut client) = visitor(server).await;
    let mut id = 0;
    for (n, text) in texts.iter().enumerate() {
        id = say(&mut client, &format!("v-{n}"), text)
            .await
            .conversation_id;
    }
    (id, client, token)
}

fn take() -> AssignRequest {
    AssignRequest {
        operator: AssignTarget::Me,
    }
}

#[tokio::test]
async fn the_inbox_pages_newest_first_with_counts_and_refuses_bad_queries() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(conversation(&server, &[&format!("hello {n}")]).await.0);
        }
        let first = anna.conversations("view=unassigned&limit=2").await;
        let listed: Vec<i64> = first.conversations.iter().map(|c| c.id).collect();
        assert_eq!(listed, [ids[2], ids[1]], "{db:?}: newest activity first");
        let counts = anna.counts().await;
        assert_eq!(
            (counts.unassigned, counts.mine, counts.all),
            (3, 0, 3),
            "{db:?}"
        );
        let cursor = first.next_cursor.expect("a second page");
        let second = anna
            .conversations(&format!("view=unassigned&limit=2&cursor={cursor}"))
            .await;
        let listed: Vec<i64> = second.conversations.iter().map(|c| c.id).collect();
        assert_eq!(listed, [ids[0]], "{db:?}");
        assert_eq!(second.next_cursor, None, "{db:?}: the last page");
        let summary = &second.conversations[0];
        assert_eq!(summary.unread, 1);
        assert_eq!(
            summary.last_message.as_ref().map(|m| m.text.as_str()),
            Some("hello 0")
        );
        assert!(
            anna.conversations("view=mine")
                .await
                .conversations
                .is_empty()
        );

        for (query, allowed) in [
            ("view=everything", "unassigned"),
            ("status=pending", "closed"),
            ("cursor=yesterday", "next_cursor"),
        ] {
            let (status, error) = refusal(anna.get(&format!("conversations?{query}")).await).await;
            assert_eq!(
                (status, error.code.as_str()),
                (400, "bad_request"),
                "{query}"
            );
            assert!(
                error.message.contains(allowed),
                "{query}: {}",
                error.message
            );
        }
    }
}

#[tokio::test]
async fn history_pages_go_back_from_the_newest_and_forward_after_a_seq() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (id, _client, _) =
            conversation(&server, &["one", "two", "three", "four", "five"]).await;
        let texts = |page: &protocol::operator::MessagePage| -> Vec<String> {
            page.messages.iter().map(|m| m.text.clone()).collect()
        };
        let newest = anna.messages(id, "limit=2").await;
        assert_eq!(texts(&newest), ["four", "five"], "{db:?}");
        assert!(newest.has_older && !newest.has_newer, "{db:?}");
        let before = anna
            .messages(
                id,
                &format!("before_seq={}&limit=2", newest.messages[0].seq),
            )
            .await;
        assert_eq!(texts(&before), ["two", "three"], "{db:?}");
        assert!(before.has_older && before.has_newer, "{db:?}");
        let after = anna.messages(id, "after_seq=0&limit=2").await;
        assert_eq!(texts(&after), ["one", "two"], "{db:?}");
        assert!(!after.has_older && after.has_newer, "{db:?}");
        let capped = anna.messages(id, "limit=100000").await;
        assert_eq!(capped.messages.len(), 5, "{db:?}: a page holds them all");
    }
}

#[tokio::test]
async fn conversations_of_other_integrations_do_not_exist_for_an_operator() {
    for db in engines() {
        let (server, _anna) = server_with_anna(db, Options::default()).await;
        server
            .add_operator("carl@example.com", PASSWORD, &["elsewhere"])
            .await;
        let carl = Operator::login(&server, "carl@example.com", PASSWORD).await;
        let (id, _client, _) = conversation(&server, &["hello"]).await;
        assert!(
            carl.conversations("view=all")
                .await
                .conversations
                .is_empty()
        );
        let answers = [
            carl.get(&format!("conversations/{id}/messages")).await,
            carl.reply(id, "c-1", "hi").await,
            carl.post(&format!("conversations/{id}/assign"), &take())
                .await,
            carl.post_empty(&format!("conversations/{id}/close")).await,
            carl.post_empty(&format!("conversations/{id}/reopen")).await,
            carl.post(&format!("conversations/{id}/read"), &ReadRequest { seq: 1 })
                .await,
            carl.get("conversations/first/messages").await,
        ];
        for answer in answers {
            let (status, error) = refusal(answer).await;
            assert_eq!((status, error.code.as_str()), (404, "not_found"), "{db:?}");
        }
    }
}

#[tokio::test]
async fn a_reply_is_stored_once_per_client_id_and_reaches_the_visitor_live_and_after_reload() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (id, mut client, token) = conversation(&server, &["Is it in stock?"]).await;
        let first = anna.reply(id, "r-1", "Yes, three left").await;
        assert_eq!(first.status(), 201, "{db:?}");
        let stored: protocol::Message = first.json().await.unwrap();
        assert_eq!(stored.author.kind, AuthorKind::Operator);
        assert_eq!(
            stored.author.name.as_deref(),
            Some(anna.profile.name.as_str())
        );
        let again = anna.reply(id, "r-1", "Yes, three left").await;
        assert_eq!(again.status(), 200, "{db:?}: the same answer again");
        assert_eq!(again.json::<protocol::Message>().await.unwrap(), stored);
        match client.next().await {
            ServerFrame::Message { message } => assert_eq!(message, stored, "{db:?}"),
            other => panic!("{db:?}: expected the reply live, got {other:?}"),
        }

        let html = ReplyRequest {
            text: "<b>Bold</b><script>x()</script>".into(),
            text_format: TextFormat::Html,
            client_id: "r-2".into(),
        };
        let sanitized: protocol::Message = ok_json(
            anna.post(&format!("conversations/{id}/messages"), &html)
                .await,
        )
        .await;
        assert_eq!(sanitized.text, "<b>Bold</b>", "{db:?}");
        let (status, error) = refusal(anna.reply(id, "r-3", "  ").await).await;
        assert_eq!(status, 400, "{db:?}: {}", error.message);
        let long = "x".repeat(Options::default().limits.max_message_bytes + 1);
        let (status, error) = refusal(anna.reply(id, "r-4", &long).await).await;
        assert_eq!(status, 400, "{db:?}");
        assert!(error.message.contains("limit"), "{}", error.message);
        let (status, error) = refusal(anna.reply(id, "v-0", "taken").await).await;
        assert_eq!(
            (status, error.code.as_str()),
            (409, "client_id_taken"),
            "{db:?}"
        );
        drop(client);

        let (_, messages) = welcomed(&server, &token).await;
        let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Is it in stock?", "Yes, three left", "<b>Bold</b>"],
            "{db:?}: once each after a reload"
        );
    }
}

#[tokio::test]
async fn of_two_takes_at_once_one_wins_and_the_other_is_told_who_has_it() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let boris = boris(&server).await;
        server
            .add_operator("carl@example.com", PASSWORD, &["elsewhere"])
            .await;
        let (id, _client, _) = conversation(&server, &["anyone?"]).await;
        let route = format!("conversations/{id}/assign");
        let me = take();
        let (by_anna, by_boris) = tokio::join!(anna.post(&route, &me), boris.post(&route, &me));
        let (winner, loser) = match (by_anna.status().as_u16(), by_boris.status().as_u16()) {
            (200, 409) => ((&anna, by_anna), by_boris),
            (409, 200) => ((&boris, by_boris), by_anna),
            other => panic!("{db:?}: expected one 200 and one 409, got {other:?}"),
        };
        let (operator, answer) = winner;
        let summary: protocol::operator::ConversationSummary = answer.json().await.unwrap();
        assert_eq!(
            summary.assignee.map(|a| a.id),
            Some(operator.profile.id),
            "{db:?}"
        );
        let (_, error) = refusal(loser).await;
        assert_eq!(error.code, "already_assigned");
        assert!(
            error.message.contains(&operator.profile.name),
            "{db:?}: {}",
            error.message
        );
        let carl = server
            .select_texts(
                "SELECT CAST(id AS TEXT) FROM operator_accounts WHERE email = 'carl@example.com'",
            )
            .await;
        let carl: i64 = carl[0][0].as_deref().unwrap().parse().unwrap();
        let (status, error) = refusal(
            anna.post(
                &route,
                &AssignRequest {
                    operator: AssignTarget::Operator(carl),
                },
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{db:?}: {}", error.message);
        let released: protocol::operator::ConversationSummary = ok_json(
            operator
                .post(
                    &route,
                    &AssignRequest {
                        operator: AssignTarget::Nobody,
                    },
                )
                .await,
        )
        .await;
        assert_eq!(released.assignee, None, "{db:?}");
    }
}

#[tokio::test]
async fn a_closed_conversation_opens_again_when_the_visitor_writes() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (id, mut client, _) = conversation(&server, &["thanks, bye"]).await;
        let closed: protocol::operator::ConversationSummary =
            ok_json(anna.post_empty(&format!("conversations/{id}/close")).await).await;
        assert_eq!(closed.status, ConversationStatus::Closed, "{db:?}");
        match client.next().await {
            ServerFrame::Message { message } => {
                assert_eq!(
                    message.author.kind,
                    AuthorKind::System,
                    "{db:?}: the notice"
                );
            }
            other => panic!("{db:?}: expected the closing notice, got {other:?}"),
        }
        let listed = anna.conversations("status=closed").await;
        assert_eq!(listed.conversations.len(), 1, "{db:?}");
        assert!(
            anna.conversations("status=open")
                .await
                .conversations
                .is_empty()
        );
        say(&mut client, "v-9", "one more thing").await;
        let open = anna.conversations("status=open").await;
        assert_eq!(
            open.conversations.len(),
            1,
            "{db:?}: reopened by the visitor"
        );
        assert_eq!(open.conversations[0].status, ConversationStatus::Open);
        let closed: protocol::operator::ConversationSummary =
            ok_json(anna.post_empty(&format!("conversations/{id}/close")).await).await;
        assert_eq!(closed.status, ConversationStatus::Closed);
        let reopened: protocol::operator::ConversationSummary =
            ok_json(anna.post_empty(&format!("conversations/{id}/reopen")).await).await;
        assert_eq!(reopened.status, ConversationStatus::Open, "{db:?}");
    }
}

#[tokio::test]
async fn unread_counts_follow_visitor_messages_and_reads_and_the_visitor_sees_seen() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (id, mut client, _) = conversation(&server, &["one", "two"]).await;
        let before = anna.conversations("view=all").await;
        assert_eq!(before.conversations[0].unread, 2, "{db:?}");
        assert_eq!(anna.counts().await.all, 1, "{db:?}");
        let last = say(&mut client, "v-3", "three").await;
        assert_eq!(anna.conversations("").await.conversations[0].unread, 3);
        let read = anna
            .post(
                &format!("conversations/{id}/read"),
                &ReadRequest { seq: last.seq },
            )
            .await;
        assert_eq!(read.status(), 204, "{db:?}");
        let after = anna.conversations("view=all").await;
        assert_eq!(after.conversations[0].unread, 0, "{db:?}");
        assert_eq!(anna.counts().await.all, 0, "{db:?}");
        match client.next().await {
            ServerFrame::Seen {
                conversation_id,
                seq,
            } => assert_eq!((conversation_id, seq), (id, last.seq), "{db:?}"),
            other => panic!("{db:?}: expected seen, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_reconnecting_visitor_gets_seen_after_its_welcome_once_an_operator_read() {
    for db in engines() {
        let (server, anna) = server_with_anna(db, Options::default()).await;
        let (id, _, token) = conversation(&server, &["one", "two"]).await;

        // Nothing read yet: the frame after the welcome answers the ping.
        let (mut unread, _) = welcomed(&server, &token).await;
        unread.send(&ClientFrame::Ping).await;
        match unread.next().await {
            ServerFrame::Pong => {}
            other => panic!("{db:?}: expected no seen before any read, got {other:?}"),
        }

        let read = anna
            .post(&format!("conversations/{id}/read"), &ReadRequest { seq: 1 })
            .await;
        assert_eq!(read.status(), 204, "{db:?}");
        let (mut reloaded, _) = welcomed(&server, &token).await;
        match reloaded.next().await {
            ServerFrame::Seen {
                conversation_id,
                seq,
            } => assert_eq!((conversation_id, seq), (id, 1), "{db:?}"),
            other => panic!("{db:?}: expected seen after the welcome, got {other:?}"),
        }
    }
}
