//! Decode-step performance of a transformer on one GPU: a roofline with a smooth transition.
//!
//! One decode step streams every weight once and the activations of every token in the batch
//! (`t_mem = bytes / bandwidth`) while the tensor cores do `2·params·B` FLOPs
//! (`t_compute = FLOPs / (flops · f^s)` at relative SM clock `f`, `s = r/(1+r)` with `r` the
//! compute/memory time ratio at full clock: a memory-bound step slows less than the clock, issue
//! 12); the step takes `(t_mem^p + t_compute^p)^(1/p)`. The three fitted numbers (bandwidth, flops, p) come from the
//! measured step times of a Llama-3-8B-shaped model at batch 1–512; activation bytes come from the
//! layer shapes, not from the fit, so the model predicts other batches and other models from
//! physics. The steady state couples it to the power model: the step's DRAM and tensor activity
//! set the power, the power limiter (and, if hot, thermal slowdown) sets the clock, the clock sets
//! the step time.

use serde::{Deserialize, Serialize};

use super::power::{highest_clock_within, power_at, Activity};
use super::spec::GpuSpec;
use super::thermal::ThermalState;
use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// Layer shapes of a decoder-only transformer (Llama-style: attention plus a gated MLP).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerShapes {
    /// Transformer layers.
    pub layers: u32,
    /// Hidden (model) width.
    pub hidden: u32,
    /// MLP intermediate width.
    pub intermediate: u32,
    /// Attention heads.
    pub heads: u32,
    /// Key/value heads (grouped-query attention; equal to `heads` without GQA).
    pub kv_heads: u32,
}

impl LayerShapes {
    /// Llama-3-8B: 32 layers, hidden 4096, MLP 14336, 32 heads, 8 KV heads.
    pub fn llama3_8b() -> LayerShapes {
        LayerShapes { layers: 32, hidden: 4096, intermediate: 14336, heads: 32, kv_heads: 8 }
    }

    /// The shapes assumed for a model known only by its parameter count: Llama proportions
    /// (`intermediate = 3.5·hidden`, `layers = hidden/128`, 4 query heads per KV head, head
    /// width 128), which give `params ≈ 14.5·hidden³/128`. Llama-3-8B's 7.8 B layer parameters
    /// give back hidden 4096 and 32 layers.
    pub fn assumed_for_params(params: f64) -> LayerShapes {
        let hidden = (params * 128.0 / 14.5).cbrt().max(128.0);
        let layers = (hidden / 128.0).round().max(1.0);
        let heads = (hidden / 128.0).round().max(1.0);
        LayerShapes {
            layers: layers as u32,
            hidden: hidden.round() as u32,
            intermediate: (3.5 * hidden).round() as u32,
            heads: heads as u32,
            kv_heads: (heads / 4.0).round().max(1.0) as u32,
        }
    }

    fn validated(self) -> Result<LayerShapes> {
        for (f, v) in [
            ("layers.layers", self.layers),
            ("layers.hidden", self.hidden),
            ("layers.intermediate", self.intermediate),
            ("layers.heads", self.heads),
            ("layers.kv_heads", self.kv_heads),
        ] {
            if v == 0 {
                return Err(Error::invalid_input(f, "must be > 0"));
            }
        }
        if self.kv_heads > self.heads {
            return Err(Error::invalid_input("layers.kv_heads", "must be <= heads"));
        }
        Ok(self)
    }
}

/// A model to serve: parameter count and bytes per parameter, optionally its layer shapes
/// (otherwise [`LayerShapes::assumed_for_params`]).
///
/// ```
/// let m = hcpcore::sim::ModelSpec::new(8.0e9, 2.0).unwrap();
/// assert_eq!(m.weights_bytes(), 16.0e9);
/// assert!(hcpcore::sim::ModelSpec::new(-1.0, 2.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Parameters (weights), count.
    pub params: f64,
    /// Bytes per parameter (2 for bf16, 1 for fp8, 0.5 for int4).
    pub bytes_per_param: f64,
    /// Layer shapes, if known.
    #[serde(default)]
    pub layers: Option<LayerShapes>,
    /// Bytes per element of the KV cache (default: `bytes_per_param`, at least 1).
    #[serde(default)]
    pub kv_bytes_per_element: Option<f64>,
}

impl ModelSpec {
    /// A model from its parameter count and bytes per parameter.
    pub fn new(params: f64, bytes_per_param: f64) -> Result<ModelSpec> {
        ModelSpec { params, bytes_per_param, layers: None, kv_bytes_per_element: None }.validated()
    }

