//! Step time and power of one replica's mixed step (decode tokens, prefill chunks) from the
//! calibrated H100 model (`sim::gpu::decode`): the same roofline, the same power law, the same
//! power-limited clock. Owns only the per-replica tables; the physics stays in `sim::gpu`.
//!
//! A step of a tensor-parallel replica on `tp` GPUs does, on each GPU, `1/tp` of the work:
//!
//! - bytes: weights `W/tp`, activations `(7·hidden + 3·intermediate)·2·layers` per token, KV reads
//!   (`kv_bytes_per_token/tp` per cached token attended: the context of each decoding sequence, the
//!   context plus chunk of each prefill chunk, read once per chunk as flash attention does);
//! - FLOPs: `2·params` per token plus attention, `4·hidden·layers` per (query, key) pair — the
//!   context of each decoding sequence, `chunk·(start + chunk/2)` for a causal prefill chunk;
//! - time: `(t_mem^p + t_compute^p)^(1/p)` at the clock the power limiter settles on, plus the two
//!   all-reduces per layer over NVLink when `tp > 1`.
//!
//! The steady operating point (clock, memory throttle, temperature) of a step depends only on the
//! ratio `r = t_compute(f=1) / t_mem` (both activity figures scale with it), so it is tabulated once
//! per replica on a log grid of `r` and interpolated: a step costs a few multiplications.
//! Assumption stated: each step runs at the steady clock of its own mix (the limiter settles in
//! ~0.1 s, a few steps; a replica under steady load sees the same mix step after step).

use crate::sim::gpu::decode::{steady_point, step_at_point, ModelSpec};
use crate::sim::gpu::power::{power_at, Activity};
use crate::sim::gpu::spec::GpuSpec;
use crate::sim::gpu::thermal::ThermalState;

/// NVLink 4 bandwidth per direction of an H100 SXM (published: 900 GB/s bidirectional), bytes/s;
/// the PCIe card's NVLink bridge gives 300 GB/s per direction. Not measured here.
fn nvlink_bytes_per_second(spec: &GpuSpec) -> f64 {
    if spec.name.contains("PCIE") {
        300e9
    } else {
        450e9
    }
}

const GRID_POINTS: usize = 385;
const LOG_R_MIN: f64 = -6.0;
const LOG_R_MAX: f64 = 6.0;

/// Work of one mixed step, replica-wide.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepWork {
    /// Tokens computed (decode tokens plus prefill chunk tokens).
    pub tokens: f64,
    /// Cached tokens read by attention (decode contexts; start + chunk of each prefill chunk).
    pub kv_read_tokens: f64,
    /// (query, key) pairs of attention.
    pub attention_pairs: f64,
}

/// Time, power and energy of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCost {
    /// Duration, s.
    pub seconds: f64,
    /// Replica power (all its GPUs), W.
    pub watts: f64,
}

/// Per-replica step-cost model: the model's per-token figures and the tabulated operating point.
#[derive(Debug, Clone)]
pub struct CostModel {
    tp: f64,
    weight_bytes_per_gpu: f64,
    activation_bytes_per_token: f64,
    kv_bytes_per_token: f64,
    flops_per_token: f64,
    attention_flops_per_pair: f64,
    allreduce_seconds_per_token: f64,
    bandwidth: f64,
    flops_at_max_clock: f64,
    /// `t / t_mem` at grid point `i` (steady clock and throttle folded in).
    slowdown: Vec<f64>,
    /// Power of one GPU at grid point `i`, W.
    watts: Vec<f64>,
    idle_watts_per_gpu: f64,
    step_overhead_seconds: f64,
}

impl CostModel {
    /// The model of `model` on `tp` GPUs of `spec`, inlet at `inlet_c`.
    pub fn new(spec: &GpuSpec, model: &ModelSpec, tp: u32, inlet_c: f64, step_overhead_seconds: f64) -> CostModel {
        let s = model.shapes();
        let tpf = tp as f64;
        let d = &spec.decode;
        let (hidden, layers) = (s.hidden as f64, s.layers as f64);
        let allreduce = if tp > 1 {
            // Ring all-reduce of the bf16 activations, twice per layer: 2·(tp−1)/tp of the data each.
            2.0 * layers * hidden * 2.0 * 2.0 * (tpf - 1.0) / tpf / nvlink_bytes_per_second(spec)
        } else {
            0.0
        };
        let mut cost = CostModel {
            tp: tpf,
            weight_bytes_per_gpu: model.weights_bytes() / tpf,
            activation_bytes_per_token: model.activation_bytes_per_token(d.activation_bytes) / tpf,
            kv_bytes_per_token: model.kv_bytes_per_token() / tpf,
            flops_per_token: 2.0 * model.params / tpf,
            attention_flops_per_pair: 4.0 * hidden * layers / tpf,
            allreduce_seconds_per_token: allreduce,
            bandwidth: d.bandwidth_bytes_per_second,
            flops_at_max_clock: d.flops,
            slowdown: Vec::with_capacity(GRID_POINTS),
            watts: Vec::with_capacity(GRID_POINTS),
            idle_watts_per_gpu: idle_watts(spec, inlet_c),
            step_overhead_seconds,
        };
        let bytes = 1.0e10;
        let t_mem = bytes / cost.bandwidth;
        for i in 0..GRID_POINTS {
            let r = 10f64.powf(LOG_R_MIN + (LOG_R_MAX - LOG_R_MIN) * i as f64 / (GRID_POINTS - 1) as f64);
            let flops = r * t_mem * cost.flops_at_max_clock;
            let p = steady_point(spec, bytes, flops, inlet_c);
            let (t, act) = step_at_point(spec, bytes, flops, p.clock_ratio, p.memory_ratio);
            cost.slowdown.push(t / t_mem);
            cost.watts.push(power_at(spec, act, p.clock_ratio, p.gpu_temp_c).total_watts());
        }
        cost
    }

