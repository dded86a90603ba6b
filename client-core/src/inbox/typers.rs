//! Who is typing in the open conversation, for the console: the visitor or another operator,
//! shown while their notices keep coming and hidden [`TYPING_SHOWN_MS`] after the last one, or
//! at once when a message of theirs arrives. The widget's [`crate::typing::TypingIndicator`]
//! knows typers by name only; here the visitor and an operator are told apart, so an operator's
//! reply does not hide the visitor's typing.

use crate::typing::TYPING_SHOWN_MS;
use protocol::{Author, AuthorKind};

/// Someone typing on the other side of the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typer {
    Visitor,
    /// Another operator, by name.
    Operator(String),
}

impl Typer {
    /// Whether `author` wrote as this typer.
    fn wrote(&self, author: &Author) -> bool {
        match (self, author.kind) {
            (Self::Visitor, AuthorKind::Visitor) => true,
            (Self::Operator(name), AuthorKind::Operator) => author.name.as_ref() == Some(name),
            _ => false,
        }
    }
}

/// The typer shown and when it goes unless another notice comes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typing {
    shown: Option<(Typer, i64)>,
}

impl Typing {
    pub fn shown(&self) -> Option<&Typer> {
        self.shown.as_ref().map(|(typer, _)| typer)
    }

    /// A notice of `typer` at `now`; the latest typer is the one shown.
    pub fn notice(&mut self, typer: Typer, now: i64) {
        self.shown = Some((typer, now + TYPING_SHOWN_MS));
    }

    /// The time is `now`: hides a typer whose notices stopped.
    pub fn tick(&mut self, now: i64) {
        if self.shown.as_ref().is_some_and(|(_, until)| now >= *until) {
            self.shown = None;
        }
    }

    /// A message by `author` arrived: its typing is over.
    pub fn message_from(&mut self, author: &Author) {
        if self.shown().is_some_and(|typer| typer.wrote(author)) {
            self.shown = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(kind: AuthorKind, name: Option<&str>) -> Author {
        Author {
            kind,
            name: name.map(Into::into),
            picture: None,
        }
    }

    #[test]
    fn a_typer_shows_until_five_seconds_after_its_last_notice() {
        let mut typing = Typing::default();
        typing.notice(Typer::Visitor, 1_000);
        typing.tick(5_999);
        assert_eq!(typing.shown(), Some(&Typer::Visitor));
        typing.notice(Typer::Visitor, 3_000);
        typing.tick(7_999);
        assert_eq!(
            typing.shown(),
            Some(&Typer::Visitor),
            "the second notice keeps it"
        );
        typing.tick(8_000);
        assert_eq!(typing.shown(), None);
    }

    #[test]
    fn only_the_typers_own_message_hides_it() {
        let mut typing = Typing::default();
        typing.notice(Typer::Visitor, 0);
        typing.message_from(&author(AuthorKind::Operator, Some("Anna")));
        assert_eq!(
            typing.shown(),
            Some(&Typer::Visitor),
            "a reply is not the visitor's"
        );
        typing.message_from(&author(AuthorKind::Visitor, Some("Olga")));
        assert_eq!(typing.shown(), None);

        typing.notice(Typer::Operator("Boris".into()), 0);
        typing.message_from(&author(AuthorKind::Visitor, None));
        typing.message_from(&author(AuthorKind::Operator, Some("Anna")));
        assert_eq!(typing.shown(), Some(&Typer::Operator("Boris".into())));
        typing.message_from(&author(AuthorKind::Operator, Some("Boris")));
        assert_eq!(typing.shown(), None);
    }
}
