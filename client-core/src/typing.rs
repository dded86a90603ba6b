//! Typing notices both ways, as timing rules without timers: the caller passes the time in
//! milliseconds and keeps the clock. [`TypingIndicator`] is who is typing on the other side,
//! shown while their notices keep coming and hidden [`TYPING_SHOWN_MS`] after the last one or
//! at once when their message arrives. [`TypingThrottle`] lets this side's own notices go at
//! most once per [`TYPING_NOTICE_INTERVAL_MS`], as the server would drop more anyway.

/// How long an indicator stays after the last typing notice: the other side sends one every
/// couple of seconds while it types.
pub const TYPING_SHOWN_MS: i64 = 5_000;

/// The shortest time between two typing notices this side sends.
pub const TYPING_NOTICE_INTERVAL_MS: i64 = 2_000;

/// Someone typing on the other side: their name (empty when they have none) and when the
/// indicator goes unless another notice comes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TypingIndicator {
    typing: Option<(String, i64)>,
}

impl TypingIndicator {
    /// The name of whoever is typing (empty for someone without one), while shown.
    pub fn shown(&self) -> Option<&str> {
        self.typing.as_ref().map(|(name, _)| name.as_str())
    }

    /// A typing notice from `name` at `now`: shown until [`TYPING_SHOWN_MS`] later. The latest
    /// typer is the one shown.
    pub fn notice(&mut self, name: String, now: i64) {
        self.typing = Some((name, now + TYPING_SHOWN_MS));
    }

    /// The time is `now`: hides an indicator whose notices stopped. Whether it changed.
    pub fn tick(&mut self, now: i64) -> bool {
        let expired = self.typing.as_ref().is_some_and(|(_, until)| now >= *until);
        if expired {
            self.typing = None;
        }
        expired
    }

    /// A message of the other side's `author` arrived: their typing is over. A message or a
    /// notice without a name could be anyone's, so it ends any indicator. Whether it changed.
    pub fn message_from(&mut self, author: Option<&str>) -> bool {
        let ended = self.typing.as_ref().is_some_and(|(name, _)| {
            name.is_empty() || author.is_none_or(|author| author.is_empty() || author == name)
        });
        if ended {
            self.typing = None;
        }
        ended
    }

    /// Forget who was typing (the conversation is gone).
    pub fn clear(&mut self) {
        self.typing = None;
    }
}

/// When this side last told the other it types.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TypingThrottle {
    sent_at: Option<i64>,
}

impl TypingThrottle {
    /// The composer holds `draft` at `now`: whether to send a typing notice (and count it as
    /// sent). Never for an empty draft: deleting everything is no typing worth showing.
    pub fn typed(&mut self, draft: &str, now: i64) -> bool {
        let due = !draft.trim().is_empty()
            && self
                .sent_at
                .is_none_or(|sent_at| now - sent_at >= TYPING_NOTICE_INTERVAL_MS);
        if due {
            self.sent_at = Some(now);
        }
        due
    }

    /// The message went: the next keystroke starts a new reply worth announcing at once.
    pub fn sent(&mut self) {
        self.sent_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indicator_lasts_five_seconds_after_the_last_notice() {
        let mut indicator = TypingIndicator::default();
        assert_eq!(indicator.shown(), None);
        indicator.notice("Anna".into(), 1_000);
        assert_eq!(indicator.shown(), Some("Anna"));
        assert!(!indicator.tick(5_999), "not yet");
        indicator.notice("Anna".into(), 3_000);
        assert!(!indicator.tick(6_000), "the second notice keeps it");
        assert_eq!(indicator.shown(), Some("Anna"));
        assert!(!indicator.tick(7_999));
        assert!(indicator.tick(8_000));
        assert_eq!(indicator.shown(), None);
        assert!(!indicator.tick(9_000), "nothing left to hide");
    }

    #[test]
    fn the_typers_message_hides_the_indicator_at_once_and_others_do_not() {
        let mut indicator = TypingIndicator::default();
        indicator.notice("Anna".into(), 0);
        assert!(!indicator.message_from(Some("Boris")));
        assert_eq!(indicator.shown(), Some("Anna"));
        assert!(indicator.message_from(Some("Anna")));
        assert_eq!(indicator.shown(), None);
        assert!(!indicator.message_from(Some("Anna")), "already hidden");
    }

    #[test]
    fn without_names_any_message_ends_the_typing() {
        let mut indicator = TypingIndicator::default();
        indicator.notice(String::new(), 0);
        assert_eq!(indicator.shown(), Some(""), "shown, with no name");
        assert!(indicator.message_from(Some("Anna")));
        indicator.notice("Anna".into(), 0);
        assert!(indicator.message_from(None));
        indicator.notice("Anna".into(), 0);
        indicator.clear();
        assert_eq!(indicator.shown(), None);
    }

    #[test]
    fn the_latest_typer_is_shown() {
        let mut indicator = TypingIndicator::default();
        indicator.notice("Anna".into(), 0);
        indicator.notice("Boris".into(), 1_000);
        assert_eq!(indicator.shown(), Some("Boris"));
        assert!(!indicator.tick(5_000), "Boris's notice counts");
        assert!(indicator.tick(6_000));
    }

    #[test]
    fn notices_go_at_most_once_per_two_seconds_and_never_for_an_empty_draft() {
        let mut throttle = TypingThrottle::default();
        assert!(!throttle.typed("", 0));
        assert!(!throttle.typed("  \n", 0));
        assert!(throttle.typed("h", 10), "the first keystroke goes at once");
        assert!(!throttle.typed("he", 500));
        assert!(!throttle.typed("hel", 2_009));
        assert!(throttle.typed("hell", 2_010));
        assert!(
            !throttle.typed("", 5_000),
            "an emptied composer says nothing"
        );
        assert!(throttle.typed("h", 5_000));
        throttle.sent();
        assert!(
            throttle.typed("n", 5_001),
            "a new message announces at once"
        );
    }
}
