//! The chat session of one page: reactive state the UI renders, the visitor token, and the
//! WebSocket with reconnect and resend. Nothing touches the network or storage before the
//! visitor interacts (opens the chat, writes, or calls a method that needs the server), unless
//! an earlier interaction left a visitor token.

use crate::browser::{self, warn};
use crate::config::Config;
use crate::page::Page;
use crate::socket::Socket;
use crate::{net, storage, ui};
use chat::i18n::{self, Strings};
use chat::unread::ChatVisibility;
use chat::{Backoff, Delivery, Earlier, Log, Outbox, Outgoing, Unread};
use leptos::prelude::*;
use protocol::{
    AuthorKind, ClientFrame, ContactInfo, ErrorCode, ServerFrame, TextFormat, close_code,
};

/// Messages asked for per older page; the server sends fewer when they are long.
const EARLIER_PAGE: i64 = 50;

/// What follows a call on the visitor's resource: gets the chat, the token and the answer.
type OnVisitorAnswer = Box<dyn FnOnce(Chat, String, Result<(), net::NetError>)>;

/// The state of the connection to the server, as the composer explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// No visitor yet, or not connected yet: nothing was attempted.
    Idle,
    Connecting,
    Online,
    /// Lost; a reconnect is scheduled.
    Offline,
}

/// Everything the UI and the page API share; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Chat {
    pub config: &'static Config,
    page: StoredValue<Page, LocalStorage>,
    pub strings: &'static Strings,
    pub log: RwSignal<Log>,
    pub open: RwSignal<bool>,
    /// Whether the chat was ever open (`displayCollapsedState=false` shows the tab after).
    pub ever_opened: RwSignal<bool>,
    pub unread: RwSignal<Unread>,
    pub link: RwSignal<Link>,
    pub contact: RwSignal<ContactInfo>,
    runtime: StoredValue<Runtime, LocalStorage>,
}

/// What is not rendered: the connection and what waits for it.
#[derive(Debug, Default)]
struct Runtime {
    visitor_token: Option<String>,
    socket: Option<Socket>,
    /// Bumped by logout, so callbacks of an older socket or visitor do nothing.
    generation: u32,
    creating_visitor: bool,
    reconnect_scheduled: bool,
    /// Whether the current socket got its welcome: one closed before it may have been refused
    /// for its token.
    welcomed: bool,
    outbox: Outbox,
    /// `identify` and `set_contact` frames waiting for the connection, in order.
    control: Vec<ClientFrame>,
    backoff: Backoff,
}

/// Starts the chat: mounts the panel into `root`, keeps the loader's badge in step with the
/// unread count, and reconnects a visitor an earlier interaction left.
pub fn start(config: Config, root: web_sys::Element, page: Page) -> Chat {
    // The chat lives as long as the page: its configuration and reactive owner are never freed.
    let owner = Owner::new();
    owner.set();
    std::mem::forget(owner);
    let chat = Chat::new(Box::leak(Box::new(config)), page);
    // Mounting starts Leptos' executor, which effects need.
    std::mem::forget(leptos::mount::mount_to(
        wasm_bindgen::JsCast::unchecked_into(root),
        move || ui::App(ui::AppProps { chat }),
    ));
    Effect::new(move |_| {
        let count = chat.unread.get().count();
        chat.page.with_value(|page| page.unread(count));
    });
    ui::follow_visual_viewport();
    for token in storage::pending_logouts(chat.config.integration_id()).split(' ') {
        if !token.is_empty() {
            chat.retry_logout(token.to_owned(), Backoff::default());
        }
    }
    if let Some(token) = storage::visitor_token(chat.config.integration_id()) {
        chat.runtime
            .update_value(|runtime| runtime.visitor_token = Some(token));
        chat.connect();
    }
    chat
}

impl Chat {
    fn new(config: &'static Config, page: Page) -> Self {
        Self {
            config,
            page: StoredValue::new_local(page),
            strings: i18n::strings(&config.params.language_code),
            log: RwSignal::new(Log::default()),
            open: RwSignal::new(false),
            ever_opened: RwSignal::new(false),
            unread: RwSignal::new(Unread::default()),
            link: RwSignal::new(Link::Idle),
            contact: RwSignal::new(ContactInfo::default()),
            runtime: StoredValue::new_local(Runtime::default()),
        }
    }

