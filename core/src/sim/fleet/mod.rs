//! A fleet of GPUs and miners stepped at a fixed interval, stored as structure-of-arrays.
//!
//! Commands (serve a model at a batch, switch, mine in a mode, sleep, wake) take effect with their
//! real transition times: a GPU switch lasts the phases of [`crate::sim::switch_phases`], a miner
//! sleeps and wakes with its firmware's profile. Each step records fleet totals as columns
//! ([`FleetSeries`]) and logs events (switches, faults, throttling); [`Fleet::devices`] gives
//! per-device columns. The same seed gives bit-identical output.

mod asics;
mod gpus;
pub mod output;

use crate::cancel::CancelToken;
use crate::limits as L;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use self::asics::{chip_relax, AsicColumns, AsicConsts, SHARD};
use self::gpus::{GpuColumns, GpuConsts, GpuPending};
pub use self::output::{DeviceColumns, Event, EventKind, FleetSeries, FleetSummary};
use crate::econ::bitcoin::HASHES_PER_DIFFICULTY;
use crate::error::check;
use crate::sim::asic::miner::{MinerStatus, PoolConfig, ShareCounters};
use crate::sim::asic::physics::btc_per_share;
use crate::sim::asic::spec::{AsicSpec, PowerMode, TransitionProfile};
use crate::sim::faults::{FaultRates, ECC_DBE_XID, FATAL_XIDS, RECOVERABLE_XIDS};
use crate::sim::gpu::decode::{decode, Decode, DecodeOptions, ModelSpec};
use crate::sim::gpu::spec::GpuSpec;
use crate::sim::gpu::switch::{switch_phases, HostMemory, SwitchRequest};
use crate::sim::market::replay::MarketReplay;
use crate::sim::market::synthetic::SyntheticMarket;
use crate::sim::market::{MarketPoint, MarketSeries};
use crate::sim::rng::SimRng;
use crate::sim::telemetry::{cgminer, dcgm, miners};
use crate::{Error, ErrorKind, Result};

/// State of a device (codes are stable for columnar output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Powered, doing nothing.
    Idle,
    /// Hashing.
    Mining,
    /// Serving a model.
    Serving,
    /// Between states (loading, saving, ramping).
    Switching,
    /// Curtailed.
    Sleeping,
    /// Down after a fault.
    Faulted,
}

impl DeviceState {
    /// Stable code: 0 idle, 1 mining, 2 serving, 3 switching, 4 sleeping, 5 faulted.
    pub fn code(self) -> u8 {
        match self {
            DeviceState::Idle => 0,
            DeviceState::Mining => 1,
            DeviceState::Serving => 2,
            DeviceState::Switching => 3,
            DeviceState::Sleeping => 4,
            DeviceState::Faulted => 5,
        }
    }

    /// The state of a code (unknown codes read as idle).
    pub fn from_code(code: u8) -> DeviceState {
        match code {
            1 => DeviceState::Mining,
            2 => DeviceState::Serving,
            3 => DeviceState::Switching,
            4 => DeviceState::Sleeping,
            5 => DeviceState::Faulted,
            _ => DeviceState::Idle,
        }
    }

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Idle => "idle",
            DeviceState::Mining => "mining",
            DeviceState::Serving => "serving",
            DeviceState::Switching => "switching",
            DeviceState::Sleeping => "sleeping",
            DeviceState::Faulted => "faulted",
        }
    }
}

/// A command to one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// GPU: serve `model` at `batch` (a switch with the fleet's default host memory; the process
    /// stays warm once started).
    Serve {
        /// The model.
        model: ModelSpec,
        /// Batch.
        batch: i64,
    },
    /// GPU: switch to `model` at `batch` with explicit host memory and context.
    Switch {
        /// The model.
        model: ModelSpec,
        /// Batch.
        batch: i64,
        /// Host memory of the transfers.
        host_memory: HostMemory,
        /// Keep the serving process (false: cold start).
        warm_context: bool,
    },
    /// Miner: hash in `mode` (sleep is [`Command::Sleep`]).
    Mine {
        /// The mode.
        mode: PowerMode,
    },
    /// Curtail (GPU parks after saving its state; miner sleeps with its firmware's timing).
    Sleep,
    /// Undo a sleep (GPU to idle; miner hashes in normal mode).
    Wake,
}

impl Command {
    /// A command from JSON, e.g. `{"command": "serve", "model": {"params": 8e9,
    /// "bytes_per_param": 2}, "batch": 32}`, `{"command": "mine", "mode": "low"}`,
    /// `{"command": "sleep"}`.
    ///
    /// ```
    /// let c = hcpcore::sim::Command::from_json(r#"{"command":"mine","mode":"low"}"#).unwrap();
    /// assert_eq!(c, hcpcore::sim::Command::Mine { mode: hcpcore::sim::PowerMode::Low });
    /// assert!(hcpcore::sim::Command::from_json(r#"{"command":"dance"}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Command> {
        let c: Command =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("command", format!("malformed: {e}")))?;
        if let Command::Serve { model, .. } | Command::Switch { model, .. } = c {
            model.validated()?;
        }
        Ok(c)
    }
}

/// Configuration of a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Step, s (> 0).
    pub dt_seconds: f64,
    /// Seed of every random process.
    pub seed: u64,
    /// Room air (miner ambient), °C. GPU inlets sit at their fitted inlet plus `ambient − 25`.
    pub ambient_c: f64,
    /// Record fleet totals every this many steps (≥ 1).
    pub record_every_steps: u32,
    /// Shares found are drawn (Poisson, exact in distribution whatever the interval) and the
    /// hashrate wander redrawn every this many simulated seconds; [`Fleet::settle`] draws now.
    pub settle_every_seconds: f64,
    /// Fault rates.
    pub faults: FaultRates,
    /// The pool every miner submits to.
    pub pool: PoolConfig,
    /// Host memory of GPU transfers for `Serve` and sleep.
    pub host_memory: HostMemory,
    /// Tokens of KV cache per live sequence saved when a serving GPU switches or sleeps.
    pub kv_context_tokens: u64,
    /// Keep every event (false: count them only).
    pub keep_events: bool,
    /// Threads that settle the miners' shares (the costly, hourly part of a run) in parallel:
    /// 0 (the default) uses the available cores, at most 8; 1 stays on the caller's thread. The
    /// output does not depend on it: every 4,096 miners draw from their own random stream.
    pub threads: u32,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            dt_seconds: 60.0,
            seed: 0,
            ambient_c: 25.0,
            record_every_steps: 1,
            settle_every_seconds: 3600.0,
            faults: FaultRates::default(),
            pool: PoolConfig::default(),
            host_memory: HostMemory::Pinned,
            kv_context_tokens: 1024,
            keep_events: true,
            threads: 0,
        }
    }
}

