//! The message log as the visitor sees it: stored messages in `seq` order, each once, then the
//! visitor's own messages still on their way. A message is known by its server `id`, and a
//! visitor's message also by the `client_id` it was sent with, so the acknowledgement, the
//! broadcast copy and a history replay all land on the same entry.
//!
//! The server sends the newest page of a long conversation; older pages are asked for on demand
//! ([`Log::request_earlier`]) and go in before what the log holds ([`Log::prepend`]).
//!
//! Operators' reading shows as "seen" under one message only, the visitor's newest that they
//! have read ([`Log::seen_own`]), as Intercom and Crisp show it.

use crate::outbox::Outgoing;
use protocol::{Author, AuthorKind, Message, TextFormat};

/// Where a visitor's own message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sending,
    /// Refused over the rate limit: sent again, in order, once the server allows.
    Waiting,
    Sent,
    Failed,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Server id; `None` until stored.
    pub id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub seq: Option<i64>,
    pub client_id: Option<String>,
    pub author: Author,
    pub text: String,
    pub text_format: TextFormat,
    /// Milliseconds since the Unix epoch.
    pub sent_at: i64,
    pub edited_at: Option<i64>,
    pub delivery: Delivery,
}

impl Entry {
    fn stored(message: Message) -> Self {
        Self {
            id: Some(message.id),
            conversation_id: Some(message.conversation_id),
            seq: Some(message.seq),
            client_id: message.client_id,
            author: message.author,
            text: message.text,
            text_format: message.text_format,
            sent_at: message.sent_at,
            edited_at: message.edited_at,
            delivery: Delivery::Sent,
        }
    }

    /// A key that stays the same while the entry goes from sending to sent, and changes when
    /// what is shown changes, for keyed rendering.
    pub fn render_key(&self) -> String {
        let base = match (&self.client_id, self.id) {
            (Some(client_id), _) => client_id.clone(),
            (None, Some(id)) => id.to_string(),
            (None, None) => String::new(),
        };
        let delivery = match self.delivery {
            Delivery::Sending => "sending",
            Delivery::Waiting => "waiting",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
        };
        let edited_at = self.edited_at.map(|at| at.to_string()).unwrap_or_default();
        format!("{base}/{delivery}/{edited_at}")
    }

    fn matches(&self, message: &Message) -> bool {
        self.id == Some(message.id)
            || (self.client_id.is_some() && self.client_id == message.client_id)
    }
}

/// What [`Log::apply`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Not seen before.
    New,
    /// It replaced an entry: a pending message got stored, or a message was edited.
    Updated,
}

/// Whether the server holds older messages than the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Earlier {
    /// The log starts at the conversation's first message, or holds nothing stored.
    #[default]
    None,
    /// Older messages can be asked for.
    Available,
    /// A page of them was asked for and is on its way.
    Loading,
}

