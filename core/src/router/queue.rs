//! Waiting work and the dispatch order (`docs/router.md` §2–§4, §8).
//!
//! Each customer has one *lane* per submitted priority: its waiting workloads in queue-position
//! (id) order. Ids grow with submission time, so within a lane the oldest work comes first and
//! the work that has aged by `k` periods is a contiguous run of ids: the router finds it with
//! one binary search over the workload table per period (`boundaries`), so the effective
//! priority of every queued workload is exact at every call without moving anything.
//!
//! Dispatch walks levels from the best; at a level it orders the customers that have work there
//! by stride scheduling and takes each customer's work in queue position, placing the first
//! workload that can be placed — unplaceable work is skipped, never parked, so it neither blocks
//! nor reorders placeable work. Entries of work that left the queue stay behind as stale
//! entries (their stamp no longer matches) and are dropped from lane fronts or compacted.

use std::collections::VecDeque;
use std::time::Instant;

use super::config::MissPolicy;
use super::engine::{Inner, Note, Router, NONE};
use super::place::{Need, Overlay, Placement};
use super::state::WorkloadState;
use super::stripes::sample;
use super::types::Assignment;
use crate::econ::DeviceKind;

/// Number of priority levels: 1 (highest) … 10 (lowest).
pub const LEVELS: usize = 10;

/// A customer's waiting work at one submitted priority: (id, stamp) in id order.
#[derive(Debug, Default)]
pub(crate) struct Lane {
    entries: VecDeque<(u64, u32)>,
    live: u32,
    listed: bool,
}

/// The router-wide part of the queue: which customers have lanes in use per level, whose turn
/// it is at each level (customer, services left in its turn), and the depth per submitted level.
#[derive(Debug)]
pub(crate) struct Waiting {
    listed: [Vec<u32>; LEVELS],
    turn: [(u32, u32); LEVELS],
    depth: [u64; LEVELS],
    /// `Some(epoch, bounds digest)`: a full scan at this epoch (and, with aging, these aging
    /// boundaries) found nothing placeable.
    idle_at: Option<(u64, u64)>,
    /// Reused by each scan (customers with work at a level).
    scratch: Vec<u32>,
}

/// The aging boundaries when aging is off (unused: every range is the whole lane).
const NO_AGING: [u64; LEVELS + 1] = [0; LEVELS + 1];

/// What one dispatch decided: the workload, its level, where it goes, and whom it preempts.
#[derive(Default)]
struct Plan {
    id: u64,
    level: u8,
    placement: Option<Placement>,
    victims: Vec<u64>,
}

/// Shapes that failed to place during one scan: (kind, gpus, preempt level) → least units that
/// failed. More units of the same shape cannot fit either.
#[derive(Default)]
struct Failed(Vec<(DeviceKind, u32, Option<u8>, u64)>);

impl Default for Waiting {
    fn default() -> Self {
        Waiting {
            listed: Default::default(),
            turn: [(NONE, 0); LEVELS],
            depth: [0; LEVELS],
            idle_at: None,
            scratch: Vec::new(),
        }
    }
}

impl Failed {
    fn known(&self, n: &Need) -> bool {
        self.0.iter().any(|&(k, g, p, u)| k == n.kind && g == n.gpus && p == n.preempt_level && u <= n.units)
    }
    fn add(&mut self, n: &Need) {
        self.0.push((n.kind, n.gpus, n.preempt_level, n.units));
    }
}

impl Router {
    /// Effective level of a queued workload now (`docs/router.md` §4).
    pub(crate) fn effective_level(&self, w: &super::engine::Workload, now: u64) -> u8 {
        if self.aging_ns == 0 {
            return w.base_level;
        }
        let periods = now.saturating_sub(w.submit_ns) / self.aging_ns;
        w.base_level.saturating_sub(periods.min(LEVELS as u64) as u8)
    }

    /// `b[k]` = the first id that has waited less than `k` aging periods (`b[0]` = next id):
    /// ids below `b[k]` have aged at least `k` levels.
    fn boundaries(&self, inner: &Inner, now: u64) -> [u64; LEVELS + 1] {
        let mut b = [inner.first_id; LEVELS + 1];
        b[0] = inner.next_id();
        if self.aging_ns == 0 {
            return b;
        }
        for (k, slot) in b.iter_mut().enumerate().skip(1) {
            let Some(t) = now.checked_sub(self.aging_ns.saturating_mul(k as u64)) else { break };
            let n = inner.workloads.partition_point(|w| w.submit_ns <= t);
            *slot = inner.first_id + n as u64;
        }
        b
    }

