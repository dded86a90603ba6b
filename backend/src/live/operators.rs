//! Live fan-out to operators: one `broadcast` channel per integration, carrying what happens in
//! its conversations to every operator WebSocket of that integration. Publishers (the visitor's
//! session after its message is committed, the webhook, the operator API) never read the store
//! to publish; an operator socket turns each [`InboxEvent`] into [`OperatorEvent`]s. An event
//! that changes a conversation's summary, heard by someone, marks the conversation stale
//! ([`super::stale`]); its summary follows on the same channel as [`InboxEvent::Summary`], read
//! once for all the integration's sockets ([`super::summaries`]).

use super::channels::{Channels, Subscription};
use super::stale::{Audience, StaleSummaries};
use super::tallies::Tallies;
use crate::desk::SharedSummary;
use axum::extract::ws::Utf8Bytes;
use protocol::Message;
use protocol::operator::{Assignee, OperatorEvent};
use std::sync::{Arc, OnceLock};
use tokio::time::Instant;

/// Events an operator socket may miss while it lags before it reloads its inbox: larger than a
/// person's, since every conversation of the integration passes through one channel.
pub const OPERATOR_CHANNEL_CAPACITY: usize = 1024;

/// What happens in an integration's conversations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxEvent {
    /// A message was stored: the visitor's, a 1C operator's, a console reply, or a notice.
    Message { person_id: i64, message: Message },
    /// A stored message was edited.
    MessageUpdated { message: Message },
    /// The conversation's assignee or status changed (its notice comes as a message too).
    Changed { conversation_id: i64 },
    /// Someone is typing in the conversation: the visitor (`operator` is `None`) or a console
    /// operator.
    Typing {
        conversation_id: i64,
        operator: Option<Assignee>,
    },
    /// An account read the conversation up to `seq`.
    Read {
        conversation_id: i64,
        account_id: i64,
        seq: i64,
    },
    /// The visitor has seen the conversation up to `seq`.
    VisitorRead { conversation_id: i64, seq: i64 },
    /// A console operator came online (its first socket) or went offline (its last).
    Presence { operator: Assignee, online: bool },
    /// A conversation's summary after the events before this one, for `audience`.
    Summary {
        summary: Box<SharedSummary>,
        audience: Audience,
    },
}

/// An [`InboxEvent`] as the operator sockets of its integration hear it, with its frame,
/// serialized once for all of them, and when it was published.
#[derive(Debug)]
pub struct Heard {
    pub event: InboxEvent,
    frame: OnceLock<Option<Utf8Bytes>>,
    at: Instant,
}

impl From<InboxEvent> for Heard {
    fn from(event: InboxEvent) -> Self {
        Self {
            event,
            frame: OnceLock::new(),
            at: Instant::now(),
        }
    }
}

impl Heard {
    /// When it was published: the same for every socket that hears it, so those that count
    /// after it can share one read of the counts ([`super::tallies`]).
    pub fn at(&self) -> Instant {
        self.at
    }

    /// [`InboxEvent::operator_event`] as JSON, serialized by the first socket that sends it.
    pub fn frame(&self) -> Option<&Utf8Bytes> {
        self.frame
            .get_or_init(|| {
                let event = self.event.operator_event()?;
                serde_json::to_string(&event)
                    .map_err(|error| tracing::error!(%error, "cannot serialize an operator event"))
                    .ok()
                    .map(Utf8Bytes::from)
            })
            .as_ref()
    }
}

/// The integrations' channels, the conversations whose summaries their events changed, and
/// the integrations' unread tallies their sockets share.
#[derive(Debug)]
pub struct OperatorHub {
    channels: Arc<Channels<String, Heard>>,
    stale: StaleSummaries,
    tallies: Tallies,
}

impl Default for OperatorHub {
    fn default() -> Self {
        Self {
            channels: Arc::new(Channels::new(OPERATOR_CHANNEL_CAPACITY)),
            stale: StaleSummaries::default(),
            tallies: Tallies::default(),
        }
    }
}

