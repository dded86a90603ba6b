//! The boundary with the loader script (`backend/src/api/loader.js`), which owns the page API,
//! its listeners and the collapsed tab: it calls [`start_chat`] once the bundle is loaded and
//! then the [`Engine`]'s methods with arguments it has already checked; the chat calls back
//! through [`Page`] for events and the unread count.

use crate::config::Config;
use crate::session::{self, Chat};
use js_sys::{Array, Promise};
use leptos::prelude::GetUntracked;
use protocol::{ContactInfo, TextFormat};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// The loader's side: it dispatches the page's events and draws the unread badge.
    #[derive(Debug)]
    pub type Page;

    /// `open` or `close`: the chat opened or closed, by the page's call or the visitor's click.
    #[wasm_bindgen(method)]
    pub fn emit(this: &Page, event: &str);

    /// Operator messages the visitor has not seen.
    #[wasm_bindgen(method)]
    pub fn unread(this: &Page, count: u32);
}

/// Starts the chat: the panel goes into `root` (the loader's element in its shadow root).
#[wasm_bindgen(js_name = startChat)]
pub fn start_chat(config: JsValue, root: web_sys::Element, page: Page) -> Result<Engine, JsValue> {
    let config = Config::from_value(&config).map_err(|error| JsValue::from(error.to_string()))?;
    let chat = session::start(config, root, page);
    Ok(Engine { chat })
}

/// The running chat, as the loader sees it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Engine {
    chat: Chat,
}

#[wasm_bindgen]
impl Engine {
    pub fn open(&self) {
        self.chat.open_chat();
    }

    pub fn close(&self) {
        self.chat.close_chat();
    }

    #[wasm_bindgen(js_name = setContact)]
    pub fn set_contact(&self, name: Option<String>, email: Option<String>, phone: Option<String>) {
        self.chat.set_contact(ContactInfo { name, email, phone });
    }

    /// `[name, email, phone]`, empty strings for what is unknown.
    pub fn contact(&self) -> Array {
        let contact = self.chat.contact.get_untracked();
        [contact.name, contact.email, contact.phone]
            .into_iter()
            .map(|field| JsValue::from(field.unwrap_or_default()))
            .collect()
    }

    pub fn identify(&self, token: String) {
        self.chat.identify(token);
    }

    /// Ends the visitor's session on the server and forgets it here.
    pub fn logout(&self) -> Promise {
        let chat = self.chat;
        wasm_bindgen_futures::future_to_promise(async move {
            chat.logout()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|error| js_sys::Error::new(&error.to_string()).into())
        })
    }

    pub fn send(&self, text: &str, html: bool) {
        let format = if html {
            TextFormat::Html
        } else {
            TextFormat::Plain
        };
        self.chat.send(text, format);
    }
}
