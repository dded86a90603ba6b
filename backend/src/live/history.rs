//! History in pages: how much of a conversation one frame may carry. A page holds at most
//! [`PAGE_MESSAGES`] messages and at most [`PageBudget::bytes`] of them serialized, each measured,
//! so a `welcome`, `identified` or `history` frame stays well inside the WebSocket's largest
//! message and write buffer ([`crate::api::SocketBuffers`]), however long the conversation. A
//! stored message too large for a page by itself (stored before inbound texts were capped) goes
//! out cut with a visible marker; the store keeps it whole.

use crate::config::languages;
use crate::config::settings::Limits;
use crate::content::sanitize::sanitize_html;
use protocol::{Message, TextFormat};

/// Most messages in one page.
pub const PAGE_MESSAGES: usize = 50;

/// Room for the serialized messages of a page, beyond twice the largest text or token: the
/// WebSocket's largest message is four times that plus 128 KiB, so a page takes at most half of
/// it and the rest of its frame (ids, contact info, `sub`) has the other half.
const PAGE_BASE_BYTES: usize = 64 * 1024;

/// What ends a message cut to fit a page, in the language `language_code` picks.
pub fn cut_marker(language_code: &str) -> &'static str {
    &languages::pick(language_code).cut_marker
}

/// How much one page may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBudget {
    pub messages: usize,
    /// Serialized bytes of the page's messages (JSON, commas and brackets included).
    pub bytes: usize,
}

impl PageBudget {
    pub fn for_limits(limits: &Limits) -> Self {
        Self {
            messages: PAGE_MESSAGES,
            bytes: limits.max_message_bytes.max(limits.max_token_bytes) * 2 + PAGE_BASE_BYTES,
        }
    }

    /// The page size for a client asking for `requested` messages: at least one, at most a page.
    pub fn messages_for(&self, requested: i64) -> usize {
        usize::try_from(requested.max(1))
            .unwrap_or(usize::MAX)
            .min(self.messages)
    }
}

/// Messages to send in one frame, in order, and whether older ones exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub messages: Vec<Message>,
    pub has_older: bool,
}

/// Whether the store holds messages older than the rows a page is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Older {
    Stored,
    None,
}

impl Older {
    /// Rows were read with one more than `wanted`: got that many, older ones exist.
    pub fn from_rows(rows: usize, wanted: usize) -> Self {
        if rows > wanted {
            Self::Stored
        } else {
            Self::None
        }
    }
}

impl Page {
    /// The newest of `rows` (in `seq` order) that fit one page of at most `messages` messages
    /// within `budget`; each message over the budget by itself is cut, ending with `marker`.
    /// Never empty when `rows` is not, so asking for older pages always moves on.
    pub fn newest(
        rows: Vec<Message>,
        messages: usize,
        budget: &PageBudget,
        older: Older,
        marker: &str,
    ) -> Self {
        // The brackets of the array.
        let mut total = 2;
        let mut kept = Vec::with_capacity(rows.len().min(messages));
        let mut has_older = older == Older::Stored;
        for message in rows.into_iter().rev() {
            if kept.len() == messages {
                has_older = true;
                break;
            }
            let message = fitted(message, budget.bytes - 2, marker);
            // One comma per message is one more than an array has: a byte to spare.
            let size = serialized_len(&message) + 1;
            if !kept.is_empty() && total + size > budget.bytes {
                has_older = true;
                break;
            }
            total += size;
            kept.push(message);
        }
        kept.reverse();
        Self {
            messages: kept,
            has_older,
        }
    }
}

/// `message` as it fits `bytes` serialized: itself when it does, else cut (at a character
/// boundary, HTML made whole again) with `marker` at the end.
pub fn fitted(message: Message, bytes: usize, marker: &str) -> Message {
    if serialized_len(&message) <= bytes {
        return message;
    }
    let full = message.text.clone();
    let shortened = |keep: usize| {
        let mut text = full[..keep].to_owned();
        text.push_str(marker);
        let text = match message.text_format {
            TextFormat::Html => sanitize_html(&text),
            TextFormat::Plain => text,
        };
        Message {
            text,
            ..message.clone()
        }
    };
    // The longest prefix that fits, by bisection over byte counts moved to character
    // boundaries: a legacy text of megabytes takes a few dozen measurements.
    let (mut fits, mut too_long) = (0, full.len());
    while too_long - fits > 1 {
        let middle = full.floor_char_boundary(fits + (too_long - fits) / 2);
        if middle == fits {
            break;
        }
        if serialized_len(&shortened(middle)) <= bytes {
            fits = middle;
        } else {
            too_long = middle;
        }
    }
    shortened(fits)
}

