//! H100 specifications and fitted model parameters as data (serde), overridable from JSON.
//!
//! The SXM profile's `power`, `thermal`, `transfer` and `decode` sections are fitted to the
//! measurements in `data/calibration/h100-sxm-80gb/` (see `core/src/sim/gpu/README` section in
//! `benches/RESULTS-sim.md` and the calibration test `core/tests/sim_calibration.rs`). The PCIe
//! profile is the published spec with the SXM fit scaled by SM count, bandwidth and TDP: it has not
//! been measured and says so in its `source` field.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::sim::json::merge_overrides;
use crate::{Error, Result};

/// Nameplate figures and fitted parameters of one GPU model.
///
/// ```
/// let sxm = hcpcore::sim::GpuSpec::h100_sxm();
/// assert_eq!(sxm.power.tdp_watts, 700.0);
/// let capped = sxm.with_overrides(r#"{"power": {"limit_watts": 500}}"#).unwrap();
/// assert_eq!(capped.power.limit_watts, 500.0);
/// assert_eq!(capped.power.idle_watts, sxm.power.idle_watts);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// Catalog name, `"H100_SXM"` or `"H100_PCIE"`.
    pub name: String,
    /// Name the driver reports (`modelName` label of dcgm-exporter).
    pub product_name: String,
    /// Where the figures come from.
    pub source: String,
    /// Streaming multiprocessors.
    pub sm_count: u32,
    /// Framebuffer the CUDA runtime reports as total (bytes).
    pub memory_total_bytes: f64,
    /// Framebuffer taken by the CUDA context and allocator before any model loads (bytes).
    pub memory_reserved_bytes: f64,
    /// Published HBM bandwidth (bytes/s).
    pub hbm_bandwidth_bytes_per_second: f64,
    /// Published dense bf16 tensor throughput at the maximum SM clock (FLOP/s).
    pub bf16_dense_flops: f64,
    /// Maximum (boost) SM clock, MHz.
    pub max_sm_clock_mhz: f64,
    /// Lowest SM clock the power limiter may choose, MHz.
    pub min_sm_clock_mhz: f64,
    /// Memory clock, MHz (reported only).
    pub memory_clock_mhz: f64,
    /// Power model.
    pub power: PowerParams,
    /// Thermal model.
    pub thermal: ThermalParams,
    /// Host transfers and process start (workload switch).
    pub transfer: TransferParams,
    /// Decode-step performance model.
    pub decode: DecodeParams,
}

/// Power from activity: `P = idle + leakage·(T_gpu − T_ref) + memory·dram + compute·rate·v(f)²`,
/// where `rate` is the tensor work rate as a fraction of the peak at the maximum clock and
/// `v(f) = voltage_floor + (1 − voltage_floor)·f` the relative core voltage at relative clock `f`.
/// The limiter lowers `f` until the power fits `limit_watts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerParams {
    /// Thermal design power, W (the default and maximum power limit).
    pub tdp_watts: f64,
    /// Lowest settable power limit, W.
    pub min_limit_watts: f64,
    /// Power limit in force, W.
    pub limit_watts: f64,
    /// Power at P0, context open, nothing running, at `idle_ref_temp_c`, W.
    pub idle_watts: f64,
    /// GPU temperature at which `idle_watts` was measured, °C.
    pub idle_ref_temp_c: f64,
    /// Leakage: extra idle power per °C of GPU temperature, W/°C.
    pub leakage_watts_per_c: f64,
    /// Share of idle power dissipated in the HBM stacks (heats the memory sensor), W.
    pub idle_memory_watts: f64,
    /// Extra power at full DRAM activity (the device-copy load), W.
    pub memory_watts: f64,
    /// DRAM throughput (read + write) that counts as full DRAM activity, bytes/s.
    pub dram_full_bytes_per_second: f64,
    /// Extra power of the tensor cores busy 100 % at the maximum clock, W.
    pub compute_watts: f64,
    /// Relative core voltage at zero clock in the linear V/f curve.
    pub voltage_floor: f64,
    /// Time constant of the power limiter moving the SM clock, s.
    pub limiter_tau_seconds: f64,
    /// Window of the reported power reading (`nvidia-smi power.draw` averages over 1 s), s.
    pub report_window_seconds: f64,
    /// Power while curtailed (parked, lowest clocks), W.
    pub sleep_watts: f64,
}

