//! The chat widget, compiled to WebAssembly and loaded by the backend's loader script.
//!
//! Not implemented yet: this placeholder proves the build pipeline (Leptos CSR, trunk,
//! wasm-bindgen, wasm-opt) end to end. It renders nothing on the host page and defines no
//! `CollaborationSystemWebChat1CE` API; it only says so in the browser console.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn info(message: &str);
}

fn main() {
    info("webchat widget: the chat UI is not implemented yet; nothing is rendered");
}
