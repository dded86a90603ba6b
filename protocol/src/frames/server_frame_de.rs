//! [`ServerFrame`]'s `Deserialize`, written by hand so that parsing a frame costs the widget
//! little code. serde's derive for an internally tagged enum first buffers the whole object into
//! its private `Content` tree and then deserializes the variant from that, which doubles every
//! field type's deserializer in the WebAssembly bundle. Here the object is read once, in any key
//! order, into [`Fields`] (every field any frame has, each optional); the `type` then says which
//! fields the frame needs. It accepts what the derive accepted and reads the same wire format:
//! serializing stays derived.

use super::{ContactInfo, ErrorCode, Message, ServerFrame};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use std::fmt;

/// The `type` tag: one name per [`ServerFrame`] variant.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Welcome,
    Ack,
    Message,
    MessageUpdated,
    Identified,
    Contact,
    ConversationUpdated,
    Error,
    Pong,
    History,
    Seen,
    Typing,
}

/// Every field of every server frame. Fields that belong to other frames than `kind` are
/// ignored, as unknown fields are.
#[derive(Deserialize, Debug)]
struct Fields {
    #[serde(rename = "type")]
    kind: Kind,
    visitor_id: Option<i64>,
    conversation_id: Option<i64>,
    sub: Option<String>,
    contact: Option<ContactInfo>,
    messages: Option<Vec<Message>>,
    reset: Option<bool>,
    has_older: Option<bool>,
    before_seq: Option<i64>,
    /// Read as `u64`, like `retry_after_ms`, then checked to fit `usize`: a `usize` field would
    /// compile one more integer reader into the widget.
    max_message_bytes: Option<u64>,
    client_id: Option<String>,
    message: Option<MessageField>,
    title: Option<String>,
    code: Option<ErrorCode>,
    retry_after_ms: Option<u64>,
    visitor_token: Option<String>,
    seq: Option<i64>,
    name: Option<String>,
}

/// `message` is a stored [`Message`] in most frames and a sentence in `error`.
#[derive(Debug)]
enum MessageField {
    Stored(Message),
    Text(String),
}

/// Why [`Fields`] do not make the frame their `type` names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FrameError {
    /// A field this frame requires is absent (or `null`).
    Missing(&'static str),
    /// `message` is this text where the frame needs a stored message.
    TextForMessage(String),
    /// `message` is a stored message where the error frame needs a text.
    MessageForText,
    /// A number does not fit this machine's `usize`.
    TooLarge(&'static str),
}

impl FrameError {
    fn into_de<E: de::Error>(self) -> E {
        match self {
            Self::Missing(field) => E::missing_field(field),
            Self::TextForMessage(text) => {
                E::invalid_type(Unexpected::Str(&text), &"struct Message")
            }
            Self::MessageForText => E::invalid_type(Unexpected::Map, &"a string"),
            Self::TooLarge(field) => E::invalid_value(Unexpected::Other(field), &"a usize"),
        }
    }
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, FrameError> {
    value.ok_or(FrameError::Missing(field))
}

impl MessageField {
    fn stored(field: Option<Self>) -> Result<Message, FrameError> {
        match required(field, "message")? {
            Self::Stored(message) => Ok(message),
            Self::Text(text) => Err(FrameError::TextForMessage(text)),
        }
    }

    fn text(field: Option<Self>) -> Result<String, FrameError> {
        match required(field, "message")? {
            Self::Text(text) => Ok(text),
            Self::Stored(_) => Err(FrameError::MessageForText),
        }
    }
}

impl Fields {
    fn into_frame(self) -> Result<ServerFrame, FrameError> {
        Ok(match self.kind {
            Kind::Welcome => ServerFrame::Welcome {
                visitor_id: required(self.visitor_id, "visitor_id")?,
                conversation_id: self.conversation_id,
                sub: self.sub,
                contact: required(self.contact, "contact")?,
                messages: required(self.messages, "messages")?,
                reset: required(self.reset, "reset")?,
                max_message_bytes: usize::try_from(required(
                    self.max_message_bytes,
                    "max_message_bytes",
                )?)
                .map_err(|_| FrameError::TooLarge("max_message_bytes"))?,
                has_older: self.has_older.unwrap_or_default(),
                title: self.title,
            },
            Kind::Ack => ServerFrame::Ack {
                client_id: required(self.client_id, "client_id")?,
                message: MessageField::stored(self.message)?,
            },
            Kind::Message => ServerFrame::Message {
                message: MessageField::stored(self.message)?,
            },
            Kind::MessageUpdated => ServerFrame::MessageUpdated {
                message: MessageField::stored(self.message)?,
            },
            Kind::Identified => ServerFrame::Identified {
                sub: required(self.sub, "sub")?,
                conversation_id: self.conversation_id,
                contact: required(self.contact, "contact")?,
                messages: required(self.messages, "messages")?,
                visitor_token: self.visitor_token,
                has_older: self.has_older.unwrap_or_default(),
                title: self.title,
            },
            Kind::History => ServerFrame::History {
                conversation_id: required(self.conversation_id, "conversation_id")?,
                before_seq: required(self.before_seq, "before_seq")?,
                messages: required(self.messages, "messages")?,
                has_older: self.has_older.unwrap_or_default(),
            },
            Kind::Contact => ServerFrame::Contact {
                contact: required(self.contact, "contact")?,
            },
            Kind::ConversationUpdated => ServerFrame::ConversationUpdated {
                conversation_id: required(self.conversation_id, "conversation_id")?,
                title: required(self.title, "title")?,
            },
            Kind::Error => ServerFrame::Error {
                code: required(self.code, "code")?,
                message: MessageField::text(self.message)?,
                client_id: self.client_id,
                retry_after_ms: self.retry_after_ms,
            },
            Kind::Pong => ServerFrame::Pong,
            Kind::Seen => ServerFrame::Seen {
                conversation_id: required(self.conversation_id, "conversation_id")?,
                seq: required(self.seq, "seq")?,
            },
            Kind::Typing => ServerFrame::Typing {
                name: required(self.name, "name")?,
            },
        })
    }
}

impl<'de> serde::Deserialize<'de> for ServerFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FrameVisitor)
    }
}

/// Accepts only a JSON object (a frame is never an array), so the derived [`Fields`] visitor
/// is only ever handed a map and its array branch is not compiled in.
struct FrameVisitor;

impl<'de> Visitor<'de> for FrameVisitor {
    type Value = ServerFrame;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a server frame object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Fields::deserialize(de::value::MapAccessDeserializer::new(map))?
            .into_frame()
            .map_err(FrameError::into_de)
    }
}

impl<'de> serde::Deserialize<'de> for MessageField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MessageFieldVisitor)
    }
}

struct MessageFieldVisitor;

impl<'de> Visitor<'de> for MessageFieldVisitor {
    type Value = MessageField;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a message object or a text")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(MessageField::Text(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(MessageField::Text(text))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Message::deserialize(de::value::MapAccessDeserializer::new(map)).map(MessageField::Stored)
    }
}
