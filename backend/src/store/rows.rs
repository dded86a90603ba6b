//! Turning database rows into the types the rest of the server uses.

use super::{StoreError, StoreResult, Visitor};
use protocol::{Author, AuthorKind, ContactInfo, Message, TextFormat};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Columns [`message`] reads, in a `SELECT` over `messages`.
pub const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, client_id, author_kind, author_name, \
     text, text_format, sent_at, edited_at";

/// The columns [`visitor`] reads, of visitors still logged in; callers append `AND ...`.
pub const VISITOR_SELECT: &str = "SELECT v.id, v.integration_id, v.person_id, p.sub, p.name, \
     p.email, p.phone FROM visitors v JOIN people p ON p.id = v.person_id \
     WHERE v.revoked_at IS NULL";

pub fn message(row: &AnyRow) -> StoreResult<Message> {
    let author_kind: String = row.try_get("author_kind")?;
    let text_format: String = row.try_get("text_format")?;
    Ok(Message {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        seq: row.try_get("seq")?,
        client_id: row.try_get("client_id")?,
        author: Author {
            kind: author_kind_from(&author_kind)?,
            name: row.try_get("author_name")?,
            picture: None,
        },
        text: row.try_get("text")?,
        text_format: text_format_from(&text_format)?,
        sent_at: row.try_get("sent_at")?,
        edited_at: row.try_get("edited_at")?,
    })
}

pub fn visitor(row: &AnyRow) -> StoreResult<Visitor> {
    Ok(Visitor {
        id: row.try_get("id")?,
        integration_id: row.try_get("integration_id")?,
        person_id: row.try_get("person_id")?,
        sub: row.try_get("sub")?,
        contact: ContactInfo {
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
        },
    })
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

fn author_kind_from(name: &str) -> StoreResult<AuthorKind> {
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
