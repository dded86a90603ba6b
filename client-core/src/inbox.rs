//! The operators' console's state as a state machine: [`Inbox::on`] takes what happened
//! ([`Event`]: the operator acted, a REST call answered, the operator WebSocket brought an
//! [`OperatorEvent`], the socket opened or closed) and returns what to do ([`Effect`]: call a
//! route, open the socket after a delay). The console only runs the effects and renders the
//! state, so the inbox's order, its views and counts, the open conversation's paging and the
//! composer's pending replies are tested here, natively.
//!
//! The inbox lists open conversations of one [`View`], newest activity first. Live changes
//! arrive as whole summaries ([`OperatorEvent::Conversation`]), so each one decides anew
//! whether the conversation belongs in the view. Messages are kept by `seq`: a page, a live
//! message and a stored reply may bring the same one, and it is shown once.
//!
//! The open conversation also shows who is typing in it ([`typers`]) and which operator
//! message the visitor has seen. Time enters only as [`Event::Tick`]: the console tells the
//! time before each live event and when a typing notice may have run out.

pub mod typers;
pub mod words;

use crate::backoff::Backoff;
use crate::typing::TypingThrottle;
use protocol::operator::{
    AssignRequest, AssignTarget, ConversationList, ConversationStatus, ConversationSummary,
    ConversationsQuery, InboxCounts, MessagePage, MessagesQuery, OperatorEvent, OperatorProfile,
    ReadRequest, ReplyRequest, Teammate, TeammateList, View,
};
use protocol::{AuthorKind, Message, TextFormat};
use typers::{Typer, Typing};

/// Messages asked for per page; the server sends fewer when they are long.
pub const MESSAGE_PAGE: i64 = 50;

/// Which part of a conversation a page of messages is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The newest messages, when the conversation opens.
    Newest,
    /// The page before the oldest one held (the operator scrolled up).
    Older,
    /// Messages after the newest one held (catching up after a reconnect).
    Newer,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Who is logged in: the login's answer, or `GET /api/v1/operator/me` at start.
    SignedIn(OperatorProfile),
    /// The session is gone: logged out, or a call answered 401.
    SignedOut,
    /// The operator picked a view.
    ViewChosen(View),
    /// A page of a view's list, as `query` asked for it: the first page, or the next one
    /// when it has a cursor.
    ListLoaded {
        query: ConversationsQuery,
        list: ConversationList,
    },
    /// The operator scrolled to the end of the list.
    MoreWanted,
    /// The operator opens a conversation (a click, Enter, or a link to it).
    Opened(i64),
    /// The operator goes back to the list (Esc).
    Left,
    /// A page of the open conversation's messages.
    MessagesLoaded {
        conversation_id: i64,
        kind: PageKind,
        page: MessagePage,
    },
    /// The operator scrolled to the top of the open conversation.
    OlderWanted,
    /// The operator sends a reply (its `client_id` chosen by the caller).
    ReplyWritten {
        client_id: String,
        text: String,
    },
    /// The server stored a reply.
    ReplyStored {
        message: Message,
    },
    /// A reply was refused or could not be sent.
    ReplyFailed {
        conversation_id: i64,
        client_id: String,
    },
    /// A conversation as a REST call answered it (assign, close, reopen).
    Changed(ConversationSummary),
    /// A call about a conversation was refused, with the server's message (e.g. another
    /// operator took it first).
    Refused(String),
    /// The operator moves the highlight to the next (`J`) or previous (`K`) conversation.
    Next,
    Previous,
    /// The operator assigns the open conversation: to someone (`Me` is a take) or nobody.
    Assign(AssignTarget),
    /// The operator takes, closes or reopens the open conversation.
    Take,
    Close,
    Reopen,
    /// The operator WebSocket opened.
    SocketOpened,
    /// The operator WebSocket closed; `jitter` in `0.0..1.0` spreads the retry.
    SocketLost {
        jitter: f64,
    },
    /// Something the operator WebSocket brought.
    Live(OperatorEvent),
    /// The operators sharing an integration with this one (`GET /api/v1/operator/operators`).
    TeamLoaded(TeammateList),
    /// The composer holds `text` at `now` (milliseconds since the Unix epoch).
    Drafted {
        text: String,
        now: i64,
    },
    /// The time is `now` (milliseconds since the Unix epoch).
    Tick {
        now: i64,
    },
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `GET /api/v1/operator/conversations`.
    LoadList(ConversationsQuery),
    /// `GET .../conversations/{id}/messages`.
    LoadMessages {
        conversation_id: i64,
        kind: PageKind,
        query: MessagesQuery,
    },
    /// `POST .../conversations/{id}/messages`.
    Reply {
        conversation_id: i64,
        request: ReplyRequest,
    },
    /// `POST .../conversations/{id}/assign`.
    Assign {
        conversation_id: i64,
        request: AssignRequest,
    },
    /// `POST .../conversations/{id}/close` or `.../reopen`.
    SetStatus {
        conversation_id: i64,
        status: ConversationStatus,
    },
    /// `POST .../conversations/{id}/read`.
    MarkRead {
        conversation_id: i64,
        request: ReadRequest,
    },
    /// `GET /api/v1/operator/operators`.
    LoadTeam,
    /// Tell the others on the operator WebSocket that this operator types in the conversation.
    SendTyping { conversation_id: i64 },
    /// Open the operator WebSocket after `delay_ms` (0: now).
    Connect { delay_ms: u32 },
    /// Close the operator WebSocket for good.
    Disconnect,
}