impl FleetConfig {
    /// A configuration from JSON; missing fields take their defaults.
    ///
    /// ```
    /// let c = hcpcore::sim::FleetConfig::from_json(r#"{"dt_seconds": 1, "seed": 3}"#).unwrap();
    /// assert_eq!(c.dt_seconds, 1.0);
    /// assert!(hcpcore::sim::FleetConfig::from_json(r#"{"dt_seconds": 0}"#).is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<FleetConfig> {
        let c: FleetConfig =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("config", format!("malformed: {e}")))?;
        c.validated()
    }

    /// Checks every field.
    pub fn validated(self) -> Result<FleetConfig> {
        check::in_range("dt_seconds", self.dt_seconds, L::MIN_DT_SECONDS, L::MAX_DT_SECONDS)?;
        check::in_range("ambient_c", self.ambient_c, -50.0, 80.0)?;
        if self.record_every_steps == 0 {
            return Err(Error::invalid_input("record_every_steps", "must be >= 1"));
        }
        check::in_range("settle_every_seconds", self.settle_every_seconds, L::MIN_DT_SECONDS, 1e12)?;
        if self.threads > 1024 {
            return Err(Error::invalid_input("threads", "must be <= 1024 (0: the available cores)"));
        }
        Ok(FleetConfig { faults: self.faults.validated()?, pool: self.pool.validated()?, ..self })
    }
}

/// Where a fleet's prices come from.
#[derive(Debug, Clone)]
pub enum MarketSource {
    /// No market: energy is counted, nothing is priced.
    None,
    /// A pre-sampled series, one point per step (the last point holds after its end).
    Series(MarketSeries),
    /// A synthetic market stepped with the fleet.
    Synthetic(Box<SyntheticMarket>),
    /// Real history sampled at the fleet's clock.
    Replay(Box<MarketReplay>),
}

/// Hash boards down given a miner's board factor: each chain fault takes `1/boards` of the
/// hashrate, a thermal event at most a tenth (less than one board), so whole boards are counted.
fn failed_boards(board_factor: f64, boards: u32) -> u32 {
    let lost = (1.0 - board_factor.clamp(0.0, 1.0)) * boards as f64;
    ((lost + 0.05).floor() as u32).min(boards)
}

/// Telemetry of one simulated GPU (the fields dcgm-exporter publishes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpuTelemetry {
    /// Device id in the fleet.
    pub device: u32,
    /// Index among the fleet's GPUs (`gpu` label).
    pub gpu_index: u32,
    /// State.
    pub state: DeviceState,
    /// Power, W.
    pub power_watts: f64,
    /// Energy since start, J.
    pub energy_joules: f64,
    /// GPU temperature, °C.
    pub gpu_temp_c: f64,
    /// HBM temperature, °C.
    pub memory_temp_c: f64,
    /// SM clock, MHz.
    pub sm_clock_mhz: f64,
    /// Memory clock, MHz.
    pub memory_clock_mhz: f64,
    /// GPU utilisation, %.
    pub gpu_util_pct: f64,
    /// Memory copy utilisation, %.
    pub mem_copy_util_pct: f64,
    /// Tensor pipe activity, 0–1.
    pub tensor_active: f64,
    /// DRAM activity, 0–1.
    pub dram_active: f64,
    /// Framebuffer used, MiB.
    pub fb_used_mib: f64,
    /// Framebuffer free, MiB.
    pub fb_free_mib: f64,
    /// Last XID (0 if none).
    pub last_xid: u32,
    /// XIDs since start.
    pub xid_count: u32,
    /// Correctable ECC errors since start.
    pub ecc_sbe: u32,
    /// Uncorrectable ECC errors since start.
    pub ecc_dbe: u32,
    /// Clock-event reasons bitmask.
    pub clocks_event_reasons: u64,
    /// Power limit, W.
    pub power_limit_watts: f64,
    /// Tokens generated per second.
    pub tokens_per_second: f64,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Gpu(u32),
    Asic(u32),
}

/// A fleet of simulated devices.
///
/// ```
/// use hcpcore::sim::{Command, Fleet, FleetConfig, ModelSpec, PowerMode};
/// let mut fleet = Fleet::new(FleetConfig { dt_seconds: 1.0, seed: 7, ..Default::default() }).unwrap();
/// let gpu = fleet.add_gpu("sxm").unwrap();
/// let miner = fleet.add_miner("S21").unwrap();
/// fleet.command(gpu, Command::Serve { model: ModelSpec::new(8e9, 2.0).unwrap(), batch: 32 }).unwrap();
/// fleet.command(miner, Command::Mine { mode: PowerMode::Low }).unwrap();
/// fleet.run(120).unwrap();
/// assert!(fleet.series().tokens_per_second.last().unwrap() > &1000.0);
/// assert_eq!(fleet.command(99, Command::Sleep).unwrap_err().kind(), hcpcore::ErrorKind::NotFound);
/// ```
#[derive(Debug)]
pub struct Fleet {
    config: FleetConfig,
    slots: Vec<Slot>,
    gpu_consts: Vec<GpuConsts>,
    asic_consts: Vec<AsicConsts>,
    gpus: GpuColumns,
    asics: AsicColumns,
    decode_cache: HashMap<(u16, [u64; 4], i64), Decode>,
    market: MarketSource,
    market_now: Option<MarketPoint>,
    rng_faults: SimRng,
    /// One share stream per shard of miners (see [`FleetConfig::threads`]).
    rng_shares: Vec<SimRng>,
    threads: usize,
    steps: u64,
    time_seconds: f64,
    settle_every_steps: u64,
    series: FleetSeries,
    events: Vec<Event>,
    event_count: u64,
    energy_j: f64,
    energy_cost_usd: f64,
    gpu_revenue_usd: f64,
    tokens: f64,
}

