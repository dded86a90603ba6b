//! Sending one webhook command to the collaboration server, behind a trait so the worker can be
//! tested without a network. Status codes map to [`DeliveryError`]; `409 Conflict` means the
//! object exists, so the command counts as delivered. Redirects are never followed: a 302/303
//! would turn the POST into a bodyless GET whose 2xx would count as delivered.

use async_trait::async_trait;
use reqwest::StatusCode;
use std::time::Duration;

/// Longest part of an error answer kept for logs and `/healthz`.
const MAX_BODY_CHARS: usize = 200;

/// Most of a successful answer read (and dropped) to keep its connection for the next
/// command; a longer answer is left unread, and its connection closed.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// Why a command was not delivered. Only a [`DeliveryError::Refused`] is the collaboration
/// server saying no to this command; every other kind is an outage, retried until it ends.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    #[error("collaboration server answered 404 (no active integration)")]
    NoActiveIntegration,
    #[error("collaboration server answered {status} (a redirect, not followed)")]
    Redirect { status: u16 },
    #[error("collaboration server refused the command with {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("collaboration server answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect to the collaboration server: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Request(String),
}

impl DeliveryError {
    /// The HTTP status of a refusal for good, if this is one.
    pub fn refusal_status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short name of the kind, for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NoActiveIntegration => "no_active_integration",
            Self::Redirect { .. } => "redirect",
            Self::Refused { .. } => "refused",
            Self::Status { .. } => "server_error",
            Self::Timeout(_) => "timeout",
            Self::Connect(_) => "connect",
            Self::Request(_) => "request",
        }
    }
}

/// Whether a 4xx refuses the command itself. 401 and 403 (a proxy refusing this server, every
/// command alike), 404 (no active integration), 408 (request timeout) and 429 (too many
/// requests) say the server cannot take commands now, so they are outages; 409 is success.
fn refuses_for_good(status: StatusCode) -> bool {
    status.is_client_error()
        && ![
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::CONFLICT,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(&status)
}

/// The first `limit` bytes of `response`'s body (all of it when shorter); the rest is left
/// unread. A body that fails midway ends where it failed: the status already said what counts.
async fn read_at_most(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        let Ok(Some(chunk)) = response.chunk().await else {
            break;
        };
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    body
}

/// Delivers one command body to a webhook URL.
#[async_trait]
pub trait CollaborationClient: Send + Sync + std::fmt::Debug {
    async fn deliver(&self, url: &str, body: &str) -> Result<(), DeliveryError>;
}

/// The real client: HTTP(S) POST with a timeout.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpClient {
    pub fn new(timeout: Duration) -> Self {
        // reqwest is built without a default TLS provider; ring is pure enough to build anywhere.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with only timeouts and no redirects set builds");
        Self { client, timeout }
    }
}

#[async_trait]
impl CollaborationClient for HttpClient {
    async fn deliver(&self, url: &str, body: &str) -> Result<(), DeliveryError> {
        let response = self
            .client
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body.to_owned())
            .send()
            .await
            // The URL carries the collaboration server's secret token: never in an error text.
            .map_err(|error| match error.without_url() {
                error if error.is_timeout() => DeliveryError::Timeout(self.timeout),
                error if error.is_connect() => DeliveryError::Connect(error.to_string()),
                error => DeliveryError::Request(error.to_string()),
            })?;
        match response.status() {
            status if status.is_success() || status == StatusCode::CONFLICT => {
                // An answer with a body is read to its end, so the connection goes back to the
                // pool for the next command (a body left unread closes it, and the next command
                // pays a new handshake). An empty one is not polled at all: polling it slowed
                // sustained forwarding until it fell behind (docs/performance.md, "Outbox").
                if response.content_length() != Some(0) {
                    read_at_most(response, MAX_ANSWER_BYTES).await;
                }
                Ok(())
            }
            StatusCode::NOT_FOUND => Err(DeliveryError::NoActiveIntegration),
            // Its Location may carry a secret like the URL itself: only the status is kept.
            status if status.is_redirection() => Err(DeliveryError::Redirect {
                status: status.as_u16(),
            }),
            status => {
                // A character is at most four bytes: enough of the answer for its first
                // `MAX_BODY_CHARS`, however long it is.
                let body = read_at_most(response, 4 * MAX_BODY_CHARS).await;
                let body = String::from_utf8_lossy(&body)
                    .chars()
                    .take(MAX_BODY_CHARS)
                    .collect();
                Err(if refuses_for_good(status) {
                    DeliveryError::Refused {
                        status: status.as_u16(),
                        body,
                    }
                } else {
                    DeliveryError::Status {
                        status: status.as_u16(),
                        body,
                    }
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use axum::serve::ListenerExt;
    use std::future::IntoFuture;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A collaboration server answering every command with what `answer` makes, and how many
    /// connections it has accepted so far.
    async fn answering(answer: fn() -> Response) -> (String, Arc<AtomicUsize>) {
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let listener = listener.tap_io(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let router = Router::new().route("/callback", post(move || async move { answer() }));
        tokio::spawn(axum::serve(listener, router).into_future());
        (url, accepted)
    }

    #[tokio::test]
    async fn commands_answered_with_a_body_share_one_connection() {
        let answers: [fn() -> Response; 3] = [
            || (StatusCode::OK, "OK").into_response(),
            || (StatusCode::CONFLICT, "Conflict").into_response(),
            // Longer than hyper reads with the head: left unread, it closed the connection.
            || (StatusCode::OK, "y".repeat(100_000)).into_response(),
        ];
        for (n, answer) in answers.into_iter().enumerate() {
            let (url, accepted) = answering(answer).await;
            let client = HttpClient::new(Duration::from_secs(5));
            for _ in 0..5 {
                client.deliver(&url, "{}").await.unwrap();
            }
            assert_eq!(accepted.load(Ordering::SeqCst), 1, "answer {n}");
        }
    }

    #[tokio::test]
    async fn an_endless_error_answer_is_read_only_as_far_as_it_is_kept() {
        let (url, _) = answering(|| {
            let endless = futures_util::stream::repeat_with(|| {
                Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"x"))
            });
            (StatusCode::BAD_REQUEST, Body::from_stream(endless)).into_response()
        })
        .await;
        let error = HttpClient::new(Duration::from_secs(2))
            .deliver(&url, "{}")
            .await
            .unwrap_err();
        assert_eq!(
            error,
            DeliveryError::Refused {
                status: 400,
                body: "x".repeat(MAX_BODY_CHARS)
            }
        );
    }

    #[test]
    fn only_client_errors_that_concern_the_command_refuse_it_for_good() {
        for refused in [400, 413, 415, 422] {
            assert!(
                refuses_for_good(StatusCode::from_u16(refused).unwrap()),
                "{refused}"
            );
        }
        for outage in [301, 302, 401, 403, 404, 408, 409, 429, 500, 502, 503] {
            assert!(
                !refuses_for_good(StatusCode::from_u16(outage).unwrap()),
                "{outage}"
            );
        }
    }
}
