//! The widget's chat logic in plain Rust, free of the browser so it is tested natively: the
//! message log (ordering, deduplication, delivery state), the unread count, the queue of
//! messages waiting for the server, reconnect backoff, the allow-list HTML reader, the UI's
//! words and the root's placement classes (the server's loader script uses those two too).

pub mod backoff;
pub mod html;
pub mod i18n;
pub mod log;
pub mod outbox;
pub mod placement;
pub mod unread;

pub use backoff::Backoff;
pub use log::{Delivery, Earlier, Entry, Log};
pub use outbox::{Outbox, Outgoing};
pub use unread::Unread;
