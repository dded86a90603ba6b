//! The types canned replies are stored in (the [`super::CannedStore`] trait is in
//! `interface.rs`, with the others): a checked shortcut and text, and why one is refused.

use protocol::operator::CannedReply;

/// The longest shortcut, in characters: typed after `/`, it stays short.
pub const MAX_SHORTCUT_CHARS: usize = 32;

/// A canned reply's shortcut and text, checked: the shortcut lower-cased, without its leading
/// `/`, one word; the text not blank and no longer than a message may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedDraft {
    shortcut: String,
    text: String,
}

/// Why a shortcut or text is refused; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCanned {
    #[error("shortcut is empty: give a word to type after /")]
    EmptyShortcut,
    #[error("shortcut is longer than {MAX_SHORTCUT_CHARS} characters")]
    LongShortcut,
    #[error("shortcut must be one word: no spaces, slashes or control characters")]
    ShortcutNotAWord,
    #[error("text is empty")]
    EmptyText,
    #[error("text is longer than a message may be ({limit} bytes)")]
    LongText { limit: usize },
}

impl CannedDraft {
    /// `shortcut` (a leading `/` is dropped, the rest lower-cased) and `text`, if both are
    /// allowed; `max_text_bytes` is the message limit, so the reply can be sent as it is.
    pub fn new(shortcut: &str, text: &str, max_text_bytes: usize) -> Result<Self, InvalidCanned> {
        let shortcut = shortcut.trim();
        let shortcut = shortcut
            .strip_prefix('/')
            .unwrap_or(shortcut)
            .to_lowercase();
        if shortcut.is_empty() {
            return Err(InvalidCanned::EmptyShortcut);
        }
        if shortcut.chars().count() > MAX_SHORTCUT_CHARS {
            return Err(InvalidCanned::LongShortcut);
        }
        if shortcut
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(InvalidCanned::ShortcutNotAWord);
        }
        if text.trim().is_empty() {
            return Err(InvalidCanned::EmptyText);
        }
        if text.len() > max_text_bytes {
            return Err(InvalidCanned::LongText {
                limit: max_text_bytes,
            });
        }
        Ok(Self {
            shortcut,
            text: text.to_owned(),
        })
    }

    pub fn shortcut(&self) -> &str {
        &self.shortcut
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What saving a canned reply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CannedSaved {
    Saved(CannedReply),
    /// Another canned reply of the integration has that shortcut (the API's 409).
    ShortcutTaken,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_are_one_lower_cased_word_without_the_slash() {
        let draft = CannedDraft::new(" /Hello ", "Hello!", 100).unwrap();
        assert_eq!((draft.shortcut(), draft.text()), ("hello", "Hello!"));
        assert_eq!(
            CannedDraft::new("привет", "x", 100).unwrap().shortcut(),
            "привет"
        );
        for (shortcut, refusal) in [
            ("", InvalidCanned::EmptyShortcut),
            ("/", InvalidCanned::EmptyShortcut),
            ("two words", InvalidCanned::ShortcutNotAWord),
            ("a/b", InvalidCanned::ShortcutNotAWord),
            ("tab\there", InvalidCanned::ShortcutNotAWord),
            (
                &"x".repeat(MAX_SHORTCUT_CHARS + 1),
                InvalidCanned::LongShortcut,
            ),
        ] {
            assert_eq!(
                CannedDraft::new(shortcut, "text", 100),
                Err(refusal),
                "{shortcut:?}"
            );
        }
        assert!(CannedDraft::new(&"x".repeat(MAX_SHORTCUT_CHARS), "t", 100).is_ok());
    }

    #[test]
    fn texts_are_not_blank_and_fit_a_message() {
        assert_eq!(
            CannedDraft::new("a", " \n ", 100),
            Err(InvalidCanned::EmptyText)
        );
        assert_eq!(
            CannedDraft::new("a", &"é".repeat(51), 100),
            Err(InvalidCanned::LongText { limit: 100 })
        );
        assert!(CannedDraft::new("a", &"é".repeat(50), 100).is_ok());
    }
}
