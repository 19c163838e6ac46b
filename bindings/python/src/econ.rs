//! `hcpcore.econ` and `hcpcore.models`: market snapshots, the model catalog and the economics functions.
//! Conversion only; every formula lives in `hcpcore::econ`.

use hcpcore::econ::{self, Action, Decider, DeviceGroup, DeviceModel, Market, MarketFields, Site, SwitchPolicy, Terms};
use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadwriteArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::{
    arg, arg_or, class_arg, dict_arg, finite, finite_col, kwargs_to, opt_arg, reduce_via_constructor, str_arg, to_py,
};
use crate::errors::{invalid_input, invalid_type, IntoPy};
use crate::long_call::{long_call, Locked};

type Any<'py> = Bound<'py, PyAny>;

/// A `Market` argument (`InvalidTypeError` naming `market` for anything else).
fn market(v: &Any<'_>) -> PyResult<Market> {
    Ok(class_arg::<PyMarket>(v, "market")?.get().inner)
}

/// A validated market snapshot (`hcp.Market`).
#[pyclass(name = "Market", module = "hcpcore", frozen)]
#[derive(Clone)]
pub struct PyMarket {
    pub inner: Market,
}

#[pymethods]
impl PyMarket {
    #[new]
    #[pyo3(signature = (*, btc_usd, difficulty, height, fees_btc_per_block=None, fee_share=None,
                        electricity_usd_per_kwh=None, gpu_usd_per_hour=None, usd_per_million_tokens=None),
           text_signature = "(*, btc_usd, difficulty, height, fees_btc_per_block=None, fee_share=None, \
                             electricity_usd_per_kwh=0.0, gpu_usd_per_hour=0.0, usd_per_million_tokens=0.0)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        btc_usd: &Any<'_>,
        difficulty: &Any<'_>,
        height: &Any<'_>,
        fees_btc_per_block: Option<&Any<'_>>,
        fee_share: Option<&Any<'_>>,
        electricity_usd_per_kwh: Option<&Any<'_>>,
        gpu_usd_per_hour: Option<&Any<'_>>,
        usd_per_million_tokens: Option<&Any<'_>>,
    ) -> PyResult<Self> {
        let fields = MarketFields {
            btc_usd: arg(btc_usd, "btc_usd")?,
            difficulty: arg(difficulty, "difficulty")?,
            height: arg(height, "height")?,
            fees_btc_per_block: opt_arg(fees_btc_per_block, "fees_btc_per_block")?,
            fee_share: opt_arg(fee_share, "fee_share")?,
            electricity_usd_per_kwh: arg_or(electricity_usd_per_kwh, "electricity_usd_per_kwh", 0.0)?,
            gpu_usd_per_hour: arg_or(gpu_usd_per_hour, "gpu_usd_per_hour", 0.0)?,
            usd_per_million_tokens: arg_or(usd_per_million_tokens, "usd_per_million_tokens", 0.0)?,
        };
        Ok(PyMarket { inner: Market::try_from(fields).py()? })
    }

    /// A market from a JSON object with the same field names.
    #[staticmethod]
    fn from_json(json: &Any<'_>) -> PyResult<Self> {
        let inner: Market = serde_json::from_str(&str_arg(json, "json")?)
            .map_err(|e| invalid_input("market", format!("malformed JSON: {e}")))?;
        Ok(PyMarket { inner })
    }

    /// The market as a JSON object.
    fn to_json(&self) -> String {
        serde_json::to_string(&self.inner).unwrap_or_default()
    }

    #[getter]
    fn btc_usd(&self) -> f64 {
        self.inner.btc_usd()
    }
    #[getter]
    fn difficulty(&self) -> f64 {
        self.inner.difficulty()
    }
    #[getter]
    fn height(&self) -> u64 {
        self.inner.height()
    }
    #[getter]
    fn fees_btc_per_block(&self) -> Option<f64> {
        self.inner.fields().fees_btc_per_block
    }
    #[getter]
    fn fee_share(&self) -> Option<f64> {
        self.inner.fields().fee_share
    }
    #[getter]
    fn electricity_usd_per_kwh(&self) -> f64 {
        self.inner.electricity_usd_per_kwh()
    }
    #[getter]
    fn gpu_usd_per_hour(&self) -> f64 {
        self.inner.gpu_usd_per_hour()
    }
    #[getter]
    fn usd_per_million_tokens(&self) -> f64 {
        self.inner.usd_per_million_tokens()
    }

    /// A copy with some fields replaced (validated like the constructor).
    #[pyo3(signature = (**changes))]
    fn replace(&self, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        // Each change is converted like the constructor's argument of that name, so both give
        // the same error for the same value.
        let mut f = self.inner.fields();
        if let Some(changes) = changes {
            for (k, v) in changes.iter() {
                let key = str_arg(&k, "changes")?;
                let key = key.as_ref();
                match key {
                    "btc_usd" => f.btc_usd = arg(&v, key)?,
                    "difficulty" => f.difficulty = arg(&v, key)?,
                    "height" => f.height = arg(&v, key)?,
                    "electricity_usd_per_kwh" => f.electricity_usd_per_kwh = arg(&v, key)?,
                    "gpu_usd_per_hour" => f.gpu_usd_per_hour = arg(&v, key)?,
                    "usd_per_million_tokens" => f.usd_per_million_tokens = arg(&v, key)?,
                    "fees_btc_per_block" => {
                        f.fees_btc_per_block = opt_arg(Some(&v), key)?;
                        if f.fees_btc_per_block.is_some() {
                            f.fee_share = None;
                        }
                    }
                    "fee_share" => {
                        f.fee_share = opt_arg(Some(&v), key)?;
                        if f.fee_share.is_some() {
                            f.fees_btc_per_block = None;
                        }
                    }
                    _ => return Err(invalid_input(key, "unknown field of Market")),
                }
            }
        }
        Ok(PyMarket { inner: Market::try_from(f).py()? })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    /// Pickle support (Ray, multiprocessing, `copy`): rebuilt through the constructor.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let f = slf.get().inner.fields();
        let kwargs = PyDict::new(py);
        kwargs.set_item("btc_usd", f.btc_usd)?;
        kwargs.set_item("difficulty", f.difficulty)?;
        kwargs.set_item("height", f.height)?;
        if let Some(fees) = f.fees_btc_per_block {
            kwargs.set_item("fees_btc_per_block", fees)?;
        }
        if let Some(share) = f.fee_share {
            kwargs.set_item("fee_share", share)?;
        }
        kwargs.set_item("electricity_usd_per_kwh", f.electricity_usd_per_kwh)?;
        kwargs.set_item("gpu_usd_per_hour", f.gpu_usd_per_hour)?;
        kwargs.set_item("usd_per_million_tokens", f.usd_per_million_tokens)?;
        reduce_via_constructor(slf.as_any(), PyTuple::empty(py), kwargs)
    }

    fn __repr__(&self) -> String {
        let f = self.inner.fields();
        let fees = match (f.fees_btc_per_block, f.fee_share) {
            (_, Some(s)) => format!("fee_share={s}"),
            (b, None) => format!("fees_btc_per_block={}", b.unwrap_or(0.0)),
        };
        format!(
            "Market(btc_usd={}, difficulty={:e}, height={}, {fees}, electricity_usd_per_kwh={}, gpu_usd_per_hour={}, usd_per_million_tokens={})",
            f.btc_usd, f.difficulty, f.height, f.electricity_usd_per_kwh, f.gpu_usd_per_hour, f.usd_per_million_tokens
        )
    }
}