    /// A model with known layer shapes.
    pub fn with_layers(params: f64, bytes_per_param: f64, layers: LayerShapes) -> Result<ModelSpec> {
        ModelSpec { params, bytes_per_param, layers: Some(layers), kv_bytes_per_element: None }.validated()
    }

    /// Checks every field.
    pub fn validated(self) -> Result<ModelSpec> {
        check::positive("params", self.params)?;
        check::in_range("bytes_per_param", self.bytes_per_param, 0.0625, 8.0)?;
        if self.bytes_per_param <= 0.0625 {
            return Err(Error::invalid_input("bytes_per_param", "must be > 0.0625"));
        }
        if let Some(l) = self.layers {
            l.validated()?;
        }
        if let Some(k) = self.kv_bytes_per_element {
            check::positive("kv_bytes_per_element", k)?;
        }
        Ok(self)
    }

    /// Layer shapes: given, or assumed from the parameter count.
    pub fn shapes(&self) -> LayerShapes {
        self.layers.unwrap_or_else(|| LayerShapes::assumed_for_params(self.params))
    }

    /// Weight bytes.
    pub fn weights_bytes(&self) -> f64 {
        self.params * self.bytes_per_param
    }

    /// KV-cache bytes per token: `2 (K and V) · layers · kv_heads · head_dim · bytes`.
    /// Llama-3-8B in bf16: 131,072 bytes (128 KiB).
    pub fn kv_bytes_per_token(&self) -> f64 {
        let s = self.shapes();
        let head_dim = s.hidden as f64 / s.heads as f64;
        let bytes = self.kv_bytes_per_element.unwrap_or(self.bytes_per_param.max(1.0));
        2.0 * s.layers as f64 * s.kv_heads as f64 * head_dim * bytes
    }

    /// Activation bytes read and written per token per step: per layer the input, QKV, attention
    /// output, projection, gate/up and down tensors, `(7·hidden + 3·intermediate)` elements.
    pub fn activation_bytes_per_token(&self, bytes_per_element: f64) -> f64 {
        let s = self.shapes();
        (7.0 * s.hidden as f64 + 3.0 * s.intermediate as f64) * bytes_per_element * s.layers as f64
    }
}

/// Options of a decode estimate.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeOptions {
    /// Tokens already in each sequence's KV cache. `0` (the default) is the weight-streaming
    /// step the calibration measured; a positive value adds the KV-cache reads of attention and
    /// reserves that much cache per sequence.
    #[serde(default)]
    pub context_tokens: u64,
}

/// A decode step in steady state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decode {
    /// Batch (sequences decoded together).
    pub batch: u64,
    /// Time of one step, s.
    pub step_seconds: f64,
    /// Tokens generated per second (`batch / step_seconds`).
    pub tokens_per_second: f64,
    /// Steady board power while decoding, W.
    pub power_watts: f64,
    /// Energy per generated token, J.
    pub joules_per_token: f64,
    /// Steady SM clock, MHz.
    pub sm_clock_mhz: f64,
    /// Steady GPU temperature, °C.
    pub gpu_temp_c: f64,
    /// Steady HBM temperature, °C.
    pub memory_temp_c: f64,
    /// Tensor activity (busy fraction of the tensor pipes at the steady clock).
    pub tensor_activity: f64,
    /// DRAM activity.
    pub dram_activity: f64,
    /// The power limit holds the clock below its maximum.
    pub power_limited: bool,
    /// Thermal slowdown holds the clock below what the power limit allows.
    pub thermal_limited: bool,
    /// Bytes moved per step (weights, activations, KV reads).
    pub bytes_per_step: f64,
    /// FLOPs per step.
    pub flops_per_step: f64,
    /// Weight bytes resident.
    pub weights_bytes: f64,
    /// KV-cache bytes per token.
    pub kv_bytes_per_token: f64,
    /// KV-cache bytes reserved for the batch at its context length.
    pub kv_cache_bytes: f64,
    /// Framebuffer in use (context reserve, weights, KV cache), bytes.
    pub memory_used_bytes: f64,
    /// Framebuffer left, bytes.
    pub memory_free_bytes: f64,
}

/// Bytes and FLOPs of one step.
fn step_work(spec: &GpuSpec, model: &ModelSpec, batch: f64, context: f64) -> (f64, f64) {
    let b = batch;
    let act = model.activation_bytes_per_token(spec.decode.activation_bytes);
    let kv_read = model.kv_bytes_per_token() * context;
    let bytes = model.weights_bytes() + b * (act + kv_read);
    let s = model.shapes();
    // Attention scores and weighted sum over the context: 4·hidden FLOPs per cached token per layer.
    let attn = 4.0 * s.hidden as f64 * s.layers as f64 * context;
    let flops = b * (2.0 * model.params + attn);
    (bytes, flops)
}

