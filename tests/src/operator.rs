//! A console operator as a test drives it: logged in with a bearer token, calling the operator
//! API, and its live socket reading [`OperatorEvent`]s with a timeout on every wait.

use crate::client::FRAME_TIMEOUT;
use crate::server::Endpoint;
use futures_util::{SinkExt, StreamExt};
use protocol::operator::{
    ConversationList, InboxCounts, LoginAnswer, LoginRequest, MessagePage, OperatorClientFrame,
    OperatorEvent, OperatorProfile, ReplyRequest,
};
use protocol::{ErrorBody, ErrorDetail, Message, TextFormat};
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A logged-in operator.
#[derive(Debug, Clone)]
pub struct Operator {
    base: String,
    pub token: String,
    pub profile: OperatorProfile,
}

impl Operator {
    /// Logs in with `email` and `password`, which must be right.
    pub async fn login(server: &Endpoint, email: &str, password: &str) -> Self {
        let answer: LoginAnswer = crate::json(
            crate::http()
                .post(format!("{}/api/v1/operator/login", server.base))
                .json(&LoginRequest {
                    email: email.to_owned(),
                    password: password.to_owned(),
                }),
        )
        .await;
        Self {
            base: server.base.clone(),
            token: answer.token,
            profile: answer.operator,
        }
    }

    /// The URL of `route` under `/api/v1/operator/`.
    pub fn url(&self, route: &str) -> String {
        format!("{}/api/v1/operator/{route}", self.base)
    }

    pub async fn get(&self, route: &str) -> reqwest::Response {
        crate::http()
            .get(self.url(route))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post(&self, route: &str, body: &impl Serialize) -> reqwest::Response {
        crate::http()
            .post(self.url(route))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A `POST` without a body (`close`, `reopen`, `logout`).
    pub async fn post_empty(&self, route: &str) -> reqwest::Response {
        crate::http()
            .post(self.url(route))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent")
    }

    /// A page of the inbox; `query` is the query string without `?`.
    pub async fn conversations(&self, query: &str) -> ConversationList {
        ok_json(self.get(&format!("conversations?{query}")).await).await
    }

    /// The unread counts of the operator's views.
    pub async fn counts(&self) -> InboxCounts {
        ok_json(self.get("counts").await).await
    }

    /// A page of conversation `id`'s history; `query` is the query string without `?`.
    pub async fn messages(&self, id: i64, query: &str) -> MessagePage {
        ok_json(
            self.get(&format!("conversations/{id}/messages?{query}"))
                .await,
        )
        .await
    }

    /// Replies `text` in plain text to conversation `id`: the raw answer.
    pub async fn reply(&self, id: i64, client_id: &str, text: &str) -> reqwest::Response {
        let body = ReplyRequest {
            text: text.to_owned(),
            text_format: TextFormat::Plain,
            client_id: client_id.to_owned(),
        };
        self.post(&format!("conversations/{id}/messages"), &body)
            .await
    }

    /// Replies and returns the stored message.
    pub async fn replied(&self, id: i64, client_id: &str, text: &str) -> Message {
        ok_json(self.reply(id, client_id, text).await).await
    }

    /// The operator's live socket, authenticated by its token as a subprotocol.
    pub async fn socket(&self) -> OperatorSocket {
        OperatorSocket::connect(&self.base, Some(&self.token), &[])
            .await
            .expect("operator socket")
    }
}

/// The JSON body of a 2xx answer.
pub async fn ok_json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

/// The status and error of a refused answer.
pub async fn refusal(response: reqwest::Response) -> (u16, ErrorDetail) {
    let status = response.status().as_u16();
    let body: ErrorBody = response.json().await.expect("an error body");
    (status, body.error)
}

/// An operator's live socket.
#[derive(Debug)]
pub struct OperatorSocket {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl OperatorSocket {
    /// Opens `/api/v1/operator/ws`, offering `bearer.TOKEN` when `token` is given, with the
    /// extra `headers` (a cookie, an `Origin`).
    pub async fn connect(
        base: &str,
        token: Option<&str>,
        headers: &[(&'static str, &str)],
    ) -> Result<Self, tungstenite::Error> {
        let url = format!("{}/api/v1/operator/ws", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request()?;
        let mut protocols = "webchat.operator".to_owned();
        if let Some(token) = token {
            protocols.push_str(&format!(", bearer.{token}"));
        }
        let sent = request.headers_mut();
        sent.insert(
            "Sec-WebSocket-Protocol",
            protocols.parse().expect("protocol header"),
        );
        for (name, value) in headers {
            sent.insert(*name, value.parse().expect("header value"));
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { socket })
    }

    pub async fn send(&mut self, frame: &OperatorClientFrame) {
        let json = serde_json::to_string(frame).expect("frame json");
        self.socket
            .send(WsMessage::text(json))
            .await
            .expect("send frame");
    }

    /// The next event (pings skipped).
    pub async fn next(&mut self) -> OperatorEvent {
        loop {
            match self.next_message().await {
                WsMessage::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("operator event json");
                }
                WsMessage::Close(close) => panic!("connection closed: {close:?}"),
                _ => continue,
            }
        }
    }

    /// The first event `pick` takes, skipping the others.
    pub async fn until<T>(&mut self, mut pick: impl FnMut(OperatorEvent) -> Option<T>) -> T {
        loop {
            if let Some(picked) = pick(self.next().await) {
                return picked;
            }
        }
    }

    /// Waits for the server to close the socket and returns the close code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match self.next_message().await {
                WsMessage::Close(close) => return close.map_or(1005, |frame| frame.code.into()),
                _ => continue,
            }
        }
    }

    async fn next_message(&mut self) -> WsMessage {
        tokio::time::timeout(FRAME_TIMEOUT, self.socket.next())
            .await
            .expect("a frame within the timeout")
            .expect("connection open")
            .expect("valid websocket message")
    }
}
