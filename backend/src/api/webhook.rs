//! `POST /integration/webhook/{id}:{webhook_token}/callback`: the collaboration server's commands
//! (29.5.4) into our chat. Operators are defined by `createUser` / `updateUser`; their messages
//! and edits, a conversation's new title and operators joining or leaving it
//! (`updateConversation`, shown as messages of no one's) reach visitors live, and the
//! integration's console operators. Answers as the spec says: 200, `404 No active integration`,
//! 409 on `create...` of an existing object, 400 naming what is wrong, 413 over the size limit,
//! 500 only for real faults.

use crate::bridge::Write;
use crate::config::integrations::Integration;
use crate::content::notice::{MemberChange, member_notice};
use crate::content::picture::Picture;
use crate::content::sanitize::sanitize_html;
use crate::live::hub::HubEvent;
use crate::live::operators::InboxEvent;
use crate::live::publish;
use crate::state::AppState;
use crate::store::{ConversationRef, Refused, StoreError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::TextFormat;
use protocol::webhook::{Command, MessageCommand, User};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Largest accepted command body (pictures come base64 inside it).
pub const MAX_COMMAND_BYTES: usize = 4 * 1024 * 1024;

/// Why a command was not carried out, as the collaboration server is told.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("No active integration")]
    NoActiveIntegration,
    #[error("bad command: {0}")]
    BadCommand(String),
    #[error("command body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("cannot read the command body: {0}")]
    UnreadableBody(String),
    #[error("Conflict: {0}")]
    Conflict(String),
    #[error("text is {bytes} bytes; the limit is {limit} bytes (limits.max_message_bytes)")]
    TextTooLarge { bytes: usize, limit: usize },
    #[error("internal error")]
    Store(#[from] StoreError),
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::NoActiveIntegration => StatusCode::NOT_FOUND,
            Self::BadCommand(_) | Self::UnreadableBody(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TextTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Store(error) => {
                tracing::error!(%error, "inbound webhook command failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, self.to_string()).into_response()
    }
}

impl From<Refused> for WebhookError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Conflict(what) => Self::Conflict(what),
            Refused::Unknown(what) => Self::BadCommand(what),
        }
    }
}

/// The body is read only after the token in the path is checked: a caller without it cannot make
/// the server buffer anything.
pub async fn callback(
    State(state): State<AppState>,
    Path(key): Path<String>,
    request: Request,
) -> Result<&'static str, WebhookError> {
    let integration = authorized(&state, &key).ok_or(WebhookError::NoActiveIntegration)?;
    // The router's `DefaultBodyLimit` of `MAX_COMMAND_BYTES` applies to this read.
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebhookError::TooLarge {
                    limit: MAX_COMMAND_BYTES,
                }
            } else {
                WebhookError::UnreadableBody(rejection.body_text())
            }
        })?;
    let command = parse(&body)?;
    execute(&state, &integration, command).await?;
    Ok("OK")
}

/// The integration whose webhook token is in `key`; tokens compare in constant time. An empty
/// token never matches: two empty strings compare equal, and settings refusing an empty one at
/// start should not be the only guard.
fn authorized(state: &AppState, key: &str) -> Option<Arc<Integration>> {
    let (id, token) = key.split_once(':')?;
    if token.is_empty() {
        return None;
    }
    let integration = state
        .integrations
        .iter()
        .find(|integration| integration.id == id)?;
    let expected = integration.webhook_token.as_ref()?;
    bool::from(expected.expose().as_bytes().ct_eq(token.as_bytes()))
        .then(|| Arc::clone(integration))
}

fn parse(body: &[u8]) -> Result<Command, WebhookError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // PostgreSQL's text refuses U+0000: a command holding one would fail at the store with a
    // 500, which a forwarder retries for ever; refused here, it is skipped as a bad command.
    if holds_escaped_nul(body) {
        return Err(WebhookError::BadCommand(
            "a string holds a NUL character (\\u0000), which text may not hold".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let known = "createUser, updateUser, createConversation, updateConversation, \
                     createMessage, updateMessage";
        WebhookError::BadCommand(if path == "." {
            format!("{inner} (the body is one JSON object keyed by the command: {known})")
        } else {
            format!("{path}: {inner}")
        })
    })
}

