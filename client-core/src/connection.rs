//! The widget's connection to the server as a state machine: [`Connection::on`] takes what
//! happened ([`Event`]: the visitor acted, the server answered, a socket closed, a timer fired)
//! and returns what to do ([`Effect`]: create a visitor, open a socket, send a frame, schedule a
//! retry, forget the token). The browser side only runs the effects and renders [`State`], so
//! reconnecting, resending and logging out are tested here, natively.
//!
//! Nothing is asked of the server before the visitor interacts ([`Event::Interacted`], a
//! message, a control frame), unless an earlier visit left a token ([`Event::Resumed`]).
//!
//! A message refused over the rate limit is no failure: messages are held back until the
//! server allows again ([`Effect::ScheduleResend`]), then sent again in order.

use crate::backoff::Backoff;
use crate::outbox::{Outbox, Outgoing};
use crate::reading::{PageVisibility, Position, ReadMark};
use crate::typing::TypingThrottle;
use crate::unread::ChatVisibility;
use protocol::{ClientFrame, close_code};

/// Messages asked for per older page; the server sends fewer when they are long.
const EARLIER_PAGE: i64 = 50;

/// Where the connection is; the composer's notice renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    /// No visitor yet, or one not connected yet: nothing was attempted.
    #[default]
    Idle,
    /// Asking the server for a visitor token (first interaction).
    CreatingVisitor,
    /// A socket is open but not welcomed yet.
    Connecting,
    /// Welcomed: frames go out at once.
    Online,
    /// A socket closed before its welcome: asking whether the server still knows the token.
    CheckingToken,
    /// Lost or refused; a retry is scheduled.
    Retrying,
    /// Logged out, in this tab or another: the visitor and its messages are forgotten; the next
    /// interaction starts a new visitor.
    LoggedOut,
}

/// Which connection an asynchronous answer belongs to: bumped whenever the visitor is
/// forgotten, so the answers of an older socket or visitor do nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Epoch(u32);

/// What browser storage says about the visitor token, read just before connecting: the tabs of
/// a browser share it, and another tab may have replaced the token (identification gives a new
/// one) or logged the visitor out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredToken {
    /// This token is stored (ours, or a newer one another tab left).
    Stored(String),
    /// None is stored and ours waits for its logout to be confirmed: another tab logged out.
    LoggedOut,
    /// None is stored (storage may be refused in private modes): ours lives as long as the page.
    Missing,
}

/// What the server said when asked about a token whose socket closed before its welcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    /// It knows the token no more (unused for too long), and no other tab stored a newer one.
    Refused,
    /// Known, or no clear answer: try the socket again later.
    Inconclusive,
}

/// Whether the visitor is bound to a site user, as the server last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Identity {
    /// Not said yet (no welcome since the page loaded or the visitor was forgotten).
    #[default]
    Unknown,
    Anonymous,
    /// Bound to a site user by a matching-key token.
    Identified,
}

/// Something that happened, for [`Connection::on`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The page loaded with a token an earlier interaction left: reconnect.
    Resumed(String),
    /// The visitor did something that needs the server (opened the chat).
    Interacted,
    /// The visitor wrote a message: sent now, or after the next welcome.
    Wrote(Outgoing),
    /// The visitor asked to send a refused message again.
    RetryRequested(String),
    /// A frame that must reach the server in order (`identify`, `set_contact`): sent now, or
    /// after the next welcome.
    Control(ClientFrame),
    /// The visitor changed the composer's text to `draft` at `at` (milliseconds): operators
    /// are told it types, at most once per [`crate::typing::TYPING_NOTICE_INTERVAL_MS`] and
    /// never for an empty draft. Only on an open connection: a notice is never queued, it
    /// would be stale by the time it went.
    Typed { draft: String, at: i64 },
    /// The log's newest message is at `newest`, and whether the visitor sees it: the server is
    /// told the visitor read it ([`ReadMark`]), only on an open connection (a later welcome
    /// brings the log anew, and with it another sighting).
    Sighted {
        newest: Position,
        chat: ChatVisibility,
        page: PageVisibility,
    },
    /// The visitor asked for the page before `before_seq`: sent only on an open connection.
    EarlierWanted { before_seq: i64 },
    /// The server created a visitor with this token.
    VisitorCreated(String),
    /// Creating a visitor failed.
    VisitorRefused,
    /// The answer to [`Effect::ReadStoredToken`].
    TokenRead(StoredToken),
    /// The socket could not even be created.
    SocketFailed,
    /// The server welcomed the socket. The client ids of the messages it sent with the welcome
    /// come first, as [`Event::Stored`], so that only what it lacks is sent again.
    Welcome,
    /// The server holds the message with this client id (an ack, a broadcast, a history).
    Stored(String),
    /// The server refused the message with this client id for good.
    Refused(String),
    /// The server refused the message with this client id over its rate limit: it allows again
    /// after `retry_after_ms`.
    RateLimited {
        client_id: String,
        retry_after_ms: u64,
    },
    /// The timer of [`Effect::ScheduleResend`] fired.
    ResendDue,
    /// The server said whether the visitor is bound to a site user (a welcome, an
    /// identification).
    Identity(Identity),
    /// The page cleared the matching-key token: the site user logged out.
    IdentificationCleared,
    /// Identification gave a new token; the old one is refused from now on.
    TokenChanged(String),
    /// The socket closed with this close code.
    SocketClosed(u16),
    /// The answer to [`Effect::CheckToken`], and whether the visitor sees the chat now.
    TokenChecked(TokenCheck, ChatVisibility),
    /// The timer of [`Effect::ScheduleRetry`] fired.
    RetryDue,
    /// The page asked to log out.
    Logout,
}

