//! Where the visitor writes: Enter sends, Shift+Enter starts a new line, and typing tells the
//! operators (the connection throttles it). It takes focus when the chat opens. While the
//! connection is down it keeps working and says so in the notice above it: what is written
//! then is sent on reconnect.

use crate::session::Chat;
use client_core::i18n::Word;
use leptos::prelude::*;
use protocol::TextFormat;

#[component]
pub fn Composer(chat: Chat) -> impl IntoView {
    let strings = chat.strings;
    let draft = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Textarea>::new();
    let send = move || {
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            chat.send(&text, TextFormat::Plain);
            draft.set(String::new());
        }
    };
    super::effect::watch(move || {
        if chat.open.get() {
            crate::browser::after(0, move || {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                }
            });
        }
    });
    view! {
        <form class="cw-composer" on:submit=move |event| {
            event.prevent_default();
            send();
        }>
            <textarea
                class="cw-input"
                node_ref=input
                rows="2"
                aria-label=&strings[Word::MessageLabel]
                placeholder=&strings[Word::Placeholder]
                prop:value=move || draft.get()
                on:input:target=move |event| {
                    let text = event.target().value();
                    draft.set(text.clone());
                    chat.typed(text);
                }
                on:keydown=client_core::dom::send_on_enter(send)
            ></textarea>
            <button type="submit" class="cw-send">{&strings[Word::Send]}</button>
        </form>
    }
}
