//! What an operator does to a conversation: reply (`POST .../messages`), assign, close, reopen
//! and read it. Each checks that the operator sees the conversation (404 otherwise) before its
//! body is read, writes through the store, and then tells the others: the visitor's widgets
//! through the person hub, the integration's operators through the operator hub.

use super::OperatorSession;
use super::conversations::{ConversationId, visible};
use super::error::OperatorApiError;
use super::json_body::read_json;
use crate::desk::{Assignment, ConsoleReply, ConversationAddress, Replied, StatusChange};
use crate::live::hub::HubEvent;
use crate::live::operators::InboxEvent;
use crate::live::publish;
use crate::live::session::parse::parse_send;
use crate::state::AppState;
use crate::store::NewMessage;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use protocol::Message;
use protocol::operator::{AssignRequest, AssignTarget, ConversationSummary, ReadRequest};

/// Largest body of an assignment or a read: a word or a number.
const MAX_SMALL_BODY_BYTES: usize = 1024;
/// Room for the JSON around a reply's text, and for escapes: a text within
/// `max_message_bytes` may take up to six bytes a character escaped.
const REPLY_ESCAPE_FACTOR: usize = 6;
const REPLY_OVERHEAD_BYTES: usize = 1024;

/// `POST .../conversations/{id}/messages` `{"text","textFormat","client_id"}`: the reply
/// stored once per client id (201 when new, 200 with the same message when repeated).
pub async fn reply(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, OperatorApiError> {
    let summary = visible(&state, &session, id).await?;
    let limit = state.limits.max_message_bytes * REPLY_ESCAPE_FACTOR + REPLY_OVERHEAD_BYTES;
    let request: protocol::operator::ReplyRequest = read_json(&headers, body, limit).await?;
    let integration = state
        .integrations
        .by_id(&summary.integration_id)
        .ok_or(OperatorApiError::NotFound)?;
    // The same checks as a visitor's message: id, size, sanitized HTML, not empty.
    let checked = parse_send(
        NewMessage {
            client_id: request.client_id,
            text: request.text,
            text_format: request.text_format,
            page: None,
        },
        &state.limits,
        integration.page_query,
    )
    .map_err(|refusal| OperatorApiError::BadRequest(refusal.reason))?;
    state
        .rate_limits
        .replies
        .check(&session.account_id)
        .map_err(OperatorApiError::RateLimited)?;
    let replied = state
        .store
        .append_console_reply(
            session.account_id,
            id,
            ConsoleReply {
                client_id: &checked.client_id,
                text: &checked.text,
                text_format: checked.text_format,
            },
            integration.bridge(),
        )
        .await?
        .ok_or(OperatorApiError::NotFound)?;
    match replied {
        Replied::Created {
            conversation,
            message,
        } => {
            announce(&state, &conversation, message.clone());
            Ok((StatusCode::CREATED, Json(message)).into_response())
        }
        Replied::Existing { message, .. } => Ok(Json(message).into_response()),
        Replied::ClientIdTaken => Err(OperatorApiError::ClientIdTaken),
    }
}

/// `POST .../conversations/{id}/assign` `{"operator": "me" | id | null}`: the conversation as
/// it is now. `"me"` takes an unassigned conversation: of two operators taking it, the second
/// gets 409 naming the first. An id or `null` changes the assignee only if nobody changed it
/// since it was read here.
pub async fn assign(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    let summary = visible(&state, &session, id).await?;
    let request: AssignRequest = read_json(&headers, body, MAX_SMALL_BODY_BYTES).await?;
    let current = summary.assignee.as_ref().map(|assignee| assignee.id);
    // A take is of an unassigned conversation only: of two takes, the later one finds it
    // taken even when it starts after the first one ended. Naming an operator (oneself
    // included) hands the conversation over from whoever has it now.
    let (expected, target) = match request.operator {
        AssignTarget::Me => (None, Some(session.account_id)),
        AssignTarget::Operator(account_id) => (current, Some(account_id)),
        AssignTarget::Nobody => (current, None),
    };
    if current == target {
        return Ok(Json(summary));
    }
    let assignment = state
        .store
        .assign(
            session.account_id,
            id,
            expected,
            target,
            &language_code(&state, &summary.integration_id),
        )
        .await?
        .ok_or(OperatorApiError::NotFound)?;
    match assignment {
        Assignment::Assigned {
            conversation,
            notice,
            ..
        } => changed(&state, &session, &conversation, notice).await,
        Assignment::Conflict { assignee } => Err(OperatorApiError::AlreadyAssigned {
            assignee: assignee.map(|assignee| assignee.name),
        }),
        Assignment::UnknownAssignee => Err(OperatorApiError::BadRequest(format!(
            "operator {} does not answer integration {}: assign to \"me\", to an operator of \
             that integration, or to null",
            target.unwrap_or_default(),
            summary.integration_id
        ))),
    }
}

/// The language of the notices written into an integration's conversations: its widget's.
fn language_code(state: &AppState, integration_id: &str) -> String {
    state
        .integrations
        .by_id(integration_id)
        .map(|integration| integration.params.language_code.clone())
        .unwrap_or_default()
}

/// The language of the notices of conversation `id` (404 when the operator does not see it),
/// from its cheap address rather than its whole summary.
async fn notice_language(
    state: &AppState,
    session: &OperatorSession,
    id: i64,
) -> Result<String, OperatorApiError> {
    let conversation = state
        .store
        .conversation_address(session.account_id, id)
        .await?
        .ok_or(OperatorApiError::NotFound)?;
    Ok(language_code(state, &conversation.integration_id))
}

/// `POST .../conversations/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    let language = notice_language(&state, &session, id).await?;
    let change = state.store.close(session.account_id, id, &language).await?;
    status_changed(&state, &session, change).await
}

