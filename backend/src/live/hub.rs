//! Live fan-out: one `broadcast` channel per person, so every tab and device of a visitor sees
//! its conversation as it happens. A channel exists while someone listens.

use protocol::Message;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

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
}

/// The channels by person id.
#[derive(Debug, Default)]
pub struct Hub {
    channels: Mutex<HashMap<i64, broadcast::Sender<Arc<HubEvent>>>>,
}

/// A listener on one person's channel; the channel is dropped with its last listener.
#[derive(Debug)]
pub struct Subscription {
    pub receiver: broadcast::Receiver<Arc<HubEvent>>,
    person_id: i64,
    hub: Arc<Hub>,
}

impl Hub {
    pub fn subscribe(self: &Arc<Self>, person_id: i64) -> Subscription {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let sender = channels
            .entry(person_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0);
        Subscription {
            receiver: sender.subscribe(),
            person_id,
            hub: Arc::clone(self),
        }
    }

    /// Sends `event` to whoever listens to the person; nobody listening is fine.
    pub fn publish(&self, person_id: i64, event: HubEvent) {
        let channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = channels.get(&person_id) {
            // An error only means the last listener left in the meantime.
            let _ = sender.send(Arc::new(event));
        }
    }

    /// How many persons have a live channel.
    pub fn channel_count(&self) -> usize {
        self.channels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = self.hub.channels.lock().unwrap_or_else(|p| p.into_inner());
        // Our own receiver is still alive here, so 1 means it was the last one.
        if channels
            .get(&self.person_id)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            channels.remove(&self.person_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_to_every_listener_and_cleans_up() {
        let hub = Arc::new(Hub::default());
        let mut first = hub.subscribe(1);
        let mut second = hub.subscribe(1);
        hub.publish(1, HubEvent::Revoked { visitor_id: 9 });
        hub.publish(2, HubEvent::Revoked { visitor_id: 8 });
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