    /// Puts a workload (state `Queued`) into its customer's lane at its submitted level, at its
    /// queue position.
    pub(crate) fn enqueue(&self, inner: &mut Inner, id: u64) {
        let Some(i) = inner.index(id) else { return };
        let w = &mut inner.workloads[i];
        w.stamp = w.stamp.wrapping_add(1);
        let (c, b, stamp) = (w.customer as usize, w.base_level as usize, w.stamp);
        let expiry = w.expiry();
        let policy = self.type_config(w.type_index).map_or(MissPolicy::RunLate, |t| t.on_miss);
        let customer = &mut inner.customers[c];
        customer.queued += 1;
        let lane = &mut customer.lanes[b];
        if lane.entries.back().is_none_or(|e| e.0 < id) {
            lane.entries.push_back((id, stamp));
        } else {
            let pos = lane.entries.partition_point(|e| e.0 < id);
            lane.entries.insert(pos, (id, stamp));
        }
        lane.live += 1;
        if !lane.listed {
            lane.listed = true;
            inner.waiting.listed[b].push(c as u32);
        }
        inner.waiting.depth[b] += 1;
        if policy != MissPolicy::RunLate {
            if let Some((t, _)) = expiry {
                inner.expiry.insert((t, id));
            }
        }
        inner.fleet.touch();
    }

    /// Takes a queued workload out of its lane (the caller changes its state next).
    pub(crate) fn leave_queue(&self, inner: &mut Inner, id: u64) {
        let Some(i) = inner.index(id) else { return };
        let w = &mut inner.workloads[i];
        w.stamp = w.stamp.wrapping_add(1);
        let (c, b) = (w.customer as usize, w.base_level as usize);
        if let Some((t, _)) = w.expiry() {
            inner.expiry.remove(&(t, id));
        }
        let customer = &mut inner.customers[c];
        customer.queued -= 1;
        let lane = &mut customer.lanes[b];
        lane.live -= 1;
        let workloads = &inner.workloads;
        let first = inner.first_id;
        let live = |e: &(u64, u32)| {
            let w = &workloads[(e.0 - first) as usize];
            w.state == WorkloadState::Queued && w.stamp == e.1
        };
        while lane.entries.front().is_some_and(|e| !live(e)) {
            lane.entries.pop_front();
        }
        if lane.entries.len() > 2 * lane.live as usize + 32 {
            lane.entries.retain(live);
        }
        inner.waiting.depth[b] -= 1;
        inner.fleet.touch();
    }

    /// Fails every queued `drop`/`reject` workload whose bound passed before `now`.
    #[inline]
    pub(crate) fn expire(&self, inner: &mut Inner, now: u64) {
        if !inner.expiry.is_empty() {
            self.expire_due(inner, now);
        }
    }

    fn expire_due(&self, inner: &mut Inner, now: u64) {
        while let Some(&(t, id)) = inner.expiry.first() {
            if t >= now {
                break;
            }
            inner.expiry.pop_first();
            let Some(i) = inner.index(id) else { continue };
            if inner.workloads[i].state != WorkloadState::Queued {
                continue;
            }
            let reason = inner.workloads[i].expiry().map_or("deadline passed", |e| e.1);
            self.leave_queue(inner, id);
            let w = &mut inner.workloads[i];
            w.state = WorkloadState::Failed;
            w.note = Some(Box::new(Note {
                reason: reason.to_string(),
                customer_id: String::new(),
                workload_type: String::new(),
            }));
            inner.shift(WorkloadState::Queued, WorkloadState::Failed);
        }
    }

    /// Every queued workload with its effective level now (O(queued)).
    fn for_each_queued(&self, inner: &Inner, now: u64, mut f: impl FnMut(usize, u8)) {
        for c in &inner.customers {
            for lane in &c.lanes {
                for &(id, stamp) in &lane.entries {
                    let i = (id - inner.first_id) as usize;
                    let w = &inner.workloads[i];
                    if w.state == WorkloadState::Queued && w.stamp == stamp {
                        f(i, self.effective_level(w, now));
                    }
                }
            }
        }
    }

    /// Waiting workloads per effective priority (index 0 = priority 1), as the clock implies.
    pub fn queue_depths(&self) -> [u64; LEVELS] {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        self.depths_of(&inner, now)
    }