impl OperatorHub {
    pub fn subscribe(&self, integration_id: String) -> Subscription<String, Heard> {
        self.channels.subscribe(integration_id)
    }

    /// Sends `event` to the integration's operator sockets; nobody listening is fine.
    pub fn publish(&self, integration_id: &str, event: InboxEvent) {
        self.publish_with(integration_id, || event);
    }

    /// Sends the event `make` builds to the integration's operator sockets, building it only
    /// if one listens; a summary it changes is then read for them.
    pub fn publish_with(&self, integration_id: &str, make: impl FnOnce() -> InboxEvent) {
        let mut stale = None;
        self.channels.publish_with(integration_id, || {
            let event = make();
            stale = event.stale_summary();
            event
        });
        if let Some((conversation_id, audience)) = stale {
            self.stale.mark(integration_id, conversation_id, audience);
        }
    }

    /// The conversations whose summaries are to be read.
    pub fn stale(&self) -> &StaleSummaries {
        &self.stale
    }

    /// The integrations' unread tallies, read once for all their sockets.
    pub fn tallies(&self) -> &Tallies {
        &self.tallies
    }

    /// How many integrations have operators listening.
    pub fn channel_count(&self) -> usize {
        self.channels.channel_count()
    }
}

impl InboxEvent {
    /// The event as every operator sees it alike, if it is more than a changed summary; a
    /// summary as every operator who has read none of the conversation sees it.
    pub fn operator_event(&self) -> Option<OperatorEvent> {
        match self {
            Self::Message { message, .. } => Some(OperatorEvent::Message {
                message: message.clone(),
            }),
            Self::MessageUpdated { message } => Some(OperatorEvent::MessageUpdated {
                message: message.clone(),
            }),
            Self::Changed { .. } => None,
            Self::Typing {
                conversation_id,
                operator,
            } => Some(OperatorEvent::Typing {
                conversation_id: *conversation_id,
                operator: operator.clone(),
            }),
            Self::Read {
                conversation_id,
                account_id,
                seq,
            } => Some(OperatorEvent::Read {
                conversation_id: *conversation_id,
                operator_id: *account_id,
                seq: *seq,
            }),
            Self::VisitorRead {
                conversation_id,
                seq,
            } => Some(OperatorEvent::VisitorRead {
                conversation_id: *conversation_id,
                seq: *seq,
            }),
            Self::Presence { operator, online } => Some(OperatorEvent::Presence {
                operator: operator.clone(),
                online: *online,
            }),
            // As an operator who has read none of it sees it: a reader's own count goes in.
            Self::Summary { summary, .. } => Some(OperatorEvent::Conversation {
                conversation: summary.summary.clone(),
            }),
        }
    }

