//! `cargo xtask build`: the release widget bundle in `dist/` (trunk, configured by the root
//! `Trunk.toml` and `widget/index.html`), the operators' console in `dist/console/`
//! (`console/Trunk.toml`), both minified and precompressed, and the release server binary.

use crate::cmd;
use crate::glue;
use crate::tools::{self, Tools};
use anyhow::{Context, Result};
use std::path::Path;

pub fn all(root: &Path) -> Result<()> {
    let tools = tools::install(root)?;
    bundles(root, &tools)?;
    server(root)
}

/// Both browser bundles. The widget first: trunk empties its dist folder before writing, and the
/// widget's (`dist/`) holds the console's.
pub fn bundles(root: &Path, tools: &Tools) -> Result<()> {
    widget(root, tools)?;
    console(root, tools)
}

/// The release bundle in `dist/`. `widget/index.html` picks the size-optimised
/// `wasm-release` cargo profile and `wasm-opt -Oz`. Offline (also set in `Trunk.toml`; on the
/// command line it skips trunk's update check too), trunk uses the wasm-bindgen and wasm-opt
/// that `install` put on `tools.path` instead of downloading them. terser then minifies the
/// JavaScript glue (`crate::glue`).
pub fn widget(root: &Path, tools: &Tools) -> Result<()> {
    trunk_bundle(root, tools, None, &root.join("dist"))
}

/// The operators' console in `dist/console/`, built like the widget from `console/Trunk.toml`
/// (which also says how the page starts the bundle without an inline script).
pub fn console(root: &Path, tools: &Tools) -> Result<()> {
    trunk_bundle(
        root,
        tools,
        Some("console/Trunk.toml"),
        &root.join("dist").join("console"),
    )
}

/// `trunk build` with `config` (the root `Trunk.toml` when `None`) into `dist`, then the glue
/// minified and every bundle file precompressed.
fn trunk_bundle(root: &Path, tools: &Tools, config: Option<&str>, dist: &Path) -> Result<()> {
    let mut trunk = tools.command("trunk");
    trunk.args(["build", "--release", "--offline"]);
    if let Some(config) = config {
        trunk.args(["--config", config]);
    }
    cmd::run(trunk.current_dir(root))?;
    glue::minify(dist, tools)?;
    precompress(dist)
}

/// Writes `NAME.br` and `NAME.gz` beside each `.js` and `.wasm` file in `dist`, which the server
/// sends to browsers that accept those encodings.
fn precompress(dist: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dist).with_context(|| format!("read {}", dist.display()))? {
        let path = entry?.path();
        let bundle_file = matches!(
            path.extension().and_then(|extension| extension.to_str()),
            Some("js" | "wasm")
        );
        if !bundle_file {
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        for (suffix, packed) in [
            ("br", compressed::brotli(&bytes)?),
            ("gz", compressed::gzip(&bytes)?),
        ] {
            let mut target = path.clone().into_os_string();
            target.push(".");
            target.push(suffix);
            std::fs::write(&target, packed)
                .with_context(|| format!("write {}", target.to_string_lossy()))?;
        }
    }
    Ok(())
}

pub fn server(root: &Path) -> Result<()> {
    release_binary(root, "backend", "webchat-server")
}

/// The demo shop (`www`), only needed by `demo`.
pub fn demo_site(root: &Path) -> Result<()> {
    release_binary(root, "www", "www")
}

/// The release load generator `target/release/webchat-bench`, for `bench`.
pub fn bench(root: &Path) -> Result<()> {
    release_binary(root, "bench", "webchat-bench")
}

/// `cargo build --release -p {package} --bin {bin}`.
fn release_binary(root: &Path, package: &str, bin: &str) -> Result<()> {
    cmd::run(
        cmd::cargo()
            .args(["build", "--release", "-p", package, "--bin", bin])
            .current_dir(root),
    )
}
