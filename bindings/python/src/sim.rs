//! `hcp.sim`: Python adapters over `hcp::sim`.

use pyo3::prelude::*;

/// Adds this module's classes and functions to `hcp._hcp`.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
