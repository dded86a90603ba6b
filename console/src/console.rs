//! The running console: the inbox's state in a signal the UI renders, and the effects it asks
//! for run here (REST calls, the operator WebSocket, its reconnect timer). Every answer goes
//! back into the state as an [`Event`].

use crate::alerts::Alerting;
use crate::api::{self, ApiError};
use crate::browser;
use client_core::dom::Socket;
use client_core::inbox::words::{Language, Word};
use client_core::inbox::{Effect, Event, Inbox};
use client_core::typing::TYPING_SHOWN_MS;
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::operator::{ConversationStatus, LoginRequest, OperatorClientFrame, OperatorEvent};

/// The operator WebSocket's path.
const SOCKET_PATH: &str = "/api/v1/operator/ws";

/// The console's handle, copied into every component.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    pub inbox: RwSignal<Inbox>,
    pub language: Language,
    /// Whether the server has said if a session exists: until then neither the login form nor
    /// the inbox shows.
    pub checked: RwSignal<bool>,
    /// Why the last login failed.
    pub login_error: RwSignal<Option<String>>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
    /// The tab title's count, the sound and the notifications.
    pub alerting: Alerting,
}

impl Console {
    /// The console in the operator's language, not signed in yet.
    pub fn in_browser_language() -> Self {
        let language = browser::language();
        let console = Self {
            inbox: RwSignal::new(Inbox::default()),
            language,
            checked: RwSignal::new(false),
            login_error: RwSignal::new(None),
            socket: StoredValue::new_local(None),
            alerting: Alerting::new(),
        };
        let document = browser::document();
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", language.tag());
        }
        document.set_title(Word::Title.text(language));
        console
    }

    /// Asks the server whether a session exists (the cookie of an earlier login).
    pub fn resume(self) {
        spawn_local(async move {
            match api::me().await {
                Ok(profile) => self.signed_in(profile),
                Err(ApiError::Unauthorized(_)) => {}
                Err(error) => client_core::dom::warn(&format!("console: {error}")),
            }
            self.checked.set(true);
        });
    }

    /// The word in the operator's language.
    pub fn word(self, word: Word) -> &'static str {
        word.text(self.language)
    }

    /// Applies `event` and runs what it asks for. A live event comes at a time: the inbox is
    /// told it first, and a typing notice asks for the time again when it may have run out.
    pub fn on(self, event: Event) {
        if let Event::Live(live) = &event {
            self.tick();
            match live {
                OperatorEvent::Message { message } => {
                    let open = move |id| self.open(Some(id));
                    self.alerting
                        .arrived(self.inbox, self.language, message, open);
                }
                OperatorEvent::Typing { .. } => {
                    let shown_ms = u32::try_from(TYPING_SHOWN_MS).unwrap_or(u32::MAX);
                    browser::after(shown_ms, move || self.tick());
                }
                _ => {}
            }
        }
        let effects = self
            .inbox
            .try_update(|inbox| inbox.on(event))
            .unwrap_or_default();
        for effect in effects {
            self.run(effect);
        }
    }

    /// The composer holds `text` now.
    pub fn drafted(self, text: String) {
        self.on(Event::Drafted {
            text,
            now: js_sys::Date::now() as i64,
        });
    }

    fn tick(self) {
        self.inbox.update(|inbox| {
            inbox.on(Event::Tick {
                now: js_sys::Date::now() as i64,
            });
        });
    }

    pub fn log_in(self, email: String, password: String) {
        self.login_error.set(None);
        spawn_local(async move {
            match api::login(&LoginRequest { email, password }).await {
                Ok(answer) => self.signed_in(answer.operator),
                Err(error) => self.login_error.set(Some(error.to_string())),
            }
        });
    }

    pub fn log_out(self) {
        spawn_local(async move {
            if let Err(error) = api::logout().await {
                client_core::dom::warn(&format!("console: {error}"));
            }
            self.on(Event::SignedOut);
        });
    }

    /// Opens conversation `id` (or goes back to the list) and shows it in the address bar.
    pub fn open(self, id: Option<i64>) {
        self.on(id.map_or(Event::Left, Event::Opened));
        browser::show_in_address(id);
    }

    fn signed_in(self, profile: protocol::operator::OperatorProfile) {
        self.on(Event::SignedIn(profile));
        if let Some(id) = browser::linked_conversation() {
            self.on(Event::Opened(id));
        }
    }

    fn run(self, effect: Effect) {
        match effect {
            Effect::Connect { delay_ms } => browser::after(delay_ms, move || self.connect()),
            Effect::Disconnect => {
                self.socket.set_value(None);
                browser::show_in_address(None);
            }
            Effect::SendTyping { conversation_id } => self.socket.with_value(|socket| {
                if let Some(socket) = socket {
                    socket.send(&OperatorClientFrame::Typing { conversation_id });
                }
            }),
            effect => spawn_local(self.call(effect)),
        }
    }

    /// Runs a REST effect and feeds its answer back.
    async fn call(self, effect: Effect) {
        let answered = match effect {
            Effect::LoadList(query) => api::conversations(&query)
                .await
                .map(|list| Some(Event::ListLoaded { query, list })),
            Effect::LoadMessages {
                conversation_id,
                kind,
                query,
            } => api::messages(conversation_id, &query).await.map(|page| {
                Some(Event::MessagesLoaded {
                    conversation_id,
                    kind,
                    page,
                })
            }),
            Effect::Reply {
                conversation_id,
                request,
            } => match api::reply(conversation_id, &request).await {
                Ok(stored) => Ok(stored.map(|message| Event::ReplyStored { message })),
                Err(error @ ApiError::Unauthorized(_)) => Err(error),
                Err(error) => {
                    client_core::dom::warn(&format!("console: {error}"));
                    Ok(Some(Event::ReplyFailed {
                        conversation_id,
                        client_id: request.client_id,
                    }))
                }
            },
            Effect::Assign {
                conversation_id,
                request,
            } => api::change(conversation_id, "assign", Some(&request))
                .await
                .map(|changed| changed.map(Event::Changed)),
            Effect::SetStatus {
                conversation_id,
                status,
            } => {
                let action = match status {
                    ConversationStatus::Open => "reopen",
                    ConversationStatus::Closed => "close",
                };
                api::change(conversation_id, action, None)
                    .await
                    .map(|changed| changed.map(Event::Changed))
            }
            Effect::MarkRead {
                conversation_id,
                request,
            } => api::read(conversation_id, &request).await.map(|()| None),
            Effect::LoadTeam => api::team().await.map(|team| Some(Event::TeamLoaded(team))),
            Effect::Connect { .. } | Effect::Disconnect | Effect::SendTyping { .. } => Ok(None),
        };
        match answered {
            Ok(Some(event)) => self.on(event),
            Ok(None) => {}
            Err(ApiError::Unauthorized(_)) => self.on(Event::SignedOut),
            Err(ApiError::Refused(message)) => self.on(Event::Refused(message)),
            Err(error) => client_core::dom::warn(&format!("console: {error}")),
        }
    }

    fn connect(self) {
        if self.inbox.with_untracked(|inbox| inbox.me.is_none()) {
            return;
        }
        let opened = Socket::open(
            &browser::socket_url(SOCKET_PATH),
            move |event: OperatorEvent| self.on(Event::Live(event)),
            move |_code| self.lost(),
        );
        match opened {
            Ok(mut socket) => {
                socket.when_open(move || self.on(Event::SocketOpened));
                self.socket.set_value(Some(socket));
            }
            Err(error) => {
                client_core::dom::warn(&format!("console: cannot connect: {error:?}"));
                self.lost();
            }
        }
    }

    fn lost(self) {
        self.socket.set_value(None);
        self.on(Event::SocketLost {
            jitter: js_sys::Math::random(),
        });
        // A socket refused for want of a session closes like any other: the REST API says
        // which it was, and an ended session shows the login form instead of retrying.
        spawn_local(async move {
            if let Err(ApiError::Unauthorized(_)) = api::me().await {
                self.on(Event::SignedOut);
            }
        });
    }
}
