//! `hcpcore.sim.Server` and the request generators: Python adapters over `hcpcore::sim::serve`. Request
//! columns arrive as numpy arrays (float64 and int64 ones are borrowed, others converted once);
//! results leave as numpy columns in a `Record`. The run releases the GIL. Conversion only.

use hcpcore::sim::serve::{
    aggregate, azure_trace, run, scale_trace, synthetic, AggregateLoad, AzureTrace, RequestColumns, Requests,
    ScaleRule, ServeConfig, ServeResult, SyntheticStream,
};
use hcpcore::sim::{GpuSpec, ModelSpec};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::convert::{arg, class_arg, kwargs_to, record, str_arg, to_py};
use crate::errors::{invalid_input, invalid_type, IntoPy};
use crate::long_call::long_call;
use crate::sim::{model_arg, PyH100};

type Any<'py> = Bound<'py, PyAny>;

/// A column borrowed from a numpy array of the right type, or converted into a vector.
enum Column<'py, T: numpy::Element> {
    Borrowed(PyReadonlyArray1<'py, T>),
    Owned(Vec<T>),
}

impl<T: numpy::Element> Column<'_, T> {
    fn slice(&self, field: &str) -> PyResult<&[T]> {
        match self {
            Column::Borrowed(a) => a.as_slice().map_err(|_| invalid_input(field, "must be a contiguous array")),
            Column::Owned(v) => Ok(v),
        }
    }
}

/// `v` as a 1-D numpy array (`numpy.asarray`), its dtype kind (`"f"`, `"i"`, …).
fn as_array<'py>(v: &Any<'py>, field: &str) -> PyResult<(Any<'py>, String)> {
    let np = v.py().import("numpy")?;
    let a = np.call_method1("asarray", (v,)).map_err(|_| invalid_type(field, "a 1-D numeric array", v))?;
    let ndim: usize = a.getattr("ndim")?.extract()?;
    if ndim != 1 {
        return Err(invalid_input(field, format!("must be 1-D, got {ndim} dimensions")));
    }
    let kind: String = a.getattr("dtype")?.getattr("kind")?.extract()?;
    Ok((a, kind))
}

fn float_column<'py>(v: &Any<'py>, field: &str) -> PyResult<Column<'py, f64>> {
    if let Ok(a) = v.cast::<PyArray1<f64>>() {
        if let Ok(r) = a.try_readonly() {
            if r.is_contiguous() {
                return Ok(Column::Borrowed(r));
            }
        }
    }
    let (a, kind) = as_array(v, field)?;
    if !matches!(kind.as_str(), "f" | "i" | "u") {
        return Err(invalid_type(field, "a numeric array", v));
    }
    let a = a.call_method1("astype", ("float64",))?;
    let a = a.cast::<PyArray1<f64>>().map_err(|_| invalid_type(field, "a numeric array", v))?;
    Ok(Column::Owned(a.to_vec().map_err(|_| invalid_input(field, "unreadable array"))?))
}

/// An integer column: int64 borrowed, other integer types and integral floats converted; a float
/// that is not a whole number is `InvalidInputError` naming the entry.
fn int_column<'py>(v: &Any<'py>, field: &str) -> PyResult<Column<'py, i64>> {
    if let Ok(a) = v.cast::<PyArray1<i64>>() {
        if let Ok(r) = a.try_readonly() {
            if r.is_contiguous() {
                return Ok(Column::Borrowed(r));
            }
        }
    }
    let (a, kind) = as_array(v, field)?;
    match kind.as_str() {
        "i" => {
            let a = a.call_method1("astype", ("int64",))?;
            let a = a.cast::<PyArray1<i64>>().map_err(|_| invalid_type(field, "an integer array", v))?;
            Ok(Column::Owned(a.to_vec().map_err(|_| invalid_input(field, "unreadable array"))?))
        }
        "u" => {
            let a = a.call_method1("astype", ("uint64",))?;
            let a = a.cast::<PyArray1<u64>>().map_err(|_| invalid_type(field, "an integer array", v))?;
            let values = a.to_vec().map_err(|_| invalid_input(field, "unreadable array"))?;
            values
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    i64::try_from(x).map_err(|_| invalid_input(&format!("{field}[{i}]"), format!("out of range: {x}")))
                })
                .collect::<PyResult<Vec<i64>>>()
                .map(Column::Owned)
        }
        "f" => {
            let a = a.call_method1("astype", ("float64",))?;
            let a = a.cast::<PyArray1<f64>>().map_err(|_| invalid_type(field, "an integer array", v))?;
            let values = a.to_vec().map_err(|_| invalid_input(field, "unreadable array"))?;
            values
                .iter()
                .enumerate()
                .map(|(i, &x)| {
                    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 {
                        Ok(x as i64)
                    } else {
                        Err(invalid_input(&format!("{field}[{i}]"), format!("must be a whole number, got {x}")))
                    }
                })
                .collect::<PyResult<Vec<i64>>>()
                .map(Column::Owned)
        }
        _ => Err(invalid_type(field, "an integer array", v)),
    }
}

