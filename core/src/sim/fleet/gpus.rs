//! GPU columns of a fleet (structure of arrays) and their step kernel. The per-step physics is the
//! H100 model's (`sim::gpu`): the activity power of the state in force (computed once per command
//! from the steady decode), leakage from the die temperature, the power limit, thermal slowdown,
//! and the two-node thermal model integrated exactly for the fleet's step.
//!
//! As for the miners (see `asics.rs`), the step works in blocks: a block in which every GPU is
//! settled and nothing was touched since its last step keeps its totals from that step.

use crate::sim::gpu::power::compute_watts;
use crate::sim::gpu::spec::GpuSpec;
use crate::sim::gpu::thermal::relax_factor;

use super::asics::BLOCK;
use super::output::{Event, EventKind};
use super::DeviceState;

/// Constants of one GPU spec at the fleet's step, precomputed.
#[derive(Debug, Clone)]
pub(crate) struct GpuConsts {
    pub spec: GpuSpec,
    pub idle_core: f64,
    pub idle_mem: f64,
    pub leak: f64,
    pub ref_c: f64,
    pub limit: f64,
    pub sleep_watts: f64,
    pub inlet_c: f64,
    pub r_sink: f64,
    pub r_core: f64,
    pub r_mem: f64,
    pub r_mem_core: f64,
    pub fast: f64,
    pub slow: f64,
    pub slowdown_c: f64,
    pub slowdown_per_c: f64,
    pub min_clock: f64,
}

impl GpuConsts {
    pub fn new(spec: &GpuSpec, dt: f64, inlet_offset_c: f64) -> GpuConsts {
        let p = &spec.power;
        let t = &spec.thermal;
        GpuConsts {
            idle_core: p.idle_watts - p.idle_memory_watts,
            idle_mem: p.idle_memory_watts,
            leak: p.leakage_watts_per_c,
            ref_c: p.idle_ref_temp_c,
            limit: p.limit_watts,
            sleep_watts: p.sleep_watts,
            inlet_c: t.inlet_temp_c + inlet_offset_c,
            r_sink: t.sink_c_per_watt,
            r_core: t.core_c_per_watt,
            r_mem: t.memory_c_per_watt,
            r_mem_core: t.memory_from_core_c_per_watt,
            fast: relax_factor(dt, t.fast_tau_seconds),
            slow: relax_factor(dt, t.slow_tau_seconds),
            slowdown_c: t.slowdown_temp_c,
            slowdown_per_c: t.slowdown_clock_per_c,
            min_clock: spec.min_clock_ratio(),
            spec: spec.clone(),
        }
    }

    /// Die activity power of a steady decode at `tensor_busy` (busy share at relative clock `f`).
    pub fn decode_core_watts(&self, tensor_busy: f64, f: f64) -> f64 {
        compute_watts(&self.spec, tensor_busy * f, f)
    }
}

/// What a GPU becomes when its transition ends.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GpuPending {
    pub state: u8,
    pub dyn_core: f64,
    pub dyn_mem: f64,
    pub tokens_per_second: f64,
    pub clock: f64,
    pub weights_bytes: f64,
    pub kv_bytes: f64,
}

/// Per-GPU state as columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct GpuColumns {
    pub id: Vec<u32>,
    pub spec: Vec<u16>,
    pub state: Vec<u8>,
    pub timer: Vec<f64>,
    pub pending: Vec<GpuPending>,
    pub dyn_core: Vec<f64>,
    pub dyn_mem: Vec<f64>,
    pub tokens_per_second: Vec<f64>,
    pub clock: Vec<f64>,
    pub power: Vec<f64>,
    pub sink_c: Vec<f64>,
    pub core_rise_c: Vec<f64>,
    pub mem_rise_c: Vec<f64>,
    pub energy_j: Vec<f64>,
    pub tokens: Vec<f64>,
    pub weights_bytes: Vec<f64>,
    pub kv_bytes: Vec<f64>,
    pub warm: Vec<bool>,
    pub cooling: Vec<f64>,
    pub cooling_timer: Vec<f64>,
    pub throttled: Vec<bool>,
    pub last_xid: Vec<u32>,
    pub xid_count: Vec<u32>,
    pub ecc_sbe: Vec<u32>,
    pub ecc_dbe: Vec<u32>,
    pub reasons: Vec<u8>,
    /// Tokens per second delivered in the last step (after throttling; 0 unless serving).
    pub tps_eff: Vec<f64>,
    /// The GPU's state is steady (no timer running, temperatures converged): a step changes
    /// nothing but its energy and tokens, which are integrated lazily from `mark_seconds`.
    pub settled: Vec<bool>,
    pub mark_seconds: Vec<f64>,
    /// Fleet time, advanced once per step.
    pub cum_seconds: f64,
    /// Per block: must be stepped (a GPU in it is unsettled or was touched).
    pub block_dirty: Vec<bool>,
    /// Per block: its totals at its last step.
    pub block_totals: Vec<GpuTotals>,
}

