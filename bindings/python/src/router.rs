//! `hcp.Router`: the Python adapter over `hcpcore::router::Router`. Conversion only; every rule lives
//! in the core. Every call that touches the router releases the GIL (`py.detach`), so many Python
//! threads can submit and dispatch at once; bulk calls take and return numpy arrays so that a
//! caller moving thousands of workloads crosses the boundary once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hcpcore::router::{Assignment, CustomerConfig, Router, RouterConfig, SubmitRequest};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use hcpcore::limits::MAX_BATCH;

use crate::convert::{
    arg, arg_or, check_json_depth, class_arg, count_arg, finite, len_arg, opt_arg, opt_str_arg, py_to_json, str_arg,
    str_or, to_py,
};
use crate::econ::PyMarket;
use crate::errors::{invalid_input, invalid_type, to_py_err, IntoPy};

/// A priority router of workloads onto devices (`hcp.Router`).
#[pyclass(name = "Router", module = "hcpcore", frozen)]
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
    d.set_item("wait_seconds", finite("wait_seconds", a.wait_seconds)?)?;
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
            // At most n + 1 items are read, so an endless iterator is refused, not looped over.
            let iter = v.try_iter().map_err(|_| invalid_type(field, "one value or a sequence", v))?;
            let items: Vec<Bound<'py, PyAny>> =
                iter.take(n + 1).collect::<PyResult<_>>().map_err(|e| invalid_input(field, e))?;
            if items.len() != n {
                let got = if items.len() > n { format!("more than {n}") } else { items.len().to_string() };
                return Err(invalid_input(field, format!("has {got} entries, expected {n}")));
            }
            Ok(items.into_iter().map(|i| if i.is_none() { None } else { Some(i) }).collect())
        }
    }
}

