//! `hcp.econ` and `hcp.models`: market snapshots, the model catalog and the economics functions.
//! Conversion only; every formula lives in `hcp::econ`.

use hcp::econ::{self, DeviceModel, Market, MarketFields, MiningTerms};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{invalid_input, IntoPy};

/// A validated market snapshot (`hcp.Market`).
#[pyclass(name = "Market", module = "hcp", frozen)]
#[derive(Clone)]
pub struct PyMarket {
    pub inner: Market,
}

#[pymethods]
impl PyMarket {
    #[new]
    #[pyo3(signature = (*, btc_usd, difficulty, height, fees_btc_per_block=None, fee_share=None,
                        electricity_usd_per_kwh=0.0, gpu_usd_per_hour=0.0, usd_per_million_tokens=0.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        btc_usd: f64,
        difficulty: f64,
        height: i64,
        fees_btc_per_block: Option<f64>,
        fee_share: Option<f64>,
        electricity_usd_per_kwh: f64,
        gpu_usd_per_hour: f64,
        usd_per_million_tokens: f64,
    ) -> PyResult<Self> {
        let fields = MarketFields {
            btc_usd,
            difficulty,
            height,
            fees_btc_per_block,
            fee_share,
            electricity_usd_per_kwh,
            gpu_usd_per_hour,
            usd_per_million_tokens,
        };
        Ok(PyMarket { inner: Market::try_from(fields).py()? })
    }

    /// A market from a JSON object with the same field names.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        let inner: Market =
            serde_json::from_str(json).map_err(|e| invalid_input("market", format!("malformed JSON: {e}")))?;
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
        let mut value = serde_json::to_value(self.inner.fields()).map_err(|e| invalid_input("market", e))?;
        if let Some(changes) = changes {
            for (k, v) in changes.iter() {
                let key: String = k.extract()?;
                let json = if v.is_none() {
                    serde_json::Value::Null
                } else if let Ok(i) = v.extract::<i64>() {
                    serde_json::Value::from(i)
                } else {
                    serde_json::Value::from(v.extract::<f64>().map_err(|_| invalid_input(&key, "must be a number"))?)
                };
                if key == "fee_share" && !json.is_null() {
                    value["fees_btc_per_block"] = serde_json::Value::Null;
                }
                if key == "fees_btc_per_block" && !json.is_null() {
                    value["fee_share"] = serde_json::Value::Null;
                }
                value[key.as_str()] = json;
            }
        }
        let fields: MarketFields = serde_json::from_value(value).map_err(|e| invalid_input("market", e.to_string()))?;
        Ok(PyMarket { inner: Market::try_from(fields).py()? })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
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

/// A device model from the catalog (`hcp.models.S21`, …).
#[pyclass(name = "DeviceModel", module = "hcp", frozen)]
#[derive(Clone)]
pub struct PyDeviceModel {
    pub inner: DeviceModel,
}

#[pymethods]
impl PyDeviceModel {
    /// A model from explicit figures (validated).
    #[new]
    #[pyo3(signature = (*, name, kind, power_watts, idle_watts=0.0, sleep_watts=0.0, hashrate_ths=0.0, gpu_memory_gb=0.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        kind: &str,
        power_watts: f64,
        idle_watts: f64,
        sleep_watts: f64,
        hashrate_ths: f64,
        gpu_memory_gb: f64,
    ) -> PyResult<Self> {
        let kind = econ::DeviceKind::parse(kind).py()?;
        let inner = DeviceModel { name, kind, power_watts, idle_watts, sleep_watts, hashrate_ths, gpu_memory_gb };
        Ok(PyDeviceModel { inner: inner.validated().py()? })
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
    fn joules_per_th(&self) -> f64 {
        self.inner.joules_per_th()
    }
    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
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
    if let Ok(name) = model.extract::<String>() {
        return econ::models::get(&name).py();
    }
    Err(invalid_input("model", "must be a hcp.DeviceModel or a model name"))
}

/// One miner's expected day.
#[pyclass(name = "MinerDaily", module = "hcp", frozen, get_all)]
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
fn get_model(name: &str) -> PyResult<PyDeviceModel> {
    Ok(PyDeviceModel { inner: econ::models::get(name).py()? })
}

/// Every model in the built-in catalog, or in the catalog JSON file at `path` merged over it.
#[pyfunction]
#[pyo3(signature = (path=None))]
fn catalog(path: Option<std::path::PathBuf>) -> PyResult<Vec<PyDeviceModel>> {
    let mut c = econ::Catalog::builtin();
    if let Some(path) = path {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| invalid_input("path", format!("cannot read {}: {e}", path.display())))?;
        c.merge_json(&text).py()?;
    }
    Ok(c.models().iter().cloned().map(|inner| PyDeviceModel { inner }).collect())
}

