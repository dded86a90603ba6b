//! What the bridge keeps in the store's database, on both engines: how the outbox gives its
//! commands to the worker and sets aside those refused for good, and what the collaboration
//! server's commands store (operators, their pictures, their messages beside visitors', titles
//! and notices).

use super::interface::{AfterFailure, DeadLetters, Due, Failure, Write};
use crate::content::picture::Picture;
use crate::outbox::Bridge;
use crate::storage::test_stores::{Bound, TestStore, queued, test_stores};
use crate::store::fixtures::{question as message, reply};
use crate::store::{Appended, ConversationRef, NewMessage, now_ms};
use futures_util::future::join_all;
use protocol::webhook::User;
use protocol::{AuthorKind, Message, TextFormat};
use std::collections::HashMap;

#[tokio::test]
async fn visitors_and_operators_messages_share_a_group_and_its_numbering() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        share_a_group_and_its_numbering(store).await;
    }
}

async fn share_a_group_and_its_numbering(store: &TestStore) {
    let visitor = store.create_visitor("shop", "hash", None).await.unwrap();
    let first = store
        .append_visitor_message(&visitor, message("first"), Bridge::On)
        .await
        .unwrap();
    let conversation = ConversationRef {
        id: first.message().conversation_id,
        person_id: visitor.person_id,
    };
    // Sent together, so the writer finds them all queued: one group, one transaction.
    let asked: Vec<_> = (0..40)
        .map(|n| reply(&format!("op-{}", n % 30), conversation.id))
        .collect();
    let questions = (0..=40).map(|n| {
        // The last is the first message sent again, as after a lost acknowledgement.
        let client_id = if n == 40 {
            "first".into()
        } else {
            format!("v-{n}")
        };
        store.append_visitor_message(&visitor, message(&client_id), Bridge::On)
    });
    let answers = asked
        .iter()
        .map(|command| store.append_operator_message("shop", conversation, command));
    let (mut questions, answers) = tokio::join!(join_all(questions), join_all(answers));

    let again = questions.pop().unwrap().unwrap();
    assert!(matches!(again, Appended::Existing(_)), "stored once");
    assert_eq!(again.message(), first.message());
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    let refused = answers.iter().filter(|answer| answer.is_err()).count();
    assert_eq!(refused, 10, "an id sent twice in a group is stored once");
    assert!(
        answers[..30].iter().all(Result::is_ok),
        "the first of each id is stored"
    );
    let mut seqs: Vec<i64> = questions
        .iter()
        .map(|stored| stored.as_ref().unwrap().message().seq)
        .chain(answers.iter().flatten().map(|message| message.seq))
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (2..=71).collect::<Vec<_>>(),
        "numbers follow the first message, none twice"
    );

    let stored = store
        .messages_after(conversation.id, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(stored.len(), 71);
    assert!(
        stored.windows(2).all(|pair| pair[0].id < pair[1].id),
        "ids grow with the numbers: the collaboration server gets them in that order"
    );
    let operators: Vec<Message> = stored
        .iter()
        .filter(|message| message.client_id.is_none())
        .cloned()
        .collect();
    assert_eq!(operators.len(), 30);
    assert_eq!(
        answers.iter().flatten().cloned().collect::<Vec<_>>(),
        operators,
        "what the writer answers is what was stored"
    );
    let visitors: Vec<Message> = questions
        .into_iter()
        .map(|q| q.unwrap().message().clone())
        .collect();
    assert_eq!(
        visitors,
        stored[1..]
            .iter()
            .filter(|message| message.client_id.is_some())
            .cloned()
            .collect::<Vec<_>>(),
        "visitors' messages are answered as stored, numbered in the order sent"
    );
    let mut expected = vec!["createUser", "createConversation"];
    expected.extend(["createMessage"; 41]);
    assert_eq!(queued(store, conversation.id).await, expected);
}

#[tokio::test]
async fn delivered_commands_leave_the_outbox_in_order() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        leave_in_order(store).await;
    }
}