/// Two-node thermal model: a slow heat-sink node driven by total power and fast die/HBM nodes
/// above it. `T_gpu = sink + core_c_per_watt·P_core`, `T_mem = sink + memory_c_per_watt·P_mem +
/// memory_from_core_c_per_watt·P_core`, `sink → inlet + sink_c_per_watt·P` with `slow_tau`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalParams {
    /// Effective cooling-air (or coolant) temperature at the card, °C.
    pub inlet_temp_c: f64,
    /// Heat sink rise per watt of total power, °C/W (the cooling parameter).
    pub sink_c_per_watt: f64,
    /// Die rise over the sink per watt of core power, °C/W.
    pub core_c_per_watt: f64,
    /// HBM rise over the sink per watt of memory power, °C/W.
    pub memory_c_per_watt: f64,
    /// HBM rise over the sink per watt of core power (shared package), °C/W.
    pub memory_from_core_c_per_watt: f64,
    /// Fast time constant (die and HBM over the sink), s.
    pub fast_tau_seconds: f64,
    /// Slow time constant (heat sink), s.
    pub slow_tau_seconds: f64,
    /// GPU temperature where software thermal slowdown starts, °C.
    pub slowdown_temp_c: f64,
    /// GPU temperature where the card shuts down, °C.
    pub shutdown_temp_c: f64,
    /// HBM maximum operating temperature, °C.
    pub memory_max_temp_c: f64,
    /// Relative clock lost per °C above the slowdown temperature.
    pub slowdown_clock_per_c: f64,
}

/// Host transfers and process start, measured with `measure.py`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferParams {
    /// Host → device from pinned memory, bytes/s.
    pub h2d_pinned_bytes_per_second: f64,
    /// Host → device from pageable memory, bytes/s.
    pub h2d_pageable_bytes_per_second: f64,
    /// Device → host into pinned memory, bytes/s.
    pub d2h_pinned_bytes_per_second: f64,
    /// Device → host into pageable memory, bytes/s.
    pub d2h_pageable_bytes_per_second: f64,
    /// Zeroing device memory, bytes/s.
    pub clear_bytes_per_second: f64,
    /// Freeing the old allocations (`del` + `empty_cache`), s.
    pub free_seconds: f64,
    /// Allocating the new model's memory (lazy), s.
    pub alloc_seconds: f64,
    /// Fresh process: `import torch`, s.
    pub cold_import_seconds: f64,
    /// Fresh process: CUDA context and first kernel, s.
    pub cold_context_seconds: f64,
    /// Process and context already up, s.
    pub warm_context_seconds: f64,
}

/// Decode step: `t = (t_mem^p + t_compute^p)^(1/p)` with `t_mem = bytes / bandwidth` and
/// `t_compute = FLOPs / (flops · f^s)`, `s = 1 − relief/(1 + r)`, `r = FLOPs/flops / t_mem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeParams {
    /// Effective HBM bandwidth of weight streaming, bytes/s.
    pub bandwidth_bytes_per_second: f64,
    /// Effective tensor throughput of decode GEMMs at the maximum clock, FLOP/s.
    pub flops: f64,
    /// Smoothness `p` of the memory/compute transition.
    pub overlap_exponent: f64,
    /// How much less than `1/f` a memory-bound step slows with the SM clock (0: not at all less,
    /// the plain roofline; 1: a step with compute share `r` slows as `f^-(r/(1+r))`). See
    /// `step_seconds_at` and `docs/serving.md`.
    #[serde(default)]
    pub memory_bound_clock_relief: f64,
    /// Bytes per activation element (bf16 activations whatever the weight format).
    pub activation_bytes: f64,
}

