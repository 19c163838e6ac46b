//! One reading of a miner's sensors and counters as its firmware would report it at a moment:
//! the 5-second, 30-minute and average hashrates with their counting noise, each hash board's
//! hashrate, chips, PCB and chip temperatures, hardware errors and power, and each fan's speed.
//!
//! Every reply (`summary`, `devs`, both `stats` forms) and the Prometheus exposition are rendered
//! from the same reading, so that they agree with each other for one miner at one simulated time.
//! Reporting noise is drawn from a hash of (miner, simulated time, field), never from the
//! simulation's random streams: reading telemetry does not change a run.

use crate::econ::bitcoin::HASHES_PER_DIFFICULTY;
use crate::sim::asic::miner::MinerStatus;
use crate::sim::asic::spec::PowerMode;
use crate::sim::telemetry::{jitter, splitmix64};

/// Hashes per nonce the chips report (the ASIC-side difficulty behind the 5 s hashrate), so the
/// 5-second figure carries the counting noise a real miner shows.
pub const CHIP_NONCE_DIFFICULTY: f64 = 256.0;

/// Chip frequency of an S21 in normal mode, MHz (low and high modes scale it with the hashrate).
pub const NORMAL_FREQUENCY_MHZ: f64 = 490.0;

/// Temperature sensors per board (`temp_pcb`, `temp_chip` arrays: two inlet, two outlet).
pub const SENSORS_PER_BOARD: usize = 4;

/// One hash board (chain) of a reading.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardReading {
    /// Chain index from 0 (`index` in the new-API `chain[]`).
    pub index: u32,
    /// Hashrate, GH/s (`rate_real`, `chain_rateN`).
    pub rate_ghs: f64,
    /// Nominal hashrate of the mode, GH/s (`rate_ideal`, `chain_rateidealN`).
    pub ideal_ghs: f64,
    /// Chips answering (0 on a failed board).
    pub chips: u32,
    /// PCB sensors, °C: inlet, inlet, outlet, outlet (0 on a failed board).
    pub temp_pcb_c: [i64; SENSORS_PER_BOARD],
    /// Chip sensors next to the PCB ones, °C.
    pub temp_chip_c: [i64; SENSORS_PER_BOARD],
    /// Hardware errors (bad nonces) since start.
    pub hardware_errors: u64,
    /// Accepted shares credited to this board.
    pub accepted: u64,
    /// Rejected shares credited to this board.
    pub rejected: u64,
    /// Power drawn, W: the miner's power split by board hashrate (the control board's share
    /// included).
    pub power_watts: f64,
    /// Average chip frequency, MHz.
    pub frequency_mhz: f64,
    /// Board serial number.
    pub serial: String,
}

impl BoardReading {
    /// Hardware errors as a share of the nonces this board checked (`diff1_work` difficulty-1
    /// shares, plus the errors), %.
    pub fn hardware_error_pct(&self, diff1_work: f64) -> f64 {
        let hw = self.hardware_errors as f64;
        if diff1_work + hw > 0.0 {
            hw / (diff1_work + hw) * 100.0
        } else {
            0.0
        }
    }
}

/// A miner's figures at one moment (see the module comment).
#[derive(Debug, Clone, PartialEq)]
pub struct MinerReading {
    /// Seconds since start, whole.
    pub elapsed_seconds: u64,
    /// Hashrate over the last 5 seconds, GH/s (`GHS 5s`, `rate_5s`).
    pub ghs_5s: f64,
    /// Hashrate over the last 30 minutes, GH/s (`GHS 30m`; the average since start before that).
    pub ghs_30m: f64,
    /// Average hashrate since start, GH/s (`GHS av`).
    pub ghs_avg: f64,
    /// Nominal hashrate of the mode, GH/s.
    pub ghs_ideal: f64,
    /// Power, W.
    pub power_watts: f64,
    /// Difficulty-1 shares computed since start (all work, `Diff1 Work`).
    pub diff1_work: f64,
    /// Difficulty-1 shares per minute since start (cgminer's `Work Utility`).
    pub work_utility: f64,
    /// Accepted shares per minute since start (cgminer's `Utility`).
    pub utility: f64,
    /// Each fan's speed, RPM.
    pub fans_rpm: Vec<u32>,
    /// Each hash board.
    pub boards: Vec<BoardReading>,
    /// Chip frequency, MHz (0 asleep).
    pub frequency_mhz: f64,
    /// Hashing (not asleep, shut down or ramping from zero).
    pub hashing: bool,
}

