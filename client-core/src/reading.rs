//! When the widget tells the server how far the visitor has read (`read` frames, which operators
//! see as "seen"): only while the visitor has the log before its eyes, i.e. the panel open (the
//! log then scrolls to its newest message) in a tab the browser shows, and only when the newest
//! message is past the position told already, or of another conversation (identification can
//! bring the visitor another one, with its own `seq`s). A closed panel or a hidden tab tells
//! nothing: messages arriving meanwhile are read when the visitor comes back to them.

use crate::unread::ChatVisibility;

/// Whether the browser shows the page's tab (`document.visibilityState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageVisibility {
    Visible,
    Hidden,
}

/// A message's place: its conversation and `seq` there.
pub type Position = (i64, i64);

/// The read position told to the server; a new one goes only past it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadMark {
    told: Option<Position>,
}

impl ReadMark {
    /// The log's newest message is at `newest`; `chat` and `page` say whether the visitor sees
    /// it. The `seq` to tell the server now, if any.
    pub fn sighted(
        &mut self,
        newest: Position,
        chat: ChatVisibility,
        page: PageVisibility,
    ) -> Option<i64> {
        let sees = chat == ChatVisibility::Open && page == PageVisibility::Visible;
        let further = match self.told {
            Some((conversation, seq)) => conversation != newest.0 || seq < newest.1,
            None => true,
        };
        if !sees || !further {
            return None;
        }
        self.told = Some(newest);
        Some(newest.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChatVisibility::{Collapsed, Open};
    use PageVisibility::{Hidden, Visible};

    #[test]
    fn tells_only_what_the_visitor_sees_and_only_further_than_before() {
        let mut mark = ReadMark::default();
        assert_eq!(
            mark.sighted((7, 3), Collapsed, Visible),
            None,
            "closed panel"
        );
        assert_eq!(mark.sighted((7, 3), Open, Hidden), None, "hidden tab");
        assert_eq!(mark.sighted((7, 3), Open, Visible), Some(3), "opened");
        assert_eq!(mark.sighted((7, 3), Open, Visible), None, "told already");
        assert_eq!(mark.sighted((7, 2), Open, Visible), None, "backwards");
        assert_eq!(
            mark.sighted((7, 5), Open, Hidden),
            None,
            "arrived while hidden"
        );
        assert_eq!(mark.sighted((7, 5), Open, Visible), Some(5), "shown again");
    }

    #[test]
    fn another_conversation_starts_over() {
        let mut mark = ReadMark::default();
        assert_eq!(mark.sighted((7, 9), Open, Visible), Some(9));
        assert_eq!(
            mark.sighted((8, 2), Open, Visible),
            Some(2),
            "identified: another one"
        );
    }
}
