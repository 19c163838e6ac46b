//! The run: requests dispatched to replicas at their arrival, replicas stepping independently,
//! model switches played, and the results gathered as columns. Event-driven: the next event is
//! the earliest of the next arrival, the next switch order and the earliest end of a replica's
//! step (an arrival at the same instant as a step end is dispatched first).

use serde::Serialize;

use crate::sim::gpu::decode::ModelSpec;
use crate::sim::gpu::power::{power_at, Activity};
use crate::sim::gpu::spec::GpuSpec;
use crate::sim::gpu::switch::{switch_phases, SwitchPhases, SwitchRequest};
use crate::sim::rng::SimRng;
use crate::{Error, ErrorKind, Result};

use super::config::{Dispatch, ServeConfig};
use super::cost::CostModel;
use super::replica::{Outcome, Replica, RequestInfo, Sink};
use super::requests::RequestColumns;
use super::series::{SeriesBuilder, ServeSeries};
use super::summary::{summarize, ServeSummary};

/// One switch as played.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SwitchRecord {
    /// Replica.
    pub replica: u32,
    /// When the switch started (the end of the step in flight at the order), s.
    pub start_seconds: f64,
    /// Its phases (the replica's KV cache is dropped and its requests recomputed, so nothing is
    /// saved to host).
    pub phases: SwitchPhases,
    /// Energy of the replica's GPUs during the switch, J.
    pub energy_joules: f64,
}

/// Per-request columns (input order), per-replica series, switches and the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServeResult {
    /// Replica that served each request.
    pub replica: Vec<u32>,
    /// Arrival to first admission into a batch, s.
    pub queue_seconds: Vec<f64>,
    /// Arrival to first output token, s.
    pub ttft_seconds: Vec<f64>,
    /// Mean time per output token after the first, s (0 for one-token outputs).
    pub tpot_seconds: Vec<f64>,
    /// Arrival to last output token, s.
    pub e2e_seconds: Vec<f64>,
    /// TTFT and mean TPOT both within the request's objectives.
    pub slo_met: Vec<bool>,
    /// Times the request was preempted (and recomputed).
    pub preemptions: Vec<u32>,
    /// Per-replica series.
    pub series: ServeSeries,
    /// Switches played.
    pub switches: Vec<SwitchRecord>,
    /// Totals and percentiles.
    pub summary: ServeSummary,
    /// Per-tenant totals, by tenant id (empty without a tenant column).
    pub tenants: Vec<super::summary::TenantSummary>,
}

/// Per-request facts gathered during the run.
pub(super) struct Facts {
    pub admitted: Vec<f64>,
    pub first_token: Vec<f64>,
    pub finished: Vec<f64>,
    pub preemptions: Vec<u32>,
}

impl Sink for Facts {
    #[inline]
    fn admitted(&mut self, req: u32, time: f64) {
        let a = &mut self.admitted[req as usize];
        if a.is_nan() {
            *a = time;
        }
    }
    #[inline]
    fn preempted(&mut self, req: u32) {
        self.preemptions[req as usize] += 1;
    }
    #[inline]
    fn outcome(&mut self, outcome: Outcome, time: f64) {
        match outcome {
            Outcome::FirstToken(r) => self.first_token[r as usize] = time,
            Outcome::Finished(r) => self.finished[r as usize] = time,
        }
    }
}

/// KV-cache capacity in tokens of `model` on a replica of `config.tensor_parallel` cards; a model
/// whose weights leave no room is `OutOfMemory` naming `model`.
pub fn kv_capacity_tokens(spec: &GpuSpec, model: &ModelSpec, config: &ServeConfig) -> Result<u64> {
    let tp = f64::from(config.tensor_parallel);
    let usable = spec.memory_total_bytes * config.memory_utilization - spec.memory_reserved_bytes;
    let free = usable - model.weights_bytes() / tp;
    let kv_per_token = model.kv_bytes_per_token() / tp;
    let tokens = (free / kv_per_token).floor();
    if free <= 0.0 || tokens < f64::from(config.kv_block_tokens) {
        return Err(Error::new(
            ErrorKind::OutOfMemory,
            format!(
                "model: {:.2} GB of weights per GPU ({} GPU(s)) leave no room for a KV cache in the {:.2} GB usable \
                 on {} at memory_utilization {}",
                model.weights_bytes() / tp / 1e9,
                config.tensor_parallel,
                usable / 1e9,
                spec.name,
                config.memory_utilization
            ),
        ));
    }
    Ok(tokens as u64)
}

