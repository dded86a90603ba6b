//! Database rows as both engines return them (`sqlx::FromRow`, decoded the same way from a
//! SQLite or a PostgreSQL row), and their turning into the types the rest of the server uses.

use super::interface::{StoreError, StoreResult};
use protocol::operator::ConversationStatus;
use protocol::{Author, AuthorKind, ContactInfo, Message, TextFormat};

/// A message with its operator's current name and picture (`sql/message_*.sql`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    conversation_id: i64,
    seq: i64,
    client_id: Option<String>,
    author_kind: String,
    author_name: Option<String>,
    text: String,
    text_format: String,
    sent_at: i64,
    edited_at: Option<i64>,
    /// The operator whose picture the message shows, if that operator has one.
    picture_of: Option<i64>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            conversation_id: row.conversation_id,
            seq: row.seq,
            client_id: row.client_id,
            author: Author {
                kind: author_kind_from(&row.author_kind)?,
                name: row.author_name,
                picture: row.picture_of.map(operator_picture),
            },
            text: row.text,
            text_format: text_format_from(&row.text_format)?,
            sent_at: row.sent_at,
            edited_at: row.edited_at,
        })
    }
}

/// The contact columns of a `people` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ContactRow {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

impl From<ContactRow> for ContactInfo {
    fn from(row: ContactRow) -> Self {
        Self {
            name: row.name,
            email: row.email,
            phone: row.phone,
        }
    }
}

/// A person as the collaboration server is told of it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PersonRow {
    pub integration_id: String,
    pub sub: Option<String>,
    #[sqlx(flatten)]
    pub contact: ContactRow,
    pub ext_user_id: Option<String>,
}

/// Where the picture of the operator `operator_id` is served, relative to the integration.
pub fn operator_picture(operator_id: i64) -> String {
    format!("operators/{operator_id}/picture")
}

pub fn author_kind_name(kind: AuthorKind) -> &'static str {
    match kind {
        AuthorKind::Visitor => "visitor",
        AuthorKind::Operator => "operator",
        AuthorKind::System => "system",
    }
}

pub fn text_format_name(format: TextFormat) -> &'static str {
    match format {
        TextFormat::Plain => "text/plain",
        TextFormat::Html => "text/html",
    }
}

pub(crate) fn author_kind_from(name: &str) -> StoreResult<AuthorKind> {
    [
        AuthorKind::Visitor,
        AuthorKind::Operator,
        AuthorKind::System,
    ]
    .into_iter()
    .find(|kind| author_kind_name(*kind) == name)
    .ok_or_else(|| StoreError::Corrupt(format!("unknown author kind {name:?}")))
}

fn text_format_from(name: &str) -> StoreResult<TextFormat> {
    [TextFormat::Plain, TextFormat::Html]
        .into_iter()
        .find(|format| text_format_name(*format) == name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown text format {name:?}")))
}

/// The stored name of a conversation's status.
pub(crate) fn status_name(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Open => "open",
        ConversationStatus::Closed => "closed",
    }
}

pub(crate) fn status_from(name: &str) -> StoreResult<ConversationStatus> {
    [ConversationStatus::Open, ConversationStatus::Closed]
        .into_iter()
        .find(|status| status_name(*status) == name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown conversation status {name:?}")))
}