/// Temperature change per step below which a GPU with no timer counts as settled, °C.
const SETTLED_C: f64 = 1e-9;

/// Fleet totals of one GPU step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GpuTotals {
    pub power: f64,
    pub tokens_per_second: f64,
    pub serving: u32,
    pub switching: u32,
    pub sleeping: u32,
    pub faulted: u32,
    pub throttled: u32,
    pub max_temp_c: f64,
}

impl GpuColumns {
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Adds an idle GPU in thermal steady state.
    pub fn push(&mut self, id: u32, spec_index: u16, c: &GpuConsts) {
        let power = c.idle_core + c.idle_mem;
        // Idle steady state (leakage at the idle temperature is small; one fixed-point pass).
        let sink = c.inlet_c + c.r_sink * power;
        let core_rise = c.r_core * c.idle_core;
        self.id.push(id);
        self.spec.push(spec_index);
        self.state.push(DeviceState::Idle.code());
        self.timer.push(0.0);
        self.pending.push(GpuPending::default());
        self.dyn_core.push(0.0);
        self.dyn_mem.push(0.0);
        self.tokens_per_second.push(0.0);
        self.clock.push(1.0);
        self.power.push(power);
        self.sink_c.push(sink);
        self.core_rise_c.push(core_rise);
        self.mem_rise_c.push(c.r_mem * c.idle_mem + c.r_mem_core * c.idle_core);
        self.energy_j.push(0.0);
        self.tokens.push(0.0);
        self.weights_bytes.push(0.0);
        self.kv_bytes.push(0.0);
        self.warm.push(false);
        self.cooling.push(1.0);
        self.cooling_timer.push(0.0);
        self.throttled.push(false);
        self.last_xid.push(0);
        self.xid_count.push(0);
        self.ecc_sbe.push(0);
        self.ecc_dbe.push(0);
        self.reasons.push(0);
        self.tps_eff.push(0.0);
        self.settled.push(false);
        self.mark_seconds.push(self.cum_seconds);
        if self.block_dirty.len() * BLOCK < self.len() {
            self.block_dirty.push(true);
            self.block_totals.push(GpuTotals::default());
        }
        let last = self.len() - 1;
        self.block_dirty[last / BLOCK] = true;
    }

    /// Brings GPU `i` back to per-step simulation, adding the energy and tokens of its settled
    /// stretch. Call before changing anything about it.
    pub fn unsettle(&mut self, i: usize) {
        self.block_dirty[i / BLOCK] = true;
        if self.settled[i] {
            let span = self.cum_seconds - self.mark_seconds[i];
            self.energy_j[i] += self.power[i] * span;
            self.tokens[i] += self.tps_eff[i] * span;
            self.settled[i] = false;
        }
    }

    /// Energy of GPU `i` so far, J.
    pub fn energy_now(&self, i: usize) -> f64 {
        let lazy = if self.settled[i] { self.power[i] * (self.cum_seconds - self.mark_seconds[i]) } else { 0.0 };
        self.energy_j[i] + lazy
    }

    /// Ends the transition of GPU `i`, logging the event.
    pub fn finish_transition(&mut self, i: usize, time: f64, events: &mut Vec<Event>) {
        let p = self.pending[i];
        let from = self.state[i];
        self.state[i] = p.state;
        self.timer[i] = 0.0;
        self.dyn_core[i] = p.dyn_core;
        self.dyn_mem[i] = p.dyn_mem;
        self.tokens_per_second[i] = p.tokens_per_second;
        self.clock[i] = p.clock;
        self.weights_bytes[i] = p.weights_bytes;
        self.kv_bytes[i] = p.kv_bytes;
        let kind = match DeviceState::from_code(p.state) {
            DeviceState::Serving => EventKind::SwitchCompleted,
            DeviceState::Sleeping => EventKind::Slept,
            _ if from == DeviceState::Faulted.code() => EventKind::FaultCleared,
            _ => EventKind::Woke,
        };
        events.push(Event { time_seconds: time, device: self.id[i], kind, code: 0, value: 0.0 });
    }

    /// One step of every GPU; `time` is the time at the end of the step.
    pub fn step(&mut self, consts: &[GpuConsts], dt: f64, time: f64, events: &mut Vec<Event>) -> GpuTotals {
        let mut total = GpuTotals::default();
        let n = self.len();
        for b in 0..self.block_dirty.len() {
            if self.block_dirty[b] {
                let r = b * BLOCK..((b + 1) * BLOCK).min(n);
                let (bt, unsettled) = self.step_block(r, consts, dt, time, events);
                self.block_totals[b] = bt;
                self.block_dirty[b] = unsettled;
            }
            let bt = &self.block_totals[b];
            total.power += bt.power;
            total.tokens_per_second += bt.tokens_per_second;
            total.serving += bt.serving;
            total.switching += bt.switching;
            total.sleeping += bt.sleeping;
            total.faulted += bt.faulted;
            total.throttled += bt.throttled;
            total.max_temp_c = total.max_temp_c.max(bt.max_temp_c);
        }
        self.cum_seconds += dt;
        total
    }

