//! `hcpcore::sim::serve`: conservation and reference checks of the request-level serving model, its
//! edge cases and bad input, determinism, and the aggregate model's agreement with it.

use hcpcore::sim::gpu::decode::{decode, DecodeOptions};
use hcpcore::sim::serve::cost::{CostModel, StepWork};
use hcpcore::sim::serve::{
    aggregate, azure_trace, kv_capacity_tokens, run, synthetic, AggregateLoad, AzureTrace, LengthDistribution,
    ModelSwitch, RequestColumns, Requests, ServeConfig, SyntheticStream,
};
use hcpcore::sim::{GpuSpec, HostMemory, ModelSpec};
use hcpcore::ErrorKind;
use proptest::prelude::*;

fn llama8b() -> ModelSpec {
    ModelSpec::new(8e9, 2.0).unwrap()
}

fn sxm() -> GpuSpec {
    GpuSpec::h100_sxm()
}

/// Checks every invariant of a finished run against its input.
fn check_conservation(req: &Requests, config: &ServeConfig, r: &hcpcore::sim::serve::ServeResult) {
    let n = req.len();
    assert_eq!(r.ttft_seconds.len(), n);
    assert_eq!(r.summary.requests, n as u64);
    assert_eq!(r.summary.output_tokens, req.output_tokens.iter().sum::<i64>() as u64);
    for i in 0..n {
        let (q, f, e) = (r.queue_seconds[i], r.ttft_seconds[i], r.e2e_seconds[i]);
        assert!(q >= 0.0 && q <= f && f <= e, "request {i}: queue {q}, ttft {f}, e2e {e}");
        assert!(r.tpot_seconds[i] >= 0.0);
        assert!(r.replica[i] < config.replicas);
    }
    // Tokens in the series (by interval) add up to the output.
    let from_series: f64 = r
        .series
        .output_tokens_per_second
        .iter()
        .zip(&r.series.time_seconds)
        .map(|(tps, &t)| tps * (r.summary.duration_seconds + req.arrival_seconds[0] - t).min(config.sample_seconds))
        .sum();
    assert!((from_series - r.summary.output_tokens as f64).abs() < 1e-6 * from_series.max(1.0) + 1e-3);
    assert!(r.series.kv_used_fraction.iter().all(|&k| (0.0..=1.0).contains(&k)), "KV use above capacity");
    let energy: f64 = r.series.energy_joules.iter().sum();
    assert!((energy - r.summary.energy_joules).abs() < 1e-9 * energy.max(1.0));
}

#[test]
fn a_single_request_takes_its_prefill_plus_decode_steps() {
    let spec = sxm();
    let model = llama8b();
    let (prompt, output) = (1000i64, 50i64);
    let r = run(&spec, &model, &ServeConfig::default(), RequestColumns::new(&[3.0], &[prompt], &[output])).unwrap();
    assert_eq!(r.queue_seconds[0], 0.0);
    // Decode steps of one sequence at growing context, each the decode model's step at batch 1.
    let decode_total: f64 = (0..output - 1)
        .map(|k| {
            let o = DecodeOptions { context_tokens: (prompt + k) as u64 };
            decode(&spec, &model, 1, o, spec.thermal.inlet_temp_c).unwrap().step_seconds
        })
        .sum();
    let tpot = decode_total / (output - 1) as f64;
    assert!((r.tpot_seconds[0] / tpot - 1.0).abs() < 2e-3, "{} vs {tpot}", r.tpot_seconds[0]);
    assert!((r.e2e_seconds[0] - r.ttft_seconds[0] - decode_total).abs() < 2e-3 * decode_total);
    // Prefill of 1000 tokens of an 8B model is compute-bound: 16 TFLOP at under 893.6 TFLOP/s …
    assert!(r.ttft_seconds[0] > 16e12 / 893.6e12, "{}", r.ttft_seconds[0]);
    assert!(r.ttft_seconds[0] < 0.1);
    // … and exactly one step of the cost model: 1000 tokens, causal attention over themselves.
    let cost = CostModel::new(&spec, &model, 1, spec.thermal.inlet_temp_c, 0.0);
    let p = prompt as f64;
    let prefill = cost.step(&StepWork { tokens: p, kv_read_tokens: p, attention_pairs: p * (p + 1.0) / 2.0 });
    assert!((r.ttft_seconds[0] - prefill.seconds).abs() < 1e-12, "{} vs {}", r.ttft_seconds[0], prefill.seconds);
}

