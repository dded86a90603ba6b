//! What a client's WebSocket message asks for, checked without the store: a frame read from its
//! JSON, a message as the client sent it turned into the message to store, a contact checked. A
//! check that fails gives a [`Refusal`], which the session sends back as an `error` frame.

use crate::config::settings::Limits;
use crate::content::contact;
use crate::content::page_url::{self, PageQuery};
use crate::content::sanitize::sanitize_html;
use crate::store::NewMessage;
use axum::extract::ws::Message as WsMessage;
use protocol::{ClientFrame, ContactInfo, ErrorCode, PageInfo, TextFormat};

/// Longest client-chosen message id.
pub const MAX_CLIENT_ID_CHARS: usize = 64;
/// Longest page URL and title kept with a message.
pub const MAX_PAGE_URL_CHARS: usize = 2048;
pub const MAX_PAGE_TITLE_CHARS: usize = 512;

/// A frame the session does not carry out: what the `error` frame says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub reason: String,
    /// The refused message's id, so the widget marks that message.
    pub client_id: Option<String>,
}

impl Refusal {
    fn new(code: ErrorCode, reason: String) -> Self {
        Self {
            code,
            reason,
            client_id: None,
        }
    }

    fn of_message(code: ErrorCode, reason: String, client_id: String) -> Self {
        Self {
            code,
            reason,
            client_id: Some(client_id),
        }
    }
}

/// What a WebSocket message from the client is.
#[derive(Debug)]
pub enum Incoming {
    /// A frame, or why it is not one. Either counts against the visitor's frame limit.
    Frame(Result<ClientFrame, Refusal>),
    /// A ping or pong: the WebSocket library answers pings, which keeps at most one pong
    /// pending, so a ping flood costs no more than reading it.
    Control,
    /// The client closes the socket.
    Close,
}

/// Reads a client's WebSocket message.
pub fn decode(message: WsMessage) -> Incoming {
    match message {
        WsMessage::Text(text) => Incoming::Frame(
            serde_json::from_str::<ClientFrame>(text.as_str()).map_err(|error| {
                Refusal::new(ErrorCode::BadFrame, format!("not a valid frame: {error}"))
            }),
        ),
        WsMessage::Binary(_) => Incoming::Frame(Err(Refusal::new(
            ErrorCode::BadFrame,
            "frames are JSON text, not binary".into(),
        ))),
        WsMessage::Ping(_) | WsMessage::Pong(_) => Incoming::Control,
        WsMessage::Close(_) => Incoming::Close,
    }
}

/// The message `sent` (a `send` frame's fields) as it is stored: its id checked, its size
/// within `limits`, HTML sanitized and not empty after that, the page's address stripped of
/// what operators must not see (the query kept only as `page_query` says) and both page fields
/// cut to their longest.
pub fn parse_send(
    sent: NewMessage,
    limits: &Limits,
    page_query: PageQuery,
) -> Result<NewMessage, Refusal> {
    let NewMessage {
        client_id,
        text,
        text_format,
        page,
    } = sent;
    if client_id.is_empty()
        || client_id.chars().count() > MAX_CLIENT_ID_CHARS
        || client_id.chars().any(char::is_control)
    {
        let reason = format!(
            "client_id must be 1 to {MAX_CLIENT_ID_CHARS} characters, none of them control characters"
        );
        return Err(Refusal::of_message(ErrorCode::BadFrame, reason, client_id));
    }
    // PostgreSQL's text refuses U+0000, and it means nothing in a chat message.
    if text.contains('\0') {
        let reason =
            "message contains a NUL character (U+0000), which text may not hold".to_owned();
        return Err(Refusal::of_message(ErrorCode::BadFrame, reason, client_id));
    }
    if text.len() > limits.max_message_bytes {
        let reason = format!(
            "message is {} bytes; the limit is {} bytes",
            text.len(),
            limits.max_message_bytes
        );
        return Err(Refusal::of_message(
            ErrorCode::MessageTooLarge,
            reason,
            client_id,
        ));
    }
    let text = match text_format {
        TextFormat::Html => sanitize_html(&text),
        TextFormat::Plain => text,
    };
    if text.trim().is_empty() {
        let reason = "message is empty (after removing disallowed HTML)".to_owned();
        return Err(Refusal::of_message(
            ErrorCode::EmptyMessage,
            reason,
            client_id,
        ));
    }
    let page = page.map(|page| PageInfo {
        url: page_url::for_operators(&page.url, page_query)
            .chars()
            .take(MAX_PAGE_URL_CHARS)
            .collect(),
        title: page
            .title
            .chars()
            .filter(|c| *c != '\0')
            .take(MAX_PAGE_TITLE_CHARS)
            .collect(),
    });
    Ok(NewMessage {
        client_id,
        text,
        text_format,
        page,
    })
}

