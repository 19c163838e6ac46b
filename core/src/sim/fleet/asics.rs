//! Miner columns of a fleet (structure of arrays) and their step kernel: sleep/wake/mode ramps,
//! chip temperature, hashrate with its slow wander, and the expected shares accumulated per step;
//! shares are drawn (Poisson, thinned into accepted/rejected/stale) at each settlement.
//!
//! The step works in blocks of [`BLOCK`] miners. A block is stepped only while it is dirty: a
//! miner in it changed (command, ramp, board timer, settlement) or its chip temperatures have not
//! yet reached their floating-point fixed point. A clean block's chips would be rewritten with
//! the values they already hold, so skipping it changes no bit; its totals are the partial sums
//! kept from its last step. Fleet totals are the block partials added in block order (each
//! partial a sequential sum in miner order), so they do not depend on which blocks were stepped.

use crate::sim::asic::physics::{operating_point, OperatingPoint};
use crate::sim::asic::spec::{AsicSpec, PowerMode};
use crate::sim::gpu::thermal::relax_factor;
use crate::sim::rng::SimRng;

use super::output::{Event, EventKind};
use super::DeviceState;

const MOVING: u8 = 1;
const BOARD_TIMER: u8 = 2;

/// Miners per block of the step (see the module comment).
pub(crate) const BLOCK: usize = 256;

/// Constants of one miner spec at the fleet's step.
#[derive(Debug, Clone)]
pub(crate) struct AsicConsts {
    pub spec: AsicSpec,
    pub chip_relax: f64,
    /// Sleep power over nominal power: a failed board's share of power falls to this.
    pub sleep_ratio: f64,
}

/// Per-miner state as columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct AsicColumns {
    pub id: Vec<u32>,
    pub spec: Vec<u16>,
    pub mode: Vec<u8>,
    pub state: Vec<u8>,
    pub hash: Vec<f64>,
    pub power: Vec<f64>,
    pub from_hash: Vec<f64>,
    pub from_power: Vec<f64>,
    pub target: Vec<OperatingPoint>,
    pub ramp_elapsed: Vec<f64>,
    pub ramp_delay: Vec<f64>,
    pub ramp_len: Vec<f64>,
    pub moving: Vec<bool>,
    pub chip_c: Vec<f64>,
    /// Relax factor of the chip temperature per step (hot-loop copy of the spec's constant).
    pub relax: Vec<f64>,
    /// Chip temperature the current operating point settles at (hot-loop copy of `target`).
    pub chip_goal: Vec<f64>,
    /// The operating point is derated for heat.
    pub derated: Vec<bool>,
    pub noise: Vec<f64>,
    pub board_factor: Vec<f64>,
    pub board_timer: Vec<f64>,
    /// Hashrate with the wander and failed boards applied (`hash·(1+noise)·board_factor`),
    /// refreshed whenever one of them changes so the hot loop reads one number.
    pub h_eff: Vec<f64>,
    /// Power with failed boards at sleep power, refreshed likewise.
    pub p_eff: Vec<f64>,
    /// Bit 0: ramping; bit 1: a board timer runs. Non-zero sends the miner down the slow path.
    pub flags: Vec<u8>,
    pub pending_shares: Vec<f64>,
    pub pending_btc: Vec<f64>,
    pub pending_usd: Vec<f64>,
    pub accepted: Vec<u64>,
    pub rejected: Vec<u64>,
    pub stale: Vec<u64>,
    pub hw_errors: Vec<u64>,
    pub earned_btc: Vec<f64>,
    pub earned_usd: Vec<f64>,
    /// Sum of `earned_usd`, kept at each settlement (the series records it every step).
    pub earned_usd_total: f64,
    pub total_th: Vec<f64>,
    pub energy_j: Vec<f64>,
    /// Fleet-wide running integrals, advanced once per step: time, shares per TH/s, and their
    /// BTC and USD value. A miner's shares, value, hashes and energy between two changes of its
    /// rates are its (constant) rate times the integral's growth, so they are added only when
    /// the rate changes (`flush`), not every step.
    pub cum: Integrals,
    /// The integrals at each miner's last flush.
    pub mark: Vec<Integrals>,
    /// Per block: must be stepped (see the module comment).
    pub block_dirty: Vec<bool>,
    /// Per block: its totals at its last step.
    pub block_totals: Vec<AsicTotals>,
}

/// Running integrals over the fleet's clock (see [`AsicColumns::cum`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Integrals {
    pub seconds: f64,
    pub shares_per_th: f64,
    pub btc_per_th: f64,
    pub usd_per_th: f64,
}