/// Whether a JSON string in `body` holds `\u0000`: the escape itself, not an escaped backslash
/// followed by `u0000` (JSON cannot hold a raw NUL byte, which the parser refuses anyway).
fn holds_escaped_nul(body: &[u8]) -> bool {
    body.windows(6)
        .enumerate()
        .filter(|(_, window)| window == b"\\u0000")
        .any(|(start, _)| {
            let backslashes = body[..start]
                .iter()
                .rev()
                .take_while(|byte| **byte == b'\\')
                .count();
            backslashes % 2 == 0
        })
}

async fn execute(
    state: &AppState,
    integration: &Integration,
    command: Command,
) -> Result<(), WebhookError> {
    let store = &state.store;
    match command {
        Command::CreateUser(user) => {
            let picture = picture(&user)?;
            store
                .save_operator(&integration.id, &user, picture.as_ref(), Write::Create)
                .await??;
        }
        Command::UpdateUser(user) => {
            let picture = picture(&user)?;
            store
                .save_operator(&integration.id, &user, picture.as_ref(), Write::Update)
                .await??;
        }
        Command::CreateConversation(conversation) => {
            store
                .create_conversation_from_server(&integration.id, &conversation)
                .await??;
        }
        Command::UpdateConversation(update) => {
            let conversation =
                conversation(state, integration, &update.ext_conversation_id).await?;
            let changes = [
                (&update.add_members, MemberChange::Joined),
                (&update.remove_members, MemberChange::Left),
            ];
            for (members, change) in changes {
                for member in members.iter().flatten() {
                    notice(state, integration, conversation, member, change).await?;
                }
            }
            if let Some(title) = update.title {
                store
                    .set_conversation_title(conversation.id, &title)
                    .await?;
                state.hub.publish(
                    &conversation.person_id,
                    HubEvent::ConversationUpdated {
                        conversation_id: conversation.id,
                        title,
                    },
                );
            }
        }
        Command::CreateMessage(message) => {
            let conversation =
                conversation(state, integration, &message.ext_conversation_id).await?;
            let message = sanitized(message, state.limits.max_message_bytes)?;
            let stored = store
                .append_operator_message(&integration.id, conversation, &message)
                .await??;
            crate::telemetry::operator_message_sent();
            publish::stored_message(state, &integration.id, conversation.person_id, stored);
        }
        Command::UpdateMessage(message) => {
            let conversation =
                conversation(state, integration, &message.ext_conversation_id).await?;
            let message = sanitized(message, state.limits.max_message_bytes)?;
            let stored = store
                .update_operator_message(conversation, &message)
                .await??;
            state
                .operator_hub
                .publish_with(&integration.id, || InboxEvent::MessageUpdated {
                    message: stored.clone(),
                });
            state
                .hub
                .publish(&conversation.person_id, HubEvent::MessageUpdated(stored));
        }
    }
    Ok(())
}

/// Shows in `conversation` that the operator `ext_user_id` joined or left it. Members that
/// are not operators (the visitor's own user) go unannounced.
async fn notice(
    state: &AppState,
    integration: &Integration,
    conversation: ConversationRef,
    ext_user_id: &str,
    change: MemberChange,
) -> Result<(), WebhookError> {
    let store = &state.store;
    let Some(name) = store.operator_name(&integration.id, ext_user_id).await? else {
        return Ok(());
    };
    let text = member_notice(&integration.params.language_code, &name, change);
    let message = store.append_system_message(conversation, &text).await?;
    publish::stored_message(state, &integration.id, conversation.person_id, message);
    Ok(())
}

/// The user's picture, decoded; one that is not an allowed image refuses the command.
fn picture(user: &User) -> Result<Option<Picture>, WebhookError> {
    user.picture
        .as_deref()
        .map(Picture::from_base64)
        .transpose()
        .map(Option::flatten)
        .map_err(|error| WebhookError::BadCommand(error.to_string()))
}