/// Bytes `message` takes in a frame's JSON.
pub fn serialized_len(message: &Message) -> usize {
    let mut counter = ByteCounter(0);
    // Writing to a counter cannot fail, and a `Message` always serializes.
    let _ = serde_json::to_writer(&mut counter, message);
    counter.0
}

/// Counts what is written to it: measuring a message without building its JSON.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SocketBuffers;
    use protocol::{Author, AuthorKind};

    const MARKER: &str = " [cut]";

    fn message(seq: i64, text: &str) -> Message {
        Message {
            id: seq,
            conversation_id: 1,
            seq,
            client_id: None,
            author: Author {
                kind: AuthorKind::Operator,
                name: Some("Anna".into()),
                picture: None,
            },
            text: text.into(),
            text_format: TextFormat::Plain,
            sent_at: 1_700_000_000_000,
            edited_at: None,
        }
    }

    fn seqs(page: &Page) -> Vec<i64> {
        page.messages.iter().map(|m| m.seq).collect()
    }

    #[test]
    fn a_page_fits_well_inside_the_sockets_largest_message_for_any_limits() {
        for (max_message_bytes, max_token_bytes) in [(8192, 8192), (100, 100), (1 << 20, 4096)] {
            let limits = Limits {
                max_message_bytes,
                max_token_bytes,
                ..Limits::default()
            };
            let budget = PageBudget::for_limits(&limits);
            let buffers = SocketBuffers::for_limits(&limits);
            assert!(budget.bytes * 2 <= buffers.max_message, "{limits:?}");
            assert!(budget.bytes * 2 <= buffers.max_write_buffer, "{limits:?}");
            // The largest text the server accepts, even all quotes (escaped to two bytes), fits
            // a page by itself uncut.
            let largest = message(1, &"\"".repeat(max_message_bytes));
            assert!(serialized_len(&largest) < budget.bytes, "{limits:?}");
        }
    }

    #[test]
    fn a_page_is_the_newest_messages_bounded_by_count_and_by_measured_bytes() {
        let budget = PageBudget {
            messages: 3,
            bytes: 10_000,
        };
        let rows: Vec<Message> = (1..=5).map(|seq| message(seq, "short")).collect();
        let page = Page::newest(rows.clone(), 3, &budget, Older::None, MARKER);
        assert_eq!(seqs(&page), [3, 4, 5]);
        assert!(page.has_older, "count-bounded");
        let page = Page::newest(rows[3..].to_vec(), 3, &budget, Older::None, MARKER);
        assert_eq!((seqs(&page), page.has_older), (vec![4, 5], false));
        let page = Page::newest(rows[3..].to_vec(), 3, &budget, Older::Stored, MARKER);
        assert!(page.has_older, "the store said so");

        let one = serialized_len(&message(1, &"x".repeat(3000)));
        let rows: Vec<Message> = (1..=5).map(|seq| message(seq, &"x".repeat(3000))).collect();
        let page = Page::newest(rows, 50, &budget, Older::None, MARKER);
        assert_eq!(seqs(&page), [3, 4, 5], "three of {one} bytes fit 10,000");
        assert!(page.has_older, "byte-bounded");
        let json = serde_json::to_string(&page.messages).unwrap();
        assert!(json.len() <= budget.bytes, "{}", json.len());
        assert!(page.messages.iter().all(|m| !m.text.ends_with(MARKER)));
    }

    #[test]
    fn a_message_too_large_alone_goes_out_cut_with_a_marker() {
        let budget = PageBudget {
            messages: 50,
            bytes: 4_000,
        };
        let huge = "ёж\"".repeat(10_000);
        let rows = vec![message(1, "before"), message(2, &huge)];
        let page = Page::newest(rows, 50, &budget, Older::None, MARKER);
        assert_eq!(seqs(&page), [2], "never an empty page");
        assert!(page.has_older);
        let cut = &page.messages[0];
        assert!(cut.text.ends_with(MARKER), "{}", cut.text);
        assert!(huge.starts_with(cut.text.trim_end_matches(MARKER)));
        let size = serialized_len(cut);
        assert!(size <= budget.bytes - 2, "{size}");
        assert!(size > budget.bytes - 40, "cut close to the budget: {size}");
    }

    #[test]
    fn cut_html_stays_well_formed() {
        let mut html = message(1, &"<b>bold</b> <i>and more</i> ".repeat(1000));
        html.text_format = TextFormat::Html;
        let cut = fitted(html, 2_000, MARKER);
        assert!(serialized_len(&cut) <= 2_000);
        assert!(cut.text.contains(MARKER.trim()), "{}", cut.text);
        assert_eq!(cut.text, sanitize_html(&cut.text), "already sanitized");
    }
}
