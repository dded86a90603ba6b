//! The operators' console, compiled to WebAssembly and started by `boot.js`: the inbox of the
//! operator's integrations, live over the operator WebSocket, with a conversation pane and the
//! visitor's details. The state lives in `client_core::inbox`; here the browser runs its
//! effects ([`console`]) and renders it ([`ui`]).

mod alerts;
mod api;
mod browser;
mod canned;
mod console;
mod ui;

fn main() {
    let console = console::Console::in_browser_language();
    ui::mount(console);
    console.resume();
}