/// A device model from the catalog (`hcpcore.models.S21`, …).
#[pyclass(name = "DeviceModel", module = "hcpcore", frozen)]
#[derive(Clone)]
pub struct PyDeviceModel {
    pub inner: DeviceModel,
}

#[pymethods]
impl PyDeviceModel {
    /// A model from explicit figures (validated).
    #[new]
    #[pyo3(signature = (*, name, kind, power_watts, idle_watts=None, sleep_watts=None, hashrate_ths=None, gpu_memory_gb=None),
           text_signature = "(*, name, kind, power_watts, idle_watts=0.0, sleep_watts=0.0, hashrate_ths=0.0, \
                             gpu_memory_gb=0.0)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: &Any<'_>,
        kind: &Any<'_>,
        power_watts: &Any<'_>,
        idle_watts: Option<&Any<'_>>,
        sleep_watts: Option<&Any<'_>>,
        hashrate_ths: Option<&Any<'_>>,
        gpu_memory_gb: Option<&Any<'_>>,
    ) -> PyResult<Self> {
        let inner = DeviceModel {
            name: arg(name, "name")?,
            kind: econ::DeviceKind::parse(&str_arg(kind, "kind")?).py()?,
            power_watts: arg(power_watts, "power_watts")?,
            idle_watts: arg_or(idle_watts, "idle_watts", 0.0)?,
            sleep_watts: arg_or(sleep_watts, "sleep_watts", 0.0)?,
            hashrate_ths: arg_or(hashrate_ths, "hashrate_ths", 0.0)?,
            gpu_memory_gb: arg_or(gpu_memory_gb, "gpu_memory_gb", 0.0)?,
        };
        Ok(PyDeviceModel { inner: inner.validated().py()? })
    }

    /// An ASIC given by hashrate and efficiency, e.g. for a what-if on a future model.
    #[staticmethod]
    fn asic(name: &Any<'_>, hashrate_ths: &Any<'_>, joules_per_th: &Any<'_>) -> PyResult<Self> {
        let (name, ths, jth) =
            (str_arg(name, "name")?, arg(hashrate_ths, "hashrate_ths")?, arg(joules_per_th, "joules_per_th")?);
        Ok(PyDeviceModel { inner: DeviceModel::asic(&name, ths, jth).py()? })
    }

    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.name()
    }
    #[getter]
    fn power_watts(&self) -> f64 {
        self.inner.power_watts
    }
    #[getter]
    fn idle_watts(&self) -> f64 {
        self.inner.idle_watts
    }
    #[getter]
    fn sleep_watts(&self) -> f64 {
        self.inner.sleep_watts
    }
    #[getter]
    fn hashrate_ths(&self) -> f64 {
        self.inner.hashrate_ths
    }
    #[getter]
    fn gpu_memory_gb(&self) -> f64 {
        self.inner.gpu_memory_gb
    }
    #[getter]
    fn joules_per_th(&self) -> PyResult<f64> {
        finite("joules_per_th", self.inner.joules_per_th())
    }
    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
    /// Pickle support: rebuilt through the constructor from its figures.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let m = &slf.get().inner;
        let kwargs = PyDict::new(py);
        kwargs.set_item("name", &m.name)?;
        kwargs.set_item("kind", m.kind.name())?;
        kwargs.set_item("power_watts", m.power_watts)?;
        kwargs.set_item("idle_watts", m.idle_watts)?;
        kwargs.set_item("sleep_watts", m.sleep_watts)?;
        kwargs.set_item("hashrate_ths", m.hashrate_ths)?;
        kwargs.set_item("gpu_memory_gb", m.gpu_memory_gb)?;
        reduce_via_constructor(slf.as_any(), PyTuple::empty(py), kwargs)
    }
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.name.hash(&mut h);
        for x in [self.inner.power_watts, self.inner.hashrate_ths, self.inner.gpu_memory_gb] {
            x.to_bits().hash(&mut h);
        }
        h.finish()
    }
    fn __repr__(&self) -> String {
        format!(
            "DeviceModel(name={:?}, kind={:?}, power_watts={}, hashrate_ths={}, gpu_memory_gb={})",
            self.inner.name,
            self.inner.kind.name(),
            self.inner.power_watts,
            self.inner.hashrate_ths,
            self.inner.gpu_memory_gb
        )
    }
}

