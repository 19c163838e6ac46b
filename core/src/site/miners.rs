//! A group of identical miners with a power-target dial.
//!
//! Miners take a power target in watts within their model's range, reached at the firmware's
//! ramp rate (LuxOS/Braiins power targets); below the range they sleep, with the firmware's
//! sleep and wake times (`hcpcore::sim::TransitionProfile`). Hashrate at power `p` follows the
//! model's mode factors as a power law: `ths(p) = ths_nom·(p/p_nom)^α`, with α fitted to the low
//! mode below nominal and to the high mode above it (so efficiency improves as power drops).

use super::power::Path;
use crate::sim::{AsicSpec, TransitionProfile};
use crate::Result;

/// Static figures of a miner group.
#[derive(Debug, Clone)]
pub struct MinerModel {
    /// Catalog name.
    pub name: String,
    /// Nominal power, W.
    pub nominal_watts: f64,
    /// Nominal hashrate, TH/s.
    pub nominal_ths: f64,
    /// Lowest power target, W.
    pub min_watts: f64,
    /// Highest power target, W.
    pub max_watts: f64,
    /// Power asleep, W.
    pub sleep_watts: f64,
    /// Firmware ramp rate of power-target changes, W/s.
    pub ramp_watts_per_second: f64,
    /// Sleep and wake times.
    pub transitions: TransitionProfile,
    /// Ambient temperature above which the model derates, °C.
    pub derate_ambient_c: f64,
    alpha_low: f64,
    alpha_high: f64,
}

impl MinerModel {
    /// From a sim spec and the config's range.
    pub fn new(
        spec: &AsicSpec,
        transitions: TransitionProfile,
        min_ratio: Option<f64>,
        max_ratio: f64,
        ramp: Option<f64>,
    ) -> Result<MinerModel> {
        let low = spec.low_mode;
        let high = spec.high_mode;
        let alpha_low = low.hashrate.ln() / low.power.ln();
        let alpha_high = high.hashrate.ln() / high.power.ln();
        let min_ratio = min_ratio.unwrap_or(low.power);
        Ok(MinerModel {
            name: spec.name.clone(),
            nominal_watts: spec.power_watts,
            nominal_ths: spec.hashrate_ths,
            min_watts: spec.power_watts * min_ratio,
            max_watts: spec.power_watts * max_ratio,
            sleep_watts: spec.sleep_watts,
            ramp_watts_per_second: ramp.unwrap_or(spec.power_watts / transitions.wake_ramp_seconds.max(1.0)),
            transitions,
            derate_ambient_c: spec.derate_ambient_c,
            alpha_low,
            alpha_high,
        })
    }

    /// Hashrate at power target `watts`, TH/s.
    pub fn ths_at(&self, watts: f64) -> f64 {
        if watts <= self.sleep_watts {
            return 0.0;
        }
        let r = watts / self.nominal_watts;
        let a = if r <= 1.0 { self.alpha_low } else { self.alpha_high };
        self.nominal_ths * r.powf(a)
    }

    /// Marginal TH/s per W at `watts`.
    pub fn marginal_ths_per_watt(&self, watts: f64) -> f64 {
        let r = watts / self.nominal_watts;
        let a = if r <= 1.0 { self.alpha_low } else { self.alpha_high };
        self.nominal_ths * a * r.powf(a - 1.0) / self.nominal_watts
    }

    /// Seconds from a sleep command to sleep power.
    pub fn sleep_seconds(&self) -> f64 {
        self.transitions.sleep_delay_seconds + self.transitions.sleep_ramp_seconds
    }
}

/// Miners moving between states.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Moving {
    count: u32,
    /// Current power each, W.
    watts: f64,
    /// Power each at the end of the move, W.
    target_w: f64,
    wait_s: f64,
    /// W/s, > 0.
    rate: f64,
    /// TH/s per W above sleep power (linear hashrate during wake and sleep ramps).
    ths_per_watt: f64,
}

impl Moving {
    fn path(&self) -> Path {
        let ramp = (self.target_w - self.watts).abs() / self.rate;
        Path {
            count: f64::from(self.count),
            from_w: self.watts,
            to_w: self.target_w,
            wait_s: self.wait_s,
            ramp_s: ramp,
        }
    }

