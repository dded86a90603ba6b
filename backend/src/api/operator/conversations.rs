//! What an operator reads: its inbox (`GET /api/v1/operator/conversations`), the views' unread
//! counts (`GET /api/v1/operator/counts`) and a conversation's history in pages
//! (`GET .../conversations/{id}/messages`). Both see only the
//! operator's integrations: any other conversation is 404, as if it did not exist.

use super::OperatorSession;
use super::error::OperatorApiError;
use crate::desk::{InboxCursor, InboxFilter};
use crate::live::history::PageBudget;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use protocol::Message;
use protocol::operator::{
    ConversationList, ConversationSummary, ConversationsQuery, InboxCounts, MessagePage,
    MessagesQuery,
};

/// Most conversations in one page of an inbox.
pub const INBOX_PAGE: i64 = 50;

/// The `{id}` of a conversation's route. Anything but a number is 404 in the API's error shape,
/// like a conversation the operator does not see.
#[derive(Debug, Clone, Copy)]
pub struct ConversationId(pub i64);

impl FromRequestParts<AppState> for ConversationId {
    type Rejection = OperatorApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|_| OperatorApiError::NotFound)
    }
}

/// A query string read into `T`, or a 400 saying what is wrong with it (serde names the
/// allowed values of an unknown `view` or `status`).
pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, OperatorApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| OperatorApiError::BadRequest(rejection.body_text()))
}

/// `GET /api/v1/operator/conversations?view=&status=&cursor=&limit=`.
pub async fn list(
    State(state): State<AppState>,
    session: OperatorSession,
    asked: Result<Query<ConversationsQuery>, QueryRejection>,
) -> Result<Json<ConversationList>, OperatorApiError> {
    let asked = query(asked)?;
    let cursor = asked
        .cursor
        .as_deref()
        .map(|text| {
            InboxCursor::decode(text).ok_or_else(|| {
                OperatorApiError::BadRequest(format!(
                    "cursor \"{text}\" is not one this server handed out: pass a list's \
                     next_cursor as it is, or none for the first page"
                ))
            })
        })
        .transpose()?;
    let page = state
        .store
        .conversations(InboxFilter {
            account_id: session.account_id,
            integrations: &session.integrations,
            view: asked.view,
            status: asked.status,
            cursor,
            limit: asked.limit.unwrap_or(INBOX_PAGE).clamp(1, INBOX_PAGE),
        })
        .await?;
    Ok(Json(ConversationList {
        conversations: page.conversations,
        next_cursor: page.next_cursor.map(InboxCursor::encode),
    }))
}

/// `GET /api/v1/operator/counts`: how many open conversations of each view have visitor
/// messages the operator has not read (the socket sends them too, when they change).
pub async fn counts(
    State(state): State<AppState>,
    session: OperatorSession,
) -> Result<Json<InboxCounts>, OperatorApiError> {
    let counts = state
        .store
        .inbox_counts(session.account_id, &session.integrations)
        .await?;
    Ok(Json(counts))
}

/// Conversation `id` as the operator sees it, or 404 when it does not.
pub async fn visible(
    state: &AppState,
    session: &OperatorSession,
    id: i64,
) -> Result<ConversationSummary, OperatorApiError> {
    state
        .store
        .conversation_summary(session.account_id, id)
        .await?
        .ok_or(OperatorApiError::NotFound)
}

/// `GET .../conversations/{id}/messages?after_seq=&before_seq=&limit=`: the messages after
/// `after_seq`, oldest first; else the page before `before_seq`; else the newest page. The
/// page holds at most as many messages as a widget's history page.
pub async fn messages(
    State(state): State<AppState>,
    session: OperatorSession,
    ConversationId(id): ConversationId,
    asked: Result<Query<MessagesQuery>, QueryRejection>,
) -> Result<Json<MessagePage>, OperatorApiError> {
    let asked = query(asked)?;
    visible(&state, &session, id).await?;
    let budget = PageBudget::for_limits(&state.limits);
    let wanted = budget.messages_for(asked.limit.unwrap_or(i64::MAX));
    // One more than wanted says whether there are more beyond the page.
    let read = i64::try_from(wanted + 1).unwrap_or(i64::MAX);
    let store = &state.store;
    let page = if let Some(after_seq) = asked.after_seq {
        let mut messages = store.messages_after(id, after_seq, read).await?;
        let has_newer = messages.len() > wanted;
        messages.truncate(wanted);
        MessagePage {
            messages,
            has_older: after_seq > 0,
            has_newer,
        }
    } else {
        let before_seq = asked.before_seq.unwrap_or(i64::MAX);
        let mut messages = store.messages_before(id, before_seq, read).await?;
        let has_older = messages.len() > wanted;
        let extra = messages.len().saturating_sub(wanted);
        messages.drain(..extra);
        let has_newer = match messages.last().map(|last: &Message| last.seq) {
            Some(last) if before_seq != i64::MAX => {
                !store.messages_after(id, last, 1).await?.is_empty()
            }
            _ => false,
        };
        MessagePage {
            messages,
            has_older,
            has_newer,
        }
    };
    Ok(Json(page))
}
