//! What the widget and the console both do in the browser (the `dom` feature): render
//! message HTML as DOM nodes, speak protocol frames over a WebSocket, warn on the console.

pub mod rich_text;
pub mod socket;

pub use socket::Socket;

/// `console.warn(message)`: a binding of its own costs the bundles less than web-sys' console.
pub fn warn(message: &str) {
    console_warn(message);
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}
