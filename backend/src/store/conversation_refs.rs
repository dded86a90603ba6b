//! The conversations operators' commands name, remembered by the collaboration server's id
//! for them: otherwise every operator message looks its conversation up first, a round trip
//! before its group. A conversation keeps its ids; the person it belongs to changes only when
//! an anonymous visitor logs in as a known person and hands its conversation over, which
//! forgets everything remembered.

use super::ConversationRef;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most conversations remembered; past it, all are forgotten and remembered again as used.
const MAX_REMEMBERED: usize = 65_536;

/// Conversations by integration and the collaboration server's id.
#[derive(Debug, Default)]
pub(crate) struct ConversationRefs {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Counts the times everything was forgotten: a lookup that started before may have read
    /// what is no longer true, and is not remembered.
    generation: u64,
    refs: HashMap<(String, String), ConversationRef>,
}

/// When a lookup started, for [`ConversationRefs::remember`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

impl ConversationRefs {
    /// The conversation remembered for `ext_id`, or when a lookup of it starts.
    pub(crate) fn get(
        &self,
        integration_id: &str,
        ext_id: &str,
    ) -> Result<ConversationRef, Generation> {
        let entries = self.lock();
        let key = (integration_id.to_owned(), ext_id.to_owned());
        entries
            .refs
            .get(&key)
            .copied()
            .ok_or(Generation(entries.generation))
    }

    /// Remembers what a lookup that started at `generation` found, unless everything was
    /// forgotten since.
    pub(crate) fn remember(
        &self,
        generation: Generation,
        integration_id: &str,
        ext_id: &str,
        conversation: ConversationRef,
    ) {
        let mut entries = self.lock();
        if Generation(entries.generation) != generation {
            return;
        }
        if entries.refs.len() >= MAX_REMEMBERED {
            entries.refs.clear();
        }
        let key = (integration_id.to_owned(), ext_id.to_owned());
        entries.refs.insert(key, conversation);
    }

    /// Forgets everything: a conversation changed hands. Called after the change commits.
    pub(crate) fn forget_all(&self) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.refs.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Nothing panics while holding it; a poisoned map is still a valid map.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TALK: ConversationRef = ConversationRef {
        id: 7,
        person_id: 3,
    };

    #[test]
    fn a_found_conversation_is_remembered_by_integration_and_id() {
        let refs = ConversationRefs::default();
        let started = refs.get("shop", "c-7").unwrap_err();
        refs.remember(started, "shop", "c-7", TALK);
        assert_eq!(refs.get("shop", "c-7"), Ok(TALK));
        assert!(refs.get("other", "c-7").is_err());
    }

    #[test]
    fn a_lookup_started_before_a_hand_over_is_not_remembered() {
        let refs = ConversationRefs::default();
        let started = refs.get("shop", "c-7").unwrap_err();
        refs.forget_all();
        refs.remember(started, "shop", "c-7", TALK);
        assert!(
            refs.get("shop", "c-7").is_err(),
            "it may name the old person"
        );

        let started = refs.get("shop", "c-7").unwrap_err();
        refs.remember(started, "shop", "c-7", TALK);
        refs.forget_all();
        assert!(refs.get("shop", "c-7").is_err());
    }
}
