//! GPU and HBM temperatures: a slow heat-sink node (time constant ~9 s) under fast die and HBM
//! nodes (~0.25 s), the two time constants the cool-down after the 40 s load shows
//! (75 → 55 °C in 2 s, then → 49 °C at 8 s and → 43 °C at 22 s). Integrated exactly for any step
//! (`x += (target − x)·(1 − e^(−dt/τ))`), so a fleet stepping once a minute stays stable.

use super::power::PowerSplit;
use super::spec::ThermalParams;

/// Thermal state: the sink temperature and the die/HBM rises over it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThermalState {
    /// Heat-sink temperature, °C.
    pub sink_c: f64,
    /// Die rise over the sink, °C.
    pub core_rise_c: f64,
    /// HBM rise over the sink, °C.
    pub memory_rise_c: f64,
}

impl ThermalState {
    /// The steady state for constant power.
    pub fn steady(params: &ThermalParams, inlet_c: f64, power: PowerSplit) -> ThermalState {
        ThermalState {
            sink_c: inlet_c + params.sink_c_per_watt * power.total_watts(),
            core_rise_c: params.core_c_per_watt * power.core_watts,
            memory_rise_c: params.memory_c_per_watt * power.memory_watts
                + params.memory_from_core_c_per_watt * power.core_watts,
        }
    }

    /// GPU (die) temperature, °C.
    pub fn gpu_c(&self) -> f64 {
        self.sink_c + self.core_rise_c
    }

    /// HBM temperature, °C.
    pub fn memory_c(&self) -> f64 {
        self.sink_c + self.memory_rise_c
    }

    /// Advances by one step with relaxation factors `fast = 1 − e^(−dt/τ_fast)` and
    /// `slow = 1 − e^(−dt/τ_slow)` (precomputed by the caller for a fixed step).
    #[inline]
    pub fn relax(&mut self, target: &ThermalState, fast: f64, slow: f64) {
        self.sink_c += (target.sink_c - self.sink_c) * slow;
        self.core_rise_c += (target.core_rise_c - self.core_rise_c) * fast;
        self.memory_rise_c += (target.memory_rise_c - self.memory_rise_c) * fast;
    }
}

/// `1 − e^(−dt/τ)`: the share of the gap to its target a first-order node closes in `dt`.
#[inline]
pub fn relax_factor(dt_seconds: f64, tau_seconds: f64) -> f64 {
    -(-dt_seconds / tau_seconds).exp_m1()
}
