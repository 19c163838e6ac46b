//! How many tokens an endpoint's GPUs serve in a tick, at what power and latency.
//!
//! [`ServingModel`] is the seam: the site asks it for a tick's outcome and for the GPUs an SLO
//! needs. [`AggregateServing`] is the model used today — an aggregate of the calibrated H100
//! decode model (`hcpcore::sim::decode`) with a queueing approximation of time to first token. The
//! request-level simulator (`hcpcore::sim::serve`, issue #12) can replace it behind the same trait.
//!
//! The aggregate model, per GPU of an endpoint with `λ` requests/s each:
//! - decode step time `t(b)` and power `P(b)` at batch `b` come from `sim::decode` at the
//!   trace's mean context (prompt + half the output), tabulated at b = 1, 2, 4, … up to the
//!   largest batch whose KV cache fits the card, interpolated log-linearly in b;
//! - prefill is compute-bound: `t_pf = 2·params·prompt / decode.flops` per request, drawing
//!   90 % of the power limit while it runs;
//! - the batch in flight satisfies Little's law `b = λ·(O·t(b) + t_pf)` (fixed point); the GPU's
//!   request capacity is `μ = 1 / (O·t(B)/B + t_pf)` at the largest batch `B`; demand above
//!   98 % of `μ` is shed (counted as missing the SLO);
//! - waiting for admission: the endpoint's GPUs form one pooled queue (a router sends each
//!   request to a GPU with room), `c` servers of rate `μ`; the chance to wait is Erlang C and the
//!   wait tail is exponential with Allen–Cunneen's variability factor `k = (c_a² + c_s²)/2` from
//!   the trace: `P(W > t) = C·exp(−(cμ − λ)·t / k)`, so
//!   `p99 TTFT = t_pf(p99 prompt) + t(b) + k·ln(100·C)/(cμ − λ)`.

use crate::sim::{decode, DecodeOptions, GpuSpec, ModelSpec};
use crate::Result;

/// One tick of demand at an endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointLoad {
    /// Arrivals, requests/s.
    pub requests_per_second: f64,
    /// Mean prompt tokens.
    pub mean_prompt_tokens: f64,
    /// 99th-percentile prompt tokens.
    pub p99_prompt_tokens: f64,
    /// Mean output tokens.
    pub mean_output_tokens: f64,
    /// Squared CV of inter-arrival times.
    pub arrival_cv2: f64,
    /// Squared CV of service times.
    pub service_cv2: f64,
    /// Time-to-first-token objective, s.
    pub ttft_slo_seconds: f64,
}

/// What the endpoint's GPUs did in a tick (rates over the tick).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ServingOutcome {
    /// Requests served per second.
    pub served_per_second: f64,
    /// Requests turned away per second (no capacity).
    pub shed_per_second: f64,
    /// Prompt + output tokens served per second.
    pub tokens_per_second: f64,
    /// Mean power per serving GPU, W.
    pub watts_per_gpu: f64,
    /// p99 time to first token of served requests, s.
    pub p99_ttft_seconds: f64,
    /// Fraction of arrived requests whose TTFT met the SLO (shed ones missed it).
    pub slo_attainment: f64,
    /// Mean decode batch per GPU.
    pub batch: f64,
    /// Utilisation of the GPUs' request capacity.
    pub utilisation: f64,
}

/// The serving seam: an aggregate model today, the request-level simulator later.
pub trait ServingModel: std::fmt::Debug + Send + Sync {
    /// A short name shown in reports.
    fn name(&self) -> &'static str;
    /// The outcome of `gpus` GPUs (may be fractional: GPUs that join mid-tick) serving `load`.
    fn serve(&self, load: &EndpointLoad, gpus: f64) -> ServingOutcome;
    /// Power of one GPU loaded but idle, W.
    fn idle_watts(&self) -> f64;

