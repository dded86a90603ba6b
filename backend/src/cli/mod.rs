//! The server's commands besides serving (`webchat-server outbox ...`): what an operator of the
//! server runs by hand.

pub mod outbox;