/// The contact of a `set_contact` frame as it is stored.
pub fn parse_contact(contact: ContactInfo) -> Result<ContactInfo, Refusal> {
    contact::validate(contact)
        .map_err(|error| Refusal::new(ErrorCode::InvalidContact, error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(client_id: &str, text: &str, text_format: TextFormat) -> NewMessage {
        NewMessage {
            client_id: client_id.into(),
            text: text.into(),
            text_format,
            page: None,
        }
    }

    fn refusal(sent: NewMessage) -> Refusal {
        parse_send(sent, &Limits::default(), PageQuery::Drop).unwrap_err()
    }

    /// `sent` as stored under the default limits.
    fn accepted(sent: NewMessage, page_query: PageQuery) -> NewMessage {
        parse_send(sent, &Limits::default(), page_query).unwrap()
    }

    /// The page info of a message sent with `page`, as stored.
    fn page_kept(url: &str, title: &str, page_query: PageQuery) -> PageInfo {
        let message = NewMessage {
            page: Some(PageInfo {
                url: url.into(),
                title: title.into(),
            }),
            ..sent("c", "hi", TextFormat::Plain)
        };
        accepted(message, page_query).page.unwrap()
    }

    #[test]
    fn decodes_text_frames_and_refuses_binary_and_broken_ones() {
        let ping = decode(WsMessage::text(r#"{"type":"ping"}"#));
        assert!(
            matches!(ping, Incoming::Frame(Ok(ClientFrame::Ping))),
            "{ping:?}"
        );
        for message in [
            WsMessage::text("{not json"),
            WsMessage::text(r#"{"type":"launch"}"#),
            WsMessage::Binary(b"{}".to_vec().into()),
        ] {
            let Incoming::Frame(Err(refusal)) = decode(message) else {
                panic!("not refused");
            };
            assert_eq!(refusal.code, ErrorCode::BadFrame);
            assert_eq!(refusal.client_id, None);
        }
        assert!(matches!(
            decode(WsMessage::Ping(Default::default())),
            Incoming::Control
        ));
        assert!(matches!(decode(WsMessage::Close(None)), Incoming::Close));
    }

    #[test]
    fn keeps_a_plain_message_as_sent() {
        let stored = accepted(sent("c-1", "  hello  ", TextFormat::Plain), PageQuery::Drop);
        assert_eq!(stored.client_id, "c-1");
        assert_eq!(stored.text, "  hello  ");
        assert_eq!(stored.text_format, TextFormat::Plain);
        assert_eq!(stored.page, None);
    }

    #[test]
    fn refuses_client_ids_empty_or_over_the_longest_counted_in_characters() {
        let longest = "я".repeat(MAX_CLIENT_ID_CHARS);
        let limits = Limits::default();
        assert!(
            parse_send(
                sent(&longest, "hi", TextFormat::Plain),
                &limits,
                PageQuery::Drop
            )
            .is_ok()
        );
        for client_id in [String::new(), format!("{longest}я")] {
            let refused = refusal(sent(&client_id, "hi", TextFormat::Plain));
            assert_eq!(refused.code, ErrorCode::BadFrame);
            assert_eq!(refused.client_id.as_deref(), Some(client_id.as_str()));
            assert!(
                refused.reason.contains("1 to 64 characters"),
                "{}",
                refused.reason
            );
        }
    }

    #[test]
    fn refuses_nul_in_a_text_and_control_characters_in_a_client_id() {
        let refused = refusal(sent("c-1", "a\0b", TextFormat::Plain));
        assert_eq!(refused.code, ErrorCode::BadFrame);
        assert!(refused.reason.contains("NUL"), "{}", refused.reason);
        let refused = refusal(sent("c\u{1}", "hi", TextFormat::Plain));
        assert!(
            refused.reason.contains("control characters"),
            "{}",
            refused.reason
        );
        let mut titled = sent("c-2", "hi", TextFormat::Plain);
        titled.page = Some(PageInfo {
            url: "https://shop.example/".into(),
            title: "Sh\0op".into(),
        });
        let page = accepted(titled, PageQuery::Drop).page.unwrap();
        assert_eq!(page.title, "Shop");
    }

    #[test]
    fn refuses_a_text_over_the_limit_counted_in_bytes() {
        let limits = Limits {
            max_message_bytes: 4,
            ..Limits::default()
        };
        assert!(
            parse_send(
                sent("c", "abcd", TextFormat::Plain),
                &limits,
                PageQuery::Drop
            )
            .is_ok()
        );
        // Three characters, six bytes.
        let refused = parse_send(
            sent("c", "жжж", TextFormat::Plain),
            &limits,
            PageQuery::Drop,
        )
        .unwrap_err();
        assert_eq!(refused.code, ErrorCode::MessageTooLarge);
        assert_eq!(refused.client_id.as_deref(), Some("c"));
        assert_eq!(refused.reason, "message is 6 bytes; the limit is 4 bytes");
    }

    #[test]
    fn refuses_a_message_empty_as_sent_or_after_sanitizing() {
        for (text, format) in [
            ("", TextFormat::Plain),
            (" \n\t", TextFormat::Plain),
            ("<script>alert(1)</script>", TextFormat::Html),
            ("<p> </p>", TextFormat::Html),
        ] {
            let refused = refusal(sent("c", text, format));
            assert_eq!(refused.code, ErrorCode::EmptyMessage, "{text:?}");
            assert_eq!(refused.client_id.as_deref(), Some("c"));
        }
    }

    #[test]
    fn sanitizes_html_but_keeps_plain_text_as_written() {
        let html = sent("c", "<b>hi</b><script>x()</script>", TextFormat::Html);
        assert_eq!(accepted(html, PageQuery::Drop).text, "<b>hi</b>");
        let plain = sent("c", "<b>hi</b>", TextFormat::Plain);
        assert_eq!(accepted(plain, PageQuery::Drop).text, "<b>hi</b>");
    }

    #[test]
    fn strips_and_cuts_the_page_info() {
        let long = format!(
            "https://user:pw@shop.example/{}?reset=secret#token",
            "p".repeat(MAX_PAGE_URL_CHARS)
        );
        let title = "т".repeat(MAX_PAGE_TITLE_CHARS + 10);
        let kept = page_kept(&long, &title, PageQuery::Drop);
        assert_eq!(kept.url.chars().count(), MAX_PAGE_URL_CHARS);
        assert!(
            kept.url.starts_with("https://shop.example/ppp"),
            "{}",
            kept.url
        );
        assert!(!kept.url.contains("secret") && !kept.url.contains("token"));
        assert_eq!(kept.title.chars().count(), MAX_PAGE_TITLE_CHARS);
        let address = "https://shop.example/cart?item=7#top";
        let url = |address, page_query| page_kept(address, "Shop", page_query).url;
        assert_eq!(url(address, PageQuery::Drop), "https://shop.example/cart");
        assert_eq!(
            url(address, PageQuery::Keep),
            "https://shop.example/cart?item=7"
        );
        assert_eq!(url("not a url", PageQuery::Keep), "");
    }

    #[test]
    fn refuses_an_invalid_contact() {
        let contact = ContactInfo {
            email: Some("not an address".into()),
            ..ContactInfo::default()
        };
        let refused = parse_contact(contact).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidContact);
        assert_eq!(refused.client_id, None);
        let fine = ContactInfo {
            name: Some("Anna".into()),
            ..ContactInfo::default()
        };
        assert_eq!(parse_contact(fine.clone()), Ok(fine));
    }
}
