//! The contact form: name, email, phone. Saving stores them on the visitor (what
//! `getContactInfo()` returns) and sends them to the server.

use crate::session::Chat;
use client_core::i18n::Word;
use leptos::prelude::*;
use protocol::ContactInfo;

fn filled(value: String) -> Option<String> {
    let value = value.trim().to_owned();
    (!value.is_empty()).then_some(value)
}

#[component]
pub fn ContactForm(chat: Chat, on_saved: impl Fn() + 'static) -> impl IntoView {
    let strings = chat.strings;
    let current = chat.contact();
    let name = RwSignal::new(current.name.unwrap_or_default());
    let email = RwSignal::new(current.email.unwrap_or_default());
    let phone = RwSignal::new(current.phone.unwrap_or_default());
    let field = move |label: &'static str,
                      kind: &'static str,
                      class: &'static str,
                      value: RwSignal<String>| {
        view! {
            <label>
                {label}
                <input
                    class=class
                    type=kind
                    prop:value=move || value.get()
                    on:input:target=move |event| value.set(event.target().value())
                />
            </label>
        }
    };
    view! {
        <form class="cw-contact" on:submit=move |event| {
            event.prevent_default();
            chat.set_contact(ContactInfo {
                name: filled(name.get_untracked()),
                email: filled(email.get_untracked()),
                phone: filled(phone.get_untracked()),
            });
            on_saved();
        }>
            <h3>{&strings[Word::ContactTitle]}</h3>
            {field(&strings[Word::Name], "text", "cw-contact-name", name)}
            {field(&strings[Word::Email], "email", "cw-contact-email", email)}
            {field(&strings[Word::Phone], "tel", "cw-contact-phone", phone)}
            <button type="submit" class="cw-save">{&strings[Word::Save]}</button>
        </form>
    }
}