fn f64_array<'py>(d: &Bound<'py, PyDict>, name: &str, v: Vec<f64>) -> PyResult<()> {
    crate::convert::finite_col(name, &v)?;
    d.set_item(name, PyArray1::from_vec(d.py(), v))
}

fn requests_tuple<'py>(py: Python<'py>, r: Requests) -> PyResult<Bound<'py, PyTuple>> {
    crate::convert::finite_col("arrival_seconds", &r.arrival_seconds)?;
    PyTuple::new(
        py,
        [
            PyArray1::from_vec(py, r.arrival_seconds).into_any(),
            PyArray1::from_vec(py, r.prompt_tokens).into_any(),
            PyArray1::from_vec(py, r.output_tokens).into_any(),
        ],
    )
}

/// The result as a Record: per-request numpy columns, the summary's scalars at the top level
/// (percentiles as `ttft_p50_seconds`, …), `summary`, `series` (numpy columns) and `switches`.
fn result_record<'py>(py: Python<'py>, r: ServeResult) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    let s = r.summary;
    // Scalars first (the summary as the core gives it), then the flat aliases.
    let summary = to_py(py, &s)?;
    for (name, p) in
        [("queue", s.queue_seconds), ("ttft", s.ttft_seconds), ("tpot", s.tpot_seconds), ("e2e", s.e2e_seconds)]
    {
        d.set_item(format!("{name}_p50_seconds"), p.p50)?;
        d.set_item(format!("{name}_p90_seconds"), p.p90)?;
        d.set_item(format!("{name}_p99_seconds"), p.p99)?;
    }
    for (k, v) in summary.cast::<PyDict>()?.iter() {
        let key: String = k.extract()?;
        if !key.ends_with("_seconds") || key == "duration_seconds" {
            d.set_item(k, v)?;
        }
    }
    d.set_item("summary", summary)?;
    d.set_item("replica", PyArray1::from_vec(py, r.replica))?;
    f64_array(&d, "queue_seconds", r.queue_seconds)?;
    f64_array(&d, "ttft_seconds", r.ttft_seconds)?;
    f64_array(&d, "tpot_seconds", r.tpot_seconds)?;
    f64_array(&d, "e2e_seconds", r.e2e_seconds)?;
    d.set_item("slo_met", PyArray1::from_vec(py, r.slo_met))?;
    d.set_item("preemptions", PyArray1::from_vec(py, r.preemptions))?;
    let series = PyDict::new(py);
    let t = r.series;
    f64_array(&series, "time_seconds", t.time_seconds)?;
    series.set_item("replica", PyArray1::from_vec(py, t.replica))?;
    f64_array(&series, "batch_size", t.batch_size)?;
    f64_array(&series, "output_tokens_per_second", t.output_tokens_per_second)?;
    f64_array(&series, "prefill_tokens_per_second", t.prefill_tokens_per_second)?;
    f64_array(&series, "power_watts", t.power_watts)?;
    f64_array(&series, "energy_joules", t.energy_joules)?;
    f64_array(&series, "kv_used_fraction", t.kv_used_fraction)?;
    d.set_item("series", record(py, series)?)?;
    let switches = PyList::empty(py);
    for sw in &r.switches {
        switches.append(to_py(py, sw)?)?;
    }
    d.set_item("switches", switches)?;
    let tenants = PyList::empty(py);
    for t in &r.tenants {
        tenants.append(to_py(py, t)?)?;
    }
    d.set_item("tenants", tenants)?;
    record(py, d)
}