    /// Advances `dt`; returns whether the move is done.
    fn advance(&mut self, dt: f64) -> bool {
        let path = self.path();
        self.watts = Path { count: 1.0, ..path }.before(dt);
        self.wait_s = (self.wait_s - dt).max(0.0);
        dt >= path.wait_s + path.ramp_s
    }
}

/// What a miner group is told each tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinerCommand {
    /// Miners hashing (or waking to hash); the rest sleep.
    pub hashing: u32,
    /// Power target of each hashing miner, W.
    pub power_target_watts: f64,
}

/// Counts of a group by state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MinerCounts {
    /// Hashing (at or ramping to their target).
    pub hashing: u32,
    /// Waking.
    pub waking: u32,
    /// Going to sleep.
    pub dozing: u32,
    /// Asleep.
    pub sleeping: u32,
}

/// The tick's outcome of a group.
#[derive(Debug, Clone, Default)]
pub struct MinerTick {
    /// Power paths of the tick's cohorts.
    pub paths: Vec<Path>,
    /// Device energy, J.
    pub energy_joules: f64,
    /// TH/s × seconds hashed.
    pub th_seconds: f64,
    /// Miners that began waking or sleeping.
    pub switches: u32,
    /// Seconds the longest decrease of this tick takes.
    pub shed_seconds: f64,
}

/// A group's state.
#[derive(Debug, Clone)]
pub struct MinerGroup {
    /// The model.
    pub model: MinerModel,
    /// Number of miners.
    pub count: u32,
    hashing: u32,
    /// Power each of the hashing cohort, W.
    hash_watts: f64,
    target_w: f64,
    target_wait_s: f64,
    sleeping: u32,
    waking: Vec<Moving>,
    dozing: Vec<Moving>,
}

impl MinerGroup {
    /// `count` miners asleep (a run starts from a site whose load is known to fit its cap;
    /// the first tick wakes what the strategy wants).
    pub fn new(model: MinerModel, count: u32) -> MinerGroup {
        let w = model.nominal_watts.clamp(model.min_watts, model.max_watts);
        MinerGroup {
            model,
            count,
            hashing: 0,
            hash_watts: w,
            target_w: w,
            target_wait_s: 0.0,
            sleeping: count,
            waking: Vec::new(),
            dozing: Vec::new(),
        }
    }

    /// Counts by state.
    pub fn counts(&self) -> MinerCounts {
        MinerCounts {
            hashing: self.hashing,
            waking: self.waking.iter().map(|m| m.count).sum(),
            dozing: self.dozing.iter().map(|m| m.count).sum(),
            sleeping: self.sleeping,
        }
    }

    /// Current power target, W.
    pub fn power_target_watts(&self) -> f64 {
        self.target_w
    }

    /// Power each hashing miner draws now, W.
    pub fn hash_watts(&self) -> f64 {
        self.hash_watts
    }

    /// Power of the group now, W.
    pub fn watts_now(&self) -> f64 {
        f64::from(self.hashing) * self.hash_watts
            + f64::from(self.sleeping) * self.model.sleep_watts
            + self.waking.iter().chain(&self.dozing).map(|m| f64::from(m.count) * m.watts).sum::<f64>()
    }

    /// Power of the group once the command has settled, W.
    pub fn settled_watts(&self, cmd: &MinerCommand) -> f64 {
        f64::from(cmd.hashing) * cmd.power_target_watts + f64::from(self.count - cmd.hashing) * self.model.sleep_watts
    }

    /// Miners a command may ask to hash: all but those still going to sleep.
    pub fn available(&self) -> u32 {
        self.count - self.counts().dozing
    }

