//! `cargo xtask build`: the release widget bundle in `dist/` (trunk, configured by the root
//! `Trunk.toml` and `widget/index.html`) and the release server binary.

use crate::cmd;
use crate::tools::{self, Tools};
use anyhow::Result;
use std::path::Path;

pub fn all(root: &Path) -> Result<()> {
    let tools = tools::install(root)?;
    widget(root, &tools)?;
    server(root)
}

/// The release bundle in `dist/`. `widget/index.html` picks the size-optimised
/// `wasm-release` cargo profile and `wasm-opt -Oz`. Offline (also set in `Trunk.toml`; on the
/// command line it skips trunk's update check too), trunk uses the wasm-bindgen and wasm-opt
/// that `install` put on `tools.path` instead of downloading them.
pub fn widget(root: &Path, tools: &Tools) -> Result<()> {
    cmd::run(
        tools
            .command("trunk")
            .args(["build", "--release", "--offline"])
            .current_dir(root),
    )
}

pub fn server(root: &Path) -> Result<()> {
    cmd::run(
        cmd::cargo()
            .args([
                "build",
                "--release",
                "-p",
                "backend",
                "--bin",
                "webchat-server",
            ])
            .current_dir(root),
    )
}

/// The demo shop (`www`), only needed by `demo`.
pub fn demo_site(root: &Path) -> Result<()> {
    cmd::run(
        cmd::cargo()
            .args(["build", "--release", "-p", "www", "--bin", "www"])
            .current_dir(root),
    )
}
