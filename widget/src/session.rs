//! The chat session of one page: the reactive state the UI renders, and the browser's side of
//! the connection. The connection itself is `client_core::connection`'s state machine: this
//! module feeds it what happened (the visitor's actions, the server's frames and answers,
//! closes, timers), runs the effects it returns (requests, the socket, storage, timers) and
//! renders its state. The server's frames are rendered here into the log, unread count,
//! contact, operators' reading ("seen") and typing; the visitor's reading goes the other way.

use crate::browser::{self, warn};
use crate::config::Config;
use crate::loader::Loader;
use crate::{net, storage};
use client_core::connection::{
    Connection, Effect, Epoch, Event, Identity, State, StoredToken, TokenCheck,
};
use client_core::contact::{self, ContactUpdate};
use client_core::dom::Socket;
use client_core::i18n::{self, Words};
use client_core::reading::{PageVisibility, Position};
use client_core::typing::TYPING_SHOWN_MS;
use client_core::unread::ChatVisibility;
use client_core::{Backoff, Delivery, Earlier, Log, Outgoing, TypingIndicator, Unread};
use leptos::prelude::*;
use protocol::{AuthorKind, ClientFrame, ContactInfo, ErrorCode, ServerFrame, TextFormat};

/// What follows a call on the visitor's resource: gets the chat, the token and the answer.
type OnVisitorAnswer = Box<dyn FnOnce(Chat, String, Result<(), net::NetError>)>;

/// Everything the UI and the page API share; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    pub config: &'static Config,
    /// The words of the integration's language, as the server picked them.
    pub strings: &'static Words,
    pub log: RwSignal<Log>,
    pub open: RwSignal<bool>,
    /// Whether the browser shows the page's tab (`document.visibilityState`).
    pub page_shown: RwSignal<bool>,
    /// The connection's state, as the composer's notice explains it.
    pub link: RwSignal<State>,
    /// The conversation's title as operators set it, shown in the header in place of the
    /// integration's.
    pub title: RwSignal<Option<String>>,
    /// "Anna is typing…" while an operator types. The same signal type as `title`: each
    /// signal type adds its own copy of the reactive code to the bundle.
    pub typing: RwSignal<Option<String>>,
    runtime: StoredValue<Runtime, LocalStorage>,
}

/// What is not rendered: the connection's state machine and its socket, the loader, and what
/// the UI reads only when it needs it. One stored value for all: each stored or signal type
/// adds its own copy of the reactive code to the bundle.
#[derive(Debug)]
struct Runtime {
    /// Called back only once out of the runtime ([`Chat::loader`]): the page's listeners it
    /// calls may call the chat again.
    loader: Loader,
    connection: Connection,
    socket: Option<Socket>,
    /// The contact known: the server's, or one on its way to it. The contact form starts from
    /// it, the page reads it.
    contact: ContactInfo,
    /// The loader's badge shows it.
    unread: Unread,
    /// The contact as the server last stored it: shown again when it refuses a new one.
    stored_contact: ContactInfo,
    /// Which operator types, until when; [`Chat::typing`] shows it.
    typing: TypingIndicator,
}

impl Chat {
    pub fn new(config: &'static Config, loader: Loader) -> Self {
        Self {
            config,
            strings: &config.words,
            log: RwSignal::new(Log::default()),
            open: RwSignal::new(false),
            page_shown: RwSignal::new(true),
            link: RwSignal::new(State::Idle),
            title: RwSignal::new(None),
            typing: RwSignal::new(None),
            runtime: StoredValue::new_local(Runtime {
                loader,
                connection: Connection::new(js_sys::Math::random),
                socket: None,
                contact: ContactInfo::default(),
                unread: Unread::default(),
                stored_contact: ContactInfo::default(),
                typing: TypingIndicator::default(),
            }),
        }
    }

    /// Goes on where an earlier page left: logouts the server has not confirmed are retried,
    /// and a visitor token left by an earlier interaction reconnects.
    pub fn resume(self) {
        for token in storage::pending_logouts(self.config.integration_id()).split(' ') {
            if !token.is_empty() {
                self.retry_logout(token.to_owned(), Backoff::default());
            }
        }
        if let Some(token) = storage::visitor_token(self.config.integration_id()) {
            self.on(Event::Resumed(token));
        }
    }

