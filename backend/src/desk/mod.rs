//! The operators' desk in the database: console operators' accounts and sessions
//! ([`accounts`], `account_store`), their inbox of conversations and what they do to one
//! ([`inbox`], `inbox_store`), and canned replies ([`canned`], `canned_store`), behind the
//! traits in [`interface`]. They live in the store's database and are implemented on its
//! `SqlStore`, through the statements in `sql/`; where the inbox binds a list of ids, each
//! engine has its own statement ([`engines`]).

mod account_store;
mod accounts;
mod canned;
mod canned_store;
mod engines;
mod inbox;
mod inbox_store;
#[cfg(test)]
mod inbox_tests;
mod interface;

pub use accounts::{
    Account, Credentials, EmailTaken, NewAccount, SessionLifetime, TeamMember, normalize_email,
};
pub use canned::{CannedDraft, CannedSaved, InvalidCanned, MAX_SHORTCUT_CHARS};
pub use inbox::{
    Assignment, ConsoleReply, ConversationAddress, InboxCursor, InboxFilter, InboxPage, ReadMark,
    Replied, SharedSummary, StatusChange, Tally,
};
pub use inbox_store::{
    READ_THROUGH_STATEMENT, UNREAD_TALLY_STATEMENT, page_statement as inbox_page_statement,
};
pub use interface::{AccountStore, CannedStore, Desk, InboxStore};
