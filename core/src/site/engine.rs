//! The closed loop: a site's devices, demand, economics, strategy and billing stepped together.
//!
//! One tick: market snapshot → flags (probable 4CP, demand-response event, reserve deployed) →
//! faults and job submissions → the strategy's command → the command checked (every field, the
//! settled power and the tick's exact peak against the cap) on a copy of the devices → the copy
//! kept → usage events into the ledger, exactly once → alerts → invoices at period ends.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path as FsPath;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::config::{SiteConfig, OPERATOR};
use super::gpus::{GpuFleet, GpuUse};
use super::inputs::{MarketHistory, TraceShape};
use super::miners::{MinerGroup, MinerModel};
use super::output::{Columns, FourCpInterval, RunResult, SiteEvent, Summary};
use super::power::peak_watts;
use super::serving::{AggregateServing, EndpointLoad, ServingModel};
use super::strategy::{self, Command, EndpointView, JobView, MinerView, Observation, ReservationView, Strategy};
use crate::billing::{issue_invoice, Invoice, MemoryLedger, Plan, Subscription, Timestamp, UsageEvent, UsageStore};
use crate::econ::{DeviceModel, Fees, Market, Terms};
use crate::sim::{switch_phases, AsicSpec, GpuSpec, HostMemory, ModelSpec, SwitchRequest, TransitionProfile};
use crate::{Error, ErrorKind, Result};

/// Prices of one customer (exact).
#[derive(Debug, Clone)]
struct Prices {
    id: String,
    per_token: Option<Decimal>,
    per_gpu_second: Option<Decimal>,
    per_reserved_gpu_hour: Option<Decimal>,
    pays_opportunity_cost: bool,
}

/// A configured site with its market history and demand shapes loaded: run it with any strategy.
#[derive(Debug)]
pub struct Site {
    cfg: SiteConfig,
    market: MarketHistory,
    traces: Vec<TraceShape>,
    serving: Vec<Box<dyn ServingModel>>,
    miner_models: Vec<MinerModel>,
    econ_models: Vec<DeviceModel>,
    gpu_spec: Option<GpuSpec>,
    endpoint_switch_s: Vec<f64>,
    job_switch_s: Vec<f64>,
    job_watts: Vec<f64>,
    reservation_watts: Vec<f64>,
    prices: Vec<Prices>,
    plans: Vec<Plan>,
}

fn dec(field: &str, s: &Option<String>) -> Result<Option<Decimal>> {
    s.as_ref().map(|v| crate::billing::parse_decimal(field, v)).transpose()
}

