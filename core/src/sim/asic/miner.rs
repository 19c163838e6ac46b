//! One simulated Antminer: mode changes, sleep and wake with the firmware's timing, the chips'
//! temperature, a slow hashrate wander, and the shares it finds at the pool as a Poisson process
//! (accepted, rejected, stale) with hardware errors, paid full-pay-per-share.

use serde::{Deserialize, Serialize};

use super::physics::{btc_per_share, operating_point, shares_per_second, OperatingPoint, Ramp};
use super::spec::{AsicSpec, PowerMode};
use crate::econ::Market;
use crate::error::check;
use crate::sim::gpu::thermal::relax_factor;
use crate::sim::rng::SimRng;
use crate::Result;

/// The pool a miner submits to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolConfig {
    /// Stratum URL (reported in `pools`).
    pub url: String,
    /// Worker name.
    pub user: String,
    /// Share difficulty the pool assigns.
    pub share_difficulty: f64,
    /// Pool fee, fraction of revenue, in `[0, 1)`.
    pub pool_fee: f64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            url: "stratum+tcp://pool.example.invalid:3333".into(),
            user: "hcp.worker".into(),
            share_difficulty: 131_072.0,
            pool_fee: 0.0,
        }
    }
}

impl PoolConfig {
    /// Checks the fields.
    pub fn validated(self) -> Result<PoolConfig> {
        check::positive("share_difficulty", self.share_difficulty)?;
        check::in_range_half_open("pool_fee", self.pool_fee, 0.0, 1.0)?;
        Ok(self)
    }
}

/// Share and revenue counters since the miner started.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ShareCounters {
    /// Shares the pool accepted.
    pub accepted: u64,
    /// Shares the pool rejected.
    pub rejected: u64,
    /// Shares that arrived stale.
    pub stale: u64,
    /// Bad nonces the chips returned.
    pub hardware_errors: u64,
    /// BTC earned (accepted shares, full pay-per-share, after the pool fee).
    pub earned_btc: f64,
    /// USD value of the BTC at the price when each share was earned.
    pub earned_usd: f64,
    /// Hashes computed (for the average hashrate), TH.
    pub total_terahashes: f64,
}

/// What a miner reports (the fields of cgminer's `summary`, `stats` and `pools`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinerStatus {
    /// Model name (`Type` in `stats`).
    pub product_name: String,
    /// Seconds since start.
    pub elapsed_seconds: f64,
    /// Current hashrate, TH/s (before reporting noise).
    pub hashrate_ths: f64,
    /// Average hashrate since start, TH/s.
    pub hashrate_avg_ths: f64,
    /// Nominal hashrate of the current mode, TH/s.
    pub hashrate_ideal_ths: f64,
    /// Power, W.
    pub power_watts: f64,
    /// Chip temperature, °C.
    pub chip_temp_c: f64,
    /// Board temperature, °C.
    pub board_temp_c: f64,
    /// Fan speeds, RPM (one per fan).
    pub fan_rpm: Vec<f64>,
    /// Hash boards.
    pub hash_boards: u32,
    /// Chips per board.
    pub chips_per_board: u32,
    /// Hash boards down after a chain fault (they report no chips and no hashrate; the
    /// hashrate above is what the working boards make).
    #[serde(default)]
    pub failed_boards: u32,
    /// Mode.
    pub mode: PowerMode,
    /// Share counters.
    pub shares: ShareCounters,
    /// Pool.
    pub pool: PoolConfig,
}

/// Where a miner is in its life.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Steady,
    Moving { from: OperatingPoint, ramp: Ramp },
}

/// A simulated miner.
///
/// ```
/// use hcpcore::sim::{AsicSpec, Miner, PowerMode};
/// let mut m = Miner::new(AsicSpec::by_name("S21").unwrap(), Default::default(), 25.0, 7).unwrap();
/// m.sleep();
/// m.step(30.0, None).unwrap();
/// assert!(m.power_watts() > 1000.0); // stock firmware: nothing happens for a minute
/// m.step(60.0, None).unwrap();
/// assert_eq!(m.power_watts(), 25.0);
/// ```
#[derive(Debug, Clone)]
pub struct Miner {
    spec: AsicSpec,
    pool: PoolConfig,
    mode: PowerMode,
    ambient_c: f64,
    target: OperatingPoint,
    current: OperatingPoint,
    phase: Phase,
    chip_temp_c: f64,
    noise: f64,
    pending_shares: f64,
    pending_btc: f64,
    pending_usd: f64,
    counters: ShareCounters,
    elapsed_seconds: f64,
    energy_joules: f64,
    rng: SimRng,
}

