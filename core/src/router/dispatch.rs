//! Dispatch: take the next workload (strict priority, fair share within a level), place it on
//! the best device among a bounded candidate set, admit it under its site's power cap, preempt
//! lower-priority work when nothing fits, and park it when it must wait.
//!
//! The fast path — pop, score a few candidates, one CAS to claim the device, one CAS to move the
//! workload to `Assigned` — takes no lock. Locks are taken only when work must wait for capacity
//! (the parked set), when a site's power cap binds (curtailment), and for multi-GPU device lists.

use std::sync::atomic::Ordering::*;
use std::sync::Arc;
use std::time::Instant;

use super::config::MAX_CANDIDATES;
use super::devices::{class_needed, class_of, pack, unpack, Site, AVAILABLE};
use super::engine::{Meta, Router, Tally, WorkloadSlot};
use super::queues::LEVELS;
use super::state::{entry, entry_parts, Word, WorkloadState};
use crate::econ::DeviceKind;

/// Most queue pops one `dispatch` call makes before giving up (stale entries and work that
/// must wait count against it), so a call is bounded whatever the backlog.
const MAX_POPS_PER_DISPATCH: usize = 16;
/// Most recent workloads scanned for a preemption victim.
const VICTIM_SCAN: u64 = 65_536;

/// A placement decision: `workload_id` goes to `device_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The workload placed.
    pub workload_id: u64,
    /// Its (first) device.
    pub device_id: Arc<str>,
    /// All its devices when it spans several GPUs (empty for one device).
    pub extra_device_ids: Vec<Arc<str>>,
    /// Priority it was dispatched at (after aging).
    pub priority: u8,
    /// Seconds it waited since submission.
    pub wait_seconds: f64,
    /// Miners to put to sleep first, so the site stays under its power cap.
    pub curtailed_device_ids: Vec<Arc<str>>,
    /// Workloads preempted to make room (they are queued again).
    pub preempted_workload_ids: Vec<u64>,
}

impl Assignment {
    /// Every device of the assignment, first device first.
    pub fn device_ids(&self) -> Vec<Arc<str>> {
        std::iter::once(self.device_id.clone()).chain(self.extra_device_ids.iter().cloned()).collect()
    }
}

/// Why a workload could not be placed now.
enum NoFit {
    /// Not enough free devices / memory / power.
    Capacity,
    /// The customer holds its GPU quota.
    Quota,
    /// The workload was cancelled (or aged) while being placed: drop it.
    Stale,
}

/// Rounds of candidate collection before a placement that keeps losing claim races gives up
/// (and the work waits, parked). A lost race means another thread changed that device (a claim
/// or a release) in the meantime, so retrying is lock-free; the bound is only a backstop. (It
/// was 8: under contention on one site a workload then sometimes parked with free GPUs in the
/// pool, and parked work leaves after later work of the same producer and level.)
const CLAIM_ATTEMPTS: usize = 1024;

enum Claim {
    /// Claimed; the miners curtailed to power it, and the device's fresh pool entry when the
    /// claimer keeps it instead of publishing it.
    Got(Vec<u32>, Option<Candidate>),
    /// The device changed between pop and CAS.
    Raced,
    /// Its site's power cap refused the work.
    Refused,
}

/// Devices claimed for one workload: the first, the others (multi-GPU only, so a single-device
/// placement allocates nothing), and the miners curtailed to power them.
struct Claimed {
    first: u32,
    extra: Vec<u32>,
    curtailed: Vec<u32>,
}

impl Claimed {
    fn all(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.first).chain(self.extra.iter().copied())
    }
}

enum Attempt {
    Claimed(Claimed),
    NoCandidates,
    LostRaces,
}

#[derive(Clone, Copy)]
struct Candidate {
    device: u32,
    generation: u32,
    free: u64,
    site: u32,
    score: f64,
}

/// The pool entry of the device this dispatch call placed its last workload on, kept out of
/// the pool between placements of one call (see [`Router::claim_held`]); published when the call
/// ends or when the next placement cannot use it.
/// It also carries the call's counter [`Tally`], applied at the same moment.
#[derive(Default)]
pub(crate) struct Held {
    entry: Option<(DeviceKind, Candidate)>,
    pub(crate) tally: Tally,
}

