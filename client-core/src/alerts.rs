//! When the console alerts its operator that a visitor wrote: the tab's title counts the
//! conversations with unread messages it should answer ("(3) Operator console": unassigned
//! and its own) whatever the tab's state; while
//! the tab is hidden, a visitor's message also plays a short sound and, once the operator
//! allowed it, shows a browser notification. Conversations another operator answers raise no
//! sound or notification: they are that operator's to hear. Each message alerts once, however
//! often it arrives (a resync brings it again).

use crate::contact;
use crate::inbox::Inbox;
use protocol::operator::{ConversationSummary, InboxCounts};
use protocol::{AuthorKind, Message, TextFormat};

/// The longest notification body, in characters.
pub const NOTIFICATION_CHARS: usize = 120;

/// Whether the operator can see the console's tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TabVisibility {
    Visible,
    Hidden,
}

/// What the browser says of notifications for the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationPermission {
    /// The operator allowed them (after clicking "Enable notifications").
    Granted,
    /// Not asked yet: the console offers the button.
    NotAsked,
    /// Refused, or the browser has none.
    Unavailable,
}

/// What to do about one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alert {
    /// Play the short sound.
    pub sound: bool,
    /// Show a notification with this title and body.
    pub notification: Option<Notice>,
}

/// A browser notification's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Who wrote: the visitor's name, e-mail or phone, if the inbox knows it.
    pub title: Option<String>,
    pub body: String,
    /// The conversation, so clicking the notification opens it.
    pub conversation_id: i64,
}

/// The alerts' memory: which messages alerted already.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alerts {
    /// Message ids grow: every message up to this one has had its turn.
    alerted_up_to: i64,
}

/// The conversations with unread messages the operator should answer: unassigned ones and
/// its own (another operator's are that operator's to count).
pub fn unread_total(counts: &InboxCounts) -> i64 {
    counts.unassigned + counts.mine
}

/// The tab's title: `base` after the number of conversations with unread messages, if any.
pub fn title(unread: i64, base: &str) -> String {
    if unread > 0 {
        format!("({unread}) {base}")
    } else {
        base.to_owned()
    }
}

