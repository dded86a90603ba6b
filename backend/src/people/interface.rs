//! What the rest of the server sees of visitors and people: the [`People`] trait and the types
//! it speaks in besides the store's [`Visitor`].

use crate::outbox::Bridge;
use crate::store::{StoreResult, Visitor};
use async_trait::async_trait;
use protocol::ContactInfo;

/// Whether identification gave the visitor a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRotation {
    /// The visitor was already this person: its token stays.
    Kept,
    /// The visitor became another person: the old token is refused from now on and the new
    /// one (whose hash `identify` was given) speaks for it. Whoever knew the token before the
    /// login (a shared computer, a planted link) cannot follow the visitor into its account.
    Replaced,
}

/// A visitor after identification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub visitor: Visitor,
    pub token: TokenRotation,
}

/// Visitors (a browser's token) and the people they speak for.
#[async_trait]
pub trait People: Send + Sync {
    /// A new anonymous visitor with its own anonymous person, made in `browser` (its
    /// User-Agent, already cut to size) when the request said.
    async fn create_visitor(
        &self,
        integration_id: &str,
        token_hash: &str,
        browser: Option<&str>,
    ) -> StoreResult<Visitor>;

    /// The visitor holding this token, unless it logged out or was last seen before
    /// `seen_since` (milliseconds since the epoch). Notes that it was seen now, at most once
    /// a day per visitor, so connecting costs no write.
    async fn visitor_by_token(
        &self,
        integration_id: &str,
        token_hash: &str,
        seen_since: i64,
    ) -> StoreResult<Option<Visitor>>;

    /// The visitor with this id, unless it logged out.
    async fn visitor(&self, visitor_id: i64) -> StoreResult<Option<Visitor>>;

    /// Ends the visitor's session: its token is refused from now on.
    async fn revoke_visitor(&self, visitor_id: i64) -> StoreResult<()>;

    /// Binds the visitor to the person identified by `sub`. An anonymous person becomes that
    /// person when `sub` is new; otherwise its conversation and contact info are adopted by the
    /// existing person if that one has none. When the visitor changes person, its token is
    /// replaced by the one hashed as `new_token_hash`, in the same transaction.
    async fn identify(
        &self,
        visitor_id: i64,
        sub: &str,
        new_token_hash: &str,
        bridge: Bridge,
    ) -> StoreResult<Identified>;

    /// Replaces the person's contact info.
    async fn set_contact(
        &self,
        person_id: i64,
        contact: &ContactInfo,
        bridge: Bridge,
    ) -> StoreResult<()>;
}