impl PyRouter {
    fn router(&self) -> PyResult<Arc<Router>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(to_py_err(hcpcore::Error::new(hcpcore::ErrorKind::Closed, "router: used after close()")));
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
            Some(c) if c.is_instance_of::<pyo3::types::PyString>() => {
                let v = serde_json::from_str(&str_arg(c, "config")?)
                    .map_err(|e| invalid_input("config", format!("malformed JSON: {e}")))?;
                check_json_depth("config", &v).py()?;
                v
            }
            Some(c) => py_to_json(c, "config")?,
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
    #[pyo3(signature = (device_id, kind=None, model=None, site=None, gpu_memory_gb=None),
           text_signature = "($self, device_id, kind='gpu', model='H100_SXM', site='default', gpu_memory_gb=None)")]
    fn add_device(
        &self,
        py: Python<'_>,
        device_id: &Bound<'_, PyAny>,
        kind: Option<&Bound<'_, PyAny>>,
        model: Option<&Bound<'_, PyAny>>,
        site: Option<&Bound<'_, PyAny>>,
        gpu_memory_gb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let device_id = str_arg(device_id, "device_id")?;
        let kind = str_or(kind, "kind", "gpu")?;
        let model = str_or(model, "model", "H100_SXM")?;
        let site = str_or(site, "site", "default")?;
        let gpu_memory_gb = opt_arg::<f64>(gpu_memory_gb, "gpu_memory_gb")?;
        py.detach(|| r.add_device(&device_id, &kind, &model, &site, gpu_memory_gb)).py()
    }

    /// Submits a workload and returns its id.
    #[pyo3(signature = (customer_id, workload_type, priority=None, gpus=None, gpu_memory_gb=None, site=None,
                        latency_bound_ms=None, deadline_seconds=None))]
    #[allow(clippy::too_many_arguments)]
    fn submit(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        workload_type: &Bound<'_, PyAny>,
        priority: Option<&Bound<'_, PyAny>>,
        gpus: Option<&Bound<'_, PyAny>>,
        gpu_memory_gb: Option<&Bound<'_, PyAny>>,
        site: Option<&Bound<'_, PyAny>>,
        latency_bound_ms: Option<&Bound<'_, PyAny>>,
        deadline_seconds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let r = self.router()?;
        let args = SubmitArgs::convert(
            customer_id,
            workload_type,
            [priority, gpus, gpu_memory_gb, site, latency_bound_ms, deadline_seconds],
        )?;
        let req = args.request();
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
        customer_id: &Bound<'_, PyAny>,
        workload_type: &Bound<'_, PyAny>,
        priority: Option<&Bound<'_, PyAny>>,
        gpus: Option<&Bound<'_, PyAny>>,
        gpu_memory_gb: Option<&Bound<'_, PyAny>>,
        site: Option<&Bound<'_, PyAny>>,
        latency_bound_ms: Option<&Bound<'_, PyAny>>,
        deadline_seconds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let args = SubmitArgs::convert(
            customer_id,
            workload_type,
            [priority, gpus, gpu_memory_gb, site, latency_bound_ms, deadline_seconds],
        )?;
        let req = args.request();
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
        n: Option<&Bound<'py, PyAny>>,
        priority: Option<&Bound<'py, PyAny>>,
        gpus: Option<&Bound<'py, PyAny>>,
        gpu_memory_gb: Option<&Bound<'py, PyAny>>,
        site: Option<&Bound<'py, PyAny>>,
        latency_bound_ms: Option<&Bound<'py, PyAny>>,
        deadline_seconds: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let r = self.router()?;
        // The count is checked against MAX_BATCH before anything is allocated for it.
        let n = match n {
            Some(n) if !n.is_none() => count_arg(n, "n", MAX_BATCH)?,
            _ if !customer_id.is_instance_of::<pyo3::types::PyString>() => {
                len_arg(customer_id, "customer_id", MAX_BATCH)?
            }
            _ if !workload_type.is_instance_of::<pyo3::types::PyString>() => {
                len_arg(workload_type, "workload_type", MAX_BATCH)?
            }
            _ => return Err(invalid_input("n", "give n, or a sequence for customer_id or workload_type")),
        };
        let strings = |v: &Bound<'py, PyAny>, field: &str| -> PyResult<Vec<String>> {
            column(Some(v), n, field)?
                .into_iter()
                .map(|x| arg::<String>(&x.ok_or_else(|| invalid_input(field, "must not be None"))?, field))
                .collect()
        };
        let customers = strings(customer_id, "customer_id")?;
        let types = strings(workload_type, "workload_type")?;
        let ints = |v: Option<&Bound<'py, PyAny>>, field: &str| -> PyResult<Vec<Option<i64>>> {
            column(v, n, field)?.into_iter().map(|x| x.map(|x| arg::<i64>(&x, field)).transpose()).collect()
        };
        let priorities = ints(priority, "priority")?;
        let gpu_counts = ints(gpus, "gpus")?;
        let floats = |v: Option<&Bound<'py, PyAny>>, field: &str| -> PyResult<Vec<Option<f64>>> {
            column(v, n, field)?
                .into_iter()
                .map(|x| {
                    let f = x.map(|x| arg::<f64>(&x, field));
                    Ok(f.transpose()?.filter(|f| !f.is_nan()))
                })
                .collect()
        };
        let memory = floats(gpu_memory_gb, "gpu_memory_gb")?;
        let latency = floats(latency_bound_ms, "latency_bound_ms")?;
        let deadline = floats(deadline_seconds, "deadline_seconds")?;
        let sites: Vec<Option<String>> = column(site, n, "site")?
            .into_iter()
            .map(|x| x.map(|x| arg::<String>(&x, "site")))
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
    fn dispatch_batch<'py>(&self, py: Python<'py>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let max = count_arg(max, "max", MAX_BATCH)?;
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
    fn start(
        &self,
        py: Python<'_>,
        workload_id: &Bound<'_, PyAny>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (workload_id, customer_id) =
            (arg::<u64>(workload_id, "workload_id")?, opt_str_arg(customer_id, "customer_id")?);
        py.detach(|| match customer_id.as_deref() {
            Some(c) => r.start_as(c, workload_id),
            None => r.start(workload_id),
        })
        .py()
    }

    /// Completes a workload and frees its devices.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn complete(
        &self,
        py: Python<'_>,
        workload_id: &Bound<'_, PyAny>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (workload_id, customer_id) =
            (arg::<u64>(workload_id, "workload_id")?, opt_str_arg(customer_id, "customer_id")?);
        py.detach(|| match customer_id.as_deref() {
            Some(c) => r.complete_as(c, workload_id),
            None => r.complete(workload_id),
        })
        .py()
    }

    /// Marks a workload failed and frees its devices.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn fail(
        &self,
        py: Python<'_>,
        workload_id: &Bound<'_, PyAny>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (workload_id, customer_id) =
            (arg::<u64>(workload_id, "workload_id")?, opt_str_arg(customer_id, "customer_id")?);
        py.detach(|| match customer_id.as_deref() {
            Some(c) => r.fail_as(c, workload_id),
            None => r.fail(workload_id),
        })
        .py()
    }

    /// Cancels a queued, assigned or running workload.
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn cancel(
        &self,
        py: Python<'_>,
        workload_id: &Bound<'_, PyAny>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (workload_id, customer_id) =
            (arg::<u64>(workload_id, "workload_id")?, opt_str_arg(customer_id, "customer_id")?);
        py.detach(|| match customer_id.as_deref() {
            Some(c) => r.cancel_as(c, workload_id),
            None => r.cancel(workload_id),
        })
        .py()
    }

    /// Takes a running or assigned workload off its devices and queues it again.
    fn preempt(&self, py: Python<'_>, workload_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let r = self.router()?;
        let workload_id = arg::<u64>(workload_id, "workload_id")?;
        py.detach(|| r.preempt(workload_id)).py()
    }

    /// Completes many workloads; returns a bool numpy array (False where the id was unknown or
    /// the transition illegal).
    fn complete_batch<'py>(
        &self,
        py: Python<'py>,
        workload_ids: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let r = self.router()?;
        // A uint64 array crosses as a slice; any other sequence of ints is converted item by item.
        // Either way its length is checked against MAX_BATCH before anything is copied.
        len_arg(workload_ids, "workload_ids", MAX_BATCH)?;
        let ids: Vec<u64> = match workload_ids.extract::<PyReadonlyArray1<'py, u64>>() {
            Ok(a) => a.as_slice().map_err(|e| invalid_input("workload_ids", e))?.to_vec(),
            Err(_) if workload_ids.is_instance_of::<pyo3::types::PyString>() => {
                return Err(invalid_type("workload_ids", "a sequence of ints", workload_ids))
            }
            Err(_) => workload_ids
                .try_iter()
                .map_err(|_| invalid_type("workload_ids", "a sequence of ints", workload_ids))?
                .take(MAX_BATCH + 1)
                .map(|x| arg::<u64>(&x.map_err(|e| invalid_input("workload_ids", e))?, "workload_ids"))
                .collect::<PyResult<_>>()?,
        };
        let ok: Vec<bool> = py.detach(|| r.complete_batch(&ids).into_iter().map(|x| x.is_ok()).collect());
        Ok(PyArray1::from_vec(py, ok))
    }

    /// What a workload looks like now (`customer_id` scopes it: others' ids are NotFound).
    #[pyo3(signature = (workload_id, customer_id=None))]
    fn workload<'py>(
        &self,
        py: Python<'py>,
        workload_id: &Bound<'py, PyAny>,
        customer_id: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let (workload_id, customer_id) =
            (arg::<u64>(workload_id, "workload_id")?, opt_str_arg(customer_id, "customer_id")?);
        let info = py
            .detach(|| match customer_id.as_deref() {
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
    fn device<'py>(&self, py: Python<'py>, device_id: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let device_id = str_arg(device_id, "device_id")?;
        to_py(py, &py.detach(|| r.device(&device_id)).py()?)
    }

    /// Removes a device: the work on it is preempted (queued again at its place) and the device
    /// forgotten. Returns the ids preempted off it.
    fn remove_device(&self, py: Python<'_>, device_id: &Bound<'_, PyAny>) -> PyResult<Vec<u64>> {
        let r = self.router()?;
        let device_id = str_arg(device_id, "device_id")?;
        py.detach(|| r.remove_device(&device_id)).py()
    }

    /// Takes a device out of service (False) or back in (True).
    fn set_device_available(
        &self,
        py: Python<'_>,
        device_id: &Bound<'_, PyAny>,
        available: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (device_id, available) = (str_arg(device_id, "device_id")?, arg::<bool>(available, "available")?);
        py.detach(|| r.set_device_available(&device_id, available)).py()
    }

    /// Thermal headroom in [0, 1].
    fn set_device_thermal_headroom(
        &self,
        py: Python<'_>,
        device_id: &Bound<'_, PyAny>,
        headroom: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (device_id, headroom) = (str_arg(device_id, "device_id")?, arg::<f64>(headroom, "headroom")?);
        py.detach(|| r.set_device_thermal_headroom(&device_id, headroom)).py()
    }

    /// Profit of a device's current use, USD per hour.
    fn set_device_profit_usd_per_hour(
        &self,
        py: Python<'_>,
        device_id: &Bound<'_, PyAny>,
        usd_per_hour: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (device_id, usd_per_hour) = (str_arg(device_id, "device_id")?, arg::<f64>(usd_per_hour, "usd_per_hour")?);
        py.detach(|| r.set_device_profit_usd_per_hour(&device_id, usd_per_hour)).py()
    }

    /// Sets (or with None lifts) a site's power cap, kW.
    #[pyo3(signature = (site, power_cap_kw))]
    fn set_site_power_cap_kw(
        &self,
        py: Python<'_>,
        site: &Bound<'_, PyAny>,
        power_cap_kw: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let (site, power_cap_kw) = (str_arg(site, "site")?, opt_arg::<f64>(power_cap_kw, "power_cap_kw")?);
        py.detach(|| r.set_site_power_cap_kw(&site, power_cap_kw)).py()
    }

    /// A site's estimated device draw, kW.
    fn site_load_kw(&self, py: Python<'_>, site: &Bound<'_, PyAny>) -> PyResult<f64> {
        let r = self.router()?;
        let site = str_arg(site, "site")?;
        finite("site_load_kw", py.detach(|| r.site_load_kw(&site)).py()?)
    }

    /// Wakes curtailed miners while the cap allows; returns their ids.
    fn resume_miners(&self, py: Python<'_>, site: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let r = self.router()?;
        let site = str_arg(site, "site")?;
        py.detach(|| r.resume_miners(&site)).py()
    }

    /// Sets the market that prices miners' power.
    fn set_market(&self, py: Python<'_>, market: &Bound<'_, PyAny>) -> PyResult<()> {
        let r = self.router()?;
        let m = class_arg::<PyMarket>(market, "market")?.get().inner;
        py.detach(|| r.set_market(m));
        Ok(())
    }

    /// Moves the manual clock forward (config `manual_clock=True`).
    fn advance_time(&self, py: Python<'_>, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        let r = self.router()?;
        let seconds = arg::<f64>(seconds, "seconds")?;
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
    #[pyo3(signature = (customer_id, weight=None, max_gpus=None, max_queued=None),
           text_signature = "($self, customer_id, weight=1, max_gpus=None, max_queued=None)")]
    fn set_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
        max_gpus: Option<&Bound<'_, PyAny>>,
        max_queued: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let r = self.router()?;
        let customer_id = str_arg(customer_id, "customer_id")?;
        let config = CustomerConfig {
            weight: arg_or::<u32>(weight, "weight", 1)?,
            max_gpus: opt_arg::<u32>(max_gpus, "max_gpus")?,
            max_queued: opt_arg::<u32>(max_queued, "max_queued")?,
        };
        py.detach(|| r.set_customer(&customer_id, config)).py()
    }

    /// A customer's weight and quotas with its live counts: a `Record` with `customer_id`,
    /// `weight`, `max_gpus`, `max_queued`, `queued`, `active`, `gpus_held`, `submitted`.
    fn customer<'py>(&self, py: Python<'py>, customer_id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let customer_id = str_arg(customer_id, "customer_id")?;
        to_py(py, &py.detach(|| r.customer(&customer_id)).py()?)
    }

    /// Every workload of a customer (accepted and rejected), in id order, as `workload()` records.
    fn customer_workloads<'py>(&self, py: Python<'py>, customer_id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.router()?;
        let customer_id = str_arg(customer_id, "customer_id")?;
        to_py(py, &py.detach(|| r.customer_workloads(&customer_id)))
    }

    /// Seconds on the router clock (since creation, or the manual clock).
    fn now_seconds(&self, py: Python<'_>) -> PyResult<f64> {
        let r = self.router()?;
        finite("now_seconds", py.detach(|| r.now_seconds()))
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

/// Adds this module's classes and functions to `hcpcore._hcp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRouter>()?;
    Ok(())
}

