//! Turning database rows into the types the rest of the server uses.

use super::{StoreError, StoreResult, Visitor};
use protocol::{Author, AuthorKind, ContactInfo, Message, TextFormat};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The columns [`message`] reads, with the operator's current name and picture; callers append
/// `WHERE ...` over `m` (messages).
pub const MESSAGE_SELECT: &str = "SELECT m.id, m.conversation_id, m.seq, m.client_id, \
     m.author_kind, COALESCE(o.name, m.author_name) AS author_name, m.text, m.text_format, \
     m.sent_at, m.edited_at, CASE WHEN o.picture_type IS NULL THEN NULL ELSE o.id END AS picture_of \
     FROM messages m LEFT JOIN operators o ON o.id = m.operator_id";

/// The columns [`visitor`] reads, and when the visitor was last seen, of visitors still logged
/// in; callers append `AND ...`.
pub const VISITOR_SELECT: &str = "SELECT v.id, v.integration_id, v.person_id, p.sub, p.name, \
     p.email, p.phone, v.last_seen_at FROM visitors v JOIN people p ON p.id = v.person_id \
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
            picture: row
                .try_get::<Option<i64>, _>("picture_of")?
                .map(operator_picture),
        },
        text: row.try_get("text")?,
        text_format: text_format_from(&text_format)?,
        sent_at: row.try_get("sent_at")?,
        edited_at: row.try_get("edited_at")?,
    })
}

/// Where the picture of the operator `operator_id` is served, relative to the integration.
pub fn operator_picture(operator_id: i64) -> String {
    format!("operators/{operator_id}/picture")
}

pub fn visitor(row: &AnyRow) -> StoreResult<Visitor> {
    Ok(Visitor {
        id: row.try_get("id")?,
        integration_id: row.try_get("integration_id")?,
        person_id: row.try_get("person_id")?,
        sub: row.try_get("sub")?,
        contact: contact(row)?,
    })
}

/// The contact columns `name`, `email`, `phone` of a `people` row.
pub fn contact(row: &AnyRow) -> StoreResult<ContactInfo> {
    Ok(ContactInfo {
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
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
