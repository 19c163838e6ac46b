//! Totals and percentiles of a serving run. Percentiles interpolate linearly between order
//! statistics (numpy's default), so a Python user can check them with `numpy.percentile`.

use serde::Serialize;

use crate::{Error, ErrorKind, Result};

use super::config::ServeConfig;
use super::engine::{Facts, ServeResult, SwitchRecord};
use super::requests::RequestColumns;
use super::series::ServeSeries;

/// p50, p90 and p99 of one latency, s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// Totals of a run. Rates divide by `duration_seconds`, from the first arrival to the last
/// completion; energy covers every replica's GPUs over that span, idle time included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ServeSummary {
    /// Requests served.
    pub requests: u64,
    /// First arrival to last completion, s.
    pub duration_seconds: f64,
    /// Queueing delay.
    pub queue_seconds: Percentiles,
    /// Time to first token.
    pub ttft_seconds: Percentiles,
    /// Mean time per output token.
    pub tpot_seconds: Percentiles,
    /// End-to-end latency.
    pub e2e_seconds: Percentiles,
    /// Share of requests meeting their objectives.
    pub slo_attainment: f64,
    /// Requests meeting their objectives per second.
    pub goodput_requests_per_second: f64,
    /// Requests per second.
    pub requests_per_second: f64,
    /// Prompt tokens served.
    pub prompt_tokens: u64,
    /// Output tokens produced.
    pub output_tokens: u64,
    /// Output tokens per second.
    pub output_tokens_per_second: f64,
    /// GPU energy, J.
    pub energy_joules: f64,
    /// Mean GPU power of all replicas together, W.
    pub mean_power_watts: f64,
    /// Energy per output token, J.
    pub joules_per_output_token: f64,
    /// Preemptions (recomputations).
    pub preemptions: u64,
    /// Steps run, all replicas.
    pub steps: u64,
    /// GPUs in the run.
    pub gpus: u32,
}

fn percentiles(values: &mut [f64]) -> Percentiles {
    if values.is_empty() {
        return Percentiles::default();
    }
    let mut at = |q: f64| {
        let pos = q * (values.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let frac = pos - lo as f64;
        let (_, &mut a, rest) = values.select_nth_unstable_by(lo, f64::total_cmp);
        let b = if frac > 0.0 { rest.iter().copied().fold(f64::INFINITY, f64::min) } else { a };
        a + (b - a) * frac
    };
    Percentiles { p50: at(0.5), p90: at(0.9), p99: at(0.99) }
}

/// Totals of one tenant's requests. Energy is attributed in proportion to the tokens computed
/// (prompt plus output) — the stated rule, since a batch step is shared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct TenantSummary {
    /// Tenant.
    pub tenant: u32,
    /// Requests served.
    pub requests: u64,
    /// Share meeting their objectives.
    pub slo_attainment: f64,
    /// Requests meeting their objectives per second of the run.
    pub goodput_requests_per_second: f64,
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Output tokens per second of the run.
    pub output_tokens_per_second: f64,
    /// Time to first token.
    pub ttft_seconds: Percentiles,
    /// End-to-end latency.
    pub e2e_seconds: Percentiles,
    /// Attributed GPU energy, J.
    pub energy_joules: f64,
}

#[derive(Default)]
struct TenantAcc {
    requests: u64,
    met: u64,
    prompt: u64,
    output: u64,
    ttft: Vec<f64>,
    e2e: Vec<f64>,
}