/// A model argument: a `DeviceModel` or a catalog name such as `"S21"`.
pub fn model_arg(model: &Bound<'_, PyAny>) -> PyResult<DeviceModel> {
    if let Ok(m) = model.cast::<PyDeviceModel>() {
        return Ok(m.get().inner.clone());
    }
    if model.is_instance_of::<pyo3::types::PyString>() {
        return econ::models::get(&str_arg(model, "model")?).py();
    }
    Err(invalid_type("model", "an hcpcore.DeviceModel or a model name", model))
}

/// One miner's expected day.
#[pyclass(name = "MinerDaily", module = "hcpcore", frozen, get_all)]
pub struct PyMinerDaily {
    btc: f64,
    revenue_usd: f64,
    energy_kwh: f64,
    energy_cost_usd: f64,
    profit_usd: f64,
}

#[pymethods]
impl PyMinerDaily {
    fn __repr__(&self) -> String {
        format!(
            "MinerDaily(btc={}, revenue_usd={}, energy_kwh={}, energy_cost_usd={}, profit_usd={})",
            self.btc, self.revenue_usd, self.energy_kwh, self.energy_cost_usd, self.profit_usd
        )
    }
}

/// The built-in model with this name.
#[pyfunction]
fn get_model(name: &Any<'_>) -> PyResult<PyDeviceModel> {
    Ok(PyDeviceModel { inner: econ::models::get(&str_arg(name, "name")?).py()? })
}

/// Every model in the built-in catalog, or in the catalog JSON file at `path` merged over it.
#[pyfunction]
#[pyo3(signature = (path=None))]
fn catalog(path: Option<&Any<'_>>) -> PyResult<Vec<PyDeviceModel>> {
    let mut c = econ::Catalog::builtin();
    if let Some(path) = opt_arg::<std::path::PathBuf>(path, "path")? {
        // A device or pipe (/dev/zero) would be read without end: only regular files are read.
        if !std::fs::metadata(&path).map(|m| m.is_file()).unwrap_or(true) {
            return Err(invalid_input("path", format!("{} is not a regular file", path.display())));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| invalid_input("path", format!("cannot read {}: {e}", path.display())))?;
        c.merge_json(&text).py()?;
    }
    Ok(c.models().iter().cloned().map(|inner| PyDeviceModel { inner }).collect())
}

#[pyfunction]
fn block_subsidy_btc(height: &Any<'_>) -> PyResult<f64> {
    Ok(econ::block_subsidy_btc(econ::validate_height(arg(height, "height")?).py()?))
}

#[pyfunction]
fn block_subsidy_sats(height: &Any<'_>) -> PyResult<u64> {
    Ok(econ::block_subsidy_sats(econ::validate_height(arg(height, "height")?).py()?))
}

#[pyfunction]
fn network_hashrate_hs(difficulty: &Any<'_>) -> PyResult<f64> {
    finite("network_hashrate_hs", econ::network_hashrate_hs(arg(difficulty, "difficulty")?).py()?)
}

#[pyfunction]
fn block_reward_btc(market: &Any<'_>) -> PyResult<f64> {
    finite("block_reward_btc", econ::block_reward_btc(&self::market(market)?))
}

#[pyfunction]
fn expected_btc_per_day(hashrate_ths: &Any<'_>, market: &Any<'_>) -> PyResult<f64> {
    let ths = arg(hashrate_ths, "hashrate_ths")?;
    finite("expected_btc_per_day", econ::expected_btc_per_day(ths, &self::market(market)?).py()?)
}

#[pyfunction]
fn hashprice_usd_per_ph_day(market: &Any<'_>) -> PyResult<f64> {
    finite("hashprice_usd_per_ph_day", econ::hashprice_usd_per_ph_day(&self::market(market)?))
}

#[pyfunction]
fn hashprice_usd_per_th_day(market: &Any<'_>) -> PyResult<f64> {
    finite("hashprice_usd_per_th_day", econ::hashprice_usd_per_th_day(&self::market(market)?))
}

#[pyfunction]
fn hashprice_btc_per_ph_day(market: &Any<'_>) -> PyResult<f64> {
    finite("hashprice_btc_per_ph_day", econ::hashprice_btc_per_ph_day(&self::market(market)?))
}

#[pyfunction]
fn hashprice_btc_per_th_day(market: &Any<'_>) -> PyResult<f64> {
    finite("hashprice_btc_per_th_day", econ::hashprice_btc_per_th_day(&self::market(market)?))
}

