//! What a PostgreSQL writer remembers of its people's conversations from earlier groups, so
//! a group of people it knows is written without reading first. Nothing here needs to be
//! kept true: the statement that writes the group checks each conversation against what it
//! was planned with, and a client id stored before is refused by its unique index; either
//! failure writes nothing, and the writer forgets those people and reads them
//! ([`super::group_commit`]). A writer alone writes its people's messages, so what it remembers
//! changes under it only when a conversation is handed to another person or announced again.

use super::append_sql::{Incoming, Known};

/// Most people remembered; past it, all are forgotten and remembered again as they write.
const MAX_PEOPLE: usize = 65_536;

/// A writer's memory of its people.
#[derive(Debug, Default)]
pub(super) struct Remembered {
    known: Known,
}

impl Remembered {
    /// What is remembered of `group`'s people, if each one's conversation is.
    pub(super) fn recall(&self, group: &[&Incoming]) -> Option<Known> {
        self.known.recall(group)
    }

    /// Remembers what `known` holds of its people's conversations.
    pub(super) fn learn(&mut self, known: &Known) {
        if self.known.people() + known.people() > MAX_PEOPLE {
            self.known = Known::default();
        }
        self.known.learn(known);
    }

    /// Forgets `group`'s people, to be read again.
    pub(super) fn forget(&mut self, group: &[&Incoming]) {
        self.known.forget(group);
    }
}
