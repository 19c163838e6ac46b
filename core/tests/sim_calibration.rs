//! The H100 SXM model against the measurements it was fitted to (`data/calibration/h100-sxm-80gb`).
//! Run with `--nocapture` to see the model-versus-trace table.
//!
//! Tolerances (stated, and why):
//! - phase median power: 4 % (the trace's own phase-to-phase noise is ~1 %; duty-cycle phases are
//!   the hardest, the model lands within 2.5 %);
//! - SM clock held by the power cap: 5 % of the measured median;
//! - GPU temperature of steady loads (idle, 40 s GEMM plateau, device copy, after each cool-down):
//!   4 °C; HBM temperature of the same: 5 °C (sensors read whole degrees, and the card idled at
//!   44 °C before the run and 42 °C after it: the room drifted ~2 °C, the model's inlet is fixed);
//! - cool-down after the GEMM at +2 s, +8 s, +22 s: 3 °C (the two time constants);
//! - power ramp and fall (10 → 90 %): 0.3 s of the trace's;
//! - decode step time at the batch's recorded clock: 3 %.
//!   Known gap, not hidden: under the 100 ms on/off duty loads the sensor reads 3–9 °C cooler than
//!   the model's steady-load thermal fit; those phases are checked at 10 °C only.

use hcpcore::sim::calibration::{decode_proxy_model, read_phases, read_trace, replay, Phase, TraceRow};
use hcpcore::sim::gpu::decode::decode_step_seconds_at_clock;
use hcpcore::sim::{GpuReading, GpuSpec};

