//! The open chat: header (title, contact details, close), the message log (an `aria-live`
//! region), the operator's typing, the connection notice and the composer. Escape closes it. The log shows the newest
//! messages; the "load earlier messages" button above it brings older pages in above them,
//! keeping in view what the visitor was reading.

use super::composer::Composer;
use super::contact::ContactForm;
use super::message::MessageView;
use crate::session::Chat;
use client_core::connection::State;
use client_core::i18n::Word;
use client_core::{Earlier, Log};
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

#[component]
pub fn Panel(chat: Chat, title: String) -> impl IntoView {
    let params = &chat.config.params;
    let strings = chat.strings;
    let contact_open = RwSignal::new(false);
    let contact_toggle = NodeRef::<leptos::html::Button>::new();
    // Saving removes the form with the focus in it: the focus goes back to what opened it,
    // rather than to the page's start.
    let contact_saved = move || {
        if let Some(toggle) = contact_toggle.get_untracked() {
            let _ = toggle.focus();
        }
        contact_open.set(false);
    };
    let log = NodeRef::<leptos::html::Div>::new();
    // New messages at the end (and opening) scroll into view. Older ones going in above add
    // their height to the scroll position, so what the visitor reads stays put: the log's
    // height after each render is kept for that.
    let height = Rc::new(Cell::new(0));
    let mut newest = None;
    let mut was_open = false;
    super::effect::watch(move || {
        // The last entry by id and time: a copy, where its render key would be a string.
        let tail = chat
            .log
            .with(|log| log.entries().last().map(|entry| (entry.id, entry.sent_at)));
        let open = chat.open.get();
        let Some(log) = log.get() else {
            return;
        };
        let to_bottom = tail != newest || open != was_open;
        (newest, was_open) = (tail, open);
        let height = Rc::clone(&height);
        crate::browser::after(0, move || {
            let grown = log.scroll_height() - height.get();
            log.set_scroll_top(if to_bottom {
                log.scroll_height()
            } else {
                log.scroll_top() + grown
            });
            height.set(log.scroll_height());
        });
    });
    // The visitor reads what the log shows: its newest message whenever it, the panel, the
    // tab's visibility or the connection changes (a welcome brings the log anew).
    super::effect::watch(move || {
        let newest = chat.log.with(Log::last_seen);
        chat.open.track();
        chat.page_shown.track();
        chat.link.track();
        if let Some(newest) = newest {
            chat.sighted(newest);
        }
    });
    // The typing line and the connection's notice go through the UI's one effect type, as the
    // log's scrolling: a text closure in the view would compile its own render effect into the
    // bundle.
    let typing = NodeRef::<leptos::html::Div>::new();
    super::effect::watch(move || {
        let line = chat.typing.get();
        if let Some(typing) = typing.get() {
            typing.set_text_content(line.as_deref());
        }
    });
    // The connection's notice, shown only while it is not online.
    let notice = NodeRef::<leptos::html::P>::new();
    super::effect::watch(move || {
        let line = match chat.link.get() {
            State::Online | State::Idle | State::LoggedOut => None,
            State::CreatingVisitor | State::Connecting => Some(&strings[Word::Connecting]),
            State::CheckingToken | State::Retrying => Some(&strings[Word::Offline]),
        };
        if let Some(notice) = notice.get() {
            notice.set_hidden(line.is_none());
            notice.set_text_content(line);
        }
    });
    // Operators' title for the conversation, once they set one.
    let integration_title = title.clone();
    // Hidden once there are messages, through the UI's one effect type (as the "seen" word).
    let empty = NodeRef::<leptos::html::Li>::new();
    super::effect::watch(move || {
        let none = chat.log.with(|log| log.entries().is_empty());
        if let Some(empty) = empty.get() {
            empty.set_hidden(!none);
        }
    });
    // Parts shown only sometimes are plain `Option` closures rather than `<Show>`: the same
    // DOM without a memo per part, which keeps the bundle smaller.
    view! {
        <section
            class="cw-panel"
            role="dialog"
            aria-label=title.clone()
            hidden=move || !chat.open.get()
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    event.prevent_default();
                    chat.close_chat();
                }
            }
        >
            <header
                class="cw-header"
                style:background-color=params.title_back_color.clone()
                style:color=params.title_text_color.clone()
            >
                <h2 class="cw-title">
                    {move || chat.title.get().unwrap_or_else(|| integration_title.clone())}
                </h2>
                <button
                    class="cw-icon-button cw-contact-toggle"
                    node_ref=contact_toggle
                    aria-label=&strings[Word::ContactButton]
                    title=&strings[Word::ContactButton]
                    aria-expanded=move || if contact_open.get() { "true" } else { "false" }
                    on:click=move |_| contact_open.update(|open| *open = !*open)
                >
                    <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
                        <path fill="currentColor" d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z"></path>
                    </svg>
                </button>
                <button
                    class="cw-icon-button cw-close"
                    aria-label=&strings[Word::CloseChat]
                    title=&strings[Word::CloseChat]
                    on:click=move |_| chat.close_chat()
                >
                    "✕"
                </button>
            </header>
            {move || {
                contact_open
                    .get()
                    .then(|| view! { <ContactForm chat=chat on_saved=contact_saved /> })
            }}
            <button
                class="cw-earlier"
                hidden=move || chat.log.with(Log::earlier) == Earlier::None
                on:click=move |_| chat.load_earlier()
            >
                {&strings[Word::LoadEarlier]}
            </button>
            // The live region wraps the list: a list keeps its role, so screen readers still
            // count the messages. Focusable, so a keyboard can scroll it.
            <div
                class="cw-log"
                role="log"
                aria-live="polite"
                aria-label=&strings[Word::LogLabel]
                tabindex="0"
                node_ref=log
            >
                <ol>
                    <li class="cw-empty" node_ref=empty>{&strings[Word::Empty]}</li>
                    <For
                        each=move || chat.log.with(|log| log.entries().to_vec())
                        key=|entry| entry.render_key()
                        children=move |entry| view! { <MessageView chat=chat entry=entry /> }
                    />
                </ol>
            </div>
            // Always in the page, a line of its own: a live region that appears with its text
            // is not reliably announced, and the log would jump as the line came and went.
            <div class="cw-typing" role="status" node_ref=typing></div>
            <p class="cw-notice" role="status" node_ref=notice hidden></p>
            <Composer chat=chat />
        </section>
    }
}
