//! The browser a visitor writes from, as operators see it: the request's `User-Agent`, without
//! control characters and cut to [`MAX_BROWSER_BYTES`], since a client can send any header.

use axum::http::{HeaderMap, header};

/// Longest `User-Agent` kept; today's browsers send about 150 bytes.
pub const MAX_BROWSER_BYTES: usize = 256;

/// The request's `User-Agent` as kept, or `None` when it sends none that is readable.
pub fn from_headers(headers: &HeaderMap) -> Option<String> {
    let agent = headers.get(header::USER_AGENT)?.to_str().ok()?;
    let mut kept = String::with_capacity(agent.len().min(MAX_BROWSER_BYTES));
    for character in agent.chars().filter(|character| !character.is_control()) {
        if kept.len() + character.len_utf8() > MAX_BROWSER_BYTES {
            break;
        }
        kept.push(character);
    }
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn agent(value: &'static [u8]) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_bytes(value).expect("a header value"),
        );
        from_headers(&headers)
    }

    #[test]
    fn keeps_a_browsers_agent_cut_to_size() {
        assert_eq!(
            agent(b"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0").as_deref(),
            Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")
        );
        assert_eq!(
            agent(&[b'a'; 1000]).map(|kept| kept.len()),
            Some(MAX_BROWSER_BYTES)
        );
        assert_eq!(agent(b"a\tb").as_deref(), Some("ab"));
        assert_eq!(agent(b"   "), None);
        assert_eq!(from_headers(&HeaderMap::new()), None);
    }
}
