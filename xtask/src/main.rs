//! `cargo xtask`: the project's automation, written in Rust so it runs wherever cargo does.
//! `demo` runs the chat with a demo shop, `test` runs every test on a fresh machine; the
//! other subcommands are the steps they are made of.

mod axe;
mod bench;
mod build;
mod chromium;
mod cmd;
mod demo;
mod glue;
mod http;
mod lighthouse;
mod postgres;
mod reference;
mod signers;
mod size;
mod test;
mod tools;
mod widget_bench;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  demo      build everything, run the chat server and the demo shop until Ctrl-C
  test      run every check and test (installs what is missing, starts PostgreSQL)
  install   install the build tools: wasm32 target, trunk, wasm-bindgen-cli, wasm-opt, terser
  build     install, then build the widget into dist/, the operators' console into
            dist/console/ and the server in release mode
  size      print the compressed first-load sizes of the widget and the console bundles
  bench     run the load and widget benchmarks against the release server (--quick for a
            smoke run, --widget for the widget bench only, --only active,sustained
            --seconds 60 --sessions 10000 --rate 6000 --runs 5 to reproduce some scenarios
            into target/bench-partial.md; --only console,inbox --conversations 100000 for
            the operator consoles' delivery and the inbox's first page)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    let outcome = match args.first().map(String::as_str) {
        Some("demo") => demo::run(&root),
        Some("test") => test::run(&root),
        Some("install") => tools::install(&root).map(drop),
        Some("build") => build::all(&root),
        Some("size") => size::run(&root),
        Some("bench") => bench::run(&root, &args[1..]),
        // Not in USAGE: a self-check of the throw-away database used by `test`.
        Some("postgres-check") => postgres::self_check(),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}