    /// The fewest GPUs whose outcome meets the SLO target (attainment ≥ `target`), at most `max`.
    fn gpus_for(&self, load: &EndpointLoad, target: f64, max: u32) -> u32 {
        if load.requests_per_second <= 0.0 {
            return 0;
        }
        // When even `max` GPUs miss the target, size for (nearly) the best attainment reachable
        // instead of taking every GPU.
        let best = self.serve(load, f64::from(max)).slo_attainment;
        let target = if best >= target { target } else { best - 1e-3 };
        let ok = |n: u32| n > 0 && self.serve(load, f64::from(n)).slo_attainment >= target;
        if max == 0 || !ok(max) {
            return max;
        }
        let (mut lo, mut hi) = (0u32, max);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ok(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// The aggregate serving model of one model on one GPU type (see the module docs).
#[derive(Debug, Clone)]
pub struct AggregateServing {
    batches: Vec<f64>,
    step_seconds: Vec<f64>,
    watts: Vec<f64>,
    prefill_seconds_per_token: f64,
    prefill_watts: f64,
    idle_watts: f64,
}

impl AggregateServing {
    /// Tabulates the decode model of `model` on `spec` at a context of `context_tokens`.
    /// `OutOfMemory` when not even a batch of one fits.
    pub fn new(spec: &GpuSpec, model: &ModelSpec, context_tokens: u64, max_batch: u64) -> Result<AggregateServing> {
        let mut out = AggregateServing {
            batches: Vec::new(),
            step_seconds: Vec::new(),
            watts: Vec::new(),
            prefill_seconds_per_token: 2.0 * model.params / spec.decode.flops,
            prefill_watts: 0.9 * spec.power.limit_watts,
            idle_watts: spec.power.idle_watts,
        };
        let mut b = 1u64;
        let options = DecodeOptions { context_tokens };
        while b <= max_batch {
            match decode(spec, model, b as i64, options, spec.thermal.inlet_temp_c) {
                Ok(d) => {
                    out.batches.push(b as f64);
                    out.step_seconds.push(d.step_seconds);
                    out.watts.push(d.power_watts);
                }
                Err(e) if out.batches.is_empty() => return Err(e),
                Err(_) => break,
            }
            b *= 2;
        }
        Ok(out)
    }

    /// Largest batch tabulated (the KV cache's limit).
    pub fn max_batch(&self) -> f64 {
        self.batches[self.batches.len() - 1]
    }

    fn interp(&self, b: f64, ys: &[f64]) -> f64 {
        let b = b.clamp(1.0, self.max_batch());
        let x = b.log2();
        let i = (x.floor() as usize).min(ys.len() - 1);
        if i + 1 >= ys.len() {
            return ys[ys.len() - 1];
        }
        let f = x - i as f64;
        ys[i] + (ys[i + 1] - ys[i]) * f
    }

    /// Decode step time at batch `b`, s.
    pub fn step_seconds(&self, b: f64) -> f64 {
        self.interp(b, &self.step_seconds)
    }

    /// Requests per second one GPU completes at its largest batch.
    pub fn capacity_per_gpu(&self, load: &EndpointLoad) -> f64 {
        let big = self.max_batch();
        1.0 / (load.mean_output_tokens * self.step_seconds(big) / big
            + load.mean_prompt_tokens * self.prefill_seconds_per_token)
    }
}

/// Erlang C: the probability that a request waits, `c` servers at offered load `a` (Erlangs).
fn erlang_c(c: u32, a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    if a >= f64::from(c) {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let c = f64::from(c);
    (c * b / (c - a * (1.0 - b))).clamp(0.0, 1.0)
}

impl ServingModel for AggregateServing {
    fn name(&self) -> &'static str {
        "aggregate (sim::decode + queueing TTFT)"
    }

    fn idle_watts(&self) -> f64 {
        self.idle_watts
    }

    fn serve(&self, load: &EndpointLoad, gpus: f64) -> ServingOutcome {
        let demand = load.requests_per_second.max(0.0);
        if gpus <= 1e-9 {
            return ServingOutcome {
                shed_per_second: demand,
                slo_attainment: if demand > 0.0 { 0.0 } else { 1.0 },
                ..Default::default()
            };
        }
        let mu = self.capacity_per_gpu(load);
        let offered = demand / gpus;
        let lambda = offered.min(0.98 * mu);
        let served = lambda * gpus;
        let shed = demand - served;
        let t_pf = load.mean_prompt_tokens * self.prefill_seconds_per_token;
        let o = load.mean_output_tokens;
        // Little's law fixed point for the batch in flight.
        let mut b = 1.0f64;
        for _ in 0..40 {
            let nb = (lambda * (o * self.step_seconds(b) + t_pf)).clamp(1e-9, self.max_batch());
            if (nb - b).abs() < 1e-6 {
                b = nb;
                break;
            }
            b = 0.5 * (b + nb);
        }
        let step = self.step_seconds(b.max(1.0));
        let prefill_share = (lambda * t_pf).min(1.0);
        let busy = (lambda * (o * step + t_pf)).min(1.0);
        let decode_watts = self.interp(b.max(1.0), &self.watts);
        let watts = self.idle_watts
            + busy * ((1.0 - prefill_share) * decode_watts + prefill_share * self.prefill_watts - self.idle_watts);
        let rho = (lambda / mu).min(0.98);
        // Pooled queue (the endpoint's router sends each request to a free GPU): Erlang C for
        // c = ⌊gpus⌋ servers, Allen–Cunneen's variability factor k.
        let c = gpus.floor().max(1.0);
        let total = served;
        let erlang_c = erlang_c(c as u32, total / mu);
        let drain = (c * mu - total).max(1e-9);
        let k = ((load.arrival_cv2 + load.service_cv2) / 2.0).max(0.05);
        let t_pf99 = load.p99_prompt_tokens * self.prefill_seconds_per_token;
        let w99 = if erlang_c > 0.01 { k * (erlang_c / 0.01).ln() / drain } else { 0.0 };
        let p99 = t_pf99 + step + w99;
        let slack = load.ttft_slo_seconds - t_pf - step;
        let met = if slack <= 0.0 { 0.0 } else { 1.0 - (erlang_c * (-drain * slack / k).exp()).min(1.0) };
        let tokens = served * (load.mean_prompt_tokens + o);
        ServingOutcome {
            served_per_second: served,
            shed_per_second: shed,
            tokens_per_second: tokens,
            watts_per_gpu: watts,
            p99_ttft_seconds: p99,
            slo_attainment: if demand > 0.0 { served * met / demand } else { 1.0 },
            batch: b,
            utilisation: rho,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rps: f64) -> EndpointLoad {
        EndpointLoad {
            requests_per_second: rps,
            mean_prompt_tokens: 1155.0,
            p99_prompt_tokens: 4000.0,
            mean_output_tokens: 211.0,
            arrival_cv2: 1.5,
            service_cv2: 1.2,
            ttft_slo_seconds: 1.0,
        }
    }

    #[test]
    fn more_load_more_power_and_latency_until_shed() {
        let m = AggregateServing::new(&GpuSpec::h100_sxm(), &ModelSpec::new(8e9, 2.0).unwrap(), 1260, 256).unwrap();
        let light = m.serve(&load(1.0), 4.0);
        let heavy = m.serve(&load(40.0), 4.0);
        assert!(heavy.watts_per_gpu > light.watts_per_gpu);
        assert!(heavy.p99_ttft_seconds > light.p99_ttft_seconds);
        assert!(light.shed_per_second == 0.0 && light.slo_attainment > 0.99);
        let over = m.serve(&load(1e4), 4.0);
        assert!(over.shed_per_second > 0.0 && over.slo_attainment < 0.5);
        assert!(over.watts_per_gpu <= GpuSpec::h100_sxm().power.limit_watts + 1e-9);
        let n = m.gpus_for(&load(40.0), 0.99, 512);
        assert!(m.serve(&load(40.0), f64::from(n)).slo_attainment >= 0.99);
        assert!(m.serve(&load(40.0), f64::from(n - 1)).slo_attainment < 0.99);
    }
}
