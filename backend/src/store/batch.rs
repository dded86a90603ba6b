//! Planning a batch of messages, in plain Rust: given what the store held before the batch
//! ([`Lookup`]), which messages are new and the number each takes in its conversation
//! ([`Plan`]), and, once the engine has written the new ones, what each sender is answered
//! ([`Plan::outcomes`]). A client id stored before, or earlier in the batch, gives back the
//! message stored under it; an operator's message id stored before, or earlier in the batch,
//! is refused. New messages are numbered per conversation in the order they arrived.

use super::interface::{
    Appended, ConversationRef, NewMessage, Refused, StoreError, StoreResult, Visitor,
};
use super::rows::status_name;
use crate::outbox::signal::QueuedCommand;
use crate::outbox::{Bridge, NewCommand, commands};
use protocol::operator::ConversationStatus;
use protocol::webhook::{Command, MessageCommand};
use protocol::{Author, AuthorKind, Message, TextFormat};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A visitor's message waiting to be stored.
#[derive(Debug, Clone)]
pub(super) struct VisitorMessage {
    pub visitor: Visitor,
    pub message: NewMessage,
    pub bridge: Bridge,
}

/// An operator's message (`createMessage` from the collaboration server, text already
/// sanitized) waiting to be stored.
#[derive(Debug, Clone)]
pub(crate) struct OperatorMessage {
    pub integration_id: String,
    pub conversation: ConversationRef,
    pub command: MessageCommand,
}

/// A message waiting in the writer's queue.
#[derive(Debug, Clone)]
pub(super) enum Incoming {
    Visitor(VisitorMessage),
    Operator(OperatorMessage),
}

/// What became of a message of the batch, told to its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    Visitor(Appended),
    Operator(Result<Message, Refused>),
}

/// What the store held of a batch's people and messages before the batch.
#[derive(Debug, Default)]
pub(super) struct Lookup {
    pub people: HashMap<i64, Person>,
    /// Messages stored under a client id, by person and client id.
    pub stored: HashMap<(i64, String), i64>,
    /// Operators' messages stored, by conversation and the collaboration server's id.
    pub stored_replies: HashSet<(i64, String)>,
}

/// A person of the batch as the store held it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Person {
    /// Its id in the collaboration server, once announced.
    pub ext_user_id: Option<String>,
    pub conversation: Option<PersonConversation>,
}

/// A person's conversation as the store held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PersonConversation {
    pub id: i64,
    /// Its id in the collaboration server, once announced.
    pub ext_id: Option<String>,
    pub announced: bool,
}

/// One visitor's message as the engines read it: its person, the person's conversation, and
/// the message stored before under its client id (`known_messages.sql`).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct LookupRow {
    pub person_id: i64,
    pub client_id: String,
    pub ext_user_id: Option<String>,
    pub conversation_id: Option<i64>,
    pub ext_conversation_id: Option<String>,
    pub announced_at: Option<i64>,
    pub existing: Option<i64>,
}

/// The ids the collaboration server knows a person and its conversation by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Announced {
    pub ext_user_id: String,
    pub ext_conversation_id: String,
}

