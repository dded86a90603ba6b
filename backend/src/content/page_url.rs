//! The page address a visitor's message carries to operators (stored, and sent on to 1C). A
//! browser's address holds more than the page: a query string and a fragment often carry
//! password-reset and OAuth tokens (`?reset=...`, `#access_token=...`), and the user part
//! credentials. Only the scheme, host and path are kept, plus the query when the integration
//! opts in (`send_page_query`); the fragment never. The widget sends no more than that, and this
//! holds the line against widgets that do (older ones sent the whole address).

use url::Url;

/// Whether the page's query string is kept (an integration's `send_page_query`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PageQuery {
    #[default]
    Drop,
    Keep,
}

/// `address` without what operators must not see; empty when it is not an absolute URL.
pub fn for_operators(address: &str, query: PageQuery) -> String {
    let Ok(mut url) = Url::parse(address.trim()) else {
        return String::new();
    };
    url.set_fragment(None);
    if query == PageQuery::Drop {
        url.set_query(None);
    }
    // Fails only for URLs that cannot have credentials, which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_origin_and_path_only_by_default() {
        let address = "https://user:pw@shop.example/account/reset?reset=SECRET#access_token=X";
        assert_eq!(
            for_operators(address, PageQuery::Drop),
            "https://shop.example/account/reset"
        );
        assert_eq!(
            for_operators(address, PageQuery::Keep),
            "https://shop.example/account/reset?reset=SECRET"
        );
        assert_eq!(
            for_operators("https://shop.example/cart", PageQuery::Drop),
            "https://shop.example/cart"
        );
    }

    #[test]
    fn the_fragment_never_survives() {
        assert_eq!(
            for_operators("https://shop.example/#access_token=X", PageQuery::Keep),
            "https://shop.example/"
        );
        assert_eq!(
            for_operators("https://shop.example/p?q=1#t=X", PageQuery::Keep),
            "https://shop.example/p?q=1"
        );
    }

    #[test]
    fn what_is_not_an_address_is_dropped() {
        assert_eq!(for_operators("", PageQuery::Keep), "");
        assert_eq!(for_operators("/cart?reset=SECRET", PageQuery::Keep), "");
    }
}