/// A reply on its way to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReply {
    pub client_id: String,
    pub text: String,
    /// The server refused it or could not be reached: shown as failed.
    pub failed: bool,
}

/// The conversation the operator has open.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub id: i64,
    /// What the inbox knows of it: absent while it is not listed (a link to a closed one).
    pub summary: Option<ConversationSummary>,
    /// Its messages in `seq` order.
    pub messages: Vec<Message>,
    /// The newest page has arrived.
    pub loaded: bool,
    pub has_older: bool,
    /// An older page is on its way: scrolling asks once.
    pub loading_older: bool,
    /// Replies sent and not yet stored, in the order written.
    pub pending: Vec<PendingReply>,
    /// Who is typing in it.
    pub typing: Typing,
    /// The visitor has seen it up to this `seq`.
    pub visitor_read_seq: i64,
    /// The operator has read up to here (told to the server).
    read_seq: i64,
    /// When this operator last said it types here.
    throttle: TypingThrottle,
}

impl Thread {
    fn new(id: i64, summary: Option<ConversationSummary>) -> Self {
        Self {
            id,
            messages: Vec::new(),
            loaded: false,
            has_older: false,
            loading_older: false,
            pending: Vec::new(),
            visitor_read_seq: summary_read_seq(summary.as_ref()),
            summary,
            typing: Typing::default(),
            read_seq: 0,
            throttle: TypingThrottle::default(),
        }
    }

    /// Takes `summary` as what the inbox knows of the conversation now.
    fn summarize(&mut self, summary: ConversationSummary) {
        self.visitor_read_seq = self.visitor_read_seq.max(summary.visitor_read_seq);
        self.summary = Some(summary);
    }

    /// The newest operator message the visitor has seen: where "Seen" shows.
    pub fn seen_seq(&self) -> Option<i64> {
        self.messages
            .iter()
            .rev()
            .filter(|message| message.seq <= self.visitor_read_seq)
            .find(|message| message.author.kind == AuthorKind::Operator)
            .map(|message| message.seq)
    }

    /// Adds `message` in `seq` order, once, and drops the pending reply it stores.
    fn insert(&mut self, message: Message) {
        if let Some(client_id) = &message.client_id {
            self.pending.retain(|reply| &reply.client_id != client_id);
        }
        match self
            .messages
            .binary_search_by_key(&message.seq, |held| held.seq)
        {
            Ok(index) => self.messages[index] = message,
            Err(index) => self.messages.insert(index, message),
        }
    }

