//! Fleet stepping throughput (device-steps per second on one core, and with the hourly share
//! settlement on two threads) and the cost of a steady-state decode estimate.
//! `cargo bench -p hcpcore --bench sim`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hcpcore::sim::{
    Command, FaultRates, Fleet, FleetConfig, MarketSource, ModelSpec, PowerMode, SyntheticConfig, SyntheticMarket, H100,
};

/// A site-like fleet: a fifth GPUs (serving), the rest S21s (a tenth in low mode), a synthetic
/// market, default fault rates, fleet totals recorded every step.
pub fn site_fleet(devices: u32, threads: u32) -> Fleet {
    let config = FleetConfig { dt_seconds: 60.0, seed: 1, keep_events: false, threads, ..Default::default() };
    let mut fleet = Fleet::new(config).unwrap();
    let gpus = devices / 5;
    fleet.add_many("sxm", gpus, "S21", devices - gpus).unwrap();
    fleet.set_market(MarketSource::Synthetic(Box::new(SyntheticMarket::new(SyntheticConfig::default(), 2).unwrap())));
    let model = ModelSpec::new(8.03e9, 2.0).unwrap();
    for g in 0..gpus as i64 {
        fleet.command(g, Command::Serve { model, batch: 1 << (g % 8) }).unwrap();
    }
    for m in (gpus as i64..devices as i64).step_by(10) {
        fleet.command(m, Command::Mine { mode: PowerMode::Low }).unwrap();
    }
    fleet.run(10).unwrap();
    fleet
}

fn fleet_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim_fleet_step");
    for (name, devices, threads) in
        [("mixed_site", 10_000u32, 1), ("mixed_site", 100_000, 1), ("mixed_site_2_threads", 100_000, 2)]
    {
        let mut fleet = site_fleet(devices, threads);
        group.throughput(Throughput::Elements(devices as u64));
        group.bench_with_input(BenchmarkId::new(name, devices), &devices, |b, _| {
            b.iter(|| {
                fleet.step().unwrap();
                if fleet.series().len() > 100_000 {
                    fleet.clear_output();
                }
            })
        });
    }
    let mut quiet = {
        let config = FleetConfig {
            dt_seconds: 60.0,
            seed: 1,
            faults: FaultRates::none(),
            keep_events: false,
            threads: 1,
            ..Default::default()
        };
        let mut f = Fleet::new(config).unwrap();
        f.add_many("sxm", 0, "S21", 100_000).unwrap();
        f
    };
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("miners_only_no_market/100000", |b| {
        b.iter(|| {
            quiet.step().unwrap();
            if quiet.series().len() > 100_000 {
                quiet.clear_output();
            }
        })
    });
    group.finish();
}

fn decode_estimate(c: &mut Criterion) {
    let gpu = H100::new("sxm").unwrap();
    let model = ModelSpec::new(8.03e9, 2.0).unwrap();
    c.bench_function("sim_decode_steady_state", |b| b.iter(|| gpu.decode(black_box(&model), black_box(128)).unwrap()));
}

criterion_group!(benches, fleet_step, decode_estimate);
criterion_main!(benches);