    /// Changes the unread count by `change` and shows it on the loader's badge. Not generic:
    /// one copy in the bundle for every change.
    fn count_unread(self, change: &dyn Fn(&mut Unread)) {
        let count = self
            .runtime
            .try_update_value(|runtime| {
                change(&mut runtime.unread);
                runtime.unread.count()
            })
            .unwrap_or_default();
        self.loader().unread(count);
    }

    /// The loader, taken out of the runtime before it is called back.
    fn loader(self) -> Loader {
        self.runtime.with_value(|runtime| runtime.loader.clone())
    }

    /// The contact known.
    pub fn contact(self) -> ContactInfo {
        self.runtime.with_value(|runtime| runtime.contact.clone())
    }

    pub fn open_chat(self) {
        if self.open.get_untracked() {
            return;
        }
        self.open.set(true);
        self.count_unread(&Unread::seen);
        self.on(Event::Interacted);
        // The panel takes focus after this task: the loader notes where it was before.
        self.emit("open");
    }

    pub fn close_chat(self) {
        if !self.open.get_untracked() {
            return;
        }
        self.open.set(false);
        self.emit("close");
    }

    /// Tells the loader, which tells the page's listeners.
    fn emit(self, event: &str) {
        self.loader().emit(event);
    }

    pub fn send(self, text: &str, text_format: TextFormat) {
        if text.trim().is_empty() {
            return;
        }
        let mut page = browser::page();
        if self.config.page_query {
            page.url.push_str(&browser::page_query());
        }
        let message = Outgoing {
            client_id: browser::client_id(),
            text: text.to_owned(),
            text_format,
            page: Some(page),
        };
        self.log
            .update(|log| log.add_pending(&message, browser::now_ms()));
        self.on(Event::Wrote(message));
    }

    /// The composer now holds `draft`: operators may be told the visitor types.
    pub fn typed(self, draft: String) {
        self.on(Event::Typed {
            draft,
            at: browser::now_ms(),
        });
    }

    pub fn retry(self, client_id: &str) {
        self.on(Event::RetryRequested(client_id.to_owned()));
    }

    /// The log's newest message is at `newest`: the server hears the visitor read it if the
    /// visitor sees it (the panel open in a shown tab) and has not told it already.
    pub fn sighted(self, newest: Position) {
        let page = if self.page_shown.get_untracked() {
            PageVisibility::Visible
        } else {
            PageVisibility::Hidden
        };
        self.on(Event::Sighted {
            newest,
            chat: self.visibility(),
            page,
        });
    }

    /// Asks for the page before the oldest message shown, unless there is none or one is on
    /// its way.
    pub fn load_earlier(self) {
        if self.log.with_untracked(Log::earlier) != Earlier::Available {
            return;
        }
        if let Some(before_seq) = self.log.try_update(Log::request_earlier).flatten() {
            self.on(Event::EarlierWanted { before_seq });
        }
    }

    pub fn set_contact(self, contact: ContactInfo) {
        self.runtime
            .update_value(|runtime| runtime.contact = contact.clone());
        self.on(Event::Control(ClientFrame::SetContact { contact }));
    }

    /// `setContactInfo`: the fields given replace those known, the others stay.
    pub fn merge_contact(self, update: ContactUpdate) {
        let merged = self
            .runtime
            .with_value(|runtime| contact::merged(&runtime.contact, update));
        self.set_contact(merged);
    }

    /// The contact as the server stored it.
    fn contact_stored(self, contact: ContactInfo) {
        self.runtime.update_value(|runtime| {
            runtime.stored_contact = contact.clone();
            runtime.contact = contact;
        });
    }

    pub fn identify(self, token: String) {
        self.on(Event::Control(ClientFrame::Identify { token }));
    }

    /// `setMatchingKeyToken(null)`: the site user left; an identified visitor is logged out.
    pub fn forget_identified(self) {
        self.on(Event::IdentificationCleared);
    }

    /// Ends the server session and forgets this visitor; the widget starts fresh at once.
    /// Should the server not confirm, the token is kept aside (in storage, so a reload goes on)
    /// and the logout retried until it does: a token the page was told is gone must not stay
    /// usable on the server.
    pub async fn logout(self) -> Result<(), net::NetError> {
        let token = self
            .runtime
            .with_value(|runtime| runtime.connection.visitor_token().map(str::to_owned));
        if let Some(token) = &token {
            storage::add_pending_logout(self.config.integration_id(), token);
        }
        self.on(Event::Logout);
        let Some(token) = token else {
            return Ok(());
        };
        let answer = net::visitor(&self.config.api, "DELETE", &token).await;
        self.logout_answered(token, answer, Backoff::default())
    }

