//! Devices, sites and placement (`docs/router.md` §1, §5–§7).
//!
//! Each (site, kind) keeps an ordered index of its in-service devices by (free MB, registration
//! order): the best fit for a need is the first entry at or above it, so fit is exact and a
//! placement among 100,000 devices is one tree descent. Power is tracked per site in integer
//! milliwatts. Preemption is planned on an [`Overlay`] — the room victims would free — with the
//! same placement code, so the router preempts only when the placement then succeeds.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::config::RouterConfig;
use super::engine::{Inner, Names, Router, NONE};
use crate::econ::{DeviceKind, DeviceModel, Market, MiningTerms};
use crate::{Error, ErrorKind, Result};

/// Most sites a router tracks.
pub(crate) const MAX_SITES: usize = 4096;

/// One device.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub id: Arc<str>,
    pub kind: DeviceKind,
    pub model: DeviceModel,
    pub site: u32,
    /// GPU memory in MB, or 1 for an ASIC.
    pub capacity: u64,
    pub free: u64,
    /// Taken out of service by the operator (running work finishes).
    pub drained: bool,
    /// A miner asleep to free power.
    pub curtailed: bool,
    pub removed: bool,
    pub workloads: u32,
    pub thermal: f64,
    pub profit_usd_per_hour: f64,
    /// Mining revenue lost per kW freed by sleeping, USD/day/kW (curtailment order).
    pub lost_revenue_per_kw: f64,
    pub base_mw: i64,
    pub curtail_mw: i64,
}

impl Device {
    /// May new work land on it?
    pub(crate) fn in_service(&self) -> bool {
        !self.drained && !self.curtailed && !self.removed
    }

    /// Extra milliwatts for work holding `units` of it (GPU: its dynamic range in proportion
    /// to the memory held; a miner draws the same mining or idle).
    pub(crate) fn work_mw(&self, units: u64) -> i64 {
        if self.kind != DeviceKind::Gpu {
            return 0;
        }
        let share = (units as f64 / self.capacity.max(1) as f64).min(1.0);
        ((self.model.power_watts - self.model.idle_watts).max(0.0) * share * 1000.0).round() as i64
    }
}

/// Index key of a device: free units (< 2^32: at most 4,000,000 GB in MB) then registration order.
#[inline]
fn key(free: u64, d: u32) -> u64 {
    free << 32 | d as u64
}

pub(crate) fn kind_slot(kind: DeviceKind) -> usize {
    match kind {
        DeviceKind::Gpu => 0,
        DeviceKind::Asic => 1,
    }
}

/// A site: power cap and load, and the best-fit index of its devices.
#[derive(Debug)]
pub(crate) struct Site {
    pub name: Arc<str>,
    /// Cap in milliwatts (`None`: uncapped).
    pub cap_mw: Option<i64>,
    pub load_mw: i64,
    /// In-service devices with room, keyed `free units << 32 | device index`, per kind: the
    /// tree plus the one *held* key outside it — the device changed last, so a run of claims
    /// or releases on one device costs no tree operation. The held key is part of the index:
    /// every reader merges it in.
    pub index: [BTreeSet<u64>; 2],
    pub held: [Option<u64>; 2],
    /// Its miners, in registration order.
    pub miners: Vec<u32>,
    /// Devices registered (not removed), per kind.
    pub count: [u32; 2],
}

/// All devices and sites.
#[derive(Debug, Default)]
pub(crate) struct Fleet {
    pub devices: Vec<Device>,
    pub device_index: Names<u32>,
    pub sites: Vec<Site>,
    pub site_index: Names<u32>,
    pub market: Option<Market>,
    /// Bumped by every change to what can be placed (devices, power, quotas, queue).
    pub epoch: u64,
    /// Per kind: the largest device (units) and the most devices at one site.
    pub largest: [u64; 2],
    pub most: [u32; 2],
}

/// What placement needs to know about one workload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    pub kind: DeviceKind,
    pub gpus: u32,
    pub units: u64,
    /// Preferred site, or `NONE`.
    pub site: u32,
    pub id: u64,
    /// The level it is dispatched at, when it may preempt.
    pub preempt_level: Option<u8>,
}

/// Room that preempting victims would free: units per device, milliwatts per site.
#[derive(Debug, Default, Clone)]
pub(crate) struct Overlay {
    pub units: Vec<(u32, u64)>,
    pub mw: Vec<(u32, i64)>,
}

