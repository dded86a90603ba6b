//! `text/html` message text as DOM nodes built one by one from the allow-list parse in
//! [`crate::html`]: no server text ever reaches `innerHTML`. Styles go through CSSOM
//! (`style.setProperty`), which a strict Content Security Policy allows.

use crate::html::{self, Node};
use wasm_bindgen::JsCast;

/// Appends the allowed nodes of `text` to `parent`.
pub fn fill(parent: &web_sys::Element, text: &str) {
    append(parent, &html::parse(text));
}

fn append(parent: &web_sys::Element, nodes: &[Node]) {
    let Some(document) = parent.owner_document() else {
        return;
    };
    for node in nodes {
        let child: web_sys::Node = match node {
            Node::Text(text) => document.create_text_node(text).into(),
            Node::Element(element) => {
                let Ok(created) = document.create_element(element.tag) else {
                    continue;
                };
                if let Some(href) = &element.href {
                    let _ = created.set_attribute("href", href);
                    let _ = created.set_attribute("target", "_blank");
                    let _ = created.set_attribute("rel", "noopener noreferrer");
                }
                if let Some(styled) = created.dyn_ref::<web_sys::HtmlElement>() {
                    for (property, value) in &element.style {
                        let _ = styled.style().set_property(property, value);
                    }
                }
                append(&created, &element.children);
                created.into()
            }
        };
        let _ = parent.append_child(&child);
    }
}
