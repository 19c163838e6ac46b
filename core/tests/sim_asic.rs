//! Miner model: revenue converges to `hcpcore::econ`'s expectation, sleep/wake timing per firmware
//! profile, thermal derate and shutdown.

use hcpcore::econ::{miner_daily, Fees, Market, MiningTerms};
use hcpcore::sim::{AsicSpec, Miner, PoolConfig, PowerMode, TransitionProfile};

fn market() -> Market {
    Market::new(95_000.0, 1.1e14, 880_000, Fees::BtcPerBlock(0.03), 0.05, 0.0, 0.0).unwrap()
}

/// Over 30 days an S21 (0.355 shares/s) finds N ≈ 920,000 shares at difficulty 131,072. Revenue is
/// accepted × value, with accepted ~ Poisson(λ·(1 − reject − stale)) given the hashrate path, and the
/// hashrate wanders by 1 % (redrawn every hour: 720 independent draws, so its mean has a
/// standard deviation of 0.01/√720 = 0.037 %). The relative standard deviation of revenue is then
/// √(1/N + 0.00037²) ≈ 0.11 %; the test allows 5 of them: 0.55 %. The expectation is econ's
/// `miner_daily` revenue × 30 × (1 − reject − stale).
#[test]
fn revenue_converges_to_the_econ_expectation() {
    let spec = AsicSpec::by_name("S21").unwrap();
    let m = market();
    let pool = PoolConfig { pool_fee: 0.02, ..Default::default() };
    let mut worst: f64 = 0.0;
    for seed in 0..4 {
        let mut miner = Miner::new(spec.clone(), pool.clone(), 25.0, seed).unwrap();
        let days = 30.0;
        for _ in 0..(days as usize * 24) {
            miner.step(3600.0, Some(&m)).unwrap();
        }
        miner.settle();
        let got = miner.counters().earned_usd;
        let econ = miner_daily(&hcpcore::econ::models::S21(), &m, MiningTerms::new(0.02, 1.0).unwrap()).unwrap();
        let expected = econ.revenue_usd * days * (1.0 - spec.reject_fraction - spec.stale_fraction);
        let rel = got / expected - 1.0;
        println!("seed {seed}: simulated ${got:.2}, expected ${expected:.2}, {:+.3} %", rel * 100.0);
        worst = worst.max(rel.abs());
        let shares = miner.counters().accepted + miner.counters().rejected + miner.counters().stale;
        assert!(shares > 850_000, "{shares}");
    }
    assert!(worst < 0.0055, "worst relative error {worst}");
}

#[test]
fn luxos_sleeps_in_five_seconds_and_wakes_in_ten() {
    let spec = AsicSpec { transitions: TransitionProfile::luxos(), ..AsicSpec::by_name("S21").unwrap() };
    let mut m = Miner::new(spec, PoolConfig::default(), 25.0, 1).unwrap();
    m.sleep();
    for _ in 0..5 {
        m.step(1.0, None).unwrap();
    }
    assert_eq!(m.power_watts(), 25.0);
    m.wake();
    m.step(5.0, None).unwrap();
    assert!(m.hashrate_ths() > 50.0 && m.hashrate_ths() < 150.0, "half way: {}", m.hashrate_ths());
    m.step(5.0, None).unwrap();
    assert!((m.power_watts() - 3500.0).abs() < 1e-9);
    assert_eq!(m.mode(), PowerMode::Normal);
}

#[test]
fn stock_firmware_takes_a_minute_to_act() {
    let mut m = Miner::new(AsicSpec::by_name("S21").unwrap(), PoolConfig::default(), 25.0, 1).unwrap();
    m.sleep();
    m.step(59.0, None).unwrap();
    assert_eq!(m.power_watts(), 3500.0);
    m.step(11.0, None).unwrap();
    assert_eq!(m.power_watts(), 25.0);
    m.wake();
    m.step(60.0, None).unwrap();
    assert_eq!(m.hashrate_ths(), 0.0);
    m.step(120.0, None).unwrap();
    assert!(m.hashrate_ths() > 190.0);
}

#[test]
fn heat_derates_then_shuts_down_then_restarts() {
    let mut m = Miner::new(AsicSpec::by_name("S21 XP").unwrap(), PoolConfig::default(), 25.0, 1).unwrap();
    m.set_ambient_c(44.0).unwrap();
    let derated = m.hashrate_ths();
    assert!(derated < 270.0 * 0.95 && derated > 270.0 * 0.8, "{derated}");
    m.set_ambient_c(48.0).unwrap();
    assert_eq!(m.hashrate_ths(), 0.0);
    m.set_ambient_c(46.0).unwrap();
    assert_eq!(m.hashrate_ths(), 0.0, "hysteresis: still too warm to restart");
    m.set_ambient_c(30.0).unwrap();
    assert!(m.hashrate_ths() > 260.0);
    assert!(m.set_ambient_c(f64::NAN).is_err());
}

#[test]
fn every_family_member_builds_and_hydro_has_no_fans() {
    for name in ["S21", "S21 Pro", "S21 XP", "S21 Hydro", "S19 XP"] {
        let s = AsicSpec::by_name(name).unwrap();
        let m = Miner::new(s.clone(), PoolConfig::default(), 25.0, 3).unwrap();
        assert_eq!(m.status().fan_rpm.len(), s.fans as usize);
    }
    assert_eq!(AsicSpec::by_name("S21 Hydro").unwrap().fans, 0);
    assert_eq!(AsicSpec::by_name("H100 SXM").unwrap_err().kind(), hcpcore::ErrorKind::InvalidInput);
}
