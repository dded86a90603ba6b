//! REST bodies and query strings of the widget API (`/api/v1/chat/{id}:{token}/...`) and the
//! health route.

use serde::{Deserialize, Serialize};

/// Answer to `POST .../visitors`: a new anonymous visitor. The widget keeps `visitor_token`; the
/// server stores only its hash.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VisitorCreated {
    pub visitor_id: i64,
    pub visitor_token: String,
}

/// Query string of the WebSocket endpoint `GET .../ws`. `conversation_id` and `after_seq` name
/// the last message the client saw; the server then sends exactly the ones after it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct WsQuery {
    pub visitor_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<i64>,
}

/// Body of every REST error answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A machine-readable `code` and a sentence saying what was wrong and what is allowed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// Answer to `GET /healthz`: public, so it says how the server is, never why 1C failed (that
/// is behind `/metrics`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// `ok`, `degraded` (working, but something needs an operator: see `problems`) or
    /// `database unreachable`.
    pub status: String,
    pub database: String,
    /// Delivery to the collaboration servers, every integration together; absent when none
    /// is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<OutboxHealth>,
    /// Why the status is not `ok`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// How far delivery to the collaboration servers lags.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboxHealth {
    /// Commands not delivered yet.
    pub depth: i64,
    /// Age of the oldest of them, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_undelivered_ms: Option<i64>,
    /// Commands refused for good and set aside (`webchat-server outbox list-dead`).
    #[serde(default)]
    pub dead_letters: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roundtrip::assert_roundtrip;
    use serde_json::json;

    #[test]
    fn rest_bodies_roundtrip() {
        assert_roundtrip(
            &VisitorCreated {
                visitor_id: 5,
                visitor_token: "tok".into(),
            },
            json!({"visitor_id": 5, "visitor_token": "tok"}),
        );
        assert_roundtrip(
            &WsQuery {
                visitor_token: "tok".into(),
                conversation_id: Some(2),
                after_seq: Some(9),
            },
            json!({"visitor_token": "tok", "conversation_id": 2, "after_seq": 9}),
        );
        assert_roundtrip(
            &ErrorBody {
                error: ErrorDetail {
                    code: "unknown_integration".into(),
                    message: "no integration 'x'".into(),
                },
            },
            json!({"error": {"code": "unknown_integration", "message": "no integration 'x'"}}),
        );
        assert_roundtrip(
            &Health {
                status: "degraded".into(),
                database: "sqlite".into(),
                outbox: Some(OutboxHealth {
                    depth: 3,
                    oldest_undelivered_ms: Some(1500),
                    dead_letters: 1,
                }),
                problems: vec!["outbox backlog".into()],
            },
            json!({"status": "degraded", "database": "sqlite", "outbox": {"depth": 3,
                   "oldest_undelivered_ms": 1500, "dead_letters": 1},
                   "problems": ["outbox backlog"]}),
        );
    }
}
