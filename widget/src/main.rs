//! The chat widget, compiled to WebAssembly and started by the backend's loader script: it
//! defines `window.CollaborationSystemWebChat1CE` and renders the chat into a Shadow DOM root
//! on the host page.

mod api;
mod browser;
mod config;
mod events;
mod i18n;
mod net;
mod rich_text;
mod session;
mod shadow;
mod socket;
mod storage;
mod style;
mod ui;

fn main() {
    if let Err(error) = session::start() {
        browser::warn(&format!("web chat: cannot start: {error}"));
    }
}
