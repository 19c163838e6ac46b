//! `sim`: JavaScript adapters over `hcpcore::sim` — the H100 model, fleets, markets and telemetry.
//! Columns cross as TypedArrays; options and structured results as plain objects with camelCase
//! keys. Conversion only: the models live in core.

use hcpcore::sim::{
    Activity, Command, DecodeOptions, Fleet as CoreFleet, FleetConfig, GpuSpec, HostMemory, MarketReplay, MarketSeries,
    MarketSource, ModelSpec, SwitchRequest, SyntheticConfig, SyntheticMarket, H100 as CoreH100,
};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use napi::bindgen_prelude::{AsyncTask, Float64Array, Uint32Array, Uint8Array};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::args::{self, count, safe_int};
use crate::errors::{invalid_input, IntoJs, Result};
use crate::tasks::Work;
use hcpcore::limits::{MAX_FLEET_DEVICES, MAX_STEPS};

/// camelCase keys → snake_case, recursively (JS options to core serde structs).
pub(crate) fn snake_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let mut s = String::with_capacity(k.len() + 4);
                    for c in k.chars() {
                        if c.is_ascii_uppercase() {
                            s.push('_');
                            s.push(c.to_ascii_lowercase());
                        } else {
                            s.push(c);
                        }
                    }
                    (s, snake_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

/// snake_case keys → camelCase, recursively (core results to JS objects). Keys with spaces
/// (cgminer's `"GHS 5s"`) are left alone.
pub(crate) fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = if k.contains(' ') {
                        k
                    } else {
                        let mut s = String::with_capacity(k.len());
                        let mut up = false;
                        for c in k.chars() {
                            if c == '_' {
                                up = true;
                            } else if up {
                                s.push(c.to_ascii_uppercase());
                                up = false;
                            } else {
                                s.push(c);
                            }
                        }
                        s
                    };
                    (key, camel_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

fn from_js<T: serde::de::DeserializeOwned>(v: Option<args::Value>, what: &str) -> Result<T> {
    let v = snake_keys(v.map(|v| v.get(what)).transpose()?.unwrap_or_else(|| Value::Object(Map::new())));
    from_json(v, what)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| invalid_input(what, e))
}

fn to_js<T: serde::Serialize>(v: &T) -> Result<Value> {
    Ok(camel_keys(crate::results::to_value("result", v)?))
}

fn model_from(v: Value) -> Result<ModelSpec> {
    let m: ModelSpec = from_json(snake_keys(v), "command.model")?;
    m.validated().js()
}

/// A model to serve: `{ params, bytesPerParam, layers?: { layers, hidden, intermediate, heads,
/// kvHeads }, kvBytesPerElement? }`.
#[napi(object)]
pub struct ModelSpecInit {
    pub params: f64,
    pub bytes_per_param: Option<f64>,
    pub layers: Option<LayerShapesInit>,
    pub kv_bytes_per_element: Option<f64>,
}

/// Layer shapes of a decoder-only transformer.
#[napi(object)]
/// Each an integer in 0..=4294967295 (checked, never truncated).
pub struct LayerShapesInit {
    pub layers: f64,
    pub hidden: f64,
    pub intermediate: f64,
    pub heads: f64,
    pub kv_heads: f64,
}

pub(crate) fn model_init(m: &ModelSpecInit) -> Result<ModelSpec> {
    ModelSpec {
        params: m.params,
        bytes_per_param: m.bytes_per_param.unwrap_or(2.0),
        layers: match &m.layers {
            None => None,
            Some(l) => Some(hcpcore::sim::LayerShapes {
                layers: args::u32_arg("model.layers.layers", l.layers)?,
                hidden: args::u32_arg("model.layers.hidden", l.hidden)?,
                intermediate: args::u32_arg("model.layers.intermediate", l.intermediate)?,
                heads: args::u32_arg("model.layers.heads", l.heads)?,
                kv_heads: args::u32_arg("model.layers.kvHeads", l.kv_heads)?,
            }),
        },
        kv_bytes_per_element: m.kv_bytes_per_element,
    }
    .validated()
    .js()
}

/// A steady-state decode step.
#[napi(object)]
pub struct Decode {
    pub batch: f64,
    pub step_seconds: f64,
    pub tokens_per_second: f64,
    pub power_watts: f64,
    pub joules_per_token: f64,
    pub sm_clock_mhz: f64,
    pub gpu_temp_c: f64,
    pub memory_temp_c: f64,
    pub tensor_activity: f64,
    pub dram_activity: f64,
    pub power_limited: bool,
    pub thermal_limited: bool,
    pub weights_bytes: f64,
    pub kv_bytes_per_token: f64,
    pub kv_cache_bytes: f64,
    pub memory_used_bytes: f64,
    pub memory_free_bytes: f64,
}

/// Seconds of each phase of a workload switch, and the total.
#[napi(object)]
pub struct SwitchPhases {
    pub save_state_seconds: f64,
    pub free_and_clear_seconds: f64,
    pub load_weights_seconds: f64,
    pub context_start_seconds: f64,
    pub first_step_seconds: f64,
    pub total_seconds: f64,
}

/// What a switch moves: `{ kvBytes, weightsBytes, hostMemory?: 'pinned' | 'pageable',
/// warmContext?: boolean, clearBytes? }`.
#[napi(object)]
pub struct SwitchInit {
    pub kv_bytes: f64,
    pub weights_bytes: f64,
    pub host_memory: Option<String>,
    pub warm_context: Option<bool>,
    pub clear_bytes: Option<f64>,
}

/// One simulated H100: `new H100('sxm')`.
#[napi(js_name = "H100")]
pub struct H100 {
    pub(crate) inner: CoreH100,
}

#[napi]
impl H100 {
    /// `variant`: `'sxm'` (default) or `'pcie'`; `overrides`: spec fields to replace, e.g.
    /// `{ power: { limit_watts: 500 } }` (snake_case, as the spec's JSON).
    #[napi(constructor, catch_unwind)]
    pub fn new(variant: Option<String>, overrides: Option<args::Value>) -> Result<Self> {
        let mut spec = GpuSpec::by_name(variant.as_deref().unwrap_or("sxm")).js()?;
        if let Some(o) = overrides {
            spec = spec.with_overrides(&o.get("overrides")?.to_string()).js()?;
        }
        Ok(H100 { inner: CoreH100::from_spec(spec).js()? })
    }

    /// Steady-state decode of `model` at `batch` (`contextTokens` of KV cache per sequence).
    #[napi(catch_unwind)]
    pub fn decode(&self, model: ModelSpecInit, batch: f64, context_tokens: Option<f64>) -> Result<Decode> {
        let m = model_init(&model)?;
        let batch = safe_int("batch", batch)?;
        let context_tokens = args::opt_int("contextTokens", context_tokens, 0, args::MAX_SAFE_INTEGER as i64)?;
        let options = DecodeOptions { context_tokens: context_tokens.unwrap_or(0) as u64 };
        let d = self.inner.decode_with(&m, batch, options).js()?;
        Ok(Decode {
            batch: d.batch as f64,
            step_seconds: d.step_seconds,
            tokens_per_second: d.tokens_per_second,
            power_watts: d.power_watts,
            joules_per_token: d.joules_per_token,
            sm_clock_mhz: d.sm_clock_mhz,
            gpu_temp_c: d.gpu_temp_c,
            memory_temp_c: d.memory_temp_c,
            tensor_activity: d.tensor_activity,
            dram_activity: d.dram_activity,
            power_limited: d.power_limited,
            thermal_limited: d.thermal_limited,
            weights_bytes: d.weights_bytes,
            kv_bytes_per_token: d.kv_bytes_per_token,
            kv_cache_bytes: d.kv_cache_bytes,
            memory_used_bytes: d.memory_used_bytes,
            memory_free_bytes: d.memory_free_bytes,
        })
    }

    /// Phases of a workload switch.
    #[napi(catch_unwind)]
    pub fn switch(&self, request: SwitchInit) -> Result<SwitchPhases> {
        let host = HostMemory::parse(request.host_memory.as_deref().unwrap_or("pinned")).js()?;
        let r = SwitchRequest {
            clear_bytes: request.clear_bytes,
            ..SwitchRequest::new(request.kv_bytes, request.weights_bytes, host, request.warm_context.unwrap_or(true))
        };
        let p = self.inner.switch_with(&r).js()?;
        Ok(SwitchPhases {
            save_state_seconds: p.save_state_seconds,
            free_and_clear_seconds: p.free_and_clear_seconds,
            load_weights_seconds: p.load_weights_seconds,
            context_start_seconds: p.context_start_seconds,
            first_step_seconds: p.first_step_seconds,
            total_seconds: p.total_seconds,
        })
    }

    /// Advances `dtSeconds` under tensor and DRAM activity (0–1); returns the reading.
    #[napi(catch_unwind)]
    pub fn step(&mut self, dt_seconds: f64, tensor: Option<f64>, dram: Option<f64>) -> Result<Value> {
        let a = Activity { tensor: tensor.unwrap_or(0.0), dram: dram.unwrap_or(0.0) };
        to_js(&self.inner.step(dt("dtSeconds", dt_seconds)?, a).js()?)
    }

    /// Sets the power limit, W.
    #[napi(catch_unwind)]
    pub fn set_power_limit_watts(&mut self, watts: f64) -> Result<()> {
        self.inner.set_power_limit_watts(watts).js()
    }

    /// The spec in use (every fitted parameter), snake_case as its JSON.
    #[napi(catch_unwind)]
    pub fn spec(&self) -> Result<Value> {
        crate::results::to_value("spec", self.inner.spec())
    }
}

/// A market sampled at regular steps, as Float64Arrays.
#[napi(object)]
pub struct MarketColumns {
    pub time_seconds: Float64Array,
    pub btc_usd: Float64Array,
    pub difficulty: Float64Array,
    pub height: Float64Array,
    pub fees_btc_per_block: Float64Array,
    pub electricity_usd_per_mwh: Float64Array,
    pub gpu_usd_per_hour: Float64Array,
}

fn market_columns(s: MarketSeries) -> MarketColumns {
    MarketColumns {
        time_seconds: Float64Array::new(s.time_seconds),
        btc_usd: Float64Array::new(s.btc_usd),
        difficulty: Float64Array::new(s.difficulty),
        height: Float64Array::new(s.height.iter().map(|&h| h as f64).collect()),
        fees_btc_per_block: Float64Array::new(s.fees_btc_per_block),
        electricity_usd_per_mwh: Float64Array::new(s.electricity_usd_per_mwh),
        gpu_usd_per_hour: Float64Array::new(s.gpu_usd_per_hour),
    }
}

/// A seeded synthetic market: `steps` points `dtSeconds` apart (`config`: SyntheticConfig fields).
#[napi(catch_unwind)]
pub fn synthetic_market(seed: f64, steps: f64, dt_seconds: f64, config: Option<args::Value>) -> Result<MarketColumns> {
    let seed = args::seed("seed", seed)?;
    let steps = count("steps", steps, MAX_STEPS)?;
    let dt_seconds = dt("dtSeconds", dt_seconds)?;
    let c: SyntheticConfig = from_js(config, "config")?;
    let mut m = SyntheticMarket::new(c, seed).js()?;
    Ok(market_columns(m.series(steps, dt_seconds).js()?))
}

/// `syntheticMarket` on the libuv thread pool (same arguments; a Promise of the same columns).
#[napi(catch_unwind, ts_return_type = "Promise<MarketColumns>")]
pub fn synthetic_market_async(
    seed: f64,
    steps: f64,
    dt_seconds: f64,
    config: Option<args::Value>,
) -> Result<AsyncTask<Work<MarketSeries, MarketColumns>>> {
    let seed = args::seed("seed", seed)?;
    let steps = count("steps", steps, MAX_STEPS)?;
    let dt_seconds = dt("dtSeconds", dt_seconds)?;
    let c: SyntheticConfig = from_js(config, "config")?;
    let mut m = SyntheticMarket::new(c, seed).js()?;
    Ok(AsyncTask::new(Work::new(move || m.series(steps, dt_seconds), |s| Ok(market_columns(s)))))
}

/// `replayMarket` on the libuv thread pool, reading the files there too (same arguments; a
/// Promise of the same columns).
#[napi(catch_unwind, ts_return_type = "Promise<MarketColumns>")]
pub fn replay_market_async(
    directory: String,
    start: String,
    steps: f64,
    dt_seconds: f64,
) -> Result<AsyncTask<Work<MarketSeries, MarketColumns>>> {
    let steps = count("steps", steps, MAX_STEPS)?;
    let dt_seconds = dt("dtSeconds", dt_seconds)?;
    let work = move || MarketReplay::from_dir(&directory, &start)?.series(steps, dt_seconds);
    Ok(AsyncTask::new(Work::new(work, |s| Ok(market_columns(s)))))
}

/// The real history in `directory` from `start`, sampled `steps` times `dtSeconds` apart.
#[napi(catch_unwind)]
pub fn replay_market(directory: String, start: String, steps: f64, dt_seconds: f64) -> Result<MarketColumns> {
    let steps = count("steps", steps, MAX_STEPS)?;
    let dt_seconds = dt("dtSeconds", dt_seconds)?;
    let r = MarketReplay::from_dir(&directory, &start).js()?;
    Ok(market_columns(r.series(steps, dt_seconds).js()?))
}

/// A time step within the stated bounds (`hcpcore::limits`), seconds.
fn dt(field: &str, x: f64) -> Result<f64> {
    use hcpcore::limits::{MAX_DT_SECONDS, MIN_DT_SECONDS};
    if x.is_finite() && (MIN_DT_SECONDS..=MAX_DT_SECONDS).contains(&x) {
        Ok(x)
    } else {
        Err(invalid_input(
            field,
            format!("must be in {MIN_DT_SECONDS}..={MAX_DT_SECONDS} seconds, got {}", args::js_number(x)),
        ))
    }
}

/// Fleet totals per recorded step.
#[napi(object)]
pub struct FleetSeries {
    pub time_seconds: Float64Array,
    pub power_watts: Float64Array,
    pub gpu_power_watts: Float64Array,
    pub asic_power_watts: Float64Array,
    pub hashrate_ths: Float64Array,
    pub tokens_per_second: Float64Array,
    pub gpus_serving: Uint32Array,
    pub gpus_switching: Uint32Array,
    pub gpus_sleeping: Uint32Array,
    pub gpus_faulted: Uint32Array,
    pub miners_hashing: Uint32Array,
    pub miners_sleeping: Uint32Array,
    pub devices_throttled: Uint32Array,
    pub max_gpu_temp_c: Float64Array,
    pub electricity_usd_per_mwh: Float64Array,
    pub energy_kwh: Float64Array,
    pub energy_cost_usd: Float64Array,
    pub mining_revenue_usd: Float64Array,
    pub gpu_revenue_usd: Float64Array,
}

/// Events as columns (`kindName[i]` names `kind[i]`).
#[napi(object)]
pub struct FleetEvents {
    pub time_seconds: Float64Array,
    pub device: Uint32Array,
    pub kind: Uint8Array,
    pub kind_name: Vec<String>,
    pub code: Uint32Array,
    pub value: Float64Array,
}

/// Per-device state as columns (index = device id).
#[napi(object)]
pub struct DeviceColumns {
    pub kind: Uint8Array,
    pub state: Uint8Array,
    pub power_watts: Float64Array,
    pub temp_c: Float64Array,
    pub hashrate_ths: Float64Array,
    pub tokens_per_second: Float64Array,
    pub energy_kwh: Float64Array,
}

/// A fleet of simulated GPUs and miners: `new Fleet({ dtSeconds: 60, seed: 1 })`.
#[napi]
pub struct Fleet {
    /// Shared with the `…Async` tasks; a sync call made while one runs waits for it.
    inner: Arc<Mutex<CoreFleet>>,
}

/// The fleet, once no task holds it. A panic inside an earlier call poisons the lock; the fleet
/// has then taken whole steps only (the core checks before it changes state), so it is used on.
fn lock(fleet: &Mutex<CoreFleet>) -> MutexGuard<'_, CoreFleet> {
    fleet.lock().unwrap_or_else(PoisonError::into_inner)
}