fn dir() -> String {
    format!("{}/../data/calibration/h100-sxm-80gb", env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    phases: Vec<Phase>,
    trace: Vec<TraceRow>,
    model: Vec<GpuReading>,
}

fn run() -> Run {
    let trace: Vec<TraceRow> =
        read_trace(&format!("{}/trace.csv", dir())).unwrap().into_iter().filter(|r| r.time_seconds >= 2.0).collect();
    let phases = read_phases(&format!("{}/phases.json", dir())).unwrap();
    let times: Vec<f64> = trace.iter().map(|r| r.time_seconds).collect();
    let model = replay(&GpuSpec::h100_sxm(), &phases, 2.0, &times, 0.005).unwrap();
    Run { phases, trace, model }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

impl Run {
    fn idx(&self, from: f64, to: f64) -> Vec<usize> {
        (0..self.trace.len())
            .filter(|&i| self.trace[i].time_seconds >= from && self.trace[i].time_seconds < to)
            .collect()
    }
    fn phase(&self, name: &str) -> &Phase {
        self.phases.iter().find(|p| p.name == name).unwrap()
    }
    fn at(&self, t: f64) -> usize {
        self.trace.iter().position(|r| r.time_seconds >= t).unwrap()
    }
    /// First time after `from` the series crosses `level` (upwards if `rising`).
    fn crossing(&self, series: &dyn Fn(usize) -> f64, from: f64, level: f64, rising: bool) -> f64 {
        let start = self.at(from);
        for i in start..self.trace.len() {
            let v = series(i);
            if (rising && v >= level) || (!rising && v <= level) {
                return self.trace[i].time_seconds;
            }
        }
        f64::NAN
    }
}

#[test]
fn phase_power_clock_and_temperatures_match_the_trace() {
    let r = run();
    println!(
        "{:<18} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "phase", "P trace", "P model", "gpu tr", "gpu mod", "mem tr", "mem mod"
    );
    for p in r.phases.iter().filter(|p| p.median_power_w.is_some()) {
        let ix = r.idx(p.start_s, p.start_s + p.duration_s);
        let measured = p.median_power_w.unwrap();
        let modelled = median(ix.iter().map(|&i| r.model[i].power_watts).collect());
        // Temperatures over the last 5 s of the phase.
        let tail: Vec<usize> = r.idx(p.start_s + p.duration_s - 5.0, p.start_s + p.duration_s);
        let gt = mean(&tail.iter().map(|&i| r.trace[i].gpu_temp_c).collect::<Vec<_>>());
        let gm = mean(&tail.iter().map(|&i| r.model[i].gpu_temp_c).collect::<Vec<_>>());
        let mt = mean(&tail.iter().map(|&i| r.trace[i].memory_temp_c).collect::<Vec<_>>());
        let mm = mean(&tail.iter().map(|&i| r.model[i].memory_temp_c).collect::<Vec<_>>());
        println!("{:<18} {measured:>9.1} {modelled:>9.1} {gt:>8.1} {gm:>8.1} {mt:>8.1} {mm:>8.1}", p.name);
        assert!((modelled / measured - 1.0).abs() < 0.04, "{}: power {modelled} vs {measured}", p.name);
        let duty = p.name.starts_with("matmul_duty");
        let (tol_gpu, tol_mem) = if duty { (10.0, 10.0) } else { (4.0, 5.0) };
        assert!((gm - gt).abs() < tol_gpu, "{}: GPU temperature {gm} vs {gt}", p.name);
        assert!((mm - mt).abs() < tol_mem, "{}: memory temperature {mm} vs {mt}", p.name);
    }
    let p = r.phase("matmul_full_40s");
    let ix = r.idx(p.start_s + 2.0, p.start_s + p.duration_s);
    let clock = median(ix.iter().map(|&i| r.model[i].sm_clock_mhz).collect());
    assert!((clock / p.median_sm_clock_mhz.unwrap() - 1.0).abs() < 0.05, "clock {clock}");
    assert!(ix.iter().all(|&i| r.model[i].clocks_event_reasons & 0x4 != 0), "power cap reason 0x4 under the GEMM");
    let m = r.phase("memcopy_full_20s");
    let ix = r.idx(m.start_s + 2.0, m.start_s + m.duration_s);
    assert!(ix.iter().all(|&i| r.model[i].clocks_event_reasons & 0x4 == 0), "no cap on the memory-bound load");
}

#[test]
fn cooling_follows_both_time_constants() {
    let r = run();
    let end = {
        let p = r.phase("matmul_full_40s");
        p.start_s + p.duration_s
    };
    for dt in [2.0, 8.0, 22.0] {
        let i = r.at(end + dt);
        let (t, m) = (r.trace[i].gpu_temp_c, r.model[i].gpu_temp_c);
        println!("cool-down +{dt:>4} s: trace {t:.1} °C, model {m:.1} °C");
        assert!((m - t).abs() < 3.0, "+{dt} s: {m} vs {t}");
    }
}

#[test]
fn power_ramp_and_fall_take_as_long_as_measured() {
    let r = run();
    let p = r.phase("matmul_full_40s");
    let (lo, hi) = (125.0, 697.0);
    let l10 = lo + 0.1 * (hi - lo);
    let l90 = lo + 0.9 * (hi - lo);
    let trace_p = |i: usize| r.trace[i].power_watts;
    let model_p = |i: usize| r.model[i].power_watts;
    // The GEMM starts from the decode phases (~370 W), so time the ramp from 60 % to 90 %.
    let l60 = lo + 0.6 * (hi - lo);
    let ramp_t = r.crossing(&trace_p, p.start_s - 0.3, l90, true) - r.crossing(&trace_p, p.start_s - 0.3, l60, true);
    let ramp_m = r.crossing(&model_p, p.start_s - 0.3, l90, true) - r.crossing(&model_p, p.start_s - 0.3, l60, true);
    let end = p.start_s + p.duration_s;
    let fall_t = r.crossing(&trace_p, end - 0.2, l10, false) - r.crossing(&trace_p, end - 0.2, l90, false);
    let fall_m = r.crossing(&model_p, end - 0.2, l10, false) - r.crossing(&model_p, end - 0.2, l90, false);
    println!("ramp 60→90 %: trace {ramp_t:.2} s, model {ramp_m:.2} s; fall 90→10 %: trace {fall_t:.2} s, model {fall_m:.2} s");
    assert!((ramp_t - ramp_m).abs() < 0.3);
    assert!((fall_t - fall_m).abs() < 0.3);
}

#[test]
fn decode_step_times_match_at_the_recorded_clock() {
    let r = run();
    let spec = GpuSpec::h100_sxm();
    let model = decode_proxy_model();
    for p in r.phases.iter().filter(|p| p.name.starts_with("decode_proxy_B")) {
        let batch: u64 = p.name.trim_start_matches("decode_proxy_B").parse().unwrap();
        let measured = batch as f64 / p.tokens_per_s.unwrap();
        // The clock the trace recorded during the phase (the limiter engages at batch 512).
        let ix = r.idx(p.start_s, p.start_s + p.duration_s.max(0.2));
        let clock = mean(&ix.iter().map(|&i| r.trace[i].sm_clock_mhz).collect::<Vec<_>>()) / spec.max_sm_clock_mhz;
        let modelled = decode_step_seconds_at_clock(&spec, &model, batch, clock);
        println!(
            "B={batch:>4}: measured {:.3} ms, model {:.3} ms at {:.0} MHz",
            measured * 1e3,
            modelled * 1e3,
            clock * 1980.0
        );
        assert!((modelled / measured - 1.0).abs() < 0.03, "B={batch}: {modelled} vs {measured}");
    }
}

#[test]
fn transfers_and_context_start_use_the_measured_figures() {
    let phases = read_phases(&format!("{}/phases.json", dir())).unwrap();
    let spec = GpuSpec::h100_sxm();
    let gbps = |name: &str| phases.iter().find(|p| p.name == name).unwrap().gbps.unwrap() * 1e9;
    let x = &spec.transfer;
    for (measured, model) in [
        (gbps("h2d_pinned_8GiB"), x.h2d_pinned_bytes_per_second),
        (gbps("h2d_pageable_8GiB"), x.h2d_pageable_bytes_per_second),
        (gbps("d2h_pinned_8GiB"), x.d2h_pinned_bytes_per_second),
        (gbps("d2h_pageable_8GiB"), x.d2h_pageable_bytes_per_second),
        (gbps("zero_64GiB"), x.clear_bytes_per_second),
    ] {
        assert!((model / measured - 1.0).abs() < 0.001, "{model} vs {measured}");
    }
    assert!((3.17..=4.93).contains(&x.cold_import_seconds));
    assert!((0.319..=0.381).contains(&x.cold_context_seconds));
}