    pub(crate) fn depths_of(&self, inner: &Inner, now: u64) -> [u64; LEVELS] {
        if self.aging_ns == 0 {
            return inner.waiting.depth;
        }
        let mut d = [0; LEVELS];
        self.for_each_queued(inner, now, |_, l| d[l as usize] += 1);
        d
    }

    /// How many queued workloads changed effective level since the last call (dispatch never
    /// needs this: it always sees the levels the clock implies).
    pub fn age(&self) -> usize {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let mut changed = Vec::new();
        self.for_each_queued(&inner, now, |i, l| {
            if inner.workloads[i].level != l {
                changed.push((i, l));
            }
        });
        for &(i, l) in &changed {
            inner.workloads[i].level = l;
        }
        changed.len()
    }

    /// Places the next workload, or `None` when nothing waiting can be placed now.
    pub fn dispatch(&self) -> Option<Assignment> {
        let t0 = sample().then(Instant::now);
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let a = self.dispatch_one(&mut inner, now, t0.is_some());
        drop(inner);
        if let Some(t0) = t0 {
            self.decision_hist.record_nanos(t0.elapsed().as_nanos() as u64);
        }
        a
    }

    /// Places up to `max` workloads in one call: exactly what `max` calls of
    /// [`Router::dispatch`] would return (stopping at the first `None`), under one lock and one
    /// clock reading.
    pub fn dispatch_batch(&self, max: usize) -> Vec<Assignment> {
        let t0 = sample().then(Instant::now);
        let mut out = Vec::with_capacity(max.min(4096));
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        while out.len() < max {
            match self.dispatch_one(&mut inner, now, t0.is_some() && out.is_empty()) {
                Some(a) => out.push(a),
                None => break,
            }
        }
        drop(inner);
        if let Some(t0) = t0 {
            self.decision_hist.record_nanos(t0.elapsed().as_nanos() as u64 / out.len().max(1) as u64);
        }
        out
    }

    /// One dispatch decision; `sampled`: record the placement time in the histogram.
    fn dispatch_one(&self, inner: &mut Inner, now: u64, sampled: bool) -> Option<Assignment> {
        // As at the start of every call: a victim requeued past its bound by the previous
        // decision of a batch is failed now, exactly as a separate `dispatch()` would.
        self.expire(inner, now);
        let bounds = if self.aging_ns == 0 { NO_AGING } else { self.boundaries(inner, now) };
        // The boundaries only move forward, so their sum tells whether any moved.
        let digest = if self.aging_ns == 0 { 0 } else { bounds.iter().fold(0u64, |a, &b| a.wrapping_add(b)) };
        if inner.waiting.idle_at == Some((inner.fleet.epoch, digest)) {
            return None;
        }
        // The plan is written in place (a moved plan costs store-forwarding stalls).
        let mut plan = Plan::default();
        match self.select(inner, &bounds, &mut plan) {
            Some(()) => self.commit(inner, plan, now, sampled),
            None => {
                if inner.states[WorkloadState::Queued.index()] > 0 {
                    inner.allocations[2] += 1;
                }
                inner.waiting.idle_at = Some((inner.fleet.epoch, digest));
                None
            }
        }
    }

    /// The id range of base level `b` that sits at effective level `level` now.
    fn range(&self, bounds: &[u64; LEVELS + 1], b: usize, level: usize) -> (u64, u64) {
        if self.aging_ns == 0 {
            return (0, u64::MAX);
        }
        let k = b - level;
        if level == 0 {
            (0, bounds[b])
        } else {
            (bounds[k + 1], bounds[k])
        }
    }

    /// The first placeable workload in dispatch order, with its plan.
    fn select(&self, inner: &mut Inner, bounds: &[u64; LEVELS + 1], out: &mut Plan) -> Option<()> {
        let mut customers = std::mem::take(&mut inner.waiting.scratch);
        let plan = self.select_with(inner, bounds, &mut customers, out);
        inner.waiting.scratch = customers;
        plan
    }

