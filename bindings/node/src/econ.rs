//! `econ`: market snapshots, the model catalog and the economics functions, in camelCase.
//! Conversion only; every formula lives in `hcp::econ`.

use hcp::econ::{self, DeviceKind, DeviceModel as CoreModel, Market as CoreMarket, MarketFields, MiningTerms};
use napi::Either;
use napi_derive::napi;

use crate::errors::{IntoJs, Result};

/// Fields of a market snapshot. Give at most one of `feesBtcPerBlock` and `feeShare`.
#[napi(object)]
pub struct MarketInit {
    pub btc_usd: f64,
    pub difficulty: f64,
    pub height: i64,
    pub fees_btc_per_block: Option<f64>,
    pub fee_share: Option<f64>,
    pub electricity_usd_per_kwh: Option<f64>,
    pub gpu_usd_per_hour: Option<f64>,
    pub usd_per_million_tokens: Option<f64>,
}

impl From<MarketFields> for MarketInit {
    fn from(f: MarketFields) -> Self {
        MarketInit {
            btc_usd: f.btc_usd,
            difficulty: f.difficulty,
            height: f.height,
            fees_btc_per_block: f.fees_btc_per_block,
            fee_share: f.fee_share,
            electricity_usd_per_kwh: Some(f.electricity_usd_per_kwh),
            gpu_usd_per_hour: Some(f.gpu_usd_per_hour),
            usd_per_million_tokens: Some(f.usd_per_million_tokens),
        }
    }
}

/// A validated market snapshot.
#[napi]
pub struct Market {
    pub(crate) inner: CoreMarket,
}

#[napi]
impl Market {
    /// Validates the fields; throws `InvalidInput` naming the first bad one.
    #[napi(constructor, catch_unwind)]
    pub fn new(init: MarketInit) -> Result<Self> {
        let fields = MarketFields {
            btc_usd: init.btc_usd,
            difficulty: init.difficulty,
            height: init.height,
            fees_btc_per_block: init.fees_btc_per_block,
            fee_share: init.fee_share,
            electricity_usd_per_kwh: init.electricity_usd_per_kwh.unwrap_or(0.0),
            gpu_usd_per_hour: init.gpu_usd_per_hour.unwrap_or(0.0),
            usd_per_million_tokens: init.usd_per_million_tokens.unwrap_or(0.0),
        };
        Ok(Market { inner: CoreMarket::try_from(fields).js()? })
    }

    #[napi(getter)]
    pub fn btc_usd(&self) -> f64 {
        self.inner.btc_usd()
    }
    #[napi(getter)]
    pub fn difficulty(&self) -> f64 {
        self.inner.difficulty()
    }
    #[napi(getter)]
    pub fn height(&self) -> i64 {
        self.inner.height() as i64
    }
    #[napi(getter)]
    pub fn electricity_usd_per_kwh(&self) -> f64 {
        self.inner.electricity_usd_per_kwh()
    }
    #[napi(getter)]
    pub fn gpu_usd_per_hour(&self) -> f64 {
        self.inner.gpu_usd_per_hour()
    }
    #[napi(getter)]
    pub fn usd_per_million_tokens(&self) -> f64 {
        self.inner.usd_per_million_tokens()
    }
    /// The plain fields (e.g. to spread into a changed copy: `new Market({...m.toJSON(), btcUsd: 5e4})`).
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> MarketInit {
        MarketInit::from(self.inner.fields())
    }
}

/// Nameplate figures of a device model.
#[napi(object)]
#[derive(Clone)]
pub struct DeviceModel {
    pub name: String,
    /// `"asic"` or `"gpu"`.
    pub kind: String,
    pub power_watts: f64,
    pub idle_watts: f64,
    pub sleep_watts: f64,
    pub hashrate_ths: f64,
    pub gpu_memory_gb: f64,
}

impl From<CoreModel> for DeviceModel {
    fn from(m: CoreModel) -> Self {
        DeviceModel {
            kind: m.kind.name().to_string(),
            name: m.name,
            power_watts: m.power_watts,
            idle_watts: m.idle_watts,
            sleep_watts: m.sleep_watts,
            hashrate_ths: m.hashrate_ths,
            gpu_memory_gb: m.gpu_memory_gb,
        }
    }
}

/// A model argument: a `DeviceModel` object or a catalog name such as `"S21"`.
pub(crate) fn model_arg(model: Either<String, DeviceModel>) -> Result<CoreModel> {
    match model {
        Either::A(name) => econ::models::get(&name).js(),
        Either::B(m) => CoreModel {
            kind: DeviceKind::parse(&m.kind).js()?,
            name: m.name,
            power_watts: m.power_watts,
            idle_watts: m.idle_watts,
            sleep_watts: m.sleep_watts,
            hashrate_ths: m.hashrate_ths,
            gpu_memory_gb: m.gpu_memory_gb,
        }
        .validated()
        .js(),
    }
}

/// Pool fee and PUE; both optional (0 and 1).
#[napi(object)]
pub struct MiningTermsInit {
    pub pool_fee: Option<f64>,
    pub pue: Option<f64>,
}

