//! The words of the messages no one writes that show what happened in a conversation:
//! operators joining or leaving it (`addMembers` / `removeMembers` of `updateConversation`),
//! in the language the integration's `languageCode` picks for the widget; and console operators
//! taking, handing on, closing and reopening it, in English until the language files carry
//! these lines.

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

/// What a console operator did to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleChange<'a> {
    /// Gave it to someone (itself: took it).
    Assigned {
        to: &'a str,
    },
    /// Left it to nobody.
    Unassigned,
    Closed,
    Reopened,
}

/// The line the log shows for what the operator `by` did.
pub fn console_notice(by: &str, change: ConsoleChange<'_>) -> String {
    match change {
        ConsoleChange::Assigned { to } if to == by => format!("{by} took the conversation"),
        ConsoleChange::Assigned { to } => format!("{by} assigned the conversation to {to}"),
        ConsoleChange::Unassigned => format!("{by} unassigned the conversation"),
        ConsoleChange::Closed => format!("{by} closed the conversation"),
        ConsoleChange::Reopened => format!("{by} reopened the conversation"),
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
        assert_eq!(
            member_notice("ar", "{name}", MemberChange::Left),
            "غادر {name} المحادثة"
        );
    }

    #[test]
    fn console_notices_name_who_did_it() {
        let took = console_notice("Anna", ConsoleChange::Assigned { to: "Anna" });
        assert_eq!(took, "Anna took the conversation");
        let gave = console_notice("Anna", ConsoleChange::Assigned { to: "Boris" });
        assert_eq!(gave, "Anna assigned the conversation to Boris");
        assert_eq!(
            console_notice("Anna", ConsoleChange::Closed),
            "Anna closed the conversation"
        );
    }
}