fn to_dec(v: f64, scale: u32) -> Decimal {
    Decimal::from_f64(v.max(0.0)).unwrap_or_default().round_dp(scale)
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

impl Site {
    /// Reads a config file; `market_dir` and `demand_dir` are relative to it.
    pub fn from_config_path(path: impl AsRef<FsPath>) -> Result<Site> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid_input("config", format!("{}: {e}", path.display())))?;
        let cfg = SiteConfig::from_json_str(&text)?;
        Site::from_config(cfg, path.parent().unwrap_or(FsPath::new(".")))
    }

    /// A site from a parsed config; relative folders are taken from `base_dir`.
    pub fn from_config(cfg: SiteConfig, base_dir: &FsPath) -> Result<Site> {
        let cfg = cfg.validated()?;
        // A relative folder is looked up from `base_dir`, then from the working directory, then
        // as the repository's own `data/<name>` (so a config dict read from examples/site.json
        // works from the repository root too); the first that exists is used.
        let dir = |d: &Option<String>, default: &str| {
            let rel = d.clone().unwrap_or_else(|| default.to_string());
            let p = FsPath::new(&rel);
            if p.is_absolute() {
                return rel;
            }
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let candidates = [
                base_dir.join(p),
                p.to_path_buf(),
                FsPath::new("data").join(&name),
                FsPath::new("../data").join(&name),
            ];
            candidates.iter().find(|c| c.is_dir()).unwrap_or(&candidates[0]).to_string_lossy().into_owned()
        };
        let market = MarketHistory::from_dir(&dir(&cfg.market_dir, "../data/market"))?;
        let demand_dir = dir(&cfg.demand_dir, "../data/demand");
        let mut traces = Vec::new();
        let mut cache: BTreeMap<String, TraceShape> = BTreeMap::new();
        for e in &cfg.endpoints {
            if !cache.contains_key(&e.trace) {
                cache.insert(e.trace.clone(), TraceShape::from_dir(&demand_dir, &e.trace)?);
            }
            traces.push(cache[&e.trace].clone());
        }
        Site::with_inputs(cfg, market, traces)
    }

    /// A site from a config and inputs already loaded (one trace shape per endpoint).
    pub fn with_inputs(cfg: SiteConfig, market: MarketHistory, traces: Vec<TraceShape>) -> Result<Site> {
        let cfg = cfg.validated()?;
        if traces.len() != cfg.endpoints.len() {
            return Err(Error::invalid_input("traces", "one trace shape per endpoint"));
        }
        let catalog = crate::econ::Catalog::builtin();
        let mut miner_models = Vec::new();
        let mut econ_models = Vec::new();
        for (i, m) in cfg.miners.iter().enumerate() {
            let model =
                catalog.get(&m.model).map_err(|e| Error::invalid_input(&format!("miners[{i}].model"), e.message()))?;
            let spec = AsicSpec::from_model(model)?;
            let profile = TransitionProfile::by_name(&m.firmware)?;
            miner_models.push(MinerModel::new(
                &spec,
                profile,
                m.min_power_ratio,
                m.max_power_ratio,
                m.ramp_watts_per_second,
            )?);
            econ_models.push(model.clone());
        }
        let gpu_spec = match cfg.gpus.first() {
            Some(g) => Some(GpuSpec::by_name(&g.model)?),
            None => None,
        };
        let needs_gpu = !cfg.endpoints.is_empty() || !cfg.jobs.is_empty() || !cfg.reservations.is_empty();
        if needs_gpu && gpu_spec.is_none() {
            return Err(Error::invalid_input("gpus", "endpoints, jobs or reservations need GPUs"));
        }
        let mut serving: Vec<Box<dyn ServingModel>> = Vec::new();
        let mut endpoint_switch_s = Vec::new();
        let switch_s = |spec: &GpuSpec, params: f64, bytes: f64, field: &str| -> Result<f64> {
            let req = SwitchRequest::new(0.0, params * bytes, HostMemory::Pinned, false);
            Ok(switch_phases(spec, &req)
                .map_err(|e| Error::new(e.kind(), format!("{field}: {}", e.message())))?
                .total_seconds)
        };
        for (i, (e, t)) in cfg.endpoints.iter().zip(&traces).enumerate() {
            let spec = gpu_spec.as_ref().expect("checked above");
            let model = ModelSpec::new(e.model_params, e.bytes_per_param)?;
            let context = (t.mean_prompt_tokens + t.mean_output_tokens / 2.0) as u64;
            let agg = AggregateServing::new(spec, &model, context, 256)
                .map_err(|err| Error::new(err.kind(), format!("endpoints[{i}].model_params: {}", err.message())))?;
            serving.push(Box::new(agg));
            endpoint_switch_s.push(switch_s(
                spec,
                e.model_params,
                e.bytes_per_param,
                &format!("endpoints[{i}].model_params"),
            )?);
        }
        let mut job_switch_s = Vec::new();
        let mut job_watts = Vec::new();
        for (i, j) in cfg.jobs.iter().enumerate() {
            let spec = gpu_spec.as_ref().expect("checked above");
            let params = j.model_params.unwrap_or(8e9);
            let field = format!("jobs[{i}].model_params");
            job_switch_s.push(switch_s(spec, params, 2.0, &field)?);
            job_watts.push(if j.kind == "training" {
                cfg.hybrid.training_power_ratio * spec.power.limit_watts
            } else {
                batch_watts(spec, params).map_err(|e| Error::new(e.kind(), format!("{field}: {}", e.message())))?
            });
        }
        let reservation_watts = cfg
            .reservations
            .iter()
            .map(|r| {
                let spec = gpu_spec.as_ref().expect("checked above");
                let busy = batch_watts(spec, 8e9)?;
                Ok(spec.power.idle_watts + r.utilisation * (busy - spec.power.idle_watts))
            })
            .collect::<Result<Vec<f64>>>()?;
        // The run starts with every device asleep: that much must fit the cap.
        let asleep_kw =
            (miner_models.iter().zip(&cfg.miners).map(|(m, c)| f64::from(c.count) * m.sleep_watts).sum::<f64>()
                + gpu_spec
                    .as_ref()
                    .map_or(0.0, |s| s.power.sleep_watts * cfg.gpus.iter().map(|g| f64::from(g.count)).sum::<f64>()))
                * cfg.pue
                / 1000.0;
        if asleep_kw > cfg.cap_kw {
            return Err(Error::invalid_input(
                "cap_kw",
                format!("the devices asleep already draw {asleep_kw:.1} kW, over the cap of {} kW", cfg.cap_kw),
            ));
        }
        let mut prices = Vec::new();
        let mut plans = Vec::new();
        for (i, c) in cfg.customers.iter().enumerate() {
            let f = |x: &str| format!("customers[{i}].{x}");
            let per_token =
                dec(&f("tokens_usd_per_million"), &c.tokens_usd_per_million)?.map(|d| d / Decimal::from(1_000_000));
            let per_gpu_second = dec(&f("gpu_hour_usd"), &c.gpu_hour_usd)?.map(|d| d / Decimal::from(3600));
            let per_reserved = dec(&f("reserved_gpu_hour_usd"), &c.reserved_gpu_hour_usd)?;
            let mut charges = Vec::new();
            if let Some(p) = per_token {
                charges.push(json!({"meter_code": "tokens", "model": "standard", "amount": p.to_string()}));
            }
            if let Some(p) = per_gpu_second {
                charges.push(json!({"meter_code": "gpu_seconds", "model": "standard", "amount": p.to_string()}));
            }
            if let Some(p) = per_reserved {
                charges.push(json!({"meter_code": "reserved_gpu_hours", "model": "standard", "amount": p.to_string()}));
            }
            if c.pays_opportunity_cost {
                charges.push(json!({"meter_code": "borrowed_power_usd", "model": "standard", "amount": "1",
                    "name": "power borrowed from miners (mining revenue displaced)"}));
            }
            let plan = Plan::from_json(&json!({
                "code": format!("site-{}", c.id),
                "currency": "USD",
                "interval": "monthly",
                "meters": METERS.iter().map(|m| json!({"code": m, "aggregation": "sum"})).collect::<Vec<_>>(),
                "charges": charges,
            }))
            .map_err(|e| Error::new(e.kind(), format!("customers[{i}].plan: {}", e.message())))?;
            plans.push(plan);
            prices.push(Prices {
                id: c.id.clone(),
                per_token,
                per_gpu_second,
                per_reserved_gpu_hour: per_reserved,
                pays_opportunity_cost: c.pays_opportunity_cost,
            });
        }
        Ok(Site {
            cfg,
            market,
            traces,
            serving,
            miner_models,
            econ_models,
            gpu_spec,
            endpoint_switch_s,
            job_switch_s,
            job_watts,
            reservation_watts,
            prices,
            plans,
        })
    }

    /// The config.
    pub fn config(&self) -> &SiteConfig {
        &self.cfg
    }

    /// The market history.
    pub fn market(&self) -> &MarketHistory {
        &self.market
    }

    /// The serving model of each endpoint.
    pub fn serving_models(&self) -> &[Box<dyn ServingModel>] {
        &self.serving
    }

    /// The trace shape of each endpoint.
    pub fn traces(&self) -> &[TraceShape] {
        &self.traces
    }

    /// The billing plan of each customer (config order).
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// Runs a built-in strategy by name over `[start, end)` (`YYYY-MM-DD`, default: the whole
    /// history).
    pub fn run_named(&self, strategy: &str, start: Option<&str>, end: Option<&str>) -> Result<RunResult> {
        let mut s = strategy::builtin(strategy, &self.cfg.hybrid)?;
        self.run(s.as_mut(), start, end)
    }

    /// Runs `strategy` over `[start, end)`.
    pub fn run(&self, strategy: &mut dyn Strategy, start: Option<&str>, end: Option<&str>) -> Result<RunResult> {
        let mut run = SiteRun::new(self, start, end)?;
        while !run.done() {
            run.step(strategy)?;
        }
        run.finish(strategy.name())
    }

    /// Requests per second of endpoint `i` at `t` (the demand rule of `docs/site.md`).
    pub fn demand_rps(&self, i: usize, t: i64, tick_seconds: f64) -> f64 {
        let e = &self.cfg.endpoints[i];
        let trace = &self.traces[i];
        let day = t.div_euclid(86_400);
        let hour = (t.rem_euclid(86_400)) as f64 / 3600.0;
        let dow = (day + 4).rem_euclid(7);
        let weekly = if dow == 0 || dow == 6 { e.weekend_factor } else { 1.0 };
        let diurnal = 1.0 + e.diurnal_amplitude * (std::f64::consts::TAU * (hour - e.peak_hour) / 24.0).cos();
        // Burst pattern: the trace's arrivals per minute (relative to their mean), one minute of
        // the trace drawn (seeded) for each minute of the run, averaged over the tick.
        let f = &trace.minute_factors;
        let minutes = ((tick_seconds / 60.0).round() as u64).max(1);
        let first_minute = t.div_euclid(60) as u64;
        let burst = (0..minutes)
            .map(|k| f[(hash(self.cfg.seed ^ 0xb0b5, i as u64, first_minute + k) % f.len() as u64) as usize])
            .sum::<f64>()
            / minutes as f64;
        // Day-to-day level: ±15 % (sum of four uniforms, roughly normal).
        let u: f64 = (0..4).map(|k| unit(hash(self.cfg.seed ^ 0x5eed, i as u64 * 16 + k, day as u64))).sum::<f64>();
        let level = 1.0 + 0.15 * (u - 2.0) * 3f64.sqrt() / 2.0;
        (e.mean_requests_per_second * diurnal * weekly * burst * level.max(0.3)).max(0.0)
    }
}

/// Power of a GPU running batch inference of a `params` bf16 model at its largest batch, W.
fn batch_watts(spec: &GpuSpec, params: f64) -> Result<f64> {
    let model = ModelSpec::new(params, 2.0)?;
    let mut best = None;
    for b in [256i64, 128, 64, 32, 16, 8, 4, 2, 1] {
        if let Ok(d) = crate::sim::decode(
            spec,
            &model,
            b,
            crate::sim::DecodeOptions { context_tokens: 1024 },
            spec.thermal.inlet_temp_c,
        ) {
            best = Some(d.power_watts);
            break;
        }
    }
    best.ok_or_else(|| Error::new(ErrorKind::OutOfMemory, "model does not fit the GPU"))
}

/// The meters every site plan declares.
pub const METERS: [&str; 6] = ["tokens", "gpu_seconds", "reserved_gpu_hours", "borrowed_power_usd", "kwh", "ths_hours"];

