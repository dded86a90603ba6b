//! `cargo xtask size`: what the browser bundles cost on first load. For the widget (the files
//! in `dist/`) and the operators' console (`dist/console/`, held to a budget) it prints the raw,
//! gzip and brotli sizes (best compression levels, as a server would precompress them) of each
//! file a first load fetches, and their total.

use anyhow::{Context, Result, bail};
use compressed::{Sizes, kib, measure};
use std::path::{Path, PathBuf};

/// The console's first load at most, gzip (issue 16).
const CONSOLE_BUDGET_GZIP: usize = 250 * 1024;

/// One bundle: its folder and the file types a first load fetches.
struct Bundle {
    name: &'static str,
    dir: PathBuf,
    extensions: &'static [&'static str],
}

pub fn run(root: &Path) -> Result<()> {
    let dist = root.join("dist");
    let widget = Bundle {
        name: "widget",
        dir: dist.clone(),
        extensions: &["wasm", "js"],
    };
    let console = Bundle {
        name: "console",
        dir: dist.join("console"),
        extensions: &["wasm", "js", "css", "html"],
    };
    println!(
        "{:<44} {:>12} {:>12} {:>12}",
        "file", "raw", "gzip", "brotli"
    );
    report(&widget, &dist)?;
    let console_total = report(&console, &dist)?;
    if console_total.gzip > CONSOLE_BUDGET_GZIP {
        bail!(
            "the console's first load is {} gzip, over its budget of {}",
            kib(console_total.gzip),
            kib(CONSOLE_BUDGET_GZIP)
        );
    }
    Ok(())
}

/// Prints each of the bundle's files (named relative to `dist`) and their total.
fn report(bundle: &Bundle, dist: &Path) -> Result<Sizes> {
    let files = shipped_files(bundle).with_context(|| {
        format!(
            "could not read {}; run `cargo xtask build`",
            bundle.dir.display()
        )
    })?;
    if files.is_empty() {
        bail!(
            "no bundle files in {}; run `cargo xtask build`",
            bundle.dir.display()
        );
    }
    let mut total = Sizes::default();
    for file in &files {
        let sizes = measure(&std::fs::read(file)?)?;
        let name = file.strip_prefix(dist).unwrap_or(file).display();
        print_row(&name.to_string(), sizes);
        total += sizes;
    }
    print_row(&format!("{} total", bundle.name), total);
    Ok(total)
}

/// The bundle's files in its own folder (not its subfolders: the widget's holds the console's).
fn shipped_files(bundle: &Bundle) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&bundle.dir)? {
        let path = entry?.path();
        let shipped = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| bundle.extensions.contains(&extension));
        if path.is_file() && shipped {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn print_row(name: &str, sizes: Sizes) {
    println!(
        "{name:<44} {:>12} {:>12} {:>12}",
        kib(sizes.raw),
        kib(sizes.gzip),
        kib(sizes.brotli)
    );
}
