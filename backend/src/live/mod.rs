//! Who is connected now: each widget's WebSocket session, the fan-out of what happens to every
//! tab of a person and to every operator of an integration, what each widget has been sent, and
//! history in pages.

pub mod channels;
pub mod counts_pace;
pub mod delivered;
pub mod history;
pub mod hub;
pub mod operators;
pub mod presence;
pub mod publish;
pub mod session;
pub mod socket;
pub mod stale;
pub mod summaries;
pub mod tallies;
