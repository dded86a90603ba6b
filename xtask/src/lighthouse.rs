//! Lighthouse for the widget bench (`cargo xtask bench --widget`): the npm package, pinned,
//! installed into `.tools/lighthouse-{version}/` only when missing. 12.x is the newest line
//! that runs on Node 20 (13 wants Node 22).

use crate::tools;
use anyhow::Result;
use std::path::{Path, PathBuf};

const VERSION: &str = "12.2.3";

/// Installs Lighthouse if needed; returns its CLI script, for `node`.
pub fn install(root: &Path) -> Result<PathBuf> {
    let prefix = root.join(format!(".tools/lighthouse-{VERSION}"));
    let cli = prefix.join("node_modules/lighthouse/cli/index.js");
    if cli.exists() {
        println!("install: lighthouse {VERSION} (npm) present");
    } else {
        tools::npm_install(&prefix, &format!("lighthouse@{VERSION}"), &["--save-exact"])?;
    }
    Ok(cli)
}
