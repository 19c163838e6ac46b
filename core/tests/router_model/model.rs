//! The reference model: the router's contract (docs/router.md) as plain single-threaded code.
//!
//! Written from the spec only. Every rule is implemented in the most direct way (recompute
//! everything from scratch, scan every device and every workload), so that it can be checked by
//! reading. Section numbers (§n) refer to docs/router.md.

use std::collections::BTreeMap;

use hcpcore::econ::models::Catalog;
use hcpcore::econ::{miner_daily, DeviceModel, Market, MiningTerms};
use hcpcore::ErrorKind;

use super::api::*;

const LEVELS: usize = 10;
/// §3: `pass += 2^40 / weight`.
const STRIDE_ONE: u64 = 1 << 40;

#[derive(Clone, Debug)]
struct Site {
    name: String,
    cap_mw: Option<u64>,
}

#[derive(Clone, Debug)]
struct Dev {
    id: String,
    kind: Kind,
    model: DeviceModel,
    site: usize,
    /// Capacity in units: MB for a GPU, 1 for an ASIC.
    cap: u64,
    /// (workload id, units) held on this device.
    alloc: Vec<(u64, u64)>,
    /// Set by `set_device_available`; a drained device takes no new work.
    available: bool,
    /// Put to sleep for power (§6); takes no new work; only `resume_miners` wakes it.
    curtailed: bool,
    thermal: f64,
    profit_override: Option<f64>,
    /// Registration sequence number (ties in every ordering).
    reg: u64,
}

impl Dev {
    fn takes_work(&self) -> bool {
        self.available && !self.curtailed
    }

    fn status(&self) -> &'static str {
        if self.curtailed {
            "curtailed"
        } else if self.available {
            "available"
        } else {
            "drained"
        }
    }
}

#[derive(Clone, Debug)]
struct Work {
    id: u64,
    customer: String,
    ty: String,
    /// None for a submission rejected before its type/fields were known to be valid.
    spec: Option<WorkSpec>,
    state: St,
    devices: Vec<String>,
    dispatch_prio: u8,
    preemptions: u32,
    reason: Option<String>,
    /// Level last reported through `age()` (or at entering the queue).
    age_level: u8,
}

#[derive(Clone, Debug)]
struct WorkSpec {
    kind: Kind,
    prio: u8,
    /// Devices taken: `gpus` for GPU work, 1 for mining work.
    ndev: u32,
    /// Units needed on each device (MB, or 1 for an ASIC).
    need: u64,
    site: Option<usize>,
    latency_ns: Option<u64>,
    deadline_ns: Option<u64>,
    submit_ns: u64,
    preemptible: bool,
    can_preempt: bool,
    on_miss: Miss,
}

#[derive(Clone, Debug)]
struct Cust {
    name: String,
    cfg: CustCfg,
    pass: [u64; LEVELS],
}

/// Where a workload would go: the devices (indices into `devices`, in assignment order) and
/// the miners to curtail (in curtailment order).
#[derive(Clone, Debug)]
struct Placement {
    devices: Vec<usize>,
    curtail: Vec<usize>,
}

/// Per-device occupancy with some workloads' room taken away (preemption what-ifs).
struct View {
    used: Vec<u64>,
    work_mw: Vec<u64>,
}

/// Points the first draft of docs/router.md left open or stated otherwise, and the rule the
/// spec states now (each was settled by clarifying the spec; the router was fixed where it was
/// wrong). The model implements the spec's rule on each:
///
/// * `accept_without_devices` (§2): while no device of its kind is registered, work is accepted.
/// * `round_robin` (§3): customers share a level by weighted round robin — the customer whose
///   turn it is keeps it for `weight` services while it has placeable work, then the next
///   customer with placeable work in seen order, cyclically after it, takes the turn.
/// * `fail_assigned`, `cancel_assigned` (§13): `fail` and `cancel` take assigned work.
/// * `market_clears_override` (§5): `set_device_profit_usd_per_hour` lasts until the next
///   `set_market`.
///
/// Two first-draft disagreements were router defects, now fixed, where the model keeps the
/// spec's rule: mining work needs no power admission (`mining_admission` is off), and a batch
/// fails requeued work past its bound between decisions (`batch_skips_sweep` is off).
#[derive(Clone, Debug, Default)]
pub struct Follow;

