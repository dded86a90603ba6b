//! The JWT libraries the signing tests run (`docs/signing.md`, `tests/tests/api/signers.rs`):
//! `jsonwebtoken` from npm and PyJWT from PyPI, pinned, each installed into its own folder under
//! `.tools/signers/` only when missing. They are real sites' signers, so the tests prove the
//! server accepts what those libraries make, not only what our own Rust signer makes.

use crate::{cmd, tools};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

const JSONWEBTOKEN_VERSION: &str = "9.0.3";
const PYJWT_VERSION: &str = "2.15.1";

/// Where the tests find the libraries: `NODE_PATH` and `PYTHONPATH` for the signing programs.
#[derive(Debug, Clone)]
pub struct Signers {
    pub node_modules: PathBuf,
    pub python_packages: PathBuf,
}

pub fn install(root: &Path) -> Result<Signers> {
    let node_prefix = root.join(format!(
        ".tools/signers/jsonwebtoken-{JSONWEBTOKEN_VERSION}"
    ));
    let node_modules = node_prefix.join("node_modules");
    if node_modules.join("jsonwebtoken/package.json").exists() {
        println!("install: jsonwebtoken {JSONWEBTOKEN_VERSION} (npm) present");
    } else {
        tools::npm_install(
            &node_prefix,
            &format!("jsonwebtoken@{JSONWEBTOKEN_VERSION}"),
            &["--save-exact"],
        )?;
    }
    let python_packages = root.join(format!(".tools/signers/pyjwt-{PYJWT_VERSION}"));
    if python_packages.join("jwt/__init__.py").exists() {
        println!("install: PyJWT {PYJWT_VERSION} (PyPI) present");
    } else {
        cmd::run(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .arg("--target")
                .arg(&python_packages)
                .arg(format!("PyJWT=={PYJWT_VERSION}")),
        )?;
    }
    Ok(Signers {
        node_modules,
        python_packages,
    })
}
