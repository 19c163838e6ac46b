//! The N-API module behind the npm package `hcp`.
//!
//! One file per core module (`econ.rs`, `router.rs`, `sim.rs`, `billing.rs`); `errors.rs` maps
//! `hcpcore::Error` onto JS errors whose `code` is the kind name. Every export is declared with
//! `catch_unwind`, so a Rust panic becomes a thrown JS error, never an abort. Bindings only
//! convert arguments and map errors: every formula and rule lives in `hcp` (core).
#![deny(clippy::all)]
// Under `cargo test` napi-derive registers nothing, so the exports look unused.
#![cfg_attr(test, allow(dead_code))]

mod args;
mod billing;
mod econ;
mod errors;
mod results;
mod router;
mod serve;
mod sim;
mod tasks;

use napi_derive::napi;

/// Version of the hcp core this module was built from.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
