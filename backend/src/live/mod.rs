//! Widgets connected now: each one's WebSocket session, the fan-out of new messages to every
//! tab of a person, what each widget has been sent, and history in pages.

pub mod delivered;
pub mod history;
pub mod hub;
pub mod session;