/// Replicas of one model on simulated H100s serving a request stream
/// (`hcpcore.sim.Server(hcpcore.sim.H100("sxm"), hcpcore.sim.ModelSpec(params=8e9, bytes_per_param=2), max_batch=256, seed=1)`).
#[pyclass(name = "Server", module = "hcpcore", frozen)]
pub struct PyServer {
    spec: GpuSpec,
    model: ModelSpec,
    config: ServeConfig,
}

#[pymethods]
impl PyServer {
    #[new]
    #[pyo3(signature = (gpu, model, **config), text_signature = "(gpu, model, **config)")]
    fn new(gpu: &Any<'_>, model: &Any<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let gpu = class_arg::<PyH100>(gpu, "gpu")?;
        let (spec, inlet) = {
            let g = gpu.get().inner.lock(gpu.py())?;
            (g.spec().clone(), g.inlet_c())
        };
        let model = model_arg(model)?;
        let mut config: ServeConfig = kwargs_to(config, "config")?;
        config.inlet_c.get_or_insert(inlet);
        let config = config.validated().py()?;
        hcpcore::sim::serve::kv_capacity_tokens(&spec, &model, &config).py()?;
        Ok(PyServer { spec, model, config })
    }

    /// Serves the requests; returns per-request numpy columns (input order), scalars, `series`,
    /// `switches` and `summary`.
    #[pyo3(signature = (arrival_seconds, prompt_tokens, output_tokens, *, priority=None, ttft_slo_seconds=None, tpot_slo_seconds=None, tenant=None),
           text_signature = "($self, arrival_seconds, prompt_tokens, output_tokens, *, priority=None, ttft_slo_seconds=None, tpot_slo_seconds=None, tenant=None)")]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        arrival_seconds: &Any<'py>,
        prompt_tokens: &Any<'py>,
        output_tokens: &Any<'py>,
        priority: Option<&Any<'py>>,
        ttft_slo_seconds: Option<&Any<'py>>,
        tpot_slo_seconds: Option<&Any<'py>>,
        tenant: Option<&Any<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let arrival = float_column(arrival_seconds, "arrival_seconds")?;
        let prompt = int_column(prompt_tokens, "prompt_tokens")?;
        let output = int_column(output_tokens, "output_tokens")?;
        let opt_int = |v: Option<&Any<'py>>, f: &str| v.filter(|v| !v.is_none()).map(|v| int_column(v, f)).transpose();
        let opt_float =
            |v: Option<&Any<'py>>, f: &str| v.filter(|v| !v.is_none()).map(|v| float_column(v, f)).transpose();
        let priority = opt_int(priority, "priority")?;
        let ttft = opt_float(ttft_slo_seconds, "ttft_slo_seconds")?;
        let tpot = opt_float(tpot_slo_seconds, "tpot_slo_seconds")?;
        let tenant = opt_int(tenant, "tenant")?;
        let cols = RequestColumns {
            arrival_seconds: arrival.slice("arrival_seconds")?,
            prompt_tokens: prompt.slice("prompt_tokens")?,
            output_tokens: output.slice("output_tokens")?,
            priority: priority.as_ref().map(|c| c.slice("priority")).transpose()?,
            ttft_slo_seconds: ttft.as_ref().map(|c| c.slice("ttft_slo_seconds")).transpose()?,
            tpot_slo_seconds: tpot.as_ref().map(|c| c.slice("tpot_slo_seconds")).transpose()?,
            tenant: tenant.as_ref().map(|c| c.slice("tenant")).transpose()?,
        };
        let (spec, model, config) = (&self.spec, &self.model, &self.config);
        // The core's serving loop has no cancellation check: the GIL is released, and a Ctrl-C
        // during the run is raised when it ends.
        let result = long_call(py, |_cancel| run(spec, model, config, cols))?;
        result_record(py, result)
    }

    /// The aggregate model of a mean load over an interval (what a site loop uses for long spans).
    #[pyo3(signature = (*, arrival_rate_per_second, mean_prompt_tokens, mean_output_tokens, interval_seconds),
           text_signature = "($self, *, arrival_rate_per_second, mean_prompt_tokens, mean_output_tokens, interval_seconds)")]
    fn aggregate<'py>(
        &self,
        py: Python<'py>,
        arrival_rate_per_second: &Any<'py>,
        mean_prompt_tokens: &Any<'py>,
        mean_output_tokens: &Any<'py>,
        interval_seconds: &Any<'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let load = AggregateLoad {
            arrival_rate_per_second: arg(arrival_rate_per_second, "arrival_rate_per_second")?,
            mean_prompt_tokens: arg(mean_prompt_tokens, "mean_prompt_tokens")?,
            mean_output_tokens: arg(mean_output_tokens, "mean_output_tokens")?,
            interval_seconds: arg(interval_seconds, "interval_seconds")?,
        };
        to_py(py, &aggregate(&self.spec, &self.model, &self.config, &load).py()?)
    }

    /// KV-cache capacity of one replica, tokens.
    fn kv_capacity_tokens(&self) -> PyResult<u64> {
        hcpcore::sim::serve::kv_capacity_tokens(&self.spec, &self.model, &self.config).py()
    }

    /// The configuration in force (every field, defaults filled in).
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.config)
    }

    fn __repr__(&self) -> String {
        format!(
            "Server({}, params={:e}, replicas={}, tensor_parallel={}, max_batch={})",
            self.spec.name, self.model.params, self.config.replicas, self.config.tensor_parallel, self.config.max_batch
        )
    }
}

