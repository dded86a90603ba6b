//! WebSocket close codes the server sends to the widget, beside the frames: the widget decides
//! from the code whether to reconnect or to start fresh.

/// The server is shutting down; reconnect later.
pub const GOING_AWAY: u16 = 1001;
/// The peer stopped answering heartbeats.
pub const TIMEOUT: u16 = 4000;
/// The visitor logged out (in this tab or another); the widget starts fresh.
pub const LOGGED_OUT: u16 = 4001;
