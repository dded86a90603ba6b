//! Canned replies in the UI: the composer's picker (typing `/` at the start of the composer
//! opens a listbox of the conversation's integration's canned replies; the composer stays a
//! text box, which ARIA lets own a list it completes from, `aria-autocomplete="list"`, and point
//! at the selected option with `aria-activedescendant`, so arrows, Enter and Esc act on the
//! list while the focus stays in the text; a `textarea` may not be a combobox) and the
//! management view the header opens (list, add, edit, delete).

use crate::canned::Canned;
use crate::console::Console;
use client_core::canned::{Picked, Picker, PickerKey};
use client_core::inbox::words::Word;
use leptos::prelude::*;
use protocol::operator::{CannedReply, NewCannedReply};

/// The listbox's id, which the composer's `aria-controls` names.
const LISTBOX_ID: &str = "co-canned-list";

/// The id of match `id`'s option, for `aria-activedescendant`.
fn option_id(id: i64) -> String {
    format!("co-canned-{id}")
}

/// The composer's picker: its state, and what it needs to filter.
#[derive(Debug, Clone, Copy)]
pub struct Picking {
    console: Console,
    pub picker: RwSignal<Picker>,
    draft: RwSignal<String>,
}

impl Picking {
    /// The picker of the composer whose text is `draft`; it follows the draft and the
    /// canned replies known.
    pub fn new(console: Console, draft: RwSignal<String>) -> Self {
        let canned = expect_context::<Canned>();
        let picking = Self {
            console,
            picker: RwSignal::new(Picker::default()),
            draft,
        };
        Effect::new(move |_| {
            let text = draft.get();
            let integration = console.inbox.with(|inbox| {
                inbox
                    .open
                    .as_ref()
                    .and_then(|thread| thread.summary.as_ref())
                    .map(|summary| summary.integration_id.clone())
            });
            canned.replies.with(|replies| {
                picking
                    .picker
                    .update(|picker| picker.on_draft(&text, replies, integration.as_deref()));
            });
        });
        picking
    }

    /// The listbox's id while it shows, for `aria-controls`: naming an element that is not
    /// there is an invalid reference.
    pub fn controls(self) -> Option<&'static str> {
        self.picker.with(Picker::is_open).then_some(LISTBOX_ID)
    }

    /// The option Enter would insert, for `aria-activedescendant`.
    pub fn active(self) -> Option<String> {
        self.picker
            .with(|picker| {
                picker
                    .is_open()
                    .then(|| picker.selection().map(|reply| option_id(reply.id)))
            })
            .flatten()
    }

    /// A key in the composer: `true` when the picker took it, so the composer and the page
    /// do nothing more with it.
    pub fn on_key(self, event: &web_sys::KeyboardEvent) -> bool {
        if event.is_composing() {
            return false;
        }
        let key = match event.key().as_str() {
            "ArrowDown" => PickerKey::Down,
            "ArrowUp" => PickerKey::Up,
            "Enter" if !event.shift_key() => PickerKey::Enter,
            "Escape" => PickerKey::Escape,
            _ => return false,
        };
        let picked = self.picker.try_update(|picker| picker.on_key(key));
        self.apply(picked.unwrap_or(Picked::Ignored), event)
    }

    fn apply(self, picked: Picked, event: &web_sys::KeyboardEvent) -> bool {
        match picked {
            Picked::Ignored => false,
            Picked::Handled => {
                event.prevent_default();
                event.stop_propagation();
                true
            }
            Picked::Insert(text) => {
                event.prevent_default();
                event.stop_propagation();
                self.draft.set(text);
                true
            }
        }
    }

    fn choose(self, index: usize) {
        if let Some(Picked::Insert(text)) = self.picker.try_update(|picker| picker.choose(index)) {
            self.draft.set(text);
        }
    }
}

