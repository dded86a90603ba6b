//! The inbox: the three views with their unread counts, and the view's conversations, newest
//! activity first, each with its visitor, last message and unread count; the next page loads
//! when the operator scrolls to the end. The highlighted one (J/K) carries the focus.

use crate::browser;
use crate::console::Console;
use client_core::inbox::Event;
use client_core::inbox::words::Word;
use leptos::prelude::*;
use protocol::operator::{ConversationSummary, View};

/// How close to the end of the list (in pixels) it asks for the next page.
const MORE_MARGIN: i32 = 64;

/// Puts the focus on conversation `id`'s entry, once it is drawn.
pub fn focus(id: i64) {
    browser::after(0, move || {
        let entry = browser::document().get_element_by_id(&entry_id(id));
        if let Some(entry) = entry
            .and_then(|entry| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(entry).ok())
        {
            let _ = entry.focus();
        }
    });
}

fn entry_id(id: i64) -> String {
    format!("co-conversation-{id}")
}

/// The name a visitor is shown by: its name, e-mail or phone, or the word for a visitor.
pub fn visitor_name(console: Console, conversation: &ConversationSummary) -> String {
    client_core::contact::shown_name(&conversation.visitor.contact)
        .unwrap_or_else(|| format!("{} #{}", console.word(Word::Visitor), conversation.id))
}

#[component]
pub fn Inbox(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    let tab = move |view: View, word: Word| {
        let count = move || {
            inbox.with(|inbox| match view {
                View::Unassigned => inbox.counts.unassigned,
                View::Mine => inbox.counts.mine,
                View::All => inbox.counts.all,
            })
        };
        view! {
            <button type="button" class="co-view"
                aria-pressed=move || (inbox.with(|inbox| inbox.view) == view).to_string()
                on:click=move |_| console.on(Event::ViewChosen(view))>
                <span>{console.word(word)}</span>
                <Count console=console count=Signal::derive(count) />
            </button>
        }
    };
    let list = NodeRef::<leptos::html::Ul>::new();
    let ids = move || {
        inbox.with(|inbox| {
            inbox
                .conversations
                .iter()
                .map(|conversation| conversation.id)
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="co-inbox" aria-label=console.word(Word::Conversations)>
            <nav class="co-views" aria-label=console.word(Word::Views)>
                {tab(View::Unassigned, Word::Unassigned)}
                {tab(View::Mine, Word::Mine)}
                {tab(View::All, Word::All)}
            </nav>
            <Show when=move || ids().is_empty()>
                <p class="co-empty">{console.word(Word::NoConversations)}</p>
            </Show>
            <ul class="co-list" node_ref=list on:scroll=move |_| {
                let near_end = list.get_untracked().is_some_and(|list| {
                    list.scroll_top() + list.client_height() + MORE_MARGIN >= list.scroll_height()
                });
                if near_end {
                    console.on(Event::MoreWanted);
                }
            }>
                <For each=ids key=|id| *id let:id>
                    <Entry console=console id=id />
                </For>
            </ul>
        </section>
    }
}

#[component]
fn Entry(console: Console, id: i64) -> impl IntoView {
    let inbox = console.inbox;
    let summary = move || inbox.with(|inbox| inbox.conversation(id).cloned());
    let name = move || {
        summary()
            .map(|conversation| visitor_name(console, &conversation))
            .unwrap_or_default()
    };
    let preview = move || {
        summary()
            .and_then(|conversation| conversation.last_message)
            .map(|message| message.text)
            .unwrap_or_default()
    };
    let time = move || {
        summary()
            .map(|conversation| {
                browser::local_time(conversation.last_activity_at, console.language)
            })
            .unwrap_or_default()
    };
    let unread = move || summary().map_or(0, |conversation| conversation.unread);
    let highlighted = move || inbox.with(|inbox| inbox.highlighted == Some(id));
    let open =
        move || inbox.with(|inbox| inbox.open.as_ref().is_some_and(|thread| thread.id == id));
    view! {
        <li>
            <button type="button" id=entry_id(id) class="co-entry"
                class:co-highlighted=highlighted
                aria-current=move || open().then_some("true")
                on:click=move |_| console.open(Some(id))>
                <span class="co-entry-head">
                    <span class="co-entry-name">{name}</span>
                    <time class="co-entry-time">{time}</time>
                </span>
                <span class="co-entry-preview">{preview}</span>
                <Count console=console count=Signal::derive(unread) />
            </button>
        </li>
    }
}

/// An unread count as a badge, read out as "N unread"; nothing at zero.
#[component]
fn Count(console: Console, count: Signal<i64>) -> impl IntoView {
    view! {
        <Show when=move || { count.get() > 0 }>
            <span class="co-count">
                {move || count.get()}
                <span class="co-unseen">" " {console.word(Word::Unread)}</span>
            </span>
        </Show>
    }
}
