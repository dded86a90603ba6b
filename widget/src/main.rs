//! The chat, compiled to WebAssembly and started by the backend's loader script (which owns the
//! page API and the collapsed tab): it renders the open chat into the loader's Shadow DOM root
//! and runs the visitor's session with the server.

mod browser;
mod config;
mod loader;
mod net;
mod page;
mod session;
mod storage;
mod ui;

/// Talc instead of Rust's default dlmalloc: the same job with less code in the bundle.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Nothing runs when the bundle loads: the loader calls [`page::start_chat`].
fn main() {}
