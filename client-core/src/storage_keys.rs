//! The keys under which the widget keeps things in the browser's `localStorage`, per
//! integration. The server's loader script reads the same keys before the widget exists: a page
//! that finds one was visited by someone who chatted before, and loads the chat when idle.

/// The visitor token, written once the visitor has interacted.
pub fn visitor_token(integration_id: &str) -> String {
    format!("cw-webchat:{integration_id}:visitor-token")
}

/// Tokens whose logout the server has not confirmed yet, retried until it does.
pub fn pending_logout(integration_id: &str) -> String {
    format!("cw-webchat:{integration_id}:pending-logout")
}

/// Every key the widget may have written for `integration_id`.
pub fn all(integration_id: &str) -> [String; 2] {
    [
        visitor_token(integration_id),
        pending_logout(integration_id),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_name_the_integration() {
        assert_eq!(
            super::all("shop"),
            [
                "cw-webchat:shop:visitor-token",
                "cw-webchat:shop:pending-logout"
            ]
        );
    }
}
