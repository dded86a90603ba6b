//! How our visitors, conversations and messages look as webhook commands for the collaboration
//! server. Pure functions: the store calls them inside the transaction that queues the commands.

use protocol::webhook::{
    Conversation, MessageCommand, User, VISITOR_MESSAGE_DATA_TYPE, VisitorMessageData,
};
use protocol::{ContactInfo, Message, PageInfo};

/// What the collaboration server's id of a site user starts with. Anonymous visitors are
/// `visitor-{n}`: without a namespace of its own, a site user whose `sub` is literally
/// `visitor-17` would be taken for anonymous visitor 17 (1C answers 409 to the second
/// `createUser`, and the two people would write as one user).
const SITE_USER_PREFIX: &str = "site-";

/// The collaboration server's id for a visitor not announced yet: the site's user id in its
/// own namespace once known, else our own. People announced before keep the id they were
/// created with (the store keeps it), whatever this says now.
pub fn ext_user_id(person_id: i64, sub: Option<&str>) -> String {
    match sub {
        Some(sub) => format!("{SITE_USER_PREFIX}{sub}"),
        None => format!("visitor-{person_id}"),
    }
}

/// The collaboration server's id for a conversation: the one it gave (`createConversation` from
/// its side), else our own.
pub fn ext_conversation_id(conversation_id: i64, given: Option<String>) -> String {
    given.unwrap_or_else(|| conversation_id.to_string())
}

/// The site's user id an [`ext_user_id`] names, if it names a site user.
pub fn sub_of(ext_user_id: &str) -> Option<&str> {
    ext_user_id.strip_prefix(SITE_USER_PREFIX)
}

/// The name operators see for a visitor who gave none.
pub fn visitor_name(person_id: i64, contact: &ContactInfo) -> String {
    contact
        .name
        .clone()
        .unwrap_or_else(|| format!("Visitor {person_id}"))
}

