//! WebSocket frames between a widget and the backend: what the widget sends ([`ClientFrame`]) and
//! what the server pushes ([`ServerFrame`]), both JSON objects tagged by `type`.

use serde::{Deserialize, Serialize};

mod server_frame_de;

/// How a message's text is to be read. `text/html` is sanitized by the server before storing.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TextFormat {
    #[default]
    #[serde(rename = "text/plain")]
    Plain,
    #[serde(rename = "text/html")]
    Html,
}

/// Where the visitor was when writing, shown to operators.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PageInfo {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub title: String,
}

/// What a visitor told about themselves, by the contact form or `setContactInfo`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Who wrote a message.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Visitor,
    Operator,
    System,
}

/// The author of a message as the widget shows it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub kind: AuthorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// URL of the author's picture, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

/// A stored message. `seq` orders messages inside their conversation without gaps and is what a
/// reconnecting client resumes from; `id` is unique across the server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub seq: i64,
    /// The id the sending client chose, echoed so it can match its pending message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub author: Author,
    pub text: String,
    #[serde(default)]
    pub text_format: TextFormat,
    /// Milliseconds since the Unix epoch, server clock.
    pub sent_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
}

/// Frames a widget sends.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// A new visitor message. Sending the same `client_id` again stores it once.
    Send {
        client_id: String,
        text: String,
        #[serde(default)]
        text_format: TextFormat,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        page: Option<PageInfo>,
    },
    /// Replace the visitor's contact info.
    SetContact { contact: ContactInfo },
    /// A matching-key token (JWT or JWS) from `setMatchingKeyToken`.
    Identify { token: String },
    /// Application-level heartbeat; answered by [`ServerFrame::Pong`].
    Ping,
    /// Asks for the page of messages just before `before_seq` (older ones than the client
    /// holds), answered by [`ServerFrame::History`]. The server caps `limit` at its page size.
    /// `limit` is an `i64` like `before_seq`: the widget then compiles one integer writer.
    History { before_seq: i64, limit: i64 },
    /// The visitor is typing: operators see it (rate-limited, never stored).
    Typing,
    /// The visitor has seen its conversation up to `seq` (the chat is open and shows it):
    /// operators see their messages up to it as seen. Positions only move forward.
    Read { seq: i64 },
}

/// Why the server refused something; `message` in the error frame says it in words.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON or not a known frame.
    BadFrame,
    /// Too many messages; retry after `retry_after_ms`.
    RateLimited,
    /// The message text is longer than the server accepts.
    MessageTooLarge,
    /// The message text is empty after sanitizing.
    EmptyMessage,
    /// A field of the contact info is not acceptable.
    InvalidContact,
    /// The matching-key token was rejected; the visitor stays as it was.
    TokenRejected,
    /// The server failed; the client may retry.
    Internal,
}

impl ErrorCode {
    /// The code as on the wire (`rate_limited`), for pages that read it.
    pub fn name(self) -> &'static str {
        match self {
            Self::BadFrame => "bad_frame",
            Self::RateLimited => "rate_limited",
            Self::MessageTooLarge => "message_too_large",
            Self::EmptyMessage => "empty_message",
            Self::InvalidContact => "invalid_contact",
            Self::TokenRejected => "token_rejected",
            Self::Internal => "internal",
        }
    }
}