#[test]
fn a_long_prompt_is_prefilled_in_chunks_of_the_token_budget() {
    let config = ServeConfig { max_tokens_per_step: 512, max_batch: 8, ..ServeConfig::default() };
    let one = run(&sxm(), &llama8b(), &config, RequestColumns::new(&[0.0], &[4096], &[2])).unwrap();
    assert_eq!(one.summary.steps, 8 + 1, "8 chunks of 512, then one decode step");
}

#[test]
fn equal_priorities_are_served_first_come_first_served() {
    // One sequence at a time: admission order is completion order.
    let config = ServeConfig { max_batch: 1, max_tokens_per_step: 4096, ..ServeConfig::default() };
    let arrivals: Vec<f64> = (0..50).map(|i| i as f64 * 0.001).collect();
    let prompts: Vec<i64> = (0..50).map(|i| 100 + (i * 37) % 500).collect();
    let outputs: Vec<i64> = (0..50).map(|i| 1 + (i * 13) % 40).collect();
    let r = run(&sxm(), &llama8b(), &config, RequestColumns::new(&arrivals, &prompts, &outputs)).unwrap();
    let finish: Vec<f64> = (0..50).map(|i| arrivals[i] + r.e2e_seconds[i]).collect();
    assert!(finish.windows(2).all(|w| w[0] < w[1]), "FIFO broken");
}

#[test]
fn higher_priority_goes_first() {
    let config = ServeConfig { max_batch: 1, ..ServeConfig::default() };
    let arrivals = [0.0, 0.001, 0.002];
    let prompts = [100, 100, 100];
    let outputs = [100, 100, 100];
    let priority = [5, 5, 1];
    let mut cols = RequestColumns::new(&arrivals, &prompts, &outputs);
    cols.priority = Some(&priority);
    let r = run(&sxm(), &llama8b(), &config, cols).unwrap();
    // The first is running when the others arrive; the priority-1 request goes before the second.
    assert!(r.e2e_seconds[2] + arrivals[2] < r.e2e_seconds[1] + arrivals[1]);
}

#[test]
fn a_full_kv_cache_preempts_and_recomputes_and_every_request_still_completes() {
    // Little memory: the cache holds a few long sequences only.
    let config = ServeConfig { memory_utilization: 0.25, max_batch: 64, ..ServeConfig::default() };
    let cap = kv_capacity_tokens(&sxm(), &llama8b(), &config).unwrap();
    assert!(cap < 40_000, "{cap}");
    let n = 40;
    let arrivals: Vec<f64> = vec![0.0; n];
    let prompts = vec![2000i64; n];
    let outputs = vec![1500i64; n];
    let req = Requests { arrival_seconds: arrivals, prompt_tokens: prompts, output_tokens: outputs };
    let r = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    assert!(r.summary.preemptions > 0);
    check_conservation(&req, &config, &r);
}

#[test]
fn eight_replicas_share_the_load() {
    let req =
        synthetic(&SyntheticStream { requests: 4000, rate_per_second: 80.0, seed: 3, ..Default::default() }).unwrap();
    let config = ServeConfig { replicas: 8, seed: 1, ..ServeConfig::default() };
    let r = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    check_conservation(&req, &config, &r);
    for k in 0..8u32 {
        let share = r.replica.iter().filter(|&&x| x == k).count();
        assert!(share > 300 && share < 700, "replica {k}: {share}");
    }
    assert_eq!(r.summary.gpus, 8);
}

