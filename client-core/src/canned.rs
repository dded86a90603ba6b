//! The canned-reply picker of the console's composer, as a state machine: typing `/` at the
//! start of the composer opens a list of the conversation's integration's canned replies,
//! filtered by shortcut and text as the operator types on; arrows move the selection, Enter
//! (or a click) inserts the chosen text in place of the typed `/query`, Esc closes the list
//! until the `/` is gone. The console renders [`Picker`] as a listbox the composer completes
//! from.

use protocol::operator::CannedReply;

/// A key the picker may take from the composer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKey {
    Down,
    Up,
    Enter,
    Escape,
}

/// What the composer does with a key after the picker saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// Not the picker's: the composer handles it as usual (Enter sends).
    Ignored,
    /// The picker used it (the selection moved, the list closed): nothing else happens.
    Handled,
    /// Replace the draft with this text.
    Insert(String),
}

/// The picker's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    /// The canned replies matching the draft, best first; empty while closed.
    pub matches: Vec<CannedReply>,
    /// Index into `matches` of the one Enter inserts.
    pub selected: usize,
    /// What follows the `/`, while the list is open.
    query: Option<String>,
    /// Esc closed the list: it stays closed until the draft no longer starts with `/`.
    dismissed: bool,
}

/// What follows the `/` that starts `draft`, unless the draft is more than one line (then it
/// is a message that starts with a slash, not a search).
pub fn slash_query(draft: &str) -> Option<&str> {
    draft.strip_prefix('/').filter(|rest| !rest.contains('\n'))
}

/// How well `reply` matches the lower-cased `terms`: `None` when some term is in neither its
/// shortcut nor its text; lower is better (the first term starts the shortcut, is in it, is in
/// the text only).
fn rank(reply: &CannedReply, terms: &[String]) -> Option<u8> {
    let shortcut = reply.shortcut.to_lowercase();
    let text = reply.text.to_lowercase();
    if !terms
        .iter()
        .all(|term| shortcut.contains(term.as_str()) || text.contains(term.as_str()))
    {
        return None;
    }
    Some(match terms.first() {
        None => 0,
        Some(first) if shortcut.starts_with(first.as_str()) => 0,
        Some(first) if shortcut.contains(first.as_str()) => 1,
        Some(_) => 2,
    })
}

/// `replies` of `integration_id` (all when `None`) matching `query`, best first, then by
/// shortcut.
pub fn filter(
    replies: &[CannedReply],
    integration_id: Option<&str>,
    query: &str,
) -> Vec<CannedReply> {
    let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut ranked: Vec<(u8, &CannedReply)> = replies
        .iter()
        .filter(|reply| integration_id.is_none_or(|id| reply.integration_id == id))
        .filter_map(|reply| rank(reply, &terms).map(|rank| (rank, reply)))
        .collect();
    ranked.sort_by(|(a_rank, a), (b_rank, b)| a_rank.cmp(b_rank).then(a.shortcut.cmp(&b.shortcut)));
    ranked.into_iter().map(|(_, reply)| reply.clone()).collect()
}

impl Picker {
    /// Whether the list shows.
    pub fn is_open(&self) -> bool {
        self.query.is_some()
    }

    /// The selected canned reply.
    pub fn selection(&self) -> Option<&CannedReply> {
        self.matches.get(self.selected)
    }

    /// The draft (or the replies known) changed: the list opens, filters or closes.
    pub fn on_draft(&mut self, draft: &str, replies: &[CannedReply], integration_id: Option<&str>) {
        let Some(query) = slash_query(draft) else {
            *self = Self::default();
            return;
        };
        if self.dismissed {
            return;
        }
        if self.query.as_deref() != Some(query) {
            self.selected = 0;
        }
        self.matches = filter(replies, integration_id, query);
        self.selected = self.selected.min(self.matches.len().saturating_sub(1));
        self.query = Some(query.to_owned());
    }

    /// A key pressed in the composer.
    pub fn on_key(&mut self, key: PickerKey) -> Picked {
        if !self.is_open() {
            return Picked::Ignored;
        }
        match key {
            PickerKey::Down if !self.matches.is_empty() => {
                self.selected = (self.selected + 1) % self.matches.len();
                Picked::Handled
            }
            PickerKey::Up if !self.matches.is_empty() => {
                self.selected = self
                    .selected
                    .checked_sub(1)
                    .unwrap_or(self.matches.len() - 1);
                Picked::Handled
            }
            PickerKey::Enter => self.choose(self.selected),
            PickerKey::Escape => {
                self.close();
                self.dismissed = true;
                Picked::Handled
            }
            PickerKey::Down | PickerKey::Up => Picked::Handled,
        }
    }

    /// The operator clicked match `index` (or pressed Enter on it): its text replaces the
    /// draft. With nothing to insert, Enter sends the draft as typed.
    pub fn choose(&mut self, index: usize) -> Picked {
        match self.matches.get(index) {
            Some(reply) => {
                let text = reply.text.clone();
                self.close();
                Picked::Insert(text)
            }
            None => Picked::Ignored,
        }
    }

