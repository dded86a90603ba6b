//! Values the store's unit tests build alike, kept apart from the test stores so the pure
//! batch planning's tests can use them without importing any engine.

use protocol::TextFormat;
use protocol::webhook::MessageCommand;

/// An operator's plain reply into `conversation_id`, as the collaboration server sends it.
pub(super) fn reply(ext_id: &str, conversation_id: i64) -> MessageCommand {
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