    fn select_with(
        &self,
        inner: &mut Inner,
        bounds: &[u64; LEVELS + 1],
        customers: &mut Vec<u32>,
        out: &mut Plan,
    ) -> Option<()> {
        let mut failed = Failed::default();
        // Waiting work per submitted level and above: a level with none at or below it in
        // submitted priority can hold no work at any effective level (aging only lifts).
        let mut below = [0u64; LEVELS + 1];
        let depth = &inner.waiting.depth;
        if self.aging_ns == 0 {
            below[..LEVELS].copy_from_slice(depth);
        } else {
            for b in (0..LEVELS).rev() {
                below[b] = below[b + 1] + depth[b];
            }
        }
        for (level, &waiting) in below.iter().enumerate().take(LEVELS) {
            let top = if self.aging_ns == 0 { level } else { LEVELS - 1 };
            if waiting == 0 {
                continue;
            }
            customers.clear();
            for b in level..=top {
                let (lo, hi) = self.range(bounds, b, level);
                if lo >= hi {
                    continue;
                }
                let mut k = 0;
                while k < inner.waiting.listed[b].len() {
                    let c = inner.waiting.listed[b][k] as usize;
                    let lane = &mut inner.customers[c].lanes[b];
                    if lane.live == 0 {
                        lane.listed = false;
                        inner.waiting.listed[b].swap_remove(k);
                        continue;
                    }
                    k += 1;
                    // Without aging a lane with live entries has work at its level.
                    if self.aging_ns == 0 || self.lane_next(inner, c, b, lo, hi, 0).is_some() {
                        customers.push(c as u32);
                    }
                }
            }
            // Weighted round robin (`docs/router.md` §3): the customer whose turn it is keeps it
            // while it has services left, then customers follow in first-seen order, cyclically.
            customers.sort_unstable();
            customers.dedup();
            let (cur, left) = inner.waiting.turn[level];
            let keeps = left > 0 && customers.binary_search(&cur).is_ok();
            let split = customers.partition_point(|&c| c <= cur);
            let after = customers[split..].iter().chain(&customers[..split]).filter(|&&c| !(keeps && c == cur));
            let order = keeps.then_some(&cur).into_iter().chain(after);
            for &c in order {
                if self.customer_pick(inner, c as usize, level, bounds, &mut failed, out).is_some() {
                    return Some(());
                }
            }
        }
        None
    }

    /// The next live entry of lane (c, b) with id in `[lo, hi)` at or after position `from`:
    /// (position, id).
    fn lane_next(&self, inner: &Inner, c: usize, b: usize, lo: u64, hi: u64, from: usize) -> Option<(usize, u64)> {
        let entries = &inner.customers[c].lanes[b].entries;
        let start = if from == 0 && lo > 0 { entries.partition_point(|e| e.0 < lo) } else { from };
        for (p, &(id, stamp)) in entries.iter().enumerate().skip(start) {
            if id >= hi {
                return None;
            }
            let w = &inner.workloads[(id - inner.first_id) as usize];
            if w.state == WorkloadState::Queued && w.stamp == stamp {
                return Some((p, id));
            }
        }
        None
    }

    /// A customer's first placeable workload at `level`, in queue position over its lanes.
    fn customer_pick(
        &self,
        inner: &Inner,
        c: usize,
        level: usize,
        bounds: &[u64; LEVELS + 1],
        failed: &mut Failed,
        out: &mut Plan,
    ) -> Option<()> {
        if self.aging_ns == 0 {
            // Without aging a level is one lane: walk it.
            let mut next = self.lane_next(inner, c, level, 0, u64::MAX, 0);
            while let Some((p, id)) = next {
                if self.try_plan(inner, id, level as u8, failed, out).is_some() {
                    return Some(());
                }
                next = self.lane_next(inner, c, level, 0, u64::MAX, p + 1);
            }
            return None;
        }
        // One cursor per lane that has work at this level: (next id, position, lane, lo, hi).
        let mut cursors = [(0u64, 0usize, 0usize, 0u64, 0u64); LEVELS];
        let mut n = 0;
        for b in level..LEVELS {
            let (lo, hi) = self.range(bounds, b, level);
            if lo >= hi {
                continue;
            }
            if let Some((p, id)) = self.lane_next(inner, c, b, lo, hi, 0) {
                cursors[n] = (id, p, b, lo, hi);
                n += 1;
            }
        }
        while let Some(k) = (0..n).min_by_key(|&k| cursors[k].0) {
            let (id, p, b, lo, hi) = cursors[k];
            if self.try_plan(inner, id, level as u8, failed, out).is_some() {
                return Some(());
            }
            match self.lane_next(inner, c, b, lo, hi, p + 1) {
                Some((p, id)) => cursors[k] = (id, p, b, lo, hi),
                None => {
                    n -= 1;
                    cursors[k] = cursors[n];
                }
            }
        }
        None
    }