    fn close(&mut self) {
        self.query = None;
        self.matches.clear();
        self.selected = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canned(id: i64, integration_id: &str, shortcut: &str, text: &str) -> CannedReply {
        CannedReply {
            id,
            integration_id: integration_id.into(),
            shortcut: shortcut.into(),
            text: text.into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn replies() -> Vec<CannedReply> {
        vec![
            canned(1, "shop", "thanks", "Thank you for waiting!"),
            canned(2, "shop", "hello", "Hello! How can I help?"),
            canned(
                3,
                "shop",
                "delivery",
                "Delivery takes two days; thanks for asking.",
            ),
            canned(4, "other", "hello", "Hi from elsewhere"),
        ]
    }

    fn shortcuts(picker: &Picker) -> Vec<&str> {
        picker
            .matches
            .iter()
            .map(|reply| reply.shortcut.as_str())
            .collect()
    }

    #[test]
    fn a_slash_at_the_start_of_one_line_opens_the_search() {
        assert_eq!(slash_query("/"), Some(""));
        assert_eq!(slash_query("/hel"), Some("hel"));
        assert_eq!(slash_query("/thank you"), Some("thank you"));
        assert_eq!(slash_query("hello /x"), None);
        assert_eq!(slash_query(" /x"), None);
        assert_eq!(slash_query("/x\nmore"), None);
    }

    #[test]
    fn the_list_filters_by_shortcut_then_text_within_the_integration() {
        let mut picker = Picker::default();
        picker.on_draft("/", &replies(), Some("shop"));
        assert!(picker.is_open());
        assert_eq!(shortcuts(&picker), ["delivery", "hello", "thanks"]);
        picker.on_draft("/THA", &replies(), Some("shop"));
        assert_eq!(
            shortcuts(&picker),
            ["thanks", "delivery"],
            "a shortcut's start before a text's middle"
        );
        picker.on_draft("/two days", &replies(), Some("shop"));
        assert_eq!(shortcuts(&picker), ["delivery"], "every term, in the text");
        picker.on_draft("/hello", &replies(), None);
        assert_eq!(picker.matches.len(), 2, "no integration known: all of them");
        picker.on_draft("/nothing", &replies(), Some("shop"));
        assert!(picker.is_open() && picker.matches.is_empty());
        assert_eq!(
            picker.on_key(PickerKey::Enter),
            Picked::Ignored,
            "Enter sends as typed"
        );
        picker.on_draft("plain text", &replies(), Some("shop"));
        assert!(!picker.is_open());
        assert_eq!(picker.on_key(PickerKey::Down), Picked::Ignored);
    }

    #[test]
    fn arrows_move_the_selection_around_and_enter_inserts_it() {
        let mut picker = Picker::default();
        picker.on_draft("/", &replies(), Some("shop"));
        assert_eq!(picker.selection().map(|r| r.id), Some(3));
        assert_eq!(picker.on_key(PickerKey::Up), Picked::Handled);
        assert_eq!(
            picker.selection().map(|r| r.id),
            Some(1),
            "up from the first wraps"
        );
        assert_eq!(picker.on_key(PickerKey::Down), Picked::Handled);
        assert_eq!(picker.on_key(PickerKey::Down), Picked::Handled);
        assert_eq!(picker.selection().map(|r| r.id), Some(2));
        // The same query again (the replies reloaded) keeps the selection; a new one resets it.
        picker.on_draft("/", &replies(), Some("shop"));
        assert_eq!(picker.selected, 1);
        picker.on_draft("/h", &replies(), Some("shop"));
        assert_eq!(picker.selected, 0);
        assert_eq!(
            picker.on_key(PickerKey::Enter),
            Picked::Insert("Hello! How can I help?".into())
        );
        assert!(!picker.is_open());
        assert_eq!(picker.on_key(PickerKey::Enter), Picked::Ignored);
    }

    #[test]
    fn escape_closes_the_list_until_the_slash_is_gone() {
        let mut picker = Picker::default();
        picker.on_draft("/he", &replies(), Some("shop"));
        assert_eq!(picker.on_key(PickerKey::Escape), Picked::Handled);
        assert!(!picker.is_open());
        picker.on_draft("/hel", &replies(), Some("shop"));
        assert!(!picker.is_open(), "typing on keeps it closed");
        assert_eq!(
            picker.on_key(PickerKey::Escape),
            Picked::Ignored,
            "Esc goes on to the page"
        );
        picker.on_draft("", &replies(), Some("shop"));
        picker.on_draft("/", &replies(), Some("shop"));
        assert!(picker.is_open(), "a new slash opens it again");
    }

    #[test]
    fn a_click_inserts_that_match() {
        let mut picker = Picker::default();
        picker.on_draft("/", &replies(), Some("shop"));
        assert_eq!(
            picker.choose(2),
            Picked::Insert("Thank you for waiting!".into())
        );
        assert_eq!(picker.choose(9), Picked::Ignored);
    }
}
