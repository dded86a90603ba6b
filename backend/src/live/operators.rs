//! Live fan-out to operators: one `broadcast` channel per integration, carrying what happens in
//! its conversations to every operator WebSocket of that integration. Publishers (the visitor's
//! session after its message is committed, the webhook, the operator API) never read the store
//! to publish; an operator socket turns each [`InboxEvent`] into [`OperatorEvent`]s, and for
//! the events that change a conversation's summary, the first socket to need it reads it once
//! for all of them ([`Heard::summary`]): the store is read once per event, not once per
//! operator online.

use super::channels::Channels;
use crate::store::{SharedSummary, StoreResult};
use axum::extract::ws::Utf8Bytes;
use protocol::Message;
use protocol::operator::{Assignee, OperatorEvent};
use std::sync::OnceLock;
use tokio::sync::OnceCell;

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
}

/// An [`InboxEvent`] as the operator sockets of its integration hear it, with room for what
/// they share: the event's frame, serialized once, and the conversation's summary.
#[derive(Debug)]
pub struct Heard {
    pub event: InboxEvent,
    frame: OnceLock<Option<Utf8Bytes>>,
    summary: OnceCell<Option<SharedSummary>>,
}

impl From<InboxEvent> for Heard {
    fn from(event: InboxEvent) -> Self {
        Self {
            event,
            frame: OnceLock::new(),
            summary: OnceCell::new(),
        }
    }
}

impl Heard {
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

    /// The conversation's summary after this event, as `read` reads it: by the first socket
    /// that asks, while the others wait for it; a failed read is tried again by the next.
    pub async fn summary<F, R>(&self, read: F) -> StoreResult<Option<&SharedSummary>>
    where
        F: FnOnce() -> R,
        R: Future<Output = StoreResult<Option<SharedSummary>>>,
    {
        Ok(self.summary.get_or_try_init(read).await?.as_ref())
    }
}

/// The channels by integration id.
pub type OperatorHub = Channels<String, Heard>;

impl Default for OperatorHub {
    fn default() -> Self {
        Self::new(OPERATOR_CHANNEL_CAPACITY)
    }
}

impl InboxEvent {
    /// The conversation it concerns, if one.
    pub fn conversation_id(&self) -> Option<i64> {
        match self {
            Self::Message { message, .. } | Self::MessageUpdated { message } => {
                Some(message.conversation_id)
            }
            Self::Changed { conversation_id }
            | Self::Typing {
                conversation_id, ..
            }
            | Self::Read {
                conversation_id, ..
            }
            | Self::VisitorRead {
                conversation_id, ..
            } => Some(*conversation_id),
            Self::Presence { .. } => None,
        }
    }

    /// The event as every operator sees it alike, if it is more than a changed summary.
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
        }
    }

    /// Whether the conversation's summary changed, so each operator socket sends its own
    /// (`OperatorEvent::Conversation`, as that operator sees it) and its counts. Typing and
    /// edits change no summary; a read changes only the reader's; the visitor's
    /// read position comes with its own event, which the console applies to what it holds.
    pub fn changes_summary_for(&self, account_id: i64) -> bool {
        match self {
            Self::Message { .. } | Self::Changed { .. } => true,
            Self::Read {
                account_id: reader, ..
            } => *reader == account_id,
            Self::MessageUpdated { .. }
            | Self::Typing { .. }
            | Self::VisitorRead { .. }
            | Self::Presence { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Author, AuthorKind, TextFormat};
    use std::sync::Arc;

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
        let hub = Arc::new(OperatorHub::default());
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
        assert!(!typing.changes_summary_for(1), "typing is never stored");
        let read = InboxEvent::Read {
            conversation_id: 7,
            account_id: 2,
            seq: 5,
        };
        assert!(read.changes_summary_for(2) && !read.changes_summary_for(3));
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
        assert!(changed.changes_summary_for(3));
        let stored = InboxEvent::Message {
            person_id: 4,
            message: message(7),
        };
        assert_eq!(stored.conversation_id(), Some(7));
        assert!(stored.changes_summary_for(3));
    }

    #[tokio::test]
    async fn the_sockets_of_an_integration_read_a_summary_once_per_event() {
        use crate::store::StoreError;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let heard = Heard::from(InboxEvent::Changed { conversation_id: 7 });
        let reads = AtomicUsize::new(0);
        let failing = heard
            .summary(|| async {
                reads.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::Corrupt("a row the test made up".into()))
            })
            .await;
        assert!(failing.is_err());
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        };
        let (first, second) = tokio::join!(heard.summary(read), heard.summary(read));
        assert_eq!((first.unwrap(), second.unwrap()), (None, None));
        assert_eq!(heard.summary(read).await.unwrap(), None);
        assert_eq!(
            reads.load(Ordering::SeqCst),
            2,
            "a failed read is tried again, a done one is shared"
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