#[pyfunction]
fn block_subsidy_btc(height: i64) -> PyResult<f64> {
    Ok(econ::block_subsidy_btc(econ::validate_height(height).py()?))
}

#[pyfunction]
fn block_subsidy_sats(height: i64) -> PyResult<u64> {
    Ok(econ::block_subsidy_sats(econ::validate_height(height).py()?))
}

#[pyfunction]
fn network_hashrate_hs(difficulty: f64) -> PyResult<f64> {
    econ::network_hashrate_hs(difficulty).py()
}

#[pyfunction]
fn block_reward_btc(market: &PyMarket) -> f64 {
    econ::block_reward_btc(&market.inner)
}

#[pyfunction]
fn expected_btc_per_day(hashrate_ths: f64, market: &PyMarket) -> PyResult<f64> {
    econ::expected_btc_per_day(hashrate_ths, &market.inner).py()
}

#[pyfunction]
fn hashprice_usd_per_ph_day(market: &PyMarket) -> f64 {
    econ::hashprice_usd_per_ph_day(&market.inner)
}

#[pyfunction]
fn hashprice_usd_per_th_day(market: &PyMarket) -> f64 {
    econ::hashprice_usd_per_th_day(&market.inner)
}

#[pyfunction]
fn hashprice_btc_per_ph_day(market: &PyMarket) -> f64 {
    econ::hashprice_btc_per_ph_day(&market.inner)
}

#[pyfunction]
fn hashprice_btc_per_th_day(market: &PyMarket) -> f64 {
    econ::hashprice_btc_per_th_day(&market.inner)
}

#[pyfunction]
#[pyo3(signature = (model, market, pool_fee=0.0, pue=1.0))]
fn miner_daily(model: &Bound<'_, PyAny>, market: &PyMarket, pool_fee: f64, pue: f64) -> PyResult<PyMinerDaily> {
    let d = econ::miner_daily(&model_arg(model)?, &market.inner, MiningTerms { pool_fee, pue }).py()?;
    Ok(PyMinerDaily {
        btc: d.btc,
        revenue_usd: d.revenue_usd,
        energy_kwh: d.energy_kwh,
        energy_cost_usd: d.energy_cost_usd,
        profit_usd: d.profit_usd,
    })
}

#[pyfunction]
fn joules_per_th(model: &Bound<'_, PyAny>) -> PyResult<f64> {
    econ::joules_per_th(&model_arg(model)?).py()
}

#[pyfunction]
#[pyo3(signature = (model, market, pool_fee=0.0, pue=1.0))]
fn hashcost_usd_per_th_day(model: &Bound<'_, PyAny>, market: &PyMarket, pool_fee: f64, pue: f64) -> PyResult<f64> {
    econ::hashcost_usd_per_th_day(&model_arg(model)?, &market.inner, MiningTerms { pool_fee, pue }).py()
}

#[pyfunction]
#[pyo3(signature = (model, market, pool_fee=0.0, pue=1.0))]
fn breakeven_btc_usd(model: &Bound<'_, PyAny>, market: &PyMarket, pool_fee: f64, pue: f64) -> PyResult<f64> {
    econ::breakeven_btc_usd(&model_arg(model)?, &market.inner, MiningTerms { pool_fee, pue }).py()
}

#[pyfunction]
#[pyo3(signature = (model, market, pool_fee=0.0, pue=1.0))]
fn breakeven_usd_per_kwh(model: &Bound<'_, PyAny>, market: &PyMarket, pool_fee: f64, pue: f64) -> PyResult<f64> {
    econ::miner_breakeven_usd_per_kwh(&model_arg(model)?, &market.inner, MiningTerms { pool_fee, pue }).py()
}

#[pyfunction]
fn payback_days(hardware_usd: f64, profit_usd_per_day: f64) -> PyResult<Option<f64>> {
    econ::payback_days(hardware_usd, profit_usd_per_day).py()
}

#[pyfunction]
fn roi(hardware_usd: f64, profit_usd_per_day: f64, days: f64) -> PyResult<f64> {
    econ::roi(hardware_usd, profit_usd_per_day, days).py()
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
    m.add_function(wrap_pyfunction!(payback_days, m)?)?;
    m.add_function(wrap_pyfunction!(roi, m)?)?;
    Ok(())
}
