//! The chat clients' logic in plain Rust, free of the browser so it is tested natively: the
//! connection as a state machine (reconnect, resend, logout, the rate limit), contact merges,
//! the message log (ordering, deduplication, delivery state), the unread count, when the visitor has read
//! operators' messages, the queue of messages waiting for the server, reconnect backoff, the allow-list HTML reader, the UI's
//! words, typing notices both ways, the root's placement classes and the browser storage keys
//! (the server's loader script uses those three too), and the operators' console's inbox and
//! words, its canned-reply picker and when it alerts. Named for what
//! uses it, not for the product: the widget and the console. The browser side the two apps
//! share is apart, behind the `dom` feature ([`dom`]), so the logic builds and is tested
//! without it.

pub mod alerts;
pub mod backoff;
pub mod canned;
pub mod connection;
pub mod contact;
#[cfg(feature = "dom")]
pub mod dom;
pub mod html;
pub mod i18n;
pub mod inbox;
pub mod log;
pub mod outbox;
pub mod placement;
pub mod reading;
pub mod storage_keys;
pub mod typing;
pub mod unread;

pub use backoff::Backoff;
pub use inbox::Inbox;
pub use log::{Delivery, Earlier, Entry, Log};
pub use outbox::{Outbox, Outgoing};
pub use typing::{TypingIndicator, TypingThrottle};
pub use unread::Unread;
