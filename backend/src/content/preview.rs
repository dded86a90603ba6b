//! The start of a message as an inbox shows it: plain text on one line, markup removed and
//! entities decoded, cut at [`PREVIEW_CHARS`] characters.

use ammonia::Builder;
use protocol::TextFormat;
use std::sync::LazyLock;

/// Longest preview, in characters, before the ellipsis.
pub const PREVIEW_CHARS: usize = 140;

/// Keeps the text of every element and no element.
static TEXT_ONLY: LazyLock<Builder<'static>> = LazyLock::new(Builder::empty);

/// `text` (in `format`) as one line of at most [`PREVIEW_CHARS`] characters and an ellipsis.
pub fn preview(text: &str, format: TextFormat) -> String {
    let plain = match format {
        TextFormat::Plain => text.to_owned(),
        TextFormat::Html => {
            let stripped = TEXT_ONLY.clean(text).to_string();
            html_escape::decode_html_entities(&stripped).into_owned()
        }
    };
    let line = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_goes_and_entities_read_as_text() {
        assert_eq!(
            preview(
                "<b>Tom &amp; Jerry</b> <i>say</i> &lt;hi&gt;",
                TextFormat::Html
            ),
            "Tom & Jerry say <hi>"
        );
        assert_eq!(
            preview("<b>kept as written</b>", TextFormat::Plain),
            "<b>kept as written</b>"
        );
        assert_eq!(preview("  two\n\nlines ", TextFormat::Plain), "two lines");
    }

    #[test]
    fn long_texts_are_cut_on_a_character() {
        let long = "я".repeat(PREVIEW_CHARS + 10);
        let cut = preview(&long, TextFormat::Plain);
        assert_eq!(cut.chars().count(), PREVIEW_CHARS + 1);
        assert!(cut.ends_with('…'));
        let exact = "a".repeat(PREVIEW_CHARS);
        assert_eq!(preview(&exact, TextFormat::Plain), exact);
    }
}
