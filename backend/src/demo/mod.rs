//! The embedded default, run when the server starts with no settings file and no integration:
//! the `demo` integration ([`integration`]) and its console operator ([`operator`]), their
//! secrets generated on the first start and kept in the database's server settings.

pub mod integration;
pub mod operator;
