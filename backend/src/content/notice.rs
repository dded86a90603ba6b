//! The words of the messages no one writes that show what happened in a conversation:
//! operators joining or leaving it (`addMembers` / `removeMembers` of `updateConversation`),
//! and console operators taking, handing on, closing and reopening it, in the language the
//! integration's `languageCode` picks for the widget.

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
pub fn console_notice(language_code: &str, by: &str, change: ConsoleChange<'_>) -> String {
    let language = languages::pick(language_code);
    let (line, to) = match change {
        ConsoleChange::Assigned { to } if to == by => (&language.conversation_taken, ""),
        ConsoleChange::Assigned { to } => (&language.conversation_assigned, to),
        ConsoleChange::Unassigned => (&language.conversation_unassigned, ""),
        ConsoleChange::Closed => (&language.conversation_closed, ""),
        ConsoleChange::Reopened => (&language.conversation_reopened, ""),
    };
    fill(line, by, to)
}

/// `line` with `{name}` replaced by `name` and `{to}` by `to`, in one pass, so a name that
/// itself reads `{to}` stays as written.
fn fill(line: &str, name: &str, to: &str) -> String {
    let mut filled = String::with_capacity(line.len() + name.len() + to.len());
    let mut rest = line;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        let tail = &rest[start..];
        let (value, skip) = if tail.starts_with("{name}") {
            (name, "{name}".len())
        } else if tail.starts_with("{to}") {
            (to, "{to}".len())
        } else {
            ("{", 1)
        };
        filled.push_str(value);
        rest = &tail[skip..];
    }
    filled.push_str(rest);
    filled
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
        let took = console_notice("en", "Anna", ConsoleChange::Assigned { to: "Anna" });
        assert_eq!(took, "Anna took the conversation");
        let gave = console_notice("en", "Anna", ConsoleChange::Assigned { to: "Boris" });
        assert_eq!(gave, "Anna assigned the conversation to Boris");
        assert_eq!(
            console_notice("en", "Anna", ConsoleChange::Closed),
            "Anna closed the conversation"
        );
        assert_eq!(
            console_notice("ru", "Анна", ConsoleChange::Assigned { to: "Борис" }),
            "Анна передаёт обсуждение: Борис"
        );
        assert_eq!(
            console_notice("en", "{to}", ConsoleChange::Assigned { to: "{name}" }),
            "{to} assigned the conversation to {name}"
        );
        assert_eq!(
            console_notice("de", "Anna", ConsoleChange::Reopened),
            "Anna hat das Gespräch wieder geöffnet"
        );
    }
}
