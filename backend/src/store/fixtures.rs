//! Values the store's unit tests build alike, kept apart from the test stores so the pure
//! batch planning's tests can use them without importing any engine.

use super::batch::{Incoming, VisitorMessage};
use super::interface::{NewMessage, Visitor};
use crate::outbox::Bridge;
use protocol::webhook::MessageCommand;
use protocol::{ContactInfo, TextFormat};

/// A plain message from `person_id`'s visitor under `client_id`, with the bridge on, as the
/// writer's queue holds it.
pub(super) fn from(person_id: i64, client_id: &str) -> Incoming {
    Incoming::Visitor(visitor_message(person_id, client_id))
}

/// A plain message from `person_id`'s visitor under `client_id`, with the bridge on.
pub(super) fn visitor_message(person_id: i64, client_id: &str) -> VisitorMessage {
    VisitorMessage {
        visitor: Visitor {
            id: person_id * 10,
            integration_id: "shop".into(),
            person_id,
            sub: None,
            contact: ContactInfo::default(),
        },
        message: NewMessage {
            client_id: client_id.into(),
            text: format!("text of {client_id}"),
            text_format: TextFormat::Plain,
            page: None,
        },
        bridge: Bridge::On,
    }
}

/// A visitor's plain question under `client_id`.
pub(crate) fn question(client_id: &str) -> NewMessage {
    NewMessage {
        client_id: client_id.into(),
        text: "question".into(),
        text_format: TextFormat::Plain,
        page: None,
    }
}

/// An operator's plain reply into `conversation_id`, as the collaboration server sends it.
pub(crate) fn reply(ext_id: &str, conversation_id: i64) -> MessageCommand {
    MessageCommand {
        ext_id: ext_id.into(),
        text: "answer".into(),
        text_format: TextFormat::Plain,
        ext_user_id: None,
        ext_conversation_id: conversation_id.to_string(),
        data: None,
        data_type: None,
    }
}
