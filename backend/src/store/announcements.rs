//! What the collaboration server is told of people and their conversations: a message's
//! person gets its conversation and, with the bridge on, both are announced (`createUser`,
//! `createConversation`); a changed contact queues `updateUser`; a person who logs in goes on
//! as the site user, and a person handed a conversation joins it (`crate::people`'s
//! identification). Every function here runs inside its caller's transaction.

use super::batch::{Announced, Incoming, Lookup, Person, PersonConversation, VisitorMessage};
use super::interface::{StoreResult, now_ms};
use super::rows::PersonRow;
use super::sql_store::{Dialect, SqlStore};
use crate::outbox::signal::QueuedCommand;
use crate::outbox::{Bridge, NewCommand, commands};
use protocol::webhook::{Command, ConversationUpdate};
use sql_bounds::sql_bounds;
use sqlx::Connection;

#[sql_bounds]
impl<DB: Dialect> SqlStore<DB> {
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
        let ext_conversation_id =
            commands::ext_conversation_id(conversation.id, conversation.ext_id.clone());
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

    /// The person as stored, with its id in the collaboration server and its conversation, once
    /// the collaboration server was told of it (`createUser`) and it has a conversation.
    async fn announced_person(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<Option<(PersonRow, String, i64)>> {
        let PersonWithConversation {
            person,
            conversation_id,
        } = sqlx::query_as(include_str!("sql/person_and_conversation.sql"))
            .bind(person_id)
            .fetch_one(connection)
            .await?;
        Ok(match (person.ext_user_id.clone(), conversation_id) {
            (Some(ext_user_id), Some(conversation_id)) => {
                Some((person, ext_user_id, conversation_id))
            }
            _ => None,
        })
    }

    /// Queues `updateUser` with the person's current details, if the collaboration server
    /// knows it.
    pub(crate) async fn queue_user_update(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let Some((person, ext_user_id, conversation_id)) =
            Self::announced_person(&mut *connection, person_id).await?
        else {
            // Not announced yet: its createUser will carry the current details.
            return Ok(Vec::new());
        };
        let sub = person.sub.as_deref();
        let user = commands::user(&ext_user_id, person_id, sub, &person.contact.into());
        let update = NewCommand::new(
            &person.integration_id,
            conversation_id,
            &Command::UpdateUser(user),
        )?;
        Self::insert_outbox(connection, vec![update]).await
    }

    /// An anonymous person who logs in as a new site user goes on in the collaboration server
    /// as that user, as 1C documents the matching key: once it was announced (as
    /// `visitor-<n>`), the site user is created, joins its conversation, and its later
    /// messages carry the site user's id. Returns the commands queued.
    pub(crate) async fn continue_as_site_user(
        connection: &mut DB::Connection,
        person_id: i64,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let Some((person, _, conversation_id)) =
            Self::announced_person(&mut *connection, person_id).await?
        else {
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
            commands.push(member_joins(
                &integration_id,
                conversation_id,
                commands::ext_conversation_id(conversation_id, ext_id),
                site_user,
            )?);
        }
        Self::insert_outbox(connection, commands).await
    }

    /// The person, announced first if it was not, joins the conversation the collaboration
    /// server knows as `ext_conversation_id`. Returns the commands queued.
    pub(crate) async fn join_conversation(
        connection: &mut DB::Connection,
        person_id: i64,
        integration_id: &str,
        conversation_id: i64,
        ext_conversation_id: String,
    ) -> StoreResult<Vec<QueuedCommand>> {
        let mut commands = Vec::new();
        let member =
            Self::announce_person(&mut *connection, person_id, conversation_id, &mut commands)
                .await?;
        commands.push(member_joins(
            integration_id,
            conversation_id,
            ext_conversation_id,
            member,
        )?);
        Self::insert_outbox(connection, commands).await
    }
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
    Ok(NewCommand::new(integration_id, conversation_id, &update)?)
}
