//! Telling everyone who follows a conversation that a message was stored in it: the person's
//! widgets through the person hub, the integration's operators through the operator hub. Every
//! writer of messages (the visitor's session, the webhook, the operator API) publishes this
//! one way, after its transaction committed.

use super::hub::HubEvent;
use super::operators::InboxEvent;
use crate::state::AppState;
use protocol::Message;

/// Publishes `message`, stored in the conversation of `person_id` in `integration_id`.
pub fn stored_message(state: &AppState, integration_id: &str, person_id: i64, message: Message) {
    state
        .operator_hub
        .publish_with(integration_id, || InboxEvent::Message {
            person_id,
            message: message.clone(),
        });
    state.hub.publish(&person_id, HubEvent::Message(message));
}
