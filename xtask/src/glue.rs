//! wasm-bindgen's JavaScript glue in `dist/`, minified by terser after trunk has written it:
//! trunk's own minifier breaks the glue (trunk-rs/trunk#761), and unminified the glue ships
//! its doc comments, indentation and long local names to every visitor. terser renames only
//! local names (`--module`: the file is an ES module), so the names the WebAssembly module
//! imports stay. The `integrity` trunk wrote into `index.html` for the file is updated to the
//! minified bytes.

use crate::cmd;
use crate::tools::Tools;
use anyhow::{Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha384};
use std::path::Path;

/// Minifies each `.js` file in `dist` in place and updates its `integrity` in `index.html`.
pub fn minify(dist: &Path, tools: &Tools) -> Result<()> {
    let index_path = dist.join("index.html");
    let mut index = std::fs::read_to_string(&index_path)
        .with_context(|| format!("read {}", index_path.display()))?;
    for entry in std::fs::read_dir(dist).with_context(|| format!("read {}", dist.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|extension| extension != "js") {
            continue;
        }
        let before = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        cmd::run(
            tools
                .command("terser")
                .arg(&path)
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(&path),
        )?;
        let after = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
        index = index.replace(&integrity(&before), &integrity(&after));
    }
    std::fs::write(&index_path, index).with_context(|| format!("write {}", index_path.display()))
}

/// The Subresource Integrity value trunk writes: `sha384-` and the base64 digest.
fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}