impl Earlier {
    /// From a page's `has_older`.
    pub fn after_page(has_older: bool) -> Self {
        if has_older {
            Self::Available
        } else {
            Self::None
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Log {
    entries: Vec<Entry>,
    earlier: Earlier,
    /// Conversation and `seq` up to which operators have read it.
    read: Option<(i64, i64)>,
}

impl Log {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The visitor wrote something; shown at once, as sending.
    pub fn add_pending(&mut self, message: &Outgoing, sent_at: i64) {
        self.entries.push(Entry {
            id: None,
            conversation_id: None,
            seq: None,
            client_id: Some(message.client_id.clone()),
            author: Author {
                kind: AuthorKind::Visitor,
                name: None,
                picture: None,
            },
            text: message.text.clone(),
            text_format: message.text_format,
            sent_at,
            edited_at: None,
            delivery: Delivery::Sending,
        });
    }

    /// A stored message from the server: an ack, a broadcast, history or an edit.
    pub fn apply(&mut self, message: Message) -> Applied {
        if let Some(index) = self
            .entries
            .iter()
            .position(|entry| entry.matches(&message))
        {
            self.entries.remove(index);
            self.insert_stored(Entry::stored(message));
            return Applied::Updated;
        }
        self.insert_stored(Entry::stored(message));
        Applied::New
    }

    /// The newest page of the history from the server replaces the stored part of the log;
    /// the visitor's messages still on their way stay after it unless the page already holds
    /// them. `earlier` says whether older pages exist.
    pub fn reset(&mut self, history: Vec<Message>, earlier: Earlier) {
        self.entries.retain(|entry| entry.id.is_none());
        for message in history {
            self.apply(message);
        }
        self.earlier = earlier;
    }

    /// Forget everything (logout).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.earlier = Earlier::None;
        self.read = None;
    }

    /// Operators have read `conversation_id` up to `seq`. A read position never goes back.
    pub fn seen(&mut self, conversation_id: i64, seq: i64) {
        if self
            .read
            .is_none_or(|(read_in, read_to)| read_in != conversation_id || read_to < seq)
        {
            self.read = Some((conversation_id, seq));
        }
    }

    /// The `seq` of the visitor's newest message that operators have read: the one message
    /// that shows it.
    pub fn seen_own(&self) -> Option<i64> {
        let (conversation_id, read_to) = self.read?;
        self.entries
            .iter()
            .filter(|entry| {
                entry.author.kind == AuthorKind::Visitor
                    && entry.conversation_id == Some(conversation_id)
            })
            .filter_map(|entry| entry.seq.filter(|seq| *seq <= read_to))
            .max()
    }

    pub fn earlier(&self) -> Earlier {
        self.earlier
    }

    /// Starts loading the page before the oldest stored message: its `seq` to ask before, or
    /// `None` when there is nothing older or a page is on its way already.
    pub fn request_earlier(&mut self) -> Option<i64> {
        if self.earlier != Earlier::Available {
            return None;
        }
        let (_, oldest) = self.oldest_stored()?;
        self.earlier = Earlier::Loading;
        Some(oldest)
    }

    /// The page asked for will not come (it could not be sent, or the connection closed): it
    /// may be asked for again.
    pub fn earlier_unanswered(&mut self) {
        if self.earlier == Earlier::Loading {
            self.earlier = Earlier::Available;
        }
    }

    /// An older page from the server, the messages of `conversation_id` before `before_seq`, goes
    /// in before what the log holds. A page that no longer joins the log (it was reset since
    /// it was asked for) is dropped; the log's own state says what to ask next.
    pub fn prepend(
        &mut self,
        conversation_id: i64,
        before_seq: i64,
        page: Vec<Message>,
        earlier: Earlier,
    ) {
        if self.earlier != Earlier::Loading
            || self.oldest_stored() != Some((conversation_id, before_seq))
        {
            return;
        }
        for message in page {
            self.apply(message);
        }
        self.earlier = earlier;
    }

    /// Conversation and `seq` of the oldest stored message: where older pages end.
    fn oldest_stored(&self) -> Option<(i64, i64)> {
        self.entries
            .iter()
            .find_map(|entry| Some((entry.conversation_id?, entry.seq?)))
    }

    pub fn mark(&mut self, client_id: &str, delivery: Delivery) {
        for entry in &mut self.entries {
            if entry.id.is_none() && entry.client_id.as_deref() == Some(client_id) {
                entry.delivery = delivery;
            }
        }
    }

    /// Conversation and `seq` of the newest stored message: where a reconnect resumes.
    pub fn last_seen(&self) -> Option<(i64, i64)> {
        self.entries
            .iter()
            .filter_map(|entry| Some((entry.conversation_id?, entry.seq?)))
            .max_by_key(|(_, seq)| *seq)
    }

    /// Stored entries come first in `seq` order; pending ones keep their order after them.
    fn insert_stored(&mut self, entry: Entry) {
        let index = self
            .entries
            .iter()
            .position(|other| other.seq.is_none_or(|seq| Some(seq) > entry.seq))
            .unwrap_or(self.entries.len());
        self.entries.insert(index, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::PageInfo;

    fn message(id: i64, seq: i64, client_id: Option<&str>, kind: AuthorKind) -> Message {
        Message {
            id,
            conversation_id: 1,
            seq,
            client_id: client_id.map(str::to_owned),
            author: Author {
                kind,
                name: None,
                picture: None,
            },
            text: format!("message {id}"),
            text_format: TextFormat::Plain,
            sent_at: seq * 1000,
            edited_at: None,
        }
    }

    fn outgoing(client_id: &str) -> Outgoing {
        Outgoing {
            client_id: client_id.into(),
            text: "typed".into(),
            text_format: TextFormat::Plain,
            page: Some(PageInfo::default()),
        }
    }

    fn ids(log: &Log) -> Vec<Option<i64>> {
        log.entries().iter().map(|entry| entry.id).collect()
    }

    #[test]
    fn stored_messages_are_ordered_by_seq_and_kept_once() {
        let mut log = Log::default();
        assert_eq!(
            log.apply(message(12, 2, None, AuthorKind::Operator)),
            Applied::New
        );
        assert_eq!(
            log.apply(message(11, 1, None, AuthorKind::Operator)),
            Applied::New
        );
        assert_eq!(
            log.apply(message(12, 2, None, AuthorKind::Operator)),
            Applied::Updated
        );
        assert_eq!(ids(&log), [Some(11), Some(12)]);
        assert_eq!(log.last_seen(), Some((1, 2)));
    }

    #[test]
    fn a_pending_message_becomes_sent_on_ack_and_stays_one_entry() {
        let mut log = Log::default();
        log.add_pending(&outgoing("c-1"), 0);
        assert_eq!(log.entries()[0].delivery, Delivery::Sending);
        log.apply(message(5, 1, None, AuthorKind::Operator));
        assert_eq!(
            ids(&log),
            [Some(5), None],
            "pending stays after stored ones"
        );
        assert_eq!(
            log.apply(message(6, 2, Some("c-1"), AuthorKind::Visitor)),
            Applied::Updated
        );
        // The broadcast copy of the same message arrives too.
        log.apply(message(6, 2, Some("c-1"), AuthorKind::Visitor));
        assert_eq!(ids(&log), [Some(5), Some(6)]);
        assert_eq!(log.entries()[1].delivery, Delivery::Sent);
    }

    #[test]
    fn reset_replaces_history_and_keeps_unsent_messages() {
        let mut log = Log::default();
        log.apply(message(1, 1, None, AuthorKind::Operator));
        log.add_pending(&outgoing("stored-meanwhile"), 0);
        log.add_pending(&outgoing("still-offline"), 0);
        log.reset(
            vec![
                message(2, 1, None, AuthorKind::Operator),
                message(3, 2, Some("stored-meanwhile"), AuthorKind::Visitor),
            ],
            Earlier::None,
        );
        assert_eq!(ids(&log), [Some(2), Some(3), None]);
        assert_eq!(log.entries()[2].client_id.as_deref(), Some("still-offline"));
    }

    fn seqs(log: &Log) -> Vec<Option<i64>> {
        log.entries().iter().map(|entry| entry.seq).collect()
    }

    fn page(seqs: std::ops::RangeInclusive<i64>) -> Vec<Message> {
        seqs.map(|seq| message(100 + seq, seq, None, AuthorKind::Operator))
            .collect()
    }

    #[test]
    fn older_pages_go_in_before_the_newest_page_once_each() {
        let mut log = Log::default();
        assert_eq!(log.request_earlier(), None, "nothing to page");
        log.add_pending(&outgoing("on-its-way"), 0);
        log.reset(page(21..=30), Earlier::Available);
        assert_eq!(log.request_earlier(), Some(21));
        assert_eq!(log.earlier(), Earlier::Loading);
        assert_eq!(log.request_earlier(), None, "one page at a time");
        // A live message arrives meanwhile; the page overlaps what the log holds by one.
        log.apply(message(131, 31, None, AuthorKind::Operator));
        log.prepend(1, 21, page(11..=21), Earlier::Available);
        let mut expected: Vec<Option<i64>> = (11..=31).map(Some).collect();
        expected.push(None);
        assert_eq!(seqs(&log), expected, "in order, each once, pending last");
        assert_eq!(log.last_seen(), Some((1, 31)));
        assert_eq!(log.request_earlier(), Some(11));
        log.prepend(1, 11, page(1..=10), Earlier::None);
        assert_eq!(log.entries()[0].seq, Some(1));
        assert_eq!(log.earlier(), Earlier::None);
        assert_eq!(log.request_earlier(), None, "the first message is in");
    }

    #[test]
    fn a_page_that_no_longer_joins_the_log_is_dropped() {
        let mut log = Log::default();
        log.reset(page(21..=30), Earlier::Available);
        assert_eq!(log.request_earlier(), Some(21));
        // Reconnected meanwhile: a newer page replaced the log.
        log.reset(page(26..=35), Earlier::Available);
        log.prepend(1, 21, page(11..=20), Earlier::Available);
        assert_eq!(log.entries()[0].seq, Some(26), "the stale page is dropped");
        assert_eq!(log.request_earlier(), Some(26));
        log.prepend(2, 26, page(16..=25), Earlier::Available);
        assert_eq!(
            log.entries()[0].seq,
            Some(26),
            "another conversation's page"
        );
    }

    #[test]
    fn a_request_the_connection_lost_can_be_made_again() {
        let mut log = Log::default();
        log.reset(page(5..=9), Earlier::after_page(true));
        assert_eq!(log.request_earlier(), Some(5));
        log.earlier_unanswered();
        assert_eq!(log.earlier(), Earlier::Available);
        assert_eq!(log.request_earlier(), Some(5));
        log.clear();
        assert_eq!(log.earlier(), Earlier::None);
        log.earlier_unanswered();
        assert_eq!(
            log.earlier(),
            Earlier::None,
            "only a request on its way is undone"
        );
    }

    #[test]
    fn only_the_newest_own_message_operators_read_shows_seen() {
        let mut log = Log::default();
        log.apply(message(1, 1, Some("a"), AuthorKind::Visitor));
        log.apply(message(2, 2, None, AuthorKind::Operator));
        log.apply(message(3, 3, Some("b"), AuthorKind::Visitor));
        log.apply(message(4, 4, Some("c"), AuthorKind::Visitor));
        log.add_pending(&outgoing("d"), 0);
        assert_eq!(log.seen_own(), None, "nothing read yet");
        log.seen(1, 2);
        assert_eq!(
            log.seen_own(),
            Some(1),
            "the operator's own reply is no visitor's"
        );
        log.seen(1, 3);
        assert_eq!(log.seen_own(), Some(3));
        log.seen(1, 2);
        assert_eq!(log.seen_own(), Some(3), "a read position never goes back");
        log.seen(1, 99);
        assert_eq!(log.seen_own(), Some(4), "pending messages are not read");
        log.seen(2, 1);
        assert_eq!(log.seen_own(), None, "another conversation's reading");
        log.seen(1, 4);
        log.clear();
        assert_eq!(log.seen_own(), None);
    }

    #[test]
    fn marking_changes_only_pending_entries() {
        let mut log = Log::default();
        log.add_pending(&outgoing("a"), 0);
        log.mark("a", Delivery::Failed);
        assert_eq!(log.entries()[0].delivery, Delivery::Failed);
        let before = log.entries()[0].render_key();
        log.mark("a", Delivery::Sending);
        assert_ne!(log.entries()[0].render_key(), before);
        log.clear();
        assert!(log.entries().is_empty());
        assert_eq!(log.last_seen(), None);
    }
}