impl Overlay {
    fn extra(&self, device: u32) -> u64 {
        self.units.iter().filter(|e| e.0 == device).map(|e| e.1).sum()
    }
    fn freed_mw(&self, site: u32) -> i64 {
        self.mw.iter().filter(|e| e.0 == site).map(|e| e.1).sum()
    }
    fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// Where a workload goes: its devices, and the miners to curtail for power.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    pub first: u32,
    pub extra: Vec<u32>,
    pub curtailed: Vec<u32>,
    pub site: u32,
    pub mw: i64,
}

impl Placement {
    fn of(devices: &[(u64, u32)], curtailed: Vec<u32>, site: u32, mw: i64) -> Placement {
        Placement { first: devices[0].1, extra: devices[1..].iter().map(|e| e.1).collect(), curtailed, site, mw }
    }

    pub(crate) fn devices(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.first).chain(self.extra.iter().copied())
    }
}

impl Fleet {
    pub(crate) fn touch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    pub(crate) fn intern_site(&mut self, name: &str) -> Result<u32> {
        if let Some(&i) = self.site_index.get(name) {
            return Ok(i);
        }
        if self.sites.len() >= MAX_SITES {
            return Err(Error::new(ErrorKind::CapacityExceeded, format!("site: more than {MAX_SITES} sites")));
        }
        let i = self.sites.len() as u32;
        self.sites.push(Site {
            name: Arc::from(name),
            cap_mw: None,
            load_mw: 0,
            index: [BTreeSet::new(), BTreeSet::new()],
            held: [None; 2],
            miners: Vec::new(),
            count: [0; 2],
        });
        self.site_index.insert(name.into(), i);
        Ok(i)
    }

    /// Puts a device into (or takes it out of) its site's best-fit index to match its state;
    /// `old_free` is its free room when it was last indexed.
    pub(crate) fn reindex(&mut self, d: u32, old_free: u64) {
        let dev = &self.devices[d as usize];
        let now = (dev.in_service() && dev.free > 0).then(|| key(dev.free, d));
        let k = kind_slot(dev.kind);
        let site = &mut self.sites[dev.site as usize];
        if site.held[k].is_some_and(|h| h as u32 == d) {
            site.held[k] = now;
            return;
        }
        site.index[k].remove(&key(old_free, d));
        if let Some(h) = site.held[k].take() {
            site.index[k].insert(h);
        }
        site.held[k] = now;
    }

