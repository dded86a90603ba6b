//! People, and what the collaboration server is told of them: a message's person gets its
//! conversation and, with the bridge on, both are announced (`createUser`,
//! `createConversation`); a visitor who logs in moves to the site user's person, taking its
//! anonymous conversation and contact along where the site user has none; a changed contact
//! queues `updateUser`. Every function here runs inside its caller's transaction.

use super::batch::{
    Announced, Incoming, Lookup, NewCommand, Person, PersonConversation, VisitorMessage,
};
use super::interface::{StoreError, StoreResult, TokenRotation, now_ms};
use super::rows::{ContactRow, PersonRow};
use super::sql_store::{Dialect, SqlStore};
use crate::outbox::signal::QueuedCommand;
use crate::outbox::{Bridge, commands};
use protocol::ContactInfo;
use protocol::webhook::{Command, ConversationUpdate};
use sqlx::{ColumnIndex, Connection, Decode, Encode, Executor, IntoArguments, Type};

impl<DB> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Vec<u8>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB> + ColumnIndex<DB::Row>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<Vec<u8>>: Encode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// The person's id in the collaboration server, adding its `createUser` (ordered with
    /// `conversation_id`) to `commands` the first time.
    async fn announce_person(
        connection: &mut DB::Connection,
        person_id: i64,
        conversation_id: i64,
        commands: &mut Vec<NewCommand>,
    ) -> StoreResult<String> {
        let person: PersonRow = sqlx::query_as(include_str!("sql/person.sql"))
            .bind(person_id)
            .fetch_one(&mut *connection)
            .await?;
        if let Some(known) = person.ext_user_id {
            return Ok(known);
        }
        Self::create_user(connection, person_id, person, conversation_id, commands).await
    }

    /// Queues `createUser` for the person as it is now (its id in the collaboration server
    /// made from its `sub`, or from its own id while anonymous) and keeps that id with it.
    async fn create_user(
        connection: &mut DB::Connection,
        person_id: i64,
        person: PersonRow,
        conversation_id: i64,
        commands: &mut Vec<NewCommand>,
    ) -> StoreResult<String> {
        let sub = person.sub.as_deref();
        let ext_user_id = commands::ext_user_id(person_id, sub);
        sqlx::query(include_str!("sql/set_ext_user_id.sql"))
            .bind(&ext_user_id)
            .bind(person_id)
            .execute(&mut *connection)
            .await?;
        let user = commands::user(&ext_user_id, person_id, sub, &person.contact.into());
        let user = Command::CreateUser(user);
        commands.push(NewCommand::new(
            &person.integration_id,
            conversation_id,
            &user,
        )?);
        Ok(ext_user_id)
    }

    /// Makes sure `message`'s person has a conversation and, with the bridge on, that the
    /// collaboration server was told of both (`createUser`, `createConversation`, queued
    /// here); `person` becomes what the store holds after. Returns the commands queued.
    async fn prepare_conversation(
        connection: &mut DB::Connection,
        message: &VisitorMessage,
        person: &mut Person,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let visitor = &message.visitor;
        let conversation = match person.conversation.take() {
            Some(conversation) => conversation,
            None => {
                let (id, ext_id, announced_at): (i64, Option<String>, Option<i64>) =
                    sqlx::query_as(include_str!("sql/open_conversation.sql"))
                        .bind(&visitor.integration_id)
                        .bind(visitor.person_id)
                        .bind(now_ms())
                        .fetch_one(&mut *connection)
                        .await?;
                PersonConversation {
                    id,
                    ext_id,
                    announced: announced_at.is_some(),
                }
            }
        };
        let conversation = person.conversation.insert(conversation);
        if message.bridge == Bridge::Off {
            return Ok(Vec::new());
        }
        let mut commands = Vec::new();
        let ext_user_id = Self::announce_person(
            &mut *connection,
            visitor.person_id,
            conversation.id,
            &mut commands,
        )
        .await?;
        let ext_conversation_id = conversation
            .ext_id
            .clone()
            .unwrap_or_else(|| conversation.id.to_string());
        if !conversation.announced {
            sqlx::query(include_str!("sql/announce_conversation.sql"))
                .bind(&ext_conversation_id)
                .bind(now_ms())
                .bind(conversation.id)
                .execute(&mut *connection)
                .await?;
            let name = commands::visitor_name(visitor.person_id, &visitor.contact);
            let page = message.message.page.as_ref();
            let created = commands::conversation(&ext_conversation_id, &ext_user_id, &name, page);
            let created = Command::CreateConversation(created);
            commands.push(NewCommand::new(
                &visitor.integration_id,
                conversation.id,
                &created,
            )?);
        }
        let ids = Announced {
            ext_user_id,
            ext_conversation_id,
        };
        conversation.ext_id = Some(ids.ext_conversation_id);
        conversation.announced = true;
        person.ext_user_id = Some(ids.ext_user_id);
        Self::insert_outbox(connection, commands).await
    }

    /// Prepares the conversation of each person of `batch` whose message needs it first
    /// ([`Lookup::unprepared`], [`Self::prepare_conversation`]), in one transaction of its own
    /// (none when every conversation is ready); `lookup` then holds them as stored. Returns
    /// the commands queued.
    pub(super) async fn prepare_conversations(
        connection: &mut DB::Connection,
        lookup: &mut Lookup,
        batch: &[Incoming],
    ) -> StoreResult<Vec<QueuedCommand>> {
        let unprepared = lookup.unprepared(batch);
        if unprepared.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = connection.begin().await?;
        let mut prepared = Vec::new();
        for message in unprepared {
            let person = lookup.people.entry(message.visitor.person_id).or_default();
            prepared.extend(Self::prepare_conversation(&mut tx, message, person).await?);
        }
        tx.commit().await?;
        Ok(prepared)
    }

    /// The person as stored, with its conversation if it has one.
    async fn person_and_conversation(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<PersonWithConversation> {
        Ok(
            sqlx::query_as(include_str!("sql/person_and_conversation.sql"))
                .bind(person_id)
                .fetch_one(connection)
                .await?,
        )
    }

    /// Queues `updateUser` with the person's current details, if the collaboration server
    /// knows it.
    pub(super) async fn queue_user_update(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let PersonWithConversation {
            person,
            conversation_id,
        } = Self::person_and_conversation(&mut *connection, person_id).await?;
        let (Some(ext_user_id), Some(conversation_id)) = (&person.ext_user_id, conversation_id)
        else {
            // Not announced yet: its createUser will carry the current details.
            return Ok(Vec::new());
        };
        let sub = person.sub.as_deref();
        let user = commands::user(ext_user_id, person_id, sub, &person.contact.into());
        let update = NewCommand::new(
            &person.integration_id,
            conversation_id,
            &Command::UpdateUser(user),
        )?;
        Self::insert_outbox(connection, vec![update]).await
    }

    /// Moves the visitor to the person `sub`, replacing its token when the person changes;
    /// returns whether it did, the commands that queued and whether a conversation changed
    /// hands.
    pub(super) async fn identify_once(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<(TokenRotation, Vec<QueuedCommand>, bool)> {
        let mut tx = self.writes.begin().await?;
        sqlx::query(include_str!("sql/lock_visitor.sql"))
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        let current: Option<CurrentPerson> =
            sqlx::query_as(include_str!("sql/person_of_visitor.sql"))
                .bind(visitor_id)
                .fetch_optional(&mut *tx)
                .await?;
        let current =
            current.ok_or_else(|| StoreError::Corrupt(format!("visitor {visitor_id} is gone")))?;
        if current.sub.as_deref() == Some(sub) {
            tx.commit().await?;
            return Ok((TokenRotation::Kept, Vec::new(), false));
        }
        let target: Option<(i64,)> = sqlx::query_as(include_str!("sql/person_by_sub.sql"))
            .bind(&current.integration_id)
            .bind(sub)
            .fetch_optional(&mut *tx)
            .await?;
        let anonymous = current.sub.is_none();
        let (mut handed, mut handed_over) = (Vec::new(), false);
        let target_id = match target {
            None if anonymous => {
                sqlx::query(include_str!("sql/set_sub.sql"))
                    .bind(sub)
                    .bind(current.id)
                    .execute(&mut *tx)
                    .await?;
                if bridge == Bridge::On {
                    handed = Self::continue_as_site_user(&mut tx, current.id).await?;
                }
                current.id
            }
            None => {
                let (id,): (i64,) = sqlx::query_as(include_str!("sql/insert_person.sql"))
                    .bind(&current.integration_id)
                    .bind(sub)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?;
                id
            }
            Some((target_id,)) => {
                if anonymous {
                    (handed, handed_over) =
                        Self::adopt_anonymous(&mut tx, current, target_id, bridge).await?;
                }
                target_id
            }
        };
        sqlx::query(include_str!("sql/move_visitor.sql"))
            .bind(target_id)
            .bind(new_token_hash)
            .bind(visitor_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((TokenRotation::Replaced, handed, handed_over))
    }

    /// An anonymous person who logs in as a new site user goes on in the collaboration server
    /// as that user, as 1C documents the matching key: once it was announced (as
    /// `visitor-<n>`), the site user is created, joins its conversation, and its later
    /// messages carry the site user's id. Returns the commands queued.
    async fn continue_as_site_user(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let PersonWithConversation {
            person,
            conversation_id,
        } = Self::person_and_conversation(&mut *connection, person_id).await?;
        let (Some(_), Some(conversation_id)) = (&person.ext_user_id, conversation_id) else {
            // Not announced yet: its first createUser is the site user's.
            return Ok(Vec::new());
        };
        let (ext_id, announced_at) =
            Self::conversation_announcement(&mut *connection, conversation_id).await?;
        let integration_id = person.integration_id.clone();
        let mut commands = Vec::new();
        let site_user = Self::create_user(
            &mut *connection,
            person_id,
            person,
            conversation_id,
            &mut commands,
        )
        .await?;
        if announced_at.is_some() {
            let ext_id = ext_id.unwrap_or_else(|| conversation_id.to_string());
            commands.push(member_joins(
                &integration_id,
                conversation_id,
                ext_id,
                site_user,
            )?);
        }
        Self::insert_outbox(connection, commands).await
    }

    /// An anonymous person who logs in as an existing one hands over what the existing one
    /// lacks: its conversation when that one has none, and each empty contact field. Returns
    /// the commands that queued and whether the conversation changed hands.
    async fn adopt_anonymous(
        connection: &mut DB::Connection,
        anonymous: CurrentPerson,
        target_id: i64,
        bridge: Bridge,
    ) -> StoreResult<(Vec<QueuedCommand>, bool)> {
        let mut handed = Vec::new();
        let mut handed_over = false;
        let target_has_conversation = sqlx::query(include_str!("sql/conversation_of.sql"))
            .bind(target_id)
            .fetch_optional(&mut *connection)
            .await?
            .is_some();
        if !target_has_conversation {
            let adopted: Option<(i64, String, Option<String>, Option<i64>)> =
                sqlx::query_as(include_str!("sql/hand_over_conversation.sql"))
                    .bind(target_id)
                    .bind(anonymous.id)
                    .fetch_optional(&mut *connection)
                    .await?;
            handed_over = adopted.is_some();
            if let Some((conversation_id, integration_id, ext_id, Some(_))) = adopted
                && bridge == Bridge::On
            {
                // The conversation exists in the collaboration server with the anonymous user
                // as its member: the user it now belongs to joins it.
                let ext_id = ext_id.unwrap_or_else(|| conversation_id.to_string());
                let mut commands = Vec::new();
                let target_ext = Self::announce_person(
                    &mut *connection,
                    target_id,
                    conversation_id,
                    &mut commands,
                )
                .await?;
                commands.push(member_joins(
                    &integration_id,
                    conversation_id,
                    ext_id,
                    target_ext,
                )?);
                handed = Self::insert_outbox(&mut *connection, commands).await?;
            }
        }
        let contact: ContactInfo = anonymous.contact.into();
        sqlx::query(include_str!("sql/adopt_contact.sql"))
            .bind(contact.name)
            .bind(contact.email)
            .bind(contact.phone)
            .bind(target_id)
            .execute(&mut *connection)
            .await?;
        Ok((handed, handed_over))
    }
}

/// A visitor's current person, as identification reads it.
#[derive(Debug, sqlx::FromRow)]
struct CurrentPerson {
    id: i64,
    integration_id: String,
    sub: Option<String>,
    #[sqlx(flatten)]
    contact: ContactRow,
}

#[derive(Debug, sqlx::FromRow)]
struct PersonWithConversation {
    #[sqlx(flatten)]
    person: PersonRow,
    conversation_id: Option<i64>,
}

/// `updateConversation` adding `member` to a conversation the collaboration server knows.
pub(crate) fn member_joins(
    integration_id: &str,
    conversation_id: i64,
    ext_conversation_id: String,
    member: String,
) -> StoreResult<NewCommand> {
    let update = Command::UpdateConversation(ConversationUpdate {
        ext_conversation_id,
        title: None,
        ext_user_id: Some(member.clone()),
        add_members: Some(vec![member]),
        remove_members: None,
    });
    NewCommand::new(integration_id, conversation_id, &update)
}