fn terms(t: Option<MiningTermsInit>) -> MiningTerms {
    let t = t.unwrap_or(MiningTermsInit { pool_fee: None, pue: None });
    MiningTerms { pool_fee: t.pool_fee.unwrap_or(0.0), pue: t.pue.unwrap_or(1.0) }
}

/// One miner's expected day.
#[napi(object)]
pub struct MinerDaily {
    pub btc: f64,
    pub revenue_usd: f64,
    pub energy_kwh: f64,
    pub energy_cost_usd: f64,
    pub profit_usd: f64,
}

/// The built-in model with this name (`"S21"`, `"s21 xp"`, `"H100_SXM"`, …).
#[napi(catch_unwind)]
pub fn get_model(name: String) -> Result<DeviceModel> {
    Ok(econ::models::get(&name).js()?.into())
}

/// The built-in catalog, merged with a JSON document of overrides when given.
#[napi(catch_unwind)]
pub fn catalog(overrides_json: Option<String>) -> Result<Vec<DeviceModel>> {
    let mut c = econ::Catalog::builtin();
    if let Some(json) = overrides_json {
        c.merge_json(&json).js()?;
    }
    Ok(c.models().iter().cloned().map(DeviceModel::from).collect())
}

fn height(h: i64) -> Result<u64> {
    econ::validate_height(h).js()
}

#[napi(catch_unwind)]
pub fn block_subsidy_btc(height_blocks: i64) -> Result<f64> {
    Ok(econ::block_subsidy_btc(height(height_blocks)?))
}

/// Subsidy in satoshis (an integer; at most 5e9, exact in a JS number).
#[napi(catch_unwind)]
pub fn block_subsidy_sats(height_blocks: i64) -> Result<i64> {
    Ok(econ::block_subsidy_sats(height(height_blocks)?) as i64)
}

#[napi(catch_unwind)]
pub fn network_hashrate_hs(difficulty: f64) -> Result<f64> {
    econ::network_hashrate_hs(difficulty).js()
}

#[napi(catch_unwind)]
pub fn block_reward_btc(market: &Market) -> f64 {
    econ::block_reward_btc(&market.inner)
}

#[napi(catch_unwind)]
pub fn expected_btc_per_day(hashrate_ths: f64, market: &Market) -> Result<f64> {
    econ::expected_btc_per_day(hashrate_ths, &market.inner).js()
}

#[napi(catch_unwind)]
pub fn hashprice_usd_per_ph_day(market: &Market) -> f64 {
    econ::hashprice_usd_per_ph_day(&market.inner)
}

#[napi(catch_unwind)]
pub fn hashprice_usd_per_th_day(market: &Market) -> f64 {
    econ::hashprice_usd_per_th_day(&market.inner)
}

#[napi(catch_unwind)]
pub fn hashprice_btc_per_ph_day(market: &Market) -> f64 {
    econ::hashprice_btc_per_ph_day(&market.inner)
}

#[napi(catch_unwind)]
pub fn hashprice_btc_per_th_day(market: &Market) -> f64 {
    econ::hashprice_btc_per_th_day(&market.inner)
}

#[napi(catch_unwind)]
pub fn miner_daily(
    model: Either<String, DeviceModel>,
    market: &Market,
    terms_init: Option<MiningTermsInit>,
) -> Result<MinerDaily> {
    let d = econ::miner_daily(&model_arg(model)?, &market.inner, terms(terms_init)).js()?;
    Ok(MinerDaily {
        btc: d.btc,
        revenue_usd: d.revenue_usd,
        energy_kwh: d.energy_kwh,
        energy_cost_usd: d.energy_cost_usd,
        profit_usd: d.profit_usd,
    })
}

#[napi(catch_unwind)]
pub fn joules_per_th(model: Either<String, DeviceModel>) -> Result<f64> {
    econ::joules_per_th(&model_arg(model)?).js()
}

#[napi(catch_unwind)]
pub fn hashcost_usd_per_th_day(
    model: Either<String, DeviceModel>,
    market: &Market,
    terms_init: Option<MiningTermsInit>,
) -> Result<f64> {
    econ::hashcost_usd_per_th_day(&model_arg(model)?, &market.inner, terms(terms_init)).js()
}

#[napi(catch_unwind)]
pub fn breakeven_btc_usd(
    model: Either<String, DeviceModel>,
    market: &Market,
    terms_init: Option<MiningTermsInit>,
) -> Result<f64> {
    econ::breakeven_btc_usd(&model_arg(model)?, &market.inner, terms(terms_init)).js()
}

#[napi(catch_unwind)]
pub fn breakeven_usd_per_kwh(
    model: Either<String, DeviceModel>,
    market: &Market,
    terms_init: Option<MiningTermsInit>,
) -> Result<f64> {
    econ::miner_breakeven_usd_per_kwh(&model_arg(model)?, &market.inner, terms(terms_init)).js()
}

/// Days to pay back the hardware, or `null` if the profit never does.
#[napi(catch_unwind)]
pub fn payback_days(hardware_usd: f64, profit_usd_per_day: f64) -> Result<Option<f64>> {
    econ::payback_days(hardware_usd, profit_usd_per_day).js()
}

#[napi(catch_unwind)]
pub fn roi(hardware_usd: f64, profit_usd_per_day: f64, days: f64) -> Result<f64> {
    econ::roi(hardware_usd, profit_usd_per_day, days).js()
}
