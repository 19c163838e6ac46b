//! `hcp.Router`: the Python adapter over `hcp::router::Router`. Conversion only; every rule lives
//! in the core. Every call that touches the router releases the GIL (`py.detach`), so many Python
//! threads can submit and dispatch at once; bulk calls take and return numpy arrays so that a
//! caller moving thousands of workloads crosses the boundary once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hcp::router::{Assignment, CustomerConfig, Router, RouterConfig, SubmitRequest};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{py_to_json, to_py};
use crate::econ::PyMarket;
use crate::errors::{invalid_input, to_py_err, IntoPy};

/// A priority router of workloads onto devices (`hcp.Router`).
#[pyclass(name = "Router", module = "hcp", frozen)]
pub struct PyRouter {
    inner: Arc<Router>,
    closed: AtomicBool,
}

fn assignment_dict<'py>(py: Python<'py>, a: &Assignment) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("workload_id", a.workload_id)?;
    d.set_item("device_id", &*a.device_id)?;
    d.set_item("device_ids", a.device_ids().iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    d.set_item("priority", a.priority)?;
    d.set_item("wait_seconds", a.wait_seconds)?;
    d.set_item("curtailed_device_ids", a.curtailed_device_ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    d.set_item("preempted_workload_ids", a.preempted_workload_ids.clone())?;
    crate::convert::record(py, d)
}

/// Per-request field of a bulk submit: absent, one value for all, or one per request.
fn column<'py>(v: Option<&Bound<'py, PyAny>>, n: usize, field: &str) -> PyResult<Vec<Option<Bound<'py, PyAny>>>> {
    match v {
        None => Ok(vec![None; n]),
        Some(v) if v.is_none() => Ok(vec![None; n]),
        Some(v) if v.is_instance_of::<pyo3::types::PyString>() || v.extract::<f64>().is_ok() => {
            Ok(vec![Some(v.clone()); n])
        }
        Some(v) => {
            let items: Vec<Bound<'py, PyAny>> = v.try_iter()?.collect::<PyResult<_>>()?;
            if items.len() != n {
                return Err(invalid_input(field, format!("has {} entries, expected {n}", items.len())));
            }
            Ok(items.into_iter().map(|i| if i.is_none() { None } else { Some(i) }).collect())
        }
    }
}

/// A count argument as `u32`; outside its range is `InvalidInputError` naming the field.
fn u32_arg(field: &str, v: i64) -> PyResult<u32> {
    u32::try_from(v).map_err(|_| invalid_input(field, format!("must be in 0..=4294967295, got {v}")))
}

impl PyRouter {
    fn router(&self) -> PyResult<Arc<Router>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(to_py_err(hcp::Error::new(hcp::ErrorKind::Closed, "router: used after close()")));
        }
        Ok(self.inner.clone())
    }
}

