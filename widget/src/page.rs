//! The boundary with the loader script (`backend/src/api/loader.js`), which owns the page API,
//! its listeners and the collapsed tab: it calls [`start_chat`] once the bundle is loaded and
//! then the [`Engine`]'s methods with arguments it has already checked; the chat calls back
//! through [`Loader`] for events and the unread count. Here the session and its UI are put
//! together: neither knows this module.

use crate::config::Config;
use crate::loader::Loader;
use crate::session::Chat;
use crate::ui;
use client_core::contact::ContactUpdate;
use js_sys::{Array, Promise};
use leptos::prelude::*;
use protocol::TextFormat;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

/// Starts the chat: the panel goes into `root` (the loader's element in its shadow root).
#[wasm_bindgen(js_name = startChat)]
pub fn start_chat(
    config: JsValue,
    root: web_sys::Element,
    loader: Loader,
) -> Result<Engine, JsValue> {
    let config = Config::from_value(&config).map_err(|error| JsValue::from(error.to_string()))?;
    // The chat lives as long as the page: its configuration and reactive owner are never freed.
    let owner = Owner::new();
    owner.set();
    std::mem::forget(owner);
    let chat = Chat::new(Box::leak(Box::new(config)), loader);
    // Mounting starts Leptos' executor, which effects need.
    std::mem::forget(leptos::mount::mount_to(
        wasm_bindgen::JsCast::unchecked_into(root),
        move || ui::App(ui::AppProps { chat }),
    ));
    ui::follow_visual_viewport();
    ui::follow_page_visibility(chat);
    // A visitor an earlier interaction left reconnects.
    chat.resume();
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

    /// Merges: `undefined` keeps a field, `""` clears it.
    #[wasm_bindgen(js_name = setContact)]
    pub fn set_contact(&self, name: Option<String>, email: Option<String>, phone: Option<String>) {
        self.chat
            .merge_contact(ContactUpdate { name, email, phone });
    }

    /// `[name, email, phone]`, empty strings for what is unknown.
    pub fn contact(&self) -> Array {
        let contact = self.chat.contact();
        [contact.name, contact.email, contact.phone]
            .into_iter()
            .map(|field| JsValue::from(field.unwrap_or_default()))
            .collect()
    }

    pub fn identify(&self, token: String) {
        self.chat.identify(token);
    }

    #[wasm_bindgen(js_name = forgetIdentified)]
    pub fn forget_identified(&self) {
        self.chat.forget_identified();
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
