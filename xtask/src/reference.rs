//! The reference widget the widget bench compares against: the npm package
//! `@rocket.chat/livechat`, installed into `.tools/livechat` only when missing. Its prebuilt
//! `build/` folder is all the bench serves (host loader, iframe page and its chunks).

use crate::tools;
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

const PACKAGE: &str = "@rocket.chat/livechat@1.13.3";
const BUILD: &str = "node_modules/@rocket.chat/livechat/build";
/// The host page's loader; its presence means the package is installed.
const LOADER: &str = "rocketchat-livechat.min.js";

/// The reference widget's `build/` folder, installing the package first when it is missing.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let prefix = root.join(".tools/livechat");
    let build = prefix.join(BUILD);
    if build.join(LOADER).is_file() {
        println!("install: reference widget ({PACKAGE}) present");
        return Ok(build);
    }
    // Its dependencies are bundled into `build/` already; scripts are not needed to serve it.
    tools::npm_install(&prefix, PACKAGE, &["--ignore-scripts"])?;
    if !build.join(LOADER).is_file() {
        bail!("{PACKAGE} installed without {BUILD}/{LOADER}");
    }
    Ok(build)
}