    fn newest_seq(&self) -> Option<i64> {
        self.messages.last().map(|message| message.seq)
    }
}

fn summary_read_seq(summary: Option<&ConversationSummary>) -> i64 {
    summary.map_or(0, |summary| summary.visitor_read_seq)
}

/// The console's state.
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    /// Who is logged in; `None` shows the login form.
    pub me: Option<OperatorProfile>,
    pub view: View,
    pub counts: InboxCounts,
    /// The view's open conversations, newest activity first.
    pub conversations: Vec<ConversationSummary>,
    /// The conversation J/K point at.
    pub highlighted: Option<i64>,
    pub open: Option<Thread>,
    /// The operator WebSocket is open: what is shown is live.
    pub live: bool,
    /// The last refusal, shown until the next action.
    pub notice: Option<String>,
    /// The operators sharing an integration with this one, this one included, by name.
    pub team: Vec<Teammate>,
    /// The time as last told (milliseconds since the Unix epoch).
    now: i64,
    /// Where the list's next page starts, while there is one.
    next_cursor: Option<String>,
    /// The next page is on its way: scrolling asks once.
    loading_more: bool,
    backoff: Backoff,
}

impl Inbox {
    pub fn on(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::SignedIn(profile) => {
                self.me = Some(profile);
                vec![self.load_list(), Effect::Connect { delay_ms: 0 }]
            }
            Event::SignedOut => {
                *self = Self::default();
                vec![Effect::Disconnect]
            }
            Event::ViewChosen(view) => {
                self.view = view;
                self.conversations.clear();
                self.next_cursor = None;
                vec![self.load_list()]
            }
            Event::ListLoaded { query, list } => {
                if query.view == self.view {
                    if query.cursor.is_none() {
                        self.conversations.clear();
                    }
                    self.loading_more = false;
                    self.next_cursor = list.next_cursor;
                    for conversation in list.conversations {
                        // A conversation that moved up while the pages came is listed once.
                        if self.belongs(&conversation)
                            && self.conversation(conversation.id).is_none()
                        {
                            self.conversations.push(conversation);
                        }
                    }
                    self.sort();
                    self.keep_highlight();
                    // A conversation opened from a link before the list came: now it is known.
                    if let Some(thread) = &mut self.open
                        && thread.summary.is_none()
                        && let Some(listed) = self
                            .conversations
                            .iter()
                            .find(|listed| listed.id == thread.id)
                    {
                        thread.summarize(listed.clone());
                    }
                }
                Vec::new()
            }
            Event::MoreWanted => match &self.next_cursor {
                Some(cursor) if !self.loading_more => {
                    self.loading_more = true;
                    vec![Effect::LoadList(ConversationsQuery {
                        cursor: Some(cursor.clone()),
                        ..self.first_page()
                    })]
                }
                _ => Vec::new(),
            },
            Event::Opened(id) => self.open(id),
            Event::Left => {
                if let Some(thread) = self.open.take() {
                    self.highlighted = Some(thread.id);
                }
                Vec::new()
            }
            Event::MessagesLoaded {
                conversation_id,
                kind,
                page,
            } => self.page_loaded(conversation_id, kind, page),
            Event::OlderWanted => self.older(),
            Event::ReplyWritten { client_id, text } => self.reply(client_id, text),
            Event::ReplyStored { message } => {
                if let Some(thread) = self.thread_mut(message.conversation_id) {
                    thread.read_seq = thread.read_seq.max(message.seq);
                    thread.insert(message);
                }
                Vec::new()
            }
            Event::ReplyFailed {
                conversation_id,
                client_id,
            } => {
                if let Some(thread) = self.thread_mut(conversation_id) {
                    for reply in &mut thread.pending {
                        if reply.client_id == client_id {
                            reply.failed = true;
                        }
                    }
                }
                Vec::new()
            }
            Event::Changed(summary) => {
                self.update(summary);
                Vec::new()
            }
            Event::Refused(message) => {
                self.notice = Some(message);
                Vec::new()
            }
            Event::Next => {
                self.step(1);
                Vec::new()
            }
            Event::Previous => {
                self.step(-1);
                Vec::new()
            }
            Event::Take => self.on(Event::Assign(AssignTarget::Me)),
            Event::Assign(operator) => self.act(|conversation_id| Effect::Assign {
                conversation_id,
                request: AssignRequest { operator },
            }),
            Event::Close => self.act(|conversation_id| Effect::SetStatus {
                conversation_id,
                status: ConversationStatus::Closed,
            }),
            Event::Reopen => self.act(|conversation_id| Effect::SetStatus {
                conversation_id,
                status: ConversationStatus::Open,
            }),
            Event::SocketOpened => self.connected(),
            Event::SocketLost { jitter } => {
                self.live = false;
                if self.me.is_none() {
                    return Vec::new();
                }
                vec![Effect::Connect {
                    delay_ms: self.backoff.next_delay_ms(jitter),
                }]
            }
            Event::Live(event) => self.live_event(event),
            Event::TeamLoaded(list) => {
                self.team = list.operators;
                Vec::new()
            }
            Event::Drafted { text, now } => self.drafted(&text, now),
            Event::Tick { now } => {
                self.now = now;
                if let Some(thread) = &mut self.open {
                    thread.typing.tick(now);
                }
                Vec::new()
            }
        }
    }

    /// Whom a conversation of `integration_id` can be assigned to.
    pub fn team_of<'a>(&'a self, integration_id: &'a str) -> impl Iterator<Item = &'a Teammate> {
        self.team.iter().filter(move |mate| {
            mate.integrations
                .iter()
                .any(|shared| shared == integration_id)
        })
    }

    /// The conversation `id` as the inbox lists it.
    pub fn conversation(&self, id: i64) -> Option<&ConversationSummary> {
        self.conversations
            .iter()
            .find(|conversation| conversation.id == id)
    }

    fn load_list(&self) -> Effect {
        Effect::LoadList(self.first_page())
    }

    fn first_page(&self) -> ConversationsQuery {
        ConversationsQuery {
            view: self.view,
            status: ConversationStatus::Open,
            cursor: None,
            limit: None,
        }
    }

    /// Whether `conversation` is listed in the current view.
    fn belongs(&self, conversation: &ConversationSummary) -> bool {
        if conversation.status != ConversationStatus::Open {
            return false;
        }
        match self.view {
            View::All => true,
            View::Unassigned => conversation.assignee.is_none(),
            View::Mine => match (&conversation.assignee, &self.me) {
                (Some(assignee), Some(me)) => assignee.id == me.id,
                _ => false,
            },
        }
    }

    /// Newest activity first; ties by id, newest first, so the order is stable.
    fn sort(&mut self) {
        self.conversations.sort_by(|a, b| {
            b.last_activity_at
                .cmp(&a.last_activity_at)
                .then(b.id.cmp(&a.id))
        });
    }

    /// The highlight stays on a listed conversation, or moves to the first.
    fn keep_highlight(&mut self) {
        let listed = self
            .highlighted
            .is_some_and(|id| self.conversation(id).is_some());
        if !listed {
            self.highlighted = self
                .conversations
                .first()
                .map(|conversation| conversation.id);
        }
    }

    fn step(&mut self, by: isize) {
        let position = self
            .highlighted
            .and_then(|id| {
                self.conversations
                    .iter()
                    .position(|conversation| conversation.id == id)
            })
            .map_or(0, |index| {
                index
                    .saturating_add_signed(by)
                    .min(self.conversations.len().saturating_sub(1))
            });
        if let Some(conversation) = self.conversations.get(position) {
            self.highlighted = Some(conversation.id);
        }
    }

    fn open(&mut self, id: i64) -> Vec<Effect> {
        if self.open.as_ref().is_some_and(|thread| thread.id == id) {
            return Vec::new();
        }
        self.notice = None;
        self.highlighted = Some(id);
        self.open = Some(Thread::new(id, self.conversation(id).cloned()));
        vec![Self::newest(id)]
    }

    fn newest(conversation_id: i64) -> Effect {
        Self::load_page(conversation_id, PageKind::Newest, 0)
    }

    /// A page of `kind`: after or before the message `seq` for newer or older ones.
    fn load_page(conversation_id: i64, kind: PageKind, seq: i64) -> Effect {
        let (after_seq, before_seq) = match kind {
            PageKind::Newest => (None, None),
            PageKind::Newer => (Some(seq), None),
            PageKind::Older => (None, Some(seq)),
        };
        Effect::LoadMessages {
            conversation_id,
            kind,
            query: MessagesQuery {
                after_seq,
                before_seq,
                limit: Some(MESSAGE_PAGE),
            },
        }
    }

    fn thread_mut(&mut self, id: i64) -> Option<&mut Thread> {
        self.open.as_mut().filter(|thread| thread.id == id)
    }

    fn page_loaded(&mut self, id: i64, kind: PageKind, page: MessagePage) -> Vec<Effect> {
        let Some(thread) = self.thread_mut(id) else {
            return Vec::new();
        };
        match kind {
            PageKind::Newest => {
                thread.loaded = true;
                thread.has_older = page.has_older;
            }
            PageKind::Older => {
                thread.loading_older = false;
                thread.has_older = page.has_older;
            }
            PageKind::Newer => {}
        }
        for message in page.messages {
            thread.insert(message);
        }
        let mut effects = Vec::new();
        if kind == PageKind::Newer
            && page.has_newer
            && let Some(after) = thread.newest_seq()
        {
            effects.push(Self::load_page(id, PageKind::Newer, after));
        }
        effects.extend(self.mark_read());
        effects
    }

    fn older(&mut self) -> Vec<Effect> {
        let Some(thread) = &mut self.open else {
            return Vec::new();
        };
        let Some(oldest) = thread.messages.first().map(|message| message.seq) else {
            return Vec::new();
        };
        if !thread.has_older || thread.loading_older {
            return Vec::new();
        }
        thread.loading_older = true;
        vec![Self::load_page(thread.id, PageKind::Older, oldest)]
    }

    /// Tells the server the open conversation is read up to its newest message, once per
    /// newer message; the listed unread count goes to zero at once.
    fn mark_read(&mut self) -> Vec<Effect> {
        let Some(thread) = &mut self.open else {
            return Vec::new();
        };
        let Some(newest) = thread.newest_seq().filter(|seq| *seq > thread.read_seq) else {
            return Vec::new();
        };
        thread.read_seq = newest;
        let id = thread.id;
        if let Some(summary) = &mut thread.summary {
            summary.unread = 0;
        }
        if let Some(listed) = self.conversations.iter_mut().find(|c| c.id == id) {
            listed.unread = 0;
        }
        vec![Effect::MarkRead {
            conversation_id: id,
            request: ReadRequest { seq: newest },
        }]
    }

    fn reply(&mut self, client_id: String, text: String) -> Vec<Effect> {
        let Some(thread) = &mut self.open else {
            return Vec::new();
        };
        if text.trim().is_empty() {
            return Vec::new();
        }
        thread.throttle.sent();
        // Sending a failed reply again keeps its place and id: the server stores it once.
        match thread
            .pending
            .iter_mut()
            .find(|reply| reply.client_id == client_id)
        {
            Some(reply) => reply.failed = false,
            None => thread.pending.push(PendingReply {
                client_id: client_id.clone(),
                text: text.clone(),
                failed: false,
            }),
        }
        vec![Effect::Reply {
            conversation_id: thread.id,
            request: ReplyRequest {
                text,
                text_format: TextFormat::Plain,
                client_id,
            },
        }]
    }

    /// The operator's `draft` at `now`: the others hear it types, at most every 2 s.
    fn drafted(&mut self, draft: &str, now: i64) -> Vec<Effect> {
        let Some(thread) = &mut self.open else {
            return Vec::new();
        };
        if thread.throttle.typed(draft, now) {
            vec![Effect::SendTyping {
                conversation_id: thread.id,
            }]
        } else {
            Vec::new()
        }
    }

    fn act(&mut self, effect: impl FnOnce(i64) -> Effect) -> Vec<Effect> {
        self.notice = None;
        self.open
            .as_ref()
            .map(|thread| vec![effect(thread.id)])
            .unwrap_or_default()
    }

    /// A conversation changed: the open one shows it, and the list takes it in, moves it or
    /// lets it go as its view says.
    fn update(&mut self, summary: ConversationSummary) {
        if let Some(thread) = self.thread_mut(summary.id) {
            let mut summary = summary.clone();
            // The open conversation is being read: what arrived in it is not unread here.
            summary.unread = 0;
            thread.summarize(summary);
        }
        let unread = if self.open.as_ref().is_some_and(|t| t.id == summary.id) {
            0
        } else {
            summary.unread
        };
        self.conversations.retain(|listed| listed.id != summary.id);
        if self.belongs(&summary) {
            self.conversations
                .push(ConversationSummary { unread, ..summary });
            self.sort();
        }
        self.keep_highlight();
    }

    fn connected(&mut self) -> Vec<Effect> {
        self.live = true;
        self.backoff.reset();
        // What happened while the socket was down is read again.
        // Who is online too: presence events tell only changes from here on.
        let mut effects = vec![self.load_list(), Effect::LoadTeam];
        if let Some(thread) = &self.open {
            effects.push(match thread.newest_seq() {
                Some(after) => Self::load_page(thread.id, PageKind::Newer, after),
                None => Self::newest(thread.id),
            });
        }
        effects
    }

    fn live_event(&mut self, event: OperatorEvent) -> Vec<Effect> {
        match event {
            OperatorEvent::Conversation { conversation } => {
                self.update(conversation);
                Vec::new()
            }
            OperatorEvent::Message { message } | OperatorEvent::MessageUpdated { message } => {
                match self.thread_mut(message.conversation_id) {
                    Some(thread) => {
                        thread.typing.message_from(&message.author);
                        thread.insert(message);
                        self.mark_read()
                    }
                    None => Vec::new(),
                }
            }
            OperatorEvent::Counts { counts } => {
                self.counts = counts;
                Vec::new()
            }
            OperatorEvent::Typing {
                conversation_id,
                operator,
            } => {
                let me = self.me.as_ref().map(|me| me.id);
                let now = self.now;
                let typer = match operator {
                    None => Some(Typer::Visitor),
                    Some(operator) if Some(operator.id) != me => {
                        Some(Typer::Operator(operator.name))
                    }
                    Some(_) => None,
                };
                if let (Some(thread), Some(typer)) = (self.thread_mut(conversation_id), typer) {
                    thread.typing.notice(typer, now);
                }
                Vec::new()
            }
            OperatorEvent::VisitorRead {
                conversation_id,
                seq,
            } => {
                if let Some(thread) = self.thread_mut(conversation_id) {
                    thread.visitor_read_seq = thread.visitor_read_seq.max(seq);
                }
                if let Some(listed) = self
                    .conversations
                    .iter_mut()
                    .find(|listed| listed.id == conversation_id)
                {
                    listed.visitor_read_seq = listed.visitor_read_seq.max(seq);
                }
                Vec::new()
            }
            OperatorEvent::Presence { operator, online } => {
                for mate in &mut self.team {
                    if mate.id == operator.id {
                        mate.online = online;
                    }
                }
                Vec::new()
            }
            OperatorEvent::Read { .. } | OperatorEvent::Pong => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