/// Site terms from keyword arguments: pool_fee, pue, gpu_utilisation, tokens_per_second,
/// demand_response_usd_per_mwh (unknown keywords are `InvalidInputError`).
fn terms(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Terms> {
    kwargs_to::<Terms>(kwargs, "terms")?.validated().py()
}

#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn miner_daily(model: &Any<'_>, market: &Any<'_>, terms: Option<&Bound<'_, PyDict>>) -> PyResult<PyMinerDaily> {
    let t = self::terms(terms)?;
    let d = econ::miner_daily(&model_arg(model)?, &self::market(market)?, t.mining()).py()?;
    Ok(PyMinerDaily {
        btc: finite("btc", d.btc)?,
        revenue_usd: finite("revenue_usd", d.revenue_usd)?,
        energy_kwh: finite("energy_kwh", d.energy_kwh)?,
        energy_cost_usd: finite("energy_cost_usd", d.energy_cost_usd)?,
        profit_usd: finite("profit_usd", d.profit_usd)?,
    })
}

#[pyfunction]
fn joules_per_th(model: &Any<'_>) -> PyResult<f64> {
    finite("joules_per_th", econ::joules_per_th(&model_arg(model)?).py()?)
}

#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn hashcost_usd_per_th_day(model: &Any<'_>, market: &Any<'_>, terms: Option<&Bound<'_, PyDict>>) -> PyResult<f64> {
    let v = econ::hashcost_usd_per_th_day(&model_arg(model)?, &self::market(market)?, self::terms(terms)?.mining());
    finite("hashcost_usd_per_th_day", v.py()?)
}

#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn breakeven_btc_usd(model: &Any<'_>, market: &Any<'_>, terms: Option<&Bound<'_, PyDict>>) -> PyResult<f64> {
    let v = econ::breakeven_btc_usd(&model_arg(model)?, &self::market(market)?, self::terms(terms)?.mining());
    finite("breakeven_btc_usd", v.py()?)
}

/// Break-even electricity price of a miner (mining) or a GPU (serving), USD/kWh.
#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn breakeven_usd_per_kwh(model: &Any<'_>, market: &Any<'_>, terms: Option<&Bound<'_, PyDict>>) -> PyResult<f64> {
    let v = econ::breakeven_usd_per_kwh(&model_arg(model)?, &self::market(market)?, &self::terms(terms)?);
    finite("breakeven_usd_per_kwh", v.py()?)
}

#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn gpu_hourly<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    market: &Any<'py>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &econ::gpu_hourly(&model_arg(model)?, &self::market(market)?, &self::terms(terms)?).py()?)
}

#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn gpu_daily<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    market: &Any<'py>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &econ::gpu_daily(&model_arg(model)?, &self::market(market)?, &self::terms(terms)?).py()?)
}

/// Value per hour of each action open to the device (productive, sleep, idle).
#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn action_values<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    market: &Any<'py>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &econ::action_values(&model_arg(model)?, &self::market(market)?, &self::terms(terms)?).py()?)
}

/// The most profitable action at this snapshot, ignoring switching costs.
#[pyfunction]
#[pyo3(signature = (model, market, **terms))]
fn best_action<'py>(
    py: Python<'py>,
    model: &Bound<'py, PyAny>,
    market: &Any<'py>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &econ::best_action(&model_arg(model)?, &self::market(market)?, &self::terms(terms)?).py()?)
}

/// A stateful per-device decider with switching cost and minimum dwell (`hcpcore.econ.Decider`).
/// `frozen`, its state behind a lock: two threads stepping one decider take turns.
#[pyclass(name = "Decider", module = "hcpcore", frozen)]
pub struct PyDecider {
    inner: Locked<Decider>,
}

#[pymethods]
impl PyDecider {
    #[new]
    #[pyo3(signature = (model, *, initial=None, policy=None, **terms))]
    fn new(
        model: &Any<'_>,
        initial: Option<&Any<'_>>,
        policy: Option<&Any<'_>>,
        terms: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let model = model_arg(model)?;
        let initial = match crate::convert::opt_str_arg(initial, "initial")? {
            Some(name) => Action::parse(&name).py()?,
            None => Action::productive(model.kind),
        };
        let policy: SwitchPolicy = kwargs_to(dict_arg(policy, "policy")?, "policy")?;
        Ok(PyDecider { inner: Locked::new(Decider::new(model, self::terms(terms)?, policy, initial).py()?) })
    }

    /// Decides the action for the next `dt_seconds` at `market` and advances the clock.
    fn step<'py>(&self, py: Python<'py>, market: &Any<'py>, dt_seconds: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (market, dt) = (self::market(market)?, arg(dt_seconds, "dt_seconds")?);
        let decision = self.inner.lock(py)?.step(&market, dt).py()?;
        to_py(py, &decision)
    }

    /// Steps once per market, returning the action names (one boundary crossing for a series of
    /// at most `hcpcore.limits.MAX_STEPS` markets).
    /// The steps run with the GIL released; Ctrl-C stops them between markets
    /// (`KeyboardInterrupt`, the decider having taken the markets before).
    fn step_series(&self, py: Python<'_>, markets: &Any<'_>, dt_seconds: &Any<'_>) -> PyResult<Vec<&'static str>> {
        let dt: f64 = arg(dt_seconds, "dt_seconds")?;
        if markets.is_instance_of::<pyo3::types::PyString>() {
            return Err(invalid_type("markets", "a sequence of hcpcore.Market", markets));
        }
        let items = markets.try_iter().map_err(|_| invalid_type("markets", "a sequence of hcpcore.Market", markets))?;
        let mut list = Vec::new();
        for m in items {
            if list.len() >= hcpcore::limits::MAX_STEPS {
                return Err(invalid_input("markets", format!("more than {} markets", hcpcore::limits::MAX_STEPS)));
            }
            let m = m.map_err(|e| invalid_input("markets", e))?;
            list.push(class_arg::<PyMarket>(&m, "markets")?.get().inner);
        }
        let mut decider = self.inner.lock(py)?;
        let decider = &mut *decider;
        long_call(py, |cancel| {
            let mut actions = Vec::with_capacity(list.len());
            for m in &list {
                if cancel.is_cancelled() {
                    break;
                }
                actions.push(decider.step(m, dt)?.action.name());
            }
            Ok(actions)
        })
    }

    #[getter]
    fn current(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(self.inner.lock(py)?.current().name())
    }
    #[getter]
    fn switches(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.inner.lock(py)?.switches())
    }
    #[getter]
    fn seconds_in_action(&self, py: Python<'_>) -> PyResult<f64> {
        finite("seconds_in_action", self.inner.lock(py)?.seconds_in_action())
    }
}