/// The shipped Azure LLM inference trace (`"conv"` or `"code"`) as `(arrival_seconds,
/// prompt_tokens, output_tokens)` numpy arrays.
#[pyfunction]
fn azure_trace_columns<'py>(py: Python<'py>, which: &Any<'py>) -> PyResult<Bound<'py, PyTuple>> {
    let which = AzureTrace::parse(&str_arg(which, "which")?).py()?;
    requests_tuple(py, azure_trace(which))
}

/// A trace scaled to a mean rate and stretched over a duration with a diurnal/weekly profile.
#[pyfunction]
#[pyo3(signature = (arrival_seconds, prompt_tokens, output_tokens, **rule))]
fn scale_trace_columns<'py>(
    py: Python<'py>,
    arrival_seconds: &Any<'py>,
    prompt_tokens: &Any<'py>,
    output_tokens: &Any<'py>,
    rule: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let rule: ScaleRule = kwargs_to(rule, "rule")?;
    let trace = Requests {
        arrival_seconds: float_column(arrival_seconds, "arrival_seconds")?.slice("arrival_seconds")?.to_vec(),
        prompt_tokens: int_column(prompt_tokens, "prompt_tokens")?.slice("prompt_tokens")?.to_vec(),
        output_tokens: int_column(output_tokens, "output_tokens")?.slice("output_tokens")?.to_vec(),
    };
    let out = py.detach(|| scale_trace(&trace, &rule)).py()?;
    requests_tuple(py, out)
}

/// A seeded synthetic stream (Poisson or bursty arrivals, stated length distributions).
#[pyfunction]
#[pyo3(signature = (**stream))]
fn synthetic_requests<'py>(py: Python<'py>, stream: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyTuple>> {
    let stream: SyntheticStream = kwargs_to(stream, "stream")?;
    let out = py.detach(|| synthetic(&stream)).py()?;
    requests_tuple(py, out)
}

/// Adds this module's classes and functions to `hcpcore._hcp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyServer>()?;
    m.add_function(wrap_pyfunction!(azure_trace_columns, m)?)?;
    m.add_function(wrap_pyfunction!(scale_trace_columns, m)?)?;
    m.add_function(wrap_pyfunction!(synthetic_requests, m)?)?;
    Ok(())
}
