//! What the desk keeps of console operators: accounts, found by their e-mail lower-cased,
//! and how long their sessions live. [`super::interface::AccountStore`] stores them;
//! `account_store` implements it on both engines.

/// An operator account of the console, with the integrations it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    /// Lower-cased.
    pub email: String,
    pub name: String,
    /// Integration ids, sorted.
    pub integrations: Vec<String>,
}

/// An account sharing integrations with another one: whom that one can hand a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub id: i64,
    pub name: String,
    /// The shared integration ids, sorted.
    pub integrations: Vec<String>,
}

/// An account to create; its e-mail is lower-cased when stored.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    /// A PHC string ([`crate::auth::password::hash`]).
    pub password_hash: String,
    pub integrations: Vec<String>,
}

/// What a login checks a password against.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Credentials {
    #[sqlx(rename = "id")]
    pub account_id: i64,
    pub password_hash: String,
}

/// An account with this e-mail exists already.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an operator with e-mail {0} exists already")]
pub struct EmailTaken(pub String);

/// How long sessions live, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// Unused this long, a session ends.
    pub idle_ms: i64,
    /// This long after login, a session ends however busy.
    pub absolute_ms: i64,
}

/// The form accounts are stored and found under.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