/// A site: device groups, a power cap and terms (`hcpcore.econ.Site`).
#[pyclass(name = "Site", module = "hcpcore.econ", frozen)]
pub struct PySite {
    inner: Site,
}

#[pymethods]
impl PySite {
    /// `devices`: a dict `{model: count}` or a list of `(model, count)` pairs; models are
    /// `DeviceModel`s or catalog names.
    #[new]
    #[pyo3(signature = (devices, cap_kw, **terms))]
    fn new(devices: &Any<'_>, cap_kw: &Any<'_>, terms: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let cap_kw: f64 = arg(cap_kw, "cap_kw")?;
        let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = if let Ok(d) = devices.cast::<PyDict>() {
            d.iter().collect()
        } else {
            if devices.is_instance_of::<pyo3::types::PyString>() {
                return Err(invalid_type("devices", "a dict or a list of (model, count)", devices));
            }
            let mut pairs = Vec::new();
            for item in devices
                .try_iter()
                .map_err(|_| invalid_type("devices", "a dict or a list of (model, count)", devices))?
            {
                if pairs.len() >= hcpcore::limits::MAX_BATCH {
                    return Err(invalid_input("devices", format!("more than {} groups", hcpcore::limits::MAX_BATCH)));
                }
                let item = item.map_err(|e| invalid_input("devices", e))?;
                let t = item.cast::<PyTuple>().map_err(|_| invalid_type("devices", "(model, count) pairs", &item))?;
                if t.len() != 2 {
                    return Err(invalid_input(
                        "devices",
                        format!("items must be (model, count), got {} values", t.len()),
                    ));
                }
                pairs.push((t.get_item(0)?, t.get_item(1)?));
            }
            pairs
        };
        let mut groups = Vec::with_capacity(pairs.len());
        for (model, count) in pairs {
            groups.push(DeviceGroup { model: model_arg(&model)?, count: arg::<u32>(&count, "count")? });
        }
        Ok(PySite { inner: Site::new(groups, cap_kw, self::terms(terms)?).py()? })
    }

    /// The plan maximising expected USD/h under the cap at `market`.
    fn plan<'py>(&self, py: Python<'py>, market: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.plan(&self::market(market)?).py()?)
    }

    /// The always-on baseline: GPUs first, then miners up to the cap, never curtailing on price.
    fn plan_always_on<'py>(&self, py: Python<'py>, market: &Any<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.plan_always_on(&self::market(market)?).py()?)
    }

    #[getter]
    fn cap_kw(&self) -> f64 {
        self.inner.cap_kw()
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    /// Pickle support: rebuilt through the constructor from its groups (as `(DeviceModel, count)`
    /// pairs, so models outside the catalog survive), cap and terms.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let site = &slf.get().inner;
        let groups = pyo3::types::PyList::empty(py);
        for g in site.groups() {
            let model = Bound::new(py, PyDeviceModel { inner: g.model.clone() })?;
            groups.append(PyTuple::new(py, [model.into_any(), g.count.into_pyobject(py)?.into_any()])?)?;
        }
        let t = site.terms();
        let kwargs = PyDict::new(py);
        kwargs.set_item("pool_fee", t.pool_fee)?;
        kwargs.set_item("pue", t.pue)?;
        kwargs.set_item("gpu_utilisation", t.gpu_utilisation)?;
        kwargs.set_item("tokens_per_second", t.tokens_per_second)?;
        kwargs.set_item("demand_response_usd_per_mwh", t.demand_response_usd_per_mwh)?;
        let args = PyTuple::new(py, [groups.into_any(), site.cap_kw().into_pyobject(py)?.into_any()])?;
        reduce_via_constructor(slf.as_any(), args, kwargs)
    }

    fn __repr__(&self) -> String {
        let groups: Vec<String> =
            self.inner.groups().iter().map(|g| format!("{:?}: {}", g.model.name, g.count)).collect();
        format!("Site({{{}}}, cap_kw={})", groups.join(", "), self.inner.cap_kw())
    }
}

type Columns<'py> =
    (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// A 1-D float64 array argument (the Python facade makes one from any array-like).
fn f64_array<'py>(v: &Any<'py>, field: &str) -> PyResult<PyReadonlyArray1<'py, f64>> {
    let a = v.cast::<PyArray1<f64>>().map_err(|_| invalid_type(field, "a 1-D float64 numpy array", v))?;
    a.try_readonly().map_err(|_| invalid_input(field, "is being written (passed as an output too?)"))
}

fn opt_f64_array<'py>(v: Option<&Any<'py>>, field: &str) -> PyResult<Option<PyReadonlyArray1<'py, f64>>> {
    v.filter(|v| !v.is_none()).map(|v| f64_array(v, field)).transpose()
}

