//! The words of the messages no one writes that show what happened in a conversation:
//! operators joining or leaving it (`addMembers` / `removeMembers` of `updateConversation`),
//! in the language the integration's `languageCode` picks for the widget.

use crate::config::languages;

/// What happened to a member of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Joined,
    Left,
}

/// The line the visitor sees in the log.
pub fn member_notice(language_code: &str, name: &str, change: MemberChange) -> String {
    let language = languages::pick(language_code);
    let line = match change {
        MemberChange::Joined => &language.member_joined,
        MemberChange::Left => &language.member_left,
    };
    line.replace("{name}", name)
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
        assert_eq!(
            member_notice("ar", "{name}", MemberChange::Left),
            "غادر {name} المحادثة"
        );
    }
}
