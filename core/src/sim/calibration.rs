//! Replaying the measured H100 run (`data/calibration/h100-sxm-80gb/`) through the model, so the
//! calibration test and the plot compare model and trace on the same clock.
//!
//! The run's phases (`phases.json`) become an activity schedule: idle and cool-downs at zero; the
//! 40 s bf16 GEMM as a compute-bound load (`tensor = 1`, DRAM at the 33 % the trace reports); the
//! 25/50/75 % duty phases as that load switched on and off with a 100 ms period; the device copy as
//! full DRAM activity; the decode proxies at the activity the decode model gives at that batch.
//! The model is stepped at `dt` and sampled at the trace's timestamps.

use serde::Deserialize;

use super::gpu::decode::{decode_step_seconds_at_clock, LayerShapes, ModelSpec};
use super::gpu::device::{GpuReading, H100};
use super::gpu::power::Activity;
use super::gpu::spec::GpuSpec;
use crate::{Error, Result};

/// One row of `trace.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// Seconds from trace start.
    pub time_seconds: f64,
    /// Phase label (empty between phases).
    pub phase: String,
    /// Power reading, W.
    pub power_watts: f64,
    /// GPU temperature, °C.
    pub gpu_temp_c: f64,
    /// HBM temperature, °C.
    pub memory_temp_c: f64,
    /// SM clock, MHz.
    pub sm_clock_mhz: f64,
    /// Clock-event reasons.
    pub clocks_event_reasons: u64,
}

/// One phase of `phases.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Phase {
    /// Phase name (`idle`, `matmul_full_40s`, `matmul_duty_0.25`, `decode_proxy_B8`, …).
    pub name: String,
    /// Start, seconds from trace start.
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Median power, W (phases of ≥ 1 s).
    #[serde(default)]
    pub median_power_w: Option<f64>,
    /// Median SM clock, MHz.
    #[serde(default)]
    pub median_sm_clock_mhz: Option<f64>,
    /// GPU temperature at start and end, °C.
    #[serde(default)]
    pub gpu_temp_c_start_end: Option<[f64; 2]>,
    /// HBM temperature at start and end, °C.
    #[serde(default)]
    pub mem_temp_c_start_end: Option<[f64; 2]>,
    /// Decode step time, s (decode phases).
    #[serde(default)]
    pub step_s: Option<f64>,
    /// Decode tokens/s (decode phases).
    #[serde(default)]
    pub tokens_per_s: Option<f64>,
    /// Measured bandwidth, GB/s (transfer phases).
    #[serde(rename = "GBps", default)]
    pub gbps: Option<f64>,
}

#[derive(Deserialize)]
struct PhasesFile {
    phases: Vec<Phase>,
}

/// Reads `trace.csv`; a malformed line is `InvalidInput` naming the file and line.
pub fn read_trace(path: &str) -> Result<Vec<TraceRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::invalid_input("path", format!("{path}: {e}")))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| Error::invalid_input("trace", format!("{path}:{}: {what}", i + 1));
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 11 {
            return Err(bad("expected 11 columns"));
        }
        let num = |s: &str, what: &str| s.trim().parse::<f64>().map_err(|_| bad(what));
        let reasons =
            u64::from_str_radix(f[10].trim().trim_start_matches("0x"), 16).map_err(|_| bad("clocks_event_reasons"))?;
        rows.push(TraceRow {
            time_seconds: num(f[0], "t_s")?,
            phase: f[1].to_string(),
            power_watts: num(f[2], "power_w")?,
            gpu_temp_c: num(f[3], "gpu_temp_c")?,
            memory_temp_c: num(f[4], "mem_temp_c")?,
            sm_clock_mhz: num(f[7], "sm_clock_mhz")?,
            clocks_event_reasons: reasons,
        });
    }
    Ok(rows)
}

/// Reads `phases.json`.
pub fn read_phases(path: &str) -> Result<Vec<Phase>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::invalid_input("path", format!("{path}: {e}")))?;
    let parsed: PhasesFile =
        serde_json::from_str(&text).map_err(|e| Error::invalid_input("phases", format!("{path}: {e}")))?;
    Ok(parsed.phases)
}

/// The Llama-3-8B-shaped proxy the run decoded: 32 layers, hidden 4096, MLP 14336, no GQA (the
/// proxy's QKV is `3·hidden` wide), 15.57 GB of bf16 weights.
pub fn decode_proxy_model() -> ModelSpec {
    let shapes = LayerShapes { layers: 32, hidden: 4096, intermediate: 14336, heads: 32, kv_heads: 32 };
    ModelSpec { params: 15.5693e9 / 2.0, bytes_per_param: 2.0, layers: Some(shapes), kv_bytes_per_element: None }
}

/// Activity the schedule applies at time `t` (seconds from trace start).
pub fn activity_at(spec: &GpuSpec, phases: &[Phase], t: f64) -> Activity {
    let Some(p) = phases.iter().find(|p| t >= p.start_s && t < p.start_s + p.duration_s) else {
        return Activity::default();
    };
    let gemm = Activity { tensor: 1.0, dram: 0.33 };
    let name = p.name.as_str();
    if name.starts_with("matmul_full") {
        gemm
    } else if let Some(d) = name.strip_prefix("matmul_duty_") {
        let duty: f64 = d.parse().unwrap_or(0.0);
        let period = 0.1;
        if ((t - p.start_s) % period) < duty * period {
            gemm
        } else {
            Activity::default()
        }
    } else if name.starts_with("memcopy") || name.starts_with("zero_") || name.starts_with("fill_random") {
        Activity { tensor: 0.0, dram: 1.0 }
    } else if let Some(b) = name.strip_prefix("decode_proxy_B") {
        let batch: u64 = b.parse().unwrap_or(1);
        let model = decode_proxy_model();
        let t_step = decode_step_seconds_at_clock(spec, &model, batch, 1.0);
        let bytes =
            model.weights_bytes() + batch as f64 * model.activation_bytes_per_token(spec.decode.activation_bytes);
        Activity {
            tensor: (2.0 * model.params * batch as f64 / t_step / spec.bf16_dense_flops).min(1.0),
            dram: (bytes / t_step / spec.power.dram_full_bytes_per_second).min(1.0),
        }
    } else {
        Activity::default()
    }
}

/// Runs the model over the schedule from `start_s` (settled idle) and samples it at `times`
/// (ascending). `dt_seconds` must be small against the 100 ms duty period (5 ms is plenty).
pub fn replay(
    spec: &GpuSpec,
    phases: &[Phase],
    start_s: f64,
    times: &[f64],
    dt_seconds: f64,
) -> Result<Vec<GpuReading>> {
    let mut gpu = H100::from_spec(spec.clone())?;
    let mut t = start_s;
    let mut out = Vec::with_capacity(times.len());
    for &sample in times {
        while t + dt_seconds <= sample {
            gpu.step(dt_seconds, activity_at(spec, phases, t))?;
            t += dt_seconds;
        }
        let mut r = gpu.reading();
        r.time_seconds = sample;
        out.push(r);
    }
    Ok(out)
}
