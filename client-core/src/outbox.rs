//! Visitor messages the server has not acknowledged yet. They survive lost connections and are
//! sent again, with the same `client_id`, after every reconnect: the server stores a
//! `client_id` once, so a resend of something already stored is harmless.

use protocol::{ClientFrame, PageInfo, TextFormat};

/// A message on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub client_id: String,
    pub text: String,
    pub text_format: TextFormat,
    /// Where the visitor was when writing it.
    pub page: Option<PageInfo>,
}

impl Outgoing {
    pub fn frame(&self) -> ClientFrame {
        ClientFrame::Send {
            client_id: self.client_id.clone(),
            text: self.text.clone(),
            text_format: self.text_format,
            page: self.page.clone(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Outbox {
    waiting: Vec<Outgoing>,
    failed: Vec<Outgoing>,
}

impl Outbox {
    pub fn push(&mut self, message: Outgoing) {
        self.waiting.push(message);
    }

    /// What to send after (re)connecting, oldest first.
    pub fn waiting(&self) -> &[Outgoing] {
        &self.waiting
    }

    /// The server stored it (an `ack`, or the message seen in history).
    pub fn delivered(&mut self, client_id: &str) {
        self.waiting
            .retain(|message| message.client_id != client_id);
        self.failed.retain(|message| message.client_id != client_id);
    }

    /// The server refused it; it waits for the visitor to retry.
    pub fn failed(&mut self, client_id: &str) {
        if let Some(index) = self.waiting.iter().position(|m| m.client_id == client_id) {
            self.failed.push(self.waiting.remove(index));
        }
    }

    /// The visitor asked to send a refused message again: it is returned for sending.
    pub fn retry(&mut self, client_id: &str) -> Option<Outgoing> {
        let index = self.failed.iter().position(|m| m.client_id == client_id)?;
        let message = self.failed.remove(index);
        self.waiting.push(message.clone());
        Some(message)
    }

    /// Forget everything (logout).
    pub fn clear(&mut self) {
        self.waiting.clear();
        self.failed.clear();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plain-text message with `client_id`, for the tests of what queues messages.
    pub(crate) fn outgoing(client_id: &str) -> Outgoing {
        Outgoing {
            client_id: client_id.into(),
            text: format!("text of {client_id}"),
            text_format: TextFormat::Plain,
            page: None,
        }
    }

    #[test]
    fn waiting_messages_stay_until_delivered() {
        let mut outbox = Outbox::default();
        outbox.push(outgoing("a"));
        outbox.push(outgoing("b"));
        assert_eq!(outbox.waiting(), [outgoing("a"), outgoing("b")]);
        outbox.delivered("a");
        assert_eq!(outbox.waiting(), [outgoing("b")]);
        outbox.delivered("unknown");
        assert_eq!(outbox.waiting(), [outgoing("b")]);
    }

    #[test]
    fn failed_messages_wait_for_a_retry() {
        let mut outbox = Outbox::default();
        outbox.push(outgoing("a"));
        outbox.failed("a");
        assert!(outbox.waiting().is_empty());
        assert_eq!(outbox.retry("a"), Some(outgoing("a")));
        assert_eq!(outbox.waiting(), [outgoing("a")]);
        assert_eq!(outbox.retry("a"), None, "already waiting again");
    }

    #[test]
    fn the_frame_keeps_the_client_id() {
        let frame = outgoing("a").frame();
        assert!(matches!(frame, ClientFrame::Send { client_id, .. } if client_id == "a"));
    }
}