/// A switch waiting for its replica's step to end.
#[derive(Debug, Clone, Copy)]
struct PendingSwitch {
    index: usize,
}

/// Runs `requests` on `config.replicas` replicas of `model` on `spec` GPUs.
pub fn run(
    spec: &GpuSpec,
    model: &ModelSpec,
    config: &ServeConfig,
    requests: RequestColumns<'_>,
) -> Result<ServeResult> {
    let config = config.clone().validated()?;
    let model = model.validated()?;
    requests.validate()?;
    let inlet = config.inlet_c.unwrap_or(spec.thermal.inlet_temp_c);
    let capacity = kv_capacity_tokens(spec, &model, &config)?;
    let mut min_capacity = capacity;
    for (i, s) in config.switches.iter().enumerate() {
        let c = kv_capacity_tokens(spec, &s.model, &config)
            .map_err(|e| Error::new(e.kind(), format!("switches[{i}].{}", e.message())))?;
        min_capacity = min_capacity.min(c);
    }
    let block = u64::from(config.kv_block_tokens);
    for i in 0..requests.len() {
        let need = (requests.prompt_tokens[i] + requests.output_tokens[i]) as u64 + block - 1;
        if need > min_capacity {
            return Err(Error::invalid_input(
                &format!("prompt_tokens[{i}]"),
                format!(
                    "prompt plus output ({} tokens) exceed the {min_capacity}-token KV cache of a replica",
                    need + 1 - block
                ),
            ));
        }
    }
    let n = requests.len();
    let info =
        RequestInfo { prompt: requests.prompt_tokens, output: requests.output_tokens, priority: requests.priority };
    let cost = CostModel::new(spec, &model, config.tensor_parallel, inlet, config.step_overhead_seconds);
    let idle_watts = cost.idle_watts();
    let replicas_n = config.replicas as usize;
    let mut replicas: Vec<Replica> = (0..replicas_n)
        .map(|_| {
            Replica::new(cost.clone(), capacity, config.kv_block_tokens, config.max_batch, config.max_tokens_per_step)
        })
        .collect();
    let origin = requests.arrival_seconds.first().copied().unwrap_or(0.0);
    let mut series = SeriesBuilder::new(replicas_n, origin, config.sample_seconds, idle_watts);
    let mut facts = Facts {
        admitted: vec![f64::NAN; n],
        first_token: vec![f64::NAN; n],
        finished: vec![f64::NAN; n],
        preemptions: vec![0; n],
    };
    let mut assigned = vec![0u32; n];
    // Step end (or switch end) of each replica; infinity when idle.
    let mut busy_until = vec![f64::INFINITY; replicas_n];
    let mut switching = vec![false; replicas_n];
    let mut pending: Vec<Option<PendingSwitch>> = vec![None; replicas_n];
    let mut switch_model: Vec<Option<ModelSpec>> = vec![None; replicas_n];
    let mut order: Vec<usize> = (0..config.switches.len()).collect();
    order.sort_by(|&a, &b| config.switches[a].at_seconds.total_cmp(&config.switches[b].at_seconds));
    let mut next_switch = 0;
    let mut records = Vec::new();
    let mut rng = SimRng::new(config.seed, 0x5e7e);
    let mut next = 0usize;
    let mut end_time = origin;

    loop {
        let t_arrival = requests.arrival_seconds.get(next).copied().unwrap_or(f64::INFINITY);
        let t_switch = order.get(next_switch).map_or(f64::INFINITY, |&i| config.switches[i].at_seconds.max(origin));
        let (r, t_step) =
            busy_until
                .iter()
                .enumerate()
                .fold((0, f64::INFINITY), |best, (i, &t)| if t < best.1 { (i, t) } else { best });
        if t_arrival.is_infinite() && t_switch.is_infinite() && t_step.is_infinite() {
            break;
        }
        if t_step < t_arrival && t_step <= t_switch {
            // A step (or a switch) on replica r ends.
            let now = t_step;
            end_time = end_time.max(now);
            if switching[r] {
                switching[r] = false;
                if let Some(m) = switch_model[r].take() {
                    let c = CostModel::new(spec, &m, config.tensor_parallel, inlet, config.step_overhead_seconds);
                    let cap = kv_capacity_tokens(spec, &m, &config)?;
                    series.set_idle_watts(r, c.idle_watts());
                    replicas[r].reconfigure(c, cap);
                }
            } else {
                let rep = &mut replicas[r];
                let prefill = rep.plan_prefill_tokens();
                let produced = rep.finish_step(now, &mut facts);
                series.tokens(r, now, produced, prefill);
            }
            busy_until[r] = f64::INFINITY;
            if let Some(p) = pending[r].take() {
                begin_switch(spec, &config, r, p.index, now, &mut replicas[r], &mut facts, &mut series, &mut records)?;
                busy_until[r] = records.last().map_or(now, |s: &SwitchRecord| now + s.phases.total_seconds);
                switching[r] = true;
                switch_model[r] = Some(config.switches[p.index].model);
                continue;
            }
            start(&mut replicas[r], r, now, &info, &mut facts, &mut series, &mut busy_until)?;
        } else if t_switch <= t_arrival {
            let index = order[next_switch];
            next_switch += 1;
            let r = config.switches[index].replica as usize;
            let now = t_switch;
            if busy_until[r].is_infinite() {
                begin_switch(spec, &config, r, index, now, &mut replicas[r], &mut facts, &mut series, &mut records)?;
                busy_until[r] = records.last().map_or(now, |s: &SwitchRecord| now + s.phases.total_seconds);
                switching[r] = true;
                switch_model[r] = Some(config.switches[index].model);
            } else {
                // Switches ordered while one is pending replace it.
                pending[r] = Some(PendingSwitch { index });
            }
        } else {
            let now = t_arrival;
            let req = next as u32;
            next += 1;
            let r = pick(&config, &replicas, &switching, &pending, req, &mut rng);
            assigned[req as usize] = r as u32;
            replicas[r].enqueue(req, &info);
            if busy_until[r].is_infinite() && !switching[r] {
                start(&mut replicas[r], r, now, &info, &mut facts, &mut series, &mut busy_until)?;
            }
        }
    }
    for r in 0..replicas_n {
        series.close(r, end_time);
    }
    let series = series.finish()?;
    let steps = replicas.iter().map(|r| r.steps).sum();
    summarize(&config, requests, facts, assigned, series, records, steps, origin, end_time)
}

