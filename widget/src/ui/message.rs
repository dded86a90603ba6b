//! One message of the log: picture (when `displayUserPictures`), author, time, text (plain,
//! or HTML built from the allow-list), and for the visitor's own messages their delivery state
//! with a retry button when sending failed, and "Seen" under the newest one operators read.
//! "Seen" comes and goes without re-rendering the message: inside the log's live region, only
//! the word itself is announced, once, as it is shown.

use crate::session::Chat;
use client_core::i18n::Word;
use client_core::{Delivery, Entry, Log};
use leptos::prelude::*;
use protocol::{AuthorKind, TextFormat};

#[component]
pub fn MessageView(chat: Chat, entry: Entry) -> impl IntoView {
    let strings = chat.strings;
    let own = entry.author.kind == AuthorKind::Visitor;
    // A notice of what happened (an operator joined) is no one's: it names no author.
    let author = (entry.author.kind != AuthorKind::System).then(|| {
        let name = entry.author.name.clone();
        let author =
            name.unwrap_or_else(|| strings[if own { Word::You } else { Word::Operator }].into());
        view! { <span class="cw-author">{author}</span> }
    });
    let picture = entry
        .author
        .picture
        .as_deref()
        .filter(|_| chat.config.params.display_user_pictures && !own)
        .map(|path| view! { <img class="cw-avatar" src=chat.config.resolve(path) alt="" /> });
    let status = own.then(|| {
        let (class, label) = match entry.delivery {
            Delivery::Sending => ("cw-status cw-status-sending", &strings[Word::Sending]),
            Delivery::Waiting => ("cw-status cw-status-waiting", &strings[Word::Waiting]),
            Delivery::Sent => ("cw-status cw-status-sent", &strings[Word::Sent]),
            Delivery::Failed => ("cw-status cw-status-failed", &strings[Word::Failed]),
        };
        view! { <span class=class>{label}</span> }
    });
    let seq = entry.seq;
    // Shown and hidden through the UI's one effect type rather than a reactive attribute,
    // which would compile its own render effect into the bundle.
    let seen = own.then(|| {
        let word = NodeRef::<leptos::html::Div>::new();
        super::effect::watch(move || {
            let shown = seq.is_some() && chat.log.with(Log::seen_own) == seq;
            if let Some(word) = word.get() {
                word.set_hidden(!shown);
            }
        });
        view! { <div class="cw-seen" node_ref=word hidden>{&strings[Word::Seen]}</div> }
    });
    let retry = (entry.delivery == Delivery::Failed)
        .then_some(entry.client_id.clone())
        .flatten()
        .map(|client_id| {
            view! {
                <button class="cw-retry" on:click=move |_| chat.retry(&client_id)>
                    {&strings[Word::Retry]}
                </button>
            }
        });
    let text = NodeRef::<leptos::html::Div>::new();
    let body = entry.text.clone();
    let plain = match entry.text_format {
        TextFormat::Plain => Some(body),
        TextFormat::Html => {
            // `NodeRef::on_load`, but through the UI's one effect type.
            let mut unfilled = Some(body);
            super::effect::watch(move || {
                if let Some(element) = text.get()
                    && let Some(body) = unfilled.take()
                {
                    client_core::dom::rich_text::fill(&element, &body);
                }
            });
            None
        }
    };
    let class = match entry.author.kind {
        AuthorKind::Visitor => "cw-msg cw-msg-own",
        AuthorKind::Operator => "cw-msg cw-msg-other",
        // What happened in the conversation (an operator joined or left): no bubble of anyone's.
        AuthorKind::System => "cw-msg cw-msg-system",
    };
    view! {
        <li class=class data-id=entry.id.map(|id| id.to_string()) data-client-id=entry.client_id.clone()>
            {picture}
            <div class="cw-bubble">
                <div class="cw-meta">
                    {author}
                    <time class="cw-time">{crate::browser::clock_time(entry.sent_at)}</time>
                    {status}
                </div>
                <div class="cw-text" node_ref=text>{plain}</div>
                {retry}
            </div>
            {seen}
        </li>
    }
}
