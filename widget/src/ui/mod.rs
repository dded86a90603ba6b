//! The open chat's UI, mounted into the loader's root element (the loader draws the collapsed
//! tab and its badge). Components only render signals of the session's [`Chat`].

mod composer;
mod contact;
mod effect;
mod message;
mod panel;

use crate::browser;
use crate::session::Chat;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The loader's shadow host, whose style carries the visual viewport's size.
const HOST_ID: &str = "collaboration-system-web-chat-1ce";

#[component]
pub fn App(chat: Chat) -> impl IntoView {
    let params = &chat.config.params;
    let title = client_core::i18n::title_or_default(&params.title_text, chat.strings);
    view! { <panel::Panel chat=chat title=title.to_owned() /> }
}

/// Keeps `chat.page_shown` in step with whether the browser shows the page's tab.
pub fn follow_page_visibility(chat: Chat) {
    let update = move || chat.page_shown.set(!browser::document().hidden());
    update();
    let listener = Closure::<dyn Fn()>::new(update);
    let _ = browser::document()
        .add_event_listener_with_callback("visibilitychange", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Keeps `--cw-viewport-height` / `--cw-viewport-top` on the widget's root in step with the
/// visual viewport, so the full-screen chat on phones ends above the on-screen keyboard.
pub fn follow_visual_viewport() {
    let Some(viewport) = browser::window().visual_viewport() else {
        return;
    };
    let update = {
        let viewport = viewport.clone();
        move || {
            let Some(host) = browser::document().get_element_by_id(HOST_ID) else {
                return;
            };
            let Ok(host) = host.dyn_into::<web_sys::HtmlElement>() else {
                return;
            };
            let style = host.style();
            let _ = style.set_property("--cw-viewport-height", &browser::css_px(viewport.height()));
            let _ =
                style.set_property("--cw-viewport-top", &browser::css_px(viewport.offset_top()));
        }
    };
    update();
    let listener = Closure::<dyn Fn()>::new(update);
    for event in ["resize", "scroll"] {
        let _ = viewport.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    listener.forget();
}
