//! What the widget keeps in the browser, under keys per integration: the visitor token, and
//! the tokens of logouts the server has not confirmed yet (retried until it does). Written only
//! once the visitor has interacted (see `session`).

use crate::browser::window;
use client_core::storage_keys;

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn visitor_token(integration_id: &str) -> Option<String> {
    local_storage()?
        .get_item(&storage_keys::visitor_token(integration_id))
        .ok()
        .flatten()
}

pub fn keep_visitor_token(integration_id: &str, token: &str) {
    if let Some(storage) = local_storage() {
        // Private modes may refuse: the chat then lasts as long as the page.
        let _ = storage.set_item(&storage_keys::visitor_token(integration_id), token);
    }
}

/// Forgets the visitor token if it is still `token`: another tab may have stored a newer one.
pub fn forget_visitor_token(integration_id: &str, token: &str) {
    if visitor_token(integration_id).as_deref() == Some(token)
        && let Some(storage) = local_storage()
    {
        let _ = storage.remove_item(&storage_keys::visitor_token(integration_id));
    }
}

/// Tokens whose logout the server has not confirmed, separated by spaces (tokens never hold
/// one). Kept as one string: list types would cost the bundle more than these few lines.
pub fn pending_logouts(integration_id: &str) -> String {
    local_storage()
        .and_then(|storage| {
            storage
                .get_item(&storage_keys::pending_logout(integration_id))
                .ok()
        })
        .flatten()
        .unwrap_or_default()
}

/// Whether `token`'s logout waits for the server: a tab that finds its token there was logged
/// out by another.
pub fn logout_pending(integration_id: &str, token: &str) -> bool {
    pending_logouts(integration_id)
        .split(' ')
        .any(|kept| kept == token)
}

pub fn add_pending_logout(integration_id: &str, token: &str) {
    if !logout_pending(integration_id, token) {
        keep_pending_logouts(
            integration_id,
            pending_logouts(integration_id) + " " + token,
        );
    }
}

pub fn remove_pending_logout(integration_id: &str, token: &str) {
    let pending = pending_logouts(integration_id)
        .split(' ')
        .filter(|kept| !kept.is_empty() && *kept != token)
        .fold(String::new(), |list, kept| list + " " + kept);
    keep_pending_logouts(integration_id, pending);
}

fn keep_pending_logouts(integration_id: &str, pending: String) {
    let Some(storage) = local_storage() else {
        return;
    };
    let key = storage_keys::pending_logout(integration_id);
    let pending = pending.trim_start_matches(' ');
    let _ = if pending.is_empty() {
        storage.remove_item(&key)
    } else {
        storage.set_item(&key, pending)
    };
}
