//! "Assign" in the open conversation's header: a disclosure listing the operators of the
//! conversation's integration (the inbox's team, with an online mark kept live by presence
//! events), then "Unassign" while someone answers it. Tab moves through it, Enter or Space
//! picks, Esc closes it and gives the focus back to its button.

use crate::console::Console;
use client_core::inbox::Event;
use client_core::inbox::words::Word;
use leptos::prelude::*;
use protocol::operator::AssignTarget;

const LIST_ID: &str = "co-assign-list";

#[component]
pub fn AssignMenu(console: Console) -> impl IntoView {
    let inbox = console.inbox;
    let expanded = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let summary = move || inbox.with(|inbox| inbox.open.as_ref().and_then(|t| t.summary.clone()));
    let assignee = move || summary().and_then(|conversation| conversation.assignee);
    let mates = move || {
        let integration = summary().map(|conversation| conversation.integration_id);
        inbox.with(|inbox| {
            integration.map_or_else(Vec::new, |id| inbox.team_of(&id).cloned().collect())
        })
    };
    let close = move || {
        expanded.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    };
    let choose = move |target: AssignTarget| {
        close();
        console.on(Event::Assign(target));
    };
    view! {
        <div class="co-assign" on:keydown=move |event| {
            if event.key() == "Escape" && expanded.get_untracked() {
                event.prevent_default();
                close();
            }
        }>
            <button type="button" class="co-button" node_ref=button aria-controls=LIST_ID
                aria-expanded=move || expanded.get().to_string()
                on:click=move |_| expanded.update(|open| *open = !*open)>
                {console.word(Word::Assign)}
            </button>
            <Show when=move || expanded.get()>
                <ul id=LIST_ID class="co-assign-list" aria-label=console.word(Word::Assign)>
                    <For each=mates key=|mate| (mate.id, mate.online) let:mate>
                        <li>
                            <button type="button" class="co-button co-assign-to"
                                aria-current=move || (assignee().map(|a| a.id) == Some(mate.id)).then_some("true")
                                on:click=move |_| choose(AssignTarget::Operator(mate.id))>
                                {mate.name.clone()}
                                {mate.online.then(|| view! {
                                    <span class="co-online">" · " {console.word(Word::Online)}</span>
                                })}
                            </button>
                        </li>
                    </For>
                    <Show when=move || assignee().is_some()>
                        <li>
                            <button type="button" class="co-button co-unassign"
                                on:click=move |_| choose(AssignTarget::Nobody)>
                                {console.word(Word::Unassign)}
                            </button>
                        </li>
                    </Show>
                </ul>
            </Show>
        </div>
    }
}
