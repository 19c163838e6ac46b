//! One simulated H100 with state: the power limiter moving the SM clock, the averaged power
//! reading, the thermal nodes, energy and clock-event reasons, advanced by [`H100::step`]. Also the
//! steady-state questions a planner asks of a card ([`H100::decode`], [`H100::switch`]).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::decode::{decode, Decode, DecodeOptions, ModelSpec};
use super::power::{clock_for_limit, power_at, Activity, PowerSplit};
use super::spec::GpuSpec;
use super::switch::{switch_phases, HostMemory, SwitchPhases, SwitchRequest};
use super::thermal::{relax_factor, ThermalState};
use crate::error::check;
use crate::{Error, Result};

/// Clock-event-reason bits as NVML and `DCGM_FI_DEV_CLOCKS_EVENT_REASONS` report them.
pub mod reasons {
    /// GPU idle.
    pub const GPU_IDLE: u64 = 0x1;
    /// Software power cap (the power limiter holds the clock down).
    pub const SW_POWER_CAP: u64 = 0x4;
    /// Software thermal slowdown.
    pub const SW_THERMAL_SLOWDOWN: u64 = 0x20;
    /// Hardware thermal slowdown.
    pub const HW_THERMAL_SLOWDOWN: u64 = 0x40;
}

/// What the card reports at an instant (the fields of `nvidia-smi` / DCGM).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpuReading {
    /// Simulated time, s.
    pub time_seconds: f64,
    /// Averaged power reading (as `nvidia-smi power.draw`), W.
    pub power_watts: f64,
    /// Instantaneous power, W.
    pub power_instant_watts: f64,
    /// GPU temperature, °C.
    pub gpu_temp_c: f64,
    /// HBM temperature, °C.
    pub memory_temp_c: f64,
    /// SM clock, MHz.
    pub sm_clock_mhz: f64,
    /// Clock-event-reason bitmask (see [`reasons`]).
    pub clocks_event_reasons: u64,
    /// Energy since creation, J.
    pub energy_joules: f64,
    /// Tensor activity applied in the last step.
    pub tensor_activity: f64,
    /// DRAM activity applied in the last step.
    pub dram_activity: f64,
}

/// A simulated H100 (SXM or PCIe).
///
/// ```
/// use hcpcore::sim::{H100, ModelSpec};
/// let gpu = H100::new("sxm").unwrap();
/// let d = gpu.decode(&ModelSpec::new(8.0e9, 2.0).unwrap(), 1).unwrap();
/// assert!(d.step_seconds > 0.005 && d.step_seconds < 0.007);
/// assert!(d.power_watts > 300.0 && d.power_watts < 700.0);
/// ```
#[derive(Debug, Clone)]
pub struct H100 {
    spec: GpuSpec,
    inlet_c: f64,
    time_seconds: f64,
    clock_ratio: f64,
    power: PowerSplit,
    power_reported_watts: f64,
    /// (duration, watts) segments inside the report window, oldest first.
    report_window: VecDeque<(f64, f64)>,
    report_window_joules: f64,
    thermal: ThermalState,
    energy_joules: f64,
    reasons: u64,
    activity: Activity,
}

impl H100 {
    /// The built-in profile `"sxm"` or `"pcie"`, idle in steady state.
    pub fn new(variant: &str) -> Result<H100> {
        H100::from_spec(GpuSpec::by_name(variant)?)
    }

    /// A GPU with a custom (validated) spec, idle in steady state at its inlet temperature.
    pub fn from_spec(spec: GpuSpec) -> Result<H100> {
        let spec = spec.validated()?;
        let inlet_c = spec.thermal.inlet_temp_c;
        let mut gpu = H100 {
            spec,
            inlet_c,
            time_seconds: 0.0,
            clock_ratio: 1.0,
            power: PowerSplit::default(),
            power_reported_watts: 0.0,
            report_window: VecDeque::new(),
            report_window_joules: 0.0,
            thermal: ThermalState { sink_c: inlet_c, core_rise_c: 0.0, memory_rise_c: 0.0 },
            energy_joules: 0.0,
            reasons: reasons::GPU_IDLE,
            activity: Activity::default(),
        };
        gpu.settle(Activity::default());
        Ok(gpu)
    }

    /// Puts the card in the steady state of `activity` (clock, power, temperatures), keeping time
    /// and energy.
    pub fn settle(&mut self, activity: Activity) {
        let a = activity.clamped();
        let mut gpu_c = self.thermal.gpu_c();
        for _ in 0..60 {
            let f = clock_for_limit(&self.spec, a, gpu_c, self.spec.power.limit_watts, 1.0);
            self.clock_ratio = f;
            self.power = power_at(&self.spec, a, f, gpu_c);
            self.thermal = ThermalState::steady(&self.spec.thermal, self.inlet_c, self.power);
            let next = self.thermal.gpu_c();
            if (next - gpu_c).abs() < 1e-10 {
                break;
            }
            gpu_c = next;
        }
        self.power_reported_watts = self.power.total_watts();
        let window = self.spec.power.report_window_seconds;
        self.report_window.clear();
        self.report_window.push_back((window, self.power_reported_watts));
        self.report_window_joules = window * self.power_reported_watts;
        self.activity = a;
    }

    /// The spec in use.
    pub fn spec(&self) -> &GpuSpec {
        &self.spec
    }

    /// Cooling-air (inlet) temperature, °C.
    pub fn inlet_c(&self) -> f64 {
        self.inlet_c
    }

    /// Sets the cooling-air (inlet) temperature, °C.
    pub fn set_inlet_c(&mut self, inlet_c: f64) -> Result<()> {
        self.inlet_c = check::in_range("ambient_c", inlet_c, -40.0, 80.0)?;
        Ok(())
    }