fn key(device: u32, elapsed: f64, salt: u64) -> u64 {
    ((device as u64) << 40) ^ (elapsed.to_bits().rotate_left(7)) ^ salt
}

/// Hashrate measured by counting chip nonces over `window_seconds` around a true `ths`, GH/s.
fn counted_ghs(ths: f64, window_seconds: f64, key: u64) -> f64 {
    if ths <= 0.0 {
        return 0.0;
    }
    let nonces = ths * 1e12 * window_seconds / (CHIP_NONCE_DIFFICULTY * HASHES_PER_DIFFICULTY);
    (ths * 1000.0 * (1.0 + jitter(key) / nonces.sqrt())).max(0.0)
}

/// `total` split over `parts` integers (the first `total % parts` get one more).
fn split(total: u64, parts: usize, index: usize) -> u64 {
    let parts = parts.max(1) as u64;
    total / parts + u64::from((index as u64) < total % parts)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl MinerReading {
    /// The reading of miner `device` (its id, for stable identities and noise) in state `s`.
    ///
    /// ```
    /// use hcpcore::sim::{Fleet, FleetConfig};
    /// use hcpcore::sim::telemetry::cgminer::MinerReading;
    /// let mut fleet = Fleet::new(FleetConfig::default()).unwrap();
    /// let id = fleet.add_miner("S21").unwrap();
    /// fleet.run(30).unwrap();
    /// let r = MinerReading::new(id as u32, &fleet.miner_status(id).unwrap());
    /// assert_eq!(r.boards.len(), 3);
    /// let boards: f64 = r.boards.iter().map(|b| b.rate_ghs).sum();
    /// assert!((boards - r.ghs_5s).abs() < 0.05); // the boards add up to the total
    /// assert_eq!(r.fans_rpm.len(), 4);
    /// ```
    pub fn new(device: u32, s: &MinerStatus) -> MinerReading {
        let elapsed = s.elapsed_seconds.max(0.0);
        let ghs_5s = counted_ghs(s.hashrate_ths, 5.0, key(device, elapsed, 1));
        let ghs_30m = if elapsed >= 1800.0 {
            counted_ghs(s.hashrate_ths, 1800.0, key(device, elapsed, 2))
        } else {
            s.hashrate_avg_ths * 1000.0
        };
        let diff1_work = s.shares.total_terahashes * 1e12 / HASHES_PER_DIFFICULTY;
        let minutes = elapsed / 60.0;
        let per_minute = |x: f64| if minutes > 0.0 { x / minutes } else { 0.0 };
        let hashing = s.hashrate_ths > 0.0;
        let mode_factor = match s.mode {
            PowerMode::Normal => 1.0,
            PowerMode::Low => 0.8,
            PowerMode::High => 1.1,
            PowerMode::Sleep => 0.0,
        };
        let frequency_mhz = if hashing { (NORMAL_FREQUENCY_MHZ * mode_factor).round() } else { 0.0 };

        // Each fan has its own speed: a fixed spread between fans of one miner (±3 %, the
        // controller drives them together) and a little noise from one reading to the next.
        let fans_rpm = s
            .fan_rpm
            .iter()
            .enumerate()
            .map(|(i, rpm)| {
                let own = 1.0 + 0.03 * jitter(key(device, 0.0, 100 + i as u64)).clamp(-2.0, 2.0);
                let now = 1.0 + 0.005 * jitter(key(device, elapsed, 150 + i as u64));
                (rpm * own * now).round().max(0.0) as u32
            })
            .collect();

        // Boards: the working ones share the measured hashrate by a fixed per-board spread
        // (±1.5 %) and per-reading noise (±1 %), normalised so the boards add up to the total.
        let boards_n = s.hash_boards.max(1) as usize;
        let working = boards_n - (s.failed_boards as usize).min(boards_n);
        let weights: Vec<f64> = (0..boards_n)
            .map(|b| {
                if b >= working {
                    return 0.0;
                }
                let own = 1.0 + 0.015 * jitter(key(device, 0.0, 200 + b as u64)).clamp(-2.0, 2.0);
                let now = 1.0 + 0.01 * jitter(key(device, elapsed, 300 + b as u64)).clamp(-3.0, 3.0);
                own * now
            })
            .collect();
        let weight_sum: f64 = weights.iter().sum();
        let ideal_board = s.hashrate_ideal_ths * 1000.0 / boards_n as f64;
        let c = &s.shares;
        let mut boards = Vec::with_capacity(boards_n);
        for (b, &w) in weights.iter().enumerate() {
            let share = if weight_sum > 0.0 { w / weight_sum } else { 0.0 };
            let up = b < working;
            // Board sensors: each board sits a little warmer or cooler than the mean.
            let spread = 1.5 * jitter(key(device, 0.0, 400 + b as u64)).clamp(-2.0, 2.0);
            let pcb = (s.board_temp_c + spread).round() as i64;
            let chip = (s.chip_temp_c + 1.3 * spread).round() as i64;
            let sensors = |mid: i64| if up { [mid - 4, mid - 3, mid + 3, mid + 4] } else { [0; SENSORS_PER_BOARD] };
            let h = splitmix64(((device as u64) << 8) ^ b as u64 ^ 0x5E1A_1000);
            boards.push(BoardReading {
                index: b as u32,
                rate_ghs: round2(ghs_5s * share),
                ideal_ghs: round2(ideal_board),
                chips: if up { s.chips_per_board } else { 0 },
                temp_pcb_c: sensors(pcb),
                temp_chip_c: sensors(chip),
                hardware_errors: if up { split(c.hardware_errors, working, b) } else { 0 },
                accepted: if up { split(c.accepted, working, b) } else { 0 },
                rejected: if up { split(c.rejected, working, b) } else { 0 },
                power_watts: if hashing { s.power_watts * share } else { 0.0 },
                frequency_mhz: if up { frequency_mhz } else { 0.0 },
                serial: format!("JYZZ{:06X}{:02}{:08X}", (h >> 40) & 0xFF_FFFF, b + 1, h & 0xFFFF_FFFF),
            });
        }
        MinerReading {
            elapsed_seconds: elapsed.floor() as u64,
            ghs_5s: round2(boards.iter().map(|b| b.rate_ghs).sum::<f64>()),
            ghs_30m: round2(ghs_30m),
            ghs_avg: round2(s.hashrate_avg_ths * 1000.0),
            ghs_ideal: round2(s.hashrate_ideal_ths * 1000.0),
            power_watts: s.power_watts,
            diff1_work,
            work_utility: per_minute(diff1_work),
            utility: per_minute(c.accepted as f64),
            fans_rpm,
            boards,
            frequency_mhz,
            hashing,
        }
    }

    /// Hardware errors as a share of all nonces checked, % (`Device Hardware%`).
    pub fn hardware_error_pct(&self, s: &MinerStatus) -> f64 {
        let hw = s.shares.hardware_errors as f64;
        if self.diff1_work + hw > 0.0 {
            hw / (self.diff1_work + hw) * 100.0
        } else {
            0.0
        }
    }
}