#[napi]
impl Fleet {
    /// `config`: FleetConfig fields (camelCase or snake_case), e.g. `{ dtSeconds, seed, ambientC,
    /// faults: {...}, pool: {...}, keepEvents }`.
    #[napi(constructor, catch_unwind)]
    pub fn new(config: Option<args::Value>) -> Result<Self> {
        let c: FleetConfig = from_js(config, "config")?;
        Ok(Fleet { inner: Arc::new(Mutex::new(CoreFleet::new(c).js()?)) })
    }

    /// Adds an idle GPU (`'sxm'` or `'pcie'`); returns its id.
    #[napi(catch_unwind)]
    pub fn add_gpu(&self, variant: Option<String>) -> Result<i64> {
        lock(&self.inner).add_gpu(variant.as_deref().unwrap_or("sxm")).js()
    }

    /// Adds a miner (`'S21'`, `'S21 XP'`, …) hashing in normal mode; returns its id.
    #[napi(catch_unwind)]
    pub fn add_miner(&self, model: Option<String>) -> Result<i64> {
        lock(&self.inner).add_miner(model.as_deref().unwrap_or("S21")).js()
    }

    /// Adds `gpus` GPUs then `miners` miners; returns the first new id.
    #[napi(catch_unwind)]
    pub fn add_many(&self, gpu_variant: String, gpus: f64, miner_model: String, miners: f64) -> Result<i64> {
        let gpus = count("gpus", gpus, MAX_FLEET_DEVICES)?;
        let miners = count("miners", miners, MAX_FLEET_DEVICES)?;
        if lock(&self.inner).len() + gpus + miners > MAX_FLEET_DEVICES {
            return Err(invalid_input(
                "gpus",
                format!("a fleet holds at most {MAX_FLEET_DEVICES} devices; it has {}", lock(&self.inner).len()),
            ));
        }
        lock(&self.inner).add_many(&gpu_variant, gpus as u32, &miner_model, miners as u32).js()
    }