/// A submission's arguments converted once (shared by `submit` and `try_submit`).
struct SubmitArgs<'a> {
    customer_id: std::borrow::Cow<'a, str>,
    workload_type: std::borrow::Cow<'a, str>,
    priority: Option<i64>,
    gpus: Option<i64>,
    gpu_memory_gb: Option<f64>,
    site: Option<std::borrow::Cow<'a, str>>,
    latency_bound_ms: Option<f64>,
    deadline_seconds: Option<f64>,
}

impl<'a> SubmitArgs<'a> {
    /// `rest`: priority, gpus, gpu_memory_gb, site, latency_bound_ms, deadline_seconds.
    fn convert(
        customer_id: &'a Bound<'_, PyAny>,
        workload_type: &'a Bound<'_, PyAny>,
        rest: [Option<&'a Bound<'_, PyAny>>; 6],
    ) -> PyResult<SubmitArgs<'a>> {
        let [priority, gpus, gpu_memory_gb, site, latency_bound_ms, deadline_seconds] = rest;
        Ok(SubmitArgs {
            customer_id: str_arg(customer_id, "customer_id")?,
            workload_type: str_arg(workload_type, "workload_type")?,
            priority: opt_arg(priority, "priority")?,
            gpus: opt_arg(gpus, "gpus")?,
            gpu_memory_gb: opt_arg(gpu_memory_gb, "gpu_memory_gb")?,
            site: opt_str_arg(site, "site")?,
            latency_bound_ms: opt_arg(latency_bound_ms, "latency_bound_ms")?,
            deadline_seconds: opt_arg(deadline_seconds, "deadline_seconds")?,
        })
    }

    fn request(&self) -> SubmitRequest<'_> {
        SubmitRequest {
            customer_id: &self.customer_id,
            workload_type: &self.workload_type,
            priority: self.priority,
            gpus: self.gpus,
            gpu_memory_gb: self.gpu_memory_gb,
            site: self.site.as_deref(),
            latency_bound_ms: self.latency_bound_ms,
            deadline_seconds: self.deadline_seconds,
        }
    }
}
