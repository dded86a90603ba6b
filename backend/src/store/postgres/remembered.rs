//! What the PostgreSQL writer remembers of its people from earlier batches, so a batch of
//! people it knows is planned without a read first. Nothing here has to stay true: the write
//! statement checks each conversation against what the batch was planned with (its person, and
//! the ids the collaboration server knows both by), and a client id or operator's message id
//! stored before is refused by its unique index. Either way the statement writes nothing, and
//! the writer forgets the batch's people and reads them ([`super::batch`]). What is remembered
//! changes under the writer only when a person logs in (its conversation handed over, or a
//! site user taking over the collaboration server's user), possibly on another node.

use crate::store::batch::{Incoming, Lookup, Person};
use std::collections::HashMap;

/// Most people remembered; past it, all are forgotten and learnt again as they write.
const MAX_PEOPLE: usize = 65_536;

/// The writer's memory of its people: each one whose conversation exists.
#[derive(Debug, Default)]
pub(super) struct RememberedPeople {
    people: HashMap<i64, Person>,
}

impl RememberedPeople {
    /// What is remembered of `batch`'s people, if each one's conversation is remembered ready
    /// for its messages (announced, with the bridge on). Operators' messages need nothing: the
    /// statement finds their authors, and an id stored before is refused by its index.
    pub(super) fn recall(&self, batch: &[Incoming]) -> Option<Lookup> {
        let mut lookup = Lookup::default();
        for incoming in batch {
            if let Incoming::Visitor(message) = incoming {
                let person_id = message.visitor.person_id;
                let person = self.people.get(&person_id)?;
                lookup.people.insert(person_id, person.clone());
            }
        }
        lookup.unprepared(batch).is_empty().then_some(lookup)
    }

    /// Remembers the people `lookup` holds with a conversation.
    pub(super) fn learn(&mut self, lookup: &Lookup) {
        if self.people.len() + lookup.people.len() > MAX_PEOPLE {
            self.people.clear();
        }
        let known = lookup
            .people
            .iter()
            .filter(|(_, person)| person.conversation.is_some());
        self.people
            .extend(known.map(|(&id, person)| (id, person.clone())));
    }

    /// Forgets `batch`'s people, to be read again.
    pub(super) fn forget(&mut self, batch: &[Incoming]) {
        for incoming in batch {
            if let Incoming::Visitor(message) = incoming {
                self.people.remove(&message.visitor.person_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch::LookupRow;
    use crate::store::fixtures::from;

    fn row(person_id: i64, conversation_id: Option<i64>, announced: bool) -> LookupRow {
        LookupRow {
            person_id,
            client_id: "c".into(),
            ext_user_id: announced.then(|| format!("visitor-{person_id}")),
            conversation_id,
            ext_conversation_id: announced.then(|| "100".into()),
            announced_at: announced.then_some(1),
            existing: None,
        }
    }

    fn learnt(rows: Vec<LookupRow>) -> RememberedPeople {
        let mut lookup = Lookup::default();
        for row in rows {
            lookup.add(row);
        }
        let mut remembered = RememberedPeople::default();
        remembered.learn(&lookup);
        remembered
    }

    #[test]
    fn a_batch_is_recalled_only_when_every_person_is_ready() {
        let remembered = learnt(vec![
            row(1, Some(100), true),
            row(2, Some(200), false),
            row(3, None, false),
        ]);
        let recalled = remembered
            .recall(&[from(1, "a")])
            .expect("Ann is announced");
        assert_eq!(recalled.conversation_of(1), Some(100));
        assert!(recalled.stored.is_empty(), "nothing is known to be stored");
        // `from` has the bridge on: Bob's conversation is not announced yet.
        assert!(remembered.recall(&[from(1, "a"), from(2, "b")]).is_none());
        // Carol has no conversation, so she is not remembered at all.
        assert!(remembered.recall(&[from(3, "c")]).is_none());
        assert!(remembered.recall(&[from(4, "d")]).is_none());
    }

    #[test]
    fn forgotten_people_are_read_again() {
        let mut remembered = learnt(vec![row(1, Some(100), true), row(2, Some(200), true)]);
        remembered.forget(&[from(1, "a")]);
        assert!(remembered.recall(&[from(1, "a")]).is_none());
        assert!(remembered.recall(&[from(2, "b")]).is_some());
    }
}
