//! Live fan-out: one `broadcast` channel per person, so every tab and device of a visitor sees
//! its conversation as it happens. A channel exists while someone listens.

use super::channels::{self, Channels};
use protocol::Message;

/// Events a session may miss while it lags; it then resyncs from the store. Small, because every
/// person with an open session holds a channel with all its slots allocated, and a lagging session
/// loses nothing (it reloads from the store). Slots hold an `Arc` for the same reason: a pointer
/// each, not a whole message.
pub const CHANNEL_CAPACITY: usize = 16;

/// What happens to a person.
#[derive(Debug, Clone)]
pub enum HubEvent {
    /// A message was stored in the person's conversation.
    Message(Message),
    /// A message of the person's conversation was edited.
    MessageUpdated(Message),
    /// The person's conversation got a new title.
    ConversationUpdated { conversation_id: i64, title: String },
    /// This visitor was bound to another person (a matching-key token was accepted elsewhere).
    Rebound { visitor_id: i64 },
    /// This visitor logged out.
    Revoked { visitor_id: i64 },
    /// Operators have read the person's conversation up to `seq` (the visitor's "seen").
    Seen { conversation_id: i64, seq: i64 },
    /// A console operator, named, is typing in the person's conversation.
    Typing { conversation_id: i64, name: String },
}

/// The channels by person id.
pub type Hub = Channels<i64, HubEvent>;

/// A listener on one person's channel.
pub type Subscription = channels::Subscription<i64, HubEvent>;

impl Default for Hub {
    fn default() -> Self {
        Self::new(CHANNEL_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn delivers_to_every_listener_and_cleans_up() {
        let hub = Arc::new(Hub::default());
        let mut first = hub.subscribe(1);
        let mut second = hub.subscribe(1);
        hub.publish(&1, HubEvent::Revoked { visitor_id: 9 });
        hub.publish(&2, HubEvent::Revoked { visitor_id: 8 });
        for subscription in [&mut first, &mut second] {
            assert!(matches!(
                subscription.receiver.recv().await.as_deref(),
                Ok(HubEvent::Revoked { visitor_id: 9 })
            ));
        }
        drop(first);
        assert_eq!(hub.channel_count(), 1);
        drop(second);
        assert_eq!(hub.channel_count(), 0);
    }
}
