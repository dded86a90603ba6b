//! Message delivery: resume after a disconnect gets exactly the missing messages, a resent client
//! id is stored once, and other tabs get each message once.

use crate::support::{ack, say, welcomed};
use protocol::ServerFrame;
use tests::server::SHOP_ORIGIN;
use tests::{Options, TestServer, WsClient, engines};

#[tokio::test]
async fn resume_after_disconnect_sends_exactly_the_missing_messages() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut first_tab, _) = welcomed(&server, &token).await;
        let mut last = None;
        for n in 1..=3 {
            last = Some(say(&mut first_tab, &format!("c-{n}"), &format!("message {n}")).await);
        }
        let seen = last.unwrap();
        drop(first_tab);

        let (mut other_tab, _) = welcomed(&server, &token).await;
        say(&mut other_tab, "c-4", "message 4").await;
        say(&mut other_tab, "c-5", "message 5").await;
        drop(other_tab);

        let mut resumed = WsClient::connect(
            &server.api(),
            SHOP_ORIGIN,
            &token,
            Some((seen.conversation_id, seen.seq)),
        )
        .await
        .unwrap();
        match resumed.next().await {
            ServerFrame::Welcome {
                messages, reset, ..
            } => {
                assert!(!reset, "{db:?}");
                let texts: Vec<_> = messages.iter().map(|m| m.text.as_str()).collect();
                assert_eq!(texts, ["message 4", "message 5"], "{db:?}");
            }
            other => panic!("{db:?}: expected welcome, got {other:?}"),
        }
        let (_, everything) = welcomed(&server, &token).await;
        let seqs: Vec<_> = everything.iter().map(|m| m.seq).collect();
        assert_eq!(
            seqs,
            [1, 2, 3, 4, 5],
            "{db:?}: full history, in order, once"
        );
    }
}

#[tokio::test]
async fn a_resent_client_id_is_stored_once() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut client, _) = welcomed(&server, &token).await;
        let first = say(&mut client, "same-id", "hello").await;
        let again = say(&mut client, "same-id", "hello").await;
        assert_eq!(
            first, again,
            "{db:?}: the resend is acknowledged with the stored message"
        );
        drop(client);
        let (mut reconnected, history) = welcomed(&server, &token).await;
        assert_eq!(history, std::slice::from_ref(&first), "{db:?}");
        let after_reconnect = say(&mut reconnected, "same-id", "hello").await;
        assert_eq!(after_reconnect.id, first.id, "{db:?}");
    }
}

#[tokio::test]
async fn other_tabs_get_each_message_once_and_the_sender_only_its_ack() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut writer, _) = welcomed(&server, &token).await;
        let (mut reader, _) = welcomed(&server, &token).await;
        let mut sent = Vec::new();
        for n in 0..20 {
            writer.say(&format!("w-{n}"), &format!("line {n}")).await;
        }
        for _ in 0..20 {
            sent.push(ack(&mut writer).await);
        }
        let mut received = Vec::new();
        while received.len() < sent.len() {
            match reader.next().await {
                ServerFrame::Message { message } => received.push(message),
                other => panic!("{db:?}: unexpected {other:?}"),
            }
        }
        assert_eq!(received, sent, "{db:?}: every message once, in order");
        assert!(reader.drain().await.is_empty(), "{db:?}: no duplicates");
        assert!(
            writer.drain().await.is_empty(),
            "{db:?}: no echo of own messages"
        );
    }
}

#[tokio::test]
async fn a_tab_that_lags_behind_the_live_feed_is_resynced_without_loss() {
    for db in engines() {
        let server = TestServer::start(db, Options::default()).await;
        let token = server.new_visitor().await;
        let (mut writer, _) = welcomed(&server, &token).await;
        let (mut slow, _) = welcomed(&server, &token).await;
        // Far more than the hub channel, the session's outbound queue and the socket buffers
        // hold while `slow` reads nothing.
        let count = 600;
        for n in 0..count {
            writer.say(&format!("flood-{n}"), &format!("{n}")).await;
        }
        for _ in 0..count {
            ack(&mut writer).await;
        }
        let mut seqs = Vec::new();
        while seqs.len() < count {
            match slow.next().await {
                ServerFrame::Message { message } => seqs.push(message.seq),
                other => panic!("{db:?}: unexpected {other:?}"),
            }
        }
        let expected: Vec<i64> = (1..=i64::try_from(count).unwrap()).collect();
        assert_eq!(seqs, expected, "{db:?}: all, in order, once");
        assert!(slow.drain().await.is_empty(), "{db:?}");
    }
}
