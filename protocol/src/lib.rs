//! Wire formats shared by the web chat widget, the operator console and the backend: WebSocket
//! frames, REST bodies, the operator API, webhook commands and integration parameters. Serde types only, no I/O and no logic, so the crate builds for both
//! `wasm32-unknown-unknown` and native targets. New fields are additive (`#[serde(default)]`).

pub mod close_code;
pub mod frames;
pub mod html;
pub mod operator;
pub mod params;
pub mod rest;
pub mod webhook;

pub use frames::{
    Author, AuthorKind, ClientFrame, ContactInfo, ErrorCode, Message, PageInfo, ServerFrame,
    TextFormat,
};
pub use params::IntegrationParams;
pub use rest::{ErrorBody, ErrorDetail, Health, OutboxHealth, VisitorCreated, WsQuery};

#[cfg(test)]
pub(crate) mod roundtrip {
    //! The one helper every type's round-trip test uses.
    use serde::{Serialize, de::DeserializeOwned};
    use std::fmt::Debug;

    /// Serializes `value`, checks the JSON equals `expected`, and that it parses back to `value`.
    pub fn assert_roundtrip<T>(value: &T, expected: serde_json::Value)
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug,
    {
        let json = serde_json::to_value(value).expect("serializes");
        assert_eq!(json, expected, "wire form");
        let back: T = serde_json::from_value(json).expect("parses back");
        assert_eq!(&back, value);
    }
}
