//! `hcpcore.sim`: Python adapters over `hcpcore::sim` — the H100 model, model specs, fleets, markets and
//! telemetry. Columnar output (series, events, per-device state, market series) crosses as numpy
//! arrays in one call; long runs (`Fleet.run`, the market series) go through
//! [`long_call`] (GIL released, Ctrl-C cancels them). `H100` and `Fleet` are `frozen` with their
//! state behind a [`Locked`], so two threads using one object take turns instead of raising
//! "Already borrowed". Conversion only: the models live in core.

use hcpcore::sim::{
    Activity, AsicSpec, Command, DecodeOptions, Fleet, FleetConfig, GpuSpec, HostMemory, LayerShapes, MarketReplay,
    MarketSeries, MarketSource, ModelSpec, SwitchRequest, SyntheticConfig, SyntheticMarket, H100,
};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::Value;

use hcpcore::limits::{MAX_FLEET_DEVICES, MAX_STEPS};

use crate::convert::{
    arg, arg_or, count_arg, dict_arg, dt_arg, finite, finite_col, kwargs_to, len_arg, opt_arg, py_to_json, record,
    str_arg, str_or, to_py,
};
use crate::errors::{invalid_input, invalid_type, IntoPy};
use crate::long_call::{long_call, Locked};

type Any<'py> = Bound<'py, PyAny>;

/// A model to serve (`hcpcore.sim.ModelSpec(params=8e9, bytes_per_param=2)`).
#[pyclass(name = "ModelSpec", module = "hcpcore", frozen)]
#[derive(Clone)]
pub struct PyModelSpec {
    pub(crate) inner: ModelSpec,
}

#[pymethods]
impl PyModelSpec {
    #[new]
    #[pyo3(signature = (*, params, bytes_per_param=None, layers=None, kv_bytes_per_element=None),
           text_signature = "(*, params, bytes_per_param=2.0, layers=None, kv_bytes_per_element=None)")]
    fn new(
        params: &Any<'_>,
        bytes_per_param: Option<&Any<'_>>,
        layers: Option<&Any<'_>>,
        kv_bytes_per_element: Option<&Any<'_>>,
    ) -> PyResult<Self> {
        let layers: Option<LayerShapes> = match dict_arg(layers, "layers")? {
            Some(d) => Some(kwargs_to(Some(d), "layers")?),
            None => None,
        };
        let inner = ModelSpec {
            params: arg(params, "params")?,
            bytes_per_param: arg_or(bytes_per_param, "bytes_per_param", 2.0)?,
            layers,
            kv_bytes_per_element: opt_arg(kv_bytes_per_element, "kv_bytes_per_element")?,
        }
        .validated()
        .py()?;
        Ok(PyModelSpec { inner })
    }

    #[getter]
    fn params(&self) -> f64 {
        self.inner.params
    }
    #[getter]
    fn bytes_per_param(&self) -> f64 {
        self.inner.bytes_per_param
    }
    /// Layer shapes (given, or assumed from the parameter count).
    #[getter]
    fn layers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.shapes())
    }
    /// Weight bytes.
    #[getter]
    fn weights_bytes(&self) -> PyResult<f64> {
        finite("weights_bytes", self.inner.weights_bytes())
    }
    /// KV-cache bytes per token.
    #[getter]
    fn kv_bytes_per_token(&self) -> PyResult<f64> {
        finite("kv_bytes_per_token", self.inner.kv_bytes_per_token())
    }
    /// The spec as a JSON object.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }
    fn __repr__(&self) -> String {
        format!("ModelSpec(params={:e}, bytes_per_param={})", self.inner.params, self.inner.bytes_per_param)
    }
    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

/// A `ModelSpec` or a dict with its fields.
pub(crate) fn model_arg(v: &Bound<'_, PyAny>) -> PyResult<ModelSpec> {
    if let Ok(m) = v.cast::<PyModelSpec>() {
        return Ok(m.get().inner);
    }
    if !v.is_instance_of::<PyDict>() {
        return Err(invalid_type("model", "a hcpcore.sim.ModelSpec or a dict of its fields", v));
    }
    let json = py_to_json(v, "model")?;
    let m: ModelSpec = serde_json::from_value(json).map_err(|e| invalid_input("model", e))?;
    m.validated().py()
}