    /// Applies a command: `{ command: 'serve', model: {...}, batch }`, `{ command: 'mine', mode:
    /// 'low' }`, `{ command: 'sleep' }`, `{ command: 'wake' }`, `{ command: 'switch', model, batch,
    /// hostMemory, warmContext }`.
    #[napi(catch_unwind)]
    pub fn command(&self, device: f64, command: args::Value) -> Result<()> {
        let device = safe_int("device", device)?;
        let c = command_from(command.get("command")?)?;
        lock(&self.inner).command(device, c).js()
    }

    /// Applies one command to many devices.
    #[napi(catch_unwind)]
    pub fn command_many(&self, devices: args::Vec<f64>, command: args::Value) -> Result<()> {
        count("devices.length", devices.len() as f64, MAX_FLEET_DEVICES)?;
        let devices = devices
            .iter()
            .enumerate()
            .map(|(i, &d)| safe_int(&format!("devices[{i}]"), d))
            .collect::<Result<Vec<_>>>()?;
        let c = command_from(command.get("command")?)?;
        lock(&self.inner).command_many(&devices, c).js()
    }

    /// Advances one step.
    #[napi(catch_unwind)]
    pub fn step(&self) -> Result<()> {
        lock(&self.inner).step().js()
    }

    /// Advances `steps` steps.
    #[napi(catch_unwind)]
    pub fn run(&self, steps: f64) -> Result<()> {
        let steps = count("steps", steps, MAX_STEPS)?;
        lock(&self.inner).run(steps as u64).js()
    }

