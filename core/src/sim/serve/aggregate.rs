//! The aggregate serving model: throughput, batch and power of a group of replicas under a mean
//! load over an interval, in closed form — what a site loop stepping through months uses instead
//! of simulating every request. It applies the request-level model's step cost to the mean step
//! of a steady state:
//!
//! - each request occupies a replica for its prefill step and `output − 1` decode steps, so with
//!   step time `t` a request stays `S = output · t` and a replica holds `L = λ·S` requests on
//!   average (Little's law, `λ` its share of the arrivals);
//! - arrivals are taken as Poisson, so the requests in service are Poisson-distributed
//!   (an M/G/∞ occupancy): the replica is busy a share `u = 1 − e^(−L)` of the time, with
//!   `L/u` sequences per busy step, of which `(output − 1)/output` decode and the rest prefill
//!   `prompt` tokens; decoding sequences hold on average `prompt + output/2` tokens of context;
//! - prompts join the step after their arrival: a step of mean length `t` carries prompts with
//!   probability `q = 1 − e^(−λt)`, `λt/q` of them when it does, and `t` is the fixed point of the
//!   mean of those mixed steps and the decode-only ones;
//! - a replica saturates when that batch exceeds `max_batch` or the KV cache: it then serves
//!   `B_max / ((output − 1)·t)` requests per second at full batch, and the rest of the load is
//!   reported as unserved;
//! - power is `u · P_step + (1 − u) · P_idle`.
//!
//! `core/tests/sim_serve.rs` checks it against the request-level run on Poisson streams; the
//! agreement is stated in `docs/serving.md`.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::sim::gpu::decode::ModelSpec;
use crate::sim::gpu::spec::GpuSpec;
use crate::Result;

use super::config::ServeConfig;
use super::cost::{CostModel, StepCost, StepWork};
use super::engine::kv_capacity_tokens;

/// Mean load over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateLoad {
    /// Arrivals over all replicas, requests/s (≥ 0).
    pub arrival_rate_per_second: f64,
    /// Mean prompt tokens per request (≥ 1).
    pub mean_prompt_tokens: f64,
    /// Mean output tokens per request (≥ 1).
    pub mean_output_tokens: f64,
    /// Length of the interval, s (> 0).
    pub interval_seconds: f64,
}

/// Steady serving of a load by `config.replicas` replicas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AggregateServe {
    /// Requests served per second (the load, or less when saturated).
    pub served_requests_per_second: f64,
    /// Share of the load served.
    pub served_fraction: f64,
    /// Output tokens per second.
    pub output_tokens_per_second: f64,
    /// Mean step time of a busy replica (≈ the mean TPOT), s.
    pub step_seconds: f64,
    /// Share of time a replica is busy.
    pub utilization: f64,
    /// Mean sequences per busy step.
    pub mean_batch: f64,
    /// The load exceeds what the replicas serve.
    pub saturated: bool,
    /// Mean power of all the replicas' GPUs, W.
    pub power_watts: f64,
    /// Energy over the interval, J.
    pub energy_joules: f64,
    /// Energy per output token, J (0 without output).
    pub joules_per_output_token: f64,
}