    /// `CapacityExceeded` when no registered device of `kind` could ever hold the request
    /// (more units than the largest device, or more devices than the largest site has). With no
    /// device of the kind registered yet, work is accepted and waits.
    pub(crate) fn could_ever_hold(&self, kind: DeviceKind, gpus: u32, units: u64) -> Result<()> {
        let k = kind_slot(kind);
        if self.most[k] == 0 {
            return Ok(());
        }
        if units > self.largest[k] || gpus > self.most[k] {
            let what = if kind == DeviceKind::Gpu { "gpu_memory_gb" } else { "gpus" };
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!("{what}: no registered {} site can ever hold {gpus} × {units} MB", kind.name()),
            ));
        }
        Ok(())
    }

    /// Recomputes the largest device and the most devices per site of each kind.
    pub(crate) fn refresh_extent(&mut self) {
        for k in 0..2 {
            self.most[k] = self.sites.iter().map(|s| s.count[k]).max().unwrap_or(0);
        }
        self.largest = [0; 2];
        for d in self.devices.iter().filter(|d| !d.removed) {
            let k = kind_slot(d.kind);
            self.largest[k] = self.largest[k].max(d.capacity);
        }
    }

    /// Milliwatts of power the site's cap leaves for `delta_mw` more, curtailing idle miners
    /// (least revenue per kW first): the miners to curtail, or `None` if even all would not do.
    fn power_plan(&self, site: u32, delta_mw: i64, overlay: &Overlay) -> Option<Vec<u32>> {
        let s = &self.sites[site as usize];
        let Some(cap) = s.cap_mw else { return Some(Vec::new()) };
        if delta_mw <= 0 {
            // Work that adds no power (mining on an awake miner) needs no admission.
            return Some(Vec::new());
        }
        let load = s.load_mw - overlay.freed_mw(site);
        if load + delta_mw <= cap {
            return Some(Vec::new());
        }
        let deficit = load + delta_mw - cap;
        let mut ranked: Vec<(f64, u32)> = s
            .miners
            .iter()
            .filter(|&&m| {
                let d = &self.devices[m as usize];
                d.in_service() && d.free + overlay.extra(m) >= 1
            })
            .map(|&m| (self.devices[m as usize].lost_revenue_per_kw, m))
            .collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut freed = 0;
        let mut cut = Vec::new();
        for (_, m) in ranked {
            if freed >= deficit {
                break;
            }
            freed += self.devices[m as usize].curtail_mw;
            cut.push(m);
        }
        (freed >= deficit).then_some(cut)
    }

    /// Devices of `kind` at `site` with room for `units`, in best-fit order (free, index),
    /// counting the room an overlay frees.
    fn fitting<'a>(&'a self, site: u32, kind: DeviceKind, units: u64, overlay: &'a Overlay) -> Fitting<'a> {
        let s = &self.sites[site as usize];
        let mut extra: Vec<(u64, u32)> = Vec::new();
        for &(d, u) in overlay.units.iter().filter(|_| !overlay.is_empty()) {
            let dev = &self.devices[d as usize];
            if dev.site == site && dev.kind == kind && dev.in_service() && extra.iter().all(|e| e.1 != d) {
                let free = dev.free + overlay.extra(d);
                if free >= units && u > 0 {
                    extra.push((free, d));
                }
            }
        }
        let k = kind_slot(kind);
        // The held key is part of the index (unless the overlay lists its device itself).
        let held = s.held[k]
            .map(|h| (h >> 32, h as u32))
            .filter(|&(free, d)| free >= units && overlay.units.iter().all(|o| o.0 != d));
        if !extra.is_empty() {
            extra.sort_unstable();
        }
        // The tree's least key usually fits already: then it is the first candidate, found by
        // one leftmost walk, and the rest of the range is only opened if the caller asks for
        // more.
        let tree = &s.index[k];
        let (pending, rest) = match tree.first() {
            Some(&m) if m >= key(units, 0) && overlay.is_empty() => (Some((m >> 32, m as u32)), Rest::After(tree, m)),
            _ => (None, Rest::Open(tree.range(key(units, 0)..))),
        };
        Fitting { tree: rest, held, extra, next_extra: 0, overlay, pending }
    }

    /// Where `need` would go now (plus what `overlay` frees), or `None` if nowhere.
    pub(crate) fn place(&self, need: &Need, overlay: &Overlay, config: &RouterConfig) -> Option<Placement> {
        let sites = self.sites.len() as u32;
        if sites == 0 {
            return None;
        }
        let start = if need.site != NONE { need.site } else { (need.id % sites as u64) as u32 };
        let order = (0..sites).map(|k| (start + k) % sites);
        if need.gpus > 1 {
            return order.into_iter().find_map(|s| self.place_multi(s, need, overlay));
        }
        let per_site = config.candidates_per_site.min(config.max_candidates);
        // The first candidate lives inline; more (several sites or candidates per site) in a Vec.
        let mut first: Option<(u32, u64, Vec<u32>, i64)> = None;
        let mut more: Vec<(u32, u64, Vec<u32>, i64)> = Vec::new();
        let mut n = 0;
        'sites: for s in order {
            let mut here = 0;
            let mut refused_mw = i64::MAX;
            for (free, d) in self.fitting(s, need.kind, need.units, overlay) {
                let mw = self.devices[d as usize].work_mw(need.units);
                if mw >= refused_mw {
                    continue;
                }
                match self.power_plan(s, mw, overlay) {
                    Some(cut) => {
                        if first.is_none() {
                            first = Some((d, free, cut, mw));
                        } else {
                            more.push((d, free, cut, mw));
                        }
                        n += 1;
                        here += 1;
                        if n == config.max_candidates {
                            break 'sites;
                        }
                        if here == per_site {
                            break;
                        }
                    }
                    None => refused_mw = mw,
                }
            }
        }
        let (d, _, cut, mw) = if more.is_empty() {
            first?
        } else {
            more.insert(0, first?);
            let best = self.best_scored(&more, need, config)?;
            more.swap_remove(best)
        };
        let site = self.devices[d as usize].site;
        Some(Placement { first: d, extra: Vec::new(), curtailed: cut, site, mw })
    }

    /// Index of the highest-scoring candidate (ties: registration order).
    fn best_scored(&self, cands: &[(u32, u64, Vec<u32>, i64)], need: &Need, config: &RouterConfig) -> Option<usize> {
        let w = config.placement_weights;
        let max_profit = cands.iter().map(|c| self.devices[c.0 as usize].profit_usd_per_hour).fold(0.0, f64::max);
        let score = |&(d, free, _, _): &(u32, u64, Vec<u32>, i64)| {
            let dev = &self.devices[d as usize];
            let fit = 1.0 - (free - need.units.min(free)) as f64 / dev.capacity.max(1) as f64;
            let opportunity = if max_profit > 0.0 { dev.profit_usd_per_hour.max(0.0) / max_profit } else { 0.0 };
            let local = if need.site != NONE && need.site == dev.site { 1.0 } else { 0.0 };
            w.fit * fit - w.opportunity_cost * opportunity + w.locality * local + w.thermal * dev.thermal
        };
        (0..cands.len())
            .max_by(|&a, &b| score(&cands[a]).total_cmp(&score(&cands[b])).then(cands[b].0.cmp(&cands[a].0)))
    }

    /// `gpus` distinct devices at one site: the best-fit ones, or if the cap refuses their
    /// power, the ones drawing least (then best fit).
    fn place_multi(&self, s: u32, need: &Need, overlay: &Overlay) -> Option<Placement> {
        let g = need.gpus as usize;
        let fitting: Vec<(u64, u32)> = self.fitting(s, need.kind, need.units, overlay).collect();
        if fitting.len() < g {
            return None;
        }
        let mw_of = |set: &[(u64, u32)]| set.iter().map(|&(_, d)| self.devices[d as usize].work_mw(need.units)).sum();
        let first: i64 = mw_of(&fitting[..g]);
        if let Some(cut) = self.power_plan(s, first, overlay) {
            return Some(Placement::of(&fitting[..g], cut, s, first));
        }
        let mut by_power = fitting;
        by_power.sort_by_key(|&(free, d)| (self.devices[d as usize].work_mw(need.units), free, d));
        let least: i64 = mw_of(&by_power[..g]);
        let cut = self.power_plan(s, least, overlay)?;
        let mut devices: Vec<(u64, u32)> = by_power[..g].to_vec();
        devices.sort_unstable();
        Some(Placement::of(&devices, cut, s, least))
    }

    /// Claims a placement: room on its devices, its power, and the miners it curtails.
    pub(crate) fn take(&mut self, p: &Placement, units: u64) {
        for d in p.devices() {
            let old = self.devices[d as usize].free;
            let dev = &mut self.devices[d as usize];
            dev.free = old.saturating_sub(units);
            dev.workloads += 1;
            self.reindex(d, old);
        }
        for &m in &p.curtailed {
            self.curtail(m);
        }
        self.sites[p.site as usize].load_mw += p.mw;
        self.touch();
    }

    /// Puts a miner to sleep.
    pub(crate) fn curtail(&mut self, m: u32) {
        let old = self.devices[m as usize].free;
        let dev = &mut self.devices[m as usize];
        dev.curtailed = true;
        dev.free = 0;
        dev.profit_usd_per_hour = 0.0;
        let (site, mw) = (dev.site, dev.curtail_mw);
        self.reindex(m, old);
        self.sites[site as usize].load_mw -= mw;
        self.touch();
    }

    /// Gives `units` back to a device and the power its work drew.
    pub(crate) fn give_back(&mut self, d: u32, units: u64) {
        let old = self.devices[d as usize].free;
        let dev = &mut self.devices[d as usize];
        dev.free = (old + units).min(dev.capacity);
        dev.workloads = dev.workloads.saturating_sub(1);
        let (site, mw) = (dev.site, dev.work_mw(units));
        if !dev.removed {
            self.sites[site as usize].load_mw -= mw;
        }
        self.reindex(d, old);
        self.touch();
    }

    /// Profit of a miner's current use (USD/h) and its lost revenue per kW, from the market.
    pub(crate) fn refresh_profit(&mut self, d: u32) {
        let market = self.market;
        let dev = &mut self.devices[d as usize];
        if dev.kind != DeviceKind::Asic {
            return;
        }
        let day = market.and_then(|m| crate::econ::miner_daily(&dev.model, &m, MiningTerms::default()).ok());
        let freed_kw = (dev.model.power_watts - dev.model.sleep_watts).max(1.0) / 1000.0;
        dev.lost_revenue_per_kw = match &day {
            Some(day) => day.revenue_usd / freed_kw,
            None => dev.model.hashrate_ths / freed_kw,
        };
        if !dev.curtailed {
            dev.profit_usd_per_hour = day.map_or(0.0, |d| d.profit_usd / 24.0);
        }
    }
}