/// Fleet totals of one miner step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AsicTotals {
    pub power: f64,
    pub hashrate: f64,
    pub hashing: u32,
    pub sleeping: u32,
    pub throttled: u32,
}

fn mode_from_code(code: u8) -> PowerMode {
    match code {
        1 => PowerMode::Low,
        2 => PowerMode::High,
        3 => PowerMode::Sleep,
        _ => PowerMode::Normal,
    }
}

impl AsicColumns {
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Adds a miner hashing in normal mode at `ambient_c`.
    pub fn push(&mut self, id: u32, spec_index: u16, c: &AsicConsts, ambient_c: f64) {
        let op = operating_point(&c.spec, PowerMode::Normal, ambient_c, false);
        self.id.push(id);
        self.spec.push(spec_index);
        self.mode.push(PowerMode::Normal.code());
        self.state.push(if op.shutdown { DeviceState::Sleeping } else { DeviceState::Mining }.code());
        self.hash.push(op.hashrate_ths);
        self.power.push(op.power_watts);
        self.from_hash.push(op.hashrate_ths);
        self.from_power.push(op.power_watts);
        self.target.push(op);
        self.ramp_elapsed.push(0.0);
        self.ramp_delay.push(0.0);
        self.ramp_len.push(0.0);
        self.moving.push(false);
        self.chip_c.push(op.chip_temp_c);
        self.relax.push(c.chip_relax);
        self.chip_goal.push(op.chip_temp_c);
        self.derated.push(op.derate < 1.0);
        self.noise.push(0.0);
        self.board_factor.push(1.0);
        self.board_timer.push(0.0);
        self.h_eff.push(op.hashrate_ths);
        self.p_eff.push(op.power_watts);
        self.flags.push(0);
        self.pending_shares.push(0.0);
        self.pending_btc.push(0.0);
        self.pending_usd.push(0.0);
        self.accepted.push(0);
        self.rejected.push(0);
        self.stale.push(0);
        self.hw_errors.push(0);
        self.earned_btc.push(0.0);
        self.earned_usd.push(0.0);
        self.total_th.push(0.0);
        self.energy_j.push(0.0);
        self.mark.push(self.cum);
        if self.block_dirty.len() * BLOCK < self.len() {
            self.block_dirty.push(true);
            self.block_totals.push(AsicTotals::default());
        }
        self.touch(self.len() - 1);
    }

    /// Marks miner `i`'s block for stepping: call whenever one of its hot-loop columns changes.
    #[inline]
    pub fn touch(&mut self, i: usize) {
        self.block_dirty[i / BLOCK] = true;
    }

    /// Adds miner `i`'s shares, value, hashes and energy since its last flush at its current
    /// rates. Must run before those rates change.
    #[inline]
    pub fn flush(&mut self, i: usize) {
        let (c, m) = (self.cum, self.mark[i]);
        let h = self.h_eff[i];
        self.pending_shares[i] += h * (c.shares_per_th - m.shares_per_th);
        self.pending_btc[i] += h * (c.btc_per_th - m.btc_per_th);
        self.pending_usd[i] += h * (c.usd_per_th - m.usd_per_th);
        self.total_th[i] += h * (c.seconds - m.seconds);
        self.energy_j[i] += self.p_eff[i] * (c.seconds - m.seconds);
        self.mark[i] = c;
    }

    /// Energy of miner `i` so far, J (flushed or not).
    pub fn energy_now(&self, i: usize) -> f64 {
        self.energy_j[i] + self.p_eff[i] * (self.cum.seconds - self.mark[i].seconds)
    }

    /// Hashes of miner `i` so far, TH (flushed or not).
    pub fn terahashes_now(&self, i: usize) -> f64 {
        self.total_th[i] + self.h_eff[i] * (self.cum.seconds - self.mark[i].seconds)
    }

    /// Starts a move of miner `i` to `mode` with the given delay and ramp.
    pub fn start_move(&mut self, i: usize, c: &AsicConsts, mode: PowerMode, ambient_c: f64, delay: f64, ramp: f64) {
        self.mode[i] = mode.code();
        self.from_hash[i] = self.hash[i];
        self.from_power[i] = self.power[i];
        self.set_target(i, operating_point(&c.spec, mode, ambient_c, self.target[i].shutdown));
        self.ramp_elapsed[i] = 0.0;
        self.ramp_delay[i] = delay;
        self.ramp_len[i] = ramp;
        self.moving[i] = true;
        self.flags[i] |= MOVING;
        self.state[i] = DeviceState::Switching.code();
        self.touch(i);
    }

