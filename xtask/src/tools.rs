//! `cargo xtask install`: the tools that build the widget, each installed only when missing.
//!
//! - the `wasm32-unknown-unknown` Rust target (rustup);
//! - trunk 0.21 (0.22 needs a newer rustc than the project's);
//! - wasm-bindgen-cli, exactly the version of the `wasm-bindgen` crate in `Cargo.lock`
//!   (trunk runs offline and refuses any other version);
//! - wasm-opt from the npm package `binaryen` into `.tools/`. Debian's binaryen is too old:
//!   its `-Oz` output fails at run time in Chromium.
//! - terser from npm into `.tools/`, which minifies wasm-bindgen's JavaScript glue
//!   (`crate::glue`).

use crate::cmd;
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION_PREFIX: &str = "0.21.";
const TRUNK_REQUIREMENT: &str = "^0.21";
const BINARYEN_PACKAGE: &str = "binaryen@132";
const TERSER_PACKAGE: &str = "terser@5";

/// Where the installed tools are: the `PATH` to run trunk with.
#[derive(Debug, Clone)]
pub struct Tools {
    pub path: OsString,
}

impl Tools {
    /// A command for `program` that finds the project's tools first.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("PATH", &self.path);
        command
    }
}

pub fn install(root: &Path) -> Result<Tools> {
    let tools = Tools {
        path: tool_path(root)?,
    };
    install_wasm_target()?;
    install_trunk(&tools)?;
    install_wasm_bindgen(root, &tools)?;
    install_wasm_opt(root)?;
    install_terser(root)?;
    Ok(tools)
}

/// `.tools/binaryen/node_modules/.bin` and `.tools/terser/node_modules/.bin` first (our
/// wasm-opt wins over any system one), then cargo's bin directory (trunk, wasm-bindgen), then
/// the inherited `PATH`.
fn tool_path(root: &Path) -> Result<OsString> {
    let mut dirs = vec![
        binaryen_bin(root),
        terser_bin(root),
        cargo_home()?.join("bin"),
    ];
    if let Some(inherited) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&inherited));
    }
    std::env::join_paths(dirs).context("a tool directory contains the PATH separator")
}

fn binaryen_bin(root: &Path) -> PathBuf {
    root.join(".tools/binaryen/node_modules/.bin")
}

fn terser_bin(root: &Path) -> PathBuf {
    root.join(".tools/terser/node_modules/.bin")
}

fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    let home = std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cargo"))
}

fn install_wasm_target() -> Result<()> {
    let installed = cmd::probe(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("`rustup target list --installed` failed: is rustup installed?")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("install: rust target {WASM_TARGET} present");
        return Ok(());
    }
    cmd::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn install_trunk(tools: &Tools) -> Result<()> {
    let version = cmd::probe(tools.command("trunk").arg("--version"));
    if let Some(version) = &version
        && version_of(version).starts_with(TRUNK_VERSION_PREFIX)
    {
        println!("install: {version} present");
        return Ok(());
    }
    println!(
        "install: trunk {TRUNK_REQUIREMENT} missing (found: {version:?}), building it (several minutes)"
    );
    cmd::run(cmd::cargo().args([
        "install",
        "trunk",
        "--version",
        TRUNK_REQUIREMENT,
        "--locked",
    ]))
}

fn install_wasm_bindgen(root: &Path, tools: &Tools) -> Result<()> {
    let wanted = locked_wasm_bindgen_version(root)?;
    let found = cmd::probe(tools.command("wasm-bindgen").arg("--version"));
    if found.as_deref().map(version_of) == Some(wanted.as_str()) {
        println!("install: wasm-bindgen {wanted} present");
        return Ok(());
    }
    println!(
        "install: wasm-bindgen {wanted} missing (found: {found:?}), building it (several minutes)"
    );
    // Not `--locked`: its lock file asks for a dependency version the registry mirror lacks.
    cmd::run(cmd::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

fn install_wasm_opt(root: &Path) -> Result<()> {
    if binaryen_bin(root).join("wasm-opt").exists() {
        println!("install: wasm-opt ({BINARYEN_PACKAGE}) present");
        return Ok(());
    }
    npm_install(&root.join(".tools/binaryen"), BINARYEN_PACKAGE, &[])
}

fn install_terser(root: &Path) -> Result<()> {
    if terser_bin(root).join("terser").exists() {
        println!("install: terser ({TERSER_PACKAGE}) present");
        return Ok(());
    }
    npm_install(&root.join(".tools/terser"), TERSER_PACKAGE, &[])
}

/// `npm install {package}` into its own `prefix` folder, quietly, with `extra` arguments.
pub fn npm_install(prefix: &Path, package: &str, extra: &[&str]) -> Result<()> {
    std::fs::create_dir_all(prefix)
        .with_context(|| format!("could not create {}", prefix.display()))?;
    cmd::run(
        Command::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(prefix)
            .args(["--no-audit", "--no-fund", "--loglevel=error"])
            .args(extra)
            .arg(package),
    )
}

/// The `wasm-bindgen` crate version in `Cargo.lock`, creating the lock file if needed.
fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock_path = root.join("Cargo.lock");
    if !lock_path.exists() {
        cmd::run(
            cmd::cargo()
                .args(["metadata", "--format-version", "1"])
                .current_dir(root)
                .stdout(std::process::Stdio::null()),
        )?;
    }
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("could not read {}", lock_path.display()))?;
    match package_version(&lock, "wasm-bindgen") {
        Some(version) => Ok(version.to_owned()),
        None => bail!("Cargo.lock has no `wasm-bindgen` package; the widget depends on it"),
    }
}

/// The version of `package` in a `Cargo.lock` text: the `version` line that follows its
/// `name` line.
fn package_version<'a>(lock: &'a str, package: &str) -> Option<&'a str> {
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines().map(str::trim);
    lines.find(|line| *line == name_line)?;
    lines
        .next()?
        .strip_prefix("version = \"")?
        .strip_suffix('"')
}

/// `"trunk 0.21.14"` → `"0.21.14"`.
fn version_of(version_output: &str) -> &str {
    version_output
        .split_whitespace()
        .nth(1)
        .unwrap_or(version_output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_locked_version_of_a_package() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(package_version(lock, "wasm-bindgen"), Some("0.2.130"));
        assert_eq!(package_version(lock, "leptos"), None);
    }

    #[test]
    fn reads_the_version_from_tool_output() {
        assert_eq!(version_of("trunk 0.21.14"), "0.21.14");
        assert_eq!(version_of("wasm-bindgen 0.2.130"), "0.2.130");
    }
}
