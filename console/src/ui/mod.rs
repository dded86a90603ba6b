//! The console's UI: the login form until a session exists, then the inbox, the open
//! conversation and its visitor side by side (one column on a phone, the list or the open
//! conversation). Components only render the console's signals and send it events.
//!
//! Keyboard: `J` and `K` move between conversations, Enter opens the highlighted one, Esc goes
//! back to the list (after closing an open menu); not while typing in a field, where those
//! keys write.

mod assign;
mod canned;
mod list;
mod login;
mod thread;
mod visitor;

use crate::canned::Canned;
use crate::console::Console;
use client_core::alerts::NotificationPermission;
use client_core::inbox::Event;
use client_core::inbox::words::Word;
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

pub fn mount(console: Console) {
    leptos::mount::mount_to_body(move || view! { <App console=console /> });
    // The console lives as long as the page, and so does its listener.
    std::mem::forget(window_event_listener(ev::keydown, move |event| {
        keyboard(console, &event);
    }));
}

#[component]
fn App(console: Console) -> impl IntoView {
    let signed_in = move || console.inbox.with(|inbox| inbox.me.is_some());
    crate::alerts::Alerting::keep_title(console.inbox, console.language);
    view! {
        <Show when=move || console.checked.get() || signed_in()>
            <Show when=signed_in fallback=move || view! { <login::Login console=console /> }>
                <Workspace console=console />
            </Show>
        </Show>
    }
}

#[component]
fn Workspace(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    let canned = Canned::new(console);
    provide_context(canned);
    canned.load();
    let permission = console.alerting.permission;
    let name = move || inbox.with(|inbox| inbox.me.as_ref().map(|me| me.name.clone()));
    let offline = move || !inbox.with(|inbox| inbox.live);
    let layout = move || {
        if inbox.with(|inbox| inbox.open.is_some()) {
            "co-workspace co-has-open"
        } else {
            "co-workspace"
        }
    };
    view! {
        <div class=layout>
            <header class="co-header">
                <h1 class="co-title">{console.word(Word::Title)}</h1>
                <Show when=offline>
                    <span class="co-offline" role="status">{console.word(Word::Reconnecting)}</span>
                </Show>
                <span class="co-me">{name}</span>
                <Show when=move || permission.get() == NotificationPermission::NotAsked>
                    <button type="button" class="co-button" on:click=move |_| console.alerting.ask_permission()>
                        {console.word(Word::EnableNotifications)}
                    </button>
                </Show>
                <button type="button" class="co-button" aria-expanded=move || canned.managing.get().to_string()
                    on:click=move |_| canned.managing.update(|open| *open = !*open)>
                    {console.word(Word::CannedReplies)}
                </button>
                <button type="button" class="co-button" on:click=move |_| console.log_out()>
                    {console.word(Word::LogOut)}
                </button>
            </header>
            // One main landmark around the panes, whichever of them a phone shows; it draws no
            // box of its own, so the panes stay cells of the workspace's grid.
            <main class="co-main">
                <list::Inbox console=console />
                <thread::Thread console=console />
                <visitor::Visitor console=console />
            </main>
            <Show when=move || canned.managing.get()>
                <canned::Manager console=console />
            </Show>
        </div>
    }
}

/// J/K/Enter/Esc, unless the operator is typing in a field (or Enter is on a control of its own).
fn keyboard(console: Console, event: &web_sys::KeyboardEvent) {
    if event.ctrl_key() || event.meta_key() || event.alt_key() || event.is_composing() {
        return;
    }
    let target = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok());
    let tag = target.map(|element| element.tag_name()).unwrap_or_default();
    let typing = matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT");
    let on_control = matches!(tag.as_str(), "BUTTON" | "A");
    let inbox = console.inbox;
    if inbox.with_untracked(|inbox| inbox.me.is_none()) {
        return;
    }
    match event.key().as_str() {
        // An open menu closes first; Esc again leaves the conversation.
        "Escape" if !in_open_menu(event) => {
            event.prevent_default();
            let open = inbox.with_untracked(|inbox| inbox.open.as_ref().map(|thread| thread.id));
            console.open(None);
            if let Some(id) = open {
                list::focus(id);
            }
        }
        "j" | "J" if !typing => step(console, Event::Next),
        "k" | "K" if !typing => step(console, Event::Previous),
        "Enter" if !typing && !on_control => {
            if let Some(id) = inbox.with_untracked(|inbox| inbox.highlighted) {
                event.prevent_default();
                console.open(Some(id));
            }
        }
        _ => {}
    }
}

/// Whether `event` is an Esc for the assign menu: from inside it while it is expanded, or
/// already handled by it (whichever listener hears the key first).
fn in_open_menu(event: &web_sys::KeyboardEvent) -> bool {
    let menu = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest(".co-assign").ok().flatten());
    menu.is_some_and(|menu| {
        event.default_prevented()
            || menu
                .query_selector("[aria-expanded=true]")
                .ok()
                .flatten()
                .is_some()
    })
}

fn step(console: Console, direction: Event) {
    console.on(direction);
    if let Some(id) = console.inbox.with_untracked(|inbox| inbox.highlighted) {
        list::focus(id);
    }
}
