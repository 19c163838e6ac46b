//! Steady power of an H100 from activity and clock, and the clock the power limiter settles on.
//! Pure functions of the spec: the stateful device (`device.rs`), the decode model and the fleet
//! all call these, so every path shares one power law.

use super::spec::GpuSpec;

/// What the GPU is asked to do, each 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Activity {
    /// Tensor work demanded, as a fraction of the peak rate at the maximum clock. A compute-bound
    /// kernel is `1.0`: it keeps the pipes busy at whatever clock the limiter leaves.
    pub tensor: f64,
    /// DRAM activity: throughput as a fraction of `dram_full_bytes_per_second`.
    pub dram: f64,
}

impl Activity {
    /// Activity with both parts clamped to `[0, 1]` (NaN → 0).
    pub fn clamped(self) -> Activity {
        let c = |x: f64| if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        Activity { tensor: c(self.tensor), dram: c(self.dram) }
    }
}

/// Power split by where it is dissipated (the thermal model heats die and HBM separately).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PowerSplit {
    /// Die power (idle share, leakage, tensor work), W.
    pub core_watts: f64,
    /// HBM power (idle share, DRAM traffic), W.
    pub memory_watts: f64,
}

impl PowerSplit {
    /// Total board power, W.
    pub fn total_watts(&self) -> f64 {
        self.core_watts + self.memory_watts
    }
}

/// Relative core voltage at relative clock `f` (linear V/f curve).
#[inline]
pub fn voltage_ratio(spec: &GpuSpec, f: f64) -> f64 {
    let v0 = spec.power.voltage_floor;
    v0 + (1.0 - v0) * f
}

/// Power of the tensor work at relative clock `f`: the pipes run `min(1, tensor/f)` of the time,
/// each busy cycle costing `∝ f·V(f)²`; a compute-bound load (`tensor = 1`) is busy at any clock.
#[inline]
pub fn compute_watts(spec: &GpuSpec, tensor: f64, f: f64) -> f64 {
    let rate = tensor.min(f); // work done per unit time, relative to the peak at max clock
    let v = voltage_ratio(spec, f);
    spec.power.compute_watts * rate * v * v
}

/// Power at relative clock `f` and GPU temperature `gpu_temp_c`.
pub fn power_at(spec: &GpuSpec, activity: Activity, f: f64, gpu_temp_c: f64) -> PowerSplit {
    let p = &spec.power;
    let leak = p.leakage_watts_per_c * (gpu_temp_c - p.idle_ref_temp_c);
    let idle_core = (p.idle_watts - p.idle_memory_watts + leak).max(0.0);
    PowerSplit {
        core_watts: idle_core + compute_watts(spec, activity.tensor, f),
        memory_watts: p.idle_memory_watts + p.memory_watts * activity.dram,
    }
}

/// The highest relative clock in `[min, max_clock]` whose power fits `limit_watts` (bisection;
/// power rises monotonically with the clock). Returns `max_clock` when it already fits.
pub fn clock_for_limit(spec: &GpuSpec, activity: Activity, gpu_temp_c: f64, limit_watts: f64, max_clock: f64) -> f64 {
    highest_clock_within(spec.min_clock_ratio(), max_clock, limit_watts, |f| {
        power_at(spec, activity, f, gpu_temp_c).total_watts()
    })
}

/// The highest `f` in `[lo, hi]` with `watts(f) <= limit` for a `watts` rising with `f`
/// (`lo` when even that exceeds the limit).
pub fn highest_clock_within(lo: f64, hi: f64, limit: f64, watts: impl Fn(f64) -> f64) -> f64 {
    if watts(hi) <= limit {
        return hi;
    }
    if watts(lo) > limit {
        return lo;
    }
    let (mut lo, mut hi) = (lo, hi);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if watts(mid) > limit {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_bound_load_settles_at_the_cap_near_1335_mhz() {
        let spec = GpuSpec::h100_sxm();
        let a = Activity { tensor: 1.0, dram: 0.33 };
        let f = clock_for_limit(&spec, a, 76.0, 700.0, 1.0);
        let mhz = f * spec.max_sm_clock_mhz;
        assert!((1280.0..1400.0).contains(&mhz), "{mhz}");
        let p = power_at(&spec, a, f, 76.0).total_watts();
        assert!((p - 700.0).abs() < 0.5);
    }

    #[test]
    fn memory_bound_load_is_not_capped() {
        let spec = GpuSpec::h100_sxm();
        let a = Activity { tensor: 0.0, dram: 1.0 };
        assert_eq!(clock_for_limit(&spec, a, 55.0, 700.0, 1.0), 1.0);
        let p = power_at(&spec, a, 1.0, 55.0).total_watts();
        assert!((p - 511.0).abs() < 15.0, "{p}");
    }
}
