//! `hcpcore.site`: the closed loop (`hcpcore::site`) — a site built from a config and run with a built-in
//! strategy; results as a summary dict, numpy columns (`to_pandas()`), events and invoices.
//! Conversion only: every rule lives in `hcpcore::site`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use hcpcore::site::{Columns, Site, SiteConfig, SiteEvent};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::convert::{finite_col, json_to_py, opt_str_arg, py_to_json, str_or};
use crate::errors::{invalid_input, IntoPy};

/// A configured site: `hcpcore.site.Site` in Python (named `SiteLoop` in the native module, whose
/// `Site` is `hcpcore.econ.Site`).
#[pyclass(name = "SiteLoop", module = "hcpcore", frozen)]
pub struct PySite {
    inner: Arc<Site>,
}

#[pymethods]
impl PySite {
    /// Builds a site from a config file path (its `market_dir` and `demand_dir` are relative to
    /// it) or a dict (relative folders are taken from `base_dir`, default the working directory).
    #[staticmethod]
    #[pyo3(signature = (path_or_dict, *, base_dir=None))]
    fn from_config(
        py: Python<'_>,
        path_or_dict: &Bound<'_, PyAny>,
        base_dir: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let base: PathBuf = match opt_str_arg(base_dir, "base_dir")? {
            Some(b) => PathBuf::from(b.as_ref()),
            None => PathBuf::from("."),
        };
        let site = if path_or_dict.cast::<PyDict>().is_ok() {
            let cfg = SiteConfig::from_json(py_to_json(path_or_dict, "config")?).py()?;
            py.detach(|| Site::from_config(cfg, &base)).py()?
        } else {
            let path: PathBuf = if let Ok(s) = path_or_dict.cast::<PyString>() {
                PathBuf::from(s.to_cow().map_err(|_| invalid_input("path_or_dict", "not valid Unicode"))?.as_ref())
            } else if path_or_dict.hasattr("__fspath__")? {
                let s = path_or_dict.call_method0("__fspath__")?;
                let s =
                    s.cast::<PyString>().map_err(|_| invalid_input("path_or_dict", "__fspath__ must return str"))?;
                PathBuf::from(s.to_cow().map_err(|_| invalid_input("path_or_dict", "not valid Unicode"))?.as_ref())
            } else {
                return Err(invalid_input("path_or_dict", "must be a path (str or os.PathLike) or a dict"));
            };
            py.detach(|| Site::from_config_path(&path)).py()?
        };
        Ok(PySite { inner: Arc::new(site) })
    }

    /// Runs a built-in strategy over `[start, end)` (`"YYYY-MM-DD"`, default the whole history).
    #[pyo3(signature = (strategy=None, start=None, end=None))]
    fn run(
        &self,
        py: Python<'_>,
        strategy: Option<&Bound<'_, PyAny>>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySiteResult> {
        let strategy = str_or(strategy, "strategy", "hybrid")?.into_owned();
        let start = opt_str_arg(start, "start")?.map(|s| s.into_owned());
        let end = opt_str_arg(end, "end")?.map(|s| s.into_owned());
        let site = self.inner.clone();
        let r = py.detach(move || site.run_named(&strategy, start.as_deref(), end.as_deref())).py()?;
        Ok(PySiteResult {
            summary: r.summary.to_map(),
            strategy: r.summary.strategy.clone(),
            columns: r.columns,
            events: r.events,
            invoices: r.invoices.iter().map(|i| i.to_json()).collect(),
        })
    }

    /// The config as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(self.inner.config()).map_err(|e| invalid_input("config", e))?;
        json_to_py(py, &v)
    }
}

/// What a run produced.
#[pyclass(name = "SiteResult", module = "hcpcore", frozen)]
pub struct PySiteResult {
    summary: BTreeMap<&'static str, f64>,
    strategy: String,
    columns: Columns,
    events: Vec<SiteEvent>,
    invoices: Vec<serde_json::Value>,
}

#[pymethods]
impl PySiteResult {
    /// Totals (`profit_usd`, `energy_mwh`, `revenue_usd`, `energy_cost_usd`, `slo_attainment`,
    /// `curtailed_miner_hours`, …).
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.summary {
            finite_col(k, &[*v])?;
            d.set_item(*k, *v)?;
        }
        Ok(d)
    }

    /// The strategy's name.
    #[getter]
    fn strategy(&self) -> &str {
        &self.strategy
    }

    /// Per-tick columns as numpy arrays (`time_unix` int64, counts uint32, the rest float64).
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let c = &self.columns;
        d.set_item("time_unix", PyArray1::from_slice(py, &c.time_unix))?;
        for (name, v) in c.float_columns() {
            finite_col(name, v)?;
            d.set_item(name, PyArray1::from_slice(py, v))?;
        }
        for (name, v) in c.count_columns() {
            d.set_item(name, PyArray1::from_slice(py, v))?;
        }
        let flags: Vec<bool> = c.four_cp_probable.clone();
        d.set_item("four_cp_probable", PyArray1::from_vec(py, flags))?;
        Ok(d)
    }

    /// The columns as a pandas DataFrame indexed by tick start time.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pd = py.import("pandas")?;
        let cols = self.columns(py)?;
        let time = cols.get_item("time_unix")?.ok_or_else(|| invalid_input("columns", "no time"))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("unit", "s")?;
        let index = pd.call_method("to_datetime", (time,), Some(&kwargs))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("index", index)?;
        pd.call_method("DataFrame", (cols,), Some(&kwargs))
    }

    /// Alerts and changes as a list of dicts (`time_unix`, `kind`, `subject`, `detail`).
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for e in &self.events {
            let d = PyDict::new(py);
            d.set_item("time_unix", e.time_unix)?;
            d.set_item("kind", e.kind)?;
            d.set_item("subject", &e.subject)?;
            d.set_item("detail", &e.detail)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// Invoices issued (amounts as decimal strings).
    fn invoices<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for i in &self.invoices {
            out.append(json_to_py(py, i)?)?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "SiteResult(strategy={:?}, ticks={}, profit_usd={:.2})",
            self.strategy,
            self.columns.len(),
            self.summary.get("profit_usd").copied().unwrap_or(0.0)
        )
    }
}

/// The built-in strategy names.
#[pyfunction]
fn site_strategies() -> Vec<&'static str> {
    hcpcore::site::names().to_vec()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySite>()?;
    m.add_class::<PySiteResult>()?;
    m.add_function(wrap_pyfunction!(site_strategies, m)?)?;
    Ok(())
}
