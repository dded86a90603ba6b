//! The widget's place on the host page: a host element appended to `document.body` with an
//! open Shadow DOM root, styled only through a constructed stylesheet in `adoptedStyleSheets`
//! (no `<style>` element, nothing a strict `style-src` blocks).

use crate::browser::document;
use wasm_bindgen::{JsCast, JsValue};

/// The host element's id, for pages and tests that look for the widget.
pub const HOST_ID: &str = "collaboration-system-web-chat-1ce";

#[derive(Debug, thiserror::Error)]
#[error("cannot attach the chat to the page: {0}")]
pub struct ShadowError(String);

impl From<JsValue> for ShadowError {
    fn from(error: JsValue) -> Self {
        Self(format!("{error:?}"))
    }
}

/// Creates the host, its shadow root and the element the app mounts into.
pub fn attach(css: &str) -> Result<web_sys::HtmlElement, ShadowError> {
    let document = document();
    let body = document
        .body()
        .ok_or_else(|| ShadowError("the page has no body".into()))?;
    let host = document.create_element("div")?;
    host.set_id(HOST_ID);
    let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?;
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(css)?;
    js_sys::Reflect::set(
        &root,
        &"adoptedStyleSheets".into(),
        &js_sys::Array::of1(&sheet),
    )?;
    let mount: web_sys::HtmlElement = document.create_element("div")?.unchecked_into();
    root.append_child(&mount)?;
    body.append_child(&host)?;
    Ok(mount)
}