impl Fleet {
    /// An empty fleet.
    pub fn new(config: FleetConfig) -> Result<Fleet> {
        let config = config.validated()?;
        let settle_every_steps = (config.settle_every_seconds / config.dt_seconds).round().max(1.0) as u64;
        Ok(Fleet {
            rng_faults: SimRng::new(config.seed, 0xFA17),
            rng_shares: Vec::new(),
            threads: match config.threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()).min(8),
                t => t as usize,
            },
            config,
            slots: Vec::new(),
            gpu_consts: Vec::new(),
            asic_consts: Vec::new(),
            gpus: GpuColumns::default(),
            asics: AsicColumns::default(),
            decode_cache: HashMap::new(),
            market: MarketSource::None,
            market_now: None,
            steps: 0,
            time_seconds: 0.0,
            settle_every_steps,
            series: FleetSeries::default(),
            events: Vec::new(),
            event_count: 0,
            energy_j: 0.0,
            energy_cost_usd: 0.0,
            gpu_revenue_usd: 0.0,
            tokens: 0.0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FleetConfig {
        &self.config
    }

    fn next_id(&self) -> Result<u32> {
        if self.slots.len() >= L::MAX_FLEET_DEVICES {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!("fleet: at most {} devices (hcpcore::limits::MAX_FLEET_DEVICES)", L::MAX_FLEET_DEVICES),
            ));
        }
        Ok(self.slots.len() as u32)
    }

    fn inlet_offset(&self) -> f64 {
        self.config.ambient_c - 25.0
    }

    /// Adds an idle GPU of a built-in profile (`"sxm"`, `"pcie"`); returns its device id (ids are
    /// 0, 1, 2, … in the order devices are added; signed so a negative id is reported, not wrapped).
    pub fn add_gpu(&mut self, variant: &str) -> Result<i64> {
        self.add_gpu_spec(&GpuSpec::by_name(variant)?)
    }

    /// Adds an idle GPU with a custom spec.
    pub fn add_gpu_spec(&mut self, spec: &GpuSpec) -> Result<i64> {
        let spec = spec.clone().validated()?;
        let id = self.next_id()?;
        let index = match self.gpu_consts.iter().position(|c| c.spec == spec) {
            Some(i) => i,
            None => {
                self.gpu_consts.push(GpuConsts::new(&spec, self.config.dt_seconds, self.inlet_offset()));
                self.gpu_consts.len() - 1
            }
        };
        let index = u16::try_from(index).map_err(|_| Error::invalid_input("spec", "too many distinct GPU specs"))?;
        self.gpus.push(id, index, &self.gpu_consts[index as usize]);
        self.slots.push(Slot::Gpu(self.gpus.len() as u32 - 1));
        Ok(id as i64)
    }

    /// Adds a miner of a catalog model (`"S21"`, `"S21 XP"`, …) hashing in normal mode. A
    /// suffix picks the firmware's sleep/wake timing: `"S21@luxos"` (~25 W within 5 s, full
    /// hashrate within 10 s) or `"S21@stock"` (the default: a minute or more).
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// assert!(fleet.add_miner("S21 XP@luxos").is_ok());
    /// assert!(fleet.add_miner("S21@braiins").is_err());
    /// ```
    pub fn add_miner(&mut self, model: &str) -> Result<i64> {
        let (name, profile) = match model.split_once('@') {
            Some((name, profile)) => (name, TransitionProfile::by_name(profile.trim())?),
            None => (model, TransitionProfile::stock()),
        };
        let spec = AsicSpec { transitions: profile, ..AsicSpec::by_name(name.trim())? };
        self.add_miner_spec(&spec)
    }

    /// Adds a miner with a custom spec.
    pub fn add_miner_spec(&mut self, spec: &AsicSpec) -> Result<i64> {
        let spec = spec.clone().validated()?;
        let id = self.next_id()?;
        let index = match self.asic_consts.iter().position(|c| c.spec == spec) {
            Some(i) => i,
            None => {
                let chip = chip_relax(&spec, self.config.dt_seconds);
                let sleep_ratio = spec.sleep_watts / spec.power_watts;
                self.asic_consts.push(AsicConsts { spec, chip_relax: chip, sleep_ratio });
                self.asic_consts.len() - 1
            }
        };
        let index = u16::try_from(index).map_err(|_| Error::invalid_input("spec", "too many distinct miner specs"))?;
        self.asics.push(id, index, &self.asic_consts[index as usize], self.config.ambient_c);
        self.slots.push(Slot::Asic(self.asics.len() as u32 - 1));
        Ok(id as i64)
    }

    /// Adds `count` GPUs and `miners` miners of one kind each; returns the first new id.
    pub fn add_many(&mut self, gpu_variant: &str, gpus: u32, miner_model: &str, miners: u32) -> Result<i64> {
        let room = L::MAX_FLEET_DEVICES.saturating_sub(self.slots.len());
        L::count("gpus", gpus as i128, room)?;
        L::count("miners", miners as i128, room - gpus as usize)?;
        let first = self.next_id()? as i64;
        let gspec = GpuSpec::by_name(gpu_variant)?;
        let aspec = AsicSpec::by_name(miner_model)?;
        for _ in 0..gpus {
            self.add_gpu_spec(&gspec)?;
        }
        for _ in 0..miners {
            self.add_miner_spec(&aspec)?;
        }
        Ok(first)
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the fleet has no devices.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Sets where prices come from (from the next step on).
    pub fn set_market(&mut self, market: MarketSource) {
        self.market = market;
    }

    /// Changes the room temperature; miners derate or stop, GPU inlets follow.
    pub fn set_ambient_c(&mut self, ambient_c: f64) -> Result<()> {
        self.config.ambient_c = check::in_range("ambient_c", ambient_c, -50.0, 80.0)?;
        let offset = self.inlet_offset();
        for c in &mut self.gpu_consts {
            c.inlet_c = c.spec.thermal.inlet_temp_c + offset;
        }
        for g in 0..self.gpus.len() {
            self.gpus.unsettle(g);
        }
        let mut events = Vec::new();
        self.asics.set_ambient(&self.asic_consts, ambient_c, self.time_seconds, &mut events);
        self.log(events);
        Ok(())
    }

    fn log(&mut self, events: Vec<Event>) {
        self.event_count += events.len() as u64;
        if self.config.keep_events {
            self.events.extend(events);
        }
    }

    fn slot(&self, device: i64) -> Result<Slot> {
        usize::try_from(device)
            .ok()
            .and_then(|d| self.slots.get(d).copied())
            .ok_or_else(|| Error::not_found("device", device))
    }

    fn cached_decode(&mut self, spec_index: u16, model: &ModelSpec, batch: i64) -> Result<Decode> {
        let key = (
            spec_index,
            [
                model.params.to_bits(),
                model.bytes_per_param.to_bits(),
                model.layers.map_or(0, |l| {
                    (l.layers as u64) << 48 ^ (l.hidden as u64) << 32 ^ (l.intermediate as u64) << 8 ^ l.kv_heads as u64
                }),
                model.kv_bytes_per_element.map_or(0, f64::to_bits),
            ],
            batch,
        );
        if let Some(d) = self.decode_cache.get(&key) {
            return Ok(*d);
        }
        let c = &self.gpu_consts[spec_index as usize];
        let d = decode(&c.spec, model, batch, DecodeOptions::default(), c.inlet_c)?;
        self.decode_cache.insert(key, d);
        Ok(d)
    }

    /// Applies a command to `device`. Errors: `NotFound` for a missing device, `InvalidInput`
    /// for a command the device cannot take (serve on a miner, mine on a GPU, bad batch),
    /// `OutOfMemory` for a model that does not fit, `IllegalTransition` for a faulted device.
    pub fn command(&mut self, device: i64, command: Command) -> Result<()> {
        let slot = self.slot(device)?;
        let time = self.time_seconds;
        let mut events = Vec::new();
        match slot {
            Slot::Gpu(g) => self.command_gpu(g as usize, command, time, &mut events)?,
            Slot::Asic(a) => self.command_asic(a as usize, command, time, &mut events)?,
        }
        self.log(events);
        Ok(())
    }

    /// Applies one command to many devices; stops at the first error (earlier ones stay applied).
    pub fn command_many(&mut self, devices: &[i64], command: Command) -> Result<()> {
        for &d in devices {
            self.command(d, command)?;
        }
        Ok(())
    }

    fn command_gpu(&mut self, g: usize, command: Command, time: f64, events: &mut Vec<Event>) -> Result<()> {
        let id = self.gpus.id[g];
        self.gpus.unsettle(g);
        if self.gpus.state[g] == DeviceState::Faulted.code() {
            return Err(Error::new(ErrorKind::IllegalTransition, format!("device {id}: faulted, waiting for reset")));
        }
        let (model, batch, host, warm) = match command {
            Command::Serve { model, batch } => (model, batch, self.config.host_memory, self.gpus.warm[g]),
            Command::Switch { model, batch, host_memory, warm_context } => (model, batch, host_memory, warm_context),
            Command::Mine { .. } => {
                return Err(Error::invalid_input("command", format!("device {id} is a GPU: it cannot mine")))
            }
            Command::Sleep => {
                let spec_index = self.gpus.spec[g] as usize;
                let x = &self.gpu_consts[spec_index].spec.transfer;
                let d2h = match self.config.host_memory {
                    HostMemory::Pinned => x.d2h_pinned_bytes_per_second,
                    HostMemory::Pageable => x.d2h_pageable_bytes_per_second,
                };
                let seconds = self.gpus.kv_bytes[g] / d2h + x.free_seconds;
                self.gpus.pending[g] =
                    GpuPending { state: DeviceState::Sleeping.code(), clock: 1.0, ..Default::default() };
                self.begin_gpu_transition(g, seconds, time, events, EventKind::SleepStarted);
                self.gpus.warm[g] = false;
                return Ok(());
            }
            Command::Wake => {
                if self.gpus.state[g] != DeviceState::Sleeping.code() {
                    return Ok(());
                }
                let x = &self.gpu_consts[self.gpus.spec[g] as usize].spec.transfer;
                let seconds = x.cold_context_seconds;
                self.gpus.pending[g] = GpuPending { state: DeviceState::Idle.code(), clock: 1.0, ..Default::default() };
                self.begin_gpu_transition(g, seconds, time, events, EventKind::WakeStarted);
                return Ok(());
            }
        };
        let spec_index = self.gpus.spec[g];
        let d = self.cached_decode(spec_index, &model, batch)?;
        let c = &self.gpu_consts[spec_index as usize];
        let kv_now = self.gpus.kv_bytes[g];
        let request = SwitchRequest {
            kv_bytes: kv_now,
            weights_bytes: d.weights_bytes,
            clear_bytes: Some(self.gpus.weights_bytes[g] + kv_now),
            host_memory: host,
            warm_context: warm,
            first_step: None,
        };
        let phases = switch_phases(&c.spec, &request)?;
        let f = d.sm_clock_mhz / c.spec.max_sm_clock_mhz;
        let dram_watts = c.spec.power.memory_watts * d.dram_activity;
        self.gpus.pending[g] = GpuPending {
            state: DeviceState::Serving.code(),
            dyn_core: c.decode_core_watts(d.tensor_activity, f),
            dyn_mem: dram_watts,
            tokens_per_second: d.tokens_per_second,
            clock: f,
            weights_bytes: d.weights_bytes,
            kv_bytes: d.kv_bytes_per_token * d.batch as f64 * self.config.kv_context_tokens as f64,
        };
        let total = phases.total_seconds - phases.first_step_seconds + d.step_seconds;
        self.gpus.warm[g] = true;
        self.begin_gpu_transition(g, total, time, events, EventKind::SwitchStarted);
        Ok(())
    }

    fn begin_gpu_transition(&mut self, g: usize, seconds: f64, time: f64, events: &mut Vec<Event>, kind: EventKind) {
        events.push(Event { time_seconds: time, device: self.gpus.id[g], kind, code: 0, value: seconds });
        // During a transition the card runs nothing: idle power, no tokens.
        self.gpus.state[g] = DeviceState::Switching.code();
        self.gpus.dyn_core[g] = 0.0;
        self.gpus.dyn_mem[g] = 0.0;
        self.gpus.tokens_per_second[g] = 0.0;
        if seconds <= 0.0 {
            self.gpus.finish_transition(g, time, events);
        } else {
            self.gpus.timer[g] = seconds;
        }
    }

    fn command_asic(&mut self, a: usize, command: Command, time: f64, events: &mut Vec<Event>) -> Result<()> {
        let id = self.asics.id[a];
        let c = &self.asic_consts[self.asics.spec[a] as usize];
        let t = c.spec.transitions;
        let asleep = self.asics.mode[a] == PowerMode::Sleep.code();
        let (mode, delay, ramp, kind) = match command {
            Command::Serve { .. } | Command::Switch { .. } => {
                return Err(Error::invalid_input("command", format!("device {id} is a miner: it cannot serve a model")))
            }
            Command::Mine { mode: PowerMode::Sleep } | Command::Sleep => {
                (PowerMode::Sleep, t.sleep_delay_seconds, t.sleep_ramp_seconds, EventKind::SleepStarted)
            }
            Command::Mine { mode } if asleep => {
                (mode, t.wake_delay_seconds, t.wake_ramp_seconds, EventKind::WakeStarted)
            }
            Command::Mine { mode } => (mode, 0.0, t.sleep_ramp_seconds, EventKind::ModeChanged),
            Command::Wake if asleep => {
                (PowerMode::Normal, t.wake_delay_seconds, t.wake_ramp_seconds, EventKind::WakeStarted)
            }
            Command::Wake => return Ok(()),
        };
        let c = c.clone();
        self.asics.start_move(a, &c, mode, self.config.ambient_c, delay, ramp);
        events.push(Event { time_seconds: time, device: id, kind, code: mode.code() as u32, value: delay + ramp });
        Ok(())
    }

    fn advance_market(&mut self) -> Result<Option<MarketPoint>> {
        let dt = self.config.dt_seconds;
        let t = self.time_seconds;
        Ok(match &mut self.market {
            MarketSource::None => None,
            MarketSource::Series(s) => s.point(self.steps as usize),
            MarketSource::Synthetic(m) => {
                let p = if self.steps == 0 { m.point() } else { m.step(dt)? };
                Some(p)
            }
            MarketSource::Replay(r) => Some(r.at(t)?),
        })
    }

    fn inject_faults(&mut self, time: f64, events: &mut Vec<Event>) {
        let hours = self.config.dt_seconds / 3600.0;
        let f = self.config.faults;
        let n_gpu = self.gpus.len() as u64;
        let n_asic = self.asics.len() as u64;
        let n_all = n_gpu + n_asic;
        let kinds = [
            (f.gpu_xid_fatal_per_hour, 0u8),
            (f.gpu_xid_recoverable_per_hour, 1),
            (f.gpu_ecc_uncorrectable_per_hour, 2),
            (f.gpu_ecc_correctable_per_hour, 3),
        ];
        if n_gpu > 0 {
            for (rate, kind) in kinds {
                let n = self.rng_faults.poisson(rate * hours * n_gpu as f64);
                for _ in 0..n {
                    let g = self.rng_faults.below(n_gpu) as usize;
                    self.gpu_fault(g, kind, time, events);
                }
            }
        }
        if n_all > 0 {
            let n = self.rng_faults.poisson(f.thermal_event_per_hour * hours * n_all as f64);
            for _ in 0..n {
                let d = self.rng_faults.below(n_all) as usize;
                let id = self.slots_id(d);
                match self.slots[d] {
                    Slot::Gpu(g) => {
                        self.gpus.unsettle(g as usize);
                        self.gpus.cooling[g as usize] = f.thermal_event_resistance_factor;
                        self.gpus.cooling_timer[g as usize] = f.thermal_event_seconds;
                    }
                    Slot::Asic(a) => {
                        // A miner's fans react: the chips run hotter and the firmware derates as
                        // if the air were hotter by the lost cooling headroom.
                        let a = a as usize;
                        self.asics.board_factor[a] = self.asics.board_factor[a].min(0.9);
                        let seconds = self.asics.board_timer[a].max(f.thermal_event_seconds);
                        let ratio = self.asic_consts[self.asics.spec[a] as usize].sleep_ratio;
                        self.asics.start_board_timer(a, seconds, ratio);
                    }
                }
                events.push(Event {
                    time_seconds: time,
                    device: id,
                    kind: EventKind::ThermalEvent,
                    code: 0,
                    value: f.thermal_event_seconds,
                });
            }
        }
        if n_asic > 0 {
            let n = self.rng_faults.poisson(f.asic_chain_fault_per_hour * hours * n_asic as f64);
            for _ in 0..n {
                let a = self.rng_faults.below(n_asic) as usize;
                let boards = self.asic_consts[self.asics.spec[a] as usize].spec.hash_boards as f64;
                self.asics.board_factor[a] = (self.asics.board_factor[a] - 1.0 / boards).max(0.0);
                let ratio = self.asic_consts[self.asics.spec[a] as usize].sleep_ratio;
                self.asics.start_board_timer(a, f.asic_repair_seconds, ratio);
                events.push(Event {
                    time_seconds: time,
                    device: self.asics.id[a],
                    kind: EventKind::ChainFault,
                    code: 0,
                    value: f.asic_repair_seconds,
                });
            }
        }
    }

    fn slots_id(&self, index: usize) -> u32 {
        index as u32
    }

    fn gpu_fault(&mut self, g: usize, kind: u8, time: f64, events: &mut Vec<Event>) {
        let id = self.gpus.id[g];
        self.gpus.unsettle(g);
        let f = self.config.faults;
        match kind {
            3 => {
                self.gpus.ecc_sbe[g] += 1;
                events.push(Event {
                    time_seconds: time,
                    device: id,
                    kind: EventKind::EccCorrectable,
                    code: 0,
                    value: 0.0,
                });
            }
            0 | 2 => {
                let xid = if kind == 2 {
                    self.gpus.ecc_dbe[g] += 1;
                    events.push(Event {
                        time_seconds: time,
                        device: id,
                        kind: EventKind::EccUncorrectable,
                        code: ECC_DBE_XID,
                        value: 0.0,
                    });
                    ECC_DBE_XID
                } else {
                    FATAL_XIDS[self.rng_faults.below(FATAL_XIDS.len() as u64) as usize]
                };
                self.gpus.last_xid[g] = xid;
                self.gpus.xid_count[g] += 1;
                events.push(Event {
                    time_seconds: time,
                    device: id,
                    kind: EventKind::XidError,
                    code: xid,
                    value: f.gpu_reset_seconds,
                });
                // Down until reset; the workload and its process are gone.
                self.gpus.state[g] = DeviceState::Faulted.code();
                self.gpus.pending[g] = GpuPending { state: DeviceState::Idle.code(), clock: 1.0, ..Default::default() };
                self.gpus.timer[g] = f.gpu_reset_seconds.max(f64::MIN_POSITIVE);
                self.gpus.dyn_core[g] = 0.0;
                self.gpus.dyn_mem[g] = 0.0;
                self.gpus.tokens_per_second[g] = 0.0;
                self.gpus.warm[g] = false;
            }
            _ => {
                let xid = RECOVERABLE_XIDS[self.rng_faults.below(RECOVERABLE_XIDS.len() as u64) as usize];
                self.gpus.last_xid[g] = xid;
                self.gpus.xid_count[g] += 1;
                events.push(Event { time_seconds: time, device: id, kind: EventKind::XidError, code: xid, value: 0.0 });
                // The serving process dies and restarts cold: context start plus reloading weights.
                if self.gpus.state[g] == DeviceState::Serving.code() {
                    let c = &self.gpu_consts[self.gpus.spec[g] as usize].spec.transfer;
                    let h2d = match self.config.host_memory {
                        HostMemory::Pinned => c.h2d_pinned_bytes_per_second,
                        HostMemory::Pageable => c.h2d_pageable_bytes_per_second,
                    };
                    let seconds = c.cold_import_seconds + c.cold_context_seconds + self.gpus.weights_bytes[g] / h2d;
                    let pending = GpuPending {
                        state: DeviceState::Serving.code(),
                        dyn_core: self.gpus.dyn_core[g],
                        dyn_mem: self.gpus.dyn_mem[g],
                        tokens_per_second: self.gpus.tokens_per_second[g],
                        clock: self.gpus.clock[g],
                        weights_bytes: self.gpus.weights_bytes[g],
                        kv_bytes: self.gpus.kv_bytes[g],
                    };
                    self.gpus.pending[g] = pending;
                    self.begin_gpu_transition(g, seconds, time, events, EventKind::SwitchStarted);
                }
            }
        }
    }

    /// Advances one step.
    pub fn step(&mut self) -> Result<()> {
        let dt = self.config.dt_seconds;
        let market = self.advance_market()?;
        self.market_now = market;
        let time = self.time_seconds + dt;
        let mut events = std::mem::take(&mut self.events);
        let before = events.len();
        self.inject_faults(time, &mut events);
        let g = self.gpus.step(&self.gpu_consts, dt, time, &mut events);
        let pool = &self.config.pool;
        let share_rate = 1e12 / (pool.share_difficulty * HASHES_PER_DIFFICULTY);
        let (btc_share, usd_share, price_mwh, gpu_rate) = match market.and_then(|p| p.to_market().ok().map(|m| (p, m)))
        {
            Some((p, m)) => {
                let btc = btc_per_share(pool.share_difficulty, &m) * (1.0 - pool.pool_fee);
                (btc, btc * m.btc_usd(), p.electricity_usd_per_mwh, p.gpu_usd_per_hour)
            }
            None => (0.0, 0.0, 0.0, 0.0),
        };
        let a = self.asics.step(&self.asic_consts, dt, time, share_rate, btc_share, usd_share, &mut events);
        self.steps += 1;
        self.time_seconds = time;
        if self.steps.is_multiple_of(self.settle_every_steps) {
            self.settle();
        }
        let power = g.power + a.power;
        self.energy_j += power * dt;
        self.energy_cost_usd += power * dt / 3.6e9 * price_mwh;
        self.gpu_revenue_usd += g.serving as f64 * gpu_rate * dt / 3600.0;
        self.tokens += g.tokens_per_second * dt;
        let new_events = (events.len() - before) as u64;
        self.event_count += new_events;
        if !self.config.keep_events {
            events.truncate(before);
        }
        self.events = events;
        if self.steps.is_multiple_of(self.config.record_every_steps as u64) {
            let s = &mut self.series;
            s.time_seconds.push(time);
            s.power_watts.push(power);
            s.gpu_power_watts.push(g.power);
            s.asic_power_watts.push(a.power);
            s.hashrate_ths.push(a.hashrate);
            s.tokens_per_second.push(g.tokens_per_second);
            s.gpus_serving.push(g.serving);
            s.gpus_switching.push(g.switching);
            s.gpus_sleeping.push(g.sleeping);
            s.gpus_faulted.push(g.faulted);
            s.miners_hashing.push(a.hashing);
            s.miners_sleeping.push(a.sleeping);
            s.devices_throttled.push(g.throttled + a.throttled);
            s.max_gpu_temp_c.push(if self.gpus.len() > 0 { g.max_temp_c } else { 0.0 });
            s.electricity_usd_per_mwh.push(price_mwh);
            s.energy_kwh.push(self.energy_j / 3.6e6);
            s.energy_cost_usd.push(self.energy_cost_usd);
            s.mining_revenue_usd.push(self.asics.earned_usd_total);
            s.gpu_revenue_usd.push(self.gpu_revenue_usd);
        }
        Ok(())
    }

    /// Draws every miner's shares found since the last settlement now (e.g. before reading
    /// cgminer counters between settlements).
    pub fn settle(&mut self) {
        // Shard 0 draws from the fleet's share stream; shard k from its own.
        let shards = self.asics.len().div_ceil(SHARD);
        while self.rng_shares.len() < shards {
            let k = self.rng_shares.len() as u64;
            self.rng_shares.push(SimRng::new(self.config.seed, 0x5A2E + (k << 32)));
        }
        self.asics.settle(&self.asic_consts, &mut self.rng_shares, self.threads);
    }

    /// Advances `steps` steps (at most `hcpcore::limits::MAX_STEPS` per call).
    pub fn run(&mut self, steps: u64) -> Result<()> {
        self.run_cancellable(steps, &CancelToken::new()).map(|_| ())
    }

    /// Advances up to `steps` steps, checking `cancel` before each one, and returns the steps
    /// taken: fewer than `steps` only when `cancel` was set. The fleet has then taken whole steps
    /// only and can be read or run on.
    ///
    /// ```
    /// use hcpcore::{cancel::CancelToken, sim::{Fleet, FleetConfig}};
    /// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
    /// let cancel = CancelToken::new();
    /// assert_eq!(fleet.run_cancellable(3, &cancel).unwrap(), 3);
    /// cancel.cancel();
    /// assert_eq!(fleet.run_cancellable(1_000, &cancel).unwrap(), 0);
    /// assert_eq!(fleet.steps(), 3);
    /// ```
    pub fn run_cancellable(&mut self, steps: u64, cancel: &CancelToken) -> Result<u64> {
        L::count("steps", steps as i128, L::MAX_STEPS)?;
        for taken in 0..steps {
            if cancel.is_cancelled() {
                return Ok(taken);
            }
            self.step()?;
        }
        Ok(steps)
    }

    /// Simulated time, s.
    pub fn time_seconds(&self) -> f64 {
        self.time_seconds
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The recorded fleet totals.
    pub fn series(&self) -> &FleetSeries {
        &self.series
    }

    /// Events logged so far (empty when `keep_events` is off).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Drops the recorded series and events (e.g. after reading them), keeping the state.
    pub fn clear_output(&mut self) {
        self.series = FleetSeries::default();
        self.events.clear();
    }

    /// The market point of the last step, if a market is set.
    pub fn market_now(&self) -> Option<MarketPoint> {
        self.market_now
    }

    /// Per-device state as columns (index = device id).
    pub fn devices(&self) -> DeviceColumns {
        let n = self.slots.len();
        let mut d = DeviceColumns {
            kind: Vec::with_capacity(n),
            state: Vec::with_capacity(n),
            power_watts: Vec::with_capacity(n),
            temp_c: Vec::with_capacity(n),
            hashrate_ths: Vec::with_capacity(n),
            tokens_per_second: Vec::with_capacity(n),
            energy_kwh: Vec::with_capacity(n),
        };
        for slot in &self.slots {
            match *slot {
                Slot::Gpu(g) => {
                    let g = g as usize;
                    d.kind.push(0);
                    d.state.push(self.gpus.state[g]);
                    d.power_watts.push(self.gpus.power[g]);
                    d.temp_c.push(self.gpus.sink_c[g] + self.gpus.core_rise_c[g]);
                    d.hashrate_ths.push(0.0);
                    let serving = self.gpus.state[g] == DeviceState::Serving.code();
                    d.tokens_per_second.push(if serving { self.gpus.tokens_per_second[g] } else { 0.0 });
                    d.energy_kwh.push(self.gpus.energy_now(g) / 3.6e6);
                }
                Slot::Asic(a) => {
                    let a = a as usize;
                    d.kind.push(1);
                    d.state.push(self.asics.state[a]);
                    d.power_watts.push(self.asics.power[a]);
                    d.temp_c.push(self.asics.chip_c[a]);
                    d.hashrate_ths.push(self.asics.h_eff[a]);
                    d.tokens_per_second.push(0.0);
                    d.energy_kwh.push(self.asics.energy_now(a) / 3.6e6);
                }
            }
        }
        d
    }

    /// State of one device.
    pub fn state(&self, device: i64) -> Result<DeviceState> {
        Ok(DeviceState::from_code(match self.slot(device)? {
            Slot::Gpu(g) => self.gpus.state[g as usize],
            Slot::Asic(a) => self.asics.state[a as usize],
        }))
    }

    /// Telemetry of a GPU (`NotFound` for a missing device, `InvalidInput` for a miner).
    pub fn gpu_telemetry(&self, device: i64) -> Result<GpuTelemetry> {
        let Slot::Gpu(g) = self.slot(device)? else {
            return Err(Error::invalid_input("device", format!("device {device} is a miner")));
        };
        let g = g as usize;
        let c = &self.gpu_consts[self.gpus.spec[g] as usize];
        let spec = &c.spec;
        let serving = self.gpus.state[g] == DeviceState::Serving.code();
        let busy = serving || self.gpus.state[g] == DeviceState::Switching.code();
        let used =
            spec.memory_reserved_bytes + if busy { self.gpus.weights_bytes[g] + self.gpus.kv_bytes[g] } else { 0.0 };
        let mib = 1024.0 * 1024.0;
        let dram = self.gpus.dyn_mem[g] / spec.power.memory_watts.max(f64::MIN_POSITIVE);
        let f = self.gpus.clock[g];
        let tensor = if serving {
            // Invert the die power law for the busy share at clock f.
            let v = spec.power.voltage_floor + (1.0 - spec.power.voltage_floor) * f;
            (self.gpus.dyn_core[g] / (spec.power.compute_watts * f * v * v).max(f64::MIN_POSITIVE)).min(1.0)
        } else {
            0.0
        };
        Ok(GpuTelemetry {
            device: self.gpus.id[g],
            gpu_index: g as u32,
            state: DeviceState::from_code(self.gpus.state[g]),
            power_watts: self.gpus.power[g],
            energy_joules: self.gpus.energy_now(g),
            gpu_temp_c: self.gpus.sink_c[g] + self.gpus.core_rise_c[g],
            memory_temp_c: self.gpus.sink_c[g] + self.gpus.mem_rise_c[g],
            sm_clock_mhz: if serving { f * spec.max_sm_clock_mhz } else { spec.max_sm_clock_mhz },
            memory_clock_mhz: spec.memory_clock_mhz,
            gpu_util_pct: if serving { 100.0 } else { 0.0 },
            mem_copy_util_pct: (dram * 100.0).round(),
            tensor_active: tensor,
            dram_active: dram,
            fb_used_mib: (used / mib).round(),
            fb_free_mib: ((spec.memory_total_bytes - used) / mib).round(),
            last_xid: self.gpus.last_xid[g],
            xid_count: self.gpus.xid_count[g],
            ecc_sbe: self.gpus.ecc_sbe[g],
            ecc_dbe: self.gpus.ecc_dbe[g],
            clocks_event_reasons: self.gpus.reasons[g] as u64,
            power_limit_watts: spec.power.limit_watts,
            tokens_per_second: if serving { self.gpus.tokens_per_second[g] } else { 0.0 },
        })
    }

    /// Status of a miner as its cgminer API reports it (`NotFound` / `InvalidInput` for a GPU).
    pub fn miner_status(&self, device: i64) -> Result<MinerStatus> {
        let Slot::Asic(a) = self.slot(device)? else {
            return Err(Error::invalid_input("device", format!("device {device} is a GPU")));
        };
        let a = a as usize;
        let spec = &self.asic_consts[self.asics.spec[a] as usize].spec;
        let ambient = self.config.ambient_c;
        let chip = self.asics.chip_c[a];
        let mode = match self.asics.mode[a] {
            1 => PowerMode::Low,
            2 => PowerMode::High,
            3 => PowerMode::Sleep,
            _ => PowerMode::Normal,
        };
        let elapsed = self.time_seconds;
        Ok(MinerStatus {
            product_name: spec.product_name.clone(),
            elapsed_seconds: elapsed,
            hashrate_ths: self.asics.h_eff[a],
            hashrate_avg_ths: if elapsed > 0.0 { self.asics.terahashes_now(a) / elapsed } else { 0.0 },
            hashrate_ideal_ths: spec.hashrate_ths * spec.mode_factors(mode).hashrate,
            power_watts: self.asics.power[a],
            chip_temp_c: chip,
            board_temp_c: ambient + spec.board_rise_share * (chip - ambient),
            fan_rpm: vec![self.asics.target[a].fan_rpm; spec.fans as usize],
            hash_boards: spec.hash_boards,
            chips_per_board: spec.chips_per_board,
            failed_boards: failed_boards(self.asics.board_factor[a], spec.hash_boards),
            mode,
            shares: ShareCounters {
                accepted: self.asics.accepted[a],
                rejected: self.asics.rejected[a],
                stale: self.asics.stale[a],
                hardware_errors: self.asics.hw_errors[a],
                earned_btc: self.asics.earned_btc[a],
                earned_usd: self.asics.earned_usd[a],
                total_terahashes: self.asics.terahashes_now(a),
            },
            pool: self.config.pool.clone(),
        })
    }

    /// The Prometheus exposition of every GPU with dcgm-exporter's names and labels. GPUs are
    /// numbered 0–7 per host, hosts named `{hostname}-{n}` (eight GPUs to a host, as in an HGX
    /// server).
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// fleet.add_many("sxm", 9, "S21", 0).unwrap();
    /// fleet.step().unwrap();
    /// let text = fleet.dcgm_exposition("node");
    /// assert!(text.contains("Hostname=\"node-1\""));
    /// ```
    pub fn dcgm_exposition(&self, hostname: &str) -> String {
        let gpus: Vec<_> = (0..self.slots.len() as i64)
            .filter_map(|id| self.gpu_telemetry(id).ok())
            .map(|t| {
                let host = format!("{hostname}-{}", t.gpu_index / 8);
                let spec = &self.gpu_consts[self.gpus.spec[t.gpu_index as usize] as usize].spec;
                (dcgm::GpuLabels::new(t.gpu_index, &spec.product_name, &host), t)
            })
            .collect();
        dcgm::exposition(&gpus)
    }

    /// A miner's cgminer API reply at Unix time `when_unix` to `command`: a command name
    /// (`"version"`, `"devs"`, `"summary"`, `"stats"`, `"pools"`; `InvalidInput` for any other),
    /// or a whole JSON request as the API port receives it (`{"command":"stats","new_api":true}`,
    /// `{"command":"summary+pools"}`), answered as [`Fleet::cgminer_request`] does, errors
    /// included as cgminer's error replies.
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// let id = fleet.add_miner("S21").unwrap();
    /// fleet.step().unwrap();
    /// assert_eq!(fleet.cgminer_reply(id, "version", 0).unwrap()["VERSION"][0]["Type"], "Antminer S21");
    /// let new_api = fleet.cgminer_reply(id, r#"{"command":"stats","new_api":true}"#, 0).unwrap();
    /// assert_eq!(new_api["STATS"][0]["chain"][0]["asic_num"], 108);
    /// assert!(fleet.cgminer_reply(id, "restart", 0).is_err());
    /// ```
    pub fn cgminer_reply(&self, device: i64, command: &str, when_unix: i64) -> Result<serde_json::Value> {
        if command.trim_start().starts_with('{') {
            let bytes = self.cgminer_request(device, command.as_bytes(), when_unix)?;
            let body = bytes.strip_suffix(&[0]).unwrap_or(&bytes);
            return serde_json::from_slice(body)
                .map_err(|e| Error::new(ErrorKind::Internal, format!("cgminer reply is not JSON: {e}")));
        }
        let s = self.miner_status(device)?;
        cgminer::reply(command, false, device as u32, &s, when_unix).ok_or_else(|| {
            Error::invalid_input(
                "command",
                format!("must be version, devs, summary, stats, pools or a JSON request, got {command:?}"),
            )
        })
    }

    /// The bytes a miner's cgminer API port sends back for the raw `request` it received at Unix
    /// time `when_unix` (JSON or text, `+`-joined commands, `"new_api": true`; a NUL byte ends
    /// it, then the port closes the connection). Bad requests get cgminer's error replies; only
    /// a device that is missing (`NotFound`) or a GPU (`InvalidInput`) is an `Err`.
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// let id = fleet.add_miner("S21").unwrap();
    /// fleet.step().unwrap();
    /// let bytes = fleet.cgminer_request(id, br#"{"command":"summary+pools"}"#, 0).unwrap();
    /// assert_eq!(bytes.last(), Some(&0));
    /// let reply: serde_json::Value = serde_json::from_slice(&bytes[..bytes.len() - 1]).unwrap();
    /// assert!(reply["summary"][0]["SUMMARY"][0]["GHS 5s"].is_number());
    /// assert!(reply["pools"][0]["POOLS"].is_array());
    /// ```
    pub fn cgminer_request(&self, device: i64, request: &[u8], when_unix: i64) -> Result<Vec<u8>> {
        let s = self.miner_status(device)?;
        let id = device as u32;
        Ok(cgminer::respond(request, when_unix, |command, new_api| cgminer::reply(command, new_api, id, &s, when_unix)))
    }

    /// A page of a miner's web interface (`/cgi-bin/<page>.cgi`: `stats`, `summary`,
    /// `get_system_info`, `get_miner_conf`, `get_blink_status`; `None` for any other) at Unix time
    /// `when_unix`, the miner being called `hostname` (see [`cgminer::web`]).
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// let id = fleet.add_miner("S21").unwrap();
    /// fleet.step().unwrap();
    /// let page = fleet.antminer_web_page(id, "get_system_info", "s21-a", 0).unwrap().unwrap();
    /// assert_eq!(page["hostname"], "s21-a");
    /// assert!(fleet.antminer_web_page(id, "set_miner_conf", "s21-a", 0).unwrap().is_none());
    /// ```
    pub fn antminer_web_page(
        &self,
        device: i64,
        page: &str,
        hostname: &str,
        when_unix: i64,
    ) -> Result<Option<serde_json::Value>> {
        let s = self.miner_status(device)?;
        Ok(cgminer::web::page(page, device as u32, &s, hostname, when_unix))
    }

    /// Ids of the fleet's miners, in order.
    pub fn miner_ids(&self) -> Vec<i64> {
        self.asics.id.iter().map(|&id| id as i64).collect()
    }

    /// Ids of the fleet's GPUs, in order.
    pub fn gpu_ids(&self) -> Vec<i64> {
        self.gpus.id.iter().map(|&id| id as i64).collect()
    }

    /// The Prometheus exposition of every miner (hashrate, power, temperatures, fans, shares and
    /// errors, per miner and per hash board; see [`crate::sim::telemetry::miners`]). Miners are
    /// named `{hostname}-{id}`.
    ///
    /// ```
    /// let mut fleet = hcpcore::sim::Fleet::new(Default::default()).unwrap();
    /// fleet.add_many("sxm", 1, "S21", 2).unwrap();
    /// fleet.step().unwrap();
    /// let text = fleet.miner_exposition("rack1");
    /// assert!(text.contains("miner_hashrate_ghs{miner=\"rack1-2\"}"));
    /// assert!(text.contains("miner_hashboard_temperature_celsius{miner=\"rack1-1\",board=\"0\",location=\"inlet\"}"));
    /// ```
    pub fn miner_exposition(&self, hostname: &str) -> String {
        let miners: Vec<_> = self
            .miner_ids()
            .into_iter()
            .filter_map(|id| self.miner_status(id).ok().map(|s| (id, s)))
            .map(|(id, s)| (miners::MinerLabels::new(&format!("{hostname}-{id}")), id as u32, s))
            .collect();
        miners::exposition(&miners)
    }

    /// Totals so far.
    pub fn summary(&self) -> FleetSummary {
        FleetSummary {
            steps: self.steps,
            time_seconds: self.time_seconds,
            devices: self.slots.len() as u32,
            energy_kwh: self.energy_j / 3.6e6,
            energy_cost_usd: self.energy_cost_usd,
            mined_btc: self.asics.earned_btc.iter().sum(),
            mining_revenue_usd: self.asics.earned_usd.iter().sum(),
            gpu_revenue_usd: self.gpu_revenue_usd,
            tokens: self.tokens,
            shares_accepted: self.asics.accepted.iter().sum(),
            shares_rejected: self.asics.rejected.iter().sum(),
            shares_stale: self.asics.stale.iter().sum(),
            hardware_errors: self.asics.hw_errors.iter().sum(),
            events: self.event_count,
            xid_errors: self.gpus.xid_count.iter().map(|&x| x as u64).sum(),
        }
    }
}