impl GpuSpec {
    /// NVIDIA H100 SXM 80 GB HBM3, fitted to the project's measurements.
    pub fn h100_sxm() -> GpuSpec {
        GpuSpec {
            name: "H100_SXM".into(),
            product_name: "NVIDIA H100 80GB HBM3".into(),
            source: "measured: data/calibration/h100-sxm-80gb (2026-11-22), fitted in hcpcore::sim::gpu".into(),
            sm_count: 132,
            memory_total_bytes: 85_017_493_504.0,
            memory_reserved_bytes: 536_870_912.0,
            hbm_bandwidth_bytes_per_second: 3.35e12,
            bf16_dense_flops: 989.4e12,
            max_sm_clock_mhz: 1980.0,
            min_sm_clock_mhz: 345.0,
            memory_clock_mhz: 2619.0,
            power: PowerParams {
                tdp_watts: 700.0,
                min_limit_watts: 200.0,
                limit_watts: 700.0,
                idle_watts: 125.2,
                idle_ref_temp_c: 44.0,
                leakage_watts_per_c: 1.0,
                idle_memory_watts: 30.0,
                memory_watts: 375.0,
                dram_full_bytes_per_second: 3.022e12,
                compute_watts: 916.0,
                voltage_floor: 0.45,
                limiter_tau_seconds: 0.1,
                report_window_seconds: 1.0,
                sleep_watts: 70.0,
            },
            thermal: ThermalParams {
                inlet_temp_c: 36.3,
                sink_c_per_watt: 0.0275,
                core_c_per_watt: 0.0396,
                memory_c_per_watt: 0.0382,
                memory_from_core_c_per_watt: 0.0186,
                fast_tau_seconds: 0.25,
                slow_tau_seconds: 9.0,
                slowdown_temp_c: 87.0,
                shutdown_temp_c: 93.0,
                memory_max_temp_c: 95.0,
                slowdown_clock_per_c: 0.05,
            },
            transfer: TransferParams {
                h2d_pinned_bytes_per_second: 46.678e9,
                h2d_pageable_bytes_per_second: 8.025e9,
                d2h_pinned_bytes_per_second: 55.114e9,
                d2h_pageable_bytes_per_second: 13.347e9,
                clear_bytes_per_second: 3.235e12,
                free_seconds: 0.040,
                alloc_seconds: 0.0032,
                cold_import_seconds: 4.079,
                cold_context_seconds: 0.343,
                warm_context_seconds: 0.0,
            },
            decode: DecodeParams {
                bandwidth_bytes_per_second: 2.62e12,
                flops: 893.6e12,
                overlap_exponent: 2.5,
                memory_bound_clock_relief: 1.0,
                activation_bytes: 2.0,
            },
        }
    }

    /// NVIDIA H100 PCIe 80 GB (HBM2e, 350 W): published spec; power, thermal and decode
    /// parameters scaled from the SXM fit (not measured).
    pub fn h100_pcie() -> GpuSpec {
        let sxm = GpuSpec::h100_sxm();
        let bw_ratio = 2.0e12 / sxm.hbm_bandwidth_bytes_per_second;
        let sm_clock_ratio = (114.0 * 1755.0) / (132.0 * 1980.0);
        GpuSpec {
            name: "H100_PCIE".into(),
            product_name: "NVIDIA H100 PCIe".into(),
            source: "published spec (350 W, 114 SMs, 2.0 TB/s, 756 TFLOP/s bf16); model parameters scaled from the \
                     measured SXM fit, not measured"
                .into(),
            sm_count: 114,
            memory_total_bytes: 85_031_714_816.0,
            hbm_bandwidth_bytes_per_second: 2.0e12,
            bf16_dense_flops: 756.0e12,
            max_sm_clock_mhz: 1755.0,
            memory_clock_mhz: 1593.0,
            power: PowerParams {
                tdp_watts: 350.0,
                limit_watts: 350.0,
                idle_watts: 60.0,
                idle_memory_watts: 20.0,
                memory_watts: sxm.power.memory_watts * bw_ratio,
                dram_full_bytes_per_second: sxm.power.dram_full_bytes_per_second * bw_ratio,
                compute_watts: sxm.power.compute_watts * sm_clock_ratio,
                sleep_watts: 40.0,
                ..sxm.power.clone()
            },
            thermal: ThermalParams { sink_c_per_watt: 0.06, ..sxm.thermal.clone() },
            decode: DecodeParams {
                bandwidth_bytes_per_second: sxm.decode.bandwidth_bytes_per_second * bw_ratio,
                flops: sxm.decode.flops * (756.0 / 989.4),
                ..sxm.decode.clone()
            },
            ..sxm
        }
    }