#[pymethods]
impl PyRouter {
    /// A router. `config` is a dict (or JSON string) with `RouterConfig`'s fields; keyword
    /// arguments are merged over it (`hcp.Router(manual_clock=True, aging_seconds=30)`).
    #[new]
    #[pyo3(signature = (config=None, **kwargs))]
    fn new(config: Option<&Bound<'_, PyAny>>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut value = match config {
            None => serde_json::Value::Object(Default::default()),
            Some(c) if c.is_none() => serde_json::Value::Object(Default::default()),
            Some(c) => match c.extract::<String>() {
                Ok(s) => {
                    serde_json::from_str(&s).map_err(|e| invalid_input("config", format!("malformed JSON: {e}")))?
                }
                Err(_) => py_to_json(c, "config")?,
            },
        };
        if let Some(kwargs) = kwargs {
            let extra = py_to_json(kwargs.as_any(), "config")?;
            if let (Some(map), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
                map.extend(extra.clone());
            }
        }
        if !value.is_object() {
            return Err(invalid_input("config", "must be a dict or a JSON object"));
        }
        let cfg = RouterConfig::from_json(&value.to_string()).py()?;
        Ok(PyRouter { inner: Arc::new(Router::new(cfg).py()?), closed: AtomicBool::new(false) })
    }

    /// Registers a device (`kind` "gpu" or "asic", `model` a catalog name such as "H100_SXM").
    #[pyo3(signature = (device_id, kind="gpu", model="H100_SXM", site="default", gpu_memory_gb=None))]
    fn add_device(
        &self,
        py: Python<'_>,
        device_id: &str,
        kind: &str,
        model: &str,
        site: &str,
        gpu_memory_gb: Option<f64>,
    ) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.add_device(device_id, kind, model, site, gpu_memory_gb)).py()
    }

    /// Submits a workload and returns its id.
    #[pyo3(signature = (customer_id, workload_type, priority=None, gpus=None, gpu_memory_gb=None, site=None,
                        latency_bound_ms=None, deadline_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &self,
        py: Python<'_>,
        customer_id: &str,
        workload_type: &str,
        priority: Option<i64>,
        gpus: Option<i64>,
        gpu_memory_gb: Option<f64>,
        site: Option<&str>,
        latency_bound_ms: Option<f64>,
        deadline_seconds: Option<f64>,
    ) -> PyResult<u64> {
        let r = self.router()?;
        let req = SubmitRequest {
            customer_id,
            workload_type,
            priority,
            gpus,
            gpu_memory_gb,
            site,
            latency_bound_ms,
            deadline_seconds,
        };
        py.detach(|| r.submit(&req)).py()
    }

    /// Submits a workload and reports its id whether accepted or not: a `Record` with
    /// `workload_id`, `state` (`"queued"` or `"rejected"`) and `reason` (None when accepted).
    /// Unlike `submit` it never raises for the request's content.
    #[pyo3(signature = (customer_id, workload_type, priority=None, gpus=None, gpu_memory_gb=None, site=None,
                        latency_bound_ms=None, deadline_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn try_submit<'py>(
        &self,
        py: Python<'py>,
        customer_id: &str,
        workload_type: &str,
        priority: Option<i64>,
        gpus: Option<i64>,
        gpu_memory_gb: Option<f64>,
        site: Option<&str>,
        latency_bound_ms: Option<f64>,
        deadline_seconds: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let req = SubmitRequest {
            customer_id,
            workload_type,
            priority,
            gpus,
            gpu_memory_gb,
            site,
            latency_bound_ms,
            deadline_seconds,
        };
        let s = py.detach(|| r.try_submit(&req));
        let d = PyDict::new(py);
        d.set_item("workload_id", s.workload_id)?;
        d.set_item("state", s.state.name())?;
        d.set_item("reason", s.reason)?;
        crate::convert::record(py, d)
    }

    /// Submits `n` workloads in one call. Each argument is one value for all or a sequence of
    /// `n` (a list or a numpy array); `None` — or NaN in a float column — takes the type's value.
    /// `site` is the preferred site of each request, `latency_bound_ms` and `deadline_seconds`
    /// its bounds. Returns an int64 numpy array of ids, `-1` where a request was rejected (see
    /// `counts().rejected`; `try_submit` reports each rejection's id and reason).
    #[pyo3(signature = (customer_id, workload_type, n=None, priority=None, gpus=None, gpu_memory_gb=None, site=None,
                        latency_bound_ms=None, deadline_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn submit_batch<'py>(
        &self,
        py: Python<'py>,
        customer_id: &Bound<'py, PyAny>,
        workload_type: &Bound<'py, PyAny>,
        n: Option<usize>,
        priority: Option<&Bound<'py, PyAny>>,
        gpus: Option<&Bound<'py, PyAny>>,
        gpu_memory_gb: Option<&Bound<'py, PyAny>>,
        site: Option<&Bound<'py, PyAny>>,
        latency_bound_ms: Option<&Bound<'py, PyAny>>,
        deadline_seconds: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let r = self.router()?;
        let n = match n {
            Some(n) => n,
            None if !customer_id.is_instance_of::<pyo3::types::PyString>() => customer_id.len()?,
            None if !workload_type.is_instance_of::<pyo3::types::PyString>() => workload_type.len()?,
            None => return Err(invalid_input("n", "give n, or a sequence for customer_id or workload_type")),
        };
        let strings = |v: &Bound<'py, PyAny>, field: &str| -> PyResult<Vec<String>> {
            column(Some(v), n, field)?
                .into_iter()
                .map(|x| x.ok_or_else(|| invalid_input(field, "must not be None"))?.extract::<String>())
                .collect()
        };
        let customers = strings(customer_id, "customer_id")?;
        let types = strings(workload_type, "workload_type")?;
        let ints = |v: Option<&Bound<'py, PyAny>>, field: &str| -> PyResult<Vec<Option<i64>>> {
            column(v, n, field)?.into_iter().map(|x| x.map(|x| x.extract::<i64>()).transpose()).collect()
        };
        let priorities = ints(priority, "priority")?;
        let gpu_counts = ints(gpus, "gpus")?;
        let floats = |v: Option<&Bound<'py, PyAny>>, field: &str| -> PyResult<Vec<Option<f64>>> {
            column(v, n, field)?
                .into_iter()
                .map(|x| {
                    let f = x.map(|x| x.extract::<f64>().map_err(|_| invalid_input(field, "entries must be numbers")));
                    Ok(f.transpose()?.filter(|f| !f.is_nan()))
                })
                .collect()
        };
        let memory = floats(gpu_memory_gb, "gpu_memory_gb")?;
        let latency = floats(latency_bound_ms, "latency_bound_ms")?;
        let deadline = floats(deadline_seconds, "deadline_seconds")?;
        let sites: Vec<Option<String>> = column(site, n, "site")?
            .into_iter()
            .map(|x| x.map(|x| x.extract::<String>().map_err(|_| invalid_input("site", "entries must be str or None"))))
            .map(Option::transpose)
            .collect::<PyResult<_>>()?;
        let ids: Vec<i64> = py.detach(|| {
            let reqs: Vec<SubmitRequest<'_>> = (0..n)
                .map(|i| SubmitRequest {
                    customer_id: &customers[i],
                    workload_type: &types[i],
                    priority: priorities[i],
                    gpus: gpu_counts[i],
                    gpu_memory_gb: memory[i],
                    site: sites[i].as_deref(),
                    latency_bound_ms: latency[i],
                    deadline_seconds: deadline[i],
                })
                .collect();
            r.submit_batch(&reqs).into_iter().map(|res| res.map_or(-1, |id| id as i64)).collect()
        });
        Ok(PyArray1::from_vec(py, ids))
    }

    /// Places the next workload: an assignment (`workload_id`, `device_id`, `device_ids`,
    /// `priority`, `wait_seconds`, `curtailed_device_ids`, `preempted_workload_ids`) or `None`.
    fn dispatch<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let r = self.router()?;
        match py.detach(|| r.dispatch()) {
            Some(a) => Ok(Some(assignment_dict(py, &a)?)),
            None => Ok(None),
        }
    }

    /// Places up to `max` workloads in one call. Returns a `Record` of columns: `workload_ids`
    /// (uint64 numpy array), `device_ids` (list of str), and the flat lists
    /// `curtailed_device_ids` and `preempted_workload_ids`.
    fn dispatch_batch<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let batch = py.detach(|| r.dispatch_batch(max));
        let ids: Vec<u64> = batch.iter().map(|a| a.workload_id).collect();
        let d = PyDict::new(py);
        d.set_item("workload_ids", PyArray1::from_vec(py, ids))?;
        d.set_item("device_ids", PyList::new(py, batch.iter().map(|a| &*a.device_id))?)?;
        d.set_item(
            "curtailed_device_ids",
            batch.iter().flat_map(|a| a.curtailed_device_ids.iter().map(|s| s.to_string())).collect::<Vec<_>>(),
        )?;
        d.set_item(
            "preempted_workload_ids",
            batch.iter().flat_map(|a| a.preempted_workload_ids.iter().copied()).collect::<Vec<_>>(),
        )?;
        crate::convert::record(py, d)
    }

    /// Marks an assigned workload running (`customer_id` scopes the call to that customer).
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn start(&self, py: Python<'_>, workload_id: u64, customer_id: Option<&str>) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| match customer_id {
            Some(c) => r.start_as(c, workload_id),
            None => r.start(workload_id),
        })
        .py()
    }

    /// Completes a workload and frees its devices.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn complete(&self, py: Python<'_>, workload_id: u64, customer_id: Option<&str>) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| match customer_id {
            Some(c) => r.complete_as(c, workload_id),
            None => r.complete(workload_id),
        })
        .py()
    }

    /// Marks a workload failed and frees its devices.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn fail(&self, py: Python<'_>, workload_id: u64, customer_id: Option<&str>) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| match customer_id {
            Some(c) => r.fail_as(c, workload_id),
            None => r.fail(workload_id),
        })
        .py()
    }

    /// Cancels a queued, assigned or running workload.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn cancel(&self, py: Python<'_>, workload_id: u64, customer_id: Option<&str>) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| match customer_id {
            Some(c) => r.cancel_as(c, workload_id),
            None => r.cancel(workload_id),
        })
        .py()
    }

    /// Takes a running or assigned workload off its devices and queues it again.
    fn preempt(&self, py: Python<'_>, workload_id: u64) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.preempt(workload_id)).py()
    }

    /// Completes many workloads; returns a bool numpy array (False where the id was unknown or
    /// the transition illegal).
    fn complete_batch<'py>(
        &self,
        py: Python<'py>,
        workload_ids: PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let r = self.router()?;
        let ids = workload_ids.as_slice().map_err(|e| invalid_input("workload_ids", e))?.to_vec();
        let ok: Vec<bool> = py.detach(|| r.complete_batch(&ids).into_iter().map(|x| x.is_ok()).collect());
        Ok(PyArray1::from_vec(py, ok))
    }

    /// What a workload looks like now (`customer_id` scopes it: others' ids are NotFound).
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn workload<'py>(
        &self,
        py: Python<'py>,
        workload_id: u64,
        customer_id: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let info = py
            .detach(|| match customer_id {
                Some(c) => r.workload_as(c, workload_id),
                None => r.workload(workload_id),
            })
            .py()?;
        to_py(py, &info)
    }

    /// Counts by state (`submitted` = the sum of the others).
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        to_py(py, &py.detach(|| r.counts()))
    }

    /// Waiting workloads per priority (index 0 = priority 1).
    fn queue_depths(&self, py: Python<'_>) -> PyResult<Vec<u64>> {
        let r = self.router()?;
        Ok(py.detach(|| r.queue_depths()).to_vec())
    }

    /// Depths, counts and latency quantiles.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        to_py(py, &py.detach(|| r.metrics()))
    }

    /// Prometheus text exposition.
    fn metrics_text(&self, py: Python<'_>) -> PyResult<String> {
        let r = self.router()?;
        Ok(py.detach(|| r.metrics_text()))
    }

    /// Registry view of a device.
    fn device<'py>(&self, py: Python<'py>, device_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        to_py(py, &py.detach(|| r.device(device_id)).py()?)
    }

    /// Removes a device: the work on it is preempted (queued again at its place) and the device
    /// forgotten. Returns the ids preempted off it.
    fn remove_device(&self, py: Python<'_>, device_id: &str) -> PyResult<Vec<u64>> {
        let r = self.router()?;
        py.detach(|| r.remove_device(device_id)).py()
    }

    /// Takes a device out of service (False) or back in (True).
    fn set_device_available(&self, py: Python<'_>, device_id: &str, available: bool) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.set_device_available(device_id, available)).py()
    }

    /// Thermal headroom in [0, 1].
    fn set_device_thermal_headroom(&self, py: Python<'_>, device_id: &str, headroom: f64) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.set_device_thermal_headroom(device_id, headroom)).py()
    }

    /// Profit of a device's current use, USD per hour.
    fn set_device_profit_usd_per_hour(&self, py: Python<'_>, device_id: &str, usd_per_hour: f64) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.set_device_profit_usd_per_hour(device_id, usd_per_hour)).py()
    }

    /// Sets (or with None lifts) a site's power cap, kW.
    #[pyo3(signature = (site, power_cap_kw))]
    fn set_site_power_cap_kw(&self, py: Python<'_>, site: &str, power_cap_kw: Option<f64>) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.set_site_power_cap_kw(site, power_cap_kw)).py()
    }

    /// A site's estimated device draw, kW.
    fn site_load_kw(&self, py: Python<'_>, site: &str) -> PyResult<f64> {
        let r = self.router()?;
        py.detach(|| r.site_load_kw(site)).py()
    }

    /// Wakes curtailed miners while the cap allows; returns their ids.
    fn resume_miners(&self, py: Python<'_>, site: &str) -> PyResult<Vec<String>> {
        let r = self.router()?;
        py.detach(|| r.resume_miners(site)).py()
    }

    /// Sets the market that prices miners' power.
    fn set_market(&self, py: Python<'_>, market: &PyMarket) -> PyResult<()> {
        let r = self.router()?;
        let m = market.inner;
        py.detach(|| r.set_market(m));
        Ok(())
    }

    /// Moves the manual clock forward (config `manual_clock=True`).
    fn advance_time(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let r = self.router()?;
        py.detach(|| r.advance_time(seconds)).py()
    }

    /// Runs an aging sweep now; returns how many workloads climbed a level.
    fn age(&self, py: Python<'_>) -> PyResult<usize> {
        let r = self.router()?;
        Ok(py.detach(|| r.age()))
    }

    /// Sets a customer's fair-share weight (1 … 1,000,000) and quotas now: `max_gpus` (devices
    /// its active work may hold) and `max_queued` (workloads it may have waiting); None is no
    /// limit. All three are set (an argument left out takes its default). Work already admitted
    /// stays.
    #[pyo3(signature = (customer_id, weight=1, max_gpus=None, max_queued=None))]
    fn set_customer(
        &self,
        py: Python<'_>,
        customer_id: &str,
        weight: i64,
        max_gpus: Option<i64>,
        max_queued: Option<i64>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let config = CustomerConfig {
            weight: u32_arg("weight", weight)?,
            max_gpus: max_gpus.map(|v| u32_arg("max_gpus", v)).transpose()?,
            max_queued: max_queued.map(|v| u32_arg("max_queued", v)).transpose()?,
        };
        py.detach(|| r.set_customer(customer_id, config)).py()
    }

    /// A customer's weight and quotas with its live counts: a `Record` with `customer_id`,
    /// `weight`, `max_gpus`, `max_queued`, `queued`, `active`, `gpus_held`, `submitted`.
    fn customer<'py>(&self, py: Python<'py>, customer_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        to_py(py, &py.detach(|| r.customer(customer_id)).py()?)
    }

    /// Every workload of a customer (accepted and rejected), in id order, as `workload()` records.
    fn customer_workloads<'py>(&self, py: Python<'py>, customer_id: &str) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        to_py(py, &py.detach(|| r.customer_workloads(customer_id)))
    }

    /// Seconds on the router clock (since creation, or the manual clock).
    fn now_seconds(&self, py: Python<'_>) -> PyResult<f64> {
        let r = self.router()?;
        Ok(py.detach(|| r.now_seconds()))
    }

    /// The workload types this router knows.
    fn workload_types(&self) -> PyResult<Vec<String>> {
        Ok(self.router()?.workload_types())
    }

    /// Number of registered devices.
    fn device_count(&self) -> PyResult<usize> {
        Ok(self.router()?.device_count())
    }

    /// Closes the handle: later calls raise `ClosedError`. Idempotent.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }
}

/// Adds this module's classes and functions to `hcp._hcp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRouter>()?;
    Ok(())
}
