//! Fleet behaviour: commands take their real transition times, determinism, faults, markets,
//! telemetry formats and error kinds.

use hcpcore::sim::telemetry::{cgminer, dcgm};
use hcpcore::sim::{
    Command, DeviceState, EventKind, FaultRates, Fleet, FleetConfig, HostMemory, MarketReplay, MarketSource, ModelSpec,
    PowerMode, SyntheticConfig, SyntheticMarket, H100,
};
use hcpcore::ErrorKind;

fn config(dt: f64, seed: u64) -> FleetConfig {
    FleetConfig { dt_seconds: dt, seed, faults: FaultRates::none(), ..Default::default() }
}

fn llama8b() -> ModelSpec {
    ModelSpec::new(8.03e9, 2.0).unwrap()
}

#[test]
fn a_gpu_serves_after_its_switch_time_at_the_decode_rate() {
    let mut f = Fleet::new(config(0.1, 1)).unwrap();
    let g = f.add_gpu("sxm").unwrap();
    f.command(g, Command::Switch { model: llama8b(), batch: 64, host_memory: HostMemory::Pinned, warm_context: false })
        .unwrap();
    let started = f.events().iter().find(|e| e.kind == EventKind::SwitchStarted).unwrap().value;
    // Cold start: import torch + context + 16 GB at 46.7 GB/s + first step.
    assert!(started > 4.4 && started < 5.0, "{started}");
    f.run((started / 0.1) as u64 - 1).unwrap();
    assert_eq!(f.state(g).unwrap(), DeviceState::Switching);
    f.run(2).unwrap();
    assert_eq!(f.state(g).unwrap(), DeviceState::Serving);
    f.run(600).unwrap();
    let d = H100::new("sxm").unwrap().decode(&llama8b(), 64).unwrap();
    let tps = *f.series().tokens_per_second.last().unwrap();
    assert!((tps / d.tokens_per_second - 1.0).abs() < 0.02, "{tps} vs {}", d.tokens_per_second);
    let p = *f.series().gpu_power_watts.last().unwrap();
    assert!((p / d.power_watts - 1.0).abs() < 0.03, "{p} vs {}", d.power_watts);
    // A warm switch to another model saves the KV cache first, and is much faster than cold.
    f.command(g, Command::Serve { model: ModelSpec::new(3.0e9, 2.0).unwrap(), batch: 8 }).unwrap();
    let warm = f.events().iter().filter(|e| e.kind == EventKind::SwitchStarted).nth(1).unwrap().value;
    assert!(warm < 1.0 && warm > 0.1, "{warm}");
}

#[test]
fn luxos_miners_in_a_fleet_sleep_within_five_seconds() {
    let mut f = Fleet::new(config(1.0, 2)).unwrap();
    let m = f.add_miner("S21@luxos").unwrap();
    f.command(m, Command::Sleep).unwrap();
    f.run(5).unwrap();
    assert_eq!(*f.series().asic_power_watts.last().unwrap(), 25.0);
    f.command(m, Command::Wake).unwrap();
    f.run(10).unwrap();
    assert!((f.series().hashrate_ths.last().unwrap() / 200.0 - 1.0).abs() < 0.05);
}

#[test]
fn miners_sleep_and_wake_with_the_stock_timing() {
    let mut f = Fleet::new(config(1.0, 2)).unwrap();
    let m = f.add_miner("S21").unwrap();
    f.command(m, Command::Sleep).unwrap();
    f.run(59).unwrap();
    assert!(*f.series().asic_power_watts.last().unwrap() > 3000.0);
    f.run(12).unwrap();
    assert_eq!(*f.series().asic_power_watts.last().unwrap(), 25.0);
    assert_eq!(f.state(m).unwrap(), DeviceState::Sleeping);
    f.command(m, Command::Mine { mode: PowerMode::Low }).unwrap();
    f.run(181).unwrap();
    assert!((f.series().hashrate_ths.last().unwrap() / 160.0 - 1.0).abs() < 0.05);
    assert_eq!(f.state(m).unwrap(), DeviceState::Mining);
}

fn busy_fleet(seed: u64) -> Fleet {
    let mut c = config(60.0, seed);
    c.faults =
        FaultRates { gpu_xid_recoverable_per_hour: 0.01, gpu_ecc_correctable_per_hour: 0.01, ..FaultRates::default() };
    let mut f = Fleet::new(c).unwrap();
    f.add_many("sxm", 20, "S21", 30).unwrap();
    f.set_market(MarketSource::Synthetic(Box::new(SyntheticMarket::new(SyntheticConfig::default(), seed).unwrap())));
    for g in 0..20 {
        f.command(g, Command::Serve { model: llama8b(), batch: 16 + g }).unwrap();
    }
    f.command(25, Command::Sleep).unwrap();
    f
}