fn hash(seed: u64, a: u64, b: u64) -> u64 {
    let mut x = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[derive(Debug, Clone)]
struct JobInstance {
    id: u64,
    spec: usize,
    deadline: i64,
    remaining_gpu_seconds: f64,
    done_at: Option<i64>,
    late_reported: bool,
}

/// A run in progress: step it tick by tick (a host service does), or let [`Site::run`] do it.
/// A step that fails leaves the run exactly as it was.
#[derive(Debug)]
pub struct SiteRun<'a> {
    site: &'a Site,
    dt: f64,
    start: i64,
    ticks: usize,
    k: usize,
    miners: Vec<MinerGroup>,
    gpus: GpuFleet,
    jobs: Vec<JobInstance>,
    next_job: Vec<i64>,
    next_job_id: u64,
    ledger: MemoryLedger,
    usage_totals: BTreeMap<(String, String), Decimal>,
    usage_event_count: u64,
    cols: Columns,
    device_energy: Vec<f64>,
    events: Vec<SiteEvent>,
    invoices: Vec<Invoice>,
    subs: Vec<Subscription>,
    sum: Summary,
    slo_met: f64,
    slo_requests: f64,
    p99_samples: Vec<(f64, f64)>,
    month_hot: BTreeMap<(i64, u32), f64>,
    baseline: VecDeque<f64>,
    reserve_offer_kw: f64,
    curtailing: bool,
    slo_bad: Vec<bool>,
    four_cp_flag: bool,
    dr_on: bool,
    thermal_on: bool,
    borrowed_episode: BTreeMap<String, f64>,
    month_spend: BTreeMap<String, f64>,
    budget_level: BTreeMap<String, u32>,
    month_key: (i32, u32),
}

fn civil(t: i64) -> (i32, u32, u32) {
    Timestamp::from_unix_micros(t * 1_000_000).date()
}

