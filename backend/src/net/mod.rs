//! What stands between the network and the chat: the listener and its timeouts, the address a
//! request comes from, caps on what one key holds open, and rate limits.

pub mod client_ip;
pub mod listener;
pub mod ratelimit;
pub mod slots;