    /// Sets the power limit (as `nvidia-smi -pl`), within `[min_limit_watts, tdp_watts]`.
    pub fn set_power_limit_watts(&mut self, watts: f64) -> Result<()> {
        let p = &self.spec.power;
        self.spec.power.limit_watts = check::in_range("power_limit_watts", watts, p.min_limit_watts, p.tdp_watts)?;
        Ok(())
    }

    /// Steady-state decode of `model` at `batch` (see [`crate::sim::decode`]).
    pub fn decode(&self, model: &ModelSpec, batch: i64) -> Result<Decode> {
        decode(&self.spec, model, batch, DecodeOptions::default(), self.inlet_c)
    }

    /// Steady-state decode with options (context length).
    pub fn decode_with(&self, model: &ModelSpec, batch: i64, options: DecodeOptions) -> Result<Decode> {
        decode(&self.spec, model, batch, options, self.inlet_c)
    }

    /// Phases of switching this card to a model of `weights_bytes`, saving `kv_bytes` first.
    ///
    /// ```
    /// let gpu = hcpcore::sim::H100::new("sxm").unwrap();
    /// let p = gpu.switch(10e9, 16e9, "pinned", true).unwrap();
    /// assert!(p.total_seconds > 0.5 && p.total_seconds < 1.0);
    /// ```
    pub fn switch(
        &self,
        kv_bytes: f64,
        weights_bytes: f64,
        host_memory: &str,
        warm_context: bool,
    ) -> Result<SwitchPhases> {
        let request = SwitchRequest::new(kv_bytes, weights_bytes, HostMemory::parse(host_memory)?, warm_context);
        switch_phases(&self.spec, &request)
    }

    /// Phases of a fully specified switch.
    pub fn switch_with(&self, request: &SwitchRequest) -> Result<SwitchPhases> {
        switch_phases(&self.spec, request)
    }

    /// Advances `dt_seconds` under `activity` (each part clamped to 0–1): the limiter moves the
    /// clock toward the highest that fits the power limit (and below the thermal slowdown), power
    /// follows, the thermal nodes relax toward their targets.
    pub fn step(&mut self, dt_seconds: f64, activity: Activity) -> Result<GpuReading> {
        let dt = check::positive_at_most("dt_seconds", dt_seconds, crate::limits::MAX_DT_SECONDS)?;
        if !activity.tensor.is_finite() || !activity.dram.is_finite() {
            return Err(Error::invalid_input("activity", "must be finite"));
        }
        let a = activity.clamped();
        let spec = self.spec.clone();
        let spec = &spec;
        let gpu_c = self.thermal.gpu_c();
        let f_power = clock_for_limit(spec, a, gpu_c, spec.power.limit_watts, 1.0);
        let f_thermal = super::decode::thermal_clock(spec, gpu_c);
        let target = f_power.min(f_thermal);
        self.clock_ratio += (target - self.clock_ratio) * relax_factor(dt, spec.power.limiter_tau_seconds);
        self.power = power_at(spec, a, self.clock_ratio, gpu_c);
        let watts = self.power.total_watts();
        let goal = ThermalState::steady(&spec.thermal, self.inlet_c, self.power);
        self.thermal.relax(
            &goal,
            relax_factor(dt, spec.thermal.fast_tau_seconds),
            relax_factor(dt, spec.thermal.slow_tau_seconds),
        );
        self.power_reported_watts = self.average_power(dt, watts);
        self.energy_joules += watts * dt;
        self.time_seconds += dt;
        self.activity = a;
        let mut r = 0;
        if a.tensor == 0.0 && a.dram == 0.0 {
            r |= reasons::GPU_IDLE;
        }
        if self.clock_ratio < 0.999 && f_power < f_thermal.max(0.999) {
            r |= reasons::SW_POWER_CAP;
        }
        if f_thermal < 1.0 {
            r |= reasons::SW_THERMAL_SLOWDOWN;
        }
        if self.thermal.gpu_c() >= spec.thermal.shutdown_temp_c {
            r |= reasons::HW_THERMAL_SLOWDOWN;
        }
        self.reasons = r;
        Ok(self.reading())
    }

    /// Boxcar average over the report window (filled with the settled power at creation).
    fn average_power(&mut self, dt: f64, watts: f64) -> f64 {
        let window = self.spec.power.report_window_seconds;
        self.report_window.push_back((dt, watts));
        self.report_window_joules += dt * watts;
        let mut covered: f64 = self.report_window.iter().map(|s| s.0).sum();
        while covered > window {
            let Some(front) = self.report_window.front_mut() else { break };
            let excess = covered - window;
            if front.0 <= excess {
                self.report_window_joules -= front.0 * front.1;
                covered -= front.0;
                self.report_window.pop_front();
            } else {
                front.0 -= excess;
                self.report_window_joules -= excess * front.1;
                covered = window;
            }
        }
        self.report_window_joules / covered.max(f64::MIN_POSITIVE)
    }

    /// The current reading.
    pub fn reading(&self) -> GpuReading {
        GpuReading {
            time_seconds: self.time_seconds,
            power_watts: self.power_reported_watts,
            power_instant_watts: self.power.total_watts(),
            gpu_temp_c: self.thermal.gpu_c(),
            memory_temp_c: self.thermal.memory_c(),
            sm_clock_mhz: self.clock_ratio * self.spec.max_sm_clock_mhz,
            clocks_event_reasons: self.reasons,
            energy_joules: self.energy_joules,
            tensor_activity: self.activity.tensor,
            dram_activity: self.activity.dram,
        }
    }
}
