//! What the server is told: its settings file and environment, each integration's 1C
//! parameters, the integrations built from them (and the embedded default's demo operator), the
//! languages the chat speaks, and secrets that never reach a log.

pub mod demo_operator;
pub mod integrations;
pub mod languages;
pub mod params;
pub mod plural;
pub mod secret;
pub mod settings;