/// Something to do, returned by [`Connection::on`] in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `POST` a new visitor; answer with [`Event::VisitorCreated`] or [`Event::VisitorRefused`].
    CreateVisitor,
    /// Keep this token in browser storage, for reloads and the other tabs.
    KeepToken(String),
    /// Read the stored token; answer at once with [`Event::TokenRead`].
    ReadStoredToken,
    /// Open a socket with this token; answer with frames and [`Event::SocketClosed`], or
    /// [`Event::SocketFailed`].
    OpenSocket(String),
    /// Drop the socket (closing it if still open); its callbacks must do nothing from now on.
    CloseSocket,
    /// Send on the open socket; a frame that cannot go is resent after the next welcome when it
    /// matters (messages, control frames).
    Send(ClientFrame),
    /// Fire [`Event::RetryDue`] after this many milliseconds.
    ScheduleRetry(u32),
    /// Fire [`Event::ResendDue`] after this many milliseconds.
    ScheduleResend(u32),
    /// Ask whether the server still knows this token; answer with [`Event::TokenChecked`].
    CheckToken(String),
    /// Take this token out of storage, unless another tab stored a newer one.
    ClearToken(String),
    /// Clear what is shown of the forgotten visitor: messages, unread count, contact.
    ClearChat,
    /// Show the message with this client id as sending again.
    MarkSending(String),
    /// Show the message with this client id as waiting for the rate limit.
    MarkWaiting(String),
    /// Log the identified visitor out (as the page's `logout()`): its site user left.
    LogOut,
    /// The asked-for earlier page will not come: it may be asked for again.
    EarlierUnanswered,
}

/// The connection and what waits for it.
#[derive(Debug)]
pub struct Connection {
    state: State,
    visitor_token: Option<String>,
    epoch: Epoch,
    /// Visitor messages the server has not acknowledged.
    outbox: Outbox,
    /// Control frames waiting for the welcome, in order.
    control: Vec<ClientFrame>,
    backoff: Backoff,
    /// A random number in `0.0..1.0` for the backoff's jitter.
    jitter: fn() -> f64,
    /// Messages are held back until [`Event::ResendDue`]: the server refused one over its
    /// rate limit.
    held: bool,
    identity: Identity,
    /// The page cleared the token before the server said who the visitor is: log out if it
    /// turns out identified.
    log_out_if_identified: bool,
    /// When the visitor's last typing notice went.
    typing: TypingThrottle,
    /// How far the server was told the visitor read.
    read: ReadMark,
}