impl Held {
    /// Puts the held entry back into its pool, exactly where an immediate push after the claim
    /// would have put it (nothing else was pushed to the pool by this call meanwhile), and
    /// applies the call's counter changes.
    pub(crate) fn publish(&mut self, router: &Router) {
        router.apply(&mut self.tally);
        if let Some((kind, c)) = self.entry.take() {
            if let Some(site) = router.sites[c.site as usize].get() {
                site.pool(kind).push(class_of(kind, c.free), c.device, c.generation);
            }
        }
    }
}

impl Router {
    /// Places the next workload, or `None` when nothing waiting can be placed now.
    pub fn dispatch(&self) -> Option<Assignment> {
        let t0 = Instant::now();
        let now = self.instant_ns(t0);
        if now >= self.next_aging_ns.load(Relaxed) {
            self.age_at(now);
        }
        let sampled = super::stripes::sample();
        let mut held = Held::default();
        let result = self.dispatch_at(now, sampled, &mut held);
        held.publish(self);
        if sampled {
            self.decision_hist.record_nanos(t0.elapsed().as_nanos() as u64);
        }
        result
    }

    /// Places up to `max` workloads in one call (one clock read for the batch; the decision-time
    /// histogram then records the batch's mean per decision).
    ///
    /// The result is what `max` calls of [`Router::dispatch`] would return (stopping at the
    /// first that finds nothing), but the work is taken from the queues in runs
    /// ([`LevelQueues::pop_run`](super::LevelQueues::pop_run): one turn of a customer's ticket
    /// per run instead of one per workload) while nothing is parked, and consecutive
    /// workloads go to the device the call just used while a one-by-one dispatch would choose
    /// it too (its pool entry is published when the call ends), so a batch touches the shared
    /// queue and pool words about once per run, not once per workload.
    pub fn dispatch_batch(&self, max: usize) -> Vec<Assignment> {
        let mut out = Vec::with_capacity(max.min(4096));
        let t0 = Instant::now();
        let now = self.instant_ns(t0);
        if now >= self.next_aging_ns.load(Relaxed) {
            self.age_at(now);
        }
        let sampled = super::stripes::sample();
        let mut held = Held::default();
        // Entries popped in a run and not yet placed: to the rest of the router (parked retry
        // order) they are still queued, as they would be between one-by-one calls.
        let mut hand: Vec<(usize, u32, u64)> = Vec::new();
        let mut next = 0;
        'calls: while out.len() < max {
            // What `dispatch_at` does first on every call — unless a parked workload placed
            // now would leave no room in this batch for the entries already in hand, which
            // must be placed or parked by this call, never dropped.
            let in_hand = hand.len() - next;
            if self.parked_len.load(Acquire) > 0 && out.len() + in_hand < max {
                let events = self.capacity_events.get(0);
                if self.parked_seen.swap(events, AcqRel) != events {
                    let floor = hand[next..].iter().map(|h| h.0).min().unwrap_or(LEVELS);
                    if let Some(a) = self.retry_parked(now, sampled && out.is_empty(), &mut held, floor) {
                        out.push(a);
                        continue 'calls;
                    }
                }
            }
            for budget in (1..=MAX_POPS_PER_DISPATCH).rev() {
                if next == hand.len() {
                    hand.clear();
                    next = 0;
                    // A run only while nothing is parked: parked work changes what the next
                    // call would do first, so then take one entry per pop, as `dispatch` does.
                    let want = if self.parked_len.load(Acquire) > 0 { 1 } else { (max - out.len()).min(budget) };
                    if self.queues.pop_run(want, &mut hand) == 0 {
                        if self.parked_len.load(Acquire) > 0 && self.parked_seen.load(Acquire) == -1 {
                            self.parked_seen.store(self.capacity_events.get(0), Release);
                            if let Some(a) = self.retry_parked(now, sampled && out.is_empty(), &mut held, LEVELS) {
                                out.push(a);
                                continue 'calls;
                            }
                        }
                        break 'calls;
                    }
                }
                let e = hand[next].2;
                next += 1;
                if let Some(a) = self.dispatch_entry(e, now, sampled && out.is_empty(), &mut held) {
                    out.push(a);
                    continue 'calls;
                }
            }
            break;
        }
        // A run is never longer than the pops the calls it stands for would make, so nothing is
        // left in hand; were anything left, it waits (parked) rather than being lost.
        debug_assert_eq!(next, hand.len());
        for &(_, _, e) in &hand[next..] {
            if let Some((id, _, word)) = self.live_entry(e) {
                self.park(id, word, e);
            }
        }
        held.publish(self);
        if sampled {
            let n = out.len().max(1) as u64;
            self.decision_hist.record_nanos(t0.elapsed().as_nanos() as u64 / n);
        }
        out
    }

    /// The workload a queue entry names, with its word — `None` when the entry is stale (the
    /// workload was cancelled, aged or requeued since the entry was made).
    fn live_entry(&self, e: u64) -> Option<(u64, &WorkloadSlot, Word)> {
        let (id, stamp, level) = entry_parts(e);
        let slot = self.workloads.get(id)?;
        let word = slot.word().filter(|w| w.state == WorkloadState::Queued && w.stamp == stamp && w.level == level)?;
        Some((id, slot, word))
    }

    /// Places one popped queue entry: `None` when it was stale or had to wait (parked).
    fn dispatch_entry(&self, e: u64, now: u64, sampled: bool, held: &mut Held) -> Option<Assignment> {
        let (id, slot, word) = self.live_entry(e)?;
        let meta = slot.meta();
        match self.place(id, slot, word, &meta, now, sampled, held) {
            Ok(a) => Some(a),
            Err(NoFit::Stale) => None,
            Err(NoFit::Capacity | NoFit::Quota) => {
                self.park(id, word, e);
                None
            }
        }
    }

    fn dispatch_at(&self, now: u64, sampled: bool, held: &mut Held) -> Option<Assignment> {
        if self.parked_len.load(Acquire) > 0 {
            let events = self.capacity_events.get(0);
            if self.parked_seen.swap(events, AcqRel) != events {
                if let Some(a) = self.retry_parked(now, sampled, held, LEVELS) {
                    return Some(a);
                }
            }
        }
        for _ in 0..MAX_POPS_PER_DISPATCH {
            let Some((_, _, e)) = self.queues.pop() else {
                // Queues drained: parked work skipped earlier for queued higher-priority work
                // gets its turn now.
                if self.parked_len.load(Acquire) > 0 && self.parked_seen.load(Acquire) == -1 {
                    self.parked_seen.store(self.capacity_events.get(0), Release);
                    return self.retry_parked(now, sampled, held, LEVELS);
                }
                return None;
            };
            if let Some(a) = self.dispatch_entry(e, now, sampled, held) {
                return Some(a);
            }
        }
        None
    }

    fn park(&self, id: u64, word: Word, e: u64) {
        self.parked.lock().insert((word.level, id), e);
        self.parked_len.fetch_add(1, AcqRel);
        self.allocations.add(2, 1);
        // Capacity may have been freed between the failed placement and now: make the next
        // dispatch look at the parked set once more.
        self.capacity_events.add(0, 1);
    }

    /// Tries parked workloads in priority order (those at or above the best queued level).
    /// `queued_floor`: the best level among entries a batch has popped but not placed yet
    /// (`LEVELS` when none), which count as queued.
    fn retry_parked(&self, now: u64, sampled: bool, held: &mut Held, queued_floor: usize) -> Option<Assignment> {
        let best_queued = self.queues.best_level().min(queued_floor);
        let mut parked = self.parked.lock();
        let keys: Vec<(usize, u64)> = parked.range(..(best_queued + 1, 0)).map(|(k, _)| *k).collect();
        if keys.len() < parked.len() {
            // Lower-priority parked work was not tried (higher work is queued): try again on
            // the next call rather than waiting for the next capacity change.
            self.parked_seen.store(-1, Release);
        }
        for key in keys {
            let Some(&e) = parked.get(&key) else { continue };
            let Some((id, slot, word)) = self.live_entry(e) else {
                parked.remove(&key);
                self.parked_len.fetch_sub(1, AcqRel);
                continue;
            };
            let meta = slot.meta();
            match self.place(id, slot, word, &meta, now, sampled, held) {
                Ok(a) => {
                    parked.remove(&key);
                    self.parked_len.fetch_sub(1, AcqRel);
                    // More parked work may fit the capacity that woke us: look again next call.
                    self.parked_seen.store(-1, Release);
                    return Some(a);
                }
                Err(NoFit::Stale) => {
                    parked.remove(&key);
                    self.parked_len.fetch_sub(1, AcqRel);
                }
                Err(_) => {}
            }
        }
        None
    }

    /// Claims devices (and power, and quota) for a queued workload, then moves it to Assigned.
    #[allow(clippy::too_many_arguments)] // the call's clock, sampling and held entry ride along
    fn place(
        &self,
        id: u64,
        slot: &WorkloadSlot,
        word: Word,
        meta: &Meta,
        now: u64,
        sampled: bool,
        held: &mut Held,
    ) -> Result<Assignment, NoFit> {
        let t0 = sampled.then(Instant::now);
        let ty = self.type_config(meta.type_index);
        let kind = ty.device_kind;
        let customer = self.customers.get(meta.customer).ok_or(NoFit::Stale)?;
        if !customer.take_gpus(meta.gpus) {
            return Err(NoFit::Quota);
        }
        let mut preempted = Vec::new();
        let mut claimed = self.claim_devices(kind, meta, id, held);
        if claimed.is_none() && self.config.preemption && ty.can_preempt && meta.gpus == 1 {
            held.publish(self);
            if let Some(victim) = self.preempt_for(kind, meta, word.level) {
                preempted.push(victim);
                claimed = self.claim_devices(kind, meta, id, held);
            }
        }
        let Some(claimed) = claimed else {
            customer.give_gpus(meta.gpus);
            return Err(NoFit::Capacity);
        };
        let assigned =
            Word { state: WorkloadState::Assigned, level: word.level, stamp: word.stamp, device: claimed.first + 1 };
        let multi = !claimed.extra.is_empty();
        if multi {
            self.multi.lock().insert(id, claimed.all().collect());
        }
        if !self.cas(slot, word, assigned) {
            if multi {
                self.multi.lock().remove(&id);
            }
            for d in claimed.all() {
                self.release_device(kind, d, meta.units);
            }
            customer.give_gpus(meta.gpus);
            return Err(NoFit::Stale);
        }
        let tally = &mut held.tally;
        tally.shift(WorkloadState::Queued, WorkloadState::Assigned);
        tally.depth[word.level] -= 1;
        tally.active[word.level] += 1;
        customer.give_queued();
        let wait = now.saturating_sub(meta.submit_ns);
        self.wait_hist.record_nanos(wait);
        if meta.limits != 0 && meta.latency_bound_ms().is_some_and(|ms| wait as f64 > ms * 1e6) {
            tally.misses[0] += 1;
        }
        if meta.limits != 0 && meta.deadline_seconds().is_some_and(|s| wait as f64 > s * 1e9) {
            tally.misses[1] += 1;
        }
        tally.allocations[if kind == DeviceKind::Gpu { 0 } else { 1 }] += 1;
        if let Some(t0) = t0 {
            self.allocation_hist.record_nanos(t0.elapsed().as_nanos() as u64);
        }
        Ok(Assignment {
            workload_id: id,
            device_id: self.device_name(claimed.first),
            extra_device_ids: self.device_names(&claimed.extra),
            priority: word.level as u8 + 1,
            wait_seconds: wait as f64 * 1e-9,
            curtailed_device_ids: self.device_names(&claimed.curtailed),
            preempted_workload_ids: preempted,
        })
    }

    /// Names of `devices`; the usual empty list costs nothing (no iterator-collect machinery on
    /// the per-dispatch path).
    fn device_names(&self, devices: &[u32]) -> Vec<Arc<str>> {
        if devices.is_empty() {
            return Vec::new();
        }
        devices.iter().map(|&d| self.device_name(d)).collect()
    }

    /// Claims `meta.gpus` devices of `kind` at one site; returns them with the miners curtailed
    /// to power them, or `None` (nothing held) when they cannot be had now.
    fn claim_devices(&self, kind: DeviceKind, meta: &Meta, id: u64, held: &mut Held) -> Option<Claimed> {
        if meta.gpus == 1 {
            return self.claim_one(kind, meta, id, held);
        }
        held.publish(self);
        let sites = self.site_count.load(Acquire);
        let first = meta.site.map_or(id as usize % sites.max(1), |s| s as usize);
        for k in 0..sites {
            let site_index = ((first + k) % sites) as u32;
            let Some(site) = self.sites[site_index as usize].get() else { continue };
            let mut got = Vec::with_capacity(meta.gpus as usize);
            let mut curtailed = Vec::new();
            let mut skipped = Vec::new();
            for _ in 0..meta.gpus as usize * 4 {
                if got.len() == meta.gpus as usize {
                    break;
                }
                let Some(c) = self.pop_candidate(site, site_index, kind, meta.units) else { break };
                if got.contains(&c.device) {
                    skipped.push(c); // its remaining room came round again: one slot per device
                    continue;
                }
                match self.claim(kind, c, meta.units, site) {
                    Claim::Got(mut cut, _) => {
                        got.push(c.device);
                        curtailed.append(&mut cut);
                    }
                    Claim::Raced => continue,
                    Claim::Refused => break,
                }
            }
            for c in skipped {
                site.pool(kind).push(class_of(kind, c.free), c.device, c.generation);
            }
            if got.len() == meta.gpus as usize {
                let first = got.remove(0);
                return Some(Claimed { first, extra: got, curtailed });
            }
            for d in got {
                self.release_device(kind, d, meta.units);
            }
        }
        None
    }

    /// Claims one device; retries when candidates existed but every claim lost a race (another
    /// thread changed the device between pop and CAS), so contention is not mistaken for a full
    /// fleet.
    fn claim_one(&self, kind: DeviceKind, meta: &Meta, id: u64, held: &mut Held) -> Option<Claimed> {
        if let Some(found) = self.claim_held(kind, meta, held) {
            return Some(found);
        }
        for _ in 0..CLAIM_ATTEMPTS {
            match self.claim_one_attempt(kind, meta, id, held) {
                Attempt::Claimed(found) => return Some(found),
                Attempt::NoCandidates => return None,
                Attempt::LostRaces => continue,
            }
        }
        None
    }

    /// Scores a bounded set of best-fit candidates across sites and claims the best.
    fn claim_one_attempt(&self, kind: DeviceKind, meta: &Meta, id: u64, held: &mut Held) -> Attempt {
        let sites = self.site_count.load(Acquire);
        if sites == 0 {
            return Attempt::NoCandidates;
        }
        let max = self.config.max_candidates;
        let per_site = self.config.candidates_per_site.min(max);
        let first = meta.site.map_or(id as usize % sites, |s| s as usize);
        let mut cands = [Candidate { device: 0, generation: 0, free: 0, site: 0, score: 0.0 }; MAX_CANDIDATES];
        let mut n = 0;
        'sites: for k in 0..sites {
            let site_index = ((first + k) % sites) as u32;
            let Some(site) = self.sites[site_index as usize].get() else { continue };
            for _ in 0..per_site {
                if n == max {
                    break 'sites;
                }
                match self.pop_candidate(site, site_index, kind, meta.units) {
                    Some(c) => {
                        cands[n] = c;
                        n += 1;
                    }
                    None => break,
                }
            }
        }
        if n == 0 {
            return Attempt::NoCandidates;
        }
        if n > 1 {
            self.score(&mut cands[..n], meta);
            cands[..n].sort_by(|a, b| b.score.total_cmp(&a.score).then(a.device.cmp(&b.device)));
        }
        // A lone candidate from a lone site is where the next one-by-one placement would look
        // first too: keep its entry for this call instead of publishing it.
        let keep = n == 1 && self.sticky_placement(cands[0].site);
        let mut result = None;
        let mut refused = false;
        for c in &cands[..n] {
            if result.is_none() {
                // Claimed, or the claim failed because the device changed (whoever changed it
                // published a fresh entry) or power refused it: either way this entry is spent.
                if let Some(site) = self.sites[c.site as usize].get() {
                    match self.claim_with(kind, *c, meta.units, site, !keep) {
                        Claim::Got(curtailed, kept) => {
                            if keep {
                                held.entry = kept.map(|k| (kind, k));
                            }
                            result = Some(Claimed { first: c.device, extra: Vec::new(), curtailed })
                        }
                        Claim::Raced => {}
                        Claim::Refused => refused = true,
                    }
                }
                continue;
            }
            // Not chosen: give the entry back unchanged.
            if let Some(site) = self.sites[c.site as usize].get() {
                site.pool(kind).push(class_of(kind, c.free), c.device, c.generation);
            }
        }
        match result {
            Some(found) => Attempt::Claimed(found),
            None if refused => Attempt::NoCandidates,
            None => Attempt::LostRaces,
        }
    }

    /// Pops the best-fit live entry of a site's pool, dropping stale ones.
    fn pop_candidate(&self, site: &Site, site_index: u32, kind: DeviceKind, units: u64) -> Option<Candidate> {
        let pool = site.pool(kind);
        let min_class = class_needed(kind, units);
        loop {
            let (device, generation) = pool.pop_at_least(min_class)?;
            let slot = self.devices.get(device as u64)?;
            let (free, gen_now) = unpack(slot.word.load(Acquire));
            if gen_now != generation || slot.status.load(Acquire) != AVAILABLE {
                continue; // stale: a newer entry exists, or the device left service
            }
            if free < units {
                // Class lower bound met but not the exact need (top class is open-ended).
                pool.push(class_of(kind, free), device, generation);
                return None;
            }
            return Some(Candidate { device, generation, free, site: site_index, score: 0.0 });
        }
    }

    fn score(&self, cands: &mut [Candidate], meta: &Meta) {
        let w = self.config.placement_weights;
        let mut max_profit = 0i64;
        for c in cands.iter() {
            if let Some(d) = self.devices.get(c.device as u64) {
                max_profit = max_profit.max(d.profit_milli_usd_per_hour.load(Relaxed));
            }
        }
        for c in cands.iter_mut() {
            let Some(d) = self.devices.get(c.device as u64) else { continue };
            let capacity = d.info.get().map_or(1, |i| i.capacity_units.max(1));
            let fit = 1.0 - (c.free - meta.units.min(c.free)) as f64 / capacity as f64;
            let profit = d.profit_milli_usd_per_hour.load(Relaxed);
            let opportunity = if max_profit > 0 { profit.max(0) as f64 / max_profit as f64 } else { 0.0 };
            let local = if meta.site == Some(c.site) { 1.0 } else { 0.0 };
            let thermal = d.thermal_milli.load(Relaxed) as f64 / 1000.0;
            c.score = w.fit * fit - w.opportunity_cost * opportunity + w.locality * local + w.thermal * thermal;
        }
    }

    /// CAS the candidate's capacity down; admit its power. Returns the miners curtailed.
    fn claim(&self, kind: DeviceKind, c: Candidate, units: u64, site: &Site) -> Claim {
        self.claim_with(kind, c, units, site, true)
    }

    /// [`Router::claim`]; with `publish: false` (uncapped sites only) the device's fresh entry
    /// is returned to the caller instead of pushed into the pool.
    fn claim_with(&self, kind: DeviceKind, c: Candidate, units: u64, site: &Site, publish: bool) -> Claim {
        let Some(slot) = self.devices.get(c.device as u64) else { return Claim::Raced };
        let Some(info) = slot.info.get() else { return Claim::Raced };
        let next_gen = c.generation.wrapping_add(1);
        let mut free = c.free;
        let left = loop {
            let left = free - units;
            match slot.word.compare_exchange(pack(free, c.generation), pack(left, next_gen), AcqRel, Acquire) {
                Ok(_) => break left,
                Err(now) => {
                    let (now_free, now_gen) = unpack(now);
                    if now_gen != c.generation {
                        // A claim, a class-changing release or a status change bumped the
                        // generation; whoever did published a fresh entry (if in service).
                        return Claim::Raced;
                    }
                    // Same generation: a release that kept the device's class added room. Our
                    // entry is still the device's live one, so claim with the new figure (or,
                    // defensively, hand the entry back rather than lose it).
                    if now_free < units {
                        site.pool(kind).push(class_of(kind, now_free), c.device, now_gen);
                        return Claim::Raced;
                    }
                    free = now_free;
                }
            }
        };
        slot.workloads.fetch_add(1, Relaxed);
        let kept = Candidate { device: c.device, generation: next_gen, free: left, site: c.site, score: 0.0 };
        // Uncapped sites keep no running load (see `admit_power`): skip the power maths.
        let capped = kind == DeviceKind::Gpu && site.cap_mw.load(Acquire) != u64::MAX;
        // A capped site publishes even for a caller that wanted to keep the entry (a cap set
        // since it checked): a refused claim's give-back that keeps the device's class pushes
        // nothing, so the entry must already be in the pool or the device would be lost.
        let publish = publish || capped;
        if publish {
            site.pool(kind).push(class_of(kind, left), c.device, next_gen);
        }
        let mut curtailed = Vec::new();
        if capped {
            let delta = super::devices::gpu_work_mw(&info.model, units, info.capacity_units);
            match self.admit_power(site, delta) {
                Some(cut) => curtailed = cut,
                None => {
                    self.give_back(kind, c.device, units, false, None);
                    return Claim::Refused;
                }
            }
        }
        Claim::Got(curtailed, (!publish && class_of(kind, left) > 0).then_some(kept))
    }

    /// Placement may keep a claimed device's entry between the workloads of one dispatch call
    /// when a one-by-one dispatch would look at exactly one candidate (one site, one candidate
    /// per site) and the site has no power cap (power admission may give the claim back).
    #[inline]
    fn sticky_placement(&self, site: u32) -> bool {
        self.site_count.load(Acquire) == 1
            && self.config.candidates_per_site.min(self.config.max_candidates) == 1
            && self.sites[site as usize].get().is_some_and(|s| s.cap_mw.load(Acquire) == u64::MAX)
    }

    /// Places the workload on the device the call holds, when that is where a one-by-one
    /// dispatch would put it: the entry fits, and no entry in the pool is a better (smaller
    /// class) or earlier (same class) fit. Otherwise the entry is published and `None` lets
    /// the normal path choose.
    fn claim_held(&self, kind: DeviceKind, meta: &Meta, held: &mut Held) -> Option<Claimed> {
        let (held_kind, c) = held.entry?;
        let site = self.sites[c.site as usize].get()?;
        let min_class = class_needed(kind, meta.units);
        let class = class_of(kind, c.free);
        let best = held_kind == kind
            && c.free >= meta.units
            && class >= min_class
            && self.sticky_placement(c.site)
            && !site.pool(kind).any_between(min_class, class);
        if !best {
            held.publish(self);
            return None;
        }
        // As `pop_candidate` would: an entry whose device moved on (generation) or left service
        // is stale and dropped.
        let slot = self.devices.get(c.device as u64)?;
        let (free, generation) = unpack(slot.word.load(Acquire));
        if generation != c.generation || slot.status.load(Acquire) != AVAILABLE {
            held.entry = None;
            return None;
        }
        let c = Candidate { free, ..c };
        match self.claim_with(kind, c, meta.units, site, false) {
            Claim::Got(curtailed, kept) => {
                held.entry = kept.map(|k| (kind, k));
                Some(Claimed { first: c.device, extra: Vec::new(), curtailed })
            }
            Claim::Raced | Claim::Refused => {
                held.entry = None;
                None
            }
        }
    }

    /// Gives `units` back to a device (and the power its work drew) and republishes it.
    pub(crate) fn release_device(&self, kind: DeviceKind, device: u32, units: u64) {
        self.give_back(kind, device, units, true, None)
    }

    /// Gives `units` back to a device. A release that moves the device to another class
    /// publishes a fresh entry — or, with `held`, keeps it there (publishing the entry held for
    /// another device first): a run of releases on one device then publishes only its last
    /// entry, the earlier ones being stale the moment the next is made.
    fn give_back(&self, kind: DeviceKind, device: u32, units: u64, with_power: bool, held: Option<&mut Held>) {
        let Some(slot) = self.devices.get(device as u64) else { return };
        let Some(info) = slot.info.get() else { return };
        let mut cur = slot.word.load(Acquire);
        loop {
            let (free, generation) = unpack(cur);
            let left = (free + units).min(info.capacity_units);
            // Same capacity class as before: the device's live entry (listed in that class by
            // whoever last bumped the generation) stays valid, so keep the generation and
            // publish nothing — no pool push now, no stale entry to pop later. Only releases
            // may skip the bump: a claim always bumps, so the word never returns to a value a
            // racing claimer expects (no ABA).
            let same_class = class_of(kind, left) == class_of(kind, free);
            let generation = if same_class { generation } else { generation.wrapping_add(1) };
            let next = pack(left, generation);
            match slot.word.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => {
                    slot.workloads.fetch_sub(1, Relaxed);
                    if let Some(site) = self.sites[info.site as usize].get() {
                        if kind == DeviceKind::Gpu && with_power && site.cap_mw.load(Acquire) != u64::MAX {
                            let delta = super::devices::gpu_work_mw(&info.model, units, info.capacity_units);
                            site.load_mw.fetch_sub(delta, AcqRel);
                        }
                        if !same_class && slot.status.load(Acquire) == AVAILABLE {
                            match held {
                                Some(h) => {
                                    if h.entry.is_some_and(|(_, c)| c.device != device) {
                                        h.publish(self);
                                    }
                                    let c = Candidate { device, generation, free: left, site: info.site, score: 0.0 };
                                    h.entry = (class_of(kind, left) > 0).then_some((kind, c));
                                }
                                None => site.pool(kind).push(class_of(kind, left), device, generation),
                            }
                        }
                    }
                    return;
                }
                Err(now) => cur = now,
            }
        }
    }

    /// Frees everything a workload held when it leaves Assigned/Running.
    pub(crate) fn release(&self, id: u64, word: Word, meta: &Meta, mut held: Option<&mut Held>) {
        let kind = self.type_config(meta.type_index).device_kind;
        if meta.gpus > 1 {
            for d in self.multi.lock().remove(&id).unwrap_or_default() {
                self.give_back(kind, d, meta.units, true, held.as_deref_mut());
            }
        } else if word.device > 0 {
            self.give_back(kind, word.device - 1, meta.units, true, held);
        }
        if let Some(c) = self.customers.get(meta.customer) {
            c.give_gpus(meta.gpus);
        }
        if self.parked_len.load(Acquire) > 0 {
            self.capacity_events.add(0, 1);
        }
    }

    /// Finds and preempts the victim for a workload at `level`: among active, preemptible work
    /// of a lower priority whose device would then fit, the lowest priority, then the newest.
    fn preempt_for(&self, kind: DeviceKind, meta: &Meta, level: usize) -> Option<u64> {
        let end = self.next_id.load(Acquire);
        for victim_level in (level + 1..super::queues::LEVELS).rev() {
            if self.active_by_level.get(victim_level) <= 0 {
                continue;
            }
            let lowest = end.saturating_sub(VICTIM_SCAN).max(self.config.first_workload_id);
            for id in (lowest..end).rev() {
                let Some(slot) = self.workloads.get(id) else { continue };
                let Some(word) = slot.word() else { continue };
                if word.level != victim_level || !matches!(word.state, WorkloadState::Assigned | WorkloadState::Running)
                {
                    continue;
                }
                let vm = slot.meta();
                let vt = self.type_config(vm.type_index);
                if !vt.preemptible || vt.device_kind != kind || vm.gpus != 1 || word.device == 0 {
                    continue;
                }
                let Some(dev) = self.devices.get(word.device as u64 - 1) else { continue };
                let (free, _) = unpack(dev.word.load(Acquire));
                if free + vm.units < meta.units || dev.status.load(Acquire) != AVAILABLE {
                    continue;
                }
                if self.preempt_word(id, slot, word, &vm) {
                    return Some(id);
                }
            }
        }
        None
    }

    /// A queue entry for a workload's current word (used by aging).
    pub(crate) fn entry_for(id: u64, word: Word) -> u64 {
        entry(id, word.stamp, word.level)
    }
}
