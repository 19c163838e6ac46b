//! The site's GPUs: how many do what, and the switches between uses.
//!
//! A GPU is serving an endpoint, running a job, held for a reservation, idle, asleep, switching
//! (loading the new use's model: `hcpcore::sim::switch_phases`, cold process) or faulted. Moving a
//! GPU to a new use stops the old work at once (a decrease) and starts the new one after the
//! site's shed time and the switch (an increase), so power never rises before it has been freed.

use std::collections::BTreeMap;

use super::power::Path;

/// What a GPU is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GpuUse {
    /// Serving endpoint `i` of the config.
    Endpoint(usize),
    /// Running job instance `id`.
    Job(u64),
    /// Held for reservation `i` of the config.
    Reserved(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Switching {
    to: GpuUse,
    count: u32,
    wait_s: f64,
    switch_s: f64,
}

/// GPUs by state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GpuCounts {
    /// Serving endpoints.
    pub serving: u32,
    /// Running batch or training jobs.
    pub jobs: u32,
    /// Held for reservations.
    pub reserved: u32,
    /// Switching to a new use.
    pub switching: u32,
    /// Powered, no work.
    pub idle: u32,
    /// Asleep.
    pub sleeping: u32,
    /// Faulted (drawing sleep power until repaired).
    pub faulted: u32,
}

/// One use's share of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct UseTick {
    /// GPU-seconds of work done (after switching).
    pub active_gpu_seconds: f64,
    /// Device energy of the use's GPUs once working (their switching is counted apart), J.
    pub energy_joules: f64,
    /// GPUs settled in the use at the end of the tick.
    pub gpus: u32,
}

/// The fleet's state.
#[derive(Debug, Clone)]
pub struct GpuFleet {
    /// GPUs in the site.
    pub count: u32,
    settled: BTreeMap<GpuUse, u32>,
    last_watts: BTreeMap<GpuUse, f64>,
    switching: Vec<Switching>,
    idle: u32,
    sleeping: u32,
    faulted: Vec<(u32, f64)>,
    /// GPUs woken from sleep at the start of this tick (they stay at sleep power for the shed time).
    woken: u32,
    /// Idle power, W.
    pub idle_watts: f64,
    /// Sleep power, W.
    pub sleep_watts: f64,
}

impl GpuFleet {
    /// `count` GPUs asleep.
    pub fn new(count: u32, idle_watts: f64, sleep_watts: f64) -> GpuFleet {
        GpuFleet {
            count,
            settled: BTreeMap::new(),
            last_watts: BTreeMap::new(),
            switching: Vec::new(),
            idle: 0,
            sleeping: count,
            faulted: Vec::new(),
            woken: 0,
            idle_watts,
            sleep_watts,
        }
    }

    /// GPUs in a use, settled plus switching to it.
    pub fn in_use(&self, u: GpuUse) -> u32 {
        self.settled.get(&u).copied().unwrap_or(0)
            + self.switching.iter().filter(|s| s.to == u).map(|s| s.count).sum::<u32>()
    }

    /// Every use with GPUs, settled or switching.
    pub fn uses(&self) -> Vec<GpuUse> {
        let mut v: Vec<GpuUse> = self.settled.keys().copied().chain(self.switching.iter().map(|s| s.to)).collect();
        v.sort();
        v.dedup();
        v
    }

    /// GPUs that can be given work (not faulted).
    pub fn working(&self) -> u32 {
        self.count - self.faulted_count()
    }

    fn faulted_count(&self) -> u32 {
        self.faulted.iter().map(|f| f.0).sum()
    }

    /// Counts by state.
    pub fn counts(&self) -> GpuCounts {
        let mut c = GpuCounts {
            idle: self.idle,
            sleeping: self.sleeping,
            faulted: self.faulted_count(),
            switching: self.switching.iter().map(|s| s.count).sum(),
            ..Default::default()
        };
        for (u, n) in &self.settled {
            match u {
                GpuUse::Endpoint(_) => c.serving += n,
                GpuUse::Job(_) => c.jobs += n,
                GpuUse::Reserved(_) => c.reserved += n,
            }
        }
        c
    }