fn tenants(
    tenant: &[i64],
    requests: RequestColumns<'_>,
    ttft: &[f64],
    e2e: &[f64],
    slo_met: &[bool],
    duration: f64,
    energy: f64,
) -> Vec<TenantSummary> {
    let mut by: std::collections::BTreeMap<i64, TenantAcc> = std::collections::BTreeMap::new();
    for (i, &t) in tenant.iter().enumerate() {
        let a = by.entry(t).or_default();
        a.requests += 1;
        a.met += u64::from(slo_met[i]);
        a.prompt += requests.prompt_tokens[i] as u64;
        a.output += requests.output_tokens[i] as u64;
        a.ttft.push(ttft[i]);
        a.e2e.push(e2e[i]);
    }
    let all_tokens: u64 = by.values().map(|a| a.prompt + a.output).sum();
    let per_second = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    by.into_iter()
        .map(|(t, mut a)| TenantSummary {
            tenant: t as u32,
            requests: a.requests,
            slo_attainment: a.met as f64 / a.requests as f64,
            goodput_requests_per_second: per_second(a.met as f64),
            prompt_tokens: a.prompt,
            output_tokens: a.output,
            output_tokens_per_second: per_second(a.output as f64),
            ttft_seconds: percentiles(&mut a.ttft),
            e2e_seconds: percentiles(&mut a.e2e),
            energy_joules: if all_tokens > 0 { energy * (a.prompt + a.output) as f64 / all_tokens as f64 } else { 0.0 },
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn summarize(
    config: &ServeConfig,
    requests: RequestColumns<'_>,
    facts: Facts,
    replica: Vec<u32>,
    series: ServeSeries,
    switches: Vec<SwitchRecord>,
    steps: u64,
    origin: f64,
    end: f64,
) -> Result<ServeResult> {
    let n = requests.len();
    let mut queue = Vec::with_capacity(n);
    let mut ttft = Vec::with_capacity(n);
    let mut tpot = Vec::with_capacity(n);
    let mut e2e = Vec::with_capacity(n);
    let mut slo_met = Vec::with_capacity(n);
    let mut met = 0u64;
    for i in 0..n {
        let arrival = requests.arrival_seconds[i];
        let (a, f, d) = (facts.admitted[i], facts.first_token[i], facts.finished[i]);
        if a.is_nan() || f.is_nan() || d.is_nan() {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("request {i} did not complete (a bug in hcpcore::sim::serve)"),
            ));
        }
        let out = requests.output_tokens[i];
        let t = if out > 1 { (d - f) / (out - 1) as f64 } else { 0.0 };
        queue.push(a - arrival);
        ttft.push(f - arrival);
        tpot.push(t);
        e2e.push(d - arrival);
        let ttft_slo = requests.ttft_slo_seconds.map_or(config.ttft_slo_seconds, |c| c[i]);
        let tpot_slo = requests.tpot_slo_seconds.map_or(config.tpot_slo_seconds, |c| c[i]);
        let ok = f - arrival <= ttft_slo && t <= tpot_slo;
        met += u64::from(ok);
        slo_met.push(ok);
    }
    let duration = end - origin;
    let per_second = |x: f64| if duration > 0.0 { x / duration } else { 0.0 };
    let energy: f64 = series.energy_joules.iter().sum();
    let output_tokens: u64 = requests.output_tokens.iter().map(|&k| k as u64).sum();
    let prompt_tokens: u64 = requests.prompt_tokens.iter().map(|&k| k as u64).sum();
    let mut scratch = queue.clone();
    let q = percentiles(&mut scratch);
    scratch.copy_from_slice(&ttft);
    let tt = percentiles(&mut scratch);
    scratch.copy_from_slice(&tpot);
    let tp = percentiles(&mut scratch);
    scratch.copy_from_slice(&e2e);
    let ee = percentiles(&mut scratch);
    let summary = ServeSummary {
        requests: n as u64,
        duration_seconds: duration,
        queue_seconds: q,
        ttft_seconds: tt,
        tpot_seconds: tp,
        e2e_seconds: ee,
        slo_attainment: if n > 0 { met as f64 / n as f64 } else { 0.0 },
        goodput_requests_per_second: per_second(met as f64),
        requests_per_second: per_second(n as f64),
        prompt_tokens,
        output_tokens,
        output_tokens_per_second: per_second(output_tokens as f64),
        energy_joules: energy,
        mean_power_watts: per_second(energy),
        joules_per_output_token: if output_tokens > 0 { energy / output_tokens as f64 } else { 0.0 },
        preemptions: facts.preemptions.iter().map(|&p| u64::from(p)).sum(),
        steps,
        gpus: config.replicas * config.tensor_parallel,
    };
    let tenants = match requests.tenant {
        Some(t) => tenants(t, requests, &ttft, &e2e, &slo_met, duration, energy),
        None => Vec::new(),
    };
    Ok(ServeResult {
        replica,
        queue_seconds: queue,
        ttft_seconds: ttft,
        tpot_seconds: tpot,
        e2e_seconds: e2e,
        slo_met,
        preemptions: facts.preemptions,
        series,
        switches,
        summary,
        tenants,
    })
}