async fn leave_in_order(store: &TestStore) {
    let mut queued = store.outbox_signal().subscribe("shop");
    queued.take();
    let visitor = store.create_visitor("shop", "hash", None).await.unwrap();
    let message = NewMessage {
        client_id: "m-1".into(),
        text: "hello".into(),
        text_format: TextFormat::Plain,
        page: None,
    };
    let appended = store
        .append_visitor_message(&visitor, message, Bridge::On)
        .await
        .unwrap();
    let handed = queued.take().items;
    assert_eq!(
        handed
            .iter()
            .map(|item| item.command.split('"').nth(1).unwrap_or_default())
            .collect::<Vec<_>>(),
        ["createUser", "createConversation", "createMessage"],
        "the commit hands the worker what it queued"
    );
    let key = crate::outbox::ordering_key(appended.message().conversation_id);
    assert!(handed.iter().all(|item| item.ordering_key == key));
    let queued_ids: Vec<i64> = store
        .execute("SELECT id FROM outbox ORDER BY id", &[])
        .await
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    assert_eq!(
        handed.iter().map(|item| item.id).collect::<Vec<_>>(),
        queued_ids,
        "handed under the ids they were queued with"
    );

    // Retries fall due a minute on: the commands queued meanwhile are due before them,
    // however slowly the test runs.
    let retry_after = 60_000;
    let now = now_ms();
    let heads = store.due(Due::Heads, "shop", now, 10).await.unwrap();
    assert_eq!(heads.len(), 1, "one head per conversation: {heads:?}");
    assert!(
        store
            .due(Due::Retries, "shop", now, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let head = &heads[0];
    let outage = Failure::Outage {
        error: "answered 500",
        next_attempt_at: now + retry_after,
    };
    let after = store.record_failure(head.id, outage).await.unwrap();
    assert_eq!(after, AfterFailure::Retried);
    assert!(
        store
            .due(Due::Retries, "shop", now, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let retries = store
        .due(Due::Retries, "shop", now + retry_after, 10)
        .await
        .unwrap();
    assert_eq!(
        retries
            .iter()
            .map(|item| (item.id, item.attempts))
            .collect::<Vec<_>>(),
        [(head.id, 1)],
        "the failed head, due again"
    );
    assert!(
        store
            .due(Due::Retries, "other", now + retry_after, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let now = now + retry_after;

    let key = &heads[0].ordering_key;
    assert_eq!(
        store
            .next_commands("shop", std::slice::from_ref(key), now - retry_after, 10)
            .await
            .unwrap(),
        HashMap::from([(key.clone(), Vec::new())]),
        "nothing due while the head waits for its retry, but the queue is not empty"
    );
    assert!(
        store
            .next_commands("shop", &["conversation-0".to_owned()], now, 10)
            .await
            .unwrap()
            .is_empty(),
        "a key with nothing queued is left out"
    );
    let other = store.create_visitor("shop", "other", None).await.unwrap();
    let other_message = NewMessage {
        client_id: "m-1".into(),
        text: "hello".into(),
        text_format: TextFormat::Plain,
        page: None,
    };
    let other_key = crate::outbox::ordering_key(
        store
            .append_visitor_message(&other, other_message, Bridge::On)
            .await
            .unwrap()
            .message()
            .conversation_id,
    );
    let both = [key.clone(), other_key.clone()];
    let read = |now| {
        let both = &both;
        async move {
            store
                .next_commands("shop", both, now, 10)
                .await
                .unwrap()
                .into_values()
                .flatten()
                .map(|item| (item.ordering_key, item.id))
                .collect::<Vec<_>>()
        }
    };
    let early = read(now - 1).await;
    assert_eq!(early.len(), 3, "the other's three commands: {early:?}");
    assert!(early.iter().all(|(queue, _)| *queue == other_key));
    assert!(early.is_sorted(), "in order");
    assert_eq!(
        read(now).await.len(),
        6,
        "both queues once the retry is due"
    );
    let first_ids: Vec<i64> = early.iter().map(|(_, id)| *id).collect();
    store.remove_delivered(&first_ids).await.unwrap();
    let mut sent = Vec::new();
    loop {
        let next = store
            .next_commands("shop", std::slice::from_ref(key), now, 2)
            .await
            .unwrap()
            .remove(key)
            .unwrap_or_default();
        if next.is_empty() {
            break;
        }
        for item in next {
            sent.push(
                item.command
                    .split('"')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned(),
            );
            store.remove_delivered(&[item.id]).await.unwrap();
        }
    }
    assert_eq!(sent, ["createUser", "createConversation", "createMessage"]);
    let left = store.execute("SELECT COUNT(*) FROM outbox", &[]).await;
    assert_eq!(left, ["0"], "delivered commands are deleted");
    assert_eq!(store.outbox_counts("shop").await.unwrap().depth, 0);
}

#[tokio::test]
async fn a_command_refused_max_attempts_times_is_set_aside_and_retried_under_its_id() {
    let (_dir, stores) = crate::storage::test_stores::test_stores().await;
    for store in stores {
        let visitor = store.create_visitor("shop", "hash", None).await.unwrap();
        for n in 0..2 {
            let message = NewMessage {
                client_id: format!("m-{n}"),
                text: format!("hello {n}"),
                text_format: TextFormat::Plain,
                page: None,
            };
            store
                .append_visitor_message(&visitor, message, Bridge::On)
                .await
                .unwrap();
        }
        let now = now_ms();
        let head = store
            .due(Due::Heads, "shop", now, 1)
            .await
            .unwrap()
            .remove(0);
        let refusal = Failure::Refusal {
            status: 400,
            error: "answered 400: bad field",
            next_attempt_at: now,
            max_attempts: 2,
        };
        let outage = Failure::Outage {
            error: "answered 500",
            next_attempt_at: now,
        };
        let engine = store.engine();
        for (failure, expected) in [
            (refusal, AfterFailure::Retried),
            (outage, AfterFailure::Retried),
            (outage, AfterFailure::Retried),
            (refusal, AfterFailure::SetAside),
        ] {
            let after = store.record_failure(head.id, failure).await.unwrap();
            assert_eq!(after, expected, "{engine:?}: outages do not count");
        }
        let counts = store.outbox_counts("shop").await.unwrap();
        assert_eq!((counts.depth, counts.dead_letters), (3, 1), "{engine:?}");
        let next = store
            .due(Due::Heads, "shop", now, 1)
            .await
            .unwrap()
            .remove(0);
        assert!(
            next.id > head.id,
            "{engine:?}: the next command is the head now"
        );

        let dead = store.dead_letters().await.unwrap();
        assert_eq!(dead.len(), 1, "{engine:?}");
        assert_eq!(
            (dead[0].id, dead[0].attempts, dead[0].last_status),
            (head.id, 4, Some(400)),
            "{engine:?}"
        );
        assert_eq!(dead[0].last_error, "answered 400: bad field");
        assert_eq!(dead[0].ordering_key, head.ordering_key);

        for none in [&[head.id + 1000][..], &[]] {
            let moved = store
                .retry_dead_letters(DeadLetters::Ids(none), now)
                .await
                .unwrap();
            assert!(moved.is_empty(), "{engine:?}");
        }
        let moved = store
            .retry_dead_letters(DeadLetters::All, now)
            .await
            .unwrap();
        assert_eq!(moved, [head.id], "{engine:?}");
        assert!(store.dead_letters().await.unwrap().is_empty());
        let again = store
            .due(Due::Heads, "shop", now, 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(
            again.id, head.id,
            "{engine:?}: back at the head, under its id"
        );
        let retries = store.due(Due::Retries, "shop", now, 10).await.unwrap();
        assert!(
            retries.iter().any(|item| item.id == head.id),
            "{engine:?}: a running worker's look for retries finds it"
        );
        let refused_once = store.record_failure(head.id, refusal).await.unwrap();
        assert_eq!(
            refused_once,
            AfterFailure::Retried,
            "{engine:?}: its refusals start again"
        );
    }
}

/// A 1×1 PNG, in lines as 1C writes base64.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9\r\nawAAAABJRU5ErkJggg==";

#[tokio::test]
async fn base64_pictures_become_bytes_and_nothing_is_lost() {
    let (_dir, stores) = test_stores().await;
    for store in stores {
        for (ext_user_id, picture) in [("op-png", PNG), ("op-empty", ""), ("op-svg", "PHN2Zz4=")] {
            store
                .execute(
                    "INSERT INTO operators (integration_id, ext_user_id, name, full_name, \
                     picture, updated_at) VALUES ('shop', $1, 'A', 'A', $2, 0)",
                    &[Bound::Text(ext_user_id.into()), Bound::Text(picture.into())],
                )
                .await;
        }
        store.convert_legacy_pictures().await.unwrap();
        // Again, as on every start: nothing changes.
        store.convert_legacy_pictures().await.unwrap();
        let id = |ext_user_id: &'static str| {
            let store = &store;
            async move {
                let sql = "SELECT id FROM operators WHERE ext_user_id = $1";
                let found = store.execute(sql, &[Bound::Text(ext_user_id.into())]).await;
                found[0].parse::<i64>().unwrap()
            }
        };
        let png = store
            .operator_picture("shop", id("op-png").await)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(png, Picture::from_base64(PNG).unwrap().unwrap());
        for unserved in ["op-empty", "op-svg"] {
            assert_eq!(
                store
                    .operator_picture("shop", id(unserved).await)
                    .await
                    .unwrap(),
                None
            );
        }
        let kept = store
            .execute(
                "SELECT picture FROM operators WHERE ext_user_id = 'op-svg'",
                &[],
            )
            .await;
        assert_eq!(kept, ["PHN2Zz4="]);
    }
}

#[tokio::test]
async fn notices_and_titles_of_the_collaboration_server_show_in_the_conversation() {
    let (_dir, stores) = test_stores().await;
    for store in stores {
        let engine = store.engine();
        let visitor = store.create_visitor("shop", "hash", None).await.unwrap();
        let say = |n: usize| NewMessage {
            client_id: format!("m-{n}"),
            text: format!("hello {n}"),
            text_format: TextFormat::Plain,
            page: None,
        };
        let first = store
            .append_visitor_message(&visitor, say(1), Bridge::Off)
            .await
            .unwrap();
        let conversation = ConversationRef {
            id: first.message().conversation_id,
            person_id: visitor.person_id,
        };
        assert_eq!(
            store
                .conversation_header(conversation.id)
                .await
                .unwrap()
                .title,
            None
        );
        store
            .set_conversation_title(conversation.id, "Order 42")
            .await
            .unwrap();
        assert_eq!(
            store
                .conversation_header(conversation.id)
                .await
                .unwrap()
                .title,
            Some("Order 42".into()),
            "{engine:?}"
        );

        let anna = User {
            ext_user_id: "op-1".into(),
            name: "Anna".into(),
            full_name: String::new(),
            picture: None,
        };
        store
            .save_operator("shop", &anna, None, Write::Create)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.operator_name("shop", "op-1").await.unwrap(),
            Some("Anna".into())
        );
        assert_eq!(
            store.operator_name("shop", "visitor-1").await.unwrap(),
            None
        );
        assert_eq!(store.operator_name("other", "op-1").await.unwrap(), None);

        let notice = store
            .append_system_message(conversation, "Anna joined the conversation")
            .await
            .unwrap();
        store
            .append_visitor_message(&visitor, say(2), Bridge::Off)
            .await
            .unwrap();
        let stored = store.messages_after(conversation.id, 0, 10).await.unwrap();
        let shown: Vec<_> = stored
            .iter()
            .map(|m| (m.seq, m.author.kind, m.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (1, AuthorKind::Visitor, "hello 1"),
                (2, AuthorKind::System, "Anna joined the conversation"),
                (3, AuthorKind::Visitor, "hello 2"),
            ],
            "{engine:?}: numbered among the others"
        );
        assert_eq!(stored[1], notice, "{engine:?}: returned as stored");
    }
}
