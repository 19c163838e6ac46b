//! The site's configuration (JSON): power, tariff, demand-response programs, devices, customers
//! and their demand. Parsing is serde; [`SiteConfig::validated`] then checks every value and
//! names the offending field (`miners[0].model`, `endpoints[1].ttft_slo_seconds`, …).

use serde::{Deserialize, Serialize};

use crate::econ::SwitchPolicy;
use crate::error::check;
use crate::{Error, Result};

fn d_tick() -> f64 {
    900.0
}
fn d_pool_fee() -> f64 {
    0.02
}
fn d_months() -> Vec<u32> {
    vec![6, 7, 8, 9]
}
fn d_window_start() -> u32 {
    15
}
fn d_window_end() -> u32 {
    19
}
fn d_margin() -> f64 {
    1.0
}
fn d_floor() -> f64 {
    33.0
}
fn d_event_price() -> f64 {
    1000.0
}
fn d_firmware() -> String {
    "luxos".into()
}
fn d_one() -> f64 {
    1.0
}
fn d_slo_target() -> f64 {
    0.99
}
fn d_amplitude() -> f64 {
    0.5
}
fn d_peak_hour() -> f64 {
    14.0
}
fn d_weekend() -> f64 {
    0.75
}
fn d_bytes() -> f64 {
    2.0
}
fn d_util() -> f64 {
    0.6
}
fn d_headroom() -> f64 {
    0.1
}
fn d_training_watts() -> f64 {
    0.9
}

/// The whole site (see `examples/site.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Free text shown in reports.
    pub name: String,
    /// Power cap at the meter (facility power), kW.
    pub cap_kw: f64,
    /// Facility power / device power.
    pub pue: f64,
    /// Tick length, s: 1 … 900.
    #[serde(default = "d_tick")]
    pub tick_seconds: f64,
    /// Market history folder, relative to the config file (default `../data/market`).
    #[serde(default)]
    pub market_dir: Option<String>,
    /// Demand traces folder, relative to the config file (default `../data/demand`).
    #[serde(default)]
    pub demand_dir: Option<String>,
    /// Energy tariff.
    pub tariff: TariffConfig,
    /// Demand-response programs the site may join.
    #[serde(default)]
    pub demand_response: DemandResponseConfig,
    /// Mining pool fee, fraction of revenue.
    #[serde(default = "d_pool_fee")]
    pub pool_fee: f64,
    /// Miner groups.
    pub miners: Vec<MinerConfig>,
    /// GPU groups (one model per site in this version).
    pub gpus: Vec<GpuConfig>,
    /// Hysteresis of switching decisions (price-responsive and hybrid strategies) and wear cost.
    #[serde(default)]
    pub switching: SwitchPolicy,
    /// Customers and their prices.
    #[serde(default)]
    pub customers: Vec<CustomerConfig>,
    /// Realtime inference endpoints.
    #[serde(default)]
    pub endpoints: Vec<EndpointConfig>,
    /// Recurring batch-inference and training jobs.
    #[serde(default)]
    pub jobs: Vec<JobConfig>,
    /// Reserved GPUs.
    #[serde(default)]
    pub reservations: Vec<ReservationConfig>,
    /// Knobs of the hybrid strategy.
    #[serde(default)]
    pub hybrid: HybridConfig,
    /// GPU faults.
    #[serde(default)]
    pub faults: FaultConfig,
    /// Seed of every random draw (demand noise, faults).
    #[serde(default)]
    pub seed: u64,
}

/// Energy prices.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffConfig {
    /// Added to the real-time price: transmission/distribution energy charges, retail margin, USD/kWh.
    pub adders_usd_per_kwh: f64,
    /// ERCOT 4CP transmission charge (none when absent).
    #[serde(default)]
    pub four_cp: Option<FourCpConfig>,
}

/// ERCOT four-coincident-peak transmission charge: each month listed, the site pays for its
/// load in the system's peak 15-minute interval (see `docs/site.md` for how the peak is known).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FourCpConfig {
    /// Annual transmission rate, USD per kW of the mean 4CP load; each month's peak carries a
    /// quarter of it.
    pub usd_per_kw_year: f64,
    /// Months with a coincident peak (1–12).
    #[serde(default = "d_months")]
    pub months: Vec<u32>,
    /// Local hour the peak window opens (inclusive).
    #[serde(default = "d_window_start")]
    pub window_start_hour: u32,
    /// Local hour the peak window closes (exclusive).
    #[serde(default = "d_window_end")]
    pub window_end_hour: u32,
    /// A window interval is a probable peak when its temperature is within this many °C of the
    /// month's hottest window interval so far.
    #[serde(default = "d_margin")]
    pub alert_margin_c: f64,
    /// … and at least this hot, °C.
    #[serde(default = "d_floor")]
    pub alert_floor_c: f64,
}