/// The picker's listbox, above the composer while it is open.
#[component]
pub fn Suggestions(picking: Picking) -> impl IntoView {
    let console = picking.console;
    let picker = picking.picker;
    let matches = move || {
        picker.with(|picker| {
            picker
                .matches
                .iter()
                .cloned()
                .enumerate()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || picker.with(Picker::is_open)>
            <ul id=LISTBOX_ID class="co-canned" role="listbox" aria-label=console.word(Word::CannedList)>
                <For each=matches key=|(index, reply)| (*index, reply.id) let:entry>
                    <Suggestion picking=picking index=entry.0 reply=entry.1 />
                </For>
                <Show when=move || picker.with(|picker| picker.matches.is_empty())>
                    <li class="co-canned-none" role="option" aria-disabled="true" aria-selected="false">
                        {console.word(Word::NoCannedMatch)}
                    </li>
                </Show>
            </ul>
        </Show>
    }
}

#[component]
fn Suggestion(picking: Picking, index: usize, reply: CannedReply) -> impl IntoView {
    let selected = move || picking.picker.with(|picker| picker.selected == index);
    view! {
        <li id=option_id(reply.id) class="co-canned-option" role="option"
            aria-selected=move || selected().to_string()
            class:co-selected=selected
            // A click must not take the focus from the composer before it inserts.
            on:mousedown=move |event| event.prevent_default()
            on:click=move |_| picking.choose(index)>
            <span class="co-canned-shortcut">"/" {reply.shortcut.clone()}</span>
            " "
            <span class="co-canned-text">{reply.text.clone()}</span>
        </li>
    }
}

/// The management view: the canned replies of the operator's integrations, a form to add one
/// or edit the one picked, and Delete.
#[component]
pub fn Manager(console: Console) -> impl IntoView {
    let canned = expect_context::<Canned>();
    let integrations = console
        .inbox
        .with_untracked(|inbox| inbox.me.as_ref().map(|me| me.integrations.clone()))
        .unwrap_or_default();
    let several = integrations.len() > 1;
    let editing = RwSignal::new(None::<i64>);
    let integration = RwSignal::new(integrations.first().cloned().unwrap_or_default());
    let shortcut = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let clear = move || {
        editing.set(None);
        shortcut.set(String::new());
        text.set(String::new());
    };
    let edit = move |reply: CannedReply| {
        editing.set(Some(reply.id));
        integration.set(reply.integration_id);
        shortcut.set(reply.shortcut);
        text.set(reply.text);
    };
    let ids = move || {
        canned
            .replies
            .with(|replies| replies.iter().map(|reply| reply.id).collect::<Vec<_>>())
    };
    let options = integrations.clone();
    view! {
        <section class="co-manage" role="dialog" aria-labelledby="co-manage-title">
            // A div, not a header: a second banner landmark beside the console's.
            <div class="co-manage-head">
                <h2 id="co-manage-title">{console.word(Word::CannedReplies)}</h2>
                <button type="button" class="co-button" on:click=move |_| canned.managing.set(false)>
                    {console.word(Word::Done)}
                </button>
            </div>
            <p class="co-notice" role="alert">{move || canned.error.get()}</p>
            <ul class="co-manage-list">
                <For each=ids key=|id| *id let:id>
                    {move || canned.replies.with(|replies| replies.iter().find(|reply| reply.id == id).cloned()).map(|reply| {
                        let shown = reply.clone();
                        let label = |word: Word| format!("{} /{}", console.word(word), reply.shortcut);
                        view! {
                            <li class="co-manage-item">
                                <span class="co-canned-shortcut">"/" {shown.shortcut.clone()}</span>
                                {several.then(|| view! { <span class="co-canned-integration">{shown.integration_id.clone()}</span> })}
                                <span class="co-canned-text">{shown.text.clone()}</span>
                                <button type="button" class="co-button" aria-label=label(Word::Edit)
                                    on:click=move |_| edit(shown.clone())>{console.word(Word::Edit)}</button>
                                <button type="button" class="co-button" aria-label=label(Word::Delete)
                                    on:click=move |_| canned.delete(id)>{console.word(Word::Delete)}</button>
                            </li>
                        }
                    })}
                </For>
            </ul>
            <form class="co-manage-form" on:submit=move |event| {
                event.prevent_default();
                let request = NewCannedReply {
                    integration_id: integration.get_untracked(),
                    shortcut: shortcut.get_untracked(),
                    text: text.get_untracked(),
                };
                canned.save(editing.get_untracked(), request, clear);
            }>
                <Show when=move || several && editing.get().is_none()>
                    <label>
                        <span>{console.word(Word::Integration)}</span>
                        <select class="co-input" prop:value=move || integration.get()
                            on:change:target=move |event| integration.set(event.target().value())>
                            {options.iter().map(|id| view! { <option value=id.clone()>{id.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <label>
                    <span>{console.word(Word::Shortcut)}</span>
                    <input class="co-input" required maxlength="33" autocomplete="off"
                        prop:value=move || shortcut.get()
                        on:input:target=move |event| shortcut.set(event.target().value()) />
                </label>
                <label>
                    <span>{console.word(Word::Text)}</span>
                    <textarea class="co-input" rows="3" required
                        prop:value=move || text.get()
                        on:input:target=move |event| text.set(event.target().value())></textarea>
                </label>
                <button type="submit" class="co-button co-primary">
                    {move || console.word(if editing.get().is_some() { Word::Save } else { Word::Add })}
                </button>
                <Show when=move || editing.get().is_some()>
                    <button type="button" class="co-button" on:click=move |_| clear()>{console.word(Word::Cancel)}</button>
                </Show>
            </form>
        </section>
    }
}
