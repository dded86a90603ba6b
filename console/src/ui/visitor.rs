//! The visitor panel of the open conversation: contact, the verified identity (`sub`), the
//! page the visitor last wrote from, when it was first seen and its browser.

use crate::browser;
use crate::console::Console;
use client_core::inbox::words::Word;
use leptos::prelude::*;

#[component]
pub fn Visitor(console: Console) -> impl IntoView {
    let summary = move || {
        console.inbox.with(|inbox| {
            inbox
                .open
                .as_ref()
                .and_then(|thread| thread.summary.clone())
        })
    };
    let row = move |word: Word, value: Option<String>| {
        value.map(|value| {
            view! {
                <div class="co-field">
                    <dt>{console.word(word)}</dt>
                    <dd>{value}</dd>
                </div>
            }
        })
    };
    move || {
        summary().map(|conversation| {
            let visitor = conversation.visitor;
            let contact = visitor.contact;
            let page = conversation.page.filter(|page| !page.url.is_empty()).map(|page| {
                let text = if page.title.is_empty() { page.url.clone() } else { page.title };
                view! {
                    <div class="co-field">
                        <dt>{console.word(Word::CurrentPage)}</dt>
                        <dd><a href=page.url target="_blank" rel="noopener noreferrer">{text}</a></dd>
                    </div>
                }
            });
            let verified = visitor.sub.map(|sub| {
                view! {
                    <div class="co-field">
                        <dt>{console.word(Word::Verified)}</dt>
                        <dd><span class="co-badge">"✓ " {sub}</span></dd>
                    </div>
                }
            });
            view! {
                <aside class="co-visitor" aria-label=console.word(Word::Visitor)>
                    <h2>{console.word(Word::Visitor)}</h2>
                    <dl>
                        {row(Word::Name, contact.name)}
                        {row(Word::Email, contact.email)}
                        {row(Word::Phone, contact.phone)}
                        {verified}
                        {page}
                        {row(Word::FirstSeen, Some(browser::local_time(visitor.first_seen_at, console.language)))}
                        {row(Word::Browser, visitor.browser)}
                    </dl>
                </aside>
            }
        })
    }
}