/// Demand-response programs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandResponseConfig {
    /// Credit for load held below the site's baseline during an event, USD/MWh (0: not enrolled).
    #[serde(default)]
    pub curtailment_credit_usd_per_mwh: f64,
    /// Real-time price at or above which an event is called, USD/MWh.
    #[serde(default = "d_event_price")]
    pub event_price_usd_per_mwh: f64,
    /// Responsive-reserve style capacity payment (none when absent).
    #[serde(default)]
    pub reserve: Option<ReserveConfig>,
}

impl Default for DemandResponseConfig {
    fn default() -> Self {
        DemandResponseConfig {
            curtailment_credit_usd_per_mwh: 0.0,
            event_price_usd_per_mwh: d_event_price(),
            reserve: None,
        }
    }
}

/// Capacity payment for load that can drop within `response_seconds` when deployed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReserveConfig {
    /// Payment per MW offered per hour, USD.
    pub usd_per_mw_hour: f64,
    /// Time the load must drop within, s; only miners whose firmware sleeps that fast qualify.
    pub response_seconds: f64,
    /// Real-time price at or above which offered reserve is deployed, USD/MWh.
    pub deploy_price_usd_per_mwh: f64,
}

/// A group of identical miners.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinerConfig {
    /// Catalog model (`S21`, `S21_PRO`, `S21_XP`, `S21_HYDRO`, `S19_XP`).
    pub model: String,
    /// Number of miners.
    pub count: u32,
    /// Firmware: `"luxos"` (sleep in 5 s, wake in 10 s) or `"stock"` (a minute or more).
    #[serde(default = "d_firmware")]
    pub firmware: String,
    /// Lowest power target, fraction of nominal power (default: the model's low mode).
    #[serde(default)]
    pub min_power_ratio: Option<f64>,
    /// Highest power target, fraction of nominal power (default 1: no overclock).
    #[serde(default = "d_one")]
    pub max_power_ratio: f64,
    /// Firmware ramp rate of power-target changes, W/s per miner (default: nominal power over
    /// the wake ramp time).
    #[serde(default)]
    pub ramp_watts_per_second: Option<f64>,
}

/// A group of identical GPUs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuConfig {
    /// `H100_SXM` or `H100_PCIE`.
    pub model: String,
    /// Number of GPUs.
    pub count: u32,
}

/// A customer and the prices of its plan (decimal strings, exact).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerConfig {
    /// Customer id (billing).
    pub id: String,
    /// USD per million tokens (prompt + output) on its endpoints.
    #[serde(default)]
    pub tokens_usd_per_million: Option<String>,
    /// USD per GPU-hour of batch and training work.
    #[serde(default)]
    pub gpu_hour_usd: Option<String>,
    /// USD per reserved GPU-hour.
    #[serde(default)]
    pub reserved_gpu_hour_usd: Option<String>,
    /// The plan charges the mining revenue its work displaced (the opportunity-cost line).
    #[serde(default)]
    pub pays_opportunity_cost: bool,
    /// Tax rate, percent.
    #[serde(default)]
    pub tax_rate: Option<String>,
    /// Coupons (the `hcpcore::billing` subscription format).
    #[serde(default)]
    pub coupons: Vec<serde_json::Value>,
    /// Monthly budget, USD: alerts at 50, 80 and 100 %.
    #[serde(default)]
    pub monthly_budget_usd: Option<f64>,
}

/// A managed model endpoint serving realtime inference.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// Endpoint name.
    pub name: String,
    /// Customer billed for its tokens.
    pub customer: String,
    /// Model parameters.
    pub model_params: f64,
    /// Bytes per parameter (2 = bf16).
    #[serde(default = "d_bytes")]
    pub bytes_per_param: f64,
    /// Request trace giving token sizes and burstiness: `"conv"` or `"code"` (Azure 2023).
    pub trace: String,
    /// Mean request rate over the day, requests/s.
    pub mean_requests_per_second: f64,
    /// Diurnal swing: rate × (1 + a·cos(2π(h − peak)/24)).
    #[serde(default = "d_amplitude")]
    pub diurnal_amplitude: f64,
    /// Hour of the daily peak.
    #[serde(default = "d_peak_hour")]
    pub peak_hour: f64,
    /// Rate factor on Saturdays and Sundays.
    #[serde(default = "d_weekend")]
    pub weekend_factor: f64,
    /// Time-to-first-token objective, s.
    pub ttft_slo_seconds: f64,
    /// Fraction of requests that must meet it.
    #[serde(default = "d_slo_target")]
    pub slo_target: f64,
}

