//! The server's commands besides serving (`webchat-server outbox ...`, `webchat-server operator
//! ...`): what an administrator of the server runs by hand.

pub mod operator;
pub mod outbox;