    /// The conversation whose summary this event changed, and for whom: each operator socket
    /// then sends its own (`OperatorEvent::Conversation`, as that operator sees it) and its
    /// counts. Typing and edits change no summary; a read changes only the reader's; the
    /// visitor's read position comes with its own event, which the console applies to what it
    /// holds.
    pub fn stale_summary(&self) -> Option<(i64, Audience)> {
        match self {
            Self::Message { message, .. } => Some((message.conversation_id, Audience::Everyone)),
            Self::Changed { conversation_id } => Some((*conversation_id, Audience::Everyone)),
            Self::Read {
                conversation_id,
                account_id,
                ..
            } => Some((*conversation_id, Audience::Reader(*account_id))),
            Self::MessageUpdated { .. }
            | Self::Typing { .. }
            | Self::VisitorRead { .. }
            | Self::Presence { .. }
            | Self::Summary { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Author, AuthorKind, TextFormat};

    fn message(conversation_id: i64) -> Message {
        Message {
            id: 1,
            conversation_id,
            seq: 1,
            client_id: None,
            author: Author {
                kind: AuthorKind::Visitor,
                name: None,
                picture: None,
            },
            text: "hello".into(),
            text_format: TextFormat::Plain,
            sent_at: 0,
            edited_at: None,
        }
    }

    #[tokio::test]
    async fn an_integrations_operators_hear_its_conversations_and_no_other() {
        let hub = OperatorHub::default();
        let mut anna = hub.subscribe("shop".to_owned());
        let mut boris = hub.subscribe("shop".to_owned());
        let mut cafe = hub.subscribe("cafe".to_owned());
        let stored = InboxEvent::Message {
            person_id: 4,
            message: message(7),
        };
        hub.publish("shop", stored.clone());
        hub.publish_with("nobody", || -> InboxEvent {
            unreachable!("built only when heard")
        });
        for operator in [&mut anna, &mut boris] {
            assert_eq!(operator.receiver.recv().await.unwrap().event, stored);
        }
        assert!(
            cafe.receiver.try_recv().is_err(),
            "the cafe hears nothing of the shop"
        );
        drop((anna, boris));
        assert_eq!(hub.channel_count(), 1);
    }

    #[test]
    fn events_become_operator_events_and_say_whose_summary_changed() {
        let typing = InboxEvent::Typing {
            conversation_id: 7,
            operator: None,
        };
        assert_eq!(
            typing.operator_event(),
            Some(OperatorEvent::Typing {
                conversation_id: 7,
                operator: None
            })
        );
        assert_eq!(typing.stale_summary(), None, "typing is never stored");
        let read = InboxEvent::Read {
            conversation_id: 7,
            account_id: 2,
            seq: 5,
        };
        assert_eq!(read.stale_summary(), Some((7, Audience::Reader(2))));
        assert_eq!(
            read.operator_event(),
            Some(OperatorEvent::Read {
                conversation_id: 7,
                operator_id: 2,
                seq: 5
            })
        );
        let changed = InboxEvent::Changed { conversation_id: 7 };
        assert_eq!(changed.operator_event(), None);
        assert_eq!(changed.stale_summary(), Some((7, Audience::Everyone)));
        let stored = InboxEvent::Message {
            person_id: 4,
            message: message(7),
        };
        assert_eq!(stored.stale_summary(), Some((7, Audience::Everyone)));
    }

    #[test]
    fn a_change_heard_by_an_operator_marks_its_summary_stale() {
        use super::super::stale::SUMMARIES_PER_READ;
        let hub = OperatorHub::default();
        hub.publish("shop", InboxEvent::Changed { conversation_id: 7 });
        assert!(
            hub.stale().take(SUMMARIES_PER_READ).is_empty(),
            "nobody listens: nothing to read"
        );
        let _anna = hub.subscribe("shop".to_owned());
        hub.publish("shop", InboxEvent::Changed { conversation_id: 7 });
        hub.publish(
            "shop",
            InboxEvent::VisitorRead {
                conversation_id: 8,
                seq: 1,
            },
        );
        let stale = hub.stale().take(SUMMARIES_PER_READ);
        assert_eq!(
            stale
                .iter()
                .map(|stale| (stale.conversation_id, stale.integration_id.as_str()))
                .collect::<Vec<_>>(),
            [(7, "shop")]
        );
    }

    #[test]
    fn an_event_is_serialized_once_as_every_operator_sees_it() {
        let heard = Heard::from(InboxEvent::Read {
            conversation_id: 7,
            account_id: 2,
            seq: 5,
        });
        let frame = heard.frame().expect("a read is news to every operator");
        let expected = serde_json::to_string(&heard.event.operator_event().unwrap()).unwrap();
        assert_eq!(frame.as_str(), expected);
        assert!(
            std::ptr::eq(frame, heard.frame().unwrap()),
            "kept, not made again"
        );
        let changed = Heard::from(InboxEvent::Changed { conversation_id: 7 });
        assert_eq!(changed.frame(), None, "a change comes as summaries only");
    }
}
