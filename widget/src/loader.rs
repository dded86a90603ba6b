//! What the loader script (`backend/src/api/loader.js`) gives the chat to call back: it
//! dispatches the page's events and draws the collapsed tab's unread badge. Apart from the page
//! API ([`crate::page`]), so the session can call back without reaching up to it.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// The loader's side: it dispatches the page's events and draws the unread badge.
    #[derive(Debug, Clone)]
    pub type Loader;

    /// `open` or `close`: the chat opened or closed, by the page's call or the visitor's click.
    #[wasm_bindgen(method)]
    pub fn emit(this: &Loader, event: &str);

    /// The server refused `what` (`message`, `contact`, `matchingKeyToken`) with `code`
    /// ([`protocol::ErrorCode::name`]) and `message`; `client_id` names a refused message.
    #[wasm_bindgen(method)]
    pub fn refused(this: &Loader, what: &str, code: &str, message: &str, client_id: Option<String>);

    /// Operator messages the visitor has not seen.
    #[wasm_bindgen(method)]
    pub fn unread(this: &Loader, count: u32);
}