    /// Recomputes the hot-loop rates of miner `i` after its hashrate, power, wander or boards
    /// changed.
    #[inline]
    pub fn refresh(&mut self, i: usize, sleep_ratio: f64) {
        self.flush(i);
        let bf = self.board_factor[i];
        self.h_eff[i] = self.hash[i] * (1.0 + self.noise[i]) * bf;
        self.p_eff[i] = self.power[i] * (bf + (1.0 - bf) * sleep_ratio);
        self.touch(i);
    }

    /// Marks miner `i` as having a board timer running.
    pub fn start_board_timer(&mut self, i: usize, seconds: f64, sleep_ratio: f64) {
        self.board_timer[i] = seconds;
        self.flags[i] |= BOARD_TIMER;
        self.refresh(i, sleep_ratio);
    }

    fn set_target(&mut self, i: usize, op: OperatingPoint) {
        self.target[i] = op;
        self.chip_goal[i] = op.chip_temp_c;
        self.derated[i] = op.derate < 1.0;
        self.touch(i);
    }

    /// Re-evaluates every miner's operating point at a new ambient temperature, logging thermal
    /// shutdowns and restarts.
    pub fn set_ambient(&mut self, consts: &[AsicConsts], ambient_c: f64, time: f64, events: &mut Vec<Event>) {
        for i in 0..self.len() {
            let c = &consts[self.spec[i] as usize];
            let was = self.target[i].shutdown;
            let op = operating_point(&c.spec, mode_from_code(self.mode[i]), ambient_c, was);
            if op.shutdown != was {
                let kind = if op.shutdown { EventKind::ThermalShutdown } else { EventKind::Restarted };
                events.push(Event { time_seconds: time, device: self.id[i], kind, code: 0, value: ambient_c });
            }
            self.set_target(i, op);
            if !self.moving[i] {
                self.hash[i] = op.hashrate_ths;
                self.power[i] = op.power_watts;
                self.state[i] = if op.hashrate_ths > 0.0 { DeviceState::Mining } else { DeviceState::Sleeping }.code();
                self.refresh(i, c.sleep_ratio);
                self.touch(i);
            }
        }
    }

