//! Rebuilds the server when a migration is added. `sqlx::migrate!` embeds `migrations/` at
//! compile time, and cargo re-runs a macro only when a file it already knows changes: a new
//! migration is a new file, so without this the server and the tests would keep migrating to
//! the schema of the previous build. This is the build script sqlx's documentation recommends.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
