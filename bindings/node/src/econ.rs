//! `econ`: market snapshots, the model catalog and the economics functions, in camelCase.
//! Conversion only; every formula lives in `hcpcore::econ`.

use hcpcore::econ::{
    self, Action, ActionValue as CoreActionValue, DeviceKind, DeviceModel as CoreModel, Market as CoreMarket,
    MarketFields, SitePlan as CoreSitePlan, SwitchPolicy, Terms,
};
use napi::bindgen_prelude::Float64Array;
use napi::Either;
use napi_derive::napi;

use crate::args;
use crate::errors::{IntoJs, Result};

/// Fields of a market snapshot. Give at most one of `feesBtcPerBlock` and `feeShare`.
#[napi(object)]
pub struct MarketInit {
    pub btc_usd: f64,
    pub difficulty: f64,
    /// Block height, an integer (checked, never truncated).
    pub height: f64,
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
            height: f.height as f64,
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
            height: args::safe_int("height", init.height)?,
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

/// Site terms; every field optional (defaults: no pool fee, PUE 1, GPUs rented 100 % of hours,
/// rental rather than tokens, no demand-response credit).
#[napi(object)]
pub struct TermsInit {
    /// Pool fee, fraction of mining revenue in [0, 1).
    pub pool_fee: Option<f64>,
    /// Power usage effectiveness, >= 1.
    pub pue: Option<f64>,
    /// Fraction of hours a serving GPU is billed or busy, in [0, 1].
    pub gpu_utilisation: Option<f64>,
    /// When set, GPUs earn from tokens at this throughput (tokens/s) instead of rental.
    pub tokens_per_second: Option<f64>,
    /// Credit for curtailed load, USD per MWh.
    pub demand_response_usd_per_mwh: Option<f64>,
}

pub(crate) fn terms(t: Option<args::Obj<TermsInit>>) -> Terms {
    let d = Terms::default();
    match t.map(|t| t.0) {
        None => d,
        Some(t) => Terms {
            pool_fee: t.pool_fee.unwrap_or(d.pool_fee),
            pue: t.pue.unwrap_or(d.pue),
            gpu_utilisation: t.gpu_utilisation.unwrap_or(d.gpu_utilisation),
            tokens_per_second: t.tokens_per_second,
            demand_response_usd_per_mwh: t.demand_response_usd_per_mwh.unwrap_or(d.demand_response_usd_per_mwh),
        },
    }
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

/// An ASIC given by hashrate and efficiency, e.g. for a what-if on a future model.
#[napi(catch_unwind)]
pub fn asic_model(name: String, hashrate_ths: f64, joules_per_th: f64) -> Result<DeviceModel> {
    Ok(CoreModel::asic(&name, hashrate_ths, joules_per_th).js()?.into())
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

fn height(h: f64) -> Result<u64> {
    econ::validate_height(args::safe_int("heightBlocks", h)?).js()
}

#[napi(catch_unwind)]
pub fn block_subsidy_btc(height_blocks: f64) -> Result<f64> {
    Ok(econ::block_subsidy_btc(height(height_blocks)?))
}

/// Subsidy in satoshis (an integer; at most 5e9, exact in a JS number).
#[napi(catch_unwind)]
pub fn block_subsidy_sats(height_blocks: f64) -> Result<i64> {
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
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<MinerDaily> {
    let d = econ::miner_daily(&model_arg(model)?, &market.inner, terms(terms_init).mining()).js()?;
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
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<f64> {
    econ::hashcost_usd_per_th_day(&model_arg(model)?, &market.inner, terms(terms_init).mining()).js()
}

#[napi(catch_unwind)]
pub fn breakeven_btc_usd(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<f64> {
    econ::breakeven_btc_usd(&model_arg(model)?, &market.inner, terms(terms_init).mining()).js()
}

#[napi(catch_unwind)]
pub fn breakeven_usd_per_kwh(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<f64> {
    econ::breakeven_usd_per_kwh(&model_arg(model)?, &market.inner, &terms(terms_init)).js()
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

/// A serving GPU's economics over a period.
#[napi(object)]
pub struct GpuEconomics {
    pub hours: f64,
    pub revenue_usd: f64,
    pub energy_kwh: f64,
    pub energy_cost_usd: f64,
    pub profit_usd: f64,
}

impl From<econ::GpuEconomics> for GpuEconomics {
    fn from(g: econ::GpuEconomics) -> Self {
        GpuEconomics {
            hours: g.hours,
            revenue_usd: g.revenue_usd,
            energy_kwh: g.energy_kwh,
            energy_cost_usd: g.energy_cost_usd,
            profit_usd: g.profit_usd,
        }
    }
}

#[napi(catch_unwind)]
pub fn gpu_hourly(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<GpuEconomics> {
    Ok(econ::gpu_hourly(&model_arg(model)?, &market.inner, &terms(terms_init)).js()?.into())
}

#[napi(catch_unwind)]
pub fn gpu_daily(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<GpuEconomics> {
    Ok(econ::gpu_daily(&model_arg(model)?, &market.inner, &terms(terms_init)).js()?.into())
}

/// One device's expected economics per hour in one action.
#[napi(object)]
pub struct ActionValue {
    /// `"mine"`, `"serve"`, `"sleep"` or `"idle"`.
    pub action: String,
    pub facility_watts: f64,
    pub btc_per_hour: f64,
    pub revenue_usd_per_hour: f64,
    pub energy_cost_usd_per_hour: f64,
    pub credit_usd_per_hour: f64,
    pub profit_usd_per_hour: f64,
}

impl From<CoreActionValue> for ActionValue {
    fn from(v: CoreActionValue) -> Self {
        ActionValue {
            action: v.action.name().to_string(),
            facility_watts: v.facility_watts,
            btc_per_hour: v.btc_per_hour,
            revenue_usd_per_hour: v.revenue_usd_per_hour,
            energy_cost_usd_per_hour: v.energy_cost_usd_per_hour,
            credit_usd_per_hour: v.credit_usd_per_hour,
            profit_usd_per_hour: v.profit_usd_per_hour,
        }
    }
}

/// Value per hour of each action open to the device (productive, sleep, idle).
#[napi(catch_unwind)]
pub fn action_values(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<Vec<ActionValue>> {
    let values = econ::action_values(&model_arg(model)?, &market.inner, &terms(terms_init)).js()?;
    Ok(values.into_iter().map(ActionValue::from).collect())
}

/// The most profitable action at this snapshot, ignoring switching costs.
#[napi(catch_unwind)]
pub fn best_action(
    model: Either<String, DeviceModel>,
    market: &Market,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<ActionValue> {
    Ok(econ::best_action(&model_arg(model)?, &market.inner, &terms(terms_init)).js()?.into())
}

/// Switching cost and minimum dwell of a decider; every field optional (0 / none).
#[napi(object)]
pub struct SwitchPolicyInit {
    pub switch_seconds: Option<f64>,
    pub wear_usd_per_switch: Option<f64>,
    pub min_dwell_seconds: Option<f64>,
    pub override_gain_usd_per_hour: Option<f64>,
}

/// The outcome of one decider step.
#[napi(object)]
pub struct Decision {
    pub action: String,
    pub switched: bool,
    pub value: ActionValue,
    pub switch_cost_usd: f64,
}

/// A stateful per-device decider with switching cost and minimum dwell.
#[napi]
pub struct Decider {
    inner: econ::Decider,
}

#[napi]
impl Decider {
    /// `initial` defaults to the device's productive action (`"mine"` or `"serve"`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        model: Either<String, DeviceModel>,
        initial: Option<String>,
        #[napi(ts_arg_type = "SwitchPolicyInit | undefined | null")] policy: Option<args::Obj<SwitchPolicyInit>>,
        #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
    ) -> Result<Self> {
        let model = model_arg(model)?;
        let initial = match initial {
            Some(name) => Action::parse(&name).js()?,
            None => Action::productive(model.kind),
        };
        let d = SwitchPolicy::default();
        let policy = policy.map_or(d, |args::Obj(p)| SwitchPolicy {
            switch_seconds: p.switch_seconds.unwrap_or(d.switch_seconds),
            wear_usd_per_switch: p.wear_usd_per_switch.unwrap_or(d.wear_usd_per_switch),
            min_dwell_seconds: p.min_dwell_seconds.unwrap_or(d.min_dwell_seconds),
            override_gain_usd_per_hour: p.override_gain_usd_per_hour,
        });
        Ok(Decider { inner: econ::Decider::new(model, terms(terms_init), policy, initial).js()? })
    }

    /// Decides the action for the next `dtSeconds` at `market` and advances the clock.
    #[napi(catch_unwind)]
    pub fn step(&mut self, market: &Market, dt_seconds: f64) -> Result<Decision> {
        let d = self.inner.step(&market.inner, dt_seconds).js()?;
        Ok(Decision {
            action: d.action.name().to_string(),
            switched: d.switched,
            value: d.value.into(),
            switch_cost_usd: d.switch_cost_usd,
        })
    }

    /// Steps once per market (one boundary crossing for a series); returns the action names.
    #[napi(catch_unwind)]
    pub fn step_series(&mut self, markets: args::Vec<&Market>, dt_seconds: f64) -> Result<Vec<String>> {
        markets
            .iter()
            .map(|m| self.inner.step(&m.inner, dt_seconds).map(|d| d.action.name().to_string()).js())
            .collect()
    }

    #[napi(getter)]
    pub fn current(&self) -> String {
        self.inner.current().name().to_string()
    }
    #[napi(getter)]
    pub fn switches(&self) -> i64 {
        self.inner.switches() as i64
    }
    #[napi(getter)]
    pub fn seconds_in_action(&self) -> f64 {
        self.inner.seconds_in_action()
    }
}

/// A number of identical devices.
#[napi(object)]
pub struct DeviceGroupInit {
    /// A catalog name or a `DeviceModel`.
    pub model: Either<String, DeviceModel>,
    /// An integer in 0..=4294967295 (checked, never truncated).
    pub count: f64,
}

/// What one group does under a plan.
#[napi(object)]
pub struct GroupPlan {
    pub model: String,
    pub kind: String,
    pub count: u32,
    pub running: u32,
    pub curtailed: u32,
    pub running_value: ActionValue,
    pub curtailed_value: ActionValue,
    pub usd_per_kwh: f64,
}

/// A site plan at one market snapshot, with its expected economics per hour.
#[napi(object)]
pub struct SitePlan {
    pub groups: Vec<GroupPlan>,
    pub cap_kw: f64,
    pub facility_kw: f64,
    pub mining_kw: f64,
    pub gpu_kw: f64,
    pub curtailed_kw: f64,
    pub devices_running: i64,
    pub devices_curtailed: i64,
    pub btc_per_hour: f64,
    pub mining_revenue_usd_per_hour: f64,
    pub gpu_revenue_usd_per_hour: f64,
    pub energy_cost_usd_per_hour: f64,
    pub credit_usd_per_hour: f64,
    pub profit_usd_per_hour: f64,
}

impl From<CoreSitePlan> for SitePlan {
    fn from(p: CoreSitePlan) -> Self {
        SitePlan {
            groups: p
                .groups
                .into_iter()
                .map(|g| GroupPlan {
                    model: g.model,
                    kind: g.kind.name().to_string(),
                    count: g.count,
                    running: g.running,
                    curtailed: g.curtailed,
                    running_value: g.running_value.into(),
                    curtailed_value: g.curtailed_value.into(),
                    usd_per_kwh: g.usd_per_kwh,
                })
                .collect(),
            cap_kw: p.cap_kw,
            facility_kw: p.facility_kw,
            mining_kw: p.mining_kw,
            gpu_kw: p.gpu_kw,
            curtailed_kw: p.curtailed_kw,
            devices_running: p.devices_running as i64,
            devices_curtailed: p.devices_curtailed as i64,
            btc_per_hour: p.btc_per_hour,
            mining_revenue_usd_per_hour: p.mining_revenue_usd_per_hour,
            gpu_revenue_usd_per_hour: p.gpu_revenue_usd_per_hour,
            energy_cost_usd_per_hour: p.energy_cost_usd_per_hour,
            credit_usd_per_hour: p.credit_usd_per_hour,
            profit_usd_per_hour: p.profit_usd_per_hour,
        }
    }
}

/// A site: device groups, a power cap and terms.
#[napi]
pub struct Site {
    inner: econ::Site,
}

#[napi]
impl Site {
    #[napi(constructor, catch_unwind)]
    pub fn new(
        devices: args::Vec<DeviceGroupInit>,
        cap_kw: f64,
        #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
    ) -> Result<Self> {
        let groups = devices
            .0
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let count = args::u32_arg(&format!("devices[{i}].count"), g.count)?;
                Ok(econ::DeviceGroup { model: model_arg(g.model)?, count })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Site { inner: econ::Site::new(groups, cap_kw, terms(terms_init)).js()? })
    }

    /// The plan maximising expected USD/h under the cap.
    #[napi(catch_unwind)]
    pub fn plan(&self, market: &Market) -> Result<SitePlan> {
        Ok(self.inner.plan(&market.inner).js()?.into())
    }

    /// The always-on baseline: GPUs first, then miners up to the cap, never curtailing on price.
    #[napi(catch_unwind)]
    pub fn plan_always_on(&self, market: &Market) -> Result<SitePlan> {
        Ok(self.inner.plan_always_on(&market.inner).js()?.into())
    }

    #[napi(getter)]
    pub fn cap_kw(&self) -> f64 {
        self.inner.cap_kw()
    }
}

/// Per-device economics per day, one entry per device.
#[napi(object)]
pub struct DailyColumns {
    pub revenue_usd_per_day: Float64Array,
    pub energy_cost_usd_per_day: Float64Array,
    pub profit_usd_per_day: Float64Array,
    pub breakeven_usd_per_kwh: Float64Array,
}

/// True when no two of these byte ranges overlap (an output must not alias another output or an
/// input, or the `&mut` slices handed to the core would alias).
fn disjoint(ranges: &[(usize, usize)]) -> bool {
    let mut r: Vec<(usize, usize)> = ranges.iter().copied().filter(|&(_, len)| len > 0).collect();
    r.sort_unstable();
    r.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0)
}

fn span<T>(s: &[T]) -> (usize, usize) {
    (s.as_ptr() as usize, std::mem::size_of_val(s))
}

fn run_columns(
    n: usize,
    inputs: &[&[f64]],
    out: Option<DailyColumns>,
    f: impl FnOnce(econ::DailyBatchOutput<'_>) -> hcpcore::Result<()>,
) -> Result<DailyColumns> {
    let Some(mut out) = out else {
        let (mut r, mut c, mut p, mut b) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        f(econ::DailyBatchOutput {
            revenue_usd_per_day: &mut r,
            energy_cost_usd_per_day: &mut c,
            profit_usd_per_day: &mut p,
            breakeven_usd_per_kwh: &mut b,
        })
        .js()?;
        return Ok(DailyColumns {
            revenue_usd_per_day: Float64Array::new(r),
            energy_cost_usd_per_day: Float64Array::new(c),
            profit_usd_per_day: Float64Array::new(p),
            breakeven_usd_per_kwh: Float64Array::new(b),
        });
    };
    let mut ranges: Vec<(usize, usize)> = inputs.iter().map(|s| span(s)).collect();
    for col in
        [&out.revenue_usd_per_day, &out.energy_cost_usd_per_day, &out.profit_usd_per_day, &out.breakeven_usd_per_kwh]
    {
        ranges.push(span(col));
    }
    if !disjoint(&ranges) {
        return Err(crate::errors::invalid_input("out", "output arrays must not overlap each other or the inputs"));
    }
    let DailyColumns { revenue_usd_per_day, energy_cost_usd_per_day, profit_usd_per_day, breakeven_usd_per_kwh } =
        &mut out;
    // SAFETY: this call is synchronous, so JavaScript cannot touch these buffers while the slices
    // live; the ranges were just checked not to overlap one another or any input, so the four
    // `&mut` slices alias nothing else that is borrowed.
    let cols = unsafe {
        econ::DailyBatchOutput {
            revenue_usd_per_day: revenue_usd_per_day.as_mut(),
            energy_cost_usd_per_day: energy_cost_usd_per_day.as_mut(),
            profit_usd_per_day: profit_usd_per_day.as_mut(),
            breakeven_usd_per_kwh: breakeven_usd_per_kwh.as_mut(),
        }
    };
    f(cols).js()?;
    Ok(out)
}

/// Mining economics per day over columns of miners (hashrate TH/s and power W per device, and
/// optionally an electricity price per device). One call for the whole fleet. Pass `out` (four
/// `Float64Array`s of the same length, not overlapping the inputs) to reuse arrays across calls.
#[napi(catch_unwind)]
pub fn miner_daily_batch(
    market: &Market,
    hashrate_ths: Float64Array,
    power_watts: Float64Array,
    electricity_usd_per_kwh: Option<Float64Array>,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
    out: Option<DailyColumns>,
) -> Result<DailyColumns> {
    let t = terms(terms_init);
    let mut inputs: Vec<&[f64]> = vec![&hashrate_ths, &power_watts];
    inputs.extend(electricity_usd_per_kwh.as_deref());
    run_columns(hashrate_ths.len(), &inputs, out, |out| {
        econ::miner_daily_batch(
            &market.inner,
            t.mining(),
            &hashrate_ths,
            &power_watts,
            electricity_usd_per_kwh.as_deref(),
            out,
        )
    })
}

/// GPU economics per day over columns of serving GPUs (TDP, idle power, utilisation per device).
#[napi(catch_unwind)]
pub fn gpu_daily_batch(
    market: &Market,
    power_watts: Float64Array,
    idle_watts: Float64Array,
    utilisation: Float64Array,
    electricity_usd_per_kwh: Option<Float64Array>,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
    out: Option<DailyColumns>,
) -> Result<DailyColumns> {
    let t = terms(terms_init);
    let mut inputs: Vec<&[f64]> = vec![&power_watts, &idle_watts, &utilisation];
    inputs.extend(electricity_usd_per_kwh.as_deref());
    run_columns(power_watts.len(), &inputs, out, |out| {
        econ::gpu_daily_batch(
            &market.inner,
            &t,
            &power_watts,
            &idle_watts,
            &utilisation,
            electricity_usd_per_kwh.as_deref(),
            out,
        )
    })
}

/// The mine-or-sleep decision per miner at one snapshot.
#[napi(object)]
pub struct CurtailColumns {
    /// 1 where the device should mine, 0 where it should sleep.
    pub mine: napi::bindgen_prelude::Uint8Array,
    pub profit_usd_per_hour: Float64Array,
    pub breakeven_usd_per_kwh: Float64Array,
}

/// Mine or sleep, per miner, each at its own electricity price (one call for the whole fleet).
#[napi(catch_unwind)]
pub fn miner_curtail_batch(
    market: &Market,
    hashrate_ths: Float64Array,
    power_watts: Float64Array,
    sleep_watts: Float64Array,
    electricity_usd_per_kwh: Float64Array,
    #[napi(ts_arg_type = "TermsInit | undefined | null")] terms_init: Option<args::Obj<TermsInit>>,
) -> Result<CurtailColumns> {
    let n = hashrate_ths.len();
    let (mut mine, mut profit, mut be) = (vec![0u8; n], vec![0.0; n], vec![0.0; n]);
    let out =
        econ::CurtailBatchOutput { mine: &mut mine, profit_usd_per_hour: &mut profit, breakeven_usd_per_kwh: &mut be };
    econ::miner_curtail_batch(
        &market.inner,
        &terms(terms_init),
        &hashrate_ths,
        &power_watts,
        &sleep_watts,
        &electricity_usd_per_kwh,
        out,
    )
    .js()?;
    Ok(CurtailColumns {
        mine: napi::bindgen_prelude::Uint8Array::new(mine),
        profit_usd_per_hour: Float64Array::new(profit),
        breakeven_usd_per_kwh: Float64Array::new(be),
    })
}
