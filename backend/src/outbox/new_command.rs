//! A webhook command on its way into the outbox: serialized with its conversation's ordering
//! key before the transaction that queues it, and given its outbox id by the insert.

use super::OutboxItem;
use super::signal::{QueuedCommand, ordering_key};
use protocol::webhook::Command;

/// A webhook command ready to be queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommand {
    pub integration_id: String,
    pub conversation_id: i64,
    pub ordering_key: String,
    /// The command's JSON body.
    pub command: String,
}

impl NewCommand {
    /// `command` for the conversation's ordering key.
    pub fn new(
        integration_id: &str,
        conversation_id: i64,
        command: &Command,
    ) -> serde_json::Result<Self> {
        Ok(Self {
            integration_id: integration_id.to_owned(),
            conversation_id,
            ordering_key: ordering_key(conversation_id),
            command: serde_json::to_string(command)?,
        })
    }

    /// The command as queued under `id`.
    pub fn into_handed(self, id: i64) -> QueuedCommand {
        QueuedCommand {
            integration_id: self.integration_id,
            item: OutboxItem {
                id,
                ordering_key: self.ordering_key,
                command: self.command,
                attempts: 0,
            },
        }
    }
}
