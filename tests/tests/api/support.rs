//! Steps many tests share: a visitor connected and welcomed, frames expected by kind.

use protocol::{ErrorCode, Message, ServerFrame};
use tests::WsClient;
use tests::server::Endpoint;
use tests::server::SHOP_ORIGIN;

/// A new visitor's token and its welcomed session.
pub async fn visitor(server: &Endpoint) -> (String, WsClient) {
    let token = server.new_visitor().await;
    let client = welcomed(server, &token).await.0;
    (token, client)
}

/// A session for `token`, with its welcome frame's messages.
pub async fn welcomed(server: &Endpoint, token: &str) -> (WsClient, Vec<Message>) {
    let mut client = WsClient::connect(&server.api(), SHOP_ORIGIN, token, None)
        .await
        .expect("connect");
    match client.next().await {
        ServerFrame::Welcome { messages, .. } => (client, messages),
        other => panic!("expected welcome, got {other:?}"),
    }
}

/// The acknowledged message of the next frame.
pub async fn ack(client: &mut WsClient) -> Message {
    match client.next().await {
        ServerFrame::Ack { message, .. } => message,
        other => panic!("expected ack, got {other:?}"),
    }
}

/// The next frame, which must be an error with `code`; returns its message.
pub async fn error(client: &mut WsClient, code: ErrorCode) -> String {
    match client.next().await {
        ServerFrame::Error {
            code: got, message, ..
        } if got == code => message,
        other => panic!("expected error {code:?}, got {other:?}"),
    }
}

/// Sends `text` and returns the stored message.
pub async fn say(client: &mut WsClient, client_id: &str, text: &str) -> Message {
    client.say(client_id, text).await;
    ack(client).await
}