/// What a batch's messages are looked up by: each visitor's by its person and client id, each
/// operator's by its conversation and its id in the collaboration server.
#[derive(Debug, Default)]
pub(super) struct Keys<'b> {
    pub visitors: Vec<(i64, &'b str)>,
    pub operators: Vec<(i64, &'b str)>,
}

impl<'b> Keys<'b> {
    pub(super) fn of(batch: &'b [Incoming]) -> Self {
        let mut keys = Self::default();
        for incoming in batch {
            match incoming {
                Incoming::Visitor(message) => keys
                    .visitors
                    .push((message.visitor.person_id, &message.message.client_id)),
                Incoming::Operator(message) => keys
                    .operators
                    .push((message.conversation.id, &message.command.ext_id)),
            }
        }
        keys
    }
}

impl Lookup {
    /// Adds what the rows of `known_messages.sql` for `keys` tell; every visitor's person must
    /// be among them.
    pub(super) fn add_all(&mut self, rows: Vec<LookupRow>, keys: &Keys) -> StoreResult<()> {
        for row in rows {
            self.add(row);
        }
        match keys
            .visitors
            .iter()
            .find(|(id, _)| !self.people.contains_key(id))
        {
            Some((gone, _)) => Err(StoreError::Corrupt(format!("person {gone} is gone"))),
            None => Ok(()),
        }
    }

    /// Adds what a row of `known_messages.sql` tells.
    pub(super) fn add(&mut self, row: LookupRow) {
        let conversation = row.conversation_id.map(|id| PersonConversation {
            id,
            ext_id: row.ext_conversation_id,
            announced: row.announced_at.is_some(),
        });
        let person = Person {
            ext_user_id: row.ext_user_id,
            conversation,
        };
        if let Some(existing) = row.existing {
            self.stored.insert((row.person_id, row.client_id), existing);
        }
        self.people.insert(row.person_id, person);
    }

    /// The first message of each person whose conversation must be created, or announced to
    /// the collaboration server, before the batch is written: the message that does it.
    pub(super) fn unprepared<'b>(&self, batch: &'b [Incoming]) -> Vec<&'b VisitorMessage> {
        let mut seen = BTreeSet::new();
        batch
            .iter()
            .filter_map(|incoming| match incoming {
                Incoming::Visitor(message) => Some(message),
                Incoming::Operator(_) => None,
            })
            .filter(|message| {
                let person_id = message.visitor.person_id;
                let ready = match message.bridge {
                    Bridge::Off => self.conversation_of(person_id).is_some(),
                    Bridge::On => self.announced(person_id).is_some(),
                };
                !ready && seen.insert(person_id)
            })
            .collect()
    }

    /// The person's conversation, once it exists.
    pub(super) fn conversation_of(&self, person_id: i64) -> Option<i64> {
        let conversation = self.people.get(&person_id)?.conversation.as_ref()?;
        Some(conversation.id)
    }

    /// The `createMessage` of a visitor's `message`, stored as `stored`, and the ids it names
    /// the person and its conversation by; none with the bridge off.
    pub(super) fn message_command(
        &self,
        message: &VisitorMessage,
        stored: &Message,
    ) -> StoreResult<Option<(NewCommand, Announced)>> {
        if message.bridge == Bridge::Off {
            return Ok(None);
        }
        let person_id = message.visitor.person_id;
        let announced = self
            .announced(person_id)
            .ok_or_else(|| StoreError::Corrupt(format!("person {person_id} is not announced")))?;
        let page = message.message.page.as_ref();
        let command = commands::message(
            stored,
            &announced.ext_user_id,
            &announced.ext_conversation_id,
            page,
        );
        let command = NewCommand::new(
            &message.visitor.integration_id,
            stored.conversation_id,
            &Command::CreateMessage(command),
        )?;
        Ok(Some((command, announced)))
    }

    /// The ids the collaboration server knows the person and its conversation by, once both
    /// are announced.
    pub(super) fn announced(&self, person_id: i64) -> Option<Announced> {
        let person = self.people.get(&person_id)?;
        let conversation = person.conversation.as_ref()?;
        if !conversation.announced {
            return None;
        }
        Some(Announced {
            ext_user_id: person.ext_user_id.clone()?,
            ext_conversation_id: conversation.ext_id.clone()?,
        })
    }
}

/// What becomes of one message of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// A visitor's message stored before the batch, under this id.
    Stored(i64),
    /// A visitor's message sent again within the batch: the one at this index.
    SameAs(usize),
    /// An operator's message whose id was stored before, or earlier in the batch.
    Refused,
    /// New: the `ordinal`-th new message of its conversation in the batch, from 0.
    New { conversation_id: i64, ordinal: i64 },
}

/// Which message of a batch becomes what.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Plan {
    /// One per message of the batch, in its order.
    pub slots: Vec<Slot>,
    /// How many numbers each conversation's new messages take, by conversation id (in one
    /// order, so PostgreSQL locks the conversations in one order).
    pub taken: BTreeMap<i64, i64>,
}

impl Plan {
    /// Plans `batch` given what `lookup` found before it; every visitor's conversation must
    /// have been found (the engine creates the missing ones first, [`Lookup::unprepared`]).
    pub(super) fn new(batch: &[Incoming], lookup: &Lookup) -> StoreResult<Self> {
        let mut slots = Vec::with_capacity(batch.len());
        let mut first_of: HashMap<(i64, &str), usize> = HashMap::new();
        let mut replies_in_batch: HashSet<(i64, &str)> = HashSet::new();
        let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
        let mut new_in = |conversation_id: i64| {
            let count = taken.entry(conversation_id).or_insert(0);
            *count += 1;
            Slot::New {
                conversation_id,
                ordinal: *count - 1,
            }
        };
        for (index, incoming) in batch.iter().enumerate() {
            let slot = match incoming {
                Incoming::Visitor(message) => {
                    let person_id = message.visitor.person_id;
                    let client_id = message.message.client_id.as_str();
                    if let Some(&id) = lookup.stored.get(&(person_id, client_id.to_owned())) {
                        Slot::Stored(id)
                    } else if let Some(&first) = first_of.get(&(person_id, client_id)) {
                        Slot::SameAs(first)
                    } else {
                        first_of.insert((person_id, client_id), index);
                        let conversation_id =
                            lookup.conversation_of(person_id).ok_or_else(|| {
                                StoreError::Corrupt(format!(
                                    "person {person_id} has no conversation"
                                ))
                            })?;
                        new_in(conversation_id)
                    }
                }
                Incoming::Operator(message) => {
                    let key = (message.conversation.id, message.command.ext_id.as_str());
                    if lookup.stored_replies.contains(&(key.0, key.1.to_owned()))
                        || !replies_in_batch.insert(key)
                    {
                        Slot::Refused
                    } else {
                        new_in(message.conversation.id)
                    }
                }
            };
            slots.push(slot);
        }
        Ok(Self { slots, taken })
    }

