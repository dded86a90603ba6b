//! wasm-bindgen's JavaScript glue in `dist/`, minified by terser after trunk has written it:
//! trunk's own minifier breaks the glue (trunk-rs/trunk#761), and unminified the glue ships
//! its doc comments, indentation and long local names to every visitor. terser renames only
//! local names (`--module`: the file is an ES module), so the names the WebAssembly module
//! imports stay. The `integrity` trunk wrote into `index.html` for the file is updated to the
//! minified bytes.
//!
//! Before that, the glue's classes for wasm-streams' `IntoUnderlying*` go: wasm-opt removes their
//! exports from the module (`--remove-exports` in `widget/index.html` and `console/index.html`),
//! but wasm-bindgen wrote the classes before it ran, and no page uses them (about 270 B gzip).

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
        let glue = String::from_utf8(before.clone())
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        std::fs::write(&path, without_removed_classes(&glue))
            .with_context(|| format!("write {}", path.display()))?;
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
/// The classes wasm-bindgen writes for wasm-streams' exports, which wasm-opt removes.
const REMOVED_CLASSES: [&str; 3] = [
    "IntoUnderlyingByteSource",
    "IntoUnderlyingSink",
    "IntoUnderlyingSource",
];

/// `glue` without [`REMOVED_CLASSES`]: each class's body (`export class NAME {` to the `}` that
/// starts a line), its `Symbol.dispose` line and its `NAMEFinalization` registry, as
/// wasm-bindgen writes them. A glue without them stays as it is.
fn without_removed_classes(glue: &str) -> String {
    let mut glue = glue.to_owned();
    for name in REMOVED_CLASSES {
        for (start, end) in [
            (format!("export class {name} {{\n"), "\n}\n"),
            (format!("if (Symbol.dispose) {name}.prototype"), ";\n"),
            (format!("const {name}Finalization = "), ";\n"),
        ] {
            if let Some(from) = glue.find(&start)
                && let Some(length) = glue[from..].find(end)
            {
                glue.replace_range(from..from + length + end.len(), "");
            }
        }
    }
    glue
}

fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_removed_exports_classes_and_keeps_the_rest() {
        let glue = "export class Engine {\n    free() {\n    }\n}\n\
            if (Symbol.dispose) Engine.prototype[Symbol.dispose] = Engine.prototype.free;\n\
            export class IntoUnderlyingSink {\n    free() {\n        f();\n    }\n}\n\
            if (Symbol.dispose) IntoUnderlyingSink.prototype[Symbol.dispose] = IntoUnderlyingSink.prototype.free;\n\
            const EngineFinalization = new FinalizationRegistry(ptr => g(ptr));\n\
            const IntoUnderlyingSinkFinalization = (typeof FinalizationRegistry === 'undefined')\n    \
            ? {}\n    : new FinalizationRegistry(ptr => h(ptr));\n\
            export function startChat() {}\n";
        assert_eq!(
            without_removed_classes(glue),
            "export class Engine {\n    free() {\n    }\n}\n\
            if (Symbol.dispose) Engine.prototype[Symbol.dispose] = Engine.prototype.free;\n\
            const EngineFinalization = new FinalizationRegistry(ptr => g(ptr));\n\
            export function startChat() {}\n"
        );
    }
}