/// Recurring GPU jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    /// Job name.
    pub name: String,
    /// `"batch"` (batch inference) or `"training"`.
    pub kind: String,
    /// Customer billed per GPU-hour.
    pub customer: String,
    /// A new instance is submitted every this many hours from the run start.
    pub every_hours: f64,
    /// First submission, hours after the run start.
    #[serde(default)]
    pub first_at_hours: f64,
    /// GPU-hours of work per instance.
    pub gpu_hours: f64,
    /// Deadline, hours after submission.
    pub deadline_hours: f64,
    /// Most GPUs one instance can use.
    pub max_gpus: u32,
    /// Model parameters (sets the switch time and the power of batch inference).
    #[serde(default)]
    pub model_params: Option<f64>,
}

/// GPUs reserved by a customer, billed per GPU-hour whether used or not.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationConfig {
    /// Customer.
    pub customer: String,
    /// GPUs reserved.
    pub gpus: u32,
    /// Fraction of time the customer keeps them busy (sets their power).
    #[serde(default = "d_util")]
    pub utilisation: f64,
}

/// Knobs of the hybrid strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HybridConfig {
    /// Extra GPUs kept serving above the SLO sizing, fraction.
    #[serde(default = "d_headroom")]
    pub gpu_headroom: f64,
    /// Curtail for probable 4CP intervals.
    #[serde(default = "d_true")]
    pub avoid_four_cp: bool,
    /// Offer responsive reserve when a program exists.
    #[serde(default = "d_true")]
    pub offer_reserve: bool,
    /// Training draws this fraction of the GPU's power limit.
    #[serde(default = "d_training_watts")]
    pub training_power_ratio: f64,
}

fn d_true() -> bool {
    true
}

impl Default for HybridConfig {
    fn default() -> Self {
        HybridConfig {
            gpu_headroom: d_headroom(),
            avoid_four_cp: true,
            offer_reserve: true,
            training_power_ratio: d_training_watts(),
        }
    }
}

/// GPU faults: a seeded Poisson process per GPU; a faulted GPU is out for `repair_hours`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Faults per GPU-hour (0: none).
    #[serde(default)]
    pub gpu_faults_per_hour: f64,
    /// Hours a faulted GPU is out.
    #[serde(default)]
    pub repair_hours: f64,
}

fn bad(field: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid_input(field, why)
}

impl SiteConfig {
    /// Parses JSON text; malformed JSON or an unknown field is `InvalidInput` naming `config`.
    pub fn from_json_str(text: &str) -> Result<SiteConfig> {
        let cfg: SiteConfig = serde_json::from_str(text).map_err(|e| bad("config", e))?;
        cfg.validated()
    }

    /// Parses a JSON value.
    pub fn from_json(value: serde_json::Value) -> Result<SiteConfig> {
        let cfg: SiteConfig = serde_json::from_value(value).map_err(|e| bad("config", e))?;
        cfg.validated()
    }