/// The `out=` argument: `None`, or a tuple (or list) of exactly `n` arrays.
fn out_items<'py>(out: Option<&Any<'py>>, n: usize) -> PyResult<Option<Vec<Any<'py>>>> {
    let Some(out) = out.filter(|o| !o.is_none()) else { return Ok(None) };
    if !(out.is_instance_of::<PyTuple>() || out.is_instance_of::<pyo3::types::PyList>()) {
        return Err(invalid_type("out", &format!("a tuple of {n} arrays"), out));
    }
    if out.len()? != n {
        return Err(invalid_input("out", format!("must hold {n} arrays, got {}", out.len()?)));
    }
    Ok(Some(out.try_iter()?.collect::<PyResult<_>>()?))
}

fn out_array<'py, T: numpy::Element>(v: &Any<'py>, i: usize, what: &str) -> PyResult<Bound<'py, PyArray1<T>>> {
    v.cast::<PyArray1<T>>().cloned().map_err(|_| invalid_type(&format!("out[{i}]"), what, v))
}

fn out_columns<'py>(py: Python<'py>, n: usize, out: Option<&Any<'py>>) -> PyResult<Columns<'py>> {
    Ok(match out_items(out, 4)? {
        Some(o) => {
            let a = |i: usize| out_array::<f64>(&o[i], i, "a 1-D float64 numpy array");
            (a(0)?, a(1)?, a(2)?, a(3)?)
        }
        None => (
            PyArray1::<f64>::zeros(py, n, false),
            PyArray1::<f64>::zeros(py, n, false),
            PyArray1::<f64>::zeros(py, n, false),
            PyArray1::<f64>::zeros(py, n, false),
        ),
    })
}

fn slice<'a>(a: &'a PyReadonlyArray1<'_, f64>, field: &str) -> PyResult<&'a [f64]> {
    a.as_slice().map_err(|_| invalid_input(field, "must be a contiguous float64 array"))
}

fn slice_mut<'a>(a: &'a mut PyReadwriteArray1<'_, f64>, field: &str) -> PyResult<&'a mut [f64]> {
    a.as_slice_mut().map_err(|_| invalid_input(field, "must be a contiguous float64 array"))
}

/// Borrows the four output columns (refusing arrays that alias each other or an input) and runs
/// `f` on them with the GIL released.
fn fill_columns(
    py: Python<'_>,
    cols: &Columns<'_>,
    f: impl FnOnce(econ::DailyBatchOutput<'_>) -> hcpcore::Result<()> + Send,
) -> PyResult<()> {
    let (mut r, mut c, mut p, mut b) = (rw(&cols.0)?, rw(&cols.1)?, rw(&cols.2)?, rw(&cols.3)?);
    let out = econ::DailyBatchOutput {
        revenue_usd_per_day: slice_mut(&mut r, "out[0]")?,
        energy_cost_usd_per_day: slice_mut(&mut c, "out[1]")?,
        profit_usd_per_day: slice_mut(&mut p, "out[2]")?,
        breakeven_usd_per_kwh: slice_mut(&mut b, "out[3]")?,
    };
    py.detach(|| f(out)).py()?;
    // The core promises finite columns; a non-finite entry is reported, not handed on.
    finite_col("revenue_usd_per_day", r.as_slice().unwrap_or_default())?;
    finite_col("energy_cost_usd_per_day", c.as_slice().unwrap_or_default())?;
    finite_col("profit_usd_per_day", p.as_slice().unwrap_or_default())?;
    finite_col("breakeven_usd_per_kwh", b.as_slice().unwrap_or_default())
}

/// A writable borrow of an output array; an array already borrowed (passed twice, or also as an
/// input) is `InvalidInputError`, not a panic.
fn rw<'py, T: numpy::Element>(a: &Bound<'py, PyArray1<T>>) -> PyResult<PyReadwriteArray1<'py, T>> {
    a.try_readwrite().map_err(|_| invalid_input("out", "output arrays must not alias each other or the inputs"))
}

fn columns_record<'py>(py: Python<'py>, cols: Columns<'py>) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item("revenue_usd_per_day", cols.0)?;
    d.set_item("energy_cost_usd_per_day", cols.1)?;
    d.set_item("profit_usd_per_day", cols.2)?;
    d.set_item("breakeven_usd_per_kwh", cols.3)?;
    crate::convert::record(py, d)
}

/// Mining economics per day over arrays of miners (GIL released while computing). Returns a
/// `Record` of four float64 arrays; pass `out=(revenue, cost, profit, breakeven)` to reuse arrays.
#[pyfunction]
#[pyo3(signature = (market, hashrate_ths, power_watts, electricity_usd_per_kwh=None, *, out=None, **terms))]
fn miner_daily_batch<'py>(
    py: Python<'py>,
    market: &Any<'py>,
    hashrate_ths: &Any<'py>,
    power_watts: &Any<'py>,
    electricity_usd_per_kwh: Option<&Any<'py>>,
    out: Option<&Any<'py>>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = self::terms(terms)?;
    let m = self::market(market)?;
    let (hashrate_ths, power_watts) =
        (f64_array(hashrate_ths, "hashrate_ths")?, f64_array(power_watts, "power_watts")?);
    let electricity_usd_per_kwh = opt_f64_array(electricity_usd_per_kwh, "electricity_usd_per_kwh")?;
    let cols = out_columns(py, hashrate_ths.len()?, out)?;
    {
        let ths = slice(&hashrate_ths, "hashrate_ths")?;
        let watts = slice(&power_watts, "power_watts")?;
        let price = electricity_usd_per_kwh.as_ref().map(|e| slice(e, "electricity_usd_per_kwh")).transpose()?;
        fill_columns(py, &cols, |out| econ::miner_daily_batch(&m, t.mining(), ths, watts, price, out))?;
    }
    columns_record(py, cols)
}

