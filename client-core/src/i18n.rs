//! The widget's words in one language. The server holds every language (`backend/i18n/`), picks
//! one from the integration's `languageCode` and hands the widget only its words in the loader's
//! configuration, so the widget's bundle carries no word table of its own. The words travel as a
//! JSON array in the order of [`Word::ALL`]: read as a list of strings, they cost the bundle no
//! code per word (a struct of named fields would compile a matcher of every name into it). The
//! server uses the same words for the collapsed tab its loader script draws.

use serde::{Deserialize, Serialize};
use std::ops::Index;

/// One thing the widget says. Its key in the language files is [`Word::key`]; what each one is
/// for is written beside it in `backend/i18n/en.toml` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// The chat's title when the integration sets no `titleText`.
    DefaultTitle,
    /// The collapsed tab's and round button's spoken name.
    OpenChat,
    /// The panel's close button.
    CloseChat,
    /// The message list's spoken name.
    LogLabel,
    /// The text box's spoken name.
    MessageLabel,
    /// Shown in the empty text box.
    Placeholder,
    /// The button that sends the message.
    Send,
    /// The author of the visitor's messages.
    You,
    /// The author of an operator's message with no name.
    Operator,
    /// A message on its way.
    Sending,
    /// A message held back by the server's rate limit, sent again by itself.
    Waiting,
    /// A message the server stored.
    Sent,
    /// A message that was not sent.
    Failed,
    /// The button under a message that was not sent.
    Retry,
    /// The notice while the chat connects.
    Connecting,
    /// The notice while there is no connection.
    Offline,
    /// The header button that opens the contact form.
    ContactButton,
    /// The contact form's heading.
    ContactTitle,
    /// The contact form's name field.
    Name,
    /// The contact form's e-mail field.
    Email,
    /// The contact form's phone field.
    Phone,
    /// The contact form's button.
    Save,
    /// Shown in a conversation with no messages yet.
    Empty,
    /// The control above the log that fetches older pages of the conversation.
    LoadEarlier,
    /// Under the visitor's newest message that operators have read.
    Seen,
    /// Under the log while an operator types; `{name}` is theirs, or [`Word::Operator`].
    Typing,
}

impl Word {
    /// Every word, in the order [`Words`] holds them.
    pub const ALL: [Self; 26] = [
        Self::DefaultTitle,
        Self::OpenChat,
        Self::CloseChat,
        Self::LogLabel,
        Self::MessageLabel,
        Self::Placeholder,
        Self::Send,
        Self::You,
        Self::Operator,
        Self::Sending,
        Self::Waiting,
        Self::Sent,
        Self::Failed,
        Self::Retry,
        Self::Connecting,
        Self::Offline,
        Self::ContactButton,
        Self::ContactTitle,
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::Save,
        Self::Empty,
        Self::LoadEarlier,
        Self::Seen,
        Self::Typing,
    ];

    /// Its key in the language files.
    pub fn key(self) -> &'static str {
        match self {
            Self::DefaultTitle => "default_title",
            Self::OpenChat => "open_chat",
            Self::CloseChat => "close_chat",
            Self::LogLabel => "log_label",
            Self::MessageLabel => "message_label",
            Self::Placeholder => "placeholder",
            Self::Send => "send",
            Self::You => "you",
            Self::Operator => "operator",
            Self::Sending => "sending",
            Self::Waiting => "waiting",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Retry => "retry",
            Self::Connecting => "connecting",
            Self::Offline => "offline",
            Self::ContactButton => "contact_button",
            Self::ContactTitle => "contact_title",
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Save => "save",
            Self::Empty => "empty",
            Self::LoadEarlier => "load_earlier",
            Self::Seen => "seen",
            Self::Typing => "typing",
        }
    }
}

/// The widget's words in one language, in the order of [`Word::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Words(Vec<String>);

/// A list of words that is not one per [`Word`].
#[derive(Debug, thiserror::Error)]
#[error("{0} words where the chat says {count}", count = Word::ALL.len())]
pub struct WordCount(usize);

impl TryFrom<Vec<String>> for Words {
    type Error = WordCount;

    fn try_from(words: Vec<String>) -> Result<Self, WordCount> {
        if words.len() == Word::ALL.len() {
            Ok(Self(words))
        } else {
            Err(WordCount(words.len()))
        }
    }
}

impl Words {
    /// The words `lookup` finds for each key, or the first key it does not find.
    pub fn from_keys(
        mut lookup: impl FnMut(&'static str) -> Option<String>,
    ) -> Result<Self, &'static str> {
        Word::ALL
            .iter()
            .map(|word| lookup(word.key()).ok_or(word.key()))
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl Index<Word> for Words {
    type Output = str;

    fn index(&self, word: Word) -> &str {
        &self.0[word as usize]
    }
}

/// The chat's title: `titleText`, or the language's default when it is empty.
pub fn title_or_default<'a>(title_text: &'a str, words: &'a Words) -> &'a str {
    if title_text.is_empty() {
        &words[Word::DefaultTitle]
    } else {
        title_text
    }
}

/// "`name` is typing…"; "Operator is typing…" for someone without a name. The word's one
/// placeholder is found by its braces: a character search, where `str::replace` would compile
/// a substring searcher into the widget.
pub fn typing_line(words: &Words, name: &str) -> String {
    let name = if name.is_empty() {
        &words[Word::Operator]
    } else {
        name
    };
    let line = &words[Word::Typing];
    match line.split_once('{').zip(line.split_once('}')) {
        Some(((before, _), (_, after))) => format!("{before}{name}{after}"),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typing_line_names_the_operator_or_says_operator() {
        let words = Words::from_keys(|key| {
            Some(match key {
                "typing" => "{name} is typing…".to_owned(),
                "operator" => "Operator".to_owned(),
                other => other.to_owned(),
            })
        })
        .expect("every word");
        assert_eq!(typing_line(&words, "Anna"), "Anna is typing…");
        assert_eq!(typing_line(&words, ""), "Operator is typing…");
        let chinese = Words::from_keys(|key| {
            Some(
                if key == "typing" {
                    "{name}正在输入…"
                } else {
                    key
                }
                .to_owned(),
            )
        })
        .expect("every word");
        assert_eq!(typing_line(&chinese, "安娜"), "安娜正在输入…");
    }

    #[test]
    fn words_are_one_per_word_in_its_order() {
        let keys: Vec<String> = Word::ALL.iter().map(|word| word.key().to_owned()).collect();
        let words = Words::try_from(keys.clone()).expect("one per word");
        for (index, word) in Word::ALL.into_iter().enumerate() {
            assert_eq!(word as usize, index);
            assert_eq!(&words[word], word.key());
        }
        assert!(Words::try_from(keys[1..].to_vec()).is_err());
        assert_eq!(
            Words::from_keys(|key| (key != "send").then(|| key.to_owned())),
            Err("send")
        );
    }
}