/// Best-fit iteration over a site's index (tree and held key) merged with the devices an
/// overlay frees room on.
struct Fitting<'a> {
    tree: Rest<'a>,
    held: Option<(u64, u32)>,
    extra: Vec<(u64, u32)>,
    next_extra: usize,
    overlay: &'a Overlay,
    pending: Option<(u64, u32)>,
}

/// The part of a site's tree not yet read: a range, or everything after a key already taken.
enum Rest<'a> {
    Open(std::collections::btree_set::Range<'a, u64>),
    After(&'a BTreeSet<u64>, u64),
}

impl Rest<'_> {
    fn next(&mut self) -> Option<u64> {
        if let Rest::After(tree, k) = *self {
            *self = Rest::Open(tree.range((std::ops::Bound::Excluded(k), std::ops::Bound::Unbounded)));
        }
        match self {
            Rest::Open(r) => r.next().copied(),
            Rest::After(..) => None,
        }
    }
}

impl Iterator for Fitting<'_> {
    type Item = (u64, u32);
    fn next(&mut self) -> Option<(u64, u32)> {
        if self.overlay.is_empty() {
            // No overlay: the tree merged with the held key.
            let t = self.pending.take().or_else(|| self.tree.next().map(|k| (k >> 32, k as u32)));
            return match (t, self.held) {
                (Some(t), Some(h)) if h < t => {
                    self.pending = Some(t);
                    self.held = None;
                    Some(h)
                }
                (Some(t), _) => Some(t),
                (None, h) => {
                    self.held = None;
                    h
                }
            };
        }
        if self.pending.is_none() {
            // Devices the overlay touches are listed (with their new room) in `extra`.
            self.pending = loop {
                match self.tree.next() {
                    Some(k) => {
                        let e = (k >> 32, k as u32);
                        if self.overlay.is_empty() || self.overlay.units.iter().all(|o| o.0 != e.1) {
                            break Some(e);
                        }
                    }
                    None => break None,
                }
            };
        }
        let x = self.extra.get(self.next_extra).copied();
        // The least of the three heads.
        let best = [self.pending, self.held, x].into_iter().flatten().min()?;
        if Some(best) == self.pending {
            self.pending = None;
        } else if Some(best) == self.held {
            self.held = None;
        } else {
            self.next_extra += 1;
        }
        Some(best)
    }
}