/// `POST .../conversations/{id}/reopen`.
pub async fn reopen(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    let language = notice_language(&state, &session, id).await?;
    let change = state
        .store
        .reopen(session.account_id, id, &language)
        .await?;
    status_changed(&state, &session, change).await
}

/// `POST .../conversations/{id}/read` `{"seq"}`: 204; the integration's operators hear of it,
/// and the visitor's widgets when the conversation's "seen" moved.
pub async fn read(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, OperatorApiError> {
    visible(&state, &session, id).await?;
    let request: ReadRequest = read_json(&headers, body, MAX_SMALL_BODY_BYTES).await?;
    let mark = state
        .store
        .mark_read(session.account_id, id, request.seq)
        .await?
        .ok_or(OperatorApiError::NotFound)?;
    let conversation = &mark.conversation;
    state.operator_hub.publish(
        &conversation.integration_id,
        InboxEvent::Read {
            conversation_id: conversation.id,
            account_id: session.account_id,
            seq: request.seq,
        },
    );
    if let Some(seq) = mark.seen {
        state.hub.publish(
            &conversation.person_id,
            HubEvent::Seen {
                conversation_id: conversation.id,
                seq,
            },
        );
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn status_changed(
    state: &AppState,
    session: &OperatorSession,
    change: Option<StatusChange>,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    match change.ok_or(OperatorApiError::NotFound)? {
        StatusChange::Changed {
            conversation,
            notice,
        } => changed(state, session, &conversation, notice).await,
        StatusChange::Unchanged { conversation } => summary(state, session, conversation.id).await,
    }
}

/// Tells everyone of a change to `conversation` and its `notice` in the log, and answers with
/// the conversation as the operator sees it now.
async fn changed(
    state: &AppState,
    session: &OperatorSession,
    conversation: &ConversationAddress,
    notice: Message,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    announce(state, conversation, notice);
    state.operator_hub.publish(
        &conversation.integration_id,
        InboxEvent::Changed {
            conversation_id: conversation.id,
        },
    );
    summary(state, session, conversation.id).await
}

fn announce(state: &AppState, conversation: &ConversationAddress, message: Message) {
    publish::stored_message(
        state,
        &conversation.integration_id,
        conversation.person_id,
        message,
    );
}

async fn summary(
    state: &AppState,
    session: &OperatorSession,
    id: i64,
) -> Result<Json<ConversationSummary>, OperatorApiError> {
    visible(state, session, id).await.map(Json)
}