    /// `run` on the libuv thread pool: the event loop keeps running; the Promise resolves when
    /// the steps are taken (rejects as `run` throws). Sync calls on this fleet meanwhile wait.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn run_async(&self, steps: f64) -> Result<AsyncTask<Work<(), ()>>> {
        let steps = count("steps", steps, MAX_STEPS)? as u64;
        let fleet = Arc::clone(&self.inner);
        Ok(AsyncTask::new(Work::new(move || lock(&fleet).run(steps), Ok)))
    }

    /// Draws the shares found since the last settlement now.
    #[napi(catch_unwind)]
    pub fn settle(&self) {
        lock(&self.inner).settle();
    }

    /// Changes the room temperature, °C.
    #[napi(catch_unwind)]
    pub fn set_ambient_c(&self, ambient_c: f64) -> Result<()> {
        lock(&self.inner).set_ambient_c(ambient_c).js()
    }

    /// Prices from a seeded synthetic market.
    #[napi(catch_unwind)]
    pub fn set_market_synthetic(&self, seed: f64, config: Option<args::Value>) -> Result<()> {
        let seed = args::seed("seed", seed)?;
        let c: SyntheticConfig = from_js(config, "config")?;
        let m = SyntheticMarket::new(c, seed).js()?;
        lock(&self.inner).set_market(MarketSource::Synthetic(Box::new(m)));
        Ok(())
    }

    /// Prices from the real history in `directory`, time 0 at `start`.
    #[napi(catch_unwind)]
    pub fn set_market_replay(&self, directory: String, start: String) -> Result<()> {
        let r = MarketReplay::from_dir(&directory, &start).js()?;
        lock(&self.inner).set_market(MarketSource::Replay(Box::new(r)));
        Ok(())
    }

    /// Fleet totals per recorded step as TypedArrays.
    #[napi(catch_unwind)]
    pub fn series(&self) -> FleetSeries {
        let s = lock(&self.inner).series().clone();
        FleetSeries {
            time_seconds: s.time_seconds.into(),
            power_watts: s.power_watts.into(),
            gpu_power_watts: s.gpu_power_watts.into(),
            asic_power_watts: s.asic_power_watts.into(),
            hashrate_ths: s.hashrate_ths.into(),
            tokens_per_second: s.tokens_per_second.into(),
            gpus_serving: s.gpus_serving.into(),
            gpus_switching: s.gpus_switching.into(),
            gpus_sleeping: s.gpus_sleeping.into(),
            gpus_faulted: s.gpus_faulted.into(),
            miners_hashing: s.miners_hashing.into(),
            miners_sleeping: s.miners_sleeping.into(),
            devices_throttled: s.devices_throttled.into(),
            max_gpu_temp_c: s.max_gpu_temp_c.into(),
            electricity_usd_per_mwh: s.electricity_usd_per_mwh.into(),
            energy_kwh: s.energy_kwh.into(),
            energy_cost_usd: s.energy_cost_usd.into(),
            mining_revenue_usd: s.mining_revenue_usd.into(),
            gpu_revenue_usd: s.gpu_revenue_usd.into(),
        }
    }

    /// Events as TypedArray columns.
    #[napi(catch_unwind)]
    pub fn events(&self) -> FleetEvents {
        let fleet = lock(&self.inner);
        let e = fleet.events();
        FleetEvents {
            time_seconds: e.iter().map(|x| x.time_seconds).collect::<Vec<_>>().into(),
            device: e.iter().map(|x| x.device).collect::<Vec<_>>().into(),
            kind: e.iter().map(|x| x.kind.code()).collect::<Vec<_>>().into(),
            kind_name: e.iter().map(|x| x.kind.name().to_string()).collect(),
            code: e.iter().map(|x| x.code).collect::<Vec<_>>().into(),
            value: e.iter().map(|x| x.value).collect::<Vec<_>>().into(),
        }
    }

    /// Per-device state as TypedArray columns.
    #[napi(catch_unwind)]
    pub fn devices(&self) -> DeviceColumns {
        let d = lock(&self.inner).devices();
        DeviceColumns {
            kind: d.kind.into(),
            state: d.state.into(),
            power_watts: d.power_watts.into(),
            temp_c: d.temp_c.into(),
            hashrate_ths: d.hashrate_ths.into(),
            tokens_per_second: d.tokens_per_second.into(),
            energy_kwh: d.energy_kwh.into(),
        }
    }

    /// Totals so far (camelCase keys).
    #[napi(catch_unwind)]
    pub fn summary(&self) -> Result<Value> {
        to_js(&lock(&self.inner).summary())
    }

    /// State of a device: `'idle' | 'mining' | 'serving' | 'switching' | 'sleeping' | 'faulted'`.
    #[napi(catch_unwind)]
    pub fn state(&self, device: f64) -> Result<String> {
        Ok(lock(&self.inner).state(safe_int("device", device)?).js()?.name().to_string())
    }

    /// Telemetry of a GPU (camelCase keys).
    #[napi(catch_unwind)]
    pub fn gpu_telemetry(&self, device: f64) -> Result<Value> {
        to_js(&lock(&self.inner).gpu_telemetry(safe_int("device", device)?).js()?)
    }

    /// Prometheus exposition of every GPU with dcgm-exporter names and labels (hosts
    /// `{hostname}-{n}`, eight GPUs each).
    #[napi(catch_unwind)]
    pub fn dcgm_metrics(&self, hostname: Option<String>) -> String {
        lock(&self.inner).dcgm_exposition(hostname.as_deref().unwrap_or("hcp-sim"))
    }

    /// Prometheus exposition of every miner: hashrate, power, temperatures, fans, shares and
    /// errors, per miner and per hash board (miners named `{hostname}-{id}`).
    #[napi(catch_unwind)]
    pub fn miner_metrics(&self, hostname: Option<String>) -> String {
        lock(&self.inner).miner_exposition(hostname.as_deref().unwrap_or("hcp-sim"))
    }

    /// A cgminer API reply of a miner, as an object with the firmware's field names: `command` is
    /// `'version' | 'devs' | 'summary' | 'stats' | 'pools'` or a whole JSON request such as
    /// `'{"command":"stats","new_api":true}'`.
    #[napi(catch_unwind)]
    pub fn cgminer(&self, device: f64, command: Option<String>, when_unix: Option<f64>) -> Result<Value> {
        let device = safe_int("device", device)?;
        let when_unix =
            args::opt_int("whenUnix", when_unix, -(args::MAX_SAFE_INTEGER as i64), args::MAX_SAFE_INTEGER as i64)?;
        lock(&self.inner).cgminer_reply(device, command.as_deref().unwrap_or("summary"), when_unix.unwrap_or(0)).js()
    }

    /// Simulated time, s.
    #[napi(getter)]
    pub fn time_seconds(&self) -> f64 {
        lock(&self.inner).time_seconds()
    }

    /// Number of devices.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        lock(&self.inner).len() as u32
    }
}

fn command_from(command: Value) -> Result<Command> {
    let mut v = snake_keys(command);
    if let Some(model) = v.get("model").cloned() {
        let m = model_from(model)?;
        v["model"] = serde_json::to_value(m).map_err(|e| invalid_input("model", e))?;
    }
    Command::from_json(&v.to_string()).js()
}
