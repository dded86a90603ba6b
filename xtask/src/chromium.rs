//! Headless Chromium and its matching chromedriver for the browser tests, from Debian's
//! packages (installed only when missing; `apt-get update` only when the install fails,
//! because a fresh machine may have stale package lists).

use crate::cmd;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PACKAGES: &[&str] = &["chromium", "chromium-driver"];

#[derive(Debug)]
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

pub fn ensure() -> Result<Browser> {
    if !(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()) {
        install().context("could not install Chromium and chromedriver (needs root and apt)")?;
    }
    if let Some(version) = cmd::probe(Command::new(CHROMEDRIVER).arg("--version")) {
        println!("browser: {version}");
    }
    Ok(Browser {
        chromium: CHROMIUM.into(),
        chromedriver: CHROMEDRIVER.into(),
    })
}

fn install() -> Result<()> {
    let apt_install = || {
        cmd::run(
            Command::new("apt-get")
                .args(["install", "-y"])
                .args(PACKAGES)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    if apt_install().is_ok() {
        return Ok(());
    }
    cmd::run(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    apt_install()
}