    /// Checks every field; the error names the first bad one.
    pub fn validated(self) -> Result<SiteConfig> {
        check::positive_at_most("cap_kw", self.cap_kw, 1e7)?;
        check::in_range("pue", self.pue, 1.0, 10.0)?;
        check::in_range("tick_seconds", self.tick_seconds, 1.0, 900.0)?;
        if (900.0 / self.tick_seconds).fract().abs() > 1e-9 {
            return Err(bad(
                "tick_seconds",
                format!("must divide 900 s (the market interval), got {}", self.tick_seconds),
            ));
        }
        check::in_range("tariff.adders_usd_per_kwh", self.tariff.adders_usd_per_kwh, 0.0, 10.0)?;
        if let Some(cp) = &self.tariff.four_cp {
            check::non_negative("tariff.four_cp.usd_per_kw_year", cp.usd_per_kw_year)?;
            if cp.months.iter().any(|m| !(1..=12).contains(m)) {
                return Err(bad("tariff.four_cp.months", "months are 1..=12"));
            }
            if cp.window_start_hour >= cp.window_end_hour || cp.window_end_hour > 24 {
                return Err(bad("tariff.four_cp.window_end_hour", "window must be start < end <= 24"));
            }
            check::non_negative("tariff.four_cp.alert_margin_c", cp.alert_margin_c)?;
            check::finite("tariff.four_cp.alert_floor_c", cp.alert_floor_c)?;
        }
        let dr = &self.demand_response;
        check::non_negative("demand_response.curtailment_credit_usd_per_mwh", dr.curtailment_credit_usd_per_mwh)?;
        check::positive("demand_response.event_price_usd_per_mwh", dr.event_price_usd_per_mwh)?;
        if let Some(r) = &dr.reserve {
            check::non_negative("demand_response.reserve.usd_per_mw_hour", r.usd_per_mw_hour)?;
            check::positive("demand_response.reserve.response_seconds", r.response_seconds)?;
            check::positive("demand_response.reserve.deploy_price_usd_per_mwh", r.deploy_price_usd_per_mwh)?;
        }
        check::in_range_half_open("pool_fee", self.pool_fee, 0.0, 1.0)?;
        self.switching.validated().map_err(|e| Error::new(e.kind(), format!("switching.{}", e.message())))?;
        if self.miners.is_empty() && self.gpus.is_empty() {
            return Err(bad("miners", "a site needs at least one miner or GPU group"));
        }
        for (i, m) in self.miners.iter().enumerate() {
            let f = |x: &str| format!("miners[{i}].{x}");
            let model =
                crate::econ::Catalog::builtin().get(&m.model).map_err(|e| bad(&f("model"), e.message()))?.clone();
            if model.kind != crate::econ::DeviceKind::Asic {
                return Err(bad(&f("model"), format!("{} is not an ASIC", m.model)));
            }
            if m.count == 0 || m.count as usize > crate::limits::MAX_FLEET_DEVICES {
                return Err(bad(&f("count"), format!("must be 1..={}", crate::limits::MAX_FLEET_DEVICES)));
            }
            if m.firmware != "luxos" && m.firmware != "stock" {
                return Err(bad(&f("firmware"), format!("must be \"luxos\" or \"stock\", got {:?}", m.firmware)));
            }
            if let Some(r) = m.min_power_ratio {
                check::in_range(&f("min_power_ratio"), r, 0.2, 1.0)?;
            }
            check::in_range(&f("max_power_ratio"), m.max_power_ratio, 1.0, 1.3)?;
            if let Some(r) = m.ramp_watts_per_second {
                check::positive(&f("ramp_watts_per_second"), r)?;
            }
        }
        for (i, g) in self.gpus.iter().enumerate() {
            crate::sim::GpuSpec::by_name(&g.model).map_err(|e| bad(&format!("gpus[{i}].model"), e.message()))?;
            if g.count == 0 || g.count as usize > crate::limits::MAX_FLEET_DEVICES {
                return Err(bad(&format!("gpus[{i}].count"), "must be >= 1"));
            }
            if i > 0 && g.model != self.gpus[0].model {
                return Err(bad(&format!("gpus[{i}].model"), "one GPU model per site in this version"));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for (i, c) in self.customers.iter().enumerate() {
            let f = |x: &str| format!("customers[{i}].{x}");
            if c.id.is_empty() || c.id == OPERATOR || !ids.insert(c.id.clone()) {
                return Err(bad(
                    &f("id"),
                    format!("must be a non-empty, unique id other than {OPERATOR:?}, got {:?}", c.id),
                ));
            }
            for (name, v) in [
                ("tokens_usd_per_million", &c.tokens_usd_per_million),
                ("gpu_hour_usd", &c.gpu_hour_usd),
                ("reserved_gpu_hour_usd", &c.reserved_gpu_hour_usd),
                ("tax_rate", &c.tax_rate),
            ] {
                if let Some(v) = v {
                    let d = crate::billing::parse_decimal(&f(name), v)?;
                    if d.is_sign_negative() {
                        return Err(bad(&f(name), "must be >= 0"));
                    }
                }
            }
            if let Some(b) = c.monthly_budget_usd {
                check::positive(&f("monthly_budget_usd"), b)?;
            }
        }
        let customer = |field: &str, id: &str| -> Result<usize> {
            self.customers.iter().position(|c| c.id == id).ok_or_else(|| bad(field, format!("unknown customer {id:?}")))
        };
        let mut names = std::collections::BTreeSet::new();
        for (i, e) in self.endpoints.iter().enumerate() {
            let f = |x: &str| format!("endpoints[{i}].{x}");
            if e.name.is_empty() || !names.insert(e.name.clone()) {
                return Err(bad(&f("name"), format!("must be non-empty and unique, got {:?}", e.name)));
            }
            let c = customer(&f("customer"), &e.customer)?;
            if self.customers[c].tokens_usd_per_million.is_none() {
                return Err(bad(&f("customer"), format!("customer {:?} has no tokens_usd_per_million", e.customer)));
            }
            check::in_range(&f("model_params"), e.model_params, 1e8, 1e12)?;
            check::in_range(&f("bytes_per_param"), e.bytes_per_param, 0.5, 4.0)?;
            if e.trace != "conv" && e.trace != "code" {
                return Err(bad(&f("trace"), format!("must be \"conv\" or \"code\", got {:?}", e.trace)));
            }
            check::positive_at_most(&f("mean_requests_per_second"), e.mean_requests_per_second, 1e6)?;
            check::in_range(&f("diurnal_amplitude"), e.diurnal_amplitude, 0.0, 0.95)?;
            check::in_range(&f("peak_hour"), e.peak_hour, 0.0, 24.0)?;
            check::in_range(&f("weekend_factor"), e.weekend_factor, 0.0, 2.0)?;
            check::positive_at_most(&f("ttft_slo_seconds"), e.ttft_slo_seconds, 3600.0)?;
            check::in_range_half_open(&f("slo_target"), e.slo_target, 0.5, 1.0)?;
        }
        for (i, j) in self.jobs.iter().enumerate() {
            let f = |x: &str| format!("jobs[{i}].{x}");
            if j.name.is_empty() || !names.insert(j.name.clone()) {
                return Err(bad(&f("name"), format!("must be non-empty and unique, got {:?}", j.name)));
            }
            if j.kind != "batch" && j.kind != "training" {
                return Err(bad(&f("kind"), format!("must be \"batch\" or \"training\", got {:?}", j.kind)));
            }
            let c = customer(&f("customer"), &j.customer)?;
            if self.customers[c].gpu_hour_usd.is_none() {
                return Err(bad(&f("customer"), format!("customer {:?} has no gpu_hour_usd", j.customer)));
            }
            check::in_range(&f("every_hours"), j.every_hours, 0.25, 24.0 * 366.0)?;
            check::in_range(&f("first_at_hours"), j.first_at_hours, 0.0, 24.0 * 366.0)?;
            check::positive_at_most(&f("gpu_hours"), j.gpu_hours, 1e7)?;
            check::in_range(&f("deadline_hours"), j.deadline_hours, 0.25, 24.0 * 366.0)?;
            if j.max_gpus == 0 {
                return Err(bad(&f("max_gpus"), "must be >= 1"));
            }
            if let Some(p) = j.model_params {
                check::in_range(&f("model_params"), p, 1e8, 1e12)?;
            }
        }
        let mut reserved = 0u64;
        for (i, r) in self.reservations.iter().enumerate() {
            let f = |x: &str| format!("reservations[{i}].{x}");
            let c = customer(&f("customer"), &r.customer)?;
            if self.customers[c].reserved_gpu_hour_usd.is_none() {
                return Err(bad(&f("customer"), format!("customer {:?} has no reserved_gpu_hour_usd", r.customer)));
            }
            check::in_range(&f("utilisation"), r.utilisation, 0.0, 1.0)?;
            reserved += u64::from(r.gpus);
        }
        let total_gpus: u64 = self.gpus.iter().map(|g| u64::from(g.count)).sum();
        if reserved > total_gpus {
            return Err(bad("reservations", format!("{reserved} GPUs reserved but the site has {total_gpus}")));
        }
        check::in_range("hybrid.gpu_headroom", self.hybrid.gpu_headroom, 0.0, 2.0)?;
        check::in_range("hybrid.training_power_ratio", self.hybrid.training_power_ratio, 0.1, 1.0)?;
        check::in_range("faults.gpu_faults_per_hour", self.faults.gpu_faults_per_hour, 0.0, 1.0)?;
        check::in_range("faults.repair_hours", self.faults.repair_hours, 0.0, 24.0 * 365.0)?;
        Ok(self)
    }
}

/// The billing id of the site operator's own usage (mining, site energy).
pub const OPERATOR: &str = "operator";
