//! Issue #10, the core's own crash classes: unbounded loops, sizes trusted before allocating,
//! and non-finite results from finite inputs. Every entry point refuses an out-of-range input
//! with `InvalidInput` naming the field (quickly, allocating nothing), and inside the stated
//! ranges (`hcpcore::limits`) every derived figure is finite. Property tests sweep arbitrary floats,
//! extremes included, through the econ functions and random documents through the parsers.

use std::time::Instant;

use hcpcore::econ::{self, models, Fees, Market, MiningTerms};
use hcpcore::limits;
use hcpcore::sim::market::synthetic::{SyntheticConfig, SyntheticMarket};
use hcpcore::sim::{Fleet, FleetConfig};
use hcpcore::ErrorKind;
use proptest::prelude::*;

fn invalid(e: hcpcore::Error, field: &str) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{}", e.message());
    assert!(e.message().starts_with(field), "{} should name {field}", e.message());
}

#[test]
fn market_series_time_steps_and_rates_are_bounded() {
    let t0 = Instant::now();
    for dt in [1e308, 1e300, 1e12, f64::INFINITY, f64::NAN, 0.0, -1.0, 1e-9] {
        let mut m = SyntheticMarket::new(SyntheticConfig::default(), 1).unwrap();
        invalid(m.series(10, dt).unwrap_err(), "dt_seconds");
        invalid(m.step(dt).unwrap_err(), "dt_seconds");
    }
    let jumpy = SyntheticConfig { btc_jumps_per_year: 1e300, ..SyntheticConfig::default() };
    invalid(SyntheticMarket::new(jumpy, 1).unwrap_err(), "btc_jumps_per_year");
    let mut m = SyntheticMarket::new(SyntheticConfig::default(), 1).unwrap();
    invalid(m.series(usize::MAX, 60.0).unwrap_err(), "steps");
    // The longest step (a year) twenty times: bounded work, finite values.
    let s = m.series(20, limits::MAX_DT_SECONDS).unwrap();
    assert!(s.difficulty.iter().chain(&s.btc_usd).all(|v| v.is_finite()));
    assert!(t0.elapsed().as_secs_f64() < 5.0, "bounded work per call");
}

#[test]
fn the_default_synthetic_market_stays_finite_for_years() {
    for dt in [60.0, 3600.0, 86_400.0, 7.0 * 86_400.0, limits::MAX_DT_SECONDS] {
        let mut m = SyntheticMarket::new(SyntheticConfig::default(), 7).unwrap();
        let steps = ((5.0 * 365.25 * 86_400.0 / dt) as usize).min(200_000);
        let s = m.series(steps, dt).unwrap();
        for (i, d) in s.difficulty.iter().enumerate() {
            assert!(d.is_finite() && *d >= 1.0, "dt {dt}: difficulty {d} at step {i}");
        }
    }
}

#[test]
fn a_runaway_path_ends_with_an_error_not_infinity() {
    // Extreme growth within the stated bounds: the series stops with an error naming the step
    // rather than carrying infinity onwards.
    let c = SyntheticConfig { hashrate_growth_per_year: 10.0, btc_drift_per_year: 10.0, ..SyntheticConfig::default() };
    let mut m = SyntheticMarket::new(c, 3).unwrap();
    match m.series(400, limits::MAX_DT_SECONDS) {
        Ok(s) => assert!(s.difficulty.iter().chain(&s.btc_usd).all(|v| v.is_finite())),
        Err(e) => invalid(e, "dt_seconds"),
    }
}

#[test]
fn fleet_sizes_and_steps_are_bounded() {
    invalid(Fleet::new(FleetConfig { dt_seconds: 1e308, ..FleetConfig::default() }).unwrap_err(), "dt_seconds");
    let mut f = Fleet::new(FleetConfig::default()).unwrap();
    invalid(f.add_many("sxm", u32::MAX, "S21", 0).unwrap_err(), "gpus");
    invalid(f.add_many("sxm", 1, "S21", u32::MAX).unwrap_err(), "miners");
    assert_eq!(f.len(), 0, "a refused call adds nothing");
    invalid(f.run(u64::MAX).unwrap_err(), "steps");
}

#[test]
fn extreme_market_inputs_are_refused_by_name() {
    let ok = |btc: f64, d: f64| Market::new(btc, d, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0);
    invalid(ok(1e5, 5e-324).unwrap_err(), "difficulty");
    invalid(ok(1e5, 0.5).unwrap_err(), "difficulty");
    invalid(ok(1e308, 1e14).unwrap_err(), "btc_usd");
    invalid(Market::new(1e5, 1e14, 1, Fees::BtcPerBlock(0.0), 1e308, 0.0, 0.0).unwrap_err(), "electricity_usd_per_kwh");
    invalid(Market::new(1e5, 1e14, 1, Fees::Share(0.999_999), 0.05, 0.0, 0.0).unwrap_err(), "fee_share");
    invalid(econ::expected_btc_per_day(1e300, &ok(1e5, 1e14).unwrap()).unwrap_err(), "hashrate_ths");
}