    /// The batch's new messages, each with its conversation and its ordinal among that
    /// conversation's new messages.
    pub(super) fn fresh<'b>(
        &self,
        batch: &'b [Incoming],
    ) -> impl Iterator<Item = (&'b Incoming, i64, i64)> {
        batch
            .iter()
            .zip(&self.slots)
            .filter_map(|(incoming, slot)| match *slot {
                Slot::New {
                    conversation_id,
                    ordinal,
                } => Some((incoming, conversation_id, ordinal)),
                _ => None,
            })
    }

    /// How many new messages the batch holds.
    pub(super) fn new_messages(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| matches!(slot, Slot::New { .. }))
            .count()
    }

    /// The ids of the visitors' messages stored before the batch.
    pub(super) fn stored_ids(&self) -> Vec<i64> {
        let ids: BTreeSet<i64> = self
            .slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Stored(id) => Some(*id),
                _ => None,
            })
            .collect();
        ids.into_iter().collect()
    }

    /// What each message of the batch became: `created` holds the new messages in the order
    /// of the batch, `stored` those stored before it, by id.
    pub(super) fn outcomes(
        &self,
        batch: &[Incoming],
        created: Vec<Message>,
        stored: &HashMap<i64, Message>,
    ) -> StoreResult<Vec<Outcome>> {
        let missing = || StoreError::Corrupt("a stored message went missing".into());
        let mut created = created.into_iter();
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(self.slots.len());
        for (incoming, slot) in batch.iter().zip(&self.slots) {
            let outcome = match (incoming, slot) {
                (Incoming::Visitor(_), Slot::Stored(id)) => Outcome::Visitor(Appended::Existing(
                    stored.get(id).ok_or_else(missing)?.clone(),
                )),
                (Incoming::Visitor(_), Slot::SameAs(first)) => match outcomes.get(*first) {
                    Some(Outcome::Visitor(first)) => {
                        Outcome::Visitor(Appended::Existing(first.message().clone()))
                    }
                    _ => return Err(missing()),
                },
                (Incoming::Visitor(_), _) => {
                    Outcome::Visitor(Appended::Created(created.next().ok_or_else(missing)?))
                }
                (Incoming::Operator(message), Slot::Refused) => Outcome::Operator(Err(
                    Refused::Conflict(format!("message {} exists", message.command.ext_id)),
                )),
                (Incoming::Operator(_), _) => {
                    Outcome::Operator(Ok(created.next().ok_or_else(missing)?))
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}

/// What a batch changes on a conversation besides its counter (its last activity is the
/// batch's time, whoever wrote).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Touch<'b> {
    /// `open` when the visitor wrote: a closed conversation opens again.
    pub status: Option<&'static str>,
    /// The page of the visitor's last message that named one (URL and title).
    pub page: Option<(&'b str, &'b str)>,
    /// The ordinal of the visitor's last new message, among the conversation's new ones.
    pub visitor_ordinal: Option<i64>,
}

impl Plan {
    /// What the batch changes on each conversation it numbers, in the order of
    /// [`Plan::taken`].
    pub(super) fn touches<'b>(&self, batch: &'b [Incoming]) -> Vec<Touch<'b>> {
        let mut touches: BTreeMap<i64, Touch<'b>> = self
            .taken
            .keys()
            .map(|id| (*id, Touch::default()))
            .collect();
        for (incoming, conversation_id, ordinal) in self.fresh(batch) {
            let (Incoming::Visitor(message), Some(touch)) =
                (incoming, touches.get_mut(&conversation_id))
            else {
                continue;
            };
            touch.status = Some(status_name(ConversationStatus::Open));
            touch.visitor_ordinal = Some(ordinal);
            if let Some(page) = message
                .message
                .page
                .as_ref()
                .filter(|page| !page.url.is_empty())
            {
                touch.page = Some((page.url.as_str(), page.title.as_str()));
            }
        }
        touches.into_values().collect()
    }
}