impl<'a> SiteRun<'a> {
    /// A run of `site` over `[start, end)` (dates `YYYY-MM-DD`, default the whole history).
    pub fn new(site: &'a Site, start: Option<&str>, end: Option<&str>) -> Result<SiteRun<'a>> {
        let (first, last) = site.market.span();
        let parse = |field: &str, s: Option<&str>, default: i64| -> Result<i64> {
            match s {
                None => Ok(default),
                Some(s) => crate::sim::market::replay::parse_timestamp(s)
                    .map_err(|_| Error::invalid_input(field, format!("cannot parse {s:?} (use YYYY-MM-DD)"))),
            }
        };
        let start_t = parse("start", start, first)?;
        let end_t = parse("end", end, last)?;
        if start_t < first || end_t > last || end_t <= start_t {
            return Err(Error::invalid_input(
                "start",
                format!(
                    "the run [{}, {}) must be non-empty and inside the market history [{}, {})",
                    iso(start_t),
                    iso(end_t),
                    iso(first),
                    iso(last)
                ),
            ));
        }
        let dt = site.cfg.tick_seconds;
        let ticks = ((end_t - start_t) as f64 / dt).floor() as usize;
        crate::limits::count("ticks", ticks as i128, crate::limits::MAX_STEPS)?;
        let miners: Vec<MinerGroup> =
            site.miner_models.iter().zip(&site.cfg.miners).map(|(m, c)| MinerGroup::new(m.clone(), c.count)).collect();
        let gpus = match &site.gpu_spec {
            Some(s) => {
                GpuFleet::new(site.cfg.gpus.iter().map(|g| g.count).sum(), s.power.idle_watts, s.power.sleep_watts)
            }
            None => GpuFleet::new(0, 0.0, 0.0),
        };
        let start_ts = Timestamp::from_unix_micros(start_t * 1_000_000);
        let mut subs = Vec::new();
        for (i, c) in site.cfg.customers.iter().enumerate() {
            let mut v = json!({"customer_id": c.id, "start": start_ts.to_string(), "coupons": c.coupons});
            if let Some(t) = &c.tax_rate {
                v["tax_rate"] = Value::String(t.clone());
            }
            subs.push(
                Subscription::from_json(&v)
                    .map_err(|e| Error::new(e.kind(), format!("customers[{i}].{}", e.message())))?,
            );
        }
        let (y, m, _) = civil(start_t);
        Ok(SiteRun {
            site,
            dt,
            start: start_t,
            ticks,
            k: 0,
            miners,
            gpus,
            jobs: Vec::new(),
            next_job: site.cfg.jobs.iter().map(|j| start_t + (j.first_at_hours * 3600.0) as i64).collect(),
            next_job_id: 1,
            ledger: MemoryLedger::new(),
            usage_totals: BTreeMap::new(),
            usage_event_count: 0,
            cols: Columns::default(),
            device_energy: Vec::with_capacity(ticks),
            events: Vec::new(),
            invoices: Vec::new(),
            subs,
            sum: Summary::default(),
            slo_met: 0.0,
            slo_requests: 0.0,
            p99_samples: Vec::new(),
            month_hot: BTreeMap::new(),
            baseline: VecDeque::new(),
            reserve_offer_kw: 0.0,
            curtailing: false,
            slo_bad: vec![false; site.cfg.endpoints.len()],
            four_cp_flag: false,
            dr_on: false,
            thermal_on: false,
            borrowed_episode: BTreeMap::new(),
            month_spend: BTreeMap::new(),
            budget_level: BTreeMap::new(),
            month_key: (y, m),
        })
    }

    /// Whether every tick has run.
    pub fn done(&self) -> bool {
        self.k >= self.ticks
    }

    /// Ticks run so far.
    pub fn ticks_done(&self) -> usize {
        self.k
    }

    /// The columns so far.
    pub fn columns(&self) -> &Columns {
        &self.cols
    }

    fn load(&self, i: usize, t: i64) -> EndpointLoad {
        let e = &self.site.cfg.endpoints[i];
        let tr = &self.site.traces[i];
        EndpointLoad {
            requests_per_second: self.site.demand_rps(i, t, self.dt),
            mean_prompt_tokens: tr.mean_prompt_tokens,
            p99_prompt_tokens: tr.p99_prompt_tokens,
            mean_output_tokens: tr.mean_output_tokens,
            arrival_cv2: tr.arrival_cv2,
            service_cv2: tr.service_cv2,
            ttft_slo_seconds: e.ttft_slo_seconds,
        }
    }

    fn probable_four_cp(&self, t: i64, temp: f64) -> (bool, Option<(i64, u32)>) {
        let Some(cp) = &self.site.cfg.tariff.four_cp else { return (false, None) };
        let (y, m, _) = civil(t);
        if !cp.months.contains(&m) {
            return (false, None);
        }
        let hour = (t.rem_euclid(86_400) / 3600) as u32;
        let dow = (t.div_euclid(86_400) + 4).rem_euclid(7);
        if dow == 0 || dow == 6 || hour < cp.window_start_hour || hour >= cp.window_end_hour {
            return (false, None);
        }
        let hottest = self.month_hot.get(&(i64::from(y), m)).copied().unwrap_or(f64::MIN);
        (temp >= cp.alert_floor_c && temp >= hottest - cp.alert_margin_c, Some((i64::from(y), m)))
    }

    /// Runs one tick with `strategy`. On error nothing of the tick is applied.
    pub fn step(&mut self, strategy: &mut dyn Strategy) -> Result<()> {
        if self.done() {
            return Err(Error::new(ErrorKind::Conflict, "run: every tick has run"));
        }
        let site = self.site;
        let cfg = &site.cfg;
        let dt = self.dt;
        let t = self.start + (self.k as f64 * dt) as i64;
        let rp = &site.market.replay;
        let point = rp.at((t - rp.start_unix_seconds) as f64)?;
        let price = point.electricity_usd_per_mwh;
        let temp = site.market.temperature_c.at(t);
        let energy_usd_per_kwh = price / 1000.0 + cfg.tariff.adders_usd_per_kwh;
        let market = Market::new(
            point.btc_usd,
            point.difficulty,
            point.height,
            Fees::BtcPerBlock(point.fees_btc_per_block),
            energy_usd_per_kwh.clamp(0.0, crate::limits::MAX_USD_PER_KWH),
            point.gpu_usd_per_hour,
            0.0,
        )?;
        let usd_per_th_hour = crate::econ::hashprice_usd_per_th_day(&market) / 24.0 * (1.0 - cfg.pool_fee);
        let btc_per_th_second = crate::econ::hashprice_btc_per_th_day(&market) / 86_400.0 * (1.0 - cfg.pool_fee);
        let terms = Terms { pool_fee: cfg.pool_fee, pue: cfg.pue, ..Default::default() };

        // Work on copies: the run's state changes only once the whole tick has succeeded.
        let mut miners = self.miners.clone();
        let mut gpus = self.gpus.clone();
        let mut jobs = self.jobs.clone();
        let mut next_job = self.next_job.clone();
        let mut next_job_id = self.next_job_id;
        let mut new_events: Vec<SiteEvent> = Vec::new();
        let mut ev = |kind: &'static str, subject: &str, detail: String| {
            new_events.push(SiteEvent { time_unix: t, kind, subject: subject.to_string(), detail })
        };

        // Faults (seeded Poisson per tick, at most a few at once).
        let mut faults = 0u32;
        if cfg.faults.gpu_faults_per_hour > 0.0 && gpus.working() > 0 {
            let mean = cfg.faults.gpu_faults_per_hour * f64::from(gpus.working()) * dt / 3600.0;
            let u = unit(hash(cfg.seed ^ 0xfa17, self.k as u64, 1));
            let (mut p, mut cdf, mut n) = ((-mean).exp(), 0.0, 0u32);
            loop {
                cdf += p;
                if u <= cdf || n >= 64 {
                    break;
                }
                n += 1;
                p *= mean / f64::from(n);
            }
            faults = n;
        }
        if faults > 0 {
            let mut order: Vec<GpuUse> = (0..cfg.reservations.len()).map(GpuUse::Reserved).collect();
            order.extend((0..cfg.endpoints.len()).map(GpuUse::Endpoint));
            order.extend(jobs.iter().map(|j| GpuUse::Job(j.id)));
            let hit = gpus.fault(faults, cfg.faults.repair_hours * 3600.0, &order);
            let detail = format!("{faults} GPU(s) faulted, out for {} h; work hit: {hit:?}", cfg.faults.repair_hours);
            ev("device_fault", "gpus", detail);
        }
        // Job submissions.
        for (s, j) in cfg.jobs.iter().enumerate() {
            while next_job[s] <= t {
                jobs.push(JobInstance {
                    id: next_job_id,
                    spec: s,
                    deadline: next_job[s] + (j.deadline_hours * 3600.0) as i64,
                    remaining_gpu_seconds: j.gpu_hours * 3600.0,
                    done_at: None,
                    late_reported: false,
                });
                next_job_id += 1;
                next_job[s] += (j.every_hours * 3600.0) as i64;
            }
        }

        // Flags.
        let (four_cp_probable, cp_month) = self.probable_four_cp(t, temp);
        let dr = &cfg.demand_response;
        let dr_event = dr.curtailment_credit_usd_per_mwh > 0.0 && price >= dr.event_price_usd_per_mwh;
        let (reserve_rate, reserve_seconds, reserve_deployed_kw) = match &dr.reserve {
            Some(r) => (
                r.usd_per_mw_hour,
                r.response_seconds,
                if price >= r.deploy_price_usd_per_mwh { self.reserve_offer_kw } else { 0.0 },
            ),
            None => (0.0, 0.0, 0.0),
        };
        let facility_kw_now = (miners.iter().map(|m| m.watts_now()).sum::<f64>() + gpus.watts_now()) * cfg.pue / 1000.0;

        // Reservations hold what the working GPUs allow (faults can leave fewer than reserved;
        // only GPU-hours held are billed).
        let mut left = gpus.working();
        let reserved_now: Vec<u32> = cfg
            .reservations
            .iter()
            .map(|r| {
                let n = r.gpus.min(left);
                left -= n;
                n
            })
            .collect();
        // Observation.
        let loads: Vec<EndpointLoad> = (0..cfg.endpoints.len()).map(|i| self.load(i, t)).collect();
        let job_price = |spec: usize| -> f64 {
            let c = &cfg.jobs[spec].customer;
            site.prices.iter().find(|p| &p.id == c).and_then(|p| p.per_gpu_second).map_or(0.0, |d| to_f64(d) * 3600.0)
        };
        let obs = Observation {
            tick: self.k,
            time_unix: t,
            tick_seconds: dt,
            price_usd_per_mwh: price,
            energy_usd_per_kwh,
            temperature_c: temp,
            market,
            terms,
            switching: cfg.switching,
            cap_kw: cfg.cap_kw,
            pue: cfg.pue,
            four_cp_probable,
            dr_event,
            reserve_deployed_kw,
            reserve_usd_per_mw_hour: reserve_rate,
            reserve_response_seconds: reserve_seconds,
            facility_kw_now,
            miners: miners
                .iter()
                .zip(&site.econ_models)
                .map(|(g, em)| MinerView {
                    model: &g.model,
                    count: g.count,
                    counts: g.counts(),
                    available: g.available(),
                    power_target_watts: g.power_target_watts(),
                    usd_per_th_hour,
                    econ_model: em,
                })
                .collect(),
            gpus_working: gpus.working(),
            gpu_idle_watts: gpus.idle_watts,
            gpu_sleep_watts: gpus.sleep_watts,
            gpus_faulted: gpus.count - gpus.working(),
            endpoints: cfg
                .endpoints
                .iter()
                .enumerate()
                .map(|(i, e)| EndpointView {
                    name: &e.name,
                    load: loads[i],
                    slo_target: e.slo_target,
                    gpus_now: gpus.in_use(GpuUse::Endpoint(i)),
                    gpus_for_slo: site.serving[i].gpus_for(&loads[i], e.slo_target, gpus.working()),
                    usd_per_token: site
                        .prices
                        .iter()
                        .find(|p| p.id == e.customer)
                        .and_then(|p| p.per_token)
                        .map_or(0.0, to_f64),
                    model: site.serving[i].as_ref(),
                })
                .collect(),
            jobs: jobs
                .iter()
                .filter(|j| j.done_at.is_none())
                .map(|j| JobView {
                    id: j.id,
                    training: cfg.jobs[j.spec].kind == "training",
                    remaining_gpu_hours: j.remaining_gpu_seconds / 3600.0,
                    hours_to_deadline: (j.deadline - t) as f64 / 3600.0,
                    max_gpus: cfg.jobs[j.spec].max_gpus,
                    usd_per_gpu_hour: job_price(j.spec),
                    watts_per_gpu: site.job_watts[j.spec],
                    gpus_now: gpus.in_use(GpuUse::Job(j.id)),
                })
                .collect(),
            reservations: cfg
                .reservations
                .iter()
                .enumerate()
                .map(|(i, r)| ReservationView {
                    gpus: reserved_now[i],
                    watts_per_gpu: site.reservation_watts[i],
                    usd_per_gpu_hour: site
                        .prices
                        .iter()
                        .find(|p| p.id == r.customer)
                        .and_then(|p| p.per_reserved_gpu_hour)
                        .map_or(0.0, to_f64),
                })
                .collect(),
        };
        let cmd = strategy.decide(&obs)?;
        self.check_command(&obs, &cmd)?;
        // What the work wanted (for the report): SLO sizing, jobs at full speed, reservations.
        let gpus_wanted: u32 =
            obs.endpoints.iter().map(|e| e.model.gpus_for(&e.load, e.slo_target, gpus.count)).sum::<u32>()
                + obs.jobs.iter().map(|j| strategy::gpus_greedy(j, dt / 3600.0)).sum::<u32>()
                + obs.reservations.iter().map(|r| r.gpus).sum::<u32>();
        drop(obs);

        // Apply on the copies: decreases first, increases after the shed time.
        let mut targets: BTreeMap<GpuUse, u32> = BTreeMap::new();
        for (i, n) in cmd.endpoint_gpus.iter().enumerate() {
            if *n > 0 {
                targets.insert(GpuUse::Endpoint(i), *n);
            }
        }
        for (id, n) in &cmd.job_gpus {
            if *n > 0 {
                targets.insert(GpuUse::Job(*id), *n);
            }
        }
        if cmd.serve_reservations {
            for (i, n) in reserved_now.iter().enumerate() {
                if *n > 0 {
                    targets.insert(GpuUse::Reserved(i), *n);
                }
            }
        }
        // Shed time: the slowest decrease of the miners under this command (simulated on a
        // scratch copy), so increases wait for it.
        let shed_s = {
            let mut probe = miners.clone();
            probe.iter_mut().zip(&cmd.miners).map(|(g, c)| g.step(c, 0.0, dt).shed_seconds).fold(0.0, f64::max)
        };
        let mut paths = Vec::new();
        let mut mining_j = 0.0;
        let mut th_seconds = 0.0;
        let mut switches: u64 = 0;
        for (g, c) in miners.iter_mut().zip(&cmd.miners) {
            let tick = g.step(c, shed_s, dt);
            mining_j += tick.energy_joules;
            th_seconds += tick.th_seconds;
            switches += u64::from(tick.switches);
            paths.extend(tick.paths);
        }
        let job_switch = |u: GpuUse| -> f64 {
            match u {
                GpuUse::Endpoint(i) => site.endpoint_switch_s[i],
                GpuUse::Job(id) => jobs.iter().find(|j| j.id == id).map_or(0.0, |j| site.job_switch_s[j.spec]),
                GpuUse::Reserved(_) => 0.0,
            }
        };
        switches += u64::from(gpus.apply(&targets, cmd.idle_gpus_sleep, shed_s, dt, job_switch));
        // Serving outcomes at the GPUs each endpoint has over the tick.
        let outcomes: Vec<_> = (0..cfg.endpoints.len())
            .map(|i| site.serving[i].serve(&loads[i], gpus.effective_gpus(GpuUse::Endpoint(i), dt)))
            .collect();
        // Jobs: the fraction of their GPUs' time with work left.
        let job_busy: BTreeMap<u64, f64> = jobs
            .iter()
            .map(|j| {
                let eff = gpus.effective_gpus(GpuUse::Job(j.id), dt) * dt;
                (j.id, if eff > 0.0 { (j.remaining_gpu_seconds / eff).min(1.0) } else { 0.0 })
            })
            .collect();
        let idle_w = gpus.idle_watts;
        // A serving GPU draws the per-GPU power of the endpoint's whole commanded pool (what the
        // strategy planned under the cap); GPUs still switching in serve nothing meanwhile.
        let pool_watts: Vec<f64> = (0..cfg.endpoints.len())
            .map(|i| {
                let n = f64::from(gpus.in_use(GpuUse::Endpoint(i)));
                if n > 0.0 {
                    site.serving[i].serve(&loads[i], n).watts_per_gpu.max(idle_w)
                } else {
                    idle_w
                }
            })
            .collect();
        let watts = |u: GpuUse| -> f64 {
            match u {
                GpuUse::Endpoint(i) => pool_watts[i],
                GpuUse::Job(id) => {
                    let spec = jobs.iter().find(|j| j.id == id).map_or(0, |j| j.spec);
                    idle_w + job_busy.get(&id).copied().unwrap_or(0.0) * (site.job_watts[spec] - idle_w)
                }
                GpuUse::Reserved(i) => site.reservation_watts[i],
            }
        };
        let (gpu_paths, per_use, switching_j) = gpus.finish(dt, shed_s, watts);
        paths.extend(gpu_paths);
        let device_j: f64 = paths.iter().map(|p| p.energy_joules(dt)).sum();
        let peak_kw = peak_watts(&paths, dt) * cfg.pue / 1000.0;
        if peak_kw > cfg.cap_kw * (1.0 + 1e-9) + 1e-6 {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!(
                    "command: the tick at {} would draw {peak_kw:.1} kW at its peak, over cap_kw {}",
                    iso(t),
                    cfg.cap_kw
                ),
            ));
        }

        // Accounting.
        let h = dt / 3600.0;
        let kw = |j: f64| j / dt * cfg.pue / 1000.0;
        let meter_kw = kw(device_j);
        let energy_cost = meter_kw * h * energy_usd_per_kwh;
        let mining_revenue = th_seconds / 3600.0 * usd_per_th_hour;
        let btc = th_seconds * btc_per_th_second;
        let wear = switches as f64 * cfg.switching.wear_usd_per_switch;
        let mut customer_j: BTreeMap<String, f64> = BTreeMap::new();
        let (mut serving_j, mut jobs_j, mut reserved_j) = (0.0, 0.0, 0.0);
        let mut usage: Vec<(String, &'static str, String, Decimal)> = Vec::new();
        let (mut rev_tokens, mut rev_gpu, mut rev_reserved) = (0.0, 0.0, 0.0);
        let (mut requests, mut met, mut worst_p99) = (0.0, 0.0, 0.0f64);
        for (i, e) in cfg.endpoints.iter().enumerate() {
            let o = &outcomes[i];
            let tokens = to_dec(o.tokens_per_second * dt, 0);
            let price = site.prices.iter().find(|p| p.id == e.customer).and_then(|p| p.per_token).unwrap_or_default();
            rev_tokens += to_f64(tokens * price);
            if !tokens.is_zero() {
                usage.push((e.customer.clone(), "tokens", e.name.clone(), tokens));
            }
            let ej = per_use.get(&GpuUse::Endpoint(i)).map_or(0.0, |u| u.energy_joules);
            serving_j += ej;
            *customer_j.entry(e.customer.clone()).or_default() += ej;
            let arrived = loads[i].requests_per_second * dt;
            requests += arrived;
            met += o.slo_attainment * arrived;
            if arrived > 0.0 {
                worst_p99 = worst_p99.max(if o.served_per_second > 0.0 { o.p99_ttft_seconds } else { f64::INFINITY });
            }
            let bad = o.slo_attainment < e.slo_target;
            if bad != self.slo_bad[i] {
                ev(
                    if bad { "slo_at_risk" } else { "slo_recovered" },
                    &e.name,
                    format!(
                        "attainment {:.4} (target {}), p99 TTFT {:.3} s",
                        o.slo_attainment, e.slo_target, o.p99_ttft_seconds
                    ),
                );
            }
        }
        let mut jobs_done = Vec::new();
        for j in &mut jobs {
            let Some(u) = per_use.get(&GpuUse::Job(j.id)) else { continue };
            let spec = &cfg.jobs[j.spec];
            let work = u.active_gpu_seconds.min(j.remaining_gpu_seconds);
            j.remaining_gpu_seconds -= work;
            jobs_j += u.energy_joules;
            *customer_j.entry(spec.customer.clone()).or_default() += u.energy_joules;
            let q = to_dec(work, 3);
            if !q.is_zero() {
                let price = site
                    .prices
                    .iter()
                    .find(|p| p.id == spec.customer)
                    .and_then(|p| p.per_gpu_second)
                    .unwrap_or_default();
                rev_gpu += to_f64(q * price);
                usage.push((spec.customer.clone(), "gpu_seconds", format!("{}#{}", spec.name, j.id), q));
            }
            if j.remaining_gpu_seconds <= 1e-6 && j.done_at.is_none() {
                j.remaining_gpu_seconds = 0.0;
                j.done_at = Some(t + dt as i64);
                jobs_done.push(j.id);
            }
        }
        for j in &mut jobs {
            if j.done_at.is_none() && !j.late_reported && t + dt as i64 > j.deadline {
                j.late_reported = true;
                ev("job_late", &cfg.jobs[j.spec].name, format!("job {} missed its deadline {}", j.id, iso(j.deadline)));
            }
        }
        if cmd.serve_reservations {
            for (i, r) in cfg.reservations.iter().enumerate() {
                let q = to_dec(f64::from(reserved_now[i]) * h, 6);
                let price = site
                    .prices
                    .iter()
                    .find(|p| p.id == r.customer)
                    .and_then(|p| p.per_reserved_gpu_hour)
                    .unwrap_or_default();
                rev_reserved += to_f64(q * price);
                if !q.is_zero() {
                    usage.push((r.customer.clone(), "reserved_gpu_hours", format!("reservation{i}"), q));
                }
                let ej = per_use.get(&GpuUse::Reserved(i)).map_or(0.0, |u| u.energy_joules);
                reserved_j += ej;
                *customer_j.entry(r.customer.clone()).or_default() += ej;
            }
        }
        // Watts borrowed from miners: what all miners at nominal would have drawn beyond what
        // the cap left them, up to the miners' deficit and the tenants' GPU power, priced at
        // the marginal mining revenue per watt, when mining pays its energy.
        let tenants_w: f64 = customer_j.values().sum::<f64>() / dt;
        let miners_w = mining_j / dt;
        let nominal_w: f64 = miners.iter().map(|g| f64::from(g.count) * g.model.nominal_watts).sum();
        let cap_w = cfg.cap_kw * 1000.0 / cfg.pue;
        let others_w = device_j / dt - miners_w;
        let short_w = (others_w + nominal_w - cap_w).max(0.0);
        let deficit_w = (nominal_w - miners_w).max(0.0);
        let mining_pays = miners.iter().any(|g| {
            g.model.ths_at(g.model.nominal_watts) * usd_per_th_hour
                > g.model.nominal_watts / 1000.0 * energy_usd_per_kwh.max(0.0) * cfg.pue
        });
        let borrowed_w = if mining_pays { short_w.min(deficit_w).min(tenants_w) } else { 0.0 };
        let usd_per_w_hour = miners
            .iter()
            .map(|g| g.model.ths_at(g.model.nominal_watts) / g.model.nominal_watts * usd_per_th_hour)
            .fold(0.0, f64::max);
        let borrowed_usd = borrowed_w * h * usd_per_w_hour;
        let mut rev_borrowed = 0.0;
        if borrowed_usd > 0.0 && tenants_w > 0.0 {
            for (c, j) in &customer_j {
                let share = borrowed_usd * (j / dt) / tenants_w;
                *self.borrowed_episode.entry(c.clone()).or_default() += share;
                let pays = site.prices.iter().find(|p| &p.id == c).is_some_and(|p| p.pays_opportunity_cost);
                let q = to_dec(share, 6);
                if pays && !q.is_zero() {
                    rev_borrowed += to_f64(q);
                    usage.push((c.clone(), "borrowed_power_usd", "miners".into(), q));
                }
            }
        }
        // Energy per customer and the operator's own usage.
        for (c, j) in &customer_j {
            let q = to_dec(j * cfg.pue / 3.6e6, 6);
            if !q.is_zero() {
                usage.push((c.clone(), "kwh", "facility".into(), q));
            }
        }
        let q = to_dec(th_seconds / 3600.0, 6);
        if !q.is_zero() {
            usage.push((OPERATOR.into(), "ths_hours", "miners".into(), q));
        }
        let q = to_dec(device_j * cfg.pue / 3.6e6, 6);
        if !q.is_zero() {
            usage.push((OPERATOR.into(), "kwh", "site".into(), q));
        }
        // Demand response.
        let baseline_kw = if self.baseline.is_empty() {
            facility_kw_now
        } else {
            self.baseline.iter().sum::<f64>() / self.baseline.len() as f64
        };
        let credit = if dr_event {
            (baseline_kw - meter_kw).max(0.0) * h * dr.curtailment_credit_usd_per_mwh / 1000.0
        } else {
            0.0
        };
        let reserve_pay = cmd.reserve_offer_kw / 1000.0 * reserve_rate * h;
        let rev_dr = credit + reserve_pay;

        // Usage into the ledger, exactly once (ids are the tick, meter and subject).
        let ts = Timestamp::from_unix_micros(t * 1_000_000);
        let events = usage
            .iter()
            .map(|(c, m, key, q)| UsageEvent::new(format!("{}/{m}/{key}", self.k), c.clone(), *m, *q, ts, Map::new()))
            .collect::<Result<Vec<_>>>()?;
        let new = self.ledger.ingest(&events)?;
        if new != events.len() {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("ledger: {} of {} usage events were duplicates", events.len() - new, events.len()),
            ));
        }
        // ---- Nothing below can fail: commit. ----
        self.usage_event_count += new as u64;
        for (c, m, _, q) in &usage {
            *self.usage_totals.entry((c.clone(), m.to_string())).or_default() += *q;
        }
        let counts_m = miners
            .iter()
            .map(|g| g.counts())
            .fold([0u32; 4], |a, c| [a[0] + c.hashing, a[1] + c.waking + c.dozing, a[2] + c.sleeping, 0]);
        let hashing_ratio = {
            let (mut num, mut den) = (0.0, 0.0);
            for g in &miners {
                let n = f64::from(g.counts().hashing);
                num += n * g.power_target_watts() / g.model.nominal_watts;
                den += n;
            }
            if den > 0.0 {
                num / den
            } else {
                0.0
            }
        };
        let total_miners: u32 = miners.iter().map(|g| g.count).sum();
        let dial_hours: f64 = miners
            .iter()
            .map(|g| f64::from(g.counts().hashing) * (1.0 - g.power_target_watts() / g.model.nominal_watts).max(0.0))
            .sum::<f64>()
            * h;
        let curtailed_now = counts_m[1] + counts_m[2] > 0 || dial_hours > 1e-9;
        let curtailed_hours = f64::from(total_miners - counts_m[0]) * h + dial_hours;
        if curtailed_now != self.curtailing {
            if curtailed_now {
                ev(
                    "curtailment_started",
                    "miners",
                    format!(
                        "{} of {total_miners} miners not hashing, power ratio {hashing_ratio:.3}",
                        counts_m[1] + counts_m[2]
                    ),
                );
            } else {
                let paid: Vec<String> = std::mem::take(&mut self.borrowed_episode)
                    .into_iter()
                    .map(|(c, usd)| {
                        let pays = site.prices.iter().find(|p| p.id == c).is_some_and(|p| p.pays_opportunity_cost);
                        format!("{c}: ${usd:.2} ({})", if pays { "billed" } else { "absorbed by the operator" })
                    })
                    .collect();
                ev("curtailment_ended", "miners", format!("displaced mining revenue by tenant: [{}]", paid.join(", ")));
            }
        }
        if four_cp_probable && !self.four_cp_flag {
            ev(
                "probable_4cp",
                "site",
                format!("{temp:.1} °C in the 4CP window: this interval may set the month's transmission charge"),
            );
        }
        if dr_event && !self.dr_on {
            ev("dr_event", "site", format!("real-time price {price:.0} $/MWh: demand-response event"));
        }
        if reserve_deployed_kw > 0.0 {
            ev(
                "reserve_deployed",
                "site",
                format!("{reserve_deployed_kw:.0} kW of reserve deployed at {price:.0} $/MWh"),
            );
        }
        let hot = miners.iter().any(|g| temp > g.model.derate_ambient_c);
        if hot != self.thermal_on && hot {
            ev("thermal_limit", "miners", format!("ambient {temp:.1} °C above the miners' derate point"));
        }
        // Budgets.
        let mut spend: BTreeMap<String, f64> = BTreeMap::new();
        for (c, m, _, q) in &usage {
            let p = site.prices.iter().find(|p| &p.id == c);
            let unit = match (*m, p) {
                ("tokens", Some(p)) => p.per_token,
                ("gpu_seconds", Some(p)) => p.per_gpu_second,
                ("reserved_gpu_hours", Some(p)) => p.per_reserved_gpu_hour,
                ("borrowed_power_usd", Some(p)) if p.pays_opportunity_cost => Some(Decimal::ONE),
                _ => None,
            };
            if let Some(u) = unit {
                *spend.entry(c.clone()).or_default() += to_f64(*q * u);
            }
        }
        let (y, mo, _) = civil(t);
        if (y, mo) != self.month_key {
            self.month_spend.clear();
            self.budget_level.clear();
        }
        for (c, s) in spend {
            let total = self.month_spend.entry(c.clone()).or_default();
            *total += s;
            if let Some(b) = cfg.customers.iter().find(|x| x.id == c).and_then(|x| x.monthly_budget_usd) {
                let level =
                    [50u32, 80, 100].iter().rev().find(|l| *total >= b * f64::from(**l) / 100.0).copied().unwrap_or(0);
                let prev = self.budget_level.entry(c.clone()).or_default();
                if level > *prev {
                    *prev = level;
                    ev(
                        "budget_threshold",
                        &c,
                        format!("{level} % of the ${b:.0} monthly budget reached (${total:.2})"),
                    );
                }
            }
        }
        if let Some(key) = cp_month {
            let e = self.month_hot.entry(key).or_insert(f64::MIN);
            *e = e.max(temp);
        }
        let ticks_per_day = (86_400.0 / dt) as usize;
        self.baseline.push_back(meter_kw);
        if self.baseline.len() > ticks_per_day {
            self.baseline.pop_front();
        }
        self.reserve_offer_kw = cmd.reserve_offer_kw;
        self.curtailing = curtailed_now;
        self.four_cp_flag = four_cp_probable;
        self.dr_on = dr_event;
        self.thermal_on = hot;
        for (i, o) in outcomes.iter().enumerate() {
            self.slo_bad[i] = o.slo_attainment < cfg.endpoints[i].slo_target;
        }
        self.slo_met += met;
        self.slo_requests += requests;
        if requests > 0.0 && worst_p99.is_finite() {
            self.p99_samples.push((worst_p99, requests));
        }
        let s = &mut self.sum;
        s.energy_mwh += meter_kw * h / 1000.0;
        s.btc_mined += btc;
        s.mining_revenue_usd += mining_revenue;
        s.token_revenue_usd += rev_tokens;
        s.gpu_hour_revenue_usd += rev_gpu;
        s.reserved_revenue_usd += rev_reserved;
        s.demand_response_usd += rev_dr;
        s.borrowed_power_billed_usd += rev_borrowed;
        s.borrowed_power_value_usd += borrowed_usd;
        s.energy_cost_usd += energy_cost;
        s.switching_cost_usd += wear;
        s.curtailed_miner_hours += curtailed_hours;
        if curtailed_now {
            s.hours_curtailed += h;
        }
        s.device_switches += switches;
        s.gpu_faults += u64::from(faults);
        s.max_peak_kw = s.max_peak_kw.max(peak_kw);
        let c = &mut self.cols;
        let gc = gpus.counts();
        c.time_unix.push(t);
        c.price_usd_per_mwh.push(price);
        c.meter_kw.push(meter_kw);
        c.peak_kw.push(peak_kw);
        c.mining_kw.push(kw(mining_j));
        c.serving_kw.push(kw(serving_j));
        c.jobs_kw.push(kw(jobs_j));
        c.reserved_kw.push(kw(reserved_j));
        c.switching_kw.push(kw(switching_j));
        c.idle_kw.push(kw(device_j - mining_j - serving_j - jobs_j - reserved_j - switching_j).max(0.0));
        c.revenue_mining_usd.push(mining_revenue);
        c.revenue_tokens_usd.push(rev_tokens);
        c.revenue_gpu_hours_usd.push(rev_gpu);
        c.revenue_reserved_usd.push(rev_reserved);
        c.revenue_demand_response_usd.push(rev_dr);
        c.revenue_borrowed_power_usd.push(rev_borrowed);
        c.energy_cost_usd.push(energy_cost);
        c.switching_cost_usd.push(wear);
        c.miners_hashing.push(counts_m[0]);
        c.miners_moving.push(counts_m[1]);
        c.miners_sleeping.push(counts_m[2]);
        c.miner_power_ratio.push(hashing_ratio);
        c.gpus_serving.push(gc.serving);
        c.gpus_jobs.push(gc.jobs);
        c.gpus_reserved.push(gc.reserved);
        c.gpus_switching.push(gc.switching);
        c.gpus_idle.push(gc.idle);
        c.gpus_sleeping.push(gc.sleeping);
        c.gpus_faulted.push(gc.faulted);
        c.requests.push(requests);
        c.slo_attainment.push(if requests > 0.0 { met / requests } else { 1.0 });
        c.p99_ttft_seconds.push(if worst_p99.is_finite() { worst_p99 } else { 0.0 });
        c.gpus_wanted.push(gpus_wanted);
        c.four_cp_probable.push(four_cp_probable);
        self.device_energy.push(device_j);
        for j in &jobs {
            if jobs_done.contains(&j.id) && j.done_at.is_some_and(|d| d <= j.deadline) {
                self.sum.jobs_on_time += 1;
            }
        }
        self.sum.jobs_submitted += next_job_id - self.next_job_id;
        jobs.retain(|j| j.done_at.is_none());
        self.miners = miners;
        self.gpus = gpus;
        self.jobs = jobs;
        self.next_job = next_job;
        self.next_job_id = next_job_id;
        self.events.extend(new_events);
        self.k += 1;
        // Invoices at period ends (the period that the next tick leaves).
        let next_t = self.start + (self.k as f64 * dt) as i64;
        let (ny, nm, _) = civil(next_t);
        if (ny, nm) != (y, mo) || self.done() {
            self.issue_invoices(t)?;
        }
        self.month_key = (y, mo);
        Ok(())
    }

    fn issue_invoices(&mut self, at: i64) -> Result<()> {
        let ts = Timestamp::from_unix_micros(at * 1_000_000);
        for (plan, sub) in self.site.plans.iter().zip(&self.subs) {
            let inv = issue_invoice(&mut self.ledger, plan, sub, ts)?;
            self.events.push(SiteEvent {
                time_unix: at,
                kind: "invoice_issued",
                subject: inv.customer_id.clone(),
                detail: format!("{} total ${}", inv.number, inv.total),
            });
            self.invoices.push(inv);
        }
        Ok(())
    }

    fn check_command(&self, obs: &Observation<'_>, cmd: &Command) -> Result<()> {
        let bad = |field: String, why: String| Err(Error::invalid_input(&field, why));
        if cmd.miners.len() != obs.miners.len() {
            return bad(
                "command.miners".into(),
                format!("one command per miner group ({}), got {}", obs.miners.len(), cmd.miners.len()),
            );
        }
        for (i, (c, m)) in cmd.miners.iter().zip(&obs.miners).enumerate() {
            if c.hashing > m.available {
                return bad(
                    format!("command.miners[{i}].hashing"),
                    format!("{} asked, {} available", c.hashing, m.available),
                );
            }
            let p = c.power_target_watts;
            if !(p.is_finite() && p >= m.model.min_watts - 1e-6 && p <= m.model.max_watts + 1e-6) {
                return bad(
                    format!("command.miners[{i}].power_target_watts"),
                    format!(
                        "must be in [{:.0}, {:.0}] W for {}, got {p}",
                        m.model.min_watts, m.model.max_watts, m.model.name
                    ),
                );
            }
        }
        if cmd.endpoint_gpus.len() != obs.endpoints.len() {
            return bad(
                "command.endpoint_gpus".into(),
                format!("one count per endpoint ({}), got {}", obs.endpoints.len(), cmd.endpoint_gpus.len()),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (k, (id, _)) in cmd.job_gpus.iter().enumerate() {
            if !obs.jobs.iter().any(|j| j.id == *id) || !seen.insert(*id) {
                return bad(
                    format!("command.job_gpus[{k}]"),
                    format!("job {id} is not an open job, or is listed twice"),
                );
            }
        }
        let reserved: u64 =
            if cmd.serve_reservations { obs.reservations.iter().map(|r| u64::from(r.gpus)).sum() } else { 0 };
        let used: u64 = cmd.endpoint_gpus.iter().map(|n| u64::from(*n)).sum::<u64>()
            + cmd.job_gpus.iter().map(|(_, n)| u64::from(*n)).sum::<u64>()
            + reserved;
        if used > u64::from(obs.gpus_working) {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!(
                    "command.endpoint_gpus: {used} GPUs asked (incl. {reserved} reserved), {} working",
                    obs.gpus_working
                ),
            ));
        }
        if !(cmd.reserve_offer_kw.is_finite() && cmd.reserve_offer_kw >= 0.0) {
            return bad(
                "command.reserve_offer_kw".into(),
                format!("must be finite and >= 0, got {}", cmd.reserve_offer_kw),
            );
        }
        let capable = obs.reserve_capable_kw(cmd);
        if cmd.reserve_offer_kw > 0.0 && obs.reserve_usd_per_mw_hour <= 0.0 {
            return bad("command.reserve_offer_kw".into(), "the site is in no reserve program".into());
        }
        if cmd.reserve_offer_kw > capable + 1e-6 {
            return bad(
                "command.reserve_offer_kw".into(),
                format!(
                    "{:.1} kW offered but only {capable:.1} kW can drop within {} s",
                    cmd.reserve_offer_kw, obs.reserve_response_seconds
                ),
            );
        }
        let settled = obs.settled_kw(cmd);
        if settled > obs.cap_kw * (1.0 + 1e-9) + 1e-6 {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!("command: settles at {settled:.1} kW, over cap_kw {}", obs.cap_kw),
            ));
        }
        if obs.reserve_deployed_kw > 0.0 && settled > obs.facility_kw_now - obs.reserve_deployed_kw + 1e-6 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "command.miners: {:.1} kW of reserve is deployed; the site must settle at or below {:.1} kW, got {settled:.1}",
                    obs.reserve_deployed_kw,
                    obs.facility_kw_now - obs.reserve_deployed_kw
                ),
            ));
        }
        Ok(())
    }

    /// Ends the run: 4CP settlement, summary.
    pub fn finish(self, strategy: &str) -> Result<RunResult> {
        let site = self.site;
        let cfg = &site.cfg;
        let mut four_cp = Vec::new();
        if let Some(cp) = &cfg.tariff.four_cp {
            // The system peak of each 4CP month, known after the fact (docs/site.md): the hottest
            // weekday interval of the peak window; ties go to the later interval.
            let temps = &site.market.temperature_c;
            let mut best: BTreeMap<(i32, u32), (f64, i64)> = BTreeMap::new();
            for (t, v) in temps.times.iter().zip(&temps.values) {
                let (y, m, _) = civil(*t);
                let hour = (t.rem_euclid(86_400) / 3600) as u32;
                let dow = (t.div_euclid(86_400) + 4).rem_euclid(7);
                if !cp.months.contains(&m)
                    || dow == 0
                    || dow == 6
                    || hour < cp.window_start_hour
                    || hour >= cp.window_end_hour
                {
                    continue;
                }
                let e = best.entry((y, m)).or_insert((f64::MIN, *t));
                if *v >= e.0 {
                    *e = (*v, *t);
                }
            }
            let end = self.start + (self.ticks as f64 * self.dt) as i64;
            for (_, (temp, t)) in best {
                if t < self.start || t + 900 > end {
                    continue;
                }
                let idx: Vec<usize> = (0..self.cols.len())
                    .filter(|i| self.cols.time_unix[*i] >= t && self.cols.time_unix[*i] < t + 900)
                    .collect();
                if idx.is_empty() {
                    continue;
                }
                let kw = idx.iter().map(|i| self.cols.meter_kw[*i]).sum::<f64>() / idx.len() as f64;
                let flagged = idx.iter().any(|i| self.cols.four_cp_probable[*i]);
                four_cp.push(FourCpInterval {
                    time_unix: t,
                    temperature_c: temp,
                    flagged,
                    site_kw: kw,
                    charge_usd: kw * cp.usd_per_kw_year / 4.0,
                });
            }
        }
        let mut s = self.sum;
        s.strategy = strategy.to_string();
        s.ticks = self.cols.len();
        s.hours = s.ticks as f64 * self.dt / 3600.0;
        s.four_cp_charges_usd = four_cp.iter().map(|f| f.charge_usd).sum::<f64>() + 0.0;
        s.revenue_usd = s.mining_revenue_usd
            + s.token_revenue_usd
            + s.gpu_hour_revenue_usd
            + s.reserved_revenue_usd
            + s.demand_response_usd
            + s.borrowed_power_billed_usd;
        s.profit_usd = s.revenue_usd - s.energy_cost_usd - s.four_cp_charges_usd - s.switching_cost_usd;
        s.slo_attainment = if self.slo_requests > 0.0 { self.slo_met / self.slo_requests } else { 1.0 };
        let mut samples = self.p99_samples;
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = samples.iter().map(|x| x.1).sum();
        let mut acc = 0.0;
        s.p99_ttft_seconds = 0.0;
        for (v, w) in &samples {
            acc += w;
            s.p99_ttft_seconds = *v;
            if acc >= 0.99 * total {
                break;
            }
        }
        Ok(RunResult {
            summary: s,
            columns: self.cols,
            events: self.events,
            invoices: self.invoices,
            four_cp,
            ledger: self.ledger,
            usage_event_count: self.usage_event_count,
            usage_totals: self.usage_totals,
            device_energy_joules: self.device_energy,
        })
    }
}

/// `YYYY-MM-DD HH:MM` of unix seconds.
pub fn iso(t: i64) -> String {
    let ts = Timestamp::from_unix_micros(t * 1_000_000).to_string();
    ts.get(..16).unwrap_or(&ts).replace('T', " ")
}