/// An integer argument that may arrive as an int, a numpy integer or an integral float.
fn int_arg(v: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
    if !v.is_instance_of::<pyo3::types::PyFloat>() {
        return arg::<i64>(v, field);
    }
    match v.extract::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        Ok(f) => Err(invalid_input(field, format!("must be a whole number, got {f}"))),
        Err(_) => Err(invalid_type(field, "an integer", v)),
    }
}

/// Overrides given as a JSON string or a dict.
fn overrides_json(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => {
            if v.is_instance_of::<PyString>() {
                return Ok(Some(str_arg(v, "overrides")?.into_owned()));
            }
            Ok(Some(py_to_json(v, "overrides")?.to_string()))
        }
    }
}

/// One simulated H100 (`hcpcore.sim.H100("sxm")`).
#[pyclass(name = "H100", module = "hcpcore", frozen)]
pub struct PyH100 {
    pub(crate) inner: Locked<H100>,
}

#[pymethods]
impl PyH100 {
    #[new]
    #[pyo3(signature = (variant=None, *, overrides=None, ambient_c=None),
           text_signature = "(variant='sxm', *, overrides=None, ambient_c=None)")]
    fn new(variant: Option<&Any<'_>>, overrides: Option<&Any<'_>>, ambient_c: Option<&Any<'_>>) -> PyResult<Self> {
        let ambient_c: Option<f64> = opt_arg(ambient_c, "ambient_c")?;
        let mut spec = GpuSpec::by_name(&str_or(variant, "variant", "sxm")?).py()?;
        if let Some(json) = overrides_json(overrides)? {
            spec = spec.with_overrides(&json).py()?;
        }
        let mut inner = H100::from_spec(spec).py()?;
        if let Some(t) = ambient_c {
            inner.set_inlet_c(t).py()?;
        }
        Ok(PyH100 { inner: Locked::new(inner) })
    }

    /// Steady-state decode of `model` at `batch`: step_seconds, tokens_per_second, power_watts, …
    #[pyo3(signature = (model, batch, *, context_tokens=None),
           text_signature = "($self, model, batch, *, context_tokens=0)")]
    fn decode<'py>(
        &self,
        py: Python<'py>,
        model: &Any<'py>,
        batch: &Any<'py>,
        context_tokens: Option<&Any<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let model = model_arg(model)?;
        let batch = int_arg(batch, "batch")?;
        let context: u64 = arg_or(context_tokens, "context_tokens", 0)?;
        to_py(py, &self.inner.lock(py)?.decode_with(&model, batch, DecodeOptions { context_tokens: context }).py()?)
    }

    /// Phases of a workload switch, each in seconds, and `total_seconds`.
    #[pyo3(signature = (*, kv_bytes, weights_bytes, host_memory=None, warm_context=None, clear_bytes=None),
           text_signature = "($self, *, kv_bytes, weights_bytes, host_memory='pinned', warm_context=True, clear_bytes=None)")]
    fn switch<'py>(
        &self,
        py: Python<'py>,
        kv_bytes: &Any<'py>,
        weights_bytes: &Any<'py>,
        host_memory: Option<&Any<'py>>,
        warm_context: Option<&Any<'py>>,
        clear_bytes: Option<&Any<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (kv_bytes, weights_bytes) = (arg(kv_bytes, "kv_bytes")?, arg(weights_bytes, "weights_bytes")?);
        let host_memory = HostMemory::parse(&str_or(host_memory, "host_memory", "pinned")?).py()?;
        let warm_context = arg_or(warm_context, "warm_context", true)?;
        let request = SwitchRequest {
            clear_bytes: opt_arg(clear_bytes, "clear_bytes")?,
            ..SwitchRequest::new(kv_bytes, weights_bytes, host_memory, warm_context)
        };
        to_py(py, &self.inner.lock(py)?.switch_with(&request).py()?)
    }

    /// Advances `dt_seconds` (within `hcpcore.limits.MIN_DT_SECONDS..MAX_DT_SECONDS`) under tensor and
    /// DRAM activity (0–1); returns the reading.
    #[pyo3(signature = (dt_seconds, *, tensor=None, dram=None),
           text_signature = "($self, dt_seconds, *, tensor=0.0, dram=0.0)")]
    fn step<'py>(
        &self,
        py: Python<'py>,
        dt_seconds: &Any<'py>,
        tensor: Option<&Any<'py>>,
        dram: Option<&Any<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let dt = dt_arg(dt_seconds, "dt_seconds")?;
        let (tensor, dram) = (arg_or(tensor, "tensor", 0.0)?, arg_or(dram, "dram", 0.0)?);
        let reading = self.inner.lock(py)?.step(dt, Activity { tensor, dram }).py()?;
        to_py(py, &reading)
    }

    /// Puts the card in the steady state of an activity.
    #[pyo3(signature = (*, tensor=None, dram=None), text_signature = "($self, *, tensor=0.0, dram=0.0)")]
    fn settle(&self, py: Python<'_>, tensor: Option<&Any<'_>>, dram: Option<&Any<'_>>) -> PyResult<()> {
        let (tensor, dram): (f64, f64) = (arg_or(tensor, "tensor", 0.0)?, arg_or(dram, "dram", 0.0)?);
        if !tensor.is_finite() || !dram.is_finite() {
            return Err(invalid_input("activity", "must be finite"));
        }
        self.inner.lock(py)?.settle(Activity { tensor, dram });
        Ok(())
    }

    /// The current reading (power, temperatures, clock, reasons, energy).
    fn reading<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let reading = self.inner.lock(py)?.reading();
        to_py(py, &reading)
    }

    /// Sets the power limit (200–700 W on the SXM).
    fn set_power_limit_watts(&self, py: Python<'_>, watts: &Any<'_>) -> PyResult<()> {
        let watts = arg(watts, "watts")?;
        self.inner.lock(py)?.set_power_limit_watts(watts).py()
    }

    /// The spec in use (every fitted parameter) as a Record.
    fn spec<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.inner.lock(py)?.spec())
    }
}

