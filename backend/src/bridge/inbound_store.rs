//! [`InboundStore`] on both engines, through the statements in `sql/`: what the collaboration
//! server's commands store (its operators and their pictures, the conversations it creates and
//! names, its operators' messages, through the writer like visitors' ones).

use super::interface::{InboundStore, Operator, Write};
use crate::content::picture::Picture;
use crate::outbox::commands;
use crate::store::{
    ConversationRef, Dialect, OperatorMessage, Refused, SqlStore, StoreResult, now_ms,
    text_format_name,
};
use async_trait::async_trait;
use protocol::Message;
use protocol::webhook::{Conversation, MessageCommand, User};
use sql_bounds::sql_bounds;

#[sql_bounds]
#[async_trait]
impl<DB: Dialect> InboundStore for SqlStore<DB> {
    async fn convert_legacy_pictures(&self) -> StoreResult<()> {
        // SQLite has no base64 decoder, so this is Rust on both engines.
        let stored: Vec<(i64, String)> = sqlx::query_as(include_str!("sql/base64_pictures.sql"))
            .fetch_all(&self.writes)
            .await?;
        for (id, text) in stored {
            match Picture::from_base64(&text) {
                Ok(Some(picture)) => {
                    sqlx::query(include_str!("sql/convert_picture.sql"))
                        .bind(picture.bytes)
                        .bind(picture.content_type)
                        .bind(picture.etag)
                        .bind(id)
                        .execute(&self.writes)
                        .await?;
                }
                Ok(None) => {
                    sqlx::query(include_str!("sql/drop_picture.sql"))
                        .bind(id)
                        .execute(&self.writes)
                        .await?;
                }
                Err(error) => {
                    tracing::warn!(operator = id, %error, "an operator's stored picture is not served");
                }
            }
        }
        Ok(())
    }