/// GPU economics per day over arrays of serving GPUs (TDP, idle power, utilisation per device).
#[pyfunction]
#[pyo3(signature = (market, power_watts, idle_watts, utilisation, electricity_usd_per_kwh=None, *, out=None, **terms))]
#[allow(clippy::too_many_arguments)]
fn gpu_daily_batch<'py>(
    py: Python<'py>,
    market: &Any<'py>,
    power_watts: &Any<'py>,
    idle_watts: &Any<'py>,
    utilisation: &Any<'py>,
    electricity_usd_per_kwh: Option<&Any<'py>>,
    out: Option<&Any<'py>>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = self::terms(terms)?;
    let m = self::market(market)?;
    let (power_watts, idle_watts) = (f64_array(power_watts, "power_watts")?, f64_array(idle_watts, "idle_watts")?);
    let utilisation = f64_array(utilisation, "utilisation")?;
    let electricity_usd_per_kwh = opt_f64_array(electricity_usd_per_kwh, "electricity_usd_per_kwh")?;
    let cols = out_columns(py, power_watts.len()?, out)?;
    {
        let tdp = slice(&power_watts, "power_watts")?;
        let idle = slice(&idle_watts, "idle_watts")?;
        let u = slice(&utilisation, "utilisation")?;
        let price = electricity_usd_per_kwh.as_ref().map(|e| slice(e, "electricity_usd_per_kwh")).transpose()?;
        fill_columns(py, &cols, |out| econ::gpu_daily_batch(&m, &t, tdp, idle, u, price, out))?;
    }
    columns_record(py, cols)
}

/// The mine-or-sleep decision for a fleet of miners at one snapshot (GIL released). Returns a
/// `Record` with `mine` (uint8: 1 mine, 0 sleep), `profit_usd_per_hour` and
/// `breakeven_usd_per_kwh`; `out=(mine, profit, breakeven)` reuses arrays.
#[pyfunction]
#[pyo3(signature = (market, hashrate_ths, power_watts, sleep_watts, electricity_usd_per_kwh, *, out=None, **terms))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn miner_curtail_batch<'py>(
    py: Python<'py>,
    market: &Any<'py>,
    hashrate_ths: &Any<'py>,
    power_watts: &Any<'py>,
    sleep_watts: &Any<'py>,
    electricity_usd_per_kwh: &Any<'py>,
    out: Option<&Any<'py>>,
    terms: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = self::terms(terms)?;
    let m = self::market(market)?;
    let (hashrate_ths, power_watts) =
        (f64_array(hashrate_ths, "hashrate_ths")?, f64_array(power_watts, "power_watts")?);
    let sleep_watts = f64_array(sleep_watts, "sleep_watts")?;
    let electricity_usd_per_kwh = f64_array(electricity_usd_per_kwh, "electricity_usd_per_kwh")?;
    let n = hashrate_ths.len()?;
    let (mine, profit, breakeven) = match out_items(out, 3)? {
        Some(o) => (
            out_array::<u8>(&o[0], 0, "a 1-D uint8 numpy array")?,
            out_array::<f64>(&o[1], 1, "a 1-D float64 numpy array")?,
            out_array::<f64>(&o[2], 2, "a 1-D float64 numpy array")?,
        ),
        None => (
            PyArray1::<u8>::zeros(py, n, false),
            PyArray1::<f64>::zeros(py, n, false),
            PyArray1::<f64>::zeros(py, n, false),
        ),
    };
    {
        let ths = slice(&hashrate_ths, "hashrate_ths")?;
        let watts = slice(&power_watts, "power_watts")?;
        let sleep = slice(&sleep_watts, "sleep_watts")?;
        let price = slice(&electricity_usd_per_kwh, "electricity_usd_per_kwh")?;
        let (mut mine_rw, mut profit_rw, mut be_rw) = (rw(&mine)?, rw(&profit)?, rw(&breakeven)?);
        let out = econ::CurtailBatchOutput {
            mine: mine_rw.as_slice_mut().map_err(|_| invalid_input("out[0]", "must be a contiguous uint8 array"))?,
            profit_usd_per_hour: slice_mut(&mut profit_rw, "out[1]")?,
            breakeven_usd_per_kwh: slice_mut(&mut be_rw, "out[2]")?,
        };
        py.detach(|| econ::miner_curtail_batch(&m, &t, ths, watts, sleep, price, out)).py()?;
        finite_col("profit_usd_per_hour", profit_rw.as_slice().unwrap_or_default())?;
        finite_col("breakeven_usd_per_kwh", be_rw.as_slice().unwrap_or_default())?;
    }
    let d = PyDict::new(py);
    d.set_item("mine", mine)?;
    d.set_item("profit_usd_per_hour", profit)?;
    d.set_item("breakeven_usd_per_kwh", breakeven)?;
    crate::convert::record(py, d)
}

