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
    /// Per block: some miner in it has a flag set (may be stale-true, never stale-false).
    pub block_flagged: Vec<bool>,
    /// Per block: its totals at its last step.
    pub block_totals: Vec<AsicTotals>,
    /// Scratch of the settlement (USD per miner), kept to avoid reallocating.
    pub usd_scratch: Vec<f64>,
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
            self.block_flagged.push(false);
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
        self.block_flagged[i / BLOCK] = true;
        self.state[i] = DeviceState::Switching.code();
        self.touch(i);
    }

    /// Recomputes the hot-loop rates of miner `i` after its hashrate, power, wander or boards
    /// changed.
    #[inline]
    pub fn refresh(&mut self, i: usize, sleep_ratio: f64) {
        self.flush(i);
        let bf = self.board_factor[i];
        let h = self.hash[i] * (1.0 + self.noise[i]) * bf;
        let p = self.power[i] * (bf + (1.0 - bf) * sleep_ratio);
        // A miner whose rates did not change (e.g. a board timer counting down) leaves its block
        // clean.
        if h.to_bits() != self.h_eff[i].to_bits() || p.to_bits() != self.p_eff[i].to_bits() {
            self.touch(i);
        }
        self.h_eff[i] = h;
        self.p_eff[i] = p;
    }

    /// Marks miner `i` as having a board timer running.
    pub fn start_board_timer(&mut self, i: usize, seconds: f64, sleep_ratio: f64) {
        self.board_timer[i] = seconds;
        self.flags[i] |= BOARD_TIMER;
        self.block_flagged[i / BLOCK] = true;
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
        // Rare work first (ramps, board timers), so that the hot loop below makes no calls. Only
        // blocks with a flagged miner are scanned, in miner order.
        let n = self.len();
        for b in 0..self.block_flagged.len() {
            if !self.block_flagged[b] {
                continue;
            }
            let mut any = 0u8;
            for i in b * BLOCK..((b + 1) * BLOCK).min(n) {
                if self.flags[i] != 0 {
                    self.slow_path(consts, i, dt, time, events);
                    any |= self.flags[i];
                }
            }
            self.block_flagged[b] = any != 0;
        }
        let t = crate::simd::dispatch(
            #[inline(always)]
            || {
                let mut t = AsicTotals::default();
                for b in 0..self.block_dirty.len() {
                    if self.block_dirty[b] {
                        let r = b * BLOCK..((b + 1) * BLOCK).min(n);
                        let mut changed = false;
                        let chips = self.chip_c[r.clone()].iter_mut();
                        let ins =
                            self.chip_goal[r.clone()].iter().zip(&self.hash[r.clone()]).zip(&self.relax[r.clone()]);
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
                t
            },
        );
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
            // Hashrate, power and state move with the ramp.
            self.touch(i);
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
    }

    /// Draws the shares found since the last settlement for every miner and redraws the wander.
    /// Shard `k` (miners `k·SHARD ..`) draws from `rngs[k]` (one stream per shard, `rngs.len()`
    /// ≥ the number of shards), so the draws are the same whether the shards are settled on one
    /// thread or on `threads` threads in parallel.
    pub fn settle(&mut self, consts: &[AsicConsts], rngs: &mut [SimRng], threads: usize) {
        let n = self.len();
        let shards = n.div_ceil(SHARD);
        let cum = self.cum;
        let mut usd = std::mem::take(&mut self.usd_scratch);
        usd.clear();
        usd.resize(n, 0.0);
        let view = SettleView {
            spec: &self.spec,
            chip_c: &self.chip_c,
            hash: &self.hash,
            power: &self.power,
            board_factor: &self.board_factor,
            mark: &mut self.mark,
            pending_shares: &mut self.pending_shares,
            pending_btc: &mut self.pending_btc,
            pending_usd: &mut self.pending_usd,
            total_th: &mut self.total_th,
            energy_j: &mut self.energy_j,
            accepted: &mut self.accepted,
            rejected: &mut self.rejected,
            stale: &mut self.stale,
            hw_errors: &mut self.hw_errors,
            earned_btc: &mut self.earned_btc,
            earned_usd: &mut self.earned_usd,
            noise: &mut self.noise,
            h_eff: &mut self.h_eff,
            p_eff: &mut self.p_eff,
            usd: &mut usd,
        };
        let rngs = &mut rngs[..shards];
        let threads = threads.clamp(1, shards.max(1));
        if threads == 1 {
            settle_shards(view, rngs, cum, consts);
        } else {
            // Shards are handed out one at a time to whichever thread is free (a thread that the
            // OS leaves waiting holds up at most one shard); each shard's result depends only on
            // its own miners and stream, so who settles it does not matter. If a thread cannot be
            // started, the caller's thread settles what is left.
            let mut work = Vec::with_capacity(shards);
            let mut view = view;
            for rng in rngs.iter_mut() {
                let mid = SHARD.min(view.len());
                let (head, tail) = view.split_at(mid);
                work.push((head, rng));
                view = tail;
            }
            let queue = std::sync::Mutex::new(work.into_iter());
            let drain = || loop {
                let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
                match next {
                    Some((v, rng)) => settle_miners(v, rng, cum, consts),
                    None => break,
                }
            };
            let drain = &drain;
            std::thread::scope(|scope| {
                for _ in 1..threads {
                    if std::thread::Builder::new().spawn_scoped(scope, drain).is_err() {
                        break;
                    }
                }
                drain();
            });
        }
        // The running total in miner order, as if added one miner at a time.
        for &u in &usd {
            self.earned_usd_total += u;
        }
        self.usd_scratch = usd;
        self.block_dirty.fill(true);
    }
}

/// Miners per random stream of the settlement (see [`AsicColumns::settle`]).
pub(crate) const SHARD: usize = 16 * BLOCK;

/// The columns a settlement reads and writes, for a contiguous range of miners.
struct SettleView<'a> {
    spec: &'a [u16],
    chip_c: &'a [f64],
    hash: &'a [f64],
    power: &'a [f64],
    board_factor: &'a [f64],
    mark: &'a mut [Integrals],
    pending_shares: &'a mut [f64],
    pending_btc: &'a mut [f64],
    pending_usd: &'a mut [f64],
    total_th: &'a mut [f64],
    energy_j: &'a mut [f64],
    accepted: &'a mut [u64],
    rejected: &'a mut [u64],
    stale: &'a mut [u64],
    hw_errors: &'a mut [u64],
    earned_btc: &'a mut [f64],
    earned_usd: &'a mut [f64],
    noise: &'a mut [f64],
    h_eff: &'a mut [f64],
    p_eff: &'a mut [f64],
    /// USD earned by each miner at this settlement (added to the fleet total afterwards, in order).
    usd: &'a mut [f64],
}