#[test]
fn runs_are_deterministic() {
    let req =
        synthetic(&SyntheticStream { requests: 2000, rate_per_second: 40.0, seed: 9, ..Default::default() }).unwrap();
    let config = ServeConfig { replicas: 4, seed: 5, ..ServeConfig::default() };
    let a = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    let b = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn tensor_parallel_fits_a_70b_model_and_speeds_decode() {
    let m70 = ModelSpec::new(70e9, 2.0).unwrap();
    let err = run(&sxm(), &m70, &ServeConfig::default(), RequestColumns::new(&[0.0], &[10], &[10])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutOfMemory);
    assert!(err.message().starts_with("model:"), "{}", err.message());
    let tp2 = ServeConfig { tensor_parallel: 2, ..ServeConfig::default() };
    let tp4 = ServeConfig { tensor_parallel: 4, ..ServeConfig::default() };
    let a = run(&sxm(), &m70, &tp2, RequestColumns::new(&[0.0], &[100], &[100])).unwrap();
    let b = run(&sxm(), &m70, &tp4, RequestColumns::new(&[0.0], &[100], &[100])).unwrap();
    assert!(b.tpot_seconds[0] < a.tpot_seconds[0]);
    assert_eq!(b.summary.gpus, 4);
}

#[test]
fn a_model_switch_pauses_the_replica_and_draws_power_in_each_phase() {
    let config = ServeConfig {
        switches: vec![ModelSwitch {
            at_seconds: 1.0,
            replica: 0,
            model: ModelSpec::new(14e9, 2.0).unwrap(),
            host_memory: HostMemory::Pinned,
            warm_context: true,
        }],
        ..ServeConfig::default()
    };
    let arrivals: Vec<f64> = (0..40).map(|i| i as f64 * 0.05).collect();
    let req = Requests { arrival_seconds: arrivals, prompt_tokens: vec![500; 40], output_tokens: vec![300; 40] };
    let r = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    check_conservation(&req, &config, &r);
    assert_eq!(r.switches.len(), 1);
    let s = r.switches[0];
    assert!(s.start_seconds >= 1.0 && s.start_seconds < 1.1);
    // 28 GB at 46.7 GB/s.
    assert!((s.phases.load_weights_seconds - 28e9 / 46.678e9).abs() < 0.01);
    let idle = 2.0 * 60.0;
    assert!(s.energy_joules > idle * s.phases.total_seconds);
    // Nothing is produced during the switch.
    let during: Vec<usize> = (0..40)
        .filter(|&i| {
            let f = req.arrival_seconds[i] + r.e2e_seconds[i];
            f > s.start_seconds + 1e-9 && f < s.start_seconds + s.phases.total_seconds - 1e-9
        })
        .collect();
    assert!(during.is_empty(), "{during:?}");
    assert!(r.preemptions.iter().sum::<u32>() > 0, "running requests were recomputed");
}

#[test]
fn bad_input_names_the_field() {
    let s = sxm();
    let m = llama8b();
    let c = ServeConfig::default();
    let msg = |cols: RequestColumns<'_>| run(&s, &m, &c, cols).unwrap_err().message().to_string();
    assert!(msg(RequestColumns::new(&[-1.0], &[1], &[1])).starts_with("arrival_seconds[0]:"));
    assert!(msg(RequestColumns::new(&[f64::NAN], &[1], &[1])).starts_with("arrival_seconds[0]:"));
    assert!(msg(RequestColumns::new(&[1.0, 0.5], &[1, 1], &[1, 1])).starts_with("arrival_seconds[1]:"));
    assert!(msg(RequestColumns::new(&[0.0], &[0], &[1])).starts_with("prompt_tokens[0]:"));
    assert!(msg(RequestColumns::new(&[0.0, 1.0], &[1, 1], &[1, -3])).starts_with("output_tokens[1]:"));
    assert!(msg(RequestColumns::new(&[0.0], &[1, 2], &[1])).starts_with("prompt_tokens:"));
    assert!(msg(RequestColumns::new(&[0.0], &[1_000_000], &[1])).starts_with("prompt_tokens[0]:"));
    let cfg =
        |c: ServeConfig| run(&s, &m, &c, RequestColumns::new(&[0.0], &[1], &[1])).unwrap_err().message().to_string();
    assert!(cfg(ServeConfig { max_batch: 0, ..ServeConfig::default() }).starts_with("max_batch:"));
    assert!(cfg(ServeConfig { max_tokens_per_step: 0, ..ServeConfig::default() }).starts_with("max_tokens_per_step:"));
    assert!(cfg(ServeConfig { replicas: 0, ..ServeConfig::default() }).starts_with("replicas:"));
    assert!(
        cfg(ServeConfig { memory_utilization: f64::NAN, ..ServeConfig::default() }).starts_with("memory_utilization:")
    );
    let bad_model = ModelSpec { params: -1.0, ..m };
    assert!(run(&s, &bad_model, &c, RequestColumns::new(&[0.0], &[1], &[1]))
        .unwrap_err()
        .message()
        .starts_with("params:"));
    assert!(synthetic(&SyntheticStream { rate_per_second: 0.0, ..Default::default() })
        .unwrap_err()
        .message()
        .starts_with("rate_per_second:"));
    assert!(synthetic(&SyntheticStream { output: LengthDistribution::Fixed { tokens: 0 }, ..Default::default() })
        .unwrap_err()
        .message()
        .starts_with("output.tokens:"));
}

#[test]
fn an_empty_stream_gives_empty_columns() {
    let r = run(&sxm(), &llama8b(), &ServeConfig::default(), RequestColumns::new(&[], &[], &[])).unwrap();
    assert!(r.ttft_seconds.is_empty());
    assert_eq!(r.summary.energy_joules, 0.0);
    assert_eq!(r.summary.output_tokens_per_second, 0.0);
}

#[test]
fn the_conversational_trace_runs_on_one_replica() {
    let t = azure_trace(AzureTrace::Conv);
    let head = Requests {
        arrival_seconds: t.arrival_seconds[..2000].to_vec(),
        prompt_tokens: t.prompt_tokens[..2000].to_vec(),
        output_tokens: t.output_tokens[..2000].to_vec(),
    };
    let config = ServeConfig::default();
    let r = run(&sxm(), &llama8b(), &config, head.view()).unwrap();
    check_conservation(&head, &config, &r);
    // 5.5 requests/s of ~1,150 + 210 tokens: an 8B model on one H100 keeps up.
    assert!(r.summary.ttft_seconds.p50 < 0.2, "{:?}", r.summary.ttft_seconds);
    assert!(r.summary.mean_power_watts > 150.0 && r.summary.mean_power_watts <= 700.0);
}

#[test]
fn the_aggregate_model_agrees_with_the_request_level_run() {
    let spec = sxm();
    let model = llama8b();
    let config = ServeConfig { replicas: 2, ..ServeConfig::default() };
    // From light load to past saturation (90/s on 2 replicas saturates them).
    for rate in [4.0, 20.0, 50.0, 90.0] {
        let stream = SyntheticStream {
            rate_per_second: rate,
            requests: (rate * 300.0) as u64,
            prompt: LengthDistribution::Uniform { min: 500, max: 1500 },
            output: LengthDistribution::Uniform { min: 100, max: 300 },
            seed: 11,
            ..Default::default()
        };
        let req = synthetic(&stream).unwrap();
        let r = run(&spec, &model, &config, req.view()).unwrap();
        let load = AggregateLoad {
            arrival_rate_per_second: req.len() as f64 / req.arrival_seconds.last().unwrap(),
            mean_prompt_tokens: 1000.0,
            mean_output_tokens: 200.0,
            interval_seconds: r.summary.duration_seconds,
        };
        let a = aggregate(&spec, &model, &config, &load).unwrap();
        let power = a.power_watts / r.summary.mean_power_watts - 1.0;
        // Time per output token over all decode steps (token-weighted mean TPOT).
        let decode_seconds: f64 = (0..req.len()).map(|i| r.e2e_seconds[i] - r.ttft_seconds[i]).sum();
        let decode_tokens: i64 = req.output_tokens.iter().map(|o| o - 1).sum();
        let run_step = decode_seconds / decode_tokens as f64;
        let tpot = a.step_seconds / run_step - 1.0;
        println!(
            "rate {rate}: power aggregate {:.0} W vs run {:.0} W ({:+.1} %); step {:.2} ms vs run {:.2} ms ({:+.1} %)",
            a.power_watts,
            r.summary.mean_power_watts,
            power * 100.0,
            a.step_seconds * 1e3,
            run_step * 1e3,
            tpot * 100.0
        );
        assert_eq!(a.saturated, rate > 60.0);
        assert!(power.abs() < 0.08, "power off by {power}");
        assert!(tpot.abs() < 0.10, "step time off by {tpot}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_request_completes_once_and_latencies_are_ordered(
        seed in 0u64..1000,
        n in 1usize..300,
        rate in 0.5f64..200.0,
        replicas in 1u32..5,
        max_batch in 1u32..64,
        budget_extra in 0u32..2048,
        memory in 0.22f64..0.9,
        burst in prop::sample::select(vec![0.5, 1.0, 4.0]),
    ) {
        let stream = SyntheticStream {
            rate_per_second: rate,
            requests: n as u64,
            burstiness: burst,
            prompt: LengthDistribution::LogNormal { median: 600.0, sigma: 1.0, max: 6000 },
            output: LengthDistribution::LogNormal { median: 100.0, sigma: 1.2, max: 3000 },
            seed,
        };
        let req = synthetic(&stream).unwrap();
        let config = ServeConfig {
            replicas,
            max_batch,
            max_tokens_per_step: max_batch + budget_extra,
            memory_utilization: memory,
            seed,
            ..ServeConfig::default()
        };
        let r = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
        check_conservation(&req, &config, &r);
    }
}

#[test]
fn under_overload_the_aggregate_model_serves_what_the_run_sustains() {
    let spec = sxm();
    let model = llama8b();
    let config = ServeConfig::default();
    let stream = SyntheticStream {
        rate_per_second: 200.0,
        requests: 12_000,
        prompt: LengthDistribution::Uniform { min: 500, max: 1500 },
        output: LengthDistribution::Uniform { min: 100, max: 300 },
        seed: 2,
        ..Default::default()
    };
    let req = synthetic(&stream).unwrap();
    let r = run(&spec, &model, &config, req.view()).unwrap();
    // Throughput while the queue is long: requests finished per second in the middle of the run.
    let finish: Vec<f64> = (0..req.len()).map(|i| req.arrival_seconds[i] + r.e2e_seconds[i]).collect();
    let mut sorted = finish.clone();
    sorted.sort_by(f64::total_cmp);
    let (a, b) = (sorted[2000], sorted[10_000]);
    let sustained = 8000.0 / (b - a);
    let load = AggregateLoad {
        arrival_rate_per_second: 200.0,
        mean_prompt_tokens: 1000.0,
        mean_output_tokens: 200.0,
        interval_seconds: 60.0,
    };
    let agg = aggregate(&spec, &model, &config, &load).unwrap();
    println!("sustained: run {sustained:.1}/s, aggregate {:.1}/s", agg.served_requests_per_second);
    assert!(agg.saturated);
    assert!((agg.served_requests_per_second / sustained - 1.0).abs() < 0.10);
}

#[test]
fn tenants_get_their_own_totals() {
    let req =
        synthetic(&SyntheticStream { requests: 300, rate_per_second: 20.0, seed: 8, ..Default::default() }).unwrap();
    let tenant: Vec<i64> = (0..300).map(|i| [7, 3, 7][i % 3]).collect();
    let mut cols = req.view();
    cols.tenant = Some(&tenant);
    let r = run(&sxm(), &llama8b(), &ServeConfig::default(), cols).unwrap();
    assert_eq!(r.tenants.iter().map(|t| t.tenant).collect::<Vec<_>>(), vec![3, 7]);
    assert_eq!(r.tenants[0].requests, 100);
    assert_eq!(r.tenants.iter().map(|t| t.output_tokens).sum::<u64>(), r.summary.output_tokens);
    let energy: f64 = r.tenants.iter().map(|t| t.energy_joules).sum();
    assert!((energy - r.summary.energy_joules).abs() < 1e-9 * energy);
    let three: Vec<i64> = vec![0, -1, 5];
    let mut bad = RequestColumns::new(&[0.0, 1.0, 2.0], &[1, 1, 1], &[1, 1, 1]);
    bad.tenant = Some(&three);
    assert!(run(&sxm(), &llama8b(), &ServeConfig::default(), bad).unwrap_err().message().starts_with("tenant[1]:"));
    // Without a tenant column, no tenant rows; with one, the rest of the result is unchanged.
    let plain = run(&sxm(), &llama8b(), &ServeConfig::default(), req.view()).unwrap();
    assert!(plain.tenants.is_empty());
    assert_eq!(plain.e2e_seconds, r.e2e_seconds);
}

#[test]
fn long_prompts_in_a_tiny_cache_all_complete() {
    // A tiny cache and a budget that lets several prompts of a third of the cache start together.
    let config =
        ServeConfig { memory_utilization: 0.2, max_batch: 16, max_tokens_per_step: 16_384, ..ServeConfig::default() };
    let cap = kv_capacity_tokens(&sxm(), &llama8b(), &config).unwrap() as i64;
    let n = 12;
    let prompt = cap / 3;
    let req = Requests {
        arrival_seconds: (0..n).map(|i| i as f64 * 1e-4).collect(),
        prompt_tokens: vec![prompt; n],
        output_tokens: vec![5; n],
    };
    let r = run(&sxm(), &llama8b(), &config, req.view()).unwrap();
    check_conservation(&req, &config, &r);
}