async fn conversation(
    state: &AppState,
    integration: &Integration,
    ext_id: &str,
) -> Result<ConversationRef, WebhookError> {
    state
        .store
        .conversation_by_ext_id(&integration.id, ext_id)
        .await?
        .ok_or_else(|| {
            // Conversations are found by `extConversationId` only, never by a member's user id:
            // the forwarder in 1C reads it from the `data` of the visitor's messages.
            WebhookError::BadCommand(format!(
                "no conversation {ext_id} in this integration (extConversationId is the id in the \
                 data of the visitor's messages)"
            ))
        })
}

/// `message` with its text sanitized, if the text is within `max_bytes` (the visitors' limit)
/// before sanitizing and after: an operator's text, like a visitor's, always fits a page of
/// history by itself.
fn sanitized(
    mut message: MessageCommand,
    max_bytes: usize,
) -> Result<MessageCommand, WebhookError> {
    let within = |text: &str| {
        if text.len() > max_bytes {
            Err(WebhookError::TextTooLarge {
                bytes: text.len(),
                limit: max_bytes,
            })
        } else {
            Ok(())
        }
    };
    within(&message.text)?;
    if message.text_format == TextFormat::Html {
        message.text = sanitize_html(&message.text);
        within(&message.text)?;
    }
    if message.text.trim().is_empty() {
        return Err(WebhookError::BadCommand(
            "text is empty (after removing disallowed HTML)".into(),
        ));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::Limits;
    use crate::outbox::Bridge;
    use crate::storage::test_stores::shared_test_stores;
    use crate::store::NewMessage;
    use protocol::AuthorKind;
    use protocol::webhook::ConversationUpdate;

    #[tokio::test]
    async fn operators_replies_and_notices_reach_the_console_operators() {
        let (_dir, stores) = shared_test_stores().await;
        for store in stores {
            let (_stop, stopping) = tokio::sync::watch::channel(false);
            let state = AppState::for_tests(store, Limits::default(), stopping);
            let integration = Integration::for_tests(Some("http://127.0.0.1:9/onec"));
            let mut operators = state.operator_hub.subscribe(integration.id.clone());
            let visitor = state.store.create_visitor("1", "olga", None).await.unwrap();
            let first = NewMessage {
                client_id: "v-1".into(),
                text: "hello".into(),
                text_format: TextFormat::Plain,
                page: None,
            };
            let stored = state
                .store
                .append_visitor_message(&visitor, first, Bridge::On)
                .await
                .unwrap();
            let ext_conversation_id = stored.message().conversation_id.to_string();
            let anna = User {
                ext_user_id: "op-1".into(),
                name: "Anna".into(),
                full_name: "Anna".into(),
                picture: None,
            };
            let commands = [
                Command::CreateUser(anna),
                Command::UpdateConversation(ConversationUpdate {
                    ext_conversation_id: ext_conversation_id.clone(),
                    title: None,
                    ext_user_id: None,
                    add_members: Some(vec!["op-1".into()]),
                    remove_members: None,
                }),
                Command::CreateMessage(MessageCommand {
                    ext_id: "m-1".into(),
                    text: "how can I help?".into(),
                    text_format: TextFormat::Plain,
                    ext_user_id: Some("op-1".into()),
                    ext_conversation_id,
                    data: None,
                    data_type: None,
                }),
            ];
            for command in commands {
                execute(&state, &integration, command).await.unwrap();
            }
            let mut heard = Vec::new();
            while let Ok(event) = operators.receiver.try_recv() {
                match &event.event {
                    InboxEvent::Message { person_id, message } => {
                        assert_eq!(*person_id, visitor.person_id);
                        heard.push((message.author.kind, message.author.name.clone()));
                    }
                    other => panic!("expected messages, got {other:?}"),
                }
            }
            assert_eq!(
                heard,
                [
                    (AuthorKind::System, None),
                    (AuthorKind::Operator, Some("Anna".into()))
                ],
                "the notice of Anna joining, then her reply with her name"
            );
        }
    }
}