impl Router {
    /// Victims whose room would let `need` be placed (`docs/router.md` §7): added lowest
    /// priority first, then newest, until placement succeeds; then every victim not needed is
    /// dropped, highest priority first. `None` when no set of victims would do.
    pub(crate) fn find_victims(&self, inner: &Inner, need: &Need) -> Option<Vec<u64>> {
        let level = need.preempt_level?;
        let mut chosen: Vec<u64> = Vec::new();
        let mut overlay = Overlay::default();
        let mut feasible = false;
        let order = (level as usize + 1..super::queue::LEVELS)
            .rev()
            .flat_map(|l| inner.active.newest_first(&inner.workloads, inner.first_id, l));
        for vid in order {
            let Some(i) = inner.index(vid) else { continue };
            let v = &inner.workloads[i];
            let Some(ty) = self.type_config(v.type_index) else { continue };
            if !ty.preemptible || ty.device_kind != need.kind {
                continue;
            }
            self.add_victim(inner, &mut overlay, i);
            chosen.push(vid);
            if inner.fleet.place(need, &overlay, &self.config).is_some() {
                feasible = true;
                break;
            }
        }
        if !feasible {
            return None;
        }
        let mut k = chosen.len();
        while k > 0 {
            k -= 1;
            let mut without = Overlay::default();
            for (j, &vid) in chosen.iter().enumerate() {
                if j != k {
                    self.add_victim(inner, &mut without, inner.index(vid)?);
                }
            }
            if inner.fleet.place(need, &without, &self.config).is_some() {
                chosen.remove(k);
            }
        }
        Some(chosen)
    }

    fn add_victim(&self, inner: &Inner, overlay: &mut Overlay, i: usize) {
        let v = &inner.workloads[i];
        for d in v.devices() {
            let dev = &inner.fleet.devices[d as usize];
            overlay.units.push((d, v.units));
            if !dev.removed {
                overlay.mw.push((dev.site, dev.work_mw(v.units)));
            }
        }
    }
}