/// Benchmark hook: like `_bench_native_miner_daily_batch`, for `miner_curtail_batch`.
#[pyfunction]
#[pyo3(signature = (market, hashrate_ths, power_watts, sleep_watts, electricity_usd_per_kwh, repeats))]
fn _bench_native_miner_curtail_batch(
    py: Python<'_>,
    market: &PyMarket,
    hashrate_ths: PyReadonlyArray1<'_, f64>,
    power_watts: PyReadonlyArray1<'_, f64>,
    sleep_watts: PyReadonlyArray1<'_, f64>,
    electricity_usd_per_kwh: PyReadonlyArray1<'_, f64>,
    repeats: u32,
) -> PyResult<f64> {
    let (ths, watts) = (slice(&hashrate_ths, "hashrate_ths")?, slice(&power_watts, "power_watts")?);
    let (sleep, price) =
        (slice(&sleep_watts, "sleep_watts")?, slice(&electricity_usd_per_kwh, "electricity_usd_per_kwh")?);
    let n = ths.len();
    let m = market.inner;
    py.detach(|| {
        let (mut mine, mut profit, mut be) = (vec![0u8; n], vec![0.0; n], vec![0.0; n]);
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let start = std::time::Instant::now();
            let out = econ::CurtailBatchOutput {
                mine: &mut mine,
                profit_usd_per_hour: &mut profit,
                breakeven_usd_per_kwh: &mut be,
            };
            econ::miner_curtail_batch(&m, &Terms::default(), ths, watts, sleep, price, out)?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    })
    .py()
}

/// Benchmark hook: runs the core batch `repeats` times on these arrays inside Rust (no boundary
/// crossing per repeat) and returns the best wall-clock seconds of one pass. `make bench` uses it
/// to compare the binding with native Rust on the same data in the same run.
#[pyfunction]
#[pyo3(signature = (market, hashrate_ths, power_watts, repeats))]
fn _bench_native_miner_daily_batch(
    py: Python<'_>,
    market: &PyMarket,
    hashrate_ths: PyReadonlyArray1<'_, f64>,
    power_watts: PyReadonlyArray1<'_, f64>,
    repeats: u32,
) -> PyResult<f64> {
    let ths = slice(&hashrate_ths, "hashrate_ths")?;
    let watts = slice(&power_watts, "power_watts")?;
    let n = ths.len();
    let m = market.inner;
    py.detach(|| {
        let (mut r, mut c, mut p, mut b) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let mut best = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let start = std::time::Instant::now();
            let out = econ::DailyBatchOutput {
                revenue_usd_per_day: &mut r,
                energy_cost_usd_per_day: &mut c,
                profit_usd_per_day: &mut p,
                breakeven_usd_per_kwh: &mut b,
            };
            econ::miner_daily_batch(&m, econ::MiningTerms::default(), ths, watts, None, out)?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    })
    .py()
}

#[pyfunction]
fn payback_days(hardware_usd: &Any<'_>, profit_usd_per_day: &Any<'_>) -> PyResult<Option<f64>> {
    let (h, p) = (arg(hardware_usd, "hardware_usd")?, arg(profit_usd_per_day, "profit_usd_per_day")?);
    econ::payback_days(h, p).py()?.map(|d| finite("payback_days", d)).transpose()
}

#[pyfunction]
fn roi(hardware_usd: &Any<'_>, profit_usd_per_day: &Any<'_>, days: &Any<'_>) -> PyResult<f64> {
    let (h, p) = (arg(hardware_usd, "hardware_usd")?, arg(profit_usd_per_day, "profit_usd_per_day")?);
    finite("roi", econ::roi(h, p, arg(days, "days")?).py()?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMarket>()?;
    m.add_class::<PyDeviceModel>()?;
    m.add_class::<PyMinerDaily>()?;
    m.add_function(wrap_pyfunction!(get_model, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(block_subsidy_btc, m)?)?;
    m.add_function(wrap_pyfunction!(block_subsidy_sats, m)?)?;
    m.add_function(wrap_pyfunction!(network_hashrate_hs, m)?)?;
    m.add_function(wrap_pyfunction!(block_reward_btc, m)?)?;
    m.add_function(wrap_pyfunction!(expected_btc_per_day, m)?)?;
    m.add_function(wrap_pyfunction!(hashprice_usd_per_ph_day, m)?)?;
    m.add_function(wrap_pyfunction!(hashprice_usd_per_th_day, m)?)?;
    m.add_function(wrap_pyfunction!(hashprice_btc_per_ph_day, m)?)?;
    m.add_function(wrap_pyfunction!(hashprice_btc_per_th_day, m)?)?;
    m.add_function(wrap_pyfunction!(miner_daily, m)?)?;
    m.add_function(wrap_pyfunction!(joules_per_th, m)?)?;
    m.add_function(wrap_pyfunction!(hashcost_usd_per_th_day, m)?)?;
    m.add_function(wrap_pyfunction!(breakeven_btc_usd, m)?)?;
    m.add_function(wrap_pyfunction!(breakeven_usd_per_kwh, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_hourly, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_daily, m)?)?;
    m.add_function(wrap_pyfunction!(action_values, m)?)?;
    m.add_function(wrap_pyfunction!(best_action, m)?)?;
    m.add_class::<PyDecider>()?;
    m.add_class::<PySite>()?;
    m.add_function(wrap_pyfunction!(miner_daily_batch, m)?)?;
    m.add_function(wrap_pyfunction!(gpu_daily_batch, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_native_miner_daily_batch, m)?)?;
    m.add_function(wrap_pyfunction!(miner_curtail_batch, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_native_miner_curtail_batch, m)?)?;
    m.add_function(wrap_pyfunction!(payback_days, m)?)?;
    m.add_function(wrap_pyfunction!(roi, m)?)?;
    Ok(())
}