    /// The built-in profile for `"sxm"` / `"pcie"` (also `"H100_SXM"`, `"h100-pcie"`, …).
    ///
    /// ```
    /// assert_eq!(hcpcore::sim::GpuSpec::by_name("sxm").unwrap().power.tdp_watts, 700.0);
    /// assert!(hcpcore::sim::GpuSpec::by_name("a100").is_err());
    /// ```
    pub fn by_name(name: &str) -> Result<GpuSpec> {
        let key: String = name.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect();
        match key.as_str() {
            "sxm" | "h100sxm" | "h100" => Ok(GpuSpec::h100_sxm()),
            "pcie" | "h100pcie" => Ok(GpuSpec::h100_pcie()),
            _ => Err(Error::invalid_input("variant", format!("unknown GPU {name:?}; known: sxm, pcie"))),
        }
    }

    /// This spec with the fields in a JSON object replaced (nested objects merge), validated.
    pub fn with_overrides(&self, json: &str) -> Result<GpuSpec> {
        merge_overrides(self, json, "gpu_spec")?.validated()
    }

    /// A spec from a complete JSON document, validated.
    pub fn from_json(json: &str) -> Result<GpuSpec> {
        let spec: GpuSpec =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("gpu_spec", format!("malformed JSON: {e}")))?;
        spec.validated()
    }

    /// Checks every figure is finite and in range.
    pub fn validated(self) -> Result<GpuSpec> {
        check::positive("memory_total_bytes", self.memory_total_bytes)?;
        check::non_negative("memory_reserved_bytes", self.memory_reserved_bytes)?;
        if self.memory_reserved_bytes >= self.memory_total_bytes {
            return Err(Error::invalid_input("memory_reserved_bytes", "must be below memory_total_bytes"));
        }
        check::positive("hbm_bandwidth_bytes_per_second", self.hbm_bandwidth_bytes_per_second)?;
        check::positive("bf16_dense_flops", self.bf16_dense_flops)?;
        check::positive("max_sm_clock_mhz", self.max_sm_clock_mhz)?;
        check::in_range("min_sm_clock_mhz", self.min_sm_clock_mhz, 1.0, self.max_sm_clock_mhz)?;
        check::non_negative("memory_clock_mhz", self.memory_clock_mhz)?;
        let p = &self.power;
        check::positive("power.tdp_watts", p.tdp_watts)?;
        check::in_range("power.min_limit_watts", p.min_limit_watts, 0.0, p.tdp_watts)?;
        check::in_range("power.limit_watts", p.limit_watts, p.min_limit_watts, p.tdp_watts)?;
        check::positive("power.idle_watts", p.idle_watts)?;
        check::finite("power.idle_ref_temp_c", p.idle_ref_temp_c)?;
        check::non_negative("power.leakage_watts_per_c", p.leakage_watts_per_c)?;
        check::in_range("power.idle_memory_watts", p.idle_memory_watts, 0.0, p.idle_watts)?;
        check::non_negative("power.memory_watts", p.memory_watts)?;
        check::positive("power.dram_full_bytes_per_second", p.dram_full_bytes_per_second)?;
        check::non_negative("power.compute_watts", p.compute_watts)?;
        check::in_range("power.voltage_floor", p.voltage_floor, 0.0, 1.0)?;
        check::positive("power.limiter_tau_seconds", p.limiter_tau_seconds)?;
        check::positive("power.report_window_seconds", p.report_window_seconds)?;
        check::non_negative("power.sleep_watts", p.sleep_watts)?;
        let t = &self.thermal;
        check::finite("thermal.inlet_temp_c", t.inlet_temp_c)?;
        check::positive("thermal.sink_c_per_watt", t.sink_c_per_watt)?;
        check::non_negative("thermal.core_c_per_watt", t.core_c_per_watt)?;
        check::non_negative("thermal.memory_c_per_watt", t.memory_c_per_watt)?;
        check::non_negative("thermal.memory_from_core_c_per_watt", t.memory_from_core_c_per_watt)?;
        check::positive("thermal.fast_tau_seconds", t.fast_tau_seconds)?;
        check::positive("thermal.slow_tau_seconds", t.slow_tau_seconds)?;
        check::finite("thermal.slowdown_temp_c", t.slowdown_temp_c)?;
        check::in_range("thermal.shutdown_temp_c", t.shutdown_temp_c, t.slowdown_temp_c, f64::MAX)?;
        check::finite("thermal.memory_max_temp_c", t.memory_max_temp_c)?;
        check::non_negative("thermal.slowdown_clock_per_c", t.slowdown_clock_per_c)?;
        let x = &self.transfer;
        for (f, v) in [
            ("transfer.h2d_pinned_bytes_per_second", x.h2d_pinned_bytes_per_second),
            ("transfer.h2d_pageable_bytes_per_second", x.h2d_pageable_bytes_per_second),
            ("transfer.d2h_pinned_bytes_per_second", x.d2h_pinned_bytes_per_second),
            ("transfer.d2h_pageable_bytes_per_second", x.d2h_pageable_bytes_per_second),
            ("transfer.clear_bytes_per_second", x.clear_bytes_per_second),
        ] {
            check::positive(f, v)?;
        }
        for (f, v) in [
            ("transfer.free_seconds", x.free_seconds),
            ("transfer.alloc_seconds", x.alloc_seconds),
            ("transfer.cold_import_seconds", x.cold_import_seconds),
            ("transfer.cold_context_seconds", x.cold_context_seconds),
            ("transfer.warm_context_seconds", x.warm_context_seconds),
        ] {
            check::non_negative(f, v)?;
        }
        let d = &self.decode;
        check::positive("decode.bandwidth_bytes_per_second", d.bandwidth_bytes_per_second)?;
        check::positive("decode.flops", d.flops)?;
        check::in_range("decode.overlap_exponent", d.overlap_exponent, 1.0, 64.0)?;
        check::in_range("decode.memory_bound_clock_relief", d.memory_bound_clock_relief, 0.0, 1.0)?;
        check::positive("decode.activation_bytes", d.activation_bytes)?;
        Ok(self)
    }

    /// Memory a model may use: total minus the context reserve (bytes).
    pub fn memory_usable_bytes(&self) -> f64 {
        self.memory_total_bytes - self.memory_reserved_bytes
    }

    /// Lowest relative clock the limiter may choose.
    pub fn min_clock_ratio(&self) -> f64 {
        self.min_sm_clock_mhz / self.max_sm_clock_mhz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_validate_and_overrides_reject_bad_fields() {
        GpuSpec::h100_sxm().validated().unwrap();
        GpuSpec::h100_pcie().validated().unwrap();
        let sxm = GpuSpec::h100_sxm();
        assert_eq!(
            sxm.with_overrides(r#"{"power":{"limit_watts":100}}"#).unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
        assert!(sxm.with_overrides(r#"{"nope":1}"#).is_err());
        assert!(sxm.with_overrides("[1]").is_err());
        assert!(sxm.with_overrides("{").is_err());
        let json = serde_json::to_string(&sxm).unwrap();
        assert_eq!(GpuSpec::from_json(&json).unwrap(), sxm);
    }
}
