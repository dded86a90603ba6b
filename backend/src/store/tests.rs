//! The store's behaviour on both engines: what a message becomes when it is stored, alone or
//! in a batch with others, and how its history reads in pages. What the bridge keeps in the
//! same database is tested in `crate::bridge`.

use super::fixtures::question as message;
use super::interface::{Appended, Engine, NewMessage};
use crate::outbox::Bridge;
use crate::storage::test_stores::{Bound, TestStore, test_stores};
use futures_util::future::join_all;
use protocol::{Message, TextFormat};

#[tokio::test]
async fn a_conversation_changed_between_messages_is_written_as_it_is_now() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        changed_under_memory(store).await;
    }
}

async fn changed_under_memory(store: &TestStore) {
    let ann = store.create_visitor("shop", "ann", None).await.unwrap();
    let bob = store.create_visitor("shop", "bob", None).await.unwrap();
    let send_with = |client_id: &'static str, bridge| {
        store.append_visitor_message(&ann, message(client_id), bridge)
    };
    let send = |client_id| send_with(client_id, Bridge::On);
    let first = send("1").await.unwrap().message().clone();
    let second = send("2").await.unwrap().message().clone();
    assert_eq!(second.conversation_id, first.conversation_id);

    let again = send("2").await.unwrap();
    assert!(matches!(again, Appended::Existing(_)), "stored once");
    assert_eq!(again.message(), &second);

    // The collaboration server's id of the person changes.
    store
        .execute(
            "UPDATE people SET ext_user_id = 'renamed' WHERE id = $1",
            &[Bound::Int(ann.person_id)],
        )
        .await;
    let third = send("3").await.unwrap().message().clone();
    let command = store
        .execute(
            "SELECT command FROM outbox WHERE command LIKE $1 ORDER BY id DESC",
            &[Bound::Text(format!("%\"extId\":\"{}\"%", third.id))],
        )
        .await
        .remove(0);
    assert!(
        command.contains("\"renamed\""),
        "the command names the person as it is now: {command}"
    );

    // The conversation is handed to another person: the next message starts a new one
    // (sent with the bridge off, the conversation's ids in the collaboration server are not
    // what tells).
    store
        .execute(
            "UPDATE conversations SET person_id = $1 WHERE id = $2",
            &[Bound::Int(bob.person_id), Bound::Int(first.conversation_id)],
        )
        .await;
    let fourth = send_with("4", Bridge::Off).await.unwrap().message().clone();
    assert_ne!(fourth.conversation_id, first.conversation_id);
    assert_eq!(fourth.seq, 1);
    let handed_over = store
        .messages_after(first.conversation_id, 0, i64::MAX)
        .await
        .unwrap();
    assert_eq!(
        handed_over.len(),
        3,
        "nothing more joined the handed-over one"
    );
}

#[tokio::test]
async fn history_reads_in_pages_before_and_after_a_seq() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        reads_pages(store).await;
    }
}

async fn reads_pages(store: &TestStore) {
    let engine = store.engine().name();
    let visitor = store.create_visitor("shop", "pages", None).await.unwrap();
    let other = store.create_visitor("shop", "other", None).await.unwrap();
    for (who, n) in [(&visitor, 1..=7), (&other, 1..=3)]
        .into_iter()
        .flat_map(|(who, range)| range.map(move |n| (who, n)))
    {
        let message = NewMessage {
            client_id: format!("m-{n}"),
            text: format!("text {n}"),
            text_format: TextFormat::Plain,
            page: None,
        };
        store
            .append_visitor_message(who, message, Bridge::Off)
            .await
            .unwrap();
    }
    let conversation = store
        .conversation_of(visitor.person_id)
        .await
        .unwrap()
        .unwrap();
    let seqs = |page: Vec<Message>| -> Vec<i64> {
        assert!(page.iter().all(|m| m.conversation_id == conversation));
        page.into_iter().map(|message| message.seq).collect()
    };
    let before = |before_seq, limit| store.messages_before(conversation, before_seq, limit);
    assert_eq!(
        seqs(before(i64::MAX, 3).await.unwrap()),
        [5, 6, 7],
        "{engine}"
    );
    assert_eq!(seqs(before(5, 3).await.unwrap()), [2, 3, 4], "{engine}");
    assert_eq!(seqs(before(2, 3).await.unwrap()), [1], "{engine}");
    assert_eq!(seqs(before(1, 3).await.unwrap()), [0; 0], "{engine}");
    assert_eq!(
        seqs(before(i64::MAX, 50).await.unwrap()).len(),
        7,
        "{engine}"
    );
    let after = |after_seq, limit| store.messages_after(conversation, after_seq, limit);
    assert_eq!(seqs(after(0, 3).await.unwrap()), [1, 2, 3], "{engine}");
    assert_eq!(seqs(after(5, 3).await.unwrap()), [6, 7], "{engine}");
    assert_eq!(seqs(after(7, 3).await.unwrap()), [0; 0], "{engine}");
    let page = before(3, 1).await.unwrap();
    assert_eq!(page[0].client_id.as_deref(), Some("m-2"), "{engine}");
    assert_eq!(page[0].text, "text 2", "{engine}");
}

#[tokio::test]
async fn a_message_the_database_refuses_fails_alone() {
    let (_dir, stores) = test_stores().await;
    for store in &stores {
        let engine = store.engine();
        let visitor = store.create_visitor("shop", "nul", None).await.unwrap();
        // PostgreSQL refuses a NUL in a text; sent together, the three share a batch.
        let sent = ["before", "with \0 inside", "after"].map(|text| {
            let message = NewMessage {
                client_id: text.replace('\0', "nul"),
                text: text.into(),
                text_format: TextFormat::Plain,
                page: None,
            };
            store.append_visitor_message(&visitor, message, Bridge::On)
        });
        let outcomes = join_all(sent).await;
        assert!(outcomes[0].is_ok(), "{engine:?}");
        assert!(outcomes[2].is_ok(), "{engine:?}: {:?}", outcomes[2]);
        if engine == Engine::Postgres {
            assert!(outcomes[1].is_err());
        }
        let conversation = store
            .conversation_of(visitor.person_id)
            .await
            .unwrap()
            .unwrap();
        let stored = store
            .messages_after(conversation, 0, i64::MAX)
            .await
            .unwrap();
        let seqs: Vec<i64> = stored.iter().map(|message| message.seq).collect();
        let expected: Vec<i64> = (1..=i64::try_from(stored.len()).unwrap()).collect();
        assert_eq!(seqs, expected, "{engine:?}: numbered without a gap");
    }
}