/// Frames the server sends. `Deserialize` is written by hand (`server_frame_de`) to keep the
/// widget small; it reads exactly what this derived `Serialize` writes.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// First frame of every connection: who the visitor is and the messages it has not seen.
    /// `reset` means `messages` is the newest page of the history and replaces what the client
    /// holds; `has_older` then says older messages exist ([`ClientFrame::History`] fetches them).
    /// Without `reset`, `messages` are exactly those after the client's `after_seq`.
    Welcome {
        visitor_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub: Option<String>,
        contact: ContactInfo,
        messages: Vec<Message>,
        reset: bool,
        /// Longest accepted message text, in bytes.
        max_message_bytes: usize,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        has_older: bool,
        /// The conversation's title, once operators gave it one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// The message with this `client_id` is stored.
    Ack { client_id: String, message: Message },
    /// A message stored in the visitor's conversation (from another tab, or an operator).
    Message { message: Message },
    /// A stored message was edited.
    MessageUpdated { message: Message },
    /// The visitor is now bound to `sub`; `messages` is the newest page of its conversation,
    /// replacing what the client holds, and `has_older` says older messages exist.
    Identified {
        sub: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<i64>,
        contact: ContactInfo,
        messages: Vec<Message>,
        /// The visitor's new token, to the session that identified when identification moved
        /// it to another person: the old token is refused from now on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visitor_token: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        has_older: bool,
        /// The conversation's title, once operators gave it one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Answer to [`ClientFrame::History`]: the messages of `conversation_id` just before
    /// `before_seq`, in order, and whether still older ones exist.
    History {
        conversation_id: i64,
        before_seq: i64,
        messages: Vec<Message>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        has_older: bool,
    },
    /// The visitor's contact info as stored.
    Contact { contact: ContactInfo },
    /// The operators renamed the conversation.
    ConversationUpdated { conversation_id: i64, title: String },
    /// A request was refused. `client_id` names the message it concerns, if any.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// Answer to [`ClientFrame::Ping`].
    Pong,
    /// Operators have read the conversation up to `seq`: the visitor's messages up to it
    /// show as seen. Sent when it moves, and right after a `welcome` or `identified` once any
    /// operator has read the conversation.
    Seen { conversation_id: i64, seq: i64 },
    /// An operator, named, is typing a reply.
    Typing { name: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roundtrip::assert_roundtrip;
    use serde_json::json;

    fn message() -> Message {
        Message {
            id: 7,
            conversation_id: 3,
            seq: 2,
            client_id: Some("c-1".into()),
            author: Author {
                kind: AuthorKind::Operator,
                name: Some("Anna".into()),
                picture: None,
            },
            text: "<b>hi</b>".into(),
            text_format: TextFormat::Html,
            sent_at: 1_700_000_000_000,
            edited_at: None,
        }
    }

    #[test]
    fn error_code_names_are_the_wire_names() {
        for code in [
            ErrorCode::BadFrame,
            ErrorCode::RateLimited,
            ErrorCode::MessageTooLarge,
            ErrorCode::EmptyMessage,
            ErrorCode::InvalidContact,
            ErrorCode::TokenRejected,
            ErrorCode::Internal,
        ] {
            assert_eq!(json!(code.name()), serde_json::to_value(code).unwrap());
        }
    }

    #[test]
    fn client_frames_roundtrip() {
        assert_roundtrip(
            &ClientFrame::Send {
                client_id: "c-1".into(),
                text: "hello".into(),
                text_format: TextFormat::Plain,
                page: Some(PageInfo {
                    url: "https://shop.example/cart".into(),
                    title: "Cart".into(),
                }),
            },
            json!({"type": "send", "client_id": "c-1", "text": "hello", "text_format": "text/plain",
                   "page": {"url": "https://shop.example/cart", "title": "Cart"}}),
        );
        assert_roundtrip(
            &ClientFrame::SetContact {
                contact: ContactInfo {
                    name: Some("Ivan".into()),
                    email: None,
                    phone: Some("+7 900".into()),
                },
            },
            json!({"type": "set_contact", "contact": {"name": "Ivan", "phone": "+7 900"}}),
        );
        assert_roundtrip(
            &ClientFrame::Identify {
                token: "a.b.c".into(),
            },
            json!({"type": "identify", "token": "a.b.c"}),
        );
        assert_roundtrip(&ClientFrame::Ping, json!({"type": "ping"}));
        assert_roundtrip(&ClientFrame::Typing, json!({"type": "typing"}));
        assert_roundtrip(
            &ClientFrame::Read { seq: 7 },
            json!({"type": "read", "seq": 7}),
        );
        assert_roundtrip(
            &ClientFrame::History {
                before_seq: 31,
                limit: 50,
            },
            json!({"type": "history", "before_seq": 31, "limit": 50}),
        );
    }

    #[test]
    fn send_defaults_to_plain_text() {
        let frame: ClientFrame =
            serde_json::from_value(json!({"type": "send", "client_id": "x", "text": "t"})).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Send {
                client_id: "x".into(),
                text: "t".into(),
                text_format: TextFormat::Plain,
                page: None
            }
        );
    }

    #[test]
    fn server_frames_roundtrip() {
        let m = message();
        let wire = json!({"id": 7, "conversation_id": 3, "seq": 2, "client_id": "c-1",
            "author": {"kind": "operator", "name": "Anna"}, "text": "<b>hi</b>",
            "text_format": "text/html", "sent_at": 1_700_000_000_000_i64});
        assert_roundtrip(
            &ServerFrame::Welcome {
                visitor_id: 1,
                conversation_id: Some(3),
                sub: None,
                contact: ContactInfo::default(),
                messages: vec![m.clone()],
                reset: true,
                max_message_bytes: 4096,
                has_older: false,
                title: None,
            },
            json!({"type": "welcome", "visitor_id": 1, "conversation_id": 3, "contact": {},
                   "messages": [wire.clone()], "reset": true, "max_message_bytes": 4096}),
        );
        assert_roundtrip(
            &ServerFrame::Ack {
                client_id: "c-1".into(),
                message: m.clone(),
            },
            json!({"type": "ack", "client_id": "c-1", "message": wire.clone()}),
        );
        assert_roundtrip(
            &ServerFrame::Message { message: m.clone() },
            json!({"type": "message", "message": wire.clone()}),
        );
        assert_roundtrip(
            &ServerFrame::MessageUpdated { message: m.clone() },
            json!({"type": "message_updated", "message": wire.clone()}),
        );
        assert_roundtrip(
            &ServerFrame::Identified {
                sub: "u-1".into(),
                conversation_id: None,
                contact: ContactInfo::default(),
                messages: vec![],
                visitor_token: None,
                has_older: false,
                title: None,
            },
            json!({"type": "identified", "sub": "u-1", "contact": {}, "messages": []}),
        );
        assert_roundtrip(
            &ServerFrame::Identified {
                sub: "u-1".into(),
                conversation_id: None,
                contact: ContactInfo::default(),
                messages: vec![],
                visitor_token: Some("t-2".into()),
                has_older: false,
                title: None,
            },
            json!({"type": "identified", "sub": "u-1", "contact": {}, "messages": [],
                   "visitor_token": "t-2"}),
        );
        assert_roundtrip(
            &ServerFrame::Contact {
                contact: ContactInfo {
                    name: None,
                    email: Some("a@b.c".into()),
                    phone: None,
                },
            },
            json!({"type": "contact", "contact": {"email": "a@b.c"}}),
        );
        assert_roundtrip(
            &ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "too many messages".into(),
                client_id: Some("c-2".into()),
                retry_after_ms: Some(1500),
            },
            json!({"type": "error", "code": "rate_limited", "message": "too many messages",
                   "client_id": "c-2", "retry_after_ms": 1500}),
        );
        assert_roundtrip(
            &ServerFrame::ConversationUpdated {
                conversation_id: 3,
                title: "Order 42".into(),
            },
            json!({"type": "conversation_updated", "conversation_id": 3, "title": "Order 42"}),
        );
        assert_roundtrip(&ServerFrame::Pong, json!({"type": "pong"}));
        assert_roundtrip(
            &ServerFrame::Seen {
                conversation_id: 3,
                seq: 9,
            },
            json!({"type": "seen", "conversation_id": 3, "seq": 9}),
        );
        assert_roundtrip(
            &ServerFrame::Typing {
                name: "Anna".into(),
            },
            json!({"type": "typing", "name": "Anna"}),
        );
        assert_roundtrip(
            &ServerFrame::History {
                conversation_id: 3,
                before_seq: 3,
                messages: vec![m.clone()],
                has_older: true,
            },
            json!({"type": "history", "conversation_id": 3, "before_seq": 3,
                   "messages": [wire.clone()], "has_older": true}),
        );
        assert_roundtrip(
            &ServerFrame::History {
                conversation_id: 3,
                before_seq: 1,
                messages: vec![],
                has_older: false,
            },
            json!({"type": "history", "conversation_id": 3, "before_seq": 1, "messages": []}),
        );
    }

    #[test]
    fn frames_of_servers_without_history_pages_read_as_having_no_older_messages() {
        assert_eq!(
            parse(
                r#"{"type": "welcome", "visitor_id": 1, "contact": {}, "messages": [],
                    "reset": true, "max_message_bytes": 10}"#
            ),
            Ok(ServerFrame::Welcome {
                visitor_id: 1,
                conversation_id: None,
                sub: None,
                contact: ContactInfo::default(),
                messages: vec![],
                reset: true,
                max_message_bytes: 10,
                has_older: false,
                title: None,
            })
        );
        assert!(
            parse(r#"{"type": "history", "conversation_id": 3, "messages": []}"#)
                .expect_err("the page's position is required")
                .contains("missing field `before_seq`")
        );
    }

    #[test]
    fn server_frames_roundtrip_with_every_optional_field() {
        assert_roundtrip(
            &ServerFrame::Welcome {
                visitor_id: 1,
                conversation_id: None,
                sub: Some("u-1".into()),
                contact: ContactInfo {
                    name: Some("Ivan".into()),
                    email: None,
                    phone: None,
                },
                messages: vec![],
                reset: false,
                max_message_bytes: 8192,
                has_older: true,
                title: Some("Order 42".into()),
            },
            json!({"type": "welcome", "visitor_id": 1, "sub": "u-1", "contact": {"name": "Ivan"},
                   "messages": [], "reset": false, "max_message_bytes": 8192, "has_older": true,
                   "title": "Order 42"}),
        );
        assert_roundtrip(
            &ServerFrame::Identified {
                sub: "u-1".into(),
                conversation_id: Some(9),
                contact: ContactInfo::default(),
                messages: vec![message()],
                visitor_token: None,
                has_older: true,
                title: Some("Order 42".into()),
            },
            json!({"type": "identified", "sub": "u-1", "conversation_id": 9, "contact": {},
                   "messages": [serde_json::to_value(message()).unwrap()], "has_older": true,
                   "title": "Order 42"}),
        );
        assert_roundtrip(
            &ServerFrame::Error {
                code: ErrorCode::Internal,
                message: "try again".into(),
                client_id: None,
                retry_after_ms: None,
            },
            json!({"type": "error", "code": "internal", "message": "try again"}),
        );
    }

    fn parse(text: &str) -> Result<ServerFrame, String> {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    #[test]
    fn server_frames_parse_in_any_key_order_and_ignore_unknown_fields() {
        assert_eq!(
            parse(
                r#"{"title": "Order 42", "extra": [1], "conversation_id": 3, "type": "conversation_updated"}"#
            ),
            Ok(ServerFrame::ConversationUpdated {
                conversation_id: 3,
                title: "Order 42".into()
            })
        );
        assert_eq!(
            parse(r#"{"type": "pong", "reset": true}"#),
            Ok(ServerFrame::Pong)
        );
    }

    #[test]
    fn server_frames_missing_what_their_type_requires_are_refused() {
        let missing = |text| parse(text).expect_err("refused");
        assert!(missing(r#"["pong"]"#).contains("expected a server frame object"));
        assert!(missing(r#"{"contact": {}}"#).contains("missing field `type`"));
        assert!(missing(r#"{"type": "shout"}"#).contains("unknown variant `shout`"));
        assert!(missing(r#"{"type": "contact"}"#).contains("missing field `contact`"));
        assert!(
            missing(r#"{"type": "ack", "message": null}"#).contains("missing field `client_id`")
        );
        assert!(
            missing(r#"{"type": "welcome", "visitor_id": 1, "contact": {}, "messages": [], "reset": true}"#)
                .contains("missing field `max_message_bytes`")
        );
        assert!(
            missing(r#"{"type": "conversation_updated", "title": "t"}"#)
                .contains("missing field `conversation_id`")
        );
    }

    #[test]
    fn the_message_field_has_the_shape_its_frame_needs() {
        let stored = serde_json::to_string(&message()).unwrap();
        assert!(
            parse(r#"{"type": "message", "message": "hi"}"#)
                .expect_err("a text is not a stored message")
                .contains("invalid type: string \"hi\", expected struct Message")
        );
        assert!(
            parse(&format!(
                r#"{{"type": "error", "code": "internal", "message": {stored}}}"#
            ))
            .expect_err("an error explains in words")
            .contains("expected a string")
        );
        assert_eq!(
            parse(&format!(
                r#"{{"type": "message_updated", "message": {stored}}}"#
            )),
            Ok(ServerFrame::MessageUpdated { message: message() })
        );
        assert!(parse(r#"{"type": "message", "message": 7}"#).is_err());
    }

    #[test]
    fn every_error_code_has_a_snake_case_name() {
        for (code, name) in [
            (ErrorCode::BadFrame, "bad_frame"),
            (ErrorCode::MessageTooLarge, "message_too_large"),
            (ErrorCode::EmptyMessage, "empty_message"),
            (ErrorCode::InvalidContact, "invalid_contact"),
            (ErrorCode::TokenRejected, "token_rejected"),
            (ErrorCode::Internal, "internal"),
        ] {
            assert_roundtrip(&code, json!(name));
        }
    }
}