    /// Idle power of the whole replica, W.
    pub fn idle_watts(&self) -> f64 {
        self.idle_watts_per_gpu * self.tp
    }

    /// Weight bytes held per GPU.
    pub fn weight_bytes_per_gpu(&self) -> f64 {
        self.weight_bytes_per_gpu
    }

    /// Time and power of a step doing `work`.
    #[inline]
    pub fn step(&self, work: &StepWork) -> StepCost {
        let bytes = self.weight_bytes_per_gpu
            + work.tokens * self.activation_bytes_per_token
            + work.kv_read_tokens * self.kv_bytes_per_token;
        let flops = work.tokens * self.flops_per_token + work.attention_pairs * self.attention_flops_per_pair;
        let t_mem = bytes / self.bandwidth;
        let r = flops / self.flops_at_max_clock / t_mem;
        let (slow, gpu_watts) = self.lookup(r);
        let compute = t_mem * slow;
        let comm = work.tokens * self.allreduce_seconds_per_token + self.step_overhead_seconds;
        let seconds = compute + comm;
        // During the all-reduce and the host overhead the GPUs draw idle power.
        let watts = self.tp * (gpu_watts * compute + self.idle_watts_per_gpu * comm) / seconds;
        StepCost { seconds, watts }
    }

    #[inline]
    fn lookup(&self, r: f64) -> (f64, f64) {
        let n = GRID_POINTS - 1;
        let x = ((r.max(1e-300).log10() - LOG_R_MIN) / (LOG_R_MAX - LOG_R_MIN) * n as f64).max(0.0);
        if x >= n as f64 {
            // Past the grid the step is compute-bound at a fixed clock: time grows linearly in r.
            let r_max = 10f64.powf(LOG_R_MAX);
            return (self.slowdown[n] * r / r_max, self.watts[n]);
        }
        let i = x as usize;
        let w = x - i as f64;
        let lerp = |v: &[f64]| v[i] + (v[i + 1] - v[i]) * w;
        (lerp(&self.slowdown), lerp(&self.watts))
    }
}

/// Steady idle power of one GPU (context open, nothing running) at inlet `inlet_c`, W.
pub fn idle_watts(spec: &GpuSpec, inlet_c: f64) -> f64 {
    let mut gpu_c = spec.power.idle_ref_temp_c;
    for _ in 0..50 {
        let p = power_at(spec, Activity::default(), 1.0, gpu_c);
        gpu_c = ThermalState::steady(&spec.thermal, inlet_c, p).gpu_c();
    }
    power_at(spec, Activity::default(), 1.0, gpu_c).total_watts()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::gpu::decode::{decode, DecodeOptions};

    #[test]
    fn a_decode_step_costs_what_the_decode_model_says() {
        let spec = GpuSpec::h100_sxm();
        let model = ModelSpec::new(8.03e9, 2.0).unwrap();
        let cost = CostModel::new(&spec, &model, 1, spec.thermal.inlet_temp_c, 0.0);
        for (batch, context) in [(1u64, 0u64), (32, 0), (256, 0), (64, 2048), (16, 4096)] {
            let d = decode(
                &spec,
                &model,
                batch as i64,
                DecodeOptions { context_tokens: context },
                spec.thermal.inlet_temp_c,
            )
            .unwrap();
            let b = batch as f64;
            let c = context as f64;
            let step = cost.step(&StepWork { tokens: b, kv_read_tokens: b * c, attention_pairs: b * c });
            assert!(
                (step.seconds / d.step_seconds - 1.0).abs() < 2e-3,
                "B={batch}: {} vs {}",
                step.seconds,
                d.step_seconds
            );
            assert!((step.watts / d.power_watts - 1.0).abs() < 2e-3, "B={batch}: {} vs {}", step.watts, d.power_watts);
        }
    }
}
