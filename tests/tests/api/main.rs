//! Black-box tests of the backend over HTTP and WebSocket, each on SQLite and PostgreSQL. One
//! test binary, a module per area.

mod binary;
mod bridge;
mod browser;
mod browser_a11y;
mod browser_canned;
mod browser_console;
mod browser_csp;
mod browser_history;
mod browser_integrators;
mod browser_loader;
mod browser_params;
mod browser_presence;
mod browser_privacy;
mod browser_reading;
mod browser_ui;
mod canned;
mod connections;
mod history;
mod http;
mod identity;
mod limits;
mod messages;
mod metrics;
mod onec;
mod operator_auth;
mod operator_cli;
mod operator_inbox;
mod operator_live;
mod privacy;
mod rate_limits;
mod signers;
mod support;
mod tokens;
mod xss;