/// A float column; a non-finite entry is reported (`InternalError`), never handed on.
fn f64_col<'py>(d: &Bound<'py, PyDict>, name: &str, v: &[f64]) -> PyResult<()> {
    finite_col(name, v)?;
    d.set_item(name, PyArray1::from_slice(d.py(), v))
}

fn u32_col<'py>(d: &Bound<'py, PyDict>, name: &str, v: &[u32]) -> PyResult<()> {
    d.set_item(name, PyArray1::from_slice(d.py(), v))
}

fn market_columns<'py>(py: Python<'py>, s: &MarketSeries) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    f64_col(&d, "time_seconds", &s.time_seconds)?;
    f64_col(&d, "btc_usd", &s.btc_usd)?;
    f64_col(&d, "difficulty", &s.difficulty)?;
    d.set_item("height", PyArray1::from_slice(py, &s.height))?;
    f64_col(&d, "fees_btc_per_block", &s.fees_btc_per_block)?;
    f64_col(&d, "electricity_usd_per_mwh", &s.electricity_usd_per_mwh)?;
    f64_col(&d, "gpu_usd_per_hour", &s.gpu_usd_per_hour)?;
    record(py, d)
}

/// A seeded synthetic market sampled `steps` times `dt_seconds` apart, as numpy columns.
#[pyfunction]
#[pyo3(signature = (seed, steps, dt_seconds, **config))]
fn synthetic_market<'py>(
    py: Python<'py>,
    seed: &Any<'py>,
    steps: &Any<'py>,
    dt_seconds: &Any<'py>,
    config: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (seed, steps) = (arg::<u64>(seed, "seed")?, count_arg(steps, "steps", MAX_STEPS)?);
    let dt_seconds = dt_arg(dt_seconds, "dt_seconds")?;
    let config: SyntheticConfig = kwargs_to(config, "config")?;
    let mut m = SyntheticMarket::new(config, seed).py()?;
    let s = long_call(py, |cancel| m.series_cancellable(steps, dt_seconds, cancel))?;
    // `None` only when cancelled, and then `long_call` has returned the signal's exception.
    let s = s.unwrap_or_default();
    market_columns(py, &s)
}

