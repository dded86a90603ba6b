//! What the server is told: its settings file and environment, each integration's 1C
//! parameters, the integrations built from them, the languages the chat speaks, and secrets
//! that never reach a log. Nothing here reads the database: the embedded default's demo
//! integration and operator, whose secrets it keeps, are [`crate::demo`]'s.

pub mod integrations;
pub mod languages;
pub mod params;
pub mod plural;
pub mod secret;
pub mod settings;
