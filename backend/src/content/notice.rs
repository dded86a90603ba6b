//! The words of the messages no one writes that show what happened in a conversation:
//! operators joining or leaving it (`addMembers` / `removeMembers` of `updateConversation`),
//! in the language the integration's `languageCode` picks for the widget.

/// What happened to a member of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Joined,
    Left,
}

/// The line the visitor sees in the log.
pub fn member_notice(language_code: &str, name: &str, change: MemberChange) -> String {
    let russian = client_core::i18n::strings(language_code).lang == "ru";
    match (russian, change) {
        (true, MemberChange::Joined) => format!("{name} — в обсуждении"),
        (true, MemberChange::Left) => format!("{name} — вне обсуждения"),
        (false, MemberChange::Joined) => format!("{name} joined the conversation"),
        (false, MemberChange::Left) => format!("{name} left the conversation"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_speaks_the_integration_language() {
        assert_eq!(
            member_notice("en", "Anna", MemberChange::Joined),
            "Anna joined the conversation"
        );
        assert_eq!(
            member_notice("ru_RU", "Анна", MemberChange::Left),
            "Анна — вне обсуждения"
        );
    }
}