impl Connection {
    /// A connection with no visitor; `jitter` gives random numbers in `0.0..1.0`.
    pub fn new(jitter: fn() -> f64) -> Self {
        Self {
            state: State::Idle,
            visitor_token: None,
            epoch: Epoch::default(),
            outbox: Outbox::default(),
            control: Vec::new(),
            backoff: Backoff::default(),
            jitter,
            held: false,
            identity: Identity::Unknown,
            log_out_if_identified: false,
            typing: TypingThrottle::default(),
            read: ReadMark::default(),
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn visitor_token(&self) -> Option<&str> {
        self.visitor_token.as_deref()
    }

    /// The epoch to remember when starting something asynchronous; see [`Connection::answer`].
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// Visitor messages waiting to be sent, oldest first.
    pub fn waiting(&self) -> &[Outgoing] {
        self.outbox.waiting()
    }

    /// [`Connection::on`] for an answer to something started in `epoch`: nothing when the
    /// visitor was forgotten since.
    pub fn answer(&mut self, epoch: Epoch, event: Event) -> Vec<Effect> {
        if epoch == self.epoch {
            self.on(event)
        } else {
            Vec::new()
        }
    }

    pub fn on(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = Vec::new();
        match event {
            Event::Resumed(token) => {
                self.visitor_token = Some(token);
                self.connect(&mut effects);
            }
            Event::Interacted => self.ensure_connected(&mut effects),
            Event::Wrote(message) => {
                self.typing.sent();
                let frame = message.frame();
                self.outbox.push(message);
                self.ensure_connected(&mut effects);
                self.send(frame, &mut effects);
            }
            Event::RetryRequested(client_id) => {
                if let Some(message) = self.outbox.retry(&client_id) {
                    effects.push(Effect::MarkSending(client_id));
                    self.ensure_connected(&mut effects);
                    self.send(message.frame(), &mut effects);
                }
            }
            Event::Control(frame) => {
                if matches!(frame, ClientFrame::Identify { .. }) {
                    self.log_out_if_identified = false;
                }
                if self.state == State::Online {
                    effects.push(Effect::Send(frame));
                } else {
                    self.control.push(frame);
                }
                self.ensure_connected(&mut effects);
            }
            Event::Typed { draft, at } => {
                if self.state == State::Online && self.typing.typed(&draft, at) {
                    effects.push(Effect::Send(ClientFrame::Typing));
                }
            }
            Event::Sighted { newest, chat, page } => {
                if self.state == State::Online
                    && let Some(seq) = self.read.sighted(newest, chat, page)
                {
                    effects.push(Effect::Send(ClientFrame::Read { seq }));
                }
            }
            Event::EarlierWanted { before_seq } => {
                if self.state == State::Online {
                    effects.push(Effect::Send(ClientFrame::History {
                        before_seq,
                        limit: EARLIER_PAGE,
                    }));
                } else {
                    effects.push(Effect::EarlierUnanswered);
                    self.ensure_connected(&mut effects);
                }
            }
            Event::VisitorCreated(token) if self.state == State::CreatingVisitor => {
                effects.push(Effect::KeepToken(token.clone()));
                self.visitor_token = Some(token);
                self.connect(&mut effects);
            }
            Event::VisitorRefused | Event::SocketFailed => self.retry_later(&mut effects),
            Event::TokenRead(stored) if self.state == State::Connecting => {
                self.open_socket(stored, &mut effects);
            }
            Event::Welcome => {
                self.state = State::Online;
                self.backoff.reset();
                effects.extend(self.control.drain(..).map(Effect::Send));
                self.send_waiting(&mut effects);
            }
            Event::Stored(client_id) => self.outbox.delivered(&client_id),
            Event::Refused(client_id) => self.outbox.failed(&client_id),
            Event::RateLimited {
                client_id,
                retry_after_ms,
            } => {
                effects.push(Effect::MarkWaiting(client_id));
                if !self.held {
                    self.held = true;
                    let delay = u32::try_from(retry_after_ms).unwrap_or(u32::MAX);
                    effects.push(Effect::ScheduleResend(delay));
                }
            }
            Event::ResendDue if self.held => {
                self.held = false;
                for message in self.outbox.waiting() {
                    effects.push(Effect::MarkSending(message.client_id.clone()));
                }
                self.send_waiting(&mut effects);
            }
            Event::Identity(identity) => {
                self.identity = identity;
                if std::mem::take(&mut self.log_out_if_identified)
                    && identity == Identity::Identified
                {
                    effects.push(Effect::LogOut);
                }
            }
            Event::IdentificationCleared => match self.identity {
                Identity::Identified => effects.push(Effect::LogOut),
                Identity::Anonymous => {}
                Identity::Unknown => self.log_out_if_identified = self.visitor_token.is_some(),
            },
            Event::TokenChanged(token) => {
                effects.push(Effect::KeepToken(token.clone()));
                self.visitor_token = Some(token);
            }
            Event::SocketClosed(code) => self.closed(code, &mut effects),
            Event::TokenChecked(check, visibility) if self.state == State::CheckingToken => {
                match check {
                    TokenCheck::Refused => {
                        self.forget(State::Idle, &mut effects);
                        if visibility == ChatVisibility::Open {
                            self.ensure_connected(&mut effects);
                        }
                    }
                    TokenCheck::Inconclusive => self.retry_later(&mut effects),
                }
            }
            Event::RetryDue if self.state == State::Retrying => {
                self.state = State::Idle;
                self.ensure_connected(&mut effects);
            }
            Event::Logout => self.forget(State::LoggedOut, &mut effects),
            Event::VisitorCreated(_)
            | Event::TokenRead(_)
            | Event::TokenChecked(..)
            | Event::RetryDue
            | Event::ResendDue => {}
        }
        effects
    }

    /// Makes sure a visitor and a connection are on their way.
    fn ensure_connected(&mut self, effects: &mut Vec<Effect>) {
        match self.state {
            State::Idle | State::LoggedOut if self.visitor_token.is_some() => self.connect(effects),
            State::Idle | State::LoggedOut => {
                self.state = State::CreatingVisitor;
                effects.push(Effect::CreateVisitor);
            }
            State::CreatingVisitor
            | State::Connecting
            | State::Online
            | State::CheckingToken
            | State::Retrying => {}
        }
    }

    /// Sends the message `frame` when online and not held back; otherwise it waits in the
    /// outbox for the welcome or the resend.
    fn send(&self, frame: ClientFrame, effects: &mut Vec<Effect>) {
        if self.state == State::Online && !self.held {
            effects.push(Effect::Send(frame));
        }
    }

    /// Sends every message the server has not acknowledged, oldest first, unless held back.
    fn send_waiting(&self, effects: &mut Vec<Effect>) {
        for message in self.outbox.waiting() {
            self.send(message.frame(), effects);
        }
    }

    fn connect(&mut self, effects: &mut Vec<Effect>) {
        self.state = State::Connecting;
        effects.push(Effect::ReadStoredToken);
    }

    fn open_socket(&mut self, stored: StoredToken, effects: &mut Vec<Effect>) {
        match stored {
            StoredToken::Stored(token) => self.visitor_token = Some(token),
            StoredToken::LoggedOut => return self.forget(State::LoggedOut, effects),
            StoredToken::Missing => {}
        }
        match &self.visitor_token {
            Some(token) => effects.push(Effect::OpenSocket(token.clone())),
            None => self.state = State::Idle,
        }
    }

    fn closed(&mut self, code: u16, effects: &mut Vec<Effect>) {
        if code == close_code::LOGGED_OUT {
            return self.forget(State::LoggedOut, effects);
        }
        effects.push(Effect::CloseSocket);
        effects.push(Effect::EarlierUnanswered);
        match (&self.state, &self.visitor_token) {
            // Closed before its welcome: the server may no longer know the token.
            (State::Connecting, Some(token)) => {
                self.state = State::CheckingToken;
                effects.push(Effect::CheckToken(token.clone()));
            }
            _ => self.retry_later(effects),
        }
    }

    fn retry_later(&mut self, effects: &mut Vec<Effect>) {
        self.state = State::Retrying;
        effects.push(Effect::ScheduleRetry(
            self.backoff.next_delay_ms((self.jitter)()),
        ));
    }

    /// Drops the visitor, what waits for it and the connection; answers of the old epoch are
    /// ignored from now on.
    fn forget(&mut self, state: State, effects: &mut Vec<Effect>) {
        if let Some(token) = self.visitor_token.take() {
            effects.push(Effect::ClearToken(token));
        }
        effects.push(Effect::CloseSocket);
        effects.push(Effect::ClearChat);
        self.epoch = Epoch(self.epoch.0.wrapping_add(1));
        self.state = state;
        self.outbox.clear();
        self.control.clear();
        self.backoff.reset();
        self.held = false;
        self.identity = Identity::Unknown;
        self.log_out_if_identified = false;
        self.typing = TypingThrottle::default();
        self.read = ReadMark::default();
    }
}

#[cfg(test)]
mod tests;