    /// How `id` could be placed now at `level`: on free room, or by preempting victims.
    fn try_plan(&self, inner: &Inner, id: u64, level: u8, failed: &mut Failed, out: &mut Plan) -> Option<()> {
        let w = &inner.workloads[(id - inner.first_id) as usize];
        if !inner.customers[w.customer as usize].gpu_quota_allows(w.gpus) {
            return None;
        }
        let need = self.need(w, id, level);
        if failed.known(&need) {
            return None;
        }
        if let Some(p) = inner.fleet.place(&need, &Overlay::default(), &self.config) {
            (out.id, out.level, out.placement) = (id, level, Some(p));
            return Some(());
        }
        if let Some(victims) = self.find_victims(inner, &need) {
            (out.id, out.level, out.placement, out.victims) = (id, level, None, victims);
            return Some(());
        }
        failed.add(&need);
        None
    }

    /// Could this (not yet queued) workload be placed at once? (`reject` policy.)
    pub(crate) fn placeable(&self, inner: &Inner, need: &Need, customer: u32) -> bool {
        if !inner.customers[customer as usize].gpu_quota_allows(need.gpus) {
            return false;
        }
        inner.fleet.place(need, &Overlay::default(), &self.config).is_some() || self.find_victims(inner, need).is_some()
    }

    /// Carries out a plan: preempts its victims, claims the devices (and curtails the miners
    /// their power needs), assigns the workload and advances the fair-share pass.
    fn commit(&self, inner: &mut Inner, plan: Plan, now: u64, sampled: bool) -> Option<Assignment> {
        let t0 = sampled.then(Instant::now);
        let i = inner.index(plan.id)?;
        for &v in &plan.victims {
            self.preempt_active(inner, v);
        }
        let placement = match plan.placement {
            Some(p) => p,
            None => {
                let need = self.need(&inner.workloads[i], plan.id, plan.level);
                // The victims were chosen because this placement then succeeds.
                inner.fleet.place(&need, &Overlay::default(), &self.config)?
            }
        };
        let units = inner.workloads[i].units;
        inner.fleet.take(&placement, units);
        self.leave_queue(inner, plan.id);
        let level = plan.level;
        let w = &mut inner.workloads[i];
        w.state = WorkloadState::Assigned;
        w.level = level;
        w.device = placement.first;
        w.extra = (!placement.extra.is_empty()).then(|| placement.extra.clone().into_boxed_slice());
        let (c, gpus, submit, lat, dl) = (w.customer as usize, w.gpus, w.submit_ns, w.latency_ms, w.deadline_s);
        let stamp = w.stamp;
        let kind = self.kind_of(w);
        inner.shift(WorkloadState::Queued, WorkloadState::Assigned);
        inner.active.push(&inner.workloads, inner.first_id, level, plan.id, stamp);
        let cu = &mut inner.customers[c];
        cu.active += 1;
        cu.gpus += gpus;
        let turn = &mut inner.waiting.turn[level as usize];
        *turn = match *turn {
            (cur, left) if cur == c as u32 && left > 0 => (cur, left - 1),
            _ => (c as u32, cu.cfg.weight - 1),
        };
        let wait = now.saturating_sub(submit);
        // (NaN bounds compare false: no bound, no miss.)
        if wait as f64 > lat * 1e6 {
            inner.misses[0] += 1;
        }
        if wait as f64 > dl * 1e9 {
            inner.misses[1] += 1;
        }
        inner.allocations[if kind == DeviceKind::Gpu { 0 } else { 1 }] += 1;
        self.wait_hist.record_nanos(wait);
        let fleet = &inner.fleet;
        let name = |d: &u32| fleet.devices[*d as usize].id.clone();
        let names = |ds: &[u32]| if ds.is_empty() { Vec::new() } else { ds.iter().map(name).collect() };
        let a = Assignment {
            workload_id: plan.id,
            device_id: name(&placement.first),
            extra_device_ids: names(&placement.extra),
            priority: level + 1,
            wait_seconds: wait as f64 * 1e-9,
            curtailed_device_ids: names(&placement.curtailed),
            preempted_workload_ids: plan.victims,
        };
        if let Some(t0) = t0 {
            self.allocation_hist.record_nanos(t0.elapsed().as_nanos() as u64);
        }
        debug_assert!(placement.devices().all(|d| d != NONE));
        Some(a)
    }
}
