//! The bridge to the collaboration server: visitors' conversations go out as webhook commands
//! through a durable outbox; operators' commands come in through the inbound webhook route.

pub mod client;
pub mod commands;
pub mod worker;