/// Relative hashrate wander is redrawn this often (its correlation time), s.
pub const NOISE_CORRELATION_SECONDS: f64 = 3600.0;

impl Miner {
    /// A miner hashing in normal mode at `ambient_c`.
    pub fn new(spec: AsicSpec, pool: PoolConfig, ambient_c: f64, seed: u64) -> Result<Miner> {
        let spec = spec.validated()?;
        let pool = pool.validated()?;
        let ambient_c = check::in_range("ambient_c", ambient_c, -50.0, 80.0)?;
        let target = operating_point(&spec, PowerMode::Normal, ambient_c, false);
        Ok(Miner {
            spec,
            pool,
            mode: PowerMode::Normal,
            ambient_c,
            target,
            current: target,
            phase: Phase::Steady,
            chip_temp_c: target.chip_temp_c,
            noise: 0.0,
            pending_shares: 0.0,
            pending_btc: 0.0,
            pending_usd: 0.0,
            counters: ShareCounters::default(),
            elapsed_seconds: 0.0,
            energy_joules: 0.0,
            rng: SimRng::new(seed, 0xA51C),
        })
    }

    fn retarget(&mut self, mode: PowerMode, delay: f64, ramp: f64) {
        self.mode = mode;
        let from = self.current;
        self.target = operating_point(&self.spec, mode, self.ambient_c, self.target.shutdown);
        self.phase =
            Phase::Moving { from, ramp: Ramp { elapsed_seconds: 0.0, delay_seconds: delay, ramp_seconds: ramp } };
    }

    /// Changes mode (normal/low/high take effect over the wake ramp; sleep uses the sleep timing).
    pub fn set_mode(&mut self, mode: PowerMode) {
        let t = self.spec.transitions;
        match mode {
            PowerMode::Sleep => self.retarget(mode, t.sleep_delay_seconds, t.sleep_ramp_seconds),
            _ if self.mode == PowerMode::Sleep => self.retarget(mode, t.wake_delay_seconds, t.wake_ramp_seconds),
            // A frequency change on a running miner retunes in seconds.
            _ => self.retarget(mode, 0.0, t.sleep_ramp_seconds),
        }
    }

    /// Curtails: sleep with the firmware's timing.
    pub fn sleep(&mut self) {
        self.set_mode(PowerMode::Sleep);
    }

    /// Wakes into normal mode.
    pub fn wake(&mut self) {
        if self.mode == PowerMode::Sleep {
            self.set_mode(PowerMode::Normal);
        }
    }

    /// Sets the ambient (or coolant inlet) temperature; derate and shutdown follow.
    pub fn set_ambient_c(&mut self, ambient_c: f64) -> Result<()> {
        self.ambient_c = check::in_range("ambient_c", ambient_c, -50.0, 80.0)?;
        let target = operating_point(&self.spec, self.mode, self.ambient_c, self.target.shutdown);
        if let Phase::Steady = self.phase {
            self.current = target;
        }
        self.target = target;
        Ok(())
    }

