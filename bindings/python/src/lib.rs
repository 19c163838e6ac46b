//! `hcpcore._hcp`: the native module behind the Python package `hcp`.
//!
//! One file per core module (`econ.rs`, `router.rs`, `sim.rs`, `billing.rs`), each with a
//! `register` function; `errors.rs` maps `hcpcore::Error` onto `hcp.HcpError` and its subclasses.
//! Bindings only convert arguments and map errors: every formula and rule lives in `hcp` (core).
//! Long calls go through `long_call.rs` (GIL released, Ctrl-C turned into `KeyboardInterrupt`,
//! errors mapped); short ones that may block release the GIL (`py.detach`); PyO3 turns any Rust panic into a Python exception
//! (`pyo3_runtime.PanicException`) instead of aborting. Every argument is converted in `convert.rs`,
//! so that every bad value is an `hcp.HcpError` naming its argument (see there).

mod billing;
mod convert;
mod econ;
mod errors;
mod long_call;
mod router;
mod serve;
mod sim;
mod site;

use pyo3::prelude::*;

#[pymodule]
fn _hcp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ABI_VERSION", 1)?;
    m.add("MAX_BATCH", hcpcore::limits::MAX_BATCH)?;
    m.add("MAX_FLEET_DEVICES", hcpcore::limits::MAX_FLEET_DEVICES)?;
    m.add("MAX_STEPS", hcpcore::limits::MAX_STEPS)?;
    m.add("MAX_REQUESTS", hcpcore::limits::MAX_REQUESTS)?;
    m.add("MAX_REQUEST_TOKENS", hcpcore::limits::MAX_REQUEST_TOKENS)?;
    m.add("MAX_REPLICAS", hcpcore::limits::MAX_REPLICAS)?;
    m.add("MAX_DEPTH", hcpcore::limits::MAX_DEPTH)?;
    m.add("MAX_DT_SECONDS", hcpcore::limits::MAX_DT_SECONDS)?;
    m.add("MIN_DT_SECONDS", hcpcore::limits::MIN_DT_SECONDS)?;
    econ::register(m)?;
    router::register(m)?;
    sim::register(m)?;
    serve::register(m)?;
    billing::register(m)?;
    site::register(m)?;
    Ok(())
}
