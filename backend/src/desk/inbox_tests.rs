//! The inbox on both engines: pages and counts, the assignment race, closing and reopening,
//! console replies and read positions.

use super::inbox::{
    Assignment, ConsoleReply, InboxCursor, InboxFilter, ReadMark, Replied, StatusChange,
};
use super::inbox_store::page_statement;
use crate::outbox::Bridge;
use crate::storage::test_stores::{Bound, TestStore, queued, test_stores};
use crate::store::{ConversationRef, NewMessage, Refused, Visitor};
use protocol::operator::{ConversationStatus, InboxCounts, View};
use protocol::{AuthorKind, PageInfo, TextFormat};

/// A console account answering `integrations`; returns its id.
async fn account(store: &TestStore, name: &str, integrations: &[&str]) -> i64 {
    let id = store
        .execute(
            "INSERT INTO operator_accounts (email, name, password_hash, created_at, \
             password_changed_at) VALUES ($1, $2, 'x', 0, 0) RETURNING id",
            &[
                Bound::Text(format!("{name}@example.com")),
                Bound::Text(name.into()),
            ],
        )
        .await
        .remove(0)
        .parse()
        .unwrap();
    for integration in integrations {
        store
            .execute(
                "INSERT INTO operator_account_integrations (account_id, integration_id) \
                 VALUES ($1, $2)",
                &[Bound::Int(id), Bound::Text((*integration).into())],
            )
            .await;
    }
    id
}

fn said(client_id: &str, text: &str, page: Option<(&str, &str)>) -> NewMessage {
    NewMessage {
        client_id: client_id.into(),
        text: text.into(),
        text_format: TextFormat::Plain,
        page: page.map(|(url, title)| PageInfo {
            url: url.into(),
            title: title.into(),
        }),
    }
}

/// A visitor of `integration` who wrote `text`; returns it and its conversation.
async fn writer(store: &TestStore, integration: &str, name: &str, text: &str) -> (Visitor, i64) {
    let visitor = store.create_visitor(integration, name, None).await.unwrap();
    let stored = store
        .append_visitor_message(&visitor, said(name, text, None), Bridge::Off)
        .await
        .unwrap();
    (visitor, stored.message().conversation_id)
}

fn filter<'a>(account_id: i64, integrations: &'a [String], view: View) -> InboxFilter<'a> {
    InboxFilter {
        account_id,
        integrations,
        view,
        status: ConversationStatus::Open,
        cursor: None,
        limit: 50,
    }
}

fn ids(page: &super::inbox::InboxPage) -> Vec<i64> {
    page.conversations
        .iter()
        .map(|summary| summary.id)
        .collect()
}

#[tokio::test]
async fn an_inbox_lists_newest_activity_first_by_view_with_unread_and_previews() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        inbox_views(store).await;
    }
}