/// A notification's body: the message's text as plain text, cut at [`NOTIFICATION_CHARS`].
fn notification_body(message: &Message) -> String {
    let text = match message.text_format {
        TextFormat::Plain => message.text.clone(),
        TextFormat::Html => plain_text(&crate::html::parse(&message.text)),
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > NOTIFICATION_CHARS {
        let cut: String = text.chars().take(NOTIFICATION_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn plain_text(nodes: &[crate::html::Node]) -> String {
    nodes
        .iter()
        .map(|node| match node {
            crate::html::Node::Text(text) => text.clone(),
            crate::html::Node::Element(element) if element.tag == "br" => " ".to_owned(),
            crate::html::Node::Element(element) => plain_text(&element.children),
        })
        .collect()
}

/// The conversation `id` as the inbox knows it: listed, or open.
fn known(inbox: &Inbox, id: i64) -> Option<&ConversationSummary> {
    inbox.conversation(id).or_else(|| {
        inbox
            .open
            .as_ref()
            .filter(|thread| thread.id == id)
            .and_then(|thread| thread.summary.as_ref())
    })
}

impl Alerts {
    /// What `message`, brought live, should do, given the inbox it arrives in.
    pub fn on_message(
        &mut self,
        inbox: &Inbox,
        message: &Message,
        tab: TabVisibility,
        permission: NotificationPermission,
    ) -> Alert {
        if message.author.kind != AuthorKind::Visitor || message.id <= self.alerted_up_to {
            return Alert::default();
        }
        self.alerted_up_to = message.id;
        let conversation = known(inbox, message.conversation_id);
        let me = inbox.me.as_ref().map(|me| me.id);
        let anothers = conversation
            .and_then(|conversation| conversation.assignee.as_ref())
            .is_some_and(|assignee| Some(assignee.id) != me);
        if tab == TabVisibility::Visible || anothers {
            return Alert::default();
        }
        let notification = (permission == NotificationPermission::Granted).then(|| Notice {
            title: conversation
                .and_then(|conversation| contact::shown_name(&conversation.visitor.contact)),
            body: notification_body(message),
            conversation_id: message.conversation_id,
        });
        Alert {
            sound: true,
            notification,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbox::Event;
    use protocol::operator::{
        Assignee, ConversationList, ConversationStatus, ConversationsQuery, OperatorProfile,
        VisitorCard,
    };
    use protocol::{Author, ContactInfo};

    const ME: i64 = 7;

    fn conversation(id: i64, assignee: Option<i64>) -> ConversationSummary {
        ConversationSummary {
            id,
            integration_id: "shop".into(),
            visitor: VisitorCard {
                contact: ContactInfo {
                    name: Some(format!("Visitor {id}")),
                    email: None,
                    phone: None,
                },
                ..VisitorCard::default()
            },
            page: None,
            last_message: None,
            last_activity_at: id,
            unread: 1,
            visitor_read_seq: 0,
            assignee: assignee.map(|id| Assignee {
                id,
                name: format!("operator {id}"),
            }),
            status: ConversationStatus::Open,
            created_at: 0,
        }
    }

    /// An inbox of `ME` listing conversation 1 (unassigned), 2 (mine) and 3 (another's).
    fn inbox() -> Inbox {
        let mut inbox = Inbox::default();
        inbox.on(Event::SignedIn(OperatorProfile {
            id: ME,
            email: "anna@example.com".into(),
            name: "Anna".into(),
            integrations: vec!["shop".into()],
        }));
        let list = ConversationList {
            conversations: vec![
                conversation(1, None),
                conversation(2, Some(ME)),
                conversation(3, Some(ME + 1)),
            ],
            next_cursor: None,
        };
        inbox.on(Event::ListLoaded {
            query: ConversationsQuery::default(),
            list,
        });
        inbox
    }

    fn message(id: i64, conversation_id: i64, kind: AuthorKind, text: &str) -> Message {
        Message {
            id,
            conversation_id,
            seq: id,
            client_id: None,
            author: Author {
                kind,
                name: None,
                picture: None,
            },
            text: text.into(),
            text_format: TextFormat::Plain,
            sent_at: 0,
            edited_at: None,
        }
    }

    use NotificationPermission::{Granted, NotAsked, Unavailable};
    use TabVisibility::{Hidden, Visible};

    #[test]
    fn the_title_counts_unread_conversations() {
        assert_eq!(title(3, "Operator console"), "(3) Operator console");
        assert_eq!(title(0, "Operator console"), "Operator console");
        let counts = InboxCounts {
            unassigned: 2,
            mine: 1,
            all: 5,
        };
        assert_eq!(unread_total(&counts), 3, "not the other operators' ones");
    }

    #[test]
    fn a_hidden_tab_sounds_and_notifies_once_allowed() {
        let inbox = inbox();
        let mut alerts = Alerts::default();
        let alert = alerts.on_message(
            &inbox,
            &message(10, 1, AuthorKind::Visitor, "Hi"),
            Hidden,
            Granted,
        );
        assert_eq!(
            alert,
            Alert {
                sound: true,
                notification: Some(Notice {
                    title: Some("Visitor 1".into()),
                    body: "Hi".into(),
                    conversation_id: 1,
                }),
            }
        );
        for (id, permission) in [(11, NotAsked), (12, Unavailable)] {
            let written = message(id, 2, AuthorKind::Visitor, "x");
            let alert = alerts.on_message(&inbox, &written, Hidden, permission);
            assert_eq!(
                (alert.sound, alert.notification),
                (true, None),
                "{permission:?}"
            );
        }
        let unknown = alerts.on_message(
            &inbox,
            &message(20, 99, AuthorKind::Visitor, "new"),
            Hidden,
            Granted,
        );
        assert!(
            unknown.sound,
            "a conversation not listed yet (a new one) alerts"
        );
        assert_eq!(unknown.notification.unwrap().title, None);
    }

    #[test]
    fn no_alert_while_visible_for_operators_or_for_anothers_conversation_or_twice() {
        let inbox = inbox();
        let mut alerts = Alerts::default();
        let quiet = Alert::default();
        assert_eq!(
            alerts.on_message(
                &inbox,
                &message(10, 1, AuthorKind::Visitor, "x"),
                Visible,
                Granted
            ),
            quiet
        );
        assert_eq!(
            alerts.on_message(
                &inbox,
                &message(10, 1, AuthorKind::Visitor, "x"),
                Hidden,
                Granted
            ),
            quiet,
            "the same message again"
        );
        assert_eq!(
            alerts.on_message(
                &inbox,
                &message(11, 1, AuthorKind::Operator, "x"),
                Hidden,
                Granted
            ),
            quiet
        );
        assert_eq!(
            alerts.on_message(
                &inbox,
                &message(12, 1, AuthorKind::System, "x"),
                Hidden,
                Granted
            ),
            quiet
        );
        assert_eq!(
            alerts.on_message(
                &inbox,
                &message(13, 3, AuthorKind::Visitor, "x"),
                Hidden,
                Granted
            ),
            quiet,
            "another operator's"
        );
        assert!(
            alerts
                .on_message(
                    &inbox,
                    &message(14, 2, AuthorKind::Visitor, "x"),
                    Hidden,
                    Granted
                )
                .sound,
            "mine"
        );
    }

    #[test]
    fn notification_bodies_are_plain_and_short() {
        let inbox = inbox();
        let mut alerts = Alerts::default();
        let mut html = message(10, 1, AuthorKind::Visitor, "<b>Big</b> <i>news</i><br>here");
        html.text_format = TextFormat::Html;
        let notice = alerts
            .on_message(&inbox, &html, Hidden, Granted)
            .notification
            .unwrap();
        assert_eq!(notice.body, "Big news here");
        let long = message(11, 1, AuthorKind::Visitor, &"word ".repeat(100));
        let notice = alerts
            .on_message(&inbox, &long, Hidden, Granted)
            .notification
            .unwrap();
        assert_eq!(notice.body.chars().count(), NOTIFICATION_CHARS);
        assert!(notice.body.ends_with('…'));
    }
}
