//! `cargo xtask size`: what the widget costs a visitor. Prints the raw, gzip and brotli
//! sizes (best compression levels, as a server would precompress them) of the wasm and
//! JavaScript files in `dist/`, and their total.

use anyhow::{Context, Result, bail};
use compressed::{Sizes, kib, measure};
use std::path::{Path, PathBuf};

pub fn run(root: &Path) -> Result<()> {
    let dist = root.join("dist");
    let mut files = Vec::new();
    collect_shipped_files(&dist, &mut files)
        .with_context(|| format!("could not read {}; run `cargo xtask build`", dist.display()))?;
    if files.is_empty() {
        bail!(
            "no .wasm or .js files in {}; run `cargo xtask build`",
            dist.display()
        );
    }
    files.sort();

    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "file", "raw", "gzip", "brotli"
    );
    let mut total = Sizes::default();
    for file in &files {
        let sizes = measure(&std::fs::read(file)?)?;
        let name = file.strip_prefix(&dist).unwrap_or(file).display();
        print_row(&name.to_string(), sizes);
        total += sizes;
    }
    print_row("total", total);
    Ok(())
}

fn collect_shipped_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_shipped_files(&path, files)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "wasm" || extension == "js")
        {
            files.push(path);
        }
    }
    Ok(())
}

fn print_row(name: &str, sizes: Sizes) {
    println!(
        "{name:<44} {:>12} {:>12} {:>12}",
        kib(sizes.raw),
        kib(sizes.gzip),
        kib(sizes.brotli)
    );
}
