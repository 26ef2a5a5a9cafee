//! Hydrates the server-rendered Lakeport pages in the browser.

// Leptos views are deeply nested types; the wizard's exceed the default limit.
#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the script that `HydrationScripts` puts in the page once the
/// WASM has loaded.
#[wasm_bindgen]
pub fn hydrate() {
    // Without this a panic shows up as an opaque "unreachable" trap.
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(lakeport_app::App);
}