/// The values of a new message's row, as both engines' inserts bind them (its author's kind
/// and its text's format by their stored names).
#[derive(Debug)]
pub(super) struct MessageValues<'b> {
    pub client_id: Option<&'b str>,
    pub author_kind: AuthorKind,
    pub author_name: Option<&'b str>,
    pub visitor_id: Option<i64>,
    /// An operator's message's author: integration and the collaboration server's user id.
    pub author: Option<(&'b str, &'b str)>,
    pub ext_id: Option<&'b str>,
    pub text: &'b str,
    pub text_format: TextFormat,
    pub page_url: Option<&'b str>,
    pub page_title: Option<&'b str>,
}

impl<'b> MessageValues<'b> {
    pub(super) fn of(incoming: &'b Incoming) -> Self {
        match incoming {
            Incoming::Visitor(VisitorMessage {
                visitor, message, ..
            }) => Self {
                client_id: Some(&message.client_id),
                author_kind: AuthorKind::Visitor,
                author_name: visitor.contact.name.as_deref(),
                visitor_id: Some(visitor.id),
                author: None,
                ext_id: None,
                text: &message.text,
                text_format: message.text_format,
                page_url: Some(message.page.as_ref().map_or("", |page| page.url.as_str())),
                page_title: Some(message.page.as_ref().map_or("", |page| page.title.as_str())),
            },
            Incoming::Operator(OperatorMessage {
                integration_id,
                command,
                ..
            }) => Self {
                client_id: None,
                author_kind: AuthorKind::Operator,
                author_name: None,
                visitor_id: None,
                author: command
                    .ext_user_id
                    .as_deref()
                    .map(|ext_user_id| (integration_id.as_str(), ext_user_id)),
                ext_id: Some(&command.ext_id),
                text: &command.text,
                text_format: command.text_format,
                page_url: None,
                page_title: None,
            },
        }
    }

    /// The message as stored under `id`, numbered `seq`; an operator's without its author,
    /// which the engine finds as it writes it.
    pub(super) fn message(&self, id: i64, conversation_id: i64, seq: i64, now: i64) -> Message {
        Message {
            id,
            conversation_id,
            seq,
            client_id: self.client_id.map(str::to_owned),
            author: Author {
                kind: self.author_kind,
                name: self.author_name.map(str::to_owned),
                picture: None,
            },
            text: self.text.to_owned(),
            text_format: self.text_format,
            sent_at: now,
            edited_at: None,
        }
    }
}

