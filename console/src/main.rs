//! The operators' console, compiled to WebAssembly and started by `boot.js`: it mounts the app
//! into the page's body.

use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| view! { <p>"console"</p> });
}
