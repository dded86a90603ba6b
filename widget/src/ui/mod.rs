//! The chat's UI: the collapsed tab (a round button on narrow screens) with the unread badge,
//! and the open panel. Components only render signals of the session's [`Chat`].

mod composer;
mod contact;
mod message;
mod panel;

use crate::browser;
use crate::session::Chat;
use leptos::prelude::*;
use protocol::params::{ColorTheme, MobileButtonOrientation, Orientation, OrientationPadding};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// The root's classes: theme and placement from the integration parameters.
fn root_class(chat: Chat) -> String {
    let params = &chat.config.params;
    let theme = match params.color_theme {
        ColorTheme::Auto => "auto",
        ColorTheme::Light => "light",
        ColorTheme::Dark => "dark",
    };
    let side = match params.orientation {
        Orientation::Left => "left",
        Orientation::Bottom => "bottom",
        Orientation::Right => "right",
    };
    let padding = match params.orientation_padding {
        OrientationPadding::Start => "0",
        OrientationPadding::Middle => "50",
        OrientationPadding::End => "100",
    };
    let mobile = match params.mobile_button_orientation {
        MobileButtonOrientation::LeftBottom => "left",
        MobileButtonOrientation::RightBottom => "right",
    };
    format!("cw-root cw-theme-{theme} cw-at-{side} cw-pad-{padding} cw-mobile-{mobile}")
}

#[component]
pub fn App(chat: Chat) -> impl IntoView {
    let params = &chat.config.params;
    let display_collapsed = params.display_collapsed_state;
    let collapsed_visible =
        move || !chat.open.get() && (display_collapsed || chat.ever_opened.get());
    let show_badge = params.display_unread_messages_mark;
    let unread = move || chat.unread.get().count();
    let badge = move || {
        (show_badge && unread() > 0).then(|| {
            view! {
                <span class="cw-badge" aria-label=move || format!("{} {}", unread(), chat.strings.unread)>
                    {unread}
                </span>
            }
        })
    };
    let title = if params.title_text.is_empty() {
        chat.strings.default_title.to_owned()
    } else {
        params.title_text.clone()
    };
    let tab = NodeRef::<leptos::html::Button>::new();
    let launcher = NodeRef::<leptos::html::Button>::new();
    // Focus goes back where it was when the chat closes: the page's element, else the tab.
    Effect::new(move |was_open: Option<bool>| {
        let open = chat.open.get();
        if was_open == Some(true) && !open {
            browser::after(0, move || {
                let target = chat.take_focus_before_open().or_else(|| {
                    [tab.get_untracked(), launcher.get_untracked()]
                        .into_iter()
                        .flatten()
                        .map(JsCast::unchecked_into::<web_sys::HtmlElement>)
                        .find(|button| button.offset_width() > 0)
                });
                if let Some(target) = target {
                    let _ = target.focus();
                }
            });
        }
        open
    });
    view! {
        <div class=root_class(chat) lang=chat.strings.lang>
            <button
                class="cw-tab"
                node_ref=tab
                hidden=move || !collapsed_visible()
                aria-label=chat.strings.open_chat
                style:background-color=params.title_back_color.clone()
                style:color=params.title_text_color.clone()
                on:click=move |_| chat.open_chat()
            >
                <span class="cw-tab-title">{title.clone()}</span>
                {badge}
            </button>
            <button
                class="cw-launcher"
                node_ref=launcher
                hidden=move || !collapsed_visible()
                aria-label=chat.strings.open_chat
                style:background-color=params.title_back_color.clone()
                style:color=params.title_text_color.clone()
                on:click=move |_| chat.open_chat()
            >
                <svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true">
                    <path fill="currentColor" d="M4 4h16v12H7l-3 3z"></path>
                </svg>
                {badge}
            </button>
            <panel::Panel chat=chat title=title />
        </div>
    }
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
            let Some(host) = browser::document().get_element_by_id(crate::shadow::HOST_ID) else {
                return;
            };
            let Ok(host) = host.dyn_into::<web_sys::HtmlElement>() else {
                return;
            };
            let style = host.style();
            let _ = style.set_property("--cw-viewport-height", &format!("{}px", viewport.height()));
            let _ =
                style.set_property("--cw-viewport-top", &format!("{}px", viewport.offset_top()));
        }
    };
    update();
    let listener = Closure::<dyn Fn()>::new(update);
    for event in ["resize", "scroll"] {
        let _ = viewport.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    }
    listener.forget();
}
