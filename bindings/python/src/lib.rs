//! `hcp._hcp`: the native module behind the Python package `hcp`.
//!
//! One file per core module (`econ.rs`, `router.rs`, `sim.rs`, `billing.rs`), each with a
//! `register` function; `errors.rs` maps `hcp::Error` onto `hcp.HcpError` and its subclasses.
//! Bindings only convert arguments and map errors: every formula and rule lives in `hcp` (core).
//! Long calls release the GIL (`py.detach`); PyO3 turns any Rust panic into a Python exception
//! (`pyo3_runtime.PanicException`) instead of aborting.

mod billing;
mod convert;
mod econ;
mod errors;
mod router;
mod sim;

use pyo3::prelude::*;

#[pymodule]
fn _hcp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ABI_VERSION", 1)?;
    econ::register(m)?;
    router::register(m)?;
    sim::register(m)?;
    billing::register(m)?;
    Ok(())
}
