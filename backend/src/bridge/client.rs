//! Sending one webhook command to the collaboration server, behind a trait so the worker can be
//! tested without a network. Status codes map to [`DeliveryError`]; `409 Conflict` means the
//! object exists, so the command counts as delivered.

use async_trait::async_trait;
use reqwest::StatusCode;
use std::time::Duration;

/// Longest part of an error answer kept for logs and `/healthz`.
const MAX_BODY_CHARS: usize = 200;

/// Why a command was not delivered; every kind is retried.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    #[error("collaboration server answered 404 (no active integration)")]
    NoActiveIntegration,
    #[error("collaboration server answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect to the collaboration server: {0}")]
    Connect(String),
    #[error("request failed: {0}")]
    Request(String),
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
            .build()
            .expect("a client with only timeouts set builds");
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
            status if status.is_success() || status == StatusCode::CONFLICT => Ok(()),
            StatusCode::NOT_FOUND => Err(DeliveryError::NoActiveIntegration),
            status => {
                let body = response.text().await.unwrap_or_default();
                Err(DeliveryError::Status {
                    status: status.as_u16(),
                    body: body.chars().take(MAX_BODY_CHARS).collect(),
                })
            }
        }
    }
}