/// Step time at relative clock `f`. The compute term slows with the SM clock as `f^-s`, where
/// `s = 1 − relief/(1 + r)` and `r = t_compute(f=1)/t_mem`: a compute-bound step (`r ≫ 1`, the
/// calibration GEMM) slows in proportion to the clock, a memory-bound one much less — its tensor
/// work waits on operands streamed from HBM, whose clock the power limiter does not lower.
/// `relief = 0` is the plain `1/f` roofline.
pub(crate) fn step_seconds_at(spec: &GpuSpec, bytes: f64, flops: f64, f: f64) -> f64 {
    let d = &spec.decode;
    let t_mem = bytes / d.bandwidth_bytes_per_second;
    let t_cmp1 = flops / d.flops;
    let r = if t_mem > 0.0 { t_cmp1 / t_mem } else { f64::INFINITY };
    let s = 1.0 - d.memory_bound_clock_relief / (1.0 + r);
    let t_cmp = t_cmp1 / f.powf(s);
    let p = d.overlap_exponent;
    let m = t_mem.max(t_cmp);
    if m <= 0.0 {
        return 0.0;
    }
    // Scaled to avoid overflow of the powers for large p.
    m * ((t_mem / m).powf(p) + (t_cmp / m).powf(p)).powf(1.0 / p)
}

/// Activity of a step of duration `t`: tensor work rate relative to the peak at max clock, DRAM
/// throughput relative to full.
fn step_activity(spec: &GpuSpec, bytes: f64, flops: f64, t: f64) -> Activity {
    Activity {
        tensor: (flops / t / spec.bf16_dense_flops).min(1.0),
        dram: (bytes / t / spec.power.dram_full_bytes_per_second).min(1.0),
    }
}

/// Step time at a fixed relative clock, without the power and thermal coupling (used by the
/// calibration to compare with short measured runs at their recorded clock).
pub fn decode_step_seconds_at_clock(spec: &GpuSpec, model: &ModelSpec, batch: u64, clock_ratio: f64) -> f64 {
    let (bytes, flops) = step_work(spec, model, batch as f64, 0.0);
    step_seconds_at(spec, bytes, flops, clock_ratio)
}

/// Steady-state decode of `model` at `batch` on a GPU with `spec`, inlet at `inlet_c`.
pub fn decode(spec: &GpuSpec, model: &ModelSpec, batch: i64, options: DecodeOptions, inlet_c: f64) -> Result<Decode> {
    let model = model.validated()?;
    if batch <= 0 {
        return Err(Error::invalid_input("batch", format!("must be >= 1, got {batch}")));
    }
    check::finite("ambient_c", inlet_c)?;
    let b = batch as f64;
    let context = options.context_tokens as f64;
    let kv_per_token = model.kv_bytes_per_token();
    let kv_cache = kv_per_token * b * context.max(1.0);
    let weights = model.weights_bytes();
    let used = spec.memory_reserved_bytes + weights + kv_cache;
    if used > spec.memory_total_bytes {
        return Err(Error::new(
            ErrorKind::OutOfMemory,
            format!(
                "model: needs {:.2} GB (weights {:.2} GB + KV cache {:.2} GB + context {:.2} GB) but the {} has {:.2} GB",
                used / 1e9,
                weights / 1e9,
                kv_cache / 1e9,
                spec.memory_reserved_bytes / 1e9,
                spec.name,
                spec.memory_total_bytes / 1e9
            ),
        ));
    }
    let (bytes, flops) = step_work(spec, &model, b, context);

    let SteadyPoint { clock_ratio: f, memory_ratio: m, gpu_temp_c: gpu_c, power_limited, thermal_limited } =
        steady_point(spec, bytes, flops, inlet_c);
    let t = step_seconds_at(spec, bytes / m, flops, f);
    let act = step_activity(spec, bytes, flops, t);
    let power = power_at(spec, act, f, gpu_c);
    let temps = ThermalState::steady(&spec.thermal, inlet_c, power);
    let watts = power.total_watts();
    let tps = b / t;
    Ok(Decode {
        batch: batch as u64,
        step_seconds: t,
        tokens_per_second: tps,
        power_watts: watts,
        joules_per_token: watts / tps,
        sm_clock_mhz: f * spec.max_sm_clock_mhz,
        gpu_temp_c: temps.gpu_c(),
        memory_temp_c: temps.memory_c(),
        tensor_activity: (act.tensor / f).min(1.0),
        dram_activity: act.dram,
        power_limited,
        thermal_limited,
        bytes_per_step: bytes,
        flops_per_step: flops,
        weights_bytes: weights,
        kv_bytes_per_token: kv_per_token,
        kv_cache_bytes: kv_cache,
        memory_used_bytes: used,
        memory_free_bytes: spec.memory_total_bytes - used,
    })
}

