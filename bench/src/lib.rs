//! What the bench's targets share: the token verification fixture and its HDR loop, used by
//! `webchat-bench` and by the criterion bench `benches/token.rs`.

pub mod tokens;