#[test]
fn same_seed_is_bit_identical_and_another_seed_is_not() {
    let run = |seed| {
        let mut f = busy_fleet(seed);
        f.run(2_000).unwrap();
        (f.series().clone(), f.events().to_vec(), f.summary())
    };
    let (a, b) = (run(11), run(11));
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.0.power_watts), bits(&b.0.power_watts));
    let c = run(12);
    assert_ne!(a.2, c.2);
    assert!(a.2.mining_revenue_usd > 0.0 && a.2.energy_cost_usd > 0.0 && a.2.tokens > 0.0);
    assert!(a.2.events > 20);
}

#[test]
fn fatal_faults_take_a_gpu_down_until_reset() {
    let mut c = config(60.0, 5);
    c.faults = FaultRates { gpu_xid_fatal_per_hour: 1000.0, gpu_reset_seconds: 600.0, ..FaultRates::none() };
    let mut f = Fleet::new(c).unwrap();
    let g = f.add_gpu("sxm").unwrap();
    f.step().unwrap();
    assert_eq!(f.state(g).unwrap(), DeviceState::Faulted);
    let e = f.command(g, Command::Serve { model: llama8b(), batch: 1 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IllegalTransition);
    let xid = f.events().iter().find(|e| e.kind == EventKind::XidError).unwrap().code;
    assert!([79, 94, 95].contains(&xid));
    assert!(f.gpu_telemetry(g).unwrap().xid_count >= 1);
}

#[test]
fn thermal_events_throttle_a_loaded_gpu() {
    let mut c = config(10.0, 3);
    c.ambient_c = 40.0;
    c.faults =
        FaultRates { thermal_event_per_hour: 1000.0, thermal_event_resistance_factor: 3.0, ..FaultRates::none() };
    let mut f = Fleet::new(c).unwrap();
    let g = f.add_gpu("sxm").unwrap();
    f.command(g, Command::Serve { model: llama8b(), batch: 256 }).unwrap();
    f.run(200).unwrap();
    assert!(f.events().iter().any(|e| e.kind == EventKind::ThermalEvent));
    assert!(f.events().iter().any(|e| e.kind == EventKind::ThrottleStarted));
    assert!(f.series().devices_throttled.iter().any(|&n| n > 0));
}

#[test]
fn bad_input_gives_the_documented_error_kinds() {
    assert_eq!(Fleet::new(config(0.0, 0)).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(Fleet::new(config(-1.0, 0)).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(Fleet::new(config(f64::NAN, 0)).unwrap_err().kind(), ErrorKind::InvalidInput);
    let mut f = Fleet::new(config(1.0, 0)).unwrap();
    assert_eq!(f.add_gpu("a100").unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(f.add_miner("S9").unwrap_err().kind(), ErrorKind::InvalidInput);
    let g = f.add_gpu("sxm").unwrap();
    let m = f.add_miner("S21").unwrap();
    assert_eq!(f.command(7, Command::Sleep).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(f.command(-1, Command::Sleep).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(f.command(g, Command::Mine { mode: PowerMode::Normal }).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(
        f.command(m, Command::Serve { model: llama8b(), batch: 1 }).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    let e = f.command(g, Command::Serve { model: llama8b(), batch: -3 }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().starts_with("batch"));
    let huge = ModelSpec::new(70e9, 2.0).unwrap();
    assert_eq!(f.command(g, Command::Serve { model: huge, batch: 1 }).unwrap_err().kind(), ErrorKind::OutOfMemory);
    assert_eq!(f.state(g).unwrap(), DeviceState::Idle, "a refused command changes nothing");
}

#[test]
fn telemetry_uses_dcgm_and_cgminer_field_names() {
    let mut f = busy_fleet(4);
    f.run(30).unwrap();
    let gpus: Vec<_> = (0..3)
        .map(|g| (dcgm::GpuLabels::new(g, "NVIDIA H100 80GB HBM3", "sim-host"), f.gpu_telemetry(g as i64).unwrap()))
        .collect();
    let text = dcgm::exposition(&gpus);
    for name in [
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_MEMORY_TEMP",
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_MEM_COPY_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_SM_CLOCK",
        "DCGM_FI_DEV_XID_ERRORS",
        "DCGM_FI_DEV_CLOCKS_EVENT_REASONS",
    ] {
        assert_eq!(text.matches(&format!("# TYPE {name} ")).count(), 1, "{name}");
        assert_eq!(text.lines().filter(|l| l.starts_with(&format!("{name}{{"))).count(), 3, "{name}");
    }
    // Each sample line parses as `name{labels} value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().unwrap().is_finite(), "{line}");
        assert!(line.contains("UUID=\"GPU-") && line.contains("modelName=\"NVIDIA H100 80GB HBM3\""));
    }
    let s = f.miner_status(30).unwrap();
    let summary = cgminer::summary(30, &s, 1_700_000_000);
    assert_eq!(summary["STATUS"][0]["STATUS"], "S");
    let sm = &summary["SUMMARY"][0];
    for k in ["GHS 5s", "GHS av", "Accepted", "Rejected", "Stale", "Hardware Errors", "Elapsed"] {
        assert!(!sm[k].is_null(), "{k}");
    }
    // S21-era firmware writes hashrates as JSON numbers (a string breaks typed decoders).
    for k in ["GHS 5s", "GHS av", "GHS 30m", "Work Utility"] {
        assert!(sm[k].is_number(), "{k}");
    }
    let ghs = sm["GHS 5s"].as_f64().unwrap();
    assert!((ghs / 200_000.0 - 1.0).abs() < 0.2, "{ghs}");
    // Work Utility: difficulty-1 shares per minute, i.e. the hashes done over 2^32 per minute.
    let work_utility = sm["Work Utility"].as_f64().unwrap();
    let expected = s.shares.total_terahashes * 1e12 / 4_294_967_296.0 / (s.elapsed_seconds / 60.0);
    assert!((work_utility / expected - 1.0).abs() < 1e-9, "{work_utility} vs {expected}");
    let stats = cgminer::stats(30, &s, 1_700_000_000);
    let st = &stats["STATS"][1];
    for k in ["fan1", "fan2", "fan3", "fan4", "temp1", "temp2_1", "chain_rate1", "chain_rate3", "chain_acn1"] {
        assert!(!st[k].is_null(), "{k}");
    }
    assert!(st["chain_rate1"].is_number());
    assert_eq!(stats["STATS"][0]["Type"], "Antminer S21");
    // Fans have their own speeds.
    let fans: Vec<u64> = (1..=4).map(|i| st[format!("fan{i}")].as_u64().unwrap()).collect();
    assert!(fans.iter().any(|&f| f != fans[0]), "{fans:?}");
    let pools = cgminer::pools(&s, 1_700_000_000);
    assert_eq!(pools["POOLS"][0]["Accepted"], sm["Accepted"]);
}

#[test]
fn replay_of_the_real_history_is_aligned_and_malformed_files_are_named() {
    let dir = format!("{}/../data/market", env!("CARGO_MANIFEST_DIR"));
    let r = MarketReplay::from_dir(&dir, "2024-06-01 00:00:00").unwrap();
    let p0 = r.at(0.0).unwrap();
    assert_eq!(p0.electricity_usd_per_mwh, 17.69);
    assert!(p0.btc_usd > 60_000.0 && p0.btc_usd < 75_000.0);
    assert!(p0.height > 840_000 && p0.height < 850_000);
    // 15 minutes later: the next interval's price; 14:59 later: still the first.
    assert_eq!(r.at(899.0).unwrap().electricity_usd_per_mwh, 17.69);
    assert_eq!(r.at(900.0).unwrap().electricity_usd_per_mwh, 18.33);
    let s = r.series(96 * 30, 900.0).unwrap();
    assert_eq!(s.len(), 2880);
    let tmp = std::env::temp_dir().join(format!("hcp-sim-bad-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), tmp.join(f.file_name())).unwrap();
    }
    let bad = tmp.join("btc_usd_daily_2020_2025.csv");
    let mut text = std::fs::read_to_string(&bad).unwrap();
    text.push_str("2026-01-01,abc,1,1,1,1\n");
    std::fs::write(&bad, text).unwrap();
    let e = MarketReplay::from_dir(tmp.to_str().unwrap(), "2024-06-01").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("btc_usd_daily_2020_2025.csv:2194"), "{}", e.message());
    std::fs::remove_dir_all(&tmp).ok();
}