impl<'a> SettleView<'a> {
    fn len(&self) -> usize {
        self.spec.len()
    }

    fn split_at(self, mid: usize) -> (SettleView<'a>, SettleView<'a>) {
        let (spec_a, spec_b) = self.spec.split_at(mid);
        let (chip_a, chip_b) = self.chip_c.split_at(mid);
        let (hash_a, hash_b) = self.hash.split_at(mid);
        let (power_a, power_b) = self.power.split_at(mid);
        let (bf_a, bf_b) = self.board_factor.split_at(mid);
        let (mark_a, mark_b) = self.mark.split_at_mut(mid);
        let (ps_a, ps_b) = self.pending_shares.split_at_mut(mid);
        let (pb_a, pb_b) = self.pending_btc.split_at_mut(mid);
        let (pu_a, pu_b) = self.pending_usd.split_at_mut(mid);
        let (th_a, th_b) = self.total_th.split_at_mut(mid);
        let (e_a, e_b) = self.energy_j.split_at_mut(mid);
        let (acc_a, acc_b) = self.accepted.split_at_mut(mid);
        let (rej_a, rej_b) = self.rejected.split_at_mut(mid);
        let (st_a, st_b) = self.stale.split_at_mut(mid);
        let (hw_a, hw_b) = self.hw_errors.split_at_mut(mid);
        let (eb_a, eb_b) = self.earned_btc.split_at_mut(mid);
        let (eu_a, eu_b) = self.earned_usd.split_at_mut(mid);
        let (no_a, no_b) = self.noise.split_at_mut(mid);
        let (h_a, h_b) = self.h_eff.split_at_mut(mid);
        let (p_a, p_b) = self.p_eff.split_at_mut(mid);
        let (u_a, u_b) = self.usd.split_at_mut(mid);
        (
            SettleView {
                spec: spec_a,
                chip_c: chip_a,
                hash: hash_a,
                power: power_a,
                board_factor: bf_a,
                mark: mark_a,
                pending_shares: ps_a,
                pending_btc: pb_a,
                pending_usd: pu_a,
                total_th: th_a,
                energy_j: e_a,
                accepted: acc_a,
                rejected: rej_a,
                stale: st_a,
                hw_errors: hw_a,
                earned_btc: eb_a,
                earned_usd: eu_a,
                noise: no_a,
                h_eff: h_a,
                p_eff: p_a,
                usd: u_a,
            },
            SettleView {
                spec: spec_b,
                chip_c: chip_b,
                hash: hash_b,
                power: power_b,
                board_factor: bf_b,
                mark: mark_b,
                pending_shares: ps_b,
                pending_btc: pb_b,
                pending_usd: pu_b,
                total_th: th_b,
                energy_j: e_b,
                accepted: acc_b,
                rejected: rej_b,
                stale: st_b,
                hw_errors: hw_b,
                earned_btc: eb_b,
                earned_usd: eu_b,
                noise: no_b,
                h_eff: h_b,
                p_eff: p_b,
                usd: u_b,
            },
        )
    }
}