    /// Power now, W (each use at its last tick's power).
    pub fn watts_now(&self) -> f64 {
        let c = self.counts();
        self.settled
            .iter()
            .map(|(u, n)| f64::from(*n) * self.last_watts.get(u).copied().unwrap_or(self.idle_watts))
            .sum::<f64>()
            + f64::from(c.idle + c.switching) * self.idle_watts
            + f64::from(c.sleeping + c.faulted) * self.sleep_watts
    }

    /// Takes `n` GPUs out of service for `repair_s` (idle, then asleep, then the uses listed
    /// last in `order`); returns the uses that lost GPUs.
    pub fn fault(&mut self, mut n: u32, repair_s: f64, order: &[GpuUse]) -> Vec<(GpuUse, u32)> {
        n = n.min(self.working());
        if n == 0 {
            return Vec::new();
        }
        self.faulted.push((n, repair_s));
        let take = |pool: &mut u32, n: &mut u32| {
            let k = (*pool).min(*n);
            *pool -= k;
            *n -= k;
        };
        take(&mut self.idle, &mut n);
        take(&mut self.sleeping, &mut n);
        let mut hit = Vec::new();
        for u in order.iter().rev() {
            if n == 0 {
                break;
            }
            while n > 0 {
                if let Some(i) = self.switching.iter().position(|s| s.to == *u) {
                    let k = self.switching[i].count.min(n);
                    self.switching[i].count -= k;
                    if self.switching[i].count == 0 {
                        self.switching.remove(i);
                    }
                    n -= k;
                    hit.push((*u, k));
                } else if let Some(s) = self.settled.get_mut(u).filter(|s| **s > 0) {
                    let k = (*s).min(n);
                    *s -= k;
                    n -= k;
                    hit.push((*u, k));
                } else {
                    break;
                }
            }
        }
        self.settled.retain(|_, n| *n > 0);
        hit
    }

    /// Moves GPUs to the `targets` at the start of a tick (uses absent from `targets` get none;
    /// GPUs left over go idle or, with `idle_sleep`, to sleep); new uses start switching after
    /// `shed_s`. Returns the number of GPUs that began a switch. Targets must fit the working
    /// GPUs (checked by the site).
    pub fn apply(
        &mut self,
        targets: &BTreeMap<GpuUse, u32>,
        idle_sleep: bool,
        shed_s: f64,
        dt: f64,
        switch_seconds: impl Fn(GpuUse) -> f64,
    ) -> u32 {
        // Release first.
        let mut freed = 0u32;
        for u in self.uses() {
            let want = targets.get(&u).copied().unwrap_or(0);
            let mut have = self.in_use(u);
            while have > want {
                let excess = have - want;
                if let Some(i) = self.switching.iter().rposition(|s| s.to == u) {
                    let k = self.switching[i].count.min(excess);
                    self.switching[i].count -= k;
                    if self.switching[i].count == 0 {
                        self.switching.remove(i);
                    }
                    have -= k;
                    freed += k;
                } else {
                    let s = self.settled.get_mut(&u).expect("have > 0 means settled > 0");
                    let k = (*s).min(excess);
                    *s -= k;
                    have -= k;
                    freed += k;
                }
            }
        }
        self.settled.retain(|_, n| *n > 0);
        // GPUs wake (an increase) only once the shed is done within the tick: when it runs past
        // the tick, sleeping GPUs stay asleep and the new work starts on the others.
        let wake_ok = shed_s < dt;
        let asleep_kept = if wake_ok { 0 } else { self.sleeping };
        let mut spare = self.idle + self.sleeping + freed - asleep_kept;
        let mut started = 0;
        for (u, want) in targets {
            let have = self.in_use(*u);
            if *want > have {
                let k = (*want - have).min(spare);
                spare -= k;
                started += k;
                self.switching.push(Switching { to: *u, count: k, wait_s: shed_s, switch_s: switch_seconds(*u) });
            }
        }
        let was_sleeping = self.sleeping;
        if idle_sleep {
            self.idle = 0;
            self.sleeping = spare + asleep_kept;
        } else {
            self.idle = spare;
            self.sleeping = asleep_kept;
        }
        self.woken = was_sleeping.saturating_sub(self.sleeping);
        started
    }

