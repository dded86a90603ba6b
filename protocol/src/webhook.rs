//! The collaboration server's webhook commands (1C:Enterprise developer guide, 29.5.4): a JSON
//! object with one key, the command name, whose value holds the parameters. The backend sends
//! them to the collaboration server and accepts the same ones from it.

use crate::frames::TextFormat;
use serde::{Deserialize, Serialize};

/// One webhook command.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Command {
    CreateUser(User),
    UpdateUser(User),
    CreateConversation(Conversation),
    UpdateConversation(ConversationUpdate),
    CreateMessage(MessageCommand),
    UpdateMessage(MessageCommand),
}

impl Command {
    /// The command's name as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateUser(_) => "createUser",
            Self::UpdateUser(_) => "updateUser",
            Self::CreateConversation(_) => "createConversation",
            Self::UpdateConversation(_) => "updateConversation",
            Self::CreateMessage(_) => "createMessage",
            Self::UpdateMessage(_) => "updateMessage",
        }
    }
}

/// `createUser` / `updateUser`: a user of the integration.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub ext_user_id: String,
    pub name: String,
    #[serde(default)]
    pub full_name: String,
    /// The user's picture, base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

/// `createConversation`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub ext_conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
}

/// `updateConversation`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConversationUpdate {
    pub ext_conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_members: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_members: Option<Vec<String>>,
}

/// `createMessage` / `updateMessage`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageCommand {
    pub ext_id: String,
    pub text: String,
    #[serde(default)]
    pub text_format: TextFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_user_id: Option<String>,
    pub ext_conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

/// The `dataType` of a visitor's `createMessage`: its `data` is [`VisitorMessageData`].
pub const VISITOR_MESSAGE_DATA_TYPE: &str = "application/json";

/// The `data` of a visitor's `createMessage`, as JSON. 1C keeps it as the message's `Данные`
/// (29.5.4.2.3), and that is the only documented way for 1C's forwarder to learn which of our
/// conversations a discussion is: a discussion does not give back its `extConversationId`. So the
/// conversation's id is always there; the page the visitor wrote on, when known.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitorMessageData {
    pub ext_conversation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_title: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roundtrip::assert_roundtrip;
    use serde_json::json;

    #[test]
    fn commands_have_the_spec_shape() {
        assert_roundtrip(
            &Command::CreateUser(User {
                ext_user_id: "1".into(),
                name: "Ivan".into(),
                full_name: "Ivan Petrov".into(),
                picture: None,
            }),
            json!({"createUser": {"extUserId": "1", "name": "Ivan", "fullName": "Ivan Petrov"}}),
        );
        assert_roundtrip(
            &Command::CreateConversation(Conversation {
                ext_conversation_id: "1".into(),
                title: Some("Заголовок".into()),
                ext_user_id: Some("1".into()),
                members: Some(vec!["1".into()]),
            }),
            json!({"createConversation": {"extConversationId": "1", "title": "Заголовок",
                   "extUserId": "1", "members": ["1"]}}),
        );
        assert_roundtrip(
            &Command::UpdateConversation(ConversationUpdate {
                ext_conversation_id: "1".into(),
                title: Some("New".into()),
                ext_user_id: Some("5".into()),
                add_members: Some(vec!["5".into()]),
                remove_members: Some(vec!["1".into()]),
            }),
            json!({"updateConversation": {"extConversationId": "1", "title": "New",
                   "extUserId": "5", "addMembers": ["5"], "removeMembers": ["1"]}}),
        );
        let message = MessageCommand {
            ext_id: "1".into(),
            text: "Тест".into(),
            text_format: TextFormat::Plain,
            ext_user_id: Some("1".into()),
            ext_conversation_id: "1".into(),
            data: Some("{}".into()),
            data_type: Some("application/json".into()),
        };
        let wire = json!({"extId": "1", "text": "Тест", "textFormat": "text/plain",
            "extUserId": "1", "extConversationId": "1", "data": "{}", "dataType": "application/json"});
        assert_roundtrip(
            &Command::CreateMessage(message.clone()),
            json!({"createMessage": wire.clone()}),
        );
        assert_roundtrip(
            &Command::UpdateMessage(message),
            json!({"updateMessage": wire}),
        );
        assert_roundtrip(
            &Command::UpdateUser(User {
                ext_user_id: "op".into(),
                name: "Anna".into(),
                full_name: String::new(),
                picture: Some("iVBORw0KGgo=".into()),
            }),
            json!({"updateUser": {"extUserId": "op", "name": "Anna", "fullName": "",
                   "picture": "iVBORw0KGgo="}}),
        );
    }

    #[test]
    fn visitor_message_data_always_names_the_conversation() {
        assert_roundtrip(
            &VisitorMessageData {
                ext_conversation_id: "17".into(),
                page_url: Some("https://shop.example/cart".into()),
                page_title: Some("Cart".into()),
            },
            json!({"extConversationId": "17", "pageUrl": "https://shop.example/cart",
                   "pageTitle": "Cart"}),
        );
        assert_roundtrip(
            &VisitorMessageData {
                ext_conversation_id: "17".into(),
                page_url: None,
                page_title: None,
            },
            json!({"extConversationId": "17"}),
        );
    }

    #[test]
    fn optional_parameters_may_be_left_out() {
        let command: Command = serde_json::from_value(json!({"createMessage":
            {"extId": "9", "text": "hi", "extConversationId": "3"}}))
        .unwrap();
        assert!(
            matches!(command, Command::CreateMessage(m) if m.text_format == TextFormat::Plain
            && m.ext_user_id.is_none())
        );
        assert_eq!(
            serde_json::from_value::<Command>(
                json!({"createUser": {"extUserId": "1", "name": "A"}})
            )
            .unwrap()
            .name(),
            "createUser"
        );
    }
}