/// The real history in `directory` (e.g. `data/market`) from `start`, sampled as numpy columns.
#[pyfunction]
fn replay_market<'py>(
    py: Python<'py>,
    directory: &Any<'py>,
    start: &Any<'py>,
    steps: &Any<'py>,
    dt_seconds: &Any<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let (directory, start) = (str_arg(directory, "directory")?, str_arg(start, "start")?);
    let (steps, dt_seconds) = (count_arg(steps, "steps", MAX_STEPS)?, dt_arg(dt_seconds, "dt_seconds")?);
    let r = MarketReplay::from_dir(&directory, &start).py()?;
    let s = long_call(py, |cancel| r.series_cancellable(steps, dt_seconds, cancel))?.unwrap_or_default();
    market_columns(py, &s)
}

/// The built-in spec of a miner model (`"S21"`, `"S21 XP"`, …) as a Record.
#[pyfunction]
fn miner_spec<'py>(py: Python<'py>, model: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &AsicSpec::by_name(&str_arg(model, "model")?).py()?)
}

/// A fleet of simulated GPUs and miners (`hcpcore.sim.Fleet(dt_seconds=60, seed=1)`).
#[pyclass(name = "Fleet", module = "hcpcore", frozen)]
pub struct PyFleet {
    inner: Locked<Fleet>,
}

fn command_from(command: &Bound<'_, PyAny>, args: Option<&Bound<'_, PyDict>>) -> PyResult<Command> {
    let mut json = if let Ok(name) = command.cast::<PyString>() {
        serde_json::json!({ "command": name.to_string() })
    } else {
        py_to_json(command, "command")?
    };
    if let Some(args) = args {
        let Value::Object(map) = &mut json else {
            return Err(invalid_input("command", "must be a name or a dict"));
        };
        for (k, v) in args.iter() {
            let key = str_arg(&k, "command")?.into_owned();
            let value = if key == "model" {
                serde_json::to_value(model_arg(&v)?).map_err(|e| invalid_input("model", e))?
            } else {
                py_to_json(&v, &key)?
            };
            map.insert(key, value);
        }
    }
    if let Some(model) = json.get_mut("model") {
        // A ModelSpec object inside a dict command.
        if model.is_null() {
            return Err(invalid_input("model", "must be given"));
        }
    }
    Command::from_json(&json.to_string()).py()
}

#[pymethods]
impl PyFleet {
    #[new]
    #[pyo3(signature = (**config))]
    fn new(config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config: FleetConfig = kwargs_to(config, "config")?;
        Ok(PyFleet { inner: Locked::new(Fleet::new(config).py()?) })
    }

    /// Adds an idle GPU (`"sxm"` or `"pcie"`); returns its device id.
    #[pyo3(signature = (variant=None), text_signature = "($self, variant='sxm')")]
    fn add_gpu(&self, py: Python<'_>, variant: Option<&Any<'_>>) -> PyResult<i64> {
        let variant = str_or(variant, "variant", "sxm")?;
        self.inner.lock(py)?.add_gpu(&variant).py()
    }

    /// Adds a miner hashing in normal mode; returns its device id.
    #[pyo3(signature = (model=None), text_signature = "($self, model='S21')")]
    fn add_miner(&self, py: Python<'_>, model: Option<&Any<'_>>) -> PyResult<i64> {
        let model = str_or(model, "model", "S21")?;
        self.inner.lock(py)?.add_miner(&model).py()
    }

