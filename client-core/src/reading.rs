//! When the widget tells the server how far the visitor has read (`read` frames, which operators
//! see as "seen"): only while the visitor has the log before its eyes, i.e. the panel open (the
//! log then scrolls to its newest message) in a tab the browser shows, and only when the newest
//! message is past the position told already. A closed panel or a hidden tab tells nothing:
//! messages arriving meanwhile are read when the visitor comes back to them.

use crate::unread::ChatVisibility;

/// Whether the browser shows the page's tab (`document.visibilityState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageVisibility {
    Visible,
    Hidden,
}

/// The read position told to the server; a new one goes only past it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadMark {
    told: i64,
}

impl ReadMark {
    /// The log's newest message is `newest` (its `seq`); `chat` and `page` say whether the
    /// visitor sees it. The position to tell the server now, if any.
    pub fn sighted(
        &mut self,
        newest: i64,
        chat: ChatVisibility,
        page: PageVisibility,
    ) -> Option<i64> {
        let sees = chat == ChatVisibility::Open && page == PageVisibility::Visible;
        if !sees || newest <= self.told {
            return None;
        }
        self.told = newest;
        Some(newest)
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
        assert_eq!(mark.sighted(3, Collapsed, Visible), None, "closed panel");
        assert_eq!(mark.sighted(3, Open, Hidden), None, "hidden tab");
        assert_eq!(mark.sighted(3, Open, Visible), Some(3), "opened");
        assert_eq!(mark.sighted(3, Open, Visible), None, "told already");
        assert_eq!(mark.sighted(2, Open, Visible), None, "backwards");
        assert_eq!(mark.sighted(5, Open, Hidden), None, "arrived while hidden");
        assert_eq!(mark.sighted(5, Open, Visible), Some(5), "shown again");
    }

    #[test]
    fn nothing_before_any_message() {
        assert_eq!(ReadMark::default().sighted(0, Open, Visible), None);
    }
}