/// `createUser` / `updateUser` body for a visitor: the name, and in the full name everything
/// an operator may need (contacts and the site's user id).
pub fn user(ext_user_id: &str, person_id: i64, sub: Option<&str>, contact: &ContactInfo) -> User {
    let name = visitor_name(person_id, contact);
    let details: Vec<String> = [
        contact.email.clone(),
        contact.phone.clone(),
        sub.map(|sub| format!("site user {sub}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let full_name = if details.is_empty() {
        name.clone()
    } else {
        format!("{name} ({})", details.join(", "))
    };
    User {
        ext_user_id: ext_user_id.to_owned(),
        name,
        full_name,
        picture: None,
    }
}

/// `createConversation` body: titled with the visitor's name and the site it came from.
pub fn conversation(
    ext_conversation_id: &str,
    ext_user_id: &str,
    visitor_name: &str,
    page: Option<&PageInfo>,
) -> Conversation {
    let site = page.and_then(|page| host_of(&page.url));
    let title = match site {
        Some(site) => format!("{visitor_name} — {site}"),
        None => visitor_name.to_owned(),
    };
    Conversation {
        ext_conversation_id: ext_conversation_id.to_owned(),
        title: Some(title),
        ext_user_id: Some(ext_user_id.to_owned()),
        members: Some(vec![ext_user_id.to_owned()]),
    }
}

/// `createMessage` body for a visitor's message. Its `data` always names the conversation, so
/// that 1C's forwarder can tell where operators' replies go (see [`VisitorMessageData`]), and
/// holds the page it was written on when known.
pub fn message(
    message: &Message,
    ext_user_id: &str,
    ext_conversation_id: &str,
    page: Option<&PageInfo>,
) -> MessageCommand {
    let page = page.filter(|page| !page.url.is_empty() || !page.title.is_empty());
    let data = VisitorMessageData {
        ext_conversation_id: ext_conversation_id.to_owned(),
        page_url: page.map(|page| page.url.clone()),
        page_title: page.map(|page| page.title.clone()),
    };
    MessageCommand {
        data: Some(serde_json::to_string(&data).expect("plain strings serialize")),
        data_type: Some(VISITOR_MESSAGE_DATA_TYPE.to_owned()),
        ..console_reply(message, ext_user_id, ext_conversation_id)
    }
}

/// The collaboration server's id for the operator a console account writes as: in its own
/// namespace, apart from visitors and site users.
pub fn console_operator_id(account_id: i64) -> String {
    format!("console-{account_id}")
}

/// `createUser` body for a console operator: its name, as the account has it.
pub fn console_operator(ext_user_id: &str, name: &str) -> User {
    User {
        ext_user_id: ext_user_id.to_owned(),
        name: name.to_owned(),
        full_name: name.to_owned(),
        picture: None,
    }
}

/// `createMessage` body for a stored message under its own id as extId, without data: a console
/// operator's reply as it is, a visitor's before its data is added.
pub fn console_reply(
    message: &Message,
    ext_user_id: &str,
    ext_conversation_id: &str,
) -> MessageCommand {
    MessageCommand {
        ext_id: message.id.to_string(),
        text: message.text.clone(),
        text_format: message.text_format,
        ext_user_id: Some(ext_user_id.to_owned()),
        ext_conversation_id: ext_conversation_id.to_owned(),
        data: None,
        data_type: None,
    }
}

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Author, AuthorKind, TextFormat};

    #[test]
    fn anonymous_and_identified_users() {
        assert_eq!(ext_user_id(7, None), "visitor-7");
        assert_eq!(ext_user_id(7, Some("u-1")), "site-u-1");
        assert_eq!(ext_user_id(17, Some("visitor-17")), "site-visitor-17");
        assert_ne!(ext_user_id(17, Some("visitor-17")), ext_user_id(17, None));
        assert_eq!(sub_of("site-visitor-17"), Some("visitor-17"));
        assert_eq!(sub_of("visitor-17"), None);
        let anonymous = user("visitor-7", 7, None, &ContactInfo::default());
        assert_eq!(
            (anonymous.name.as_str(), anonymous.full_name.as_str()),
            ("Visitor 7", "Visitor 7")
        );
        let contact = ContactInfo {
            name: Some("Ivan".into()),
            email: Some("ivan@example.com".into()),
            phone: None,
        };
        let known = user("u-1", 7, Some("u-1"), &contact);
        assert_eq!(known.full_name, "Ivan (ivan@example.com, site user u-1)");
    }

    #[test]
    fn conversation_and_message_carry_the_page_and_the_message_its_conversation() {
        let page = PageInfo {
            url: "https://shop.example/cart?x=1".into(),
            title: "Cart".into(),
        };
        let created = conversation("12", "visitor-7", "Visitor 7", Some(&page));
        assert_eq!(created.title.as_deref(), Some("Visitor 7 — shop.example"));
        assert_eq!(created.members, Some(vec!["visitor-7".to_owned()]));
        let stored = Message {
            id: 99,
            conversation_id: 12,
            seq: 1,
            client_id: None,
            author: Author {
                kind: AuthorKind::Visitor,
                name: None,
                picture: None,
            },
            text: "hi".into(),
            text_format: TextFormat::Plain,
            sent_at: 0,
            edited_at: None,
        };
        let command = message(&stored, "visitor-7", "12", Some(&page));
        assert_eq!(command.ext_id, "99");
        assert_eq!(command.data_type.as_deref(), Some("application/json"));
        let data: serde_json::Value =
            serde_json::from_str(command.data.as_deref().unwrap()).unwrap();
        assert_eq!(data["pageUrl"], "https://shop.example/cart?x=1");
        assert_eq!(data["extConversationId"], "12");
        let without_page = message(&stored, "visitor-7", "12", None);
        assert_eq!(without_page.data_type.as_deref(), Some("application/json"));
        assert_eq!(
            without_page.data.as_deref(),
            Some(r#"{"extConversationId":"12"}"#),
            "the conversation id travels even without a page"
        );
    }
}