async fn inbox_views(store: &TestStore) {
    let engine = store.engine();
    let anna = account(store, "Anna", &["shop"]).await;
    let boris = account(store, "Boris", &["shop", "cafe"]).await;
    let (olga, first) = writer(store, "shop", "olga", "hello").await;
    let (_, second) = writer(store, "shop", "petr", "<b>not markup</b>").await;
    let (_, elsewhere) = writer(store, "cafe", "rita", "coffee?").await;
    let page = Some(("https://shop.example/cart", "Cart"));
    store
        .append_visitor_message(&olga, said("olga-2", "and  more", page), Bridge::Off)
        .await
        .unwrap();
    let moved = store
        .execute(
            "SELECT last_activity_at FROM conversations WHERE id = $1",
            &[Bound::Int(first)],
        )
        .await;
    assert!(
        moved[0].parse::<i64>().unwrap() > 0,
        "{engine:?}: messages move it"
    );
    // Apart by more than a clock tick, so the order is the test's.
    for (conversation, at) in [(first, 300), (elsewhere, 200), (second, 100)] {
        store
            .execute(
                "UPDATE conversations SET last_activity_at = $1 WHERE id = $2",
                &[Bound::Int(at), Bound::Int(conversation)],
            )
            .await;
    }

    let shop = ["shop".to_owned()];
    let listed = store
        .conversations(filter(anna, &shop, View::All))
        .await
        .unwrap();
    assert_eq!(ids(&listed), [first, second], "{engine:?}: newest first");
    let olga_card = &listed.conversations[0];
    assert!(olga_card.visitor.first_seen_at > 0);
    assert_eq!(olga_card.unread, 2, "{engine:?}");
    let preview = olga_card.last_message.as_ref().unwrap();
    assert_eq!(
        (preview.author, preview.text.as_str()),
        (AuthorKind::Visitor, "and more")
    );
    let shown_page = olga_card.page.as_ref().unwrap();
    assert_eq!(shown_page.url, "https://shop.example/cart");
    assert_eq!(shown_page.title, "Cart");
    assert_eq!(
        listed.conversations[1].last_message.as_ref().unwrap().text,
        "<b>not markup</b>",
        "plain text stays as written"
    );
    assert_eq!(listed.next_cursor, None);

    let both = ["shop".to_owned(), "cafe".to_owned()];
    let mut paged = filter(boris, &both, View::All);
    paged.limit = 2;
    let one = store.conversations(paged).await.unwrap();
    assert_eq!(
        ids(&one),
        [first, elsewhere],
        "{engine:?}: merged by activity"
    );
    paged.cursor = one.next_cursor;
    let two = store.conversations(paged).await.unwrap();
    assert_eq!(ids(&two), [second]);
    assert_eq!(two.next_cursor, None);
    assert_eq!(
        InboxCursor::decode(&one.next_cursor.unwrap().encode()),
        one.next_cursor
    );

    let taken = store
        .assign(anna, second, None, Some(anna), "en")
        .await
        .unwrap();
    assert!(matches!(taken, Some(Assignment::Assigned { .. })));
    let mine = store
        .conversations(filter(anna, &shop, View::Mine))
        .await
        .unwrap();
    assert_eq!(ids(&mine), [second], "{engine:?}");
    assert_eq!(
        mine.conversations[0].assignee.as_ref().unwrap().name,
        "Anna"
    );
    let unassigned = store
        .conversations(filter(anna, &shop, View::Unassigned))
        .await
        .unwrap();
    assert_eq!(ids(&unassigned), [first], "{engine:?}");
    assert_eq!(
        store.inbox_counts(anna, &shop).await.unwrap(),
        InboxCounts {
            unassigned: 1,
            mine: 1,
            all: 2
        },
        "{engine:?}"
    );
    store.mark_read(anna, first, 2).await.unwrap();
    assert_eq!(
        store.inbox_counts(anna, &shop).await.unwrap(),
        InboxCounts {
            unassigned: 0,
            mine: 1,
            all: 1
        },
        "{engine:?}: read conversations are not counted"
    );
    assert_eq!(
        store.inbox_counts(boris, &both).await.unwrap().all,
        3,
        "{engine:?}: another account's reading is its own"
    );

    assert_eq!(
        store.conversation_summary(anna, elsewhere).await.unwrap(),
        None,
        "{engine:?}: another integration's conversation is not Anna's to see"
    );
    assert!(
        store
            .assign(anna, elsewhere, None, Some(anna), "en")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.close(anna, elsewhere, "en").await.unwrap().is_none());
    assert!(store.mark_read(anna, elsewhere, 1).await.unwrap().is_none());
    let reply = ConsoleReply {
        client_id: "c-1",
        text: "hi",
        text_format: TextFormat::Plain,
    };
    assert!(
        store
            .append_console_reply(anna, elsewhere, reply, Bridge::Off)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .assign(boris, elsewhere, None, Some(anna), "en")
            .await
            .unwrap(),
        Some(Assignment::UnknownAssignee),
        "{engine:?}: Anna answers no conversation of the cafe"
    );
}

