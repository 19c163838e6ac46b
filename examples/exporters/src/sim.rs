//! The simulated fleet behind the servers and the clock that steps it: GPUs serving an 8B model
//! at mixed batch sizes, miners hashing (every fourth in low-power mode), stepped so that
//! simulated time runs `speed` times the wall clock. Built from hcp's public API only.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hcpcore::sim::{Command, Fleet, FleetConfig, ModelSpec, PowerMode};

use crate::args::Args;

/// Steps taken at most per tick, so that a slow machine serves scrapes between catching up.
const MAX_STEPS_PER_TICK: u64 = 2_000;
/// The longest warm-up, in steps (a few seconds of start-up for a small fleet).
const MAX_WARMUP_STEPS: u64 = 1_000_000;

/// A fleet shared by the servers and the clock.
pub struct Sim {
    fleet: Mutex<Fleet>,
    warmup_steps: u64,
    dt_seconds: f64,
    speed: f64,
    started: Instant,
}

impl Sim {
    /// Builds the fleet of `args` and simulates the warm-up.
    pub fn new(args: &Args) -> hcpcore::Result<Sim> {
        let config = FleetConfig {
            dt_seconds: args.dt_seconds,
            seed: args.seed,
            // Shares are drawn every step, so the API's counters move as a real miner's do.
            settle_every_seconds: args.dt_seconds,
            keep_events: false,
            ..FleetConfig::default()
        };
        let mut fleet = Fleet::new(config)?;
        fleet.add_many(&args.gpu_variant, args.gpus, &args.miner_model, args.miners)?;
        let model = ModelSpec::new(8e9, 2.0)?;
        for (i, gpu) in fleet.gpu_ids().into_iter().enumerate() {
            fleet.command(gpu, Command::Serve { model, batch: 16 << (i % 4) })?;
        }
        for (i, miner) in fleet.miner_ids().into_iter().enumerate() {
            if i % 4 == 3 {
                fleet.command(miner, Command::Mine { mode: PowerMode::Low })?;
            }
        }
        let warmup_steps = (args.warmup_seconds / args.dt_seconds).round();
        if warmup_steps.is_nan() || warmup_steps > MAX_WARMUP_STEPS as f64 {
            let msg = format!("--warmup-seconds / --dt-seconds must be at most {MAX_WARMUP_STEPS} steps");
            return Err(hcpcore::Error::invalid_input("warmup_seconds", msg));
        }
        let warmup_steps = warmup_steps as u64;
        for _ in 0..warmup_steps {
            fleet.step()?;
        }
        fleet.clear_output();
        Ok(Sim {
            fleet: Mutex::new(fleet),
            warmup_steps,
            dt_seconds: args.dt_seconds,
            speed: args.speed,
            started: Instant::now(),
        })
    }

    /// The fleet, for reading (a poisoned lock still holds a consistent fleet: steps are whole).
    pub fn fleet(&self) -> MutexGuard<'_, Fleet> {
        self.fleet.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Steps the fleet forever at `speed` (returns only if a step fails, with its error).
    pub fn run_clock(&self) -> hcpcore::Error {
        if self.speed <= 0.0 {
            loop {
                std::thread::park();
            }
        }
        let tick = Duration::from_secs_f64((self.dt_seconds / self.speed).clamp(0.01, 1.0));
        loop {
            std::thread::sleep(tick);
            let due = self.warmup_steps + (self.started.elapsed().as_secs_f64() * self.speed / self.dt_seconds) as u64;
            let mut fleet = self.fleet();
            let mut taken = 0;
            while fleet.steps() < due && taken < MAX_STEPS_PER_TICK {
                if let Err(e) = fleet.step() {
                    return e;
                }
                taken += 1;
            }
            // The servers read state, not the recorded series: keep memory flat.
            fleet.clear_output();
        }
    }
}