    /// What the server answered to ending `token`'s session. Confirmed, or a `401` (it knows the
    /// token no more: ended already, or expired), takes the token off the pending logouts;
    /// anything else is tried again later, with `backoff`.
    fn logout_answered(
        self,
        token: String,
        answer: Result<(), net::NetError>,
        backoff: Backoff,
    ) -> Result<(), net::NetError> {
        if let Err(error) = answer
            && !matches!(error, net::NetError::Status { status: 401, .. })
        {
            self.retry_logout(token, backoff);
            return Err(error);
        }
        storage::remove_pending_logout(self.config.integration_id(), &token);
        Ok(())
    }

    /// Asks the server again, after `backoff`'s next delay, to end `token`'s session.
    fn retry_logout(self, token: String, mut backoff: Backoff) {
        let delay = backoff.next_delay_ms(js_sys::Math::random());
        browser::after(delay, move || {
            self.visitor_request(
                "DELETE",
                token,
                Box::new(move |chat, token, answer| {
                    // The page heard of the first failure; retries only go on until one succeeds.
                    let _ = chat.logout_answered(token, answer, backoff);
                }),
            );
        });
    }

    /// `method` on the visitor's resource with `token`, on its own task; `then` gets the answer.
    /// Boxed, so the token check and the logout retries share one task type in the bundle.
    fn visitor_request(self, method: &'static str, token: String, then: OnVisitorAnswer) {
        wasm_bindgen_futures::spawn_local(async move {
            let answer = net::visitor(&self.config.api, method, &token).await;
            then(self, token, answer);
        });
    }

    /// Feeds `event` to the connection and runs what it asks for.
    fn on(self, event: Event) {
        self.answer(self.epoch(), event);
    }

    /// Feeds the connection an answer to something started in `epoch`, and runs what it asks
    /// for. One path for both: one copy of the update in the bundle.
    fn answer(self, epoch: Epoch, event: Event) {
        let effects = self
            .runtime
            .try_update_value(|runtime| runtime.connection.answer(epoch, event));
        self.run(effects.unwrap_or_default());
    }

    fn epoch(self) -> Epoch {
        self.runtime
            .with_value(|runtime| runtime.connection.epoch())
    }

    /// Runs the connection's effects in order, then renders its state.
    fn run(self, effects: Vec<Effect>) {
        let integration_id = self.config.integration_id();
        for effect in effects {
            match effect {
                Effect::CreateVisitor => self.create_visitor(),
                Effect::KeepToken(token) => storage::keep_visitor_token(integration_id, &token),
                Effect::ReadStoredToken => self.on(Event::TokenRead(self.stored_token())),
                Effect::OpenSocket(token) => self.open_socket(&token),
                Effect::CloseSocket => {
                    drop(
                        self.runtime
                            .try_update_value(|runtime| runtime.socket.take()),
                    );
                }
                Effect::Send(frame) => self.runtime.with_value(|runtime| {
                    if let Some(socket) = &runtime.socket {
                        socket.send(&frame);
                    }
                }),
                Effect::ScheduleRetry(delay_ms) => self.answer_after(delay_ms, Event::RetryDue),
                Effect::ScheduleResend(delay_ms) => self.answer_after(delay_ms, Event::ResendDue),
                Effect::CheckToken(token) => self.check_token(token),
                Effect::ClearToken(token) => storage::forget_visitor_token(integration_id, &token),
                Effect::ClearChat => {
                    self.log.update(Log::clear);
                    self.count_unread(&|unread| *unread = Unread::default());
                    self.contact_stored(ContactInfo::default());
                    self.title.set(None);
                    self.operator_typing(Box::new(TypingIndicator::clear));
                }
                Effect::MarkSending(client_id) => self.mark(&client_id, Delivery::Sending),
                Effect::MarkWaiting(client_id) => self.mark(&client_id, Delivery::Waiting),
                Effect::LogOut => wasm_bindgen_futures::spawn_local(async move {
                    // A logout the server does not confirm is retried until it does.
                    let _ = self.logout().await;
                }),
                Effect::EarlierUnanswered => self.log.update(Log::earlier_unanswered),
            }
        }
        let state = self
            .runtime
            .with_value(|runtime| runtime.connection.state());
        if self.link.get_untracked() != state {
            self.link.set(state);
        }
    }

