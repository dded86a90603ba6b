//! What stands between the network and the chat: the listener and its timeouts, the address a
//! request comes from, caps on what one key holds open, rate limits and limits on failures.

pub mod client_ip;
pub mod failures;
pub mod listener;
pub mod ratelimit;
pub mod refusal;
pub mod slots;
