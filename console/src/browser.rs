//! Small wrappers over the browser facilities the console uses: the window, timers, the
//! operator's language, ids for replies, dates, and the address bar.

use client_core::inbox::words::Language;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the console runs in a browser window")
}

pub fn document() -> web_sys::Document {
    window()
        .document()
        .expect("the console runs in a window with a document")
}

/// Runs `work` after `delay_ms`, on its own task.
pub fn after(delay_ms: u32, work: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(work);
    let delay = i32::try_from(delay_ms).unwrap_or(i32::MAX);
    if window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), delay)
        .is_err()
    {
        client_core::dom::warn("console: cannot set a timer");
    }
}

/// The language of the operator's browser.
pub fn language() -> Language {
    Language::from_tag(&window().navigator().language().unwrap_or_default())
}

/// A fresh id for a reply: the server stores a reply once per id, so a retry reuses it.
pub fn client_id() -> String {
    let random = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    format!("c-{:x}-{random:x}", js_sys::Date::now() as i64)
}

/// A moment (milliseconds since the Unix epoch) in the operator's language and time zone.
pub fn local_time(epoch_ms: i64, language: Language) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    date.to_locale_string(language.tag(), &wasm_bindgen::JsValue::UNDEFINED)
        .into()
}

/// `ws://` or `wss://` to `path` on this page's host.
pub fn socket_url(path: &str) -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    format!("{scheme}//{}{path}", location.host().unwrap_or_default())
}

/// The conversation the address names (`/console/conversations/{id}`), for links to one.
pub fn linked_conversation() -> Option<i64> {
    window()
        .location()
        .pathname()
        .ok()?
        .strip_prefix(CONVERSATION_PATH)?
        .parse()
        .ok()
}

/// Puts the open conversation (or the inbox) in the address bar, so a reload comes back to it.
pub fn show_in_address(conversation: Option<i64>) {
    let path = conversation.map_or_else(
        || INBOX_PATH.to_owned(),
        |id| format!("{CONVERSATION_PATH}{id}"),
    );
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
}

const INBOX_PATH: &str = "/console/";
const CONVERSATION_PATH: &str = "/console/conversations/";