/// Settles whole shards in order, shard `k` of `v` drawing from `rngs[k]`.
fn settle_shards(mut v: SettleView<'_>, rngs: &mut [SimRng], cum: Integrals, consts: &[AsicConsts]) {
    for rng in rngs {
        let mid = SHARD.min(v.len());
        let (head, tail) = v.split_at(mid);
        settle_miners(head, rng, cum, consts);
        v = tail;
    }
}

/// Settles every miner of `v` from one stream.
fn settle_miners(v: SettleView<'_>, rng: &mut SimRng, c: Integrals, consts: &[AsicConsts]) {
    // Every column cut to the same length up front, so the loop indexes them without bounds checks.
    let n = v.len();
    let (spec, chip_c, hash, power, board_factor) =
        (&v.spec[..n], &v.chip_c[..n], &v.hash[..n], &v.power[..n], &v.board_factor[..n]);
    let (mark, pending_shares, pending_btc, pending_usd) =
        (&mut v.mark[..n], &mut v.pending_shares[..n], &mut v.pending_btc[..n], &mut v.pending_usd[..n]);
    let (total_th, energy_j, accepted_n, rejected) =
        (&mut v.total_th[..n], &mut v.energy_j[..n], &mut v.accepted[..n], &mut v.rejected[..n]);
    let (stale, hw_errors, earned_btc, earned_usd) =
        (&mut v.stale[..n], &mut v.hw_errors[..n], &mut v.earned_btc[..n], &mut v.earned_usd[..n]);
    let (noise, h_eff, p_eff, usd_out) = (&mut v.noise[..n], &mut v.h_eff[..n], &mut v.p_eff[..n], &mut v.usd[..n]);
    for i in 0..n {
        // Flush (see `AsicColumns::flush`): the integrals since the last flush at the old rates.
        let m = mark[i];
        let h = h_eff[i];
        let lambda = pending_shares[i] + h * (c.shares_per_th - m.shares_per_th);
        let btc = pending_btc[i] + h * (c.btc_per_th - m.btc_per_th);
        let usd = pending_usd[i] + h * (c.usd_per_th - m.usd_per_th);
        total_th[i] += h * (c.seconds - m.seconds);
        energy_j[i] += p_eff[i] * (c.seconds - m.seconds);
        mark[i] = c;
        pending_shares[i] = 0.0;
        pending_btc[i] = 0.0;
        pending_usd[i] = 0.0;
        let k = &consts[spec[i] as usize];
        let s = &k.spec;
        usd_out[i] = 0.0;
        if lambda > 0.0 {
            let accepted = rng.poisson(lambda * (1.0 - s.reject_fraction - s.stale_fraction));
            // Rejected, stale and hardware errors are rare: one Poisson draw of their sum, each
            // event then assigned to a kind in proportion (the same joint distribution as three
            // independent draws, at a third of the cost). Counted without branches: the kinds are
            // random, so branches on them would be mispredicted.
            let hot = (chip_c[i] - s.chip_target_c).max(0.0);
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
            rejected[i] += n_r;
            stale[i] += n_st;
            hw_errors[i] += n_hw;
            accepted_n[i] += accepted;
            earned_btc[i] += accepted as f64 * btc / lambda;
            let usd = accepted as f64 * usd / lambda;
            earned_usd[i] += usd;
            usd_out[i] = usd;
        }
        noise[i] = s.hashrate_noise * rng.normal();
        // The wander changed the rates (the integrals were brought to now above).
        let bf = board_factor[i];
        h_eff[i] = hash[i] * (1.0 + noise[i]) * bf;
        p_eff[i] = power[i] * (bf + (1.0 - bf) * k.sleep_ratio);
    }
}

/// Relax factor of the chip temperature at step `dt`.
pub(crate) fn chip_relax(spec: &AsicSpec, dt: f64) -> f64 {
    relax_factor(dt, spec.thermal_tau_seconds)
}