/// The aggregate model of `load` on `config.replicas` replicas of `model` on `spec` GPUs.
///
/// ```
/// use hcpcore::sim::serve::{aggregate, AggregateLoad, ServeConfig};
/// use hcpcore::sim::{GpuSpec, ModelSpec};
/// let load = AggregateLoad { arrival_rate_per_second: 10.0, mean_prompt_tokens: 1000.0,
///                            mean_output_tokens: 200.0, interval_seconds: 3600.0 };
/// let a = aggregate(&GpuSpec::h100_sxm(), &ModelSpec::new(8e9, 2.0).unwrap(), &ServeConfig::default(), &load).unwrap();
/// assert!((a.output_tokens_per_second - 2000.0).abs() < 1e-6);
/// assert!(a.power_watts > 125.0 && a.power_watts < 700.0);
/// ```
pub fn aggregate(
    spec: &GpuSpec,
    model: &ModelSpec,
    config: &ServeConfig,
    load: &AggregateLoad,
) -> Result<AggregateServe> {
    let config = config.clone().validated()?;
    let model = model.validated()?;
    let rate = check::in_range("arrival_rate_per_second", load.arrival_rate_per_second, 0.0, 1e9)?;
    let prompt =
        check::in_range("mean_prompt_tokens", load.mean_prompt_tokens, 1.0, super::config::MAX_REQUEST_TOKENS as f64)?;
    let output =
        check::in_range("mean_output_tokens", load.mean_output_tokens, 1.0, super::config::MAX_REQUEST_TOKENS as f64)?;
    let interval =
        check::positive_at_most("interval_seconds", load.interval_seconds, crate::limits::MAX_DT_SECONDS * 100.0)?;
    let capacity = kv_capacity_tokens(spec, &model, &config)? as f64;
    let inlet = config.inlet_c.unwrap_or(spec.thermal.inlet_temp_c);
    let cost = CostModel::new(spec, &model, config.tensor_parallel, inlet, config.step_overhead_seconds);
    let replicas = f64::from(config.replicas);
    let lambda = rate / replicas;
    let context = prompt + 0.5 * output;
    let slack = f64::from(config.kv_block_tokens) - 1.0;
    let b_max = f64::from(config.max_batch).min(capacity / (context + slack)).max(1.0);
    let decode_share = (output - 1.0) / output;
    let step = |batch: f64, prefill_requests: f64| -> StepCost {
        let decode = batch * decode_share;
        let prefill = prefill_requests * prompt;
        cost.step(&StepWork {
            tokens: decode + prefill,
            kv_read_tokens: decode * context + prefill,
            attention_pairs: decode * context + prefill_requests * prompt * (prompt + 1.0) / 2.0,
        })
    };
    let idle = cost.idle_watts();
    if lambda == 0.0 {
        return Ok(AggregateServe {
            served_requests_per_second: 0.0,
            served_fraction: 1.0,
            output_tokens_per_second: 0.0,
            step_seconds: step(1.0, 0.0).seconds,
            utilization: 0.0,
            mean_batch: 0.0,
            saturated: false,
            power_watts: idle * replicas,
            energy_joules: idle * replicas * interval,
            joules_per_output_token: 0.0,
        });
    }
    // Unsaturated steady state: fixed point of the mean step time.
    let mut t = step(1.0, 0.0).seconds;
    let mut state = None;
    for _ in 0..500 {
        let l = lambda * output * t;
        let u = -(-l).exp_m1();
        let batch = l / u;
        if batch > b_max {
            state = None;
            break;
        }
        let mix = mixed_steps(lambda, batch, &step);
        let done = (mix.mean_seconds - t).abs() <= 1e-12 * t;
        t = 0.5 * (t + mix.mean_seconds);
        state = Some((u, batch, mix));
        if done {
            break;
        }
    }
    let (served, u, batch, busy_watts, step_seconds, saturated) = match state {
        Some((u, batch, mix)) => (lambda, u, batch, mix.mean_watts, mix.mean_seconds, false),
        None => {
            // Saturated: full batch every step, each finishing request replaced by a prefill.
            let mut mix = mixed_steps(0.0, b_max, &step);
            let mut t = mix.mean_seconds;
            for _ in 0..200 {
                mix = mixed_steps(b_max / (output * t), b_max, &step);
                if (mix.mean_seconds - t).abs() <= 1e-12 * t {
                    break;
                }
                t = 0.5 * (t + mix.mean_seconds);
            }
            let served = (b_max / (output * mix.mean_seconds)).min(lambda);
            (served, 1.0, b_max, mix.mean_watts, mix.mean_seconds, served < lambda)
        }
    };
    let power = replicas * (u * busy_watts + (1.0 - u) * idle);
    let served_total = served * replicas;
    let tokens = served_total * output;
    Ok(AggregateServe {
        served_requests_per_second: served_total,
        served_fraction: served / lambda,
        output_tokens_per_second: tokens,
        step_seconds,
        utilization: u,
        mean_batch: batch,
        saturated,
        power_watts: power,
        energy_joules: power * interval,
        joules_per_output_token: if tokens > 0.0 { power / tokens } else { 0.0 },
    })
}

/// Mean step of a busy replica, mixing steps that carry prefills with decode-only steps.
struct Mix {
    mean_seconds: f64,
    mean_watts: f64,
}

/// Prompts arrive at `lambda` per second and join the step after their arrival, so a step of
/// mean length `t` carries prompts with probability `q = 1 − e^(−λt)`, `λt/q` of them when it
/// does; the other steps only decode.
fn mixed_steps(lambda: f64, batch: f64, step: &impl Fn(f64, f64) -> StepCost) -> Mix {
    let decode = step(batch, 0.0);
    if lambda <= 0.0 {
        return Mix { mean_seconds: decode.seconds, mean_watts: decode.watts };
    }
    let mut t = decode.seconds;
    let mut mix = Mix { mean_seconds: t, mean_watts: decode.watts };
    for _ in 0..100 {
        let q = -(-lambda * t).exp_m1();
        let mixed = step(batch, lambda * t / q);
        let mean = q * mixed.seconds + (1.0 - q) * decode.seconds;
        let energy = q * mixed.seconds * mixed.watts + (1.0 - q) * decode.seconds * decode.watts;
        mix = Mix { mean_seconds: mean, mean_watts: energy / mean };
        if (mean - t).abs() <= 1e-12 * t {
            break;
        }
        t = 0.5 * (t + mean);
    }
    mix
}
