//! The outbox: webhook commands queued for the collaboration server in the same transaction as
//! the change they announce, in one order per conversation. The store writes them and the
//! bridge delivers them; both use this module, and neither imports the other.

pub mod commands;
mod new_command;
pub mod signal;

pub use new_command::NewCommand;
pub use signal::{OutboxSignal, Queued, Subscription, ordering_key};

/// Whether an integration forwards its conversations to a collaboration server; when it does,
/// the store queues the webhook commands in the same transaction as the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bridge {
    Off,
    On,
}

/// A queued webhook command.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub ordering_key: String,
    /// The command's JSON body.
    pub command: String,
    pub attempts: i64,
}
