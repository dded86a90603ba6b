//! Operator messages the visitor has not seen: counted while the chat is collapsed, cleared
//! when it opens.

use protocol::AuthorKind;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Unread {
    count: u32,
}

impl Unread {
    pub fn count(self) -> u32 {
        self.count
    }

    /// A new message arrived (not one the log already held). `open` is whether the visitor
    /// sees the chat now.
    pub fn arrived(&mut self, author: AuthorKind, open: ChatVisibility) {
        if author != AuthorKind::Visitor && open == ChatVisibility::Collapsed {
            self.count = self.count.saturating_add(1);
        }
    }

    /// The visitor opened the chat and sees everything.
    pub fn seen(&mut self) {
        self.count = 0;
    }
}

/// Whether the visitor sees the message log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatVisibility {
    Open,
    Collapsed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_others_messages_while_collapsed() {
        let mut unread = Unread::default();
        unread.arrived(AuthorKind::Operator, ChatVisibility::Collapsed);
        unread.arrived(AuthorKind::Visitor, ChatVisibility::Collapsed);
        unread.arrived(AuthorKind::Operator, ChatVisibility::Open);
        unread.arrived(AuthorKind::System, ChatVisibility::Collapsed);
        assert_eq!(unread.count(), 2);
        unread.seen();
        assert_eq!(unread.count(), 0);
    }
}