    async fn save_operator(
        &self,
        integration_id: &str,
        user: &User,
        picture: Option<&Picture>,
        write: Write,
    ) -> StoreResult<Result<Operator, Refused>> {
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/lock_operators.sql"))
            .execute(&mut *tx)
            .await?;
        let existing: Option<Operator> = sqlx::query_as(include_str!("sql/operator_by_ext_id.sql"))
            .bind(integration_id)
            .bind(&user.ext_user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (data, content_type, etag) = match picture {
            Some(picture) => (
                Some(picture.bytes.clone()),
                Some(picture.content_type.as_str()),
                Some(picture.etag.as_str()),
            ),
            None => (None, None, None),
        };
        let saved: Operator = match (write, existing) {
            (Write::Create, Some(_)) => {
                return Ok(Err(Refused::Conflict(format!(
                    "user {} exists",
                    user.ext_user_id
                ))));
            }
            (Write::Update, None) => {
                return Ok(Err(Refused::Unknown(format!(
                    "no user {}; create it with createUser",
                    user.ext_user_id
                ))));
            }
            (Write::Create, None) => {
                sqlx::query_as(include_str!("sql/insert_operator.sql"))
                    .bind(integration_id)
                    .bind(&user.ext_user_id)
                    .bind(&user.name)
                    .bind(&user.full_name)
                    .bind(data)
                    .bind(content_type)
                    .bind(etag)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?
            }
            (Write::Update, Some(found)) => {
                sqlx::query_as(include_str!("sql/update_operator.sql"))
                    .bind(&user.name)
                    .bind(&user.full_name)
                    .bind(data)
                    .bind(content_type)
                    .bind(etag)
                    .bind(now_ms())
                    .bind(found.id)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(Ok(saved))
    }

    async fn operator_picture(
        &self,
        integration_id: &str,
        operator_id: i64,
    ) -> StoreResult<Option<Picture>> {
        Ok(sqlx::query_as(include_str!("sql/operator_picture.sql"))
            .bind(integration_id)
            .bind(operator_id)
            .fetch_optional(&self.reads)
            .await?)
    }

    async fn conversation_by_ext_id(
        &self,
        integration_id: &str,
        ext_id: &str,
    ) -> StoreResult<Option<ConversationRef>> {
        let started = match self.conversation_refs.get(integration_id, ext_id) {
            Ok(conversation) => return Ok(Some(conversation)),
            Err(started) => started,
        };
        let own_id = ext_id
            .parse::<i64>()
            .ok()
            .filter(|id| id.to_string() == ext_id);
        let found: Option<(i64, i64)> =
            sqlx::query_as(include_str!("sql/conversation_by_ext_id.sql"))
                .bind(integration_id)
                .bind(ext_id)
                .bind(own_id)
                .fetch_optional(&self.reads)
                .await?;
        let found = found.map(|(id, person_id)| ConversationRef { id, person_id });
        if let Some(conversation) = found {
            self.conversation_refs
                .remember(started, integration_id, ext_id, conversation);
        }
        Ok(found)
    }

    async fn create_conversation_from_server(
        &self,
        integration_id: &str,
        conversation: &Conversation,
    ) -> StoreResult<Result<ConversationRef, Refused>> {
        if self
            .conversation_by_ext_id(integration_id, &conversation.ext_conversation_id)
            .await?
            .is_some()
        {
            return Ok(Err(Refused::Conflict(format!(
                "conversation {} exists",
                conversation.ext_conversation_id
            ))));
        }
        let candidates = conversation
            .members
            .iter()
            .flatten()
            .chain(&conversation.ext_user_id);
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/lock_conversations.sql"))
            .execute(&mut *tx)
            .await?;
        for ext_user_id in candidates {
            let person: Option<(i64, Option<i64>)> =
                sqlx::query_as(include_str!("sql/member_person.sql"))
                    .bind(integration_id)
                    .bind(ext_user_id)
                    .bind(commands::sub_of(ext_user_id).unwrap_or(ext_user_id))
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((person_id, conversation_id)) = person else {
                continue;
            };
            if let Some(existing) = conversation_id {
                return Ok(Err(Refused::Conflict(format!(
                    "visitor {ext_user_id} already has conversation {existing}"
                ))));
            }
            let (id,): (i64,) =
                sqlx::query_as(include_str!("sql/insert_announced_conversation.sql"))
                    .bind(integration_id)
                    .bind(person_id)
                    .bind(conversation.title.as_deref())
                    .bind(&conversation.ext_conversation_id)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?;
            tx.commit().await?;
            return Ok(Ok(ConversationRef { id, person_id }));
        }
        Ok(Err(Refused::Unknown(
            "none of extUserId and members is a visitor of this chat".into(),
        )))
    }

    async fn set_conversation_title(&self, conversation_id: i64, title: &str) -> StoreResult<()> {
        sqlx::query(include_str!("sql/set_title.sql"))
            .bind(title)
            .bind(conversation_id)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    async fn operator_name(
        &self,
        integration_id: &str,
        ext_user_id: &str,
    ) -> StoreResult<Option<String>> {
        let name: Option<(String,)> = sqlx::query_as(include_str!("sql/operator_name.sql"))
            .bind(integration_id)
            .bind(ext_user_id)
            .fetch_optional(&self.reads)
            .await?;
        Ok(name.map(|(name,)| name))
    }

    async fn append_system_message(
        &self,
        conversation: ConversationRef,
        text: &str,
    ) -> StoreResult<Message> {
        let mut tx = self.writes.begin().await?;
        let message = Self::insert_system_message(&mut tx, conversation.id, text).await?;
        tx.commit().await?;
        Ok(message)
    }

    async fn append_operator_message(
        &self,
        integration_id: &str,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>> {
        let message = OperatorMessage {
            integration_id: integration_id.to_owned(),
            conversation,
            command: command.clone(),
        };
        self.writer.reply(message).await
    }

    async fn update_operator_message(
        &self,
        conversation: ConversationRef,
        command: &MessageCommand,
    ) -> StoreResult<Result<Message, Refused>> {
        let mut tx = self.writes.begin().await?;
        let updated: Option<(i64,)> = sqlx::query_as(include_str!("sql/edit_operator_message.sql"))
            .bind(&command.text)
            .bind(text_format_name(command.text_format))
            .bind(now_ms())
            .bind(conversation.id)
            .bind(&command.ext_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id,)) = updated else {
            return Ok(Err(Refused::Unknown(format!(
                "no message {} in conversation {}",
                command.ext_id, command.ext_conversation_id
            ))));
        };
        let message = Self::message_by_id(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Ok(message))
    }
}