    /// One step of every miner. `share_rate_per_th` is shares per TH per second at the pool's
    /// difficulty; `btc_per_share` / `usd_per_share` value an accepted share (0 without a market).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        consts: &[AsicConsts],
        dt: f64,
        time: f64,
        share_rate_per_th: f64,
        btc_per_share: f64,
        usd_per_share: f64,
        events: &mut Vec<Event>,
    ) -> AsicTotals {
        let sleeping = DeviceState::Sleeping.code();
        // Rare work first (ramps, board timers), so that the hot loop below makes no calls. The
        // flags are scanned a chunk at a time: almost every chunk is all zero.
        let n = self.len();
        for start in (0..n).step_by(64) {
            let end = (start + 64).min(n);
            if self.flags[start..end].iter().fold(0u8, |a, &f| a | f) == 0 {
                continue;
            }
            for i in start..end {
                if self.flags[i] != 0 {
                    self.slow_path(consts, i, dt, time, events);
                }
            }
        }
        let mut t = AsicTotals::default();
        for b in 0..self.block_dirty.len() {
            if self.block_dirty[b] {
                let r = b * BLOCK..((b + 1) * BLOCK).min(n);
                let mut changed = false;
                let chips = self.chip_c[r.clone()].iter_mut();
                let ins = self.chip_goal[r.clone()].iter().zip(&self.hash[r.clone()]).zip(&self.relax[r.clone()]);
                for (chip, ((&goal, &hash), &relax)) in chips.zip(ins) {
                    let old = *chip;
                    let goal = if hash > 0.0 { goal } else { goal.min(old) };
                    let new = old + (goal - old) * relax;
                    changed |= new != old;
                    *chip = new;
                }
                let mut bt = AsicTotals::default();
                for i in r {
                    bt.power += self.p_eff[i];
                    bt.hashrate += self.h_eff[i];
                    bt.hashing += (self.hash[i] > 0.0) as u32;
                    bt.sleeping += (self.state[i] == sleeping) as u32;
                    bt.throttled += self.derated[i] as u32;
                }
                self.block_totals[b] = bt;
                // A block whose chips all reached their fixed point stays as it is until touched.
                self.block_dirty[b] = changed;
            }
            let bt = &self.block_totals[b];
            t.power += bt.power;
            t.hashrate += bt.hashrate;
            t.hashing += bt.hashing;
            t.sleeping += bt.sleeping;
            t.throttled += bt.throttled;
        }
        let shares = share_rate_per_th * dt;
        self.cum.seconds += dt;
        self.cum.shares_per_th += shares;
        self.cum.btc_per_th += shares * btc_per_share;
        self.cum.usd_per_th += shares * usd_per_share;
        t
    }

    /// The rare per-step work of a ramping miner or one with a board timer.
    fn slow_path(&mut self, consts: &[AsicConsts], i: usize, dt: f64, time: f64, events: &mut Vec<Event>) {
        let mining = DeviceState::Mining.code();
        let sleeping = DeviceState::Sleeping.code();
        let sleep_ratio = consts[self.spec[i] as usize].sleep_ratio;
        if self.moving[i] {
            self.ramp_elapsed[i] += dt;
            let x = self.ramp_elapsed[i] - self.ramp_delay[i];
            let p = if x <= 0.0 {
                0.0
            } else if self.ramp_len[i] <= 0.0 || x >= self.ramp_len[i] {
                1.0
            } else {
                x / self.ramp_len[i]
            };
            let target = self.target[i];
            self.hash[i] = self.from_hash[i] + (target.hashrate_ths - self.from_hash[i]) * p;
            self.power[i] = self.from_power[i] + (target.power_watts - self.from_power[i]) * p;
            if p >= 1.0 {
                self.moving[i] = false;
                self.flags[i] &= !MOVING;
                let asleep = target.hashrate_ths <= 0.0;
                self.state[i] = if asleep { sleeping } else { mining };
                let kind = if asleep {
                    EventKind::Slept
                } else if self.from_hash[i] <= 0.0 {
                    EventKind::Woke
                } else {
                    EventKind::ModeChanged
                };
                events.push(Event {
                    time_seconds: time,
                    device: self.id[i],
                    kind,
                    code: self.mode[i] as u32,
                    value: 0.0,
                });
            }
        }
        if self.board_timer[i] > 0.0 {
            self.board_timer[i] -= dt;
            if self.board_timer[i] <= 0.0 {
                self.board_factor[i] = 1.0;
                self.flags[i] &= !BOARD_TIMER;
                events.push(Event {
                    time_seconds: time,
                    device: self.id[i],
                    kind: EventKind::FaultCleared,
                    code: 0,
                    value: 0.0,
                });
            }
        }
        self.refresh(i, sleep_ratio);
        self.touch(i);
    }

    /// Draws the shares found since the last settlement for every miner and redraws the wander.
    pub fn settle(&mut self, consts: &[AsicConsts], rng: &mut SimRng) {
        for i in 0..self.len() {
            self.flush(i);
            let c = &consts[self.spec[i] as usize];
            let s = &c.spec;
            let lambda = std::mem::take(&mut self.pending_shares[i]);
            let btc = std::mem::take(&mut self.pending_btc[i]);
            let usd = std::mem::take(&mut self.pending_usd[i]);
            if lambda > 0.0 {
                let accepted = rng.poisson(lambda * (1.0 - s.reject_fraction - s.stale_fraction));
                // Rejected, stale and hardware errors are rare: one Poisson draw of their sum,
                // each event then assigned to a kind in proportion (the same joint distribution
                // as three independent draws, at a third of the cost). Counted without branches:
                // the kinds are random, so branches on them would be mispredicted.
                let hot = (self.chip_c[i] - s.chip_target_c).max(0.0);
                let (r, st, hw) = (s.reject_fraction, s.stale_fraction, s.hw_errors_per_share * (1.0 + 0.5 * hot));
                let rare = r + st + hw;
                let r_st = r + st;
                let (mut n_r, mut n_st, mut n_hw) = (0u64, 0u64, 0u64);
                for _ in 0..rng.poisson(lambda * rare) {
                    let u = rng.uniform() * rare;
                    let is_r = u < r;
                    let is_st = !is_r & (u < r_st);
                    n_r += is_r as u64;
                    n_st += is_st as u64;
                    n_hw += (!is_r & !is_st) as u64;
                }
                self.rejected[i] += n_r;
                self.stale[i] += n_st;
                self.hw_errors[i] += n_hw;
                self.accepted[i] += accepted;
                self.earned_btc[i] += accepted as f64 * btc / lambda;
                let usd = accepted as f64 * usd / lambda;
                self.earned_usd[i] += usd;
                self.earned_usd_total += usd;
            }
            self.noise[i] = s.hashrate_noise * rng.normal();
            // The wander changed the rates; the flush above already brought the integrals to now
            // (what `refresh` would flush again is zero).
            let bf = self.board_factor[i];
            self.h_eff[i] = self.hash[i] * (1.0 + self.noise[i]) * bf;
            self.p_eff[i] = self.power[i] * (bf + (1.0 - bf) * c.sleep_ratio);
            self.touch(i);
        }
    }
}

/// Relax factor of the chip temperature at step `dt`.
pub(crate) fn chip_relax(spec: &AsicSpec, dt: f64) -> f64 {
    relax_factor(dt, spec.thermal_tau_seconds)
}