#[tokio::test]
async fn of_two_concurrent_takes_exactly_one_wins_and_the_other_sees_who() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let anna = account(store, "Anna", &["shop"]).await;
        let boris = account(store, "Boris", &["shop"]).await;
        let (_, conversation) = writer(store, "shop", "olga", "hello").await;
        let (first, second) = tokio::join!(
            store.assign(anna, conversation, None, Some(anna), "en"),
            store.assign(boris, conversation, None, Some(boris), "en"),
        );
        let outcomes = [first.unwrap().unwrap(), second.unwrap().unwrap()];
        let winners: Vec<_> = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Assignment::Assigned {
                    assignee, notice, ..
                } => Some((assignee.clone().unwrap(), notice.text.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(winners.len(), 1, "{engine:?}: {outcomes:?}");
        let (winner, notice) = &winners[0];
        assert_eq!(notice, &format!("{} took the conversation", winner.name));
        let loser = outcomes
            .iter()
            .find(|outcome| matches!(outcome, Assignment::Conflict { .. }))
            .unwrap();
        assert_eq!(
            loser,
            &Assignment::Conflict {
                assignee: Some(winner.clone())
            },
            "{engine:?}: the loser learns who has it"
        );

        let handed = store
            .assign(winner.id, conversation, Some(winner.id), None, "en")
            .await
            .unwrap();
        let Some(Assignment::Assigned { notice, .. }) = handed else {
            panic!("{engine:?}: {handed:?}");
        };
        assert_eq!(
            notice.text,
            format!("{} unassigned the conversation", winner.name)
        );
        assert_eq!(notice.author.kind, AuthorKind::System);
    }
}

#[tokio::test]
async fn closing_reopening_and_a_visitor_writing_into_a_closed_conversation() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let anna = account(store, "Anna", &["shop"]).await;
        let (olga, conversation) = writer(store, "shop", "olga", "hello").await;
        let closed = store
            .close(anna, conversation, "en")
            .await
            .unwrap()
            .unwrap();
        let StatusChange::Changed { notice, .. } = closed else {
            panic!("{engine:?}: {closed:?}");
        };
        assert_eq!(notice.text, "Anna closed the conversation");
        assert!(matches!(
            store.close(anna, conversation, "en").await.unwrap(),
            Some(StatusChange::Unchanged { .. })
        ));
        let summary = store
            .conversation_summary(anna, conversation)
            .await
            .unwrap();
        assert_eq!(summary.unwrap().status, ConversationStatus::Closed);

        store
            .append_visitor_message(&olga, said("olga-2", "still there?", None), Bridge::Off)
            .await
            .unwrap();
        let summary = store
            .conversation_summary(anna, conversation)
            .await
            .unwrap();
        assert_eq!(
            summary.unwrap().status,
            ConversationStatus::Open,
            "{engine:?}: the visitor's message opens it again"
        );
        store.close(anna, conversation, "en").await.unwrap();
        let reopened = store
            .reopen(anna, conversation, "en")
            .await
            .unwrap()
            .unwrap();
        let StatusChange::Changed { notice, .. } = reopened else {
            panic!("{engine:?}: {reopened:?}");
        };
        assert_eq!(notice.text, "Anna reopened the conversation");
        let log: Vec<_> = store
            .messages_after(conversation, 0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|message| (message.author.kind, message.text))
            .collect();
        assert_eq!(log.len(), 5, "{engine:?}: {log:?}");
    }
}

#[tokio::test]
async fn a_summary_names_the_browser_the_visitor_was_made_in() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let anna = account(store, "Anna", &["shop"]).await;
        let firefox = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0";
        let olga = store
            .create_visitor("shop", "olga", Some(firefox))
            .await
            .unwrap();
        let (_, unknown) = writer(store, "shop", "ivan", "hi").await;
        let known = store
            .append_visitor_message(&olga, said("v-1", "hello", None), Bridge::Off)
            .await
            .unwrap()
            .message()
            .conversation_id;
        for (conversation, browser) in [(known, Some(firefox)), (unknown, None)] {
            let summary = store.conversation_summary(anna, conversation).await;
            let summary = summary.unwrap().expect("anna answers the shop");
            assert_eq!(
                summary.visitor.browser.as_deref(),
                browser,
                "{}",
                store.engine().name()
            );
        }
    }
}

