//! axe-core, the accessibility engine the browser tests inject into the host page
//! (`tests/src/axe.rs`): the npm package, pinned, installed into `.tools/axe-core-VERSION/`
//! only when missing. A checker we did not write decides whether the widget meets WCAG 2.1 AA.

use crate::tools;
use anyhow::Result;
use std::path::{Path, PathBuf};

const AXE_CORE_VERSION: &str = "4.10.3";

/// Installs axe-core if missing; returns its `axe.min.js`, the script the tests inject.
pub fn install(root: &Path) -> Result<PathBuf> {
    let prefix = root.join(format!(".tools/axe-core-{AXE_CORE_VERSION}"));
    let script = prefix.join("node_modules/axe-core/axe.min.js");
    if script.exists() {
        println!("install: axe-core {AXE_CORE_VERSION} (npm) present");
    } else {
        tools::npm_install(
            &prefix,
            &format!("axe-core@{AXE_CORE_VERSION}"),
            &["--save-exact"],
        )?;
    }
    Ok(script)
}