    pub fn open_chat(self) {
        if self.open.get_untracked() {
            return;
        }
        self.open.set(true);
        self.ever_opened.set(true);
        self.unread.update(Unread::seen);
        self.ensure_connected();
        // The panel takes focus after this task: the loader notes where it was before.
        self.page.with_value(|page| page.emit("open"));
    }

    pub fn close_chat(self) {
        if !self.open.get_untracked() {
            return;
        }
        self.open.set(false);
        self.page.with_value(|page| page.emit("close"));
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
        self.runtime
            .update_value(|runtime| runtime.outbox.push(message.clone()));
        self.ensure_connected();
        self.send_frame(&message.frame());
    }

    pub fn retry(self, client_id: &str) {
        let Some(message) = self
            .runtime
            .try_update_value(|runtime| runtime.outbox.retry(client_id))
            .flatten()
        else {
            return;
        };
        self.log
            .update(|log| log.mark(client_id, Delivery::Sending));
        self.ensure_connected();
        self.send_frame(&message.frame());
    }

    /// Asks for the page before the oldest message shown, unless there is none or one is on
    /// its way.
    pub fn load_earlier(self) {
        if self.log.with_untracked(Log::earlier) != Earlier::Available {
            return;
        }
        let Some(before_seq) = self.log.try_update(Log::request_earlier).flatten() else {
            return;
        };
        let frame = ClientFrame::History {
            before_seq,
            limit: EARLIER_PAGE,
        };
        if !self.send_frame(&frame) {
            self.log.update(Log::earlier_unanswered);
            self.ensure_connected();
        }
    }

    pub fn set_contact(self, contact: ContactInfo) {
        self.contact.set(contact.clone());
        self.send_control(ClientFrame::SetContact { contact });
    }

    pub fn identify(self, token: String) {
        self.send_control(ClientFrame::Identify { token });
    }