    /// Applies a command and steps `dt` seconds; increases wait `shed_s` (the site's shed time).
    /// The command must be valid (checked by the site).
    pub fn step(&mut self, cmd: &MinerCommand, shed_s: f64, dt: f64) -> MinerTick {
        let m = self.model.clone();
        let mut tick = MinerTick::default();
        let target = cmd.power_target_watts;
        let active = self.hashing + self.counts().waking;
        // Fewer miners: cancel wakes first (newest first), then put hashing miners to sleep.
        if cmd.hashing < active {
            let mut cut = active - cmd.hashing;
            while cut > 0 {
                let Some(last) = self.waking.last_mut() else { break };
                let n = cut.min(last.count);
                let mv = *last;
                last.count -= n;
                if last.count == 0 {
                    self.waking.pop();
                }
                cut -= n;
                if mv.watts <= m.sleep_watts + 1e-9 {
                    self.sleeping += n;
                } else {
                    self.dozing.push(Moving {
                        count: n,
                        target_w: m.sleep_watts,
                        wait_s: m.transitions.sleep_delay_seconds,
                        rate: (mv.watts - m.sleep_watts) / m.transitions.sleep_ramp_seconds.max(1e-6),
                        ..mv
                    });
                    tick.switches += n;
                }
            }
            if cut > 0 {
                self.hashing -= cut;
                let ths = m.ths_at(self.hash_watts);
                self.dozing.push(Moving {
                    count: cut,
                    watts: self.hash_watts,
                    target_w: m.sleep_watts,
                    wait_s: m.transitions.sleep_delay_seconds,
                    rate: (self.hash_watts - m.sleep_watts).max(1e-9) / m.transitions.sleep_ramp_seconds.max(1e-6),
                    ths_per_watt: ths / (self.hash_watts - m.sleep_watts).max(1e-9),
                });
                tick.switches += cut;
            }
        } else if cmd.hashing > active {
            let n = cmd.hashing - active;
            self.sleeping -= n;
            self.waking.push(Moving {
                count: n,
                watts: m.sleep_watts,
                target_w: target,
                wait_s: shed_s + m.transitions.wake_delay_seconds,
                rate: (target - m.sleep_watts).max(1e-9) / m.transitions.wake_ramp_seconds.max(1e-6),
                ths_per_watt: m.ths_at(target) / (target - m.sleep_watts).max(1e-9),
            });
            tick.switches += n;
        }
        // Power target of hashing and waking miners.
        if (target - self.target_w).abs() > 1e-9 {
            self.target_wait_s = if target > self.hash_watts { shed_s } else { 0.0 };
            self.target_w = target;
        }
        for w in &mut self.waking {
            if (w.target_w - target).abs() > 1e-9 {
                w.target_w = target;
                w.ths_per_watt = m.ths_at(target) / (target - m.sleep_watts).max(1e-9);
            }
        }
        // Decreases finish by this time (the site makes every increase wait for it).
        let ramp_down = if self.target_w < self.hash_watts {
            (self.hash_watts - self.target_w) / m.ramp_watts_per_second
        } else {
            0.0
        };
        tick.shed_seconds = self.dozing.iter().map(|d| d.path().wait_s + d.path().ramp_s).fold(ramp_down, f64::max);

        // Hashing cohort.
        let hp = Path {
            count: f64::from(self.hashing),
            from_w: self.hash_watts,
            to_w: self.target_w,
            wait_s: self.target_wait_s,
            ramp_s: (self.target_w - self.hash_watts).abs() / m.ramp_watts_per_second,
        };
        tick.th_seconds += hp.count * hp.each_integral(dt, |w| m.ths_at(w));
        tick.energy_joules += hp.energy_joules(dt);
        tick.paths.push(hp);
        self.hash_watts = Path { count: 1.0, ..hp }.before(dt);
        self.target_wait_s = (self.target_wait_s - dt).max(0.0);
        // Sleeping.
        let sp = Path::flat(f64::from(self.sleeping), m.sleep_watts);
        tick.energy_joules += sp.energy_joules(dt);
        tick.paths.push(sp);
        // Moving cohorts.
        let sleep_w = m.sleep_watts;
        let mut woke = Vec::new();
        for (is_wake, list) in [(true, &mut self.waking), (false, &mut self.dozing)] {
            let mut keep = Vec::with_capacity(list.len());
            for mut mv in list.drain(..) {
                let p = mv.path();
                tick.energy_joules += p.energy_joules(dt);
                let k = mv.ths_per_watt;
                tick.th_seconds += p.count * p.each_integral(dt, |w| k * (w - sleep_w).max(0.0));
                tick.paths.push(p);
                if mv.advance(dt) {
                    if is_wake {
                        woke.push(mv);
                    } else {
                        self.sleeping += mv.count;
                    }
                } else {
                    keep.push(mv);
                }
            }
            *list = keep;
        }
        for w in woke {
            let total = self.hashing + w.count;
            self.hash_watts =
                (self.hash_watts * f64::from(self.hashing) + w.watts * f64::from(w.count)) / f64::from(total);
            self.hashing = total;
        }
        tick
    }
}