#[allow(clippy::too_many_arguments)]
fn start(
    rep: &mut Replica,
    r: usize,
    now: f64,
    info: &RequestInfo<'_>,
    facts: &mut Facts,
    series: &mut SeriesBuilder,
    busy_until: &mut [f64],
) -> Result<()> {
    if let Some(cost) = rep.start_step(now, info, facts) {
        let end = now + cost.seconds;
        let batch = rep.running();
        series.busy(r, now, end, cost.watts, batch, rep.kv_used as f64 / rep.kv_capacity as f64)?;
        busy_until[r] = end;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn begin_switch(
    spec: &GpuSpec,
    config: &ServeConfig,
    r: usize,
    index: usize,
    now: f64,
    rep: &mut Replica,
    facts: &mut Facts,
    series: &mut SeriesBuilder,
    records: &mut Vec<SwitchRecord>,
) -> Result<()> {
    let s = &config.switches[index];
    rep.preempt_all(facts);
    let tp = f64::from(config.tensor_parallel);
    let old_weights = rep.cost.weight_bytes_per_gpu();
    let new_weights = s.model.weights_bytes() / tp;
    let request = SwitchRequest {
        kv_bytes: 0.0,
        weights_bytes: new_weights,
        clear_bytes: Some(old_weights),
        host_memory: s.host_memory,
        warm_context: s.warm_context,
        first_step: None,
    };
    let phases = switch_phases(spec, &request)
        .map_err(|e| Error::new(e.kind(), format!("switches[{index}].{}", e.message())))?;
    // Power of each phase: transfers and process start draw idle power plus the DRAM traffic they
    // cause; the clear runs at full DRAM activity; the first step is a batch-1 decode.
    let idle = rep.cost.idle_watts() / tp;
    let dram = |bytes_per_second: f64| {
        power_at(
            spec,
            Activity { tensor: 0.0, dram: bytes_per_second / spec.power.dram_full_bytes_per_second },
            1.0,
            spec.power.idle_ref_temp_c,
        )
        .total_watts()
            - power_at(spec, Activity::default(), 1.0, spec.power.idle_ref_temp_c).total_watts()
    };
    let x = &spec.transfer;
    let clear_seconds = old_weights / x.clear_bytes_per_second;
    let load_rate = match s.host_memory {
        crate::sim::gpu::switch::HostMemory::Pinned => x.h2d_pinned_bytes_per_second,
        crate::sim::gpu::switch::HostMemory::Pageable => x.h2d_pageable_bytes_per_second,
    };
    let first = CostModel::new(
        spec,
        &s.model,
        config.tensor_parallel,
        config.inlet_c.unwrap_or(spec.thermal.inlet_temp_c),
        0.0,
    )
    .step(&super::cost::StepWork { tokens: 1.0, kv_read_tokens: 0.0, attention_pairs: 0.0 });
    let mut t = now;
    let mut energy = 0.0;
    let spans = [
        (phases.save_state_seconds, idle),
        (phases.free_and_clear_seconds - clear_seconds, idle),
        (clear_seconds, idle + dram(x.clear_bytes_per_second)),
        (phases.load_weights_seconds, idle + dram(2.0 * load_rate)),
        (phases.context_start_seconds, idle),
        (phases.first_step_seconds, first.watts / tp),
    ];
    for (seconds, watts_per_gpu) in spans {
        if seconds > 0.0 {
            series.busy(r, t, t + seconds, watts_per_gpu * tp, 0, 0.0)?;
            energy += watts_per_gpu * tp * seconds;
            t += seconds;
        }
    }
    records.push(SwitchRecord { replica: r as u32, start_seconds: now, phases, energy_joules: energy });
    Ok(())
}

/// The replica an arriving request goes to. Replicas switching (or about to) are skipped while
/// another is serving.
fn pick(
    config: &ServeConfig,
    replicas: &[Replica],
    switching: &[bool],
    pending: &[Option<PendingSwitch>],
    req: u32,
    rng: &mut SimRng,
) -> usize {
    let n = replicas.len();
    if n == 1 {
        return 0;
    }
    let available = |i: usize| !switching[i] && pending[i].is_none();
    let any_available = (0..n).any(available);
    let eligible = |i: usize| !any_available || available(i);
    let load = |i: usize| match config.dispatch {
        Dispatch::LeastTokens => replicas[i].outstanding_tokens,
        _ => replicas[i].outstanding_requests,
    };
    if config.dispatch == Dispatch::RoundRobin {
        let mut i = req as usize % n;
        while !eligible(i) {
            i = (i + 1) % n;
        }
        return i;
    }
    let mut best = u64::MAX;
    let mut ties = 0u64;
    for i in (0..n).filter(|&i| eligible(i)) {
        let l = load(i);
        if l < best {
            best = l;
            ties = 1;
        } else if l == best {
            ties += 1;
        }
    }
    let mut k = if ties > 1 { rng.below(ties) } else { 0 };
    for i in (0..n).filter(|&i| eligible(i)) {
        if load(i) == best {
            if k == 0 {
                return i;
            }
            k -= 1;
        }
    }
    0
}
