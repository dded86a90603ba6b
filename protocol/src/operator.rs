//! Bodies of the operator API (`/api/v1/operator/...`) and the frames of its WebSocket: what the
//! console and any other operator client speak with the server. Errors use [`crate::ErrorBody`].

use crate::{ContactInfo, Message, PageInfo, TextFormat};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/operator/login`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer to a login: the session's token (also set as the `webchat_operator` cookie) for
/// clients that send `Authorization: Bearer TOKEN`, and who logged in.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LoginAnswer {
    pub token: String,
    pub operator: OperatorProfile,
}

/// An operator account as it sees itself (`GET /api/v1/operator/me`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OperatorProfile {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// The integrations it answers, by id; it sees nothing of any other.
    pub integrations: Vec<String>,
}

/// An operator sharing at least one integration with the caller, the caller included
/// (`GET /api/v1/operator/operators`): whom a conversation can be assigned to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Teammate {
    pub id: i64,
    pub name: String,
    /// The integrations it shares with the caller, by id, sorted.
    pub integrations: Vec<String>,
    /// It has an operator socket open now.
    pub online: bool,
}

/// Answer of `GET /api/v1/operator/operators`: the teammates by name.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct TeammateList {
    pub operators: Vec<Teammate>,
}

/// Which conversations an inbox lists.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Nobody answers them yet.
    Unassigned,
    /// The operator asking answers them.
    Mine,
    /// Every conversation of the operator's integrations.
    #[default]
    All,
}

/// Whether a conversation waits for answers. A visitor writing into a closed one opens it again.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    #[default]
    Open,
    Closed,
}

/// Query of `GET /api/v1/operator/conversations`. `cursor` is the `next_cursor` of the page
/// before; the server caps `limit` at its page size.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationsQuery {
    #[serde(default)]
    pub view: View,
    #[serde(default)]
    pub status: ConversationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A page of an inbox, newest activity first. The views' unread counts come apart
/// (`GET /api/v1/operator/counts` and the socket's `counts` events): counting reads every open
/// conversation, a page only its own.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConversationList {
    pub conversations: Vec<ConversationSummary>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// How many open conversations of each view have messages the operator has not read.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboxCounts {
    pub unassigned: i64,
    pub mine: i64,
    pub all: i64,
}

/// A conversation as an inbox lists it, and as the operator WebSocket announces its changes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ConversationSummary {
    pub id: i64,
    pub integration_id: String,
    pub visitor: VisitorCard,
    /// Where the visitor last wrote from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<MessagePreview>,
    /// Milliseconds since the Unix epoch: the inbox's order.
    pub last_activity_at: i64,
    /// Visitor messages after the operator's read position.
    pub unread: i64,
    /// How far the visitor has seen the conversation: operators' messages up to this `seq`
    /// show as seen.
    #[serde(default)]
    pub visitor_read_seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Assignee>,
    pub status: ConversationStatus,
    pub created_at: i64,
}

/// Who the visitor is, as far as the server knows.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct VisitorCard {
    #[serde(flatten)]
    pub contact: ContactInfo,
    /// The site's user id from a verified matching-key token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// When the visitor was first seen, milliseconds since the Unix epoch.
    pub first_seen_at: i64,
    /// The browser the visitor last connected with (its `User-Agent`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

/// The start of a conversation's last message, as plain text.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MessagePreview {
    pub author: crate::AuthorKind,
    pub text: String,
    pub sent_at: i64,
}

/// The operator answering a conversation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Assignee {
    pub id: i64,
    pub name: String,
}

/// Query of `GET .../conversations/{id}/messages`: messages after `after_seq` (oldest first),
/// or else the page before `before_seq` (the newest page when neither is given).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct MessagesQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// A page of a conversation's messages, in order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Older messages exist before the first one.
    #[serde(default)]
    pub has_older: bool,
    /// Newer messages exist after the last one.
    #[serde(default)]
    pub has_newer: bool,
}

/// Body of `POST .../conversations/{id}/messages`: an operator's reply, stored once per
/// `client_id`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ReplyRequest {
    pub text: String,
    #[serde(rename = "textFormat", alias = "text_format", default)]
    pub text_format: TextFormat,
    pub client_id: String,
}

/// Body of `POST .../conversations/{id}/assign`: `"me"`, an operator's id, or `null` to leave
/// the conversation unassigned.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AssignRequest {
    pub operator: AssignTarget,
}

/// Whom a conversation is assigned to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignTarget {
    Me,
    Operator(i64),
    Nobody,
}

impl Serialize for AssignTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Me => serializer.serialize_str("me"),
            Self::Operator(id) => serializer.serialize_i64(*id),
            Self::Nobody => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for AssignTarget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Id(i64),
            Word(String),
        }
        match Option::<Wire>::deserialize(deserializer)? {
            None => Ok(Self::Nobody),
            Some(Wire::Id(id)) => Ok(Self::Operator(id)),
            Some(Wire::Word(word)) if word == "me" => Ok(Self::Me),
            Some(Wire::Word(word)) => Err(serde::de::Error::custom(format!(
                "operator must be \"me\", an operator id or null, not \"{word}\""
            ))),
        }
    }
}

/// Body of `POST .../conversations/{id}/read`: the operator has read up to `seq`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRequest {
    pub seq: i64,
}

/// A canned reply: a text kept per integration that operators insert by its shortcut (`/` in
/// the console's composer), like Chatwoot's canned responses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CannedReply {
    pub id: i64,
    pub integration_id: String,
    /// Lower-cased, without spaces or the leading `/`; unique in its integration.
    pub shortcut: String,
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Answer of `GET /api/v1/operator/canned-replies`: those of the operator's integrations, by
/// integration and shortcut.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct CannedReplyList {
    pub canned_replies: Vec<CannedReply>,
}

/// Body of `POST /api/v1/operator/canned-replies`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NewCannedReply {
    pub integration_id: String,
    pub shortcut: String,
    pub text: String,
}

/// Body of `PUT /api/v1/operator/canned-replies/{id}`: its new shortcut and text.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CannedReplyEdit {
    pub shortcut: String,
    pub text: String,
}

/// Frames an operator client sends on `GET /api/v1/operator/ws`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorClientFrame {
    /// The operator is typing in the conversation (rate-limited, never stored).
    Typing { conversation_id: i64 },
    /// Application-level heartbeat, answered by [`OperatorEvent::Pong`].
    Ping,
}

/// Live events for an operator, for the conversations of its integrations.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorEvent {
    /// A conversation is new or changed (a message, its assignee, its status): its summary as
    /// the receiving operator sees it.
    Conversation { conversation: ConversationSummary },
    /// A message was stored.
    Message { message: Message },
    /// A stored message was edited.
    MessageUpdated { message: Message },
    /// Someone is typing: the visitor, or another operator (by name).
    Typing {
        conversation_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<Assignee>,
    },
    /// An operator read the conversation up to `seq`.
    Read {
        conversation_id: i64,
        operator_id: i64,
        seq: i64,
    },
    /// The visitor has seen the conversation up to `seq`.
    VisitorRead { conversation_id: i64, seq: i64 },
    /// An operator came online or went offline.
    Presence { operator: Assignee, online: bool },
    /// The unread counts of the views changed.
    Counts { counts: InboxCounts },
    /// Answer to [`OperatorClientFrame::Ping`].
    Pong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roundtrip::assert_roundtrip;
    use serde_json::json;

    #[test]
    fn assign_targets_read_me_ids_and_null() {
        for (target, wire) in [
            (AssignTarget::Me, json!({"operator": "me"})),
            (AssignTarget::Operator(4), json!({"operator": 4})),
            (AssignTarget::Nobody, json!({"operator": null})),
        ] {
            assert_roundtrip(&AssignRequest { operator: target }, wire);
        }
        let refused = serde_json::from_value::<AssignRequest>(json!({"operator": "you"}));
        assert!(refused.unwrap_err().to_string().contains("\"me\""));
    }

    #[test]
    fn teammates_roundtrip() {
        assert_roundtrip(
            &TeammateList {
                operators: vec![Teammate {
                    id: 2,
                    name: "Boris".into(),
                    integrations: vec!["shop".into()],
                    online: true,
                }],
            },
            json!({"operators": [{"id": 2, "name": "Boris", "integrations": ["shop"],
                   "online": true}]}),
        );
    }

    #[test]
    fn reply_reads_text_format_in_both_spellings() {
        assert_roundtrip(
            &ReplyRequest {
                text: "<b>hi</b>".into(),
                text_format: TextFormat::Html,
                client_id: "c-1".into(),
            },
            json!({"text": "<b>hi</b>", "textFormat": "text/html", "client_id": "c-1"}),
        );
        let snake: ReplyRequest = serde_json::from_value(
            json!({"text": "x", "text_format": "text/html", "client_id": "c"}),
        )
        .unwrap();
        assert_eq!(snake.text_format, TextFormat::Html);
    }

    #[test]
    fn canned_reply_bodies_roundtrip() {
        let reply = CannedReply {
            id: 7,
            integration_id: "demo".into(),
            shortcut: "hello".into(),
            text: "Hello! How can I help?".into(),
            created_at: 1,
            updated_at: 2,
        };
        assert_roundtrip(
            &CannedReplyList {
                canned_replies: vec![reply],
            },
            json!({"canned_replies": [{"id": 7, "integration_id": "demo", "shortcut": "hello",
                   "text": "Hello! How can I help?", "created_at": 1, "updated_at": 2}]}),
        );
        assert_roundtrip(
            &NewCannedReply {
                integration_id: "demo".into(),
                shortcut: "bye".into(),
                text: "Bye".into(),
            },
            json!({"integration_id": "demo", "shortcut": "bye", "text": "Bye"}),
        );
        assert_roundtrip(
            &CannedReplyEdit {
                shortcut: "bye".into(),
                text: "Goodbye".into(),
            },
            json!({"shortcut": "bye", "text": "Goodbye"}),
        );
    }

    #[test]
    fn inbox_bodies_roundtrip() {
        assert_roundtrip(
            &ConversationsQuery {
                view: View::Mine,
                status: ConversationStatus::Closed,
                cursor: None,
                limit: Some(20),
            },
            json!({"view": "mine", "status": "closed", "limit": 20}),
        );
        assert_roundtrip(
            &ConversationSummary {
                id: 3,
                integration_id: "demo".into(),
                visitor: VisitorCard {
                    contact: ContactInfo {
                        name: Some("Olga".into()),
                        email: None,
                        phone: None,
                    },
                    sub: Some("u-1".into()),
                    first_seen_at: 1,
                    browser: None,
                },
                page: None,
                last_message: Some(MessagePreview {
                    author: crate::AuthorKind::Visitor,
                    text: "hello".into(),
                    sent_at: 5,
                }),
                last_activity_at: 5,
                unread: 1,
                visitor_read_seq: 4,
                assignee: Some(Assignee {
                    id: 2,
                    name: "Anna".into(),
                }),
                status: ConversationStatus::Open,
                created_at: 1,
            },
            json!({"id": 3, "integration_id": "demo",
                   "visitor": {"name": "Olga", "sub": "u-1", "first_seen_at": 1},
                   "last_message": {"author": "visitor", "text": "hello", "sent_at": 5},
                   "last_activity_at": 5, "unread": 1, "visitor_read_seq": 4,
                   "assignee": {"id": 2, "name": "Anna"},
                   "status": "open", "created_at": 1}),
        );
        assert_roundtrip(
            &OperatorEvent::Typing {
                conversation_id: 3,
                operator: None,
            },
            json!({"type": "typing", "conversation_id": 3}),
        );
        assert_roundtrip(
            &OperatorClientFrame::Typing { conversation_id: 3 },
            json!({"type": "typing", "conversation_id": 3}),
        );
    }
}
