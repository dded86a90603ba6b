//! Small wrappers over browser facilities the rest of the widget uses: console warnings,
//! timers, the clock, random ids and where the visitor is.

use protocol::PageInfo;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the widget runs in a browser window")
}

pub fn document() -> web_sys::Document {
    window()
        .document()
        .expect("the widget runs in a window with a document")
}

pub use client_core::dom::warn;

/// Runs `work` after `delay_ms`, on its own task.
pub fn after(delay_ms: u32, work: impl FnOnce() + 'static) {
    after_boxed(delay_ms, Box::new(work));
}

/// The body of [`after`] for one closure type: each type would otherwise compile its own copy of
/// wasm-bindgen's closure glue into the bundle.
fn after_boxed(delay_ms: u32, work: Box<dyn FnOnce()>) {
    let callback = Closure::once_into_js(work);
    let delay = i32::try_from(delay_ms).unwrap_or(i32::MAX);
    if window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), delay)
        .is_err()
    {
        warn("web chat: cannot set a timer");
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A fresh id for a message this widget sends: unique enough per visitor, needs no secure
/// context (unlike `crypto.randomUUID`).
pub fn client_id() -> String {
    let random = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    format!("w-{:x}-{random:x}", now_ms())
}

/// The host page's address (origin and path: a query or fragment may carry a reset or OAuth
/// token) and title, sent with each message for the operator.
pub fn page() -> PageInfo {
    let location = window().location();
    PageInfo {
        url: location.origin().unwrap_or_default() + &location.pathname().unwrap_or_default(),
        title: document().title(),
    }
}

/// The host page's query string (`?...`, or empty), sent only where the integration opts in.
pub fn page_query() -> String {
    window().location().search().unwrap_or_default()
}

/// `HH:MM` in the visitor's time zone.
pub fn clock_time(epoch_ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_ms as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// `value` as a CSS length in pixels (`"412.5px"`). JavaScript formats the number: the widget
/// then carries no float formatting code of its own.
pub fn css_px(value: f64) -> String {
    let number = js_sys::Number::from(value)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default();
    number + "px"
}
