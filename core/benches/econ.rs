//! Criterion benches of `hcpcore::econ`: the batch form over 10^6 miners (target ≥ 200 million device
//! evaluations per second on one core), beside the scalar path over the same data in the same run,
//! and a site plan for the reference 4 MW site.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hcpcore::econ::{
    miner_breakeven_usd_per_kwh, miner_curtail_batch, miner_daily, miner_daily_batch, models, CurtailBatchOutput,
    DailyBatchOutput, DeviceGroup, DeviceModel, Fees, Market, MiningTerms, Site, Terms,
};
use std::hint::black_box;

const N: usize = 1_000_000;

fn market() -> Market {
    Market::new(95_000.0, 1.1e14, 880_000, Fees::BtcPerBlock(0.05), 0.045, 2.5, 0.0).unwrap()
}

/// A mixed fleet: the five ASIC models of the catalog, each device with a ±5 % spread of hashrate.
fn fleet() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let catalog = [models::S21(), models::S21_PRO(), models::S21_XP(), models::S21_HYDRO(), models::S19_XP()];
    let mut ths = Vec::with_capacity(N);
    let mut watts = Vec::with_capacity(N);
    let mut price = Vec::with_capacity(N);
    for i in 0..N {
        let m = &catalog[i % catalog.len()];
        let spread = 0.95 + 0.1 * ((i * 7919 % 1000) as f64 / 1000.0);
        ths.push(m.hashrate_ths * spread);
        watts.push(m.power_watts);
        price.push(0.03 + 0.04 * ((i * 104_729 % 1000) as f64 / 1000.0));
    }
    (ths, watts, price)
}

fn batch(c: &mut Criterion) {
    let (ths, watts, price) = fleet();
    let m = market();
    let terms = MiningTerms { pool_fee: 0.02, pue: 1.1 };
    let (mut r, mut e, mut p, mut b) = (vec![0.0; N], vec![0.0; N], vec![0.0; N], vec![0.0; N]);
    let mut g = c.benchmark_group("econ_miner_daily");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(30);
    g.bench_function(BenchmarkId::new("batch_market_price", N), |bench| {
        bench.iter(|| {
            let out = DailyBatchOutput {
                revenue_usd_per_day: &mut r,
                energy_cost_usd_per_day: &mut e,
                profit_usd_per_day: &mut p,
                breakeven_usd_per_kwh: &mut b,
            };
            miner_daily_batch(black_box(&m), terms, black_box(&ths), black_box(&watts), None, out).unwrap();
        })
    });
    g.bench_function(BenchmarkId::new("batch_per_device_price", N), |bench| {
        bench.iter(|| {
            let out = DailyBatchOutput {
                revenue_usd_per_day: &mut r,
                energy_cost_usd_per_day: &mut e,
                profit_usd_per_day: &mut p,
                breakeven_usd_per_kwh: &mut b,
            };
            miner_daily_batch(black_box(&m), terms, black_box(&ths), black_box(&watts), Some(&price), out).unwrap();
        })
    });
    // Fleet curtailment: mine or sleep per device at its own power price.
    let sleep = vec![25.0; N];
    let mut mine = vec![0u8; N];
    let curtail_terms = Terms { pool_fee: 0.02, pue: 1.1, demand_response_usd_per_mwh: 20.0, ..Default::default() };
    g.bench_function(BenchmarkId::new("curtail_batch_per_device_price", N), |bench| {
        bench.iter(|| {
            let out =
                CurtailBatchOutput { mine: &mut mine, profit_usd_per_hour: &mut p, breakeven_usd_per_kwh: &mut b };
            miner_curtail_batch(black_box(&m), &curtail_terms, black_box(&ths), black_box(&watts), &sleep, &price, out)
                .unwrap();
        })
    });
    // The same maths one device at a time through the scalar API (validating each call).
    g.bench_function(BenchmarkId::new("scalar_loop", N), |bench| {
        bench.iter(|| {
            let mut model = DeviceModel::asic("x", 200.0, 17.5).unwrap();
            for i in 0..N {
                model.hashrate_ths = ths[i];
                model.power_watts = watts[i];
                let day = miner_daily(&model, &m, terms).unwrap();
                r[i] = day.revenue_usd;
                e[i] = day.energy_cost_usd;
                p[i] = day.profit_usd;
                b[i] = miner_breakeven_usd_per_kwh(&model, &m, terms).unwrap();
            }
        })
    });
    g.finish();
}

fn site(c: &mut Criterion) {
    let site = Site::new(
        vec![
            DeviceGroup { model: models::S21(), count: 1000 },
            DeviceGroup { model: models::S21_XP(), count: 800 },
            DeviceGroup { model: models::H100_SXM(), count: 512 },
        ],
        8000.0,
        Terms { pool_fee: 0.02, pue: 1.1, gpu_utilisation: 0.8, ..Default::default() },
    )
    .unwrap();
    let m = market();
    c.bench_function("econ_site_plan_3_groups_2312_devices", |bench| bench.iter(|| site.plan(black_box(&m)).unwrap()));
}

criterion_group!(benches, batch, site);
criterion_main!(benches);