/// The operating point a steady stream of identical steps settles on: SM clock, memory throttle,
/// GPU temperature. It depends on the step only through the ratio of its compute and memory
/// times, which lets [`crate::sim::serve`] tabulate it once per replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SteadyPoint {
    /// Relative SM clock.
    pub clock_ratio: f64,
    /// Relative memory throughput (below 1 only under a limit even the lowest clock cannot meet).
    pub memory_ratio: f64,
    /// Steady GPU temperature, °C.
    pub gpu_temp_c: f64,
    /// The power limit holds the clock below its maximum.
    pub power_limited: bool,
    /// Thermal slowdown holds the clock below what the power limit allows.
    pub thermal_limited: bool,
}

/// Fixed point for steps of `bytes` and `flops`, inlet at `inlet_c`.
pub(crate) fn steady_point(spec: &GpuSpec, bytes: f64, flops: f64, inlet_c: f64) -> SteadyPoint {
    // Fixed point: temperature → clock (power limit, thermal slowdown) → step time → activity →
    // power → temperature. The work rate at clock f is what the step actually achieves.
    let limit = spec.power.limit_watts;
    let th = &spec.thermal;
    // `m` < 1 throttles memory traffic too: below a power limit that even the lowest SM clock
    // cannot meet (memory-bound decode at ~200 W), the limiter slows the whole pipeline.
    let power_of_m = |f: f64, m: f64, gpu_c: f64| {
        let t = step_seconds_at(spec, bytes / m, flops, f);
        power_at(spec, step_activity(spec, bytes, flops, t), f, gpu_c)
    };
    let power_of = |f: f64, gpu_c: f64| power_of_m(f, 1.0, gpu_c);
    let mut m = 1.0;
    let mut f = 1.0;
    let mut gpu_c = inlet_c + 20.0;
    let mut power_limited = false;
    let mut thermal_limited = false;
    for _ in 0..60 {
        let f_power = highest_clock_within(spec.min_clock_ratio(), 1.0, limit, |x| power_of(x, gpu_c).total_watts());
        let f_thermal = thermal_clock(spec, gpu_c);
        f = f_power.min(f_thermal);
        power_limited = f_power < 1.0 - 1e-9;
        thermal_limited = f_thermal < f_power;
        m = 1.0;
        if power_of(f, gpu_c).total_watts() > limit {
            m = highest_clock_within(1e-3, 1.0, limit, |x| power_of_m(f, x, gpu_c).total_watts());
        }
        let new_gpu = ThermalState::steady(th, inlet_c, power_of_m(f, m, gpu_c)).gpu_c();
        // Leakage feedback is weak (≈ 0.07 °C per °C): plain iteration converges in a few rounds.
        // Thermal slowdown couples clock and temperature strongly: damp it then.
        let done = (new_gpu - gpu_c).abs() < 1e-9;
        gpu_c = if thermal_limited { 0.5 * (gpu_c + new_gpu) } else { new_gpu };
        if done {
            break;
        }
    }
    SteadyPoint { clock_ratio: f, memory_ratio: m, gpu_temp_c: gpu_c, power_limited, thermal_limited }
}

/// Step time and activity of a step of `bytes` and `flops` at clock `f` and memory throttle `m`.
pub(crate) fn step_at_point(spec: &GpuSpec, bytes: f64, flops: f64, f: f64, m: f64) -> (f64, Activity) {
    let t = step_seconds_at(spec, bytes / m, flops, f);
    (t, step_activity(spec, bytes, flops, t))
}

/// Relative clock thermal slowdown allows at GPU temperature `gpu_c` (1 below the threshold).
pub fn thermal_clock(spec: &GpuSpec, gpu_c: f64) -> f64 {
    let over = gpu_c - spec.thermal.slowdown_temp_c;
    if over <= 0.0 {
        1.0
    } else {
        (1.0 - spec.thermal.slowdown_clock_per_c * over).max(spec.min_clock_ratio())
    }
}
