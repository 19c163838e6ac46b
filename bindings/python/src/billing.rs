//! `hcp.billing`: Python adapters over `hcp::billing`.

use pyo3::prelude::*;

/// Adds this module's classes and functions to `hcp._hcp`.
pub fn register(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
