//! Visitors and the people they speak for, behind the [`People`] trait ([`interface`]): a
//! visitor is a browser's token, made with an anonymous person of its own (`visitors.rs`), and
//! moved to a site user's person when a matching-key token identifies it
//! ([`identification`]). Implemented on the store's `SqlStore`, through the statements in
//! `sql/`; the messages a person's visitors send, and what the collaboration server is told of
//! people, are the store's ([`crate::store`]).

mod identification;
mod interface;
#[cfg(test)]
mod tests;
mod visitors;

pub use interface::{Identified, People, TokenRotation};