    /// Adds `gpus` GPUs then `miners` miners; returns the first new id. The fleet holds at most
    /// `hcpcore.limits.MAX_FLEET_DEVICES` devices, checked before any is added.
    #[pyo3(signature = (gpu_variant=None, gpus=None, miner_model=None, miners=None),
           text_signature = "($self, gpu_variant='sxm', gpus=0, miner_model='S21', miners=0)")]
    fn add_many(
        &self,
        py: Python<'_>,
        gpu_variant: Option<&Any<'_>>,
        gpus: Option<&Any<'_>>,
        miner_model: Option<&Any<'_>>,
        miners: Option<&Any<'_>>,
    ) -> PyResult<i64> {
        let (gpu_variant, miner_model) =
            (str_or(gpu_variant, "gpu_variant", "sxm")?, str_or(miner_model, "miner_model", "S21")?);
        let mut fleet = self.inner.lock(py)?;
        let room = MAX_FLEET_DEVICES.saturating_sub(fleet.len());
        let gpus = gpus.filter(|g| !g.is_none()).map(|g| count_arg(g, "gpus", room)).transpose()?.unwrap_or(0);
        let miners =
            miners.filter(|m| !m.is_none()).map(|m| count_arg(m, "miners", room - gpus)).transpose()?.unwrap_or(0);
        fleet.add_many(&gpu_variant, gpus as u32, &miner_model, miners as u32).py()
    }

    /// Applies a command: `fleet.command(0, "serve", model=ModelSpec(...), batch=32)`,
    /// `fleet.command(5, "mine", mode="low")`, `"sleep"`, `"wake"`, `"switch"` (with
    /// `host_memory`, `warm_context`), or a dict `{"command": "serve", ...}`.
    #[pyo3(signature = (device, command, **args))]
    fn command(
        &self,
        py: Python<'_>,
        device: &Any<'_>,
        command: &Any<'_>,
        args: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let device = arg::<i64>(device, "device")?;
        let c = command_from(command, args)?;
        self.inner.lock(py)?.command(device, c).py()
    }

    /// Applies one command to many devices (a sequence or an int64 array of ids).
    #[pyo3(signature = (devices, command, **args))]
    fn command_many(
        &self,
        py: Python<'_>,
        devices: &Bound<'_, PyAny>,
        command: &Bound<'_, PyAny>,
        args: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let c = command_from(command, args)?;
        len_arg(devices, "devices", MAX_FLEET_DEVICES)?;
        let ids: Vec<i64> = if let Ok(a) = devices.extract::<PyReadonlyArray1<'_, i64>>() {
            a.as_slice().map_err(|_| invalid_input("devices", "must be contiguous"))?.to_vec()
        } else if devices.is_instance_of::<PyString>() {
            return Err(invalid_type("devices", "a sequence of ints", devices));
        } else {
            devices
                .try_iter()
                .map_err(|_| invalid_type("devices", "a sequence of ints", devices))?
                .take(MAX_FLEET_DEVICES + 1)
                .map(|d| arg::<i64>(&d.map_err(|e| invalid_input("devices", e))?, "devices"))
                .collect::<PyResult<_>>()?
        };
        self.inner.lock(py)?.command_many(&ids, c).py()
    }

    /// Advances one step.
    fn step(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.lock(py)?.step().py()
    }

    /// Advances `steps` steps with the GIL released (other Python threads run meanwhile).
    /// Ctrl-C stops it within a step and raises `KeyboardInterrupt`; the fleet has then taken
    /// whole steps only (see `steps`) and can be read or run on.
    fn run(&self, py: Python<'_>, steps: &Any<'_>) -> PyResult<()> {
        let steps = count_arg(steps, "steps", MAX_STEPS)? as u64;
        let mut fleet = self.inner.lock(py)?;
        let fleet = &mut *fleet;
        long_call(py, |cancel| fleet.run_cancellable(steps, cancel)).map(|_taken| ())
    }

    /// Draws the shares found since the last settlement now.
    fn settle(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.lock(py)?.settle();
        Ok(())
    }

    /// Changes the room temperature, °C.
    fn set_ambient_c(&self, py: Python<'_>, ambient_c: &Any<'_>) -> PyResult<()> {
        let ambient_c = arg(ambient_c, "ambient_c")?;
        self.inner.lock(py)?.set_ambient_c(ambient_c).py()
    }

    /// Prices from a seeded synthetic market (keyword arguments override its parameters).
    #[pyo3(signature = (seed, **config))]
    fn set_market_synthetic(&self, py: Python<'_>, seed: &Any<'_>, config: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let seed = arg::<u64>(seed, "seed")?;
        let config: SyntheticConfig = kwargs_to(config, "config")?;
        let m = SyntheticMarket::new(config, seed).py()?;
        self.inner.lock(py)?.set_market(MarketSource::Synthetic(Box::new(m)));
        Ok(())
    }

    /// Prices from the real history in `directory`, simulation time 0 at `start`.
    fn set_market_replay(&self, py: Python<'_>, directory: &Any<'_>, start: &Any<'_>) -> PyResult<()> {
        let (directory, start) = (str_arg(directory, "directory")?, str_arg(start, "start")?);
        let r = MarketReplay::from_dir(&directory, &start).py()?;
        self.inner.lock(py)?.set_market(MarketSource::Replay(Box::new(r)));
        Ok(())
    }

    /// Fleet totals per recorded step as numpy columns (`pandas.DataFrame(fleet.series())`).
    fn series<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fleet = self.inner.lock(py)?;
        let s = fleet.series();
        let d = PyDict::new(py);
        f64_col(&d, "time_seconds", &s.time_seconds)?;
        f64_col(&d, "power_watts", &s.power_watts)?;
        f64_col(&d, "gpu_power_watts", &s.gpu_power_watts)?;
        f64_col(&d, "asic_power_watts", &s.asic_power_watts)?;
        f64_col(&d, "hashrate_ths", &s.hashrate_ths)?;
        f64_col(&d, "tokens_per_second", &s.tokens_per_second)?;
        u32_col(&d, "gpus_serving", &s.gpus_serving)?;
        u32_col(&d, "gpus_switching", &s.gpus_switching)?;
        u32_col(&d, "gpus_sleeping", &s.gpus_sleeping)?;
        u32_col(&d, "gpus_faulted", &s.gpus_faulted)?;
        u32_col(&d, "miners_hashing", &s.miners_hashing)?;
        u32_col(&d, "miners_sleeping", &s.miners_sleeping)?;
        u32_col(&d, "devices_throttled", &s.devices_throttled)?;
        f64_col(&d, "max_gpu_temp_c", &s.max_gpu_temp_c)?;
        f64_col(&d, "electricity_usd_per_mwh", &s.electricity_usd_per_mwh)?;
        f64_col(&d, "energy_kwh", &s.energy_kwh)?;
        f64_col(&d, "energy_cost_usd", &s.energy_cost_usd)?;
        f64_col(&d, "mining_revenue_usd", &s.mining_revenue_usd)?;
        f64_col(&d, "gpu_revenue_usd", &s.gpu_revenue_usd)?;
        record(py, d)
    }

    /// Events as numpy columns: time_seconds, device, kind (code), code, value; `kind_name` as a
    /// list of names.
    fn events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let fleet = self.inner.lock(py)?;
        let e = fleet.events();
        let d = PyDict::new(py);
        f64_col(&d, "time_seconds", &e.iter().map(|x| x.time_seconds).collect::<Vec<_>>())?;
        u32_col(&d, "device", &e.iter().map(|x| x.device).collect::<Vec<_>>())?;
        d.set_item("kind", PyArray1::from_vec(py, e.iter().map(|x| x.kind.code()).collect::<Vec<u8>>()))?;
        d.set_item("kind_name", e.iter().map(|x| x.kind.name()).collect::<Vec<_>>())?;
        u32_col(&d, "code", &e.iter().map(|x| x.code).collect::<Vec<_>>())?;
        f64_col(&d, "value", &e.iter().map(|x| x.value).collect::<Vec<_>>())?;
        record(py, d)
    }

    /// Per-device state as numpy columns (index = device id).
    fn devices<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.inner.lock(py)?.devices();
        let d = PyDict::new(py);
        d.set_item("kind", PyArray1::from_vec(py, c.kind))?;
        d.set_item("state", PyArray1::from_vec(py, c.state))?;
        f64_col(&d, "power_watts", &c.power_watts)?;
        f64_col(&d, "temp_c", &c.temp_c)?;
        f64_col(&d, "hashrate_ths", &c.hashrate_ths)?;
        f64_col(&d, "tokens_per_second", &c.tokens_per_second)?;
        f64_col(&d, "energy_kwh", &c.energy_kwh)?;
        record(py, d)
    }

    /// Totals so far.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let summary = self.inner.lock(py)?.summary();
        to_py(py, &summary)
    }

    /// State of a device (`"idle"`, `"mining"`, `"serving"`, `"switching"`, `"sleeping"`, `"faulted"`).
    fn state(&self, py: Python<'_>, device: &Any<'_>) -> PyResult<&'static str> {
        let device = arg(device, "device")?;
        Ok(self.inner.lock(py)?.state(device).py()?.name())
    }

    /// Telemetry of a GPU (the dcgm-exporter fields).
    fn gpu_telemetry<'py>(&self, py: Python<'py>, device: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
        let device = arg(device, "device")?;
        let telemetry = self.inner.lock(py)?.gpu_telemetry(device).py()?;
        to_py(py, &telemetry)
    }

    /// Status of a miner (what its cgminer API reports).
    fn miner_status<'py>(&self, py: Python<'py>, device: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
        let device = arg(device, "device")?;
        let status = self.inner.lock(py)?.miner_status(device).py()?;
        to_py(py, &status)
    }

    /// Prometheus exposition of every GPU with dcgm-exporter names and labels (hosts
    /// `{hostname}-{n}`, eight GPUs each).
    #[pyo3(signature = (hostname=None), text_signature = "($self, hostname='hcp-sim')")]
    fn dcgm_metrics(&self, py: Python<'_>, hostname: Option<&Any<'_>>) -> PyResult<String> {
        let hostname = str_or(hostname, "hostname", "hcp-sim")?;
        Ok(self.inner.lock(py)?.dcgm_exposition(&hostname))
    }

    /// Prometheus exposition of every miner: hashrate, power, temperatures, fans, shares and
    /// errors, per miner and per hash board (miners named `{hostname}-{id}`).
    #[pyo3(signature = (hostname=None), text_signature = "($self, hostname='hcp-sim')")]
    fn miner_metrics(&self, py: Python<'_>, hostname: Option<&Any<'_>>) -> PyResult<String> {
        let hostname = str_or(hostname, "hostname", "hcp-sim")?;
        Ok(self.inner.lock(py)?.miner_exposition(&hostname))
    }

    /// A cgminer API reply of a miner, as JSON text: `command` is `"version"`, `"devs"`,
    /// `"summary"`, `"stats"`, `"pools"`, or a whole JSON request such as
    /// `'{"command":"stats","new_api":true}'` or `'{"command":"summary+pools"}'`.
    #[pyo3(signature = (device, command=None, when_unix=None),
           text_signature = "($self, device, command='summary', when_unix=0)")]
    fn cgminer(
        &self,
        py: Python<'_>,
        device: &Any<'_>,
        command: Option<&Any<'_>>,
        when_unix: Option<&Any<'_>>,
    ) -> PyResult<String> {
        let (device, command) = (arg(device, "device")?, str_or(command, "command", "summary")?);
        let when_unix = arg_or(when_unix, "when_unix", 0)?;
        let reply = self.inner.lock(py)?.cgminer_reply(device, &command, when_unix).py()?;
        Ok(reply.to_string())
    }

    /// Simulated time, s.
    #[getter]
    fn time_seconds(&self, py: Python<'_>) -> PyResult<f64> {
        finite("time_seconds", self.inner.lock(py)?.time_seconds())
    }

    /// Steps taken.
    #[getter]
    fn steps(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.inner.lock(py)?.steps())
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.inner.lock(py)?.len())
    }
}

/// Adds this module's classes and functions to `hcpcore._hcp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyModelSpec>()?;
    m.add_class::<PyH100>()?;
    m.add_class::<PyFleet>()?;
    m.add_function(wrap_pyfunction!(synthetic_market, m)?)?;
    m.add_function(wrap_pyfunction!(replay_market, m)?)?;
    m.add_function(wrap_pyfunction!(miner_spec, m)?)?;
    Ok(())
}
