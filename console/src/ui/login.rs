//! The login form: e-mail and password, and why a login failed.

use crate::console::Console;
use client_core::inbox::words::Word;
use leptos::prelude::*;

#[component]
pub fn Login(console: Console) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    view! {
        <main class="co-login">
            <form class="co-login-form" on:submit=move |event| {
                event.prevent_default();
                console.log_in(email.get_untracked(), password.get_untracked());
            }>
                <h1>{console.word(Word::Title)}</h1>
                <label for="co-email">{console.word(Word::Email)}</label>
                <input id="co-email" type="email" autocomplete="username" required
                    prop:value=move || email.get()
                    on:input:target=move |event| email.set(event.target().value()) />
                <label for="co-password">{console.word(Word::Password)}</label>
                <input id="co-password" type="password" autocomplete="current-password" required
                    prop:value=move || password.get()
                    on:input:target=move |event| password.set(event.target().value()) />
                <p class="co-error" role="alert">{move || console.login_error.get()}</p>
                <button type="submit" class="co-button co-primary">{console.word(Word::LogIn)}</button>
            </form>
        </main>
    }
}