/// `commands` as queued under `ids`, the ids their insert returned, which grow in the order
/// the commands were inserted.
pub(super) fn handed(
    commands: Vec<NewCommand>,
    mut ids: Vec<i64>,
) -> StoreResult<Vec<QueuedCommand>> {
    if ids.len() != commands.len() {
        return Err(StoreError::Corrupt(
            "a queued command went missing from its insert".into(),
        ));
    }
    ids.sort_unstable();
    Ok(commands
        .into_iter()
        .zip(ids)
        .map(|(command, id)| command.into_handed(id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::ordering_key;
    use crate::store::fixtures::from;

    fn reply(conversation_id: i64, ext_id: &str) -> Incoming {
        Incoming::Operator(OperatorMessage {
            integration_id: "shop".into(),
            conversation: ConversationRef {
                id: conversation_id,
                person_id: 0,
            },
            command: crate::store::fixtures::reply(ext_id, conversation_id),
        })
    }

    /// Ann (person 1) in conversation 100, announced; Bob (person 2) in 200, not announced;
    /// Ann's "a-1" stored before as message 7, and an operator's "op-1" in 100.
    fn lookup() -> Lookup {
        let mut lookup = Lookup::default();
        for (person_id, conversation_id, announced, client_id, existing) in
            [(1, 100, true, "a-1", Some(7)), (2, 200, false, "b-1", None)]
        {
            lookup.add(LookupRow {
                person_id,
                client_id: client_id.into(),
                ext_user_id: announced.then(|| format!("visitor-{person_id}")),
                conversation_id: Some(conversation_id),
                ext_conversation_id: announced.then(|| conversation_id.to_string()),
                announced_at: announced.then_some(1),
                existing,
            });
        }
        lookup.stored_replies.insert((100, "op-1".into()));
        lookup
    }

    fn new(conversation_id: i64, ordinal: i64) -> Slot {
        Slot::New {
            conversation_id,
            ordinal,
        }
    }

    #[test]
    fn new_messages_are_numbered_per_conversation_in_arrival_order() {
        let batch = [
            from(2, "b-1"),
            from(1, "a-2"),
            reply(100, "op-2"),
            from(2, "b-2"),
            from(1, "a-3"),
        ];
        let plan = Plan::new(&batch, &lookup()).unwrap();
        assert_eq!(
            plan.slots,
            [
                new(200, 0),
                new(100, 0),
                new(100, 1),
                new(200, 1),
                new(100, 2)
            ]
        );
        assert_eq!(plan.taken, BTreeMap::from([(100, 3), (200, 2)]));
        assert_eq!(plan.new_messages(), 5);
    }

    #[test]
    fn a_client_id_is_stored_once_and_an_operator_id_refused_twice() {
        let batch = [
            from(1, "a-1"),
            from(1, "a-2"),
            from(1, "a-2"),
            from(2, "a-2"),
            reply(100, "op-1"),
            reply(100, "op-2"),
            reply(100, "op-2"),
            reply(200, "op-2"),
        ];
        let plan = Plan::new(&batch, &lookup()).unwrap();
        assert_eq!(
            plan.slots,
            [
                Slot::Stored(7),
                new(100, 0),
                Slot::SameAs(1),
                new(200, 0),
                Slot::Refused,
                new(100, 1),
                Slot::Refused,
                new(200, 1),
            ],
            "client ids are per person, operators' ids per conversation"
        );
        assert_eq!(plan.stored_ids(), [7]);

        let now = 5;
        let created: Vec<Message> = batch
            .iter()
            .zip(&plan.slots)
            .enumerate()
            .filter_map(|(index, (incoming, slot))| match slot {
                Slot::New {
                    conversation_id,
                    ordinal,
                } => {
                    let id = 50 + i64::try_from(index).unwrap();
                    let values = MessageValues::of(incoming);
                    Some(values.message(id, *conversation_id, ordinal + 1, now))
                }
                _ => None,
            })
            .collect();
        let earlier = MessageValues::of(&batch[0]).message(7, 100, 1, 1);
        let stored = HashMap::from([(7, earlier.clone())]);
        let outcomes = plan.outcomes(&batch, created.clone(), &stored).unwrap();
        assert_eq!(outcomes[0], Outcome::Visitor(Appended::Existing(earlier)));
        assert_eq!(
            outcomes[1],
            Outcome::Visitor(Appended::Created(created[0].clone()))
        );
        assert_eq!(
            outcomes[2],
            Outcome::Visitor(Appended::Existing(created[0].clone())),
            "the message sent twice is answered as stored the first time"
        );
        assert!(matches!(
            &outcomes[4],
            Outcome::Operator(Err(Refused::Conflict(_)))
        ));
        assert_eq!(outcomes[5], Outcome::Operator(Ok(created[2].clone())));
        assert!(matches!(
            plan.outcomes(&batch, Vec::new(), &stored),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn people_without_a_conversation_or_announcement_are_prepared_once() {
        let mut quiet = from(3, "c-1");
        if let Incoming::Visitor(message) = &mut quiet {
            message.bridge = Bridge::Off;
        }
        let batch = [
            from(1, "a-2"),
            from(2, "b-1"),
            from(2, "b-2"),
            quiet,
            reply(100, "op-2"),
        ];
        let lookup = lookup();
        let unprepared: Vec<(i64, &str)> = lookup
            .unprepared(&batch)
            .iter()
            .map(|message| {
                (
                    message.visitor.person_id,
                    message.message.client_id.as_str(),
                )
            })
            .collect();
        assert_eq!(
            unprepared,
            [(2, "b-1"), (3, "c-1")],
            "Bob is not announced yet, Carol has no conversation"
        );
        assert!(
            matches!(Plan::new(&batch, &lookup), Err(StoreError::Corrupt(_))),
            "a batch is planned once every conversation exists"
        );
        assert_eq!(
            lookup.announced(1),
            Some(Announced {
                ext_user_id: "visitor-1".into(),
                ext_conversation_id: "100".into()
            })
        );
    }

    #[test]
    fn queued_commands_take_their_ids_in_order() {
        let command = |conversation_id| NewCommand {
            integration_id: "shop".into(),
            conversation_id,
            ordering_key: ordering_key(conversation_id),
            command: "{}".into(),
        };
        let handed = handed(vec![command(1), command(2)], vec![9, 8]).unwrap();
        let ids: Vec<(i64, &str)> = handed
            .iter()
            .map(|handed| (handed.item.id, handed.item.ordering_key.as_str()))
            .collect();
        assert_eq!(ids, [(8, "conversation-1"), (9, "conversation-2")]);
        assert!(super::handed(vec![command(1)], Vec::new()).is_err());
    }
}