#[tokio::test]
async fn console_replies_are_stored_once_authored_and_queued_for_a_bridged_integration() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let anna = account(store, "Anna", &["shop"]).await;
        let olga = store.create_visitor("shop", "olga", None).await.unwrap();
        let first = store
            .append_visitor_message(&olga, said("v-1", "hello", None), Bridge::On)
            .await
            .unwrap();
        let conversation = first.message().conversation_id;
        let before = store
            .conversation_summary(anna, conversation)
            .await
            .unwrap();
        let reply = |client_id| ConsoleReply {
            client_id,
            text: "<b>hi</b>",
            text_format: TextFormat::Html,
        };
        let sent = store
            .append_console_reply(anna, conversation, reply("c-1"), Bridge::On)
            .await
            .unwrap()
            .unwrap();
        let Replied::Created {
            conversation: address,
            message,
        } = &sent
        else {
            panic!("{engine:?}: {sent:?}");
        };
        assert_eq!(message.author.kind, AuthorKind::Operator);
        assert_eq!(message.author.name.as_deref(), Some("Anna"));
        assert_eq!(message.client_id.as_deref(), Some("c-1"));
        assert_eq!(address.person_id, olga.person_id);
        let again = store
            .append_console_reply(anna, conversation, reply("c-1"), Bridge::On)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            again,
            Replied::Existing {
                conversation: address.clone(),
                message: message.clone()
            }
        );
        store
            .append_console_reply(anna, conversation, reply("c-2"), Bridge::On)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            queued(store, conversation).await,
            [
                "createUser",
                "createConversation",
                "createMessage",
                "createUser",
                "updateConversation",
                "createMessage",
                "createMessage"
            ],
            "{engine:?}: the operator is created in the collaboration server and joins the \
             conversation once, before its first message"
        );
        let refused = store
            .append_console_reply(anna, conversation, reply("v-1"), Bridge::On)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            refused,
            Replied::ClientIdTaken,
            "{engine:?}: the visitor's client id is not Anna's"
        );
        let echo = crate::store::fixtures::reply(&message.id.to_string(), conversation);
        let conversation_ref = ConversationRef {
            id: conversation,
            person_id: olga.person_id,
        };
        let echoed = store
            .append_operator_message("shop", conversation_ref, &echo)
            .await
            .unwrap();
        assert!(
            matches!(echoed, Err(Refused::Conflict(_))),
            "{engine:?}: the reply coming back from the collaboration server is not stored twice"
        );
        let after = store
            .conversation_summary(anna, conversation)
            .await
            .unwrap();
        let (before, after) = (before.unwrap(), after.unwrap());
        assert!(after.last_activity_at >= before.last_activity_at);
        assert_eq!(after.last_message.unwrap().author, AuthorKind::Operator);
        assert_eq!(
            after.unread, 1,
            "{engine:?}: only the visitor's messages count"
        );
    }
}

#[tokio::test]
async fn read_positions_only_move_forward_and_seen_is_the_furthest() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let anna = account(store, "Anna", &["shop"]).await;
        let boris = account(store, "Boris", &["shop"]).await;
        let (olga, conversation) = writer(store, "shop", "olga", "one").await;
        for n in 2..=3 {
            let text = format!("message {n}");
            store
                .append_visitor_message(&olga, said(&text, &text, None), Bridge::Off)
                .await
                .unwrap();
        }
        let seen = |mark: Option<ReadMark>| mark.unwrap().seen;
        assert_eq!(
            seen(store.mark_read(anna, conversation, 2).await.unwrap()),
            Some(2)
        );
        assert_eq!(
            seen(store.mark_read(anna, conversation, 1).await.unwrap()),
            None,
            "{engine:?}: going back moves nothing"
        );
        assert_eq!(
            seen(store.mark_read(boris, conversation, 1).await.unwrap()),
            None
        );
        let unread = |account| async move {
            let summary = store.conversation_summary(account, conversation).await;
            summary.unwrap().unwrap().unread
        };
        assert_eq!(unread(anna).await, 1, "{engine:?}");
        assert_eq!(unread(boris).await, 2, "{engine:?}");
        let (_, other) = writer(store, "shop", "pavel", "hi").await;
        store.mark_read(boris, other, 1).await.unwrap();
        let mut read = store
            .shared_summaries(&[-1, conversation, other])
            .await
            .unwrap();
        read.sort_by_key(|shared| shared.summary.id);
        assert_eq!(
            read.iter()
                .map(|shared| shared.summary.id)
                .collect::<Vec<_>>(),
            [conversation, other],
            "{engine:?}: a conversation that is not is left out"
        );
        for shared in &read {
            for account in [anna, boris] {
                assert_eq!(
                    shared.for_account(account),
                    store
                        .conversation_summary(account, shared.summary.id)
                        .await
                        .unwrap()
                        .unwrap(),
                    "{engine:?}: one read serves every operator"
                );
            }
        }
        assert_eq!(
            read[0].for_account(anna + boris).unread,
            3,
            "{engine:?}: an operator who read nothing has every visitor message unread"
        );
        assert_eq!(
            (
                read[1].for_account(anna).unread,
                read[1].for_account(boris).unread
            ),
            (1, 0),
            "{engine:?}: each conversation with its own readers"
        );
        assert_eq!(
            seen(store.mark_read(boris, conversation, 99).await.unwrap()),
            Some(3),
            "{engine:?}: a read past the end stops at the last message"
        );
    }
}

