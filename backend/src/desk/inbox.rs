//! The types the inbox speaks in (the [`super::InboxStore`] trait is in `interface.rs`, with
//! the others): an account's inbox, and what a console operator does to a conversation.

use protocol::operator::{Assignee, ConversationStatus, ConversationSummary, InboxCounts, View};
use protocol::{Message, TextFormat};

/// Where a page of an inbox starts: after the conversation with this activity time and id
/// (the order is newest activity first, then highest id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub last_activity_at: i64,
    pub id: i64,
}

impl InboxCursor {
    /// The cursor as the API hands it out (`next_cursor`): `{last_activity_at}-{id}`.
    pub fn encode(self) -> String {
        format!("{}-{}", self.last_activity_at, self.id)
    }

    /// A cursor [`Self::encode`] made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('-')?;
        Some(Self {
            last_activity_at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// A conversation an operator changed, and who hears of it: the person's widgets and the
/// integration's operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationAddress {
    pub id: i64,
    pub person_id: i64,
    pub integration_id: String,
}

/// Which page of which inbox.
#[derive(Debug, Clone, Copy)]
pub struct InboxFilter<'a> {
    /// The account asking: its view `Mine` and its unread counts.
    pub account_id: i64,
    /// The account's integrations: nothing of any other is listed.
    pub integrations: &'a [String],
    pub view: View,
    pub status: ConversationStatus,
    /// `None` for the first page.
    pub cursor: Option<InboxCursor>,
    pub limit: i64,
}

/// A page of an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    pub conversations: Vec<ConversationSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<InboxCursor>,
}

/// What an assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// The conversation went from the expected assignee to the new one; `notice` is the
    /// system message that tells it in the log.
    Assigned {
        conversation: ConversationAddress,
        assignee: Option<Assignee>,
        notice: Message,
    },
    /// Someone else changed the assignee first: this is who has it now (the API's 409).
    Conflict { assignee: Option<Assignee> },
    /// The new assignee is no operator of the conversation's integration.
    UnknownAssignee,
}

/// What closing or reopening did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// The status changed; `notice` tells it in the log.
    Changed {
        conversation: ConversationAddress,
        notice: Message,
    },
    /// The conversation already had that status: nothing was written.
    Unchanged { conversation: ConversationAddress },
}

/// A console operator's reply.
#[derive(Debug, Clone)]
pub struct ConsoleReply<'a> {
    /// Stored once per client id in the conversation.
    pub client_id: &'a str,
    /// Already sanitized (`text/html`) and within the message limit.
    pub text: &'a str,
    pub text_format: TextFormat,
}

/// What became of a console reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replied {
    /// Stored now, in `conversation` (the person whose widgets hear it).
    Created {
        conversation: ConversationAddress,
        message: Message,
    },
    /// Stored before under the same client id by the same account: that message.
    Existing {
        conversation: ConversationAddress,
        message: Message,
    },
    /// The client id is the visitor's or another account's in this conversation (the API's
    /// 409).
    ClientIdTaken,
}

/// What reading a conversation moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMark {
    pub conversation: ConversationAddress,
    /// The conversation's "seen" position (the furthest any operator read) when this read
    /// moved it: the visitor is told.
    pub seen: Option<i64>,
}

/// Open conversations with visitor messages, counted by assignee (`None`: unassigned): an
/// integration's, the same for all its operators, or those of them an account has read to
/// the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub Vec<(Option<i64>, i64)>);

impl Tally {
    /// The unread counts of `account_id`: the conversations of its integrations' tallies less
    /// those it has read to the end (`read_through`).
    pub fn counts<'a>(
        account_id: i64,
        integrations: impl IntoIterator<Item = &'a Tally>,
        read_through: &Tally,
    ) -> InboxCounts {
        let mut counts = InboxCounts::default();
        for tally in integrations {
            tally.add_to(&mut counts, account_id, 1);
        }
        read_through.add_to(&mut counts, account_id, -1);
        counts
    }

    fn add_to(&self, counts: &mut InboxCounts, account_id: i64, sign: i64) {
        for &(assignee, conversations) in &self.0 {
            let conversations = sign * conversations;
            counts.all += conversations;
            match assignee {
                None => counts.unassigned += conversations,
                Some(assignee) if assignee == account_id => counts.mine += conversations,
                Some(_) => {}
            }
        }
    }
}

/// A conversation's summary for all the operators of its integration at once: one read of the
/// store however many of them are online (the operator sockets share it per event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSummary {
    /// The summary as an operator who has read none of the conversation sees it.
    pub summary: ConversationSummary,
    /// The unread count of each account that has read some of it.
    pub unread_by: Vec<(i64, i64)>,
}

impl SharedSummary {
    /// Whether `account_id` has read some of the conversation: its unread count is its own.
    pub fn is_read_by(&self, account_id: i64) -> bool {
        self.unread_by
            .iter()
            .any(|(account, _)| *account == account_id)
    }

    /// The summary as `account_id` sees it: only the unread count is its own.
    pub fn for_account(&self, account_id: i64) -> ConversationSummary {
        let mut summary = self.summary.clone();
        if let Some(&(_, unread)) = self
            .unread_by
            .iter()
            .find(|(account, _)| *account == account_id)
        {
            summary.unread = unread;
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_the_tallies_less_what_the_account_read_to_the_end() {
        let (anna, boris) = (1, 2);
        let shop = Tally(vec![(None, 4), (Some(anna), 3), (Some(boris), 2)]);
        let cafe = Tally(vec![(None, 1)]);
        let read = Tally(vec![(None, 1), (Some(anna), 2), (Some(boris), 1)]);
        assert_eq!(
            Tally::counts(anna, [&shop, &cafe], &read),
            InboxCounts {
                all: 10 - 4,
                unassigned: 5 - 1,
                mine: 3 - 2
            }
        );
        assert_eq!(
            Tally::counts(boris, [&shop], &Tally::default()),
            InboxCounts {
                all: 9,
                unassigned: 4,
                mine: 2
            }
        );
    }
}