#[test]
fn batch_columns_refuse_values_that_would_overflow() {
    let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
    let (mut r, mut c, mut p, mut b) = ([0.0; 1], [0.0; 1], [0.0; 1], [0.0; 1]);
    let out = econ::DailyBatchOutput {
        revenue_usd_per_day: &mut r,
        energy_cost_usd_per_day: &mut c,
        profit_usd_per_day: &mut p,
        breakeven_usd_per_kwh: &mut b,
    };
    let e = econ::miner_daily_batch(&m, MiningTerms::default(), &[1e308], &[1e308], None, out).unwrap_err();
    invalid(e, "hashrate_ths");
    assert_eq!((r[0], c[0], p[0], b[0]), (0.0, 0.0, 0.0, 0.0));
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(0.0),
        Just(-0.0),
        any::<f64>(),
        0.0..1e12f64,
        (-300i32..300).prop_map(|e| 10f64.powi(e)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever finite or non-finite floats come in, an econ result is either an `InvalidInput`
    /// error or made of finite numbers.
    #[test]
    fn econ_results_are_finite_or_refused(
        btc in any_f64(), d in any_f64(), fees in any_f64(), e in any_f64(), ths in any_f64(), w in any_f64(),
    ) {
        let Ok(m) = Market::new(btc, d, 840_000, Fees::BtcPerBlock(fees), e, 0.0, 0.0) else { return Ok(()) };
        prop_assert!(econ::hashprice_usd_per_ph_day(&m).is_finite());
        let mut model = models::S21();
        model.hashrate_ths = ths;
        model.power_watts = w;
        let Ok(model) = model.validated() else { return Ok(()) };
        let day = econ::miner_daily(&model, &m, MiningTerms::default()).unwrap();
        for v in [day.btc, day.revenue_usd, day.energy_kwh, day.energy_cost_usd, day.profit_usd] {
            prop_assert!(v.is_finite(), "{day:?}");
        }
        let be = econ::breakeven_btc_usd(&model, &m, MiningTerms::default()).unwrap();
        prop_assert!(be.is_finite(), "breakeven {be}");
        let kwh = econ::miner_breakeven_usd_per_kwh(&model, &m, MiningTerms::default()).unwrap();
        prop_assert!(kwh.is_finite(), "breakeven kWh {kwh}");
    }

    /// Random documents never panic a parser; a refusal is `InvalidInput`.
    #[test]
    fn parsers_refuse_bad_documents_by_kind(doc in prop_oneof![
        ".{0,200}",
        (1usize..300).prop_map(|n| "[".repeat(n) + &"]".repeat(n)),
        (1usize..300).prop_map(|n| "{\"a\":".repeat(n) + "1" + &"}".repeat(n)),
        Just("{\"dt_seconds\": 1e308}".to_string()),
        Just("[1, 2, 3]".to_string()),
    ]) {
        for r in [
            hcpcore::router::RouterConfig::from_json(&doc).err(),
            FleetConfig::from_json(&doc).err(),
            serde_json::from_str::<SyntheticConfig>(&doc).err().map(|e| hcpcore::Error::invalid_input("config", e)),
        ].into_iter().flatten() {
            prop_assert_eq!(r.kind(), ErrorKind::InvalidInput);
        }
    }
}

#[test]
fn fuzz_findings_from_the_go_boundary_stay_finite_or_refused() {
    // Past the last halving with no fees: no breakeven price exists.
    let m = Market::new(1e5, 1e14, 7_000_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
    invalid(econ::breakeven_btc_usd(&models::S21(), &m, MiningTerms::default()).unwrap_err(), "height");
    invalid(econ::network_hashrate_hs(1e299).unwrap_err(), "difficulty");
    invalid(econ::roi(1.0, 1e300, 1e10).unwrap_err(), "profit_usd_per_day");
    invalid(econ::roi(1e30, 1e30, 1e308).unwrap_err(), "hardware_usd");
    assert_eq!(econ::payback_days(87.0, 5e-324).unwrap(), None, "not within 10^6 days");
    let mut gpu = hcpcore::sim::H100::new("sxm").unwrap();
    invalid(gpu.step(1e308, hcpcore::sim::Activity { tensor: 0.5, dram: 0.5 }).unwrap_err(), "dt_seconds");
    // The message for NaN still reads as before (no 300-digit bound).
    let e = Market::new(f64::NAN, 1e14, 1, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap_err();
    assert!(e.message().starts_with("btc_usd: must be finite and > 0"), "{}", e.message());
}

#[test]
fn token_rates_are_bounded_so_gpu_revenue_stays_finite() {
    let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.1), 0.05, 2.0, 0.5).unwrap();
    let terms = econ::Terms { tokens_per_second: Some(1e308), ..econ::Terms::default() };
    invalid(econ::gpu_hourly(&models::H100_SXM(), &m, &terms).unwrap_err(), "tokens_per_second");
}