    /// Advances `dt_seconds`. With a market, accepted shares are valued at its difficulty,
    /// block reward and BTC price; without one, shares are counted but earn nothing.
    pub fn step(&mut self, dt_seconds: f64, market: Option<&Market>) -> Result<()> {
        let dt = check::positive("dt_seconds", dt_seconds)?;
        if let Phase::Moving { from, mut ramp } = self.phase {
            ramp.elapsed_seconds += dt;
            let p = ramp.progress();
            let lerp = |a: f64, b: f64| a + (b - a) * p;
            self.current = OperatingPoint {
                hashrate_ths: lerp(from.hashrate_ths, self.target.hashrate_ths),
                power_watts: lerp(from.power_watts, self.target.power_watts),
                chip_temp_c: self.target.chip_temp_c,
                board_temp_c: self.target.board_temp_c,
                fan_rpm: lerp(from.fan_rpm, self.target.fan_rpm),
                ..self.target
            };
            self.phase = if ramp.done() { Phase::Steady } else { Phase::Moving { from, ramp } };
        }
        let goal_chip = if self.current.hashrate_ths > 0.0 { self.target.chip_temp_c } else { self.ambient_c };
        self.chip_temp_c += (goal_chip - self.chip_temp_c) * relax_factor(dt, self.spec.thermal_tau_seconds);
        let hashrate = self.current.hashrate_ths * (1.0 + self.noise);
        let lambda = shares_per_second(hashrate, self.pool.share_difficulty) * dt;
        self.pending_shares += lambda;
        if let Some(m) = market {
            let btc = btc_per_share(self.pool.share_difficulty, m) * (1.0 - self.pool.pool_fee);
            self.pending_btc += lambda * btc;
            self.pending_usd += lambda * btc * m.btc_usd();
        }
        self.counters.total_terahashes += hashrate * dt;
        self.energy_joules += self.current.power_watts * dt;
        let before = (self.elapsed_seconds / NOISE_CORRELATION_SECONDS).floor();
        self.elapsed_seconds += dt;
        if (self.elapsed_seconds / NOISE_CORRELATION_SECONDS).floor() > before {
            self.settle();
        }
        Ok(())
    }

    /// Draws the shares found since the last settlement: a Poisson count of the accumulated
    /// expectation, split by thinning into accepted, rejected and stale; then redraws the
    /// hashrate wander. Exact in distribution whatever the step (Poisson counts add).
    pub fn settle(&mut self) {
        let lambda = std::mem::take(&mut self.pending_shares);
        let btc = std::mem::take(&mut self.pending_btc);
        let usd = std::mem::take(&mut self.pending_usd);
        let s = &self.spec;
        let accepted = self.rng.poisson(lambda * (1.0 - s.reject_fraction - s.stale_fraction));
        self.counters.rejected += self.rng.poisson(lambda * s.reject_fraction);
        self.counters.stale += self.rng.poisson(lambda * s.stale_fraction);
        let hot = (self.chip_temp_c - s.chip_target_c).max(0.0);
        self.counters.hardware_errors += self.rng.poisson(lambda * s.hw_errors_per_share * (1.0 + 0.5 * hot));
        if lambda > 0.0 {
            self.counters.earned_btc += accepted as f64 * btc / lambda;
            self.counters.earned_usd += accepted as f64 * usd / lambda;
        }
        self.counters.accepted += accepted;
        self.noise = s.hashrate_noise * self.rng.normal();
    }

    /// Current power, W.
    pub fn power_watts(&self) -> f64 {
        self.current.power_watts
    }

    /// Current hashrate (with the wander), TH/s.
    pub fn hashrate_ths(&self) -> f64 {
        self.current.hashrate_ths * (1.0 + self.noise)
    }

    /// Energy since start, J.
    pub fn energy_joules(&self) -> f64 {
        self.energy_joules
    }

    /// Counters (settled shares only; call [`Miner::settle`] first for an up-to-date count).
    pub fn counters(&self) -> ShareCounters {
        self.counters
    }

    /// The mode.
    pub fn mode(&self) -> PowerMode {
        self.mode
    }

    /// The spec.
    pub fn spec(&self) -> &AsicSpec {
        &self.spec
    }

    /// Everything the cgminer API reports.
    pub fn status(&self) -> MinerStatus {
        let ideal = self.spec.hashrate_ths * self.spec.mode_factors(self.mode).hashrate;
        MinerStatus {
            product_name: self.spec.product_name.clone(),
            elapsed_seconds: self.elapsed_seconds,
            hashrate_ths: self.hashrate_ths(),
            hashrate_avg_ths: if self.elapsed_seconds > 0.0 {
                self.counters.total_terahashes / self.elapsed_seconds
            } else {
                0.0
            },
            hashrate_ideal_ths: ideal,
            power_watts: self.current.power_watts,
            chip_temp_c: self.chip_temp_c,
            board_temp_c: self.ambient_c + self.spec.board_rise_share * (self.chip_temp_c - self.ambient_c),
            fan_rpm: vec![self.current.fan_rpm; self.spec.fans as usize],
            hash_boards: self.spec.hash_boards,
            chips_per_board: self.spec.chips_per_board,
            failed_boards: 0,
            mode: self.mode,
            shares: self.counters,
            pool: self.pool.clone(),
        }
    }
}
