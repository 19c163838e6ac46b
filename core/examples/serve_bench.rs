//! Serving-simulation speed: the Azure conversational trace scaled so that 8 replicas of an
//! 8B model on H100 SXM run near saturation, every request through admission, prefill, decode
//! steps and completion. Prints requests per second of wall time (one core) and simulated
//! seconds per wall second. `cargo run --release -p hcpcore --example serve_bench [requests]`.
//!
//! Load rule: the 8 replicas are first overloaded (the trace scaled to 2,000 requests/s for
//! 60 s) to measure the rate they sustain; the timed run scales the trace to 90 % of that rate.

use std::time::Instant;

use hcpcore::sim::serve::{azure_trace, run, scale_trace, AzureTrace, ScaleRule, ServeConfig};
use hcpcore::sim::{GpuSpec, ModelSpec};

fn main() {
    let requests: f64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000.0);
    let spec = GpuSpec::h100_sxm();
    let model = ModelSpec::new(8e9, 2.0).expect("model");
    let config = ServeConfig { replicas: 8, seed: 1, ..ServeConfig::default() };
    let trace = azure_trace(AzureTrace::Conv);
    let overload =
        scale_trace(&trace, &ScaleRule { mean_rate_per_second: 2000.0, duration_seconds: 60.0, ..Default::default() })
            .expect("overload");
    let r = run(&spec, &model, &config, overload.view()).expect("overload run");
    let sustained = r.summary.requests_per_second;
    let rate = 0.9 * sustained;
    let duration = requests / rate;
    let load = scale_trace(
        &trace,
        &ScaleRule { mean_rate_per_second: rate, duration_seconds: duration, ..Default::default() },
    )
    .expect("load");
    println!(
        "8 replicas sustain {sustained:.1} requests/s under overload; timed run at {rate:.1}/s for {duration:.0} s"
    );
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..3 {
        let start = Instant::now();
        let r = run(&spec, &model, &config, load.view()).expect("run");
        best = best.min(start.elapsed().as_secs_f64());
        result = Some(r);
    }
    let r = result.expect("ran");
    let s = &r.summary;
    println!(
        "requests {}  steps {}  simulated {:.0} s  wall {:.3} s (best of 3)",
        s.requests, s.steps, s.duration_seconds, best
    );
    println!(
        "requests/s per core {:.0}  simulated-s per wall-s {:.0}  steps/s {:.0}",
        s.requests as f64 / best,
        s.duration_seconds / best,
        s.steps as f64 / best
    );
    println!(
        "served: mean batch {:.0}/replica, TTFT p50/p99 {:.3}/{:.3} s, TPOT p50/p99 {:.4}/{:.4} s, {:.0} output tokens/s, {:.0} W, {:.3} J/token, preemptions {}",
        r.series.batch_size.iter().sum::<f64>() / r.series.batch_size.len().max(1) as f64,
        s.ttft_seconds.p50,
        s.ttft_seconds.p99,
        s.tpot_seconds.p50,
        s.tpot_seconds.p99,
        s.output_tokens_per_second,
        s.mean_power_watts,
        s.joules_per_output_token,
        s.preemptions
    );
}