/// Conversations the scale test seeds: the inbox of 100,000.
const SEEDED: i64 = 100_000;

#[tokio::test]
async fn the_first_page_of_an_inbox_of_100_000_conversations_is_quick() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let anna = account(store, "Anna", &["shop"]).await;
        seed(store, SEEDED, anna).await;
        let shop = ["shop".to_owned()];
        for view in [View::All, View::Unassigned, View::Mine] {
            // The first read warms the cache and, on PostgreSQL, prepares the statement.
            store
                .conversations(filter(anna, &shop, view))
                .await
                .unwrap();
            let started = std::time::Instant::now();
            let page = store
                .conversations(filter(anna, &shop, view))
                .await
                .unwrap();
            let took = started.elapsed();
            assert_eq!(page.conversations.len(), 50, "{engine:?} {view:?}");
            println!("{engine:?} {view:?}: first page in {took:?}");
            assert!(
                took < std::time::Duration::from_millis(100),
                "{engine:?} {view:?}: {took:?}"
            );
        }
        let mine = [
            Bound::Int(anna),
            Bound::Text("shop".into()),
            Bound::Text("open".into()),
            Bound::Int(i64::MAX),
            Bound::Int(i64::MAX),
            Bound::Int(50),
        ];
        let plan = store.plan(page_statement(View::Mine), &mine).await;
        assert!(
            plan.contains("conversations_by_assignee"),
            "{engine:?}: the Mine view reads the assigned conversations' index:\n{plan}"
        );
        let started = std::time::Instant::now();
        let counts = store.inbox_counts(anna, &shop).await.unwrap();
        println!("{engine:?}: counts {counts:?} in {:?}", started.elapsed());
        assert_eq!(counts.all, SEEDED / 10);
    }
}

/// `count` conversations of "shop", each with one unread visitor message at its own time: one
/// in ten open, one in three of those `assignee`'s.
async fn seed(store: &TestStore, count: i64, assignee: i64) {
    for sql in [
        "INSERT INTO people (integration_id, name, created_at) \
         WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
         SELECT 'shop', 'Visitor', i FROM n",
        "INSERT INTO conversations (integration_id, person_id, last_seq, created_at, \
         last_activity_at, status, last_visitor_seq) \
         SELECT integration_id, id, 1, created_at, created_at, \
         CASE WHEN id % 10 = 0 THEN 'open' ELSE 'closed' END, 1 \
         FROM people WHERE integration_id = 'shop' AND sub IS NULL AND $1 > 0 \
         AND id NOT IN (SELECT person_id FROM conversations)",
        "INSERT INTO messages (conversation_id, seq, author_kind, text, text_format, sent_at) \
         SELECT id, 1, 'visitor', 'hello', 'text/plain', created_at FROM conversations \
         WHERE $1 > 0",
    ] {
        store.execute(sql, &[Bound::Int(count)]).await;
    }
    store
        .execute(
            "UPDATE conversations SET assignee_id = $1 WHERE id % 3 = 0",
            &[Bound::Int(assignee)],
        )
        .await;
    if store.engine() == crate::store::Engine::Postgres {
        // What autovacuum does for a table grown this much.
        store.execute("ANALYZE", &[]).await;
    }
}
