//! The one thing the widget keeps in the browser: the visitor token, under a key per
//! integration. Written only once the visitor has interacted (see `session`).

use crate::browser::window;

fn key(integration_id: &str) -> String {
    format!("cw-webchat:{integration_id}:visitor-token")
}

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn visitor_token(integration_id: &str) -> Option<String> {
    local_storage()?
        .get_item(&key(integration_id))
        .ok()
        .flatten()
}

pub fn keep_visitor_token(integration_id: &str, token: &str) {
    if let Some(storage) = local_storage() {
        // Private modes may refuse: the chat then lasts as long as the page.
        let _ = storage.set_item(&key(integration_id), token);
    }
}

pub fn forget_visitor_token(integration_id: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(&key(integration_id));
    }
}