    /// Seconds of the tick the use's GPUs work: settled ones all of `dt`, switching ones after
    /// their wait and switch.
    pub fn effective_gpus(&self, u: GpuUse, dt: f64) -> f64 {
        let settled = f64::from(self.settled.get(&u).copied().unwrap_or(0));
        let joining: f64 = self
            .switching
            .iter()
            .filter(|s| s.to == u)
            .map(|s| f64::from(s.count) * (dt - s.wait_s - s.switch_s).max(0.0) / dt)
            .sum();
        settled + joining
    }

    /// Steps `dt` with each use drawing `watts(use)` per working GPU and `busy(use)` of its time
    /// doing billable work; returns the paths and what each use did. Settled GPUs whose power
    /// rises wait `shed_s`.
    pub fn finish(
        &mut self,
        dt: f64,
        shed_s: f64,
        watts: impl Fn(GpuUse) -> f64,
    ) -> (Vec<Path>, BTreeMap<GpuUse, UseTick>, f64) {
        let mut paths = Vec::new();
        let mut per_use: BTreeMap<GpuUse, UseTick> = BTreeMap::new();
        let mut held = BTreeMap::new();
        for (u, n) in &self.settled {
            let mut new_w = watts(*u);
            let old_w = self.last_watts.get(u).copied().unwrap_or(new_w);
            if new_w > old_w && shed_s >= dt {
                // The rise waits for a shed that outlasts the tick: hold the old power.
                new_w = old_w;
                held.insert(*u, old_w);
            }
            let p = Path {
                count: f64::from(*n),
                from_w: old_w,
                to_w: new_w,
                wait_s: if new_w > old_w { shed_s } else { 0.0 },
                ramp_s: 0.0,
            };
            let e = per_use.entry(*u).or_default();
            e.energy_joules += p.energy_joules(dt);
            e.active_gpu_seconds += f64::from(*n) * dt;
            paths.push(p);
        }
        let mut switching_joules = 0.0;
        let mut done = Vec::new();
        let mut keep = Vec::new();
        for mut s in self.switching.drain(..) {
            let start_work = s.wait_s + s.switch_s;
            let w = watts(s.to);
            let p =
                Path { count: f64::from(s.count), from_w: self.idle_watts, to_w: w, wait_s: start_work, ramp_s: 0.0 };
            let e = per_use.entry(s.to).or_default();
            let energy = p.energy_joules(dt);
            let idle_part = f64::from(s.count) * self.idle_watts * start_work.min(dt);
            switching_joules += idle_part;
            e.energy_joules += energy - idle_part;
            e.active_gpu_seconds += f64::from(s.count) * (dt - start_work).max(0.0);
            paths.push(p);
            if start_work <= dt {
                done.push(s);
            } else {
                let used_wait = s.wait_s.min(dt);
                s.wait_s -= used_wait;
                s.switch_s -= dt - used_wait;
                keep.push(s);
            }
        }
        self.switching = keep;
        for s in done {
            *self.settled.entry(s.to).or_insert(0) += s.count;
        }
        for u in per_use.keys() {
            self.last_watts.insert(*u, held.get(u).copied().unwrap_or_else(|| watts(*u)));
        }
        self.last_watts.retain(|u, _| self.settled.contains_key(u) || self.switching.iter().any(|s| s.to == *u));
        for (u, t) in per_use.iter_mut() {
            t.gpus = self.settled.get(u).copied().unwrap_or(0);
        }
        paths.push(Path::flat(f64::from(self.idle), self.idle_watts));
        // GPUs woken from sleep draw sleep power until the shed time (a correction on the paths
        // above, which start them at idle power).
        if self.woken > 0 {
            let p = Path {
                count: f64::from(self.woken),
                from_w: self.sleep_watts - self.idle_watts,
                to_w: 0.0,
                wait_s: shed_s.min(dt),
                ramp_s: 0.0,
            };
            switching_joules += p.energy_joules(dt);
            paths.push(p);
            self.woken = 0;
        }
        // Faulted GPUs stay powered at sleep power (a card off the bus after an XID error).
        paths.push(Path::flat(f64::from(self.sleeping + self.faulted_count()), self.sleep_watts));
        // Repairs: a repaired GPU comes back asleep, so its power does not change.
        let mut back = 0;
        for f in &mut self.faulted {
            f.1 -= dt;
            if f.1 <= 0.0 {
                back += f.0;
            }
        }
        self.faulted.retain(|f| f.1 > 0.0);
        self.sleeping += back;
        (paths, per_use, switching_joules)
    }
}