    /// Steps GPUs `r`; returns their totals and whether any is still unsettled.
    fn step_block(
        &mut self,
        r: std::ops::Range<usize>,
        consts: &[GpuConsts],
        dt: f64,
        time: f64,
        events: &mut Vec<Event>,
    ) -> (GpuTotals, bool) {
        let mut t = GpuTotals::default();
        let mut unsettled = false;
        let serving = DeviceState::Serving.code();
        let sleeping = DeviceState::Sleeping.code();
        let switching = DeviceState::Switching.code();
        let faulted = DeviceState::Faulted.code();
        for i in r {
            if self.settled[i] {
                let state = self.state[i];
                t.power += self.power[i];
                t.tokens_per_second += self.tps_eff[i];
                t.serving += (state == serving) as u32;
                t.switching += (state == switching) as u32;
                t.sleeping += (state == sleeping) as u32;
                t.faulted += (state == faulted) as u32;
                t.throttled += self.throttled[i] as u32;
                t.max_temp_c = t.max_temp_c.max(self.sink_c[i] + self.core_rise_c[i]);
                continue;
            }
            if self.timer[i] > 0.0 {
                self.timer[i] -= dt;
                if self.timer[i] <= 0.0 {
                    self.finish_transition(i, time, events);
                }
            }
            if self.cooling_timer[i] > 0.0 {
                self.cooling_timer[i] -= dt;
                if self.cooling_timer[i] <= 0.0 {
                    self.cooling[i] = 1.0;
                }
            }
            let c = &consts[self.spec[i] as usize];
            let state = self.state[i];
            let gpu_c = self.sink_c[i] + self.core_rise_c[i];
            let mut dyn_core = self.dyn_core[i];
            let mut tps = self.tokens_per_second[i];
            let mut reasons = 0u8;
            let over = gpu_c - c.slowdown_c;
            if over > 0.0 {
                let f = (1.0 - c.slowdown_per_c * over).max(c.min_clock);
                dyn_core *= f;
                tps *= f;
                reasons |= 0x20;
                if !self.throttled[i] {
                    self.throttled[i] = true;
                    events.push(Event {
                        time_seconds: time,
                        device: self.id[i],
                        kind: EventKind::ThrottleStarted,
                        code: 0x20,
                        value: gpu_c,
                    });
                }
            } else if self.throttled[i] {
                self.throttled[i] = false;
                events.push(Event {
                    time_seconds: time,
                    device: self.id[i],
                    kind: EventKind::ThrottleEnded,
                    code: 0,
                    value: gpu_c,
                });
            }
            let (core, mem) = if state == sleeping {
                (c.sleep_watts - c.idle_mem.min(c.sleep_watts), c.idle_mem.min(c.sleep_watts))
            } else {
                let mut core = c.idle_core + c.leak * (gpu_c - c.ref_c) + dyn_core;
                let mem = c.idle_mem + self.dyn_mem[i];
                if core + mem > c.limit {
                    // The limiter lowers the clock: die power gives way, throughput with it.
                    let allowed = (c.limit - mem).max(c.idle_core);
                    if dyn_core > 0.0 {
                        let cut = ((core - allowed) / dyn_core).min(1.0);
                        tps *= 1.0 - 0.5 * cut;
                    }
                    core = allowed;
                    reasons |= 0x4;
                }
                (core.max(0.0), mem)
            };
            let power = core + mem;
            self.power[i] = power;
            self.reasons[i] = reasons;
            let cool = self.cooling[i];
            let d_sink = (c.inlet_c + c.r_sink * cool * power - self.sink_c[i]) * c.slow;
            let d_core = (c.r_core * core - self.core_rise_c[i]) * c.fast;
            let d_mem = (c.r_mem * mem + c.r_mem_core * core - self.mem_rise_c[i]) * c.fast;
            self.sink_c[i] += d_sink;
            self.core_rise_c[i] += d_core;
            self.mem_rise_c[i] += d_mem;
            self.energy_j[i] += power * dt;
            let tps = if state == serving { tps } else { 0.0 };
            self.tokens[i] += tps * dt;
            self.tps_eff[i] = tps;
            if self.timer[i] <= 0.0
                && self.cooling_timer[i] <= 0.0
                && d_sink.abs() + d_core.abs() + d_mem.abs() < SETTLED_C
            {
                self.settled[i] = true;
                self.mark_seconds[i] = self.cum_seconds + dt;
            } else {
                unsettled = true;
            }
            t.power += power;
            t.tokens_per_second += tps;
            t.serving += (state == serving) as u32;
            t.switching += (state == switching) as u32;
            t.sleeping += (state == sleeping) as u32;
            t.faulted += (state == faulted) as u32;
            t.throttled += self.throttled[i] as u32;
            t.max_temp_c = t.max_temp_c.max(self.sink_c[i] + self.core_rise_c[i]);
        }
        (t, unsettled)
    }
}
