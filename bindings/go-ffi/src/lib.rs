//! The C ABI of hcp, consumed by the Go package in `go/` through cgo (and usable from any C caller).
//!
//! Layout mirrors the other bindings: `errors.rs` (the owned `hcp_error_t` and the panic guard),
//! one file per core module (`econ.rs`, `router.rs`, `sim.rs`, `billing.rs`). Conventions, repeated
//! at the top of the generated `go/include/hcp.h`:
//! - fallible functions take `hcp_error_t **err` last; NULL on success, an owned error otherwise;
//! - handles are `hcp_X_new` / `hcp_X_free` (free(NULL) is a no-op);
//! - no thread-local "last error": goroutines move between OS threads;
//! - every export runs inside [`errors::guard`], which catches panics.
//!
//! This crate is the only place besides the other binding crates where `unsafe` appears; every
//! block says why it is sound in a `// SAFETY:` comment.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod billing;
pub mod cancel;
pub mod checks;
pub mod econ;
pub mod errors;
pub mod router;
pub mod serve;
pub mod sim;

/// Version of this C ABI. The Go package checks it at init and refuses a mismatched library.
pub const HCP_ABI_VERSION: u32 = 3;

/// Returns [`HCP_ABI_VERSION`] of the library actually linked.
#[no_mangle]
pub extern "C" fn hcp_abi_version() -> u32 {
    errors::guard_plain(HCP_ABI_VERSION, || HCP_ABI_VERSION)
}
