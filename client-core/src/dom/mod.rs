//! What the widget and the console both do in the browser (the `dom` feature): render
//! message HTML as DOM nodes, speak protocol frames over a WebSocket, read the composer's
//! keys, warn on the console.

pub mod rich_text;
pub mod socket;

pub use socket::Socket;

/// A composer's `keydown` handler: Enter calls `send`, Shift+Enter starts a new line, and an
/// Enter that ends an input method's composition is the composition's.
pub fn send_on_enter(send: impl Fn()) -> impl Fn(web_sys::KeyboardEvent) {
    move |event| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    }
}

/// `console.warn(message)`: a binding of its own costs the bundles less than web-sys' console.
pub fn warn(message: &str) {
    console_warn(message);
}

/// What is wrong with JSON that did not read as expected, and where. Said without
/// `serde_json::Error`'s `Display`, which would ship the texts of every JSON syntax and I/O
/// error in the bundles: the kind and the position tell a developer where to look.
pub fn json_fault(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Eof => "JSON cut short",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "unreadable",
    };
    format!("{kind} at line {}, column {}", error.line(), error.column())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}