    /// Ends the server session and forgets this visitor; the widget starts fresh at once.
    /// Should the server not confirm, the token is kept aside (in storage, so a reload goes on)
    /// and the logout retried until it does: a token the page was told is gone must not stay
    /// usable on the server.
    pub async fn logout(self) -> Result<(), net::NetError> {
        let token = self
            .runtime
            .with_value(|runtime| runtime.visitor_token.clone());
        if let Some(token) = &token {
            storage::add_pending_logout(self.config.integration_id(), token);
        }
        self.forget_visitor();
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

    fn send_control(self, frame: ClientFrame) {
        if !self.send_frame(&frame) {
            self.runtime
                .update_value(|runtime| runtime.control.push(frame));
        }
        self.ensure_connected();
    }

    /// Sends on the open connection; `false` if there is none (the caller keeps the frame).
    fn send_frame(self, frame: &ClientFrame) -> bool {
        self.link.get_untracked() == Link::Online
            && self.runtime.with_value(|runtime| {
                runtime
                    .socket
                    .as_ref()
                    .is_some_and(|socket| socket.send(frame))
            })
    }

    /// The visitor interacted: make sure there is a visitor and a connection on its way.
    fn ensure_connected(self) {
        let (has_token, busy) = self.runtime.with_value(|runtime| {
            (
                runtime.visitor_token.is_some(),
                runtime.socket.is_some() || runtime.creating_visitor || runtime.reconnect_scheduled,
            )
        });
        if busy {
            return;
        }
        if has_token {
            self.connect();
        } else {
            self.create_visitor();
        }
    }

    fn create_visitor(self) {
        let generation = self.runtime.with_value(|runtime| runtime.generation);
        self.runtime
            .update_value(|runtime| runtime.creating_visitor = true);
        self.link.set(Link::Connecting);
        wasm_bindgen_futures::spawn_local(async move {
            let created = net::create_visitor(&self.config.api).await;
            if self.runtime.with_value(|runtime| runtime.generation) != generation {
                return;
            }
            self.runtime
                .update_value(|runtime| runtime.creating_visitor = false);
            match created {
                Ok(visitor) => {
                    storage::keep_visitor_token(
                        self.config.integration_id(),
                        &visitor.visitor_token,
                    );
                    self.runtime.update_value(|runtime| {
                        runtime.visitor_token = Some(visitor.visitor_token);
                    });
                    self.connect();
                }
                Err(error) => {
                    warn(&format!("web chat: cannot start a conversation: {error}"));
                    self.link.set(Link::Offline);
                    self.schedule_reconnect();
                }
            }
        });
    }

    fn connect(self) {
        let Some(token) = self.current_token() else {
            return;
        };
        let generation = self.runtime.with_value(|runtime| runtime.generation);
        let url = self
            .config
            .socket_url(&token, self.log.with_untracked(Log::last_seen));
        let opened = Socket::open(
            &url,
            move |frame| self.on_frame(generation, frame),
            move |code| self.on_close(generation, code),
        );
        match opened {
            Ok(socket) => {
                self.link.set(Link::Connecting);
                self.runtime.update_value(|runtime| {
                    runtime.socket = Some(socket);
                    runtime.welcomed = false;
                });
            }
            Err(error) => {
                warn(&format!("web chat: cannot connect: {error:?}"));
                self.link.set(Link::Offline);
                self.schedule_reconnect();
            }
        }
    }

    /// The visitor token to connect with. The browser's tabs share storage: another tab may
    /// have replaced the token (identification gives a new one) or logged the visitor out.
    fn current_token(self) -> Option<String> {
        let integration_id = self.config.integration_id();
        let mine = self
            .runtime
            .with_value(|runtime| runtime.visitor_token.clone());
        match (storage::visitor_token(integration_id), mine) {
            (Some(stored), _) => {
                self.runtime
                    .update_value(|runtime| runtime.visitor_token = Some(stored.clone()));
                Some(stored)
            }
            (None, Some(mine))
                if storage::pending_logouts(integration_id)
                    .split(' ')
                    .any(|pending| pending == mine) =>
            {
                self.forget_visitor();
                None
            }
            // Storage may be refused (private modes): the token lives as long as the page.
            (None, mine) => mine,
        }
    }

    fn current(self, generation: u32) -> bool {
        self.runtime.with_value(|runtime| runtime.generation) == generation
    }

    fn on_close(self, generation: u32, code: u16) {
        if !self.current(generation) {
            return;
        }
        let welcomed = self
            .runtime
            .try_update_value(|runtime| {
                runtime.socket = None;
                runtime.welcomed
            })
            .unwrap_or_default();
        self.log.update(Log::earlier_unanswered);
        if code == close_code::LOGGED_OUT {
            self.forget_visitor();
            return;
        }
        self.link.set(Link::Offline);
        if welcomed {
            self.schedule_reconnect();
        } else {
            self.check_token(generation);
        }
    }

    /// A connection ended before its welcome: the server may no longer know the token (unused
    /// for too long, or replaced in a tab whose new token is not stored yet). A token the
    /// server refuses is dropped and the widget starts fresh; anything else is retried.
    fn check_token(self, generation: u32) {
        let Some(token) = self
            .runtime
            .with_value(|runtime| runtime.visitor_token.clone())
        else {
            return;
        };
        self.visitor_request(
            "GET",
            token,
            Box::new(move |chat, token, checked| {
                if !chat.current(generation) {
                    return;
                }
                let stored = storage::visitor_token(chat.config.integration_id());
                match checked {
                    Err(net::NetError::Status { status: 401, .. })
                        if stored.is_none() || stored.as_ref() == Some(&token) =>
                    {
                        chat.forget_visitor();
                        if chat.open.get_untracked() {
                            chat.ensure_connected();
                        }
                    }
                    _ => chat.schedule_reconnect(),
                }
            }),
        );
    }

    fn schedule_reconnect(self) {
        let Some((generation, delay)) = self.runtime.try_update_value(|runtime| {
            runtime.reconnect_scheduled = true;
            let delay = runtime.backoff.next_delay_ms(js_sys::Math::random());
            (runtime.generation, delay)
        }) else {
            return;
        };
        browser::after(delay, move || {
            if !self.current(generation) {
                return;
            }
            self.runtime
                .update_value(|runtime| runtime.reconnect_scheduled = false);
            self.ensure_connected();
        });
    }

    /// Logged out here or in another tab: drop the visitor, its messages and the connection.
    fn forget_visitor(self) {
        if let Some(token) = self
            .runtime
            .with_value(|runtime| runtime.visitor_token.clone())
        {
            storage::forget_visitor_token(self.config.integration_id(), &token);
        }
        let previous = self.runtime.try_update_value(|runtime| {
            runtime.generation = runtime.generation.wrapping_add(1);
            runtime.visitor_token = None;
            runtime.creating_visitor = false;
            runtime.reconnect_scheduled = false;
            runtime.outbox.clear();
            runtime.control.clear();
            runtime.backoff.reset();
            runtime.socket.take()
        });
        drop(previous);
        self.log.update(Log::clear);
        self.unread.set(Unread::default());
        self.contact.set(ContactInfo::default());
        self.link.set(Link::Idle);
    }

    fn on_frame(self, generation: u32, frame: ServerFrame) {
        if !self.current(generation) {
            return;
        }
        match frame {
            ServerFrame::Welcome {
                contact,
                messages,
                reset,
                has_older,
                ..
            } => {
                let earlier = reset.then(|| Earlier::after_page(has_older));
                self.on_welcome(contact, messages, earlier);
            }
            ServerFrame::Ack { client_id, message } => {
                self.runtime
                    .update_value(|runtime| runtime.outbox.delivered(&client_id));
                self.log.update(|log| {
                    log.apply(message);
                });
            }
            ServerFrame::Message { message } => self.receive(message),
            ServerFrame::MessageUpdated { message } => self.log.update(|log| {
                log.apply(message);
            }),
            ServerFrame::Identified {
                contact,
                messages,
                visitor_token,
                has_older,
                ..
            } => {
                if let Some(token) = visitor_token {
                    // The old token is refused from now on; other tabs read this one.
                    storage::keep_visitor_token(self.config.integration_id(), &token);
                    self.runtime
                        .update_value(|runtime| runtime.visitor_token = Some(token));
                }
                self.delivered(&messages);
                self.log
                    .update(|log| log.reset(messages, Earlier::after_page(has_older)));
                self.contact.set(contact);
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
            ServerFrame::Contact { contact } => self.contact.set(contact),
            ServerFrame::Error {
                code,
                message,
                client_id,
                ..
            } => self.on_error(code, &message, client_id),
            ServerFrame::ConversationUpdated { .. } | ServerFrame::Pong => {}
        }
    }

    /// `earlier` is given when the messages are the newest page replacing the log (`reset`),
    /// and says whether older pages exist.
    fn on_welcome(
        self,
        contact: ContactInfo,
        messages: Vec<protocol::Message>,
        earlier: Option<Earlier>,
    ) {
        self.runtime.update_value(|runtime| runtime.welcomed = true);
        self.link.set(Link::Online);
        self.contact.set(contact);
        self.delivered(&messages);
        match earlier {
            Some(earlier) => self.log.update(|log| log.reset(messages, earlier)),
            None => {
                for message in messages {
                    self.receive(message);
                }
            }
        }
        let (control, waiting) = self
            .runtime
            .try_update_value(|runtime| {
                runtime.backoff.reset();
                (
                    std::mem::take(&mut runtime.control),
                    runtime.outbox.waiting().to_vec(),
                )
            })
            .unwrap_or_default();
        for frame in &control {
            self.send_frame(frame);
        }
        for message in &waiting {
            self.send_frame(&message.frame());
        }
    }

    /// Messages the server holds that this widget may still have waiting to be sent.
    fn delivered(self, messages: &[protocol::Message]) {
        self.runtime.update_value(|runtime| {
            for client_id in messages.iter().filter_map(|m| m.client_id.as_deref()) {
                runtime.outbox.delivered(client_id);
            }
        });
    }

    fn receive(self, message: protocol::Message) {
        let author = message.author.kind;
        if let Some(client_id) = &message.client_id {
            self.runtime
                .update_value(|runtime| runtime.outbox.delivered(client_id));
        }
        let applied = self.log.try_update(|log| log.apply(message));
        if applied != Some(chat::log::Applied::New) || author == AuthorKind::Visitor {
            return;
        }
        let visibility = if self.open.get_untracked() {
            ChatVisibility::Open
        } else {
            ChatVisibility::Collapsed
        };
        self.unread
            .update(|unread| unread.arrived(author, visibility));
        if self.config.params.open_chat_on_new_message {
            self.open_chat();
        }
    }

    fn on_error(self, code: ErrorCode, message: &str, client_id: Option<String>) {
        warn(&format!("web chat: the server refused: {message}"));
        if let Some(client_id) = client_id {
            self.runtime
                .update_value(|runtime| runtime.outbox.failed(&client_id));
            self.log
                .update(|log| log.mark(&client_id, Delivery::Failed));
        } else if code == ErrorCode::TokenRejected {
            warn("web chat: the matching-key token was rejected; the visitor stays anonymous");
        }
    }
}