impl Follow {
    pub fn on(&self, name: &str) -> bool {
        match name {
            "accept_without_devices"
            | "round_robin"
            | "fail_assigned"
            | "cancel_assigned"
            | "market_clears_override" => true,
            "mining_admission" | "batch_skips_sweep" => false,
            other => panic!("unknown rule {other}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Model {
    pub follow: Follow,
    cfg: Config,
    catalog: Catalog,
    now_ns: u64,
    next_id: u64,
    sites: Vec<Site>,
    devices: Vec<Dev>,
    next_reg: u64,
    work: BTreeMap<u64, Work>,
    /// In the order the router first saw them (stride ties).
    customers: Vec<Cust>,
    level_clock: [u64; LEVELS],
    /// Per level: the customer whose turn it is and the services left in its turn.
    rr_last: [Option<(usize, u32)>; LEVELS],
    market: Option<Market>,
    preemptions_total: u64,
    /// Only for following `batch_skips_sweep`: inside `dispatch_batch`.
    in_batch: bool,
}

fn ceil_mb(gb: f64) -> u64 {
    ((gb * 1024.0).ceil() as u64).max(1)
}

fn round_mb(gb: f64) -> u64 {
    (gb * 1024.0).round() as u64
}

fn mw(watts: f64) -> u64 {
    (watts * 1000.0).round() as u64
}

impl Model {
    /// The model of the spec.
    pub fn new(cfg: Config) -> Model {
        Model::strict(cfg)
    }

    /// The model of the spec, whatever the environment says.
    pub fn strict(cfg: Config) -> Model {
        Model {
            follow: Follow,
            cfg,
            catalog: Catalog::builtin(),
            now_ns: 0,
            next_id: 1,
            sites: Vec::new(),
            devices: Vec::new(),
            next_reg: 0,
            work: BTreeMap::new(),
            customers: Vec::new(),
            level_clock: [0; LEVELS],
            rr_last: [None; LEVELS],
            market: None,
            preemptions_total: 0,
            in_batch: false,
        }
    }

    /// Ids handed out so far are `1..next_id`.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// Would registering a device of `model` at `site` put the site over its cap?
    pub fn add_exceeds_cap(&self, site: &str, model: &str) -> bool {
        let Some(si) = self.site_index(site) else { return false };
        let Some(cap) = self.sites[si].cap_mw else { return false };
        let m = self.catalog.get(model).expect("known model");
        let base = if m.kind == hcpcore::econ::DeviceKind::Gpu { mw(m.idle_watts) } else { mw(m.power_watts) };
        self.site_load_mw(&self.view(&[]), si) + base > cap
    }

    pub fn site_known(&self, name: &str) -> bool {
        self.sites.iter().any(|s| s.name == name)
    }

    fn type_cfg(&self, name: &str) -> Option<&TypeCfg> {
        self.cfg.types.iter().find(|t| t.name == name)
    }

    fn site_index(&self, name: &str) -> Option<usize> {
        self.sites.iter().position(|s| s.name == name)
    }

    fn dev_index(&self, id: &str) -> Option<usize> {
        self.devices.iter().position(|d| d.id == id)
    }

    fn cust_index(&self, name: &str) -> Option<usize> {
        self.customers.iter().position(|c| c.name == name)
    }

    /// The configuration of a customer not seen yet: its entry in the config, else the default.
    fn configured(&self, name: &str) -> CustCfg {
        match self.cfg.customers.iter().find(|(n, _)| n == name) {
            Some((_, c)) => c.clone(),
            None => self.cfg.default_customer.clone(),
        }
    }

    fn see_customer(&mut self, name: &str) -> usize {
        match self.cust_index(name) {
            Some(i) => i,
            None => {
                self.customers.push(Cust { name: name.to_string(), cfg: self.configured(name), pass: [0; LEVELS] });
                self.customers.len() - 1
            }
        }
    }

    fn spec(&self, id: u64) -> &WorkSpec {
        self.work[&id].spec.as_ref().expect("accepted work has a spec")
    }

    // ----- time and aging (§4) -----

    fn aging_ns(&self) -> u64 {
        (self.cfg.aging_seconds * 1e9).round() as u64
    }

    /// `max(1, priority − floor((now − t) / A))`, exactly, on the nanosecond clock.
    fn eff_prio(&self, s: &WorkSpec) -> u8 {
        let a = self.aging_ns();
        if a == 0 {
            return s.prio;
        }
        let steps = (self.now_ns - s.submit_ns) / a;
        (s.prio as i64 - steps as i64).max(1) as u8
    }

    // ----- power (§6) -----

    fn gpu_work_mw(d: &Dev, units: u64) -> u64 {
        let m = &d.model;
        ((m.power_watts - m.idle_watts).max(0.0) * (units as f64 / d.cap as f64).min(1.0) * 1000.0).round() as u64
    }

    fn curtail_frees_mw(d: &Dev) -> u64 {
        mw((d.model.power_watts - d.model.sleep_watts).max(0.0))
    }

    fn base_mw(d: &Dev) -> u64 {
        match d.kind {
            Kind::Gpu => mw(d.model.idle_watts),
            Kind::Asic => {
                let full = mw(d.model.power_watts);
                if d.curtailed {
                    full - Self::curtail_frees_mw(d)
                } else {
                    full
                }
            }
        }
    }

    fn view(&self, excluded: &[u64]) -> View {
        let mut used = vec![0; self.devices.len()];
        let mut work_mw = vec![0; self.devices.len()];
        for (i, d) in self.devices.iter().enumerate() {
            for &(w, units) in &d.alloc {
                if excluded.contains(&w) {
                    continue;
                }
                used[i] += units;
                if d.kind == Kind::Gpu {
                    work_mw[i] += Self::gpu_work_mw(d, units);
                }
            }
        }
        View { used, work_mw }
    }

    fn site_load_mw(&self, v: &View, site: usize) -> u64 {
        let mut load = 0;
        for (i, d) in self.devices.iter().enumerate() {
            if d.site == site {
                load += Self::base_mw(d) + v.work_mw[i];
            }
        }
        load
    }

    /// Mining revenue per kW freed by curtailing this model (curtail ascending, resume descending).
    fn revenue_per_kw(&self, m: &DeviceModel) -> f64 {
        let freed_kw = (m.power_watts - m.sleep_watts).max(1.0) / 1000.0;
        match &self.market {
            Some(mk) => miner_daily(m, mk, MiningTerms::default()).expect("valid miner").revenue_usd / freed_kw,
            None => m.hashrate_ths / freed_kw,
        }
    }

    /// §6: can `site` admit `extra_mw` more? `Some(miners to curtail)` (possibly none) or `None`.
    fn admit(&self, v: &View, site: usize, extra_mw: u64) -> Option<Vec<usize>> {
        let Some(cap) = self.sites[site].cap_mw else { return Some(Vec::new()) };
        let mut load = self.site_load_mw(v, site);
        if load + extra_mw <= cap {
            return Some(Vec::new());
        }
        let mut idle: Vec<usize> = (0..self.devices.len())
            .filter(|&i| {
                let d = &self.devices[i];
                d.site == site && d.kind == Kind::Asic && d.takes_work() && v.used[i] == 0
            })
            .collect();
        // Least revenue per kW first; the sort is stable, so ties keep registration order.
        idle.sort_by(|&a, &b| {
            self.revenue_per_kw(&self.devices[a].model)
                .partial_cmp(&self.revenue_per_kw(&self.devices[b].model))
                .unwrap()
        });
        let mut curtail = Vec::new();
        for i in idle {
            load -= Self::curtail_frees_mw(&self.devices[i]);
            curtail.push(i);
            if load + extra_mw <= cap {
                return Some(curtail);
            }
        }
        None
    }

    // ----- placement (§5) -----

    fn free(&self, v: &View, i: usize) -> u64 {
        self.devices[i].cap - v.used[i]
    }

    fn profit(&self, d: &Dev) -> f64 {
        if let Some(p) = d.profit_override {
            return p;
        }
        match (d.kind, &self.market) {
            (Kind::Asic, Some(mk)) => {
                miner_daily(&d.model, mk, MiningTerms::default()).expect("valid miner").profit_usd / 24.0
            }
            _ => 0.0,
        }
    }

    /// Devices at `site` that can take `s` now, best-fit order (least free first, then registration).
    fn fitting(&self, v: &View, s: &WorkSpec, site: usize) -> Vec<usize> {
        let mut fit: Vec<usize> = (0..self.devices.len())
            .filter(|&i| {
                let d = &self.devices[i];
                d.site == site && d.kind == s.kind && d.takes_work() && self.free(v, i) >= s.need
            })
            .collect();
        fit.sort_by_key(|&i| self.free(v, i)); // stable: ties stay in registration order
        fit
    }

    fn work_mw(&self, s: &WorkSpec, devs: &[usize]) -> u64 {
        match s.kind {
            Kind::Gpu => devs.iter().map(|&i| Self::gpu_work_mw(&self.devices[i], s.need)).sum(),
            Kind::Asic => 0,
        }
    }

    /// Admission of work of `s` on `devs` at `site`: mining work adds no power (the miner is
    /// already awake), so it needs no admission.
    fn admit_work(&self, v: &View, s: &WorkSpec, site: usize, devs: &[usize]) -> Option<Vec<usize>> {
        match s.kind {
            Kind::Gpu => self.admit(v, site, self.work_mw(s, devs)),
            Kind::Asic if self.follow.on("mining_admission") => self.admit(v, site, 0),
            Kind::Asic => Some(Vec::new()),
        }
    }

    fn place(&self, id: u64, s: &WorkSpec, v: &View) -> Option<Placement> {
        let n = self.sites.len();
        if n == 0 {
            return None;
        }
        let start = s.site.unwrap_or((id % n as u64) as usize);
        let order: Vec<usize> = (0..n).map(|k| (start + k) % n).collect();
        if s.ndev > 1 {
            // §5: the g best-fit devices. §2 also calls the work placeable whenever some g
            // devices with room fit under the cap, and admission depends only on their total
            // power; so when the best-fit ones are not admitted, the g that add the least power
            // (ties: best-fit order) are, if any set is. Listed in best-fit order.
            let g = s.ndev as usize;
            for &site in &order {
                let fit = self.fitting(v, s, site);
                if fit.len() < g {
                    continue;
                }
                let best_fit = fit[..g].to_vec();
                if let Some(curtail) = self.admit_work(v, s, site, &best_fit) {
                    return Some(Placement { devices: best_fit, curtail });
                }
                let mut by_power = fit.clone();
                by_power.sort_by_key(|&i| self.work_mw(s, &[i])); // stable: best-fit order on ties
                let mut least: Vec<usize> = by_power[..g].to_vec();
                least.sort_by_key(|i| fit.iter().position(|j| j == i));
                if let Some(curtail) = self.admit_work(v, s, site, &least) {
                    return Some(Placement { devices: least, curtail });
                }
            }
            return None;
        }
        let w = &self.cfg.weights;
        let mut cands: Vec<(usize, Vec<usize>)> = Vec::new();
        'sites: for &site in &order {
            let mut taken = 0;
            for i in self.fitting(v, s, site) {
                if cands.len() >= self.cfg.max_candidates {
                    break 'sites;
                }
                if taken >= self.cfg.candidates_per_site {
                    break;
                }
                if let Some(curtail) = self.admit_work(v, s, site, &[i]) {
                    cands.push((i, curtail));
                    taken += 1;
                }
            }
            if cands.len() >= self.cfg.max_candidates {
                break;
            }
        }
        let max_profit = cands.iter().map(|(i, _)| self.profit(&self.devices[*i])).fold(0.0f64, f64::max);
        let mut best: Option<(f64, u64, usize)> = None; // (score, reg, cand index)
        for (k, (i, _)) in cands.iter().enumerate() {
            let d = &self.devices[*i];
            let fit = 1.0 - (self.free(v, *i) - s.need) as f64 / d.cap as f64;
            let opp = if max_profit > 0.0 { self.profit(d).max(0.0) / max_profit } else { 0.0 };
            let local = if s.site == Some(d.site) { 1.0 } else { 0.0 };
            let score = w.fit * fit - w.opportunity_cost * opp + w.locality * local + w.thermal * d.thermal;
            let better = match best {
                None => true,
                Some((bs, breg, _)) => score > bs || (score == bs && d.reg < breg),
            };
            if better {
                best = Some((score, d.reg, k));
            }
        }
        best.map(|(_, _, k)| {
            let (i, curtail) = cands[k].clone();
            Placement { devices: vec![i], curtail }
        })
    }

    fn held(&self, customer: &str) -> u64 {
        self.work
            .values()
            .filter(|w| w.customer == customer && matches!(w.state, St::Assigned | St::Running))
            .map(|w| w.devices.len() as u64)
            .sum()
    }

    /// §2: placeable now? The placement and the victims (§7) it needs.
    fn placeable(&self, id: u64) -> Option<(Placement, Vec<u64>)> {
        let w = &self.work[&id];
        let s = self.spec(id);
        let cust = &self.customers[self.cust_index(&w.customer).expect("seen")];
        if let Some(max) = cust.cfg.max_gpus {
            if self.held(&w.customer) + s.ndev as u64 > max as u64 {
                return None;
            }
        }
        if let Some(p) = self.place(id, s, &self.view(&[])) {
            return Some((p, Vec::new()));
        }
        if !(self.cfg.preemption && s.can_preempt) {
            return None;
        }
        let eff = self.eff_prio(s);
        let mut cands: Vec<(u8, u64)> = self
            .work
            .values()
            .filter(|v| matches!(v.state, St::Assigned | St::Running))
            .filter(|v| {
                let vs = self.spec(v.id);
                vs.preemptible && vs.kind == s.kind && v.dispatch_prio > eff
            })
            .map(|v| (v.dispatch_prio, v.id))
            .collect();
        // Lowest priority (largest number) first, then newest.
        cands.sort_by(|a, b| b.cmp(a));
        let mut chosen: Vec<u64> = Vec::new();
        let mut ok = false;
        for (_, v) in cands {
            chosen.push(v);
            if self.place(id, s, &self.view(&chosen)).is_some() {
                ok = true;
                break;
            }
        }
        if !ok {
            return None;
        }
        // Drop victims whose room is not needed, highest priority first (reverse of adding).
        for k in (0..chosen.len()).rev() {
            let mut without = chosen.clone();
            without.remove(k);
            if self.place(id, s, &self.view(&without)).is_some() {
                chosen = without;
            }
        }
        let p = self.place(id, s, &self.view(&chosen)).expect("placement with the victims");
        Some((p, chosen))
    }

    // ----- the queue -----

    fn release(&mut self, id: u64) {
        for d in &mut self.devices {
            d.alloc.retain(|&(w, _)| w != id);
        }
        self.work.get_mut(&id).unwrap().devices.clear();
    }

    /// Back to the queue at its submitted priority and position, keeping its submit time.
    fn requeue(&mut self, id: u64) {
        self.release(id);
        // It re-enters at its submitted priority; aging moves it from there (seen by `age()`).
        let lvl = self.spec(id).prio;
        let w = self.work.get_mut(&id).unwrap();
        w.state = St::Queued;
        w.preemptions += 1;
        w.age_level = lvl;
        self.preemptions_total += 1;
        self.sweep_misses(); // it may come back already past a bound
    }

    /// §8: queued `drop`/`reject` work past its latency bound or deadline is failed. Run whenever
    /// time passes or work re-enters the queue, so no call (and no step of a batch) ever
    /// observes such work queued.
    fn sweep_misses(&mut self) {
        if self.in_batch {
            return;
        }
        let now = self.now_ns;
        let mut failed: Vec<(u64, &'static str)> = Vec::new();
        for w in self.work.values() {
            if w.state != St::Queued {
                continue;
            }
            let s = w.spec.as_ref().unwrap();
            if s.on_miss == Miss::RunLate {
                continue;
            }
            let elapsed = now - s.submit_ns;
            let lat = s.latency_ns.filter(|&b| elapsed > b);
            let dl = s.deadline_ns.filter(|&b| elapsed > b);
            let reason = match (lat, dl) {
                (Some(a), Some(b)) => {
                    if b < a {
                        "deadline passed"
                    } else {
                        "latency bound passed"
                    }
                }
                (Some(_), None) => "latency bound passed",
                (None, Some(_)) => "deadline passed",
                (None, None) => continue,
            };
            failed.push((w.id, reason));
        }
        for (id, reason) in failed {
            let w = self.work.get_mut(&id).unwrap();
            w.state = St::Failed;
            w.reason = Some(reason.to_string());
        }
    }

    fn dispatch_one(&mut self) -> Option<Asg> {
        self.sweep_misses();
        let queued: Vec<(u8, u64)> = self
            .work
            .values()
            .filter(|w| w.state == St::Queued)
            .map(|w| (self.eff_prio(w.spec.as_ref().unwrap()), w.id))
            .collect();
        for level in 1..=LEVELS as u8 {
            // For each customer, its earliest placeable workload at this level.
            let mut per_cust: BTreeMap<usize, (u64, Placement, Vec<u64>)> = BTreeMap::new();
            for &(l, id) in &queued {
                if l != level {
                    continue;
                }
                let c = self.cust_index(&self.work[&id].customer).unwrap();
                if per_cust.contains_key(&c) {
                    continue;
                }
                if let Some((p, victims)) = self.placeable(id) {
                    per_cust.insert(c, (id, p, victims));
                }
            }
            if per_cust.is_empty() {
                continue;
            }
            // Stride scheduling (§3); BTreeMap iterates in seen order, so `<` keeps the first on ties.
            let li = level as usize - 1;
            let clock = self.level_clock[li];
            let mut chosen: Option<(u64, usize)> = None;
            for &c in per_cust.keys() {
                let eff_pass = self.customers[c].pass[li].max(clock);
                let better = match chosen {
                    None => true,
                    Some((best, _)) => eff_pass < best,
                };
                if better {
                    chosen = Some((eff_pass, c));
                }
            }
            let (eff_pass, mut c) = chosen.unwrap();
            let weight = self.customers[c].cfg.weight as u64;
            self.level_clock[li] = eff_pass;
            self.customers[c].pass[li] = eff_pass + STRIDE_ONE / weight;
            if self.follow.on("round_robin") {
                // (customer whose turn it is, services left in its turn; the count is fixed
                // when the turn starts)
                c = match self.rr_last[li] {
                    Some((last, left)) if per_cust.contains_key(&last) && left > 0 => {
                        self.rr_last[li] = Some((last, left - 1));
                        last
                    }
                    last => {
                        let after = last.map_or(0, |(l, _)| l + 1);
                        let n = self.customers.len();
                        let next = (0..n).map(|k| (after + k) % n).find(|i| per_cust.contains_key(i)).unwrap();
                        self.rr_last[li] = Some((next, self.customers[next].cfg.weight - 1));
                        next
                    }
                };
            }
            let (id, p, victims) = per_cust.remove(&c).unwrap();
            return Some(self.apply(id, level, p, victims));
        }
        None
    }

    fn apply(&mut self, id: u64, level: u8, p: Placement, victims: Vec<u64>) -> Asg {
        for &v in &victims {
            self.requeue(v);
        }
        for &i in &p.curtail {
            self.devices[i].curtailed = true;
        }
        let need = self.spec(id).need;
        let submit_ns = self.spec(id).submit_ns;
        let ids: Vec<String> = p.devices.iter().map(|&i| self.devices[i].id.clone()).collect();
        for &i in &p.devices {
            self.devices[i].alloc.push((id, need));
        }
        let w = self.work.get_mut(&id).unwrap();
        w.state = St::Assigned;
        w.devices = ids.clone();
        w.dispatch_prio = level;
        Asg {
            workload_id: id,
            device_ids: ids,
            priority: level,
            wait_seconds: (self.now_ns - submit_ns) as f64 * 1e-9,
            curtailed: p.curtail.iter().map(|&i| self.devices[i].id.clone()).collect(),
            preempted: victims,
        }
    }

    // ----- submission (§9, §10, §12) -----

    fn validate(&self, r: &Req) -> R<WorkSpec> {
        let bad = Err(ErrorKind::InvalidInput);
        let Some(t) = self.type_cfg(&r.workload_type) else { return bad };
        let prio = match r.priority {
            None => t.priority,
            Some(p) if (1..=10).contains(&p) => p as u8,
            Some(_) => return bad,
        };
        let gpus = match r.gpus {
            None => t.gpus,
            Some(g) if (1..=1024).contains(&g) => g as u32,
            Some(_) => return bad,
        };
        let gb = match r.gpu_memory_gb {
            None => t.gpu_memory_gb,
            Some(gb) if gb.is_finite() && (0.0..=4_000_000.0).contains(&gb) => gb,
            Some(_) => return bad,
        };
        let in_bound = |x: f64| x.is_finite() && x > 0.0 && x <= 1e12;
        let latency_ms = match r.latency_bound_ms {
            None => t.latency_bound_ms,
            Some(x) if in_bound(x) => Some(x),
            Some(_) => return bad,
        };
        let deadline_s = match r.deadline_seconds {
            None => t.deadline_seconds,
            Some(x) if in_bound(x) => Some(x),
            Some(_) => return bad,
        };
        let site = match &r.site {
            None => None,
            Some(name) => match self.site_index(name) {
                Some(i) => Some(i),
                None => return bad,
            },
        };
        let (ndev, need) = match t.kind {
            Kind::Gpu => (gpus, ceil_mb(gb)),
            Kind::Asic => (1, 1),
        };
        Ok(WorkSpec {
            kind: t.kind,
            prio,
            ndev,
            need,
            site,
            latency_ns: latency_ms.map(|ms| (ms * 1e6).round() as u64),
            deadline_ns: deadline_s.map(|s| (s * 1e9).round() as u64),
            submit_ns: self.now_ns,
            preemptible: t.preemptible,
            can_preempt: t.can_preempt,
            on_miss: t.on_miss,
        })
    }

    /// §2: could any registered device of its kind ever hold it?
    fn could_ever_fit(&self, s: &WorkSpec) -> bool {
        let of_kind: Vec<&Dev> = self.devices.iter().filter(|d| d.kind == s.kind).collect();
        if of_kind.is_empty() {
            return self.follow.on("accept_without_devices");
        }
        if s.kind == Kind::Asic {
            return true;
        }
        let largest = of_kind.iter().map(|d| d.cap).max().unwrap();
        let largest_site =
            (0..self.sites.len()).map(|si| of_kind.iter().filter(|d| d.site == si).count()).max().unwrap();
        s.need <= largest && s.ndev as usize <= largest_site
    }

    /// Returns the id and, if rejected, the error kind (the workload then is `rejected`).
    fn submit_inner(&mut self, r: &Req) -> (u64, Option<ErrorKind>) {
        let id = self.next_id;
        self.next_id += 1;
        let mut work = Work {
            id,
            customer: r.customer_id.clone(),
            ty: r.workload_type.clone(),
            spec: None,
            state: St::Rejected,
            devices: Vec::new(),
            dispatch_prio: 0,
            preemptions: 0,
            reason: Some("rejected".into()),
            age_level: 0,
        };
        let valid_name = |s: &str| !s.is_empty() && s.len() <= 256;
        if !valid_name(&r.customer_id) {
            self.work.insert(id, work);
            return (id, Some(ErrorKind::InvalidInput));
        }
        let c = self.see_customer(&r.customer_id);
        let spec = match self.validate(r) {
            Ok(s) => s,
            Err(e) => {
                self.work.insert(id, work);
                return (id, Some(e));
            }
        };
        let queued = self.work.values().filter(|w| w.customer == r.customer_id && w.state == St::Queued).count() as u64;
        let over_quota = self.customers[c].cfg.max_queued.is_some_and(|m| queued >= m as u64);
        let never = !self.could_ever_fit(&spec);
        work.spec = Some(spec);
        self.work.insert(id, work);
        if over_quota || never {
            return (id, Some(ErrorKind::CapacityExceeded));
        }
        // Tentatively queued; the `reject` policy refuses work that cannot be placed at once.
        let lvl = self.eff_prio(self.spec(id));
        {
            let w = self.work.get_mut(&id).unwrap();
            w.state = St::Queued;
            w.reason = None;
            w.age_level = lvl;
        }
        if self.spec(id).on_miss == Miss::Reject && self.placeable(id).is_none() {
            let w = self.work.get_mut(&id).unwrap();
            w.state = St::Rejected;
            w.reason = Some("rejected".into());
            return (id, Some(ErrorKind::CapacityExceeded));
        }
        (id, None)
    }

    fn transition_inner(&mut self, t: Tr, id: u64) -> R<()> {
        let Some(w) = self.work.get(&id) else { return Err(ErrorKind::NotFound) };
        use St::*;
        let ok = match (t, w.state) {
            (Tr::Start, Assigned) => Some(Running),
            (Tr::Complete, Assigned | Running) => Some(Completed),
            (Tr::Fail, Running) => Some(Failed),
            (Tr::Fail, Assigned) if self.follow.on("fail_assigned") => Some(Failed),
            (Tr::Cancel, Queued | Running) => Some(Cancelled),
            (Tr::Cancel, Assigned) if self.follow.on("cancel_assigned") => Some(Cancelled),
            (Tr::Preempt, Assigned | Running) => Some(Queued),
            _ => None,
        };
        let Some(to) = ok else { return Err(ErrorKind::IllegalTransition) };
        match to {
            Running => self.work.get_mut(&id).unwrap().state = Running,
            Queued => self.requeue(id),
            _ => {
                self.release(id);
                self.work.get_mut(&id).unwrap().state = to;
            }
        }
        Ok(())
    }

    fn wake_order(&self, site: usize) -> Vec<usize> {
        let mut miners: Vec<usize> =
            (0..self.devices.len()).filter(|&i| self.devices[i].site == site && self.devices[i].curtailed).collect();
        // Most valuable first; stable sort keeps registration order on ties.
        miners.sort_by(|&a, &b| {
            self.revenue_per_kw(&self.devices[b].model)
                .partial_cmp(&self.revenue_per_kw(&self.devices[a].model))
                .unwrap()
        });
        miners
    }
}

impl Sys for Model {
    fn add_device(&mut self, id: &str, kind: &str, model: &str, site: &str, gb: Option<f64>) -> R<()> {
        let kind = match kind {
            "gpu" => Kind::Gpu,
            "asic" => Kind::Asic,
            _ => return Err(ErrorKind::InvalidInput),
        };
        let m = self.catalog.get(model).map_err(|e| e.kind())?.clone();
        if self.dev_index(id).is_some() {
            return Err(ErrorKind::Conflict);
        }
        let cap = match kind {
            Kind::Gpu => round_mb(gb.unwrap_or(m.gpu_memory_gb)),
            Kind::Asic => 1,
        };
        let site = match self.site_index(site) {
            Some(i) => i,
            None => {
                self.sites.push(Site { name: site.to_string(), cap_mw: None });
                self.sites.len() - 1
            }
        };
        let reg = self.next_reg;
        self.next_reg += 1;
        self.devices.push(Dev {
            id: id.to_string(),
            kind,
            model: m,
            site,
            cap,
            alloc: Vec::new(),
            available: true,
            curtailed: false,
            thermal: 1.0,
            profit_override: None,
            reg,
        });
        Ok(())
    }

    fn remove_device(&mut self, id: &str) -> R<Vec<u64>> {
        let i = self.dev_index(id).ok_or(ErrorKind::NotFound)?;
        let mut on: Vec<u64> = self.devices[i].alloc.iter().map(|&(w, _)| w).collect();
        on.sort();
        on.dedup();
        for &w in &on {
            self.requeue(w);
        }
        self.devices.remove(i);
        Ok(on)
    }

    fn set_available(&mut self, id: &str, available: bool) -> R<()> {
        let i = self.dev_index(id).ok_or(ErrorKind::NotFound)?;
        let d = &mut self.devices[i];
        // Only resume_miners wakes a curtailed miner; draining one is allowed (it stays asleep
        // and wakes drained).
        if d.curtailed && available {
            return Err(ErrorKind::Conflict);
        }
        d.available = available;
        Ok(())
    }

    fn set_thermal(&mut self, id: &str, headroom: f64) -> R<()> {
        let i = self.dev_index(id).ok_or(ErrorKind::NotFound)?;
        self.devices[i].thermal = headroom;
        Ok(())
    }

    fn set_profit(&mut self, id: &str, usd_per_hour: f64) -> R<()> {
        let i = self.dev_index(id).ok_or(ErrorKind::NotFound)?;
        self.devices[i].profit_override = Some(usd_per_hour);
        Ok(())
    }

    fn set_cap(&mut self, site: &str, kw: Option<f64>) -> R<()> {
        let i = self.site_index(site).ok_or(ErrorKind::NotFound)?;
        self.sites[i].cap_mw = kw.map(|kw| (kw * 1e6).round() as u64);
        Ok(())
    }

    fn resume_miners(&mut self, site: &str) -> R<Vec<String>> {
        let si = self.site_index(site).ok_or(ErrorKind::NotFound)?;
        let mut woken = Vec::new();
        for i in self.wake_order(si) {
            let load = self.site_load_mw(&self.view(&[]), si);
            let adds = Self::curtail_frees_mw(&self.devices[i]);
            if let Some(cap) = self.sites[si].cap_mw {
                if load + adds > cap {
                    continue; // a less valuable (smaller) miner may still fit
                }
            }
            self.devices[i].curtailed = false;
            woken.push(self.devices[i].id.clone());
        }
        Ok(woken)
    }

    fn set_market(&mut self, m: Market) {
        self.market = Some(m);
        if self.follow.on("market_clears_override") {
            for d in self.devices.iter_mut().filter(|d| d.kind == Kind::Asic) {
                d.profit_override = None;
            }
        }
    }

    fn submit(&mut self, r: &Req) -> R<u64> {
        match self.submit_inner(r) {
            (id, None) => Ok(id),
            (_, Some(e)) => Err(e),
        }
    }

    fn try_submit(&mut self, r: &Req) -> TrySub {
        let (id, err) = self.submit_inner(r);
        TrySub {
            workload_id: id,
            state: if err.is_some() { St::Rejected } else { St::Queued },
            has_reason: err.is_some(),
            error: err,
        }
    }

    fn submit_batch(&mut self, rs: &[Req]) -> Vec<R<u64>> {
        rs.iter().map(|r| self.submit(r)).collect()
    }

    fn dispatch(&mut self) -> Option<Asg> {
        self.dispatch_one()
    }

    fn dispatch_batch(&mut self, n: usize) -> Vec<Asg> {
        let mut out = Vec::new();
        self.sweep_misses();
        self.in_batch = self.follow.on("batch_skips_sweep");
        for _ in 0..n {
            match self.dispatch_one() {
                Some(a) => out.push(a),
                None => break,
            }
        }
        self.in_batch = false;
        self.sweep_misses();
        out
    }

    fn transition(&mut self, t: Tr, as_customer: Option<&str>, id: u64) -> R<()> {
        if let Some(c) = as_customer {
            match self.work.get(&id) {
                Some(w) if w.customer == c => {}
                _ => return Err(ErrorKind::NotFound),
            }
        }
        self.transition_inner(t, id)
    }

    fn complete_batch(&mut self, ids: &[u64]) -> Vec<R<()>> {
        ids.iter().map(|&id| self.transition_inner(Tr::Complete, id)).collect()
    }

    fn advance(&mut self, seconds: f64) -> R<()> {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(ErrorKind::InvalidInput);
        }
        self.now_ns += (seconds * 1e9).round() as u64;
        self.sweep_misses();
        Ok(())
    }

    fn age(&mut self) -> usize {
        let mut changed = 0;
        let ids: Vec<u64> = self.work.values().filter(|w| w.state == St::Queued).map(|w| w.id).collect();
        for id in ids {
            let lvl = self.eff_prio(self.spec(id));
            let w = self.work.get_mut(&id).unwrap();
            if w.age_level != lvl {
                changed += 1;
                w.age_level = lvl;
            }
        }
        changed
    }

    fn set_customer(&mut self, c: &str, cfg: CustCfg) -> R<()> {
        if c.is_empty() || c.len() > 256 || !(1..=1_000_000).contains(&cfg.weight) {
            return Err(ErrorKind::InvalidInput);
        }
        let i = self.see_customer(c);
        self.customers[i].cfg = cfg;
        Ok(())
    }

    fn workload(&self, id: u64) -> R<WInfo> {
        let w = self.work.get(&id).ok_or(ErrorKind::NotFound)?;
        let active = matches!(w.state, St::Assigned | St::Running);
        let spec = if w.state == St::Rejected { None } else { w.spec.as_ref() };
        Ok(WInfo {
            id,
            customer: w.customer.clone(),
            workload_type: w.ty.clone(),
            state: w.state,
            priority: spec.map(|s| s.prio),
            effective_priority: match w.state {
                St::Queued => Some(self.eff_prio(spec.unwrap())),
                St::Assigned | St::Running => Some(w.dispatch_prio),
                _ => None,
            },
            gpus: spec.filter(|s| s.kind == Kind::Gpu).map(|s| s.ndev),
            // The memory reserved per GPU: the need in MB, in GB.
            gpu_memory_gb: spec.filter(|s| s.kind == Kind::Gpu).map(|s| s.need as f64 / 1024.0),
            device_ids: if active { w.devices.clone() } else { Vec::new() },
            preemptions: w.preemptions,
            reason: match w.state {
                St::Rejected => Some("<rejected>".into()),
                _ => w.reason.clone(),
            },
        })
    }

    fn device(&self, id: &str) -> R<DInfo> {
        let i = self.dev_index(id).ok_or(ErrorKind::NotFound)?;
        let d = &self.devices[i];
        let v = self.view(&[]);
        Ok(DInfo {
            device_id: d.id.clone(),
            site: self.sites[d.site].name.clone(),
            gpu_memory_gb: (d.kind == Kind::Gpu).then(|| d.cap as f64 / 1024.0),
            free_gpu_memory_gb: (d.kind == Kind::Gpu).then(|| self.free(&v, i) as f64 / 1024.0),
            workloads: d.alloc.len() as u32,
            status: d.status().to_string(),
        })
    }

    fn site_load_kw(&self, site: &str) -> R<f64> {
        let si = self.site_index(site).ok_or(ErrorKind::NotFound)?;
        Ok(self.site_load_mw(&self.view(&[]), si) as f64 / 1e6)
    }

    fn counts(&self) -> Counts {
        let mut c = Counts { submitted: self.next_id - 1, preemptions: self.preemptions_total, ..Counts::default() };
        for w in self.work.values() {
            match w.state {
                St::Queued => c.queued += 1,
                St::Assigned => c.assigned += 1,
                St::Running => c.running += 1,
                St::Completed => c.completed += 1,
                St::Failed => c.failed += 1,
                St::Cancelled => c.cancelled += 1,
                St::Rejected => c.rejected += 1,
            }
        }
        c
    }

    fn queue_depths(&self) -> [u64; 10] {
        let mut d = [0; 10];
        for w in self.work.values().filter(|w| w.state == St::Queued) {
            d[self.eff_prio(w.spec.as_ref().unwrap()) as usize - 1] += 1;
        }
        d
    }

    fn customer(&self, c: &str) -> R<CInfo> {
        // A customer never named has the default configuration.
        let cfg = match self.cust_index(c) {
            Some(i) => self.customers[i].cfg.clone(),
            None => self.configured(c),
        };
        let mine = || self.work.values().filter(|w| w.customer == c);
        Ok(CInfo {
            weight: cfg.weight,
            max_gpus: cfg.max_gpus,
            max_queued: cfg.max_queued,
            queued: mine().filter(|w| w.state == St::Queued).count() as u64,
            active: mine().filter(|w| matches!(w.state, St::Assigned | St::Running)).count() as u64,
            gpus_held: self.held(c),
        })
    }

    fn customer_workloads(&self, c: &str) -> Vec<u64> {
        self.work.values().filter(|w| w.customer == c).map(|w| w.id).collect()
    }
}
