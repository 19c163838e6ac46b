//! The fleet steps in blocks and settles shares in shards (see `sim/fleet/asics.rs`): a clean
//! block keeps its totals, shards may be settled on several threads. These tests check that the
//! kept totals never go stale and that the thread count never changes the output.

use hcpcore::sim::{
    Command, FaultRates, Fleet, FleetConfig, MarketSource, ModelSpec, PowerMode, SyntheticConfig, SyntheticMarket,
};

fn llama8b() -> ModelSpec {
    ModelSpec::new(8.03e9, 2.0).unwrap()
}

/// Faults often enough that boards fail, GPUs crash and run hot during a short run.
fn faulty() -> FaultRates {
    FaultRates {
        gpu_xid_fatal_per_hour: 0.02,
        gpu_xid_recoverable_per_hour: 0.05,
        gpu_ecc_correctable_per_hour: 0.05,
        thermal_event_per_hour: 0.05,
        asic_chain_fault_per_hour: 0.05,
        gpu_reset_seconds: 900.0,
        asic_repair_seconds: 1800.0,
        ..FaultRates::default()
    }
}

fn fleet(gpus: u32, miners: u32, threads: u32) -> Fleet {
    let config = FleetConfig { dt_seconds: 60.0, seed: 9, faults: faulty(), threads, ..Default::default() };
    let mut f = Fleet::new(config).unwrap();
    f.add_many("sxm", gpus, "S21", miners).unwrap();
    f.set_market(MarketSource::Synthetic(Box::new(SyntheticMarket::new(SyntheticConfig::default(), 4).unwrap())));
    f
}

/// Commands scattered over devices and steps (serve, switch, sleep, wake, mode changes).
fn command_at(f: &mut Fleet, step: u64, gpus: i64, devices: i64) {
    let model = llama8b();
    for d in (step as i64 * 37 % 101..devices).step_by(97) {
        let c = if d < gpus {
            match step % 4 {
                0 => Command::Serve { model, batch: 1 << (d % 9) },
                1 => Command::Sleep,
                2 => Command::Wake,
                _ => Command::Serve { model, batch: 64 },
            }
        } else {
            match step % 4 {
                0 => Command::Sleep,
                1 => Command::Wake,
                2 => Command::Mine { mode: PowerMode::Low },
                _ => Command::Mine { mode: PowerMode::High },
            }
        };
        // A faulted GPU refuses commands until reset: that is expected here.
        let _ = f.command(d, c);
    }
}

#[test]
fn kept_block_totals_match_the_devices_at_every_step() {
    let (gpus, miners) = (700u32, 1_300u32);
    let mut f = fleet(gpus, miners, 1);
    let n = (gpus + miners) as i64;
    for step in 0..240u64 {
        if step % 15 == 0 {
            command_at(&mut f, step / 15, gpus as i64, n);
        }
        f.step().unwrap();
        let d = f.devices();
        let s = f.series();
        let last = s.len() - 1;
        let (mut gpu_power, mut hash, mut max_c) = (0.0, 0.0, 0.0f64);
        let (mut serving, mut sleeping_miners) = (0u32, 0u32);
        for i in 0..n as usize {
            if d.kind[i] == 0 {
                gpu_power += d.power_watts[i];
                max_c = max_c.max(d.temp_c[i]);
                serving += (d.state[i] == 2) as u32;
            } else {
                hash += d.hashrate_ths[i];
                sleeping_miners += (d.state[i] == 4) as u32;
            }
        }
        // A stale block would be off by at least one device (hundreds of watts, TH/s).
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        assert!(close(s.gpu_power_watts[last], gpu_power), "step {step}: {} vs {gpu_power}", s.gpu_power_watts[last]);
        // At a settlement (every 60 steps) the wander is redrawn after the step's totals.
        if (step + 1) % 60 != 0 {
            assert!(close(s.hashrate_ths[last], hash), "step {step}: {} vs {hash}", s.hashrate_ths[last]);
        }
        assert_eq!(s.max_gpu_temp_c[last], max_c, "step {step}");
        assert_eq!(s.gpus_serving[last], serving, "step {step}");
        assert_eq!(s.miners_sleeping[last], sleeping_miners, "step {step}");
    }
    assert!(f.summary().events > 100);
}

#[test]
fn a_woken_miner_heats_back_up_like_one_that_never_slept() {
    // No settlement in the run (it would step every block anyway).
    let config = FleetConfig {
        dt_seconds: 60.0,
        seed: 2,
        faults: FaultRates::none(),
        settle_every_seconds: 1e9,
        ..Default::default()
    };
    let mut f = Fleet::new(config).unwrap();
    for _ in 0..600 {
        f.add_miner("S21@luxos").unwrap();
    }
    f.command(300, Command::Sleep).unwrap();
    f.run(120).unwrap();
    let cold = f.devices().temp_c[300];
    let warm = f.devices().temp_c[301];
    assert!(cold < warm - 5.0, "asleep {cold} vs hashing {warm}");
    f.command(300, Command::Wake).unwrap();
    f.run(120).unwrap();
    let d = f.devices();
    assert!((d.temp_c[300] - d.temp_c[301]).abs() < 1e-6, "{} vs {}", d.temp_c[300], d.temp_c[301]);
}

#[test]
fn a_command_to_a_gpu_in_a_settled_block_takes_effect() {
    let config = FleetConfig { dt_seconds: 60.0, seed: 2, faults: FaultRates::none(), ..Default::default() };
    let mut f = Fleet::new(config).unwrap();
    f.add_many("sxm", 600, "S21", 0).unwrap();
    f.run(60).unwrap();
    let idle_power = *f.series().gpu_power_watts.last().unwrap();
    f.command(400, Command::Serve { model: llama8b(), batch: 32 }).unwrap();
    f.run(5).unwrap();
    let s = f.series();
    assert_eq!(*s.gpus_serving.last().unwrap(), 1);
    assert!(*s.tokens_per_second.last().unwrap() > 1000.0);
    assert!(*s.gpu_power_watts.last().unwrap() > idle_power + 100.0);
}

#[test]
fn the_thread_count_does_not_change_the_output() {
    // Three shards of miners (4,096 each) so that two and three threads really split the work.
    let run = |threads| {
        let mut f = fleet(50, 9_000, threads);
        for step in 0..4u64 {
            command_at(&mut f, step, 50, 9_050);
            f.run(45).unwrap();
        }
        let d = f.devices();
        (f.series().clone(), f.events().to_vec(), f.summary(), d)
    };
    let one = run(1);
    assert!(one.2.shares_accepted > 0 && one.2.mining_revenue_usd > 0.0);
    for threads in [2, 3, 8] {
        let other = run(threads);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one.0.power_watts), bits(&other.0.power_watts), "threads {threads}");
        assert_eq!(bits(&one.0.mining_revenue_usd), bits(&other.0.mining_revenue_usd), "threads {threads}");
        assert_eq!(one.0, other.0, "threads {threads}");
        assert_eq!(one.1, other.1, "threads {threads}");
        assert_eq!(one.2, other.2, "threads {threads}");
        assert_eq!(one.3, other.3, "threads {threads}");
    }
}

#[test]
fn threads_are_validated() {
    let bad = FleetConfig { threads: 5_000, ..Default::default() };
    assert_eq!(Fleet::new(bad).unwrap_err().kind(), hcpcore::ErrorKind::InvalidInput);
    assert_eq!(FleetConfig::from_json(r#"{"threads": 2}"#).unwrap().threads, 2);
}