    /// Feeds `event` to the connection after `delay_ms`, unless the visitor is forgotten by
    /// then.
    fn answer_after(self, delay_ms: u32, event: Event) {
        let epoch = self.epoch();
        browser::after(delay_ms, move || self.answer(epoch, event));
    }

    fn create_visitor(self) {
        let epoch = self.epoch();
        wasm_bindgen_futures::spawn_local(async move {
            let event = match net::create_visitor(&self.config.api).await {
                Ok(visitor) => Event::VisitorCreated(visitor.visitor_token),
                Err(error) => {
                    warn(&format!("web chat: cannot start a conversation: {error}"));
                    Event::VisitorRefused
                }
            };
            self.answer(epoch, event);
        });
    }

    /// What storage holds for the connection about to open. The browser's tabs share it:
    /// another tab may have replaced the token or logged the visitor out.
    fn stored_token(self) -> StoredToken {
        let integration_id = self.config.integration_id();
        if let Some(stored) = storage::visitor_token(integration_id) {
            return StoredToken::Stored(stored);
        }
        let logged_out = self.runtime.with_value(|runtime| {
            runtime
                .connection
                .visitor_token()
                .is_some_and(|mine| storage::logout_pending(integration_id, mine))
        });
        if logged_out {
            StoredToken::LoggedOut
        } else {
            StoredToken::Missing
        }
    }

    fn open_socket(self, token: &str) {
        let epoch = self.epoch();
        let url = self
            .config
            .socket_url(token, self.log.with_untracked(Log::last_seen));
        let opened = Socket::open(
            &url,
            move |frame| self.on_frame(epoch, frame),
            move |code| self.answer(epoch, Event::SocketClosed(code)),
        );
        match opened {
            Ok(socket) => self
                .runtime
                .update_value(|runtime| runtime.socket = Some(socket)),
            Err(error) => {
                warn(&format!("web chat: cannot connect: {error:?}"));
                self.on(Event::SocketFailed);
            }
        }
    }

    /// A connection ended before its welcome: asks whether the server still knows `token`
    /// (unused for too long, or replaced in a tab whose new token is not stored yet).
    fn check_token(self, token: String) {
        let epoch = self.epoch();
        self.visitor_request(
            "GET",
            token,
            Box::new(move |chat, token, checked| {
                let stored = storage::visitor_token(chat.config.integration_id());
                let check = match checked {
                    Err(net::NetError::Status { status: 401, .. })
                        if stored.is_none() || stored.as_ref() == Some(&token) =>
                    {
                        TokenCheck::Refused
                    }
                    _ => TokenCheck::Inconclusive,
                };
                chat.answer(epoch, Event::TokenChecked(check, chat.visibility()));
            }),
        );
    }

    fn visibility(self) -> ChatVisibility {
        if self.open.get_untracked() {
            ChatVisibility::Open
        } else {
            ChatVisibility::Collapsed
        }
    }

    fn on_frame(self, epoch: Epoch, frame: ServerFrame) {
        if self.epoch() != epoch {
            return;
        }
        match frame {
            ServerFrame::Welcome {
                contact,
                messages,
                reset,
                has_older,
                sub,
                title,
                ..
            } => {
                self.title.set(title);
                self.stored(&messages);
                self.on(Event::Welcome);
                self.on(Event::Identity(if sub.is_some() {
                    Identity::Identified
                } else {
                    Identity::Anonymous
                }));
                if reset {
                    self.show_newest(contact, messages, has_older);
                } else {
                    self.contact_stored(contact);
                    for message in messages {
                        self.receive(message);
                    }
                }
            }
            ServerFrame::Ack { client_id, message } => {
                self.on(Event::Stored(client_id));
                self.apply(message);
            }
            ServerFrame::Message { message } => self.receive(message),
            ServerFrame::MessageUpdated { message } => self.apply(message),
            ServerFrame::Identified {
                contact,
                messages,
                visitor_token,
                has_older,
                title,
                ..
            } => {
                self.title.set(title);
                if let Some(token) = visitor_token {
                    self.on(Event::TokenChanged(token));
                }
                self.on(Event::Identity(Identity::Identified));
                self.stored(&messages);
                self.show_newest(contact, messages, has_older);
            }
            ServerFrame::History {
                conversation_id,
                before_seq,
                messages,
                has_older,
            } => {
                // Older than anything this widget may still have to send: no outbox check.
                self.log.update(|log| {
                    log.prepend(
                        conversation_id,
                        before_seq,
                        messages,
                        Earlier::after_page(has_older),
                    );
                });
            }
            ServerFrame::Contact { contact } => self.contact_stored(contact),
            ServerFrame::Error {
                code,
                message,
                client_id,
                retry_after_ms,
            } => self.on_error(code, &message, client_id, retry_after_ms),
            ServerFrame::ConversationUpdated { title, .. } => self.title.set(Some(title)),
            ServerFrame::Seen {
                conversation_id,
                seq,
            } => self.log.update(|log| log.seen(conversation_id, seq)),
            ServerFrame::Typing { name } => {
                self.operator_typing(Box::new(|typing| typing.notice(name, browser::now_ms())));
                // Hidden when no notice follows; a later notice's timer keeps it until then.
                let shown_ms = u32::try_from(TYPING_SHOWN_MS).unwrap_or(u32::MAX);
                browser::after(shown_ms, move || {
                    self.operator_typing(Box::new(|typing| {
                        typing.tick(browser::now_ms());
                    }));
                });
            }
            ServerFrame::Pong => {}
        }
    }

    /// Changes who is shown typing by `change`, and shows it. Boxed: one copy of the update in
    /// the bundle for every change.
    fn operator_typing(self, change: Box<dyn FnOnce(&mut TypingIndicator)>) {
        let line = self
            .runtime
            .try_update_value(|runtime| {
                change(&mut runtime.typing);
                runtime
                    .typing
                    .shown()
                    .map(|name| i18n::typing_line(self.strings, name))
            })
            .flatten();
        if self.typing.with_untracked(|shown| *shown != line) {
            self.typing.set(line);
        }
    }

    /// Shows the newest page of the conversation in place of the log (a welcome that resets
    /// it, or an identification).
    fn show_newest(self, contact: ContactInfo, messages: Vec<protocol::Message>, has_older: bool) {
        self.contact_stored(contact);
        self.log
            .update(|log| log.reset(messages, Earlier::after_page(has_older)));
    }

    /// A stored message or a new version of one (acknowledged, edited) in its place in the log.
    fn apply(self, message: protocol::Message) {
        self.log.update(|log| {
            log.apply(message);
        });
    }

    /// Shows where the visitor's message `client_id` is.
    fn mark(self, client_id: &str, delivery: Delivery) {
        self.log.update(|log| log.mark(client_id, delivery));
    }

    /// The server holds `messages`: those this widget sent need not be sent again.
    fn stored(self, messages: &[protocol::Message]) {
        for client_id in messages
            .iter()
            .filter_map(|message| message.client_id.clone())
        {
            self.on(Event::Stored(client_id));
        }
    }

    fn receive(self, message: protocol::Message) {
        let author = message.author.kind;
        if author == AuthorKind::Operator {
            let name = message.author.name.clone();
            self.operator_typing(Box::new(move |typing| {
                typing.message_from(name.as_deref());
            }));
        }
        if let Some(client_id) = &message.client_id {
            self.on(Event::Stored(client_id.clone()));
        }
        let applied = self.log.try_update(|log| log.apply(message));
        if applied != Some(client_core::log::Applied::New) || author == AuthorKind::Visitor {
            return;
        }
        let visibility = self.visibility();
        self.count_unread(&|unread| unread.arrived(author, visibility));
        if self.config.params.open_chat_on_new_message {
            self.open_chat();
        }
    }

    /// A refusal: a message refused over the rate limit waits and goes again; anything else
    /// is reported to the page (the loader warns and fires `error`), and a refused contact is
    /// replaced by the one the server holds.
    fn on_error(
        self,
        code: ErrorCode,
        message: &str,
        client_id: Option<String>,
        retry_after_ms: Option<u64>,
    ) {
        let what = match (&client_id, code, retry_after_ms) {
            (Some(client_id), ErrorCode::RateLimited, Some(retry_after_ms)) => {
                return self.on(Event::RateLimited {
                    client_id: client_id.clone(),
                    retry_after_ms,
                });
            }
            (Some(client_id), ..) => {
                self.mark(client_id, Delivery::Failed);
                self.on(Event::Refused(client_id.clone()));
                "message"
            }
            (None, ErrorCode::TokenRejected, _) => "matchingKeyToken",
            (None, ..) => {
                // A contact refused (or a change over the rate limit) is not kept.
                self.runtime
                    .update_value(|runtime| runtime.contact = runtime.stored_contact.clone());
                if code == ErrorCode::InvalidContact {
                    "contact"
                } else {
                    "request"
                }
            }
        };
        self.loader().refused(what, code.name(), message, client_id);
    }
}
