//! The [`Router`]: its state, submission, and the lifecycle calls (start, complete, fail,
//! cancel, preempt) with their customer-scoped forms. Dispatch and placement live in
//! `dispatch.rs`, the fleet in `fleet.rs`, aging in `aging.rs`, metrics in `metrics.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::backend::Queues;
use super::config::{RouterConfig, WorkloadTypeConfig};
use super::customers::{Customers, FnvBuild};
use super::devices::{DeviceSlot, SiteSlots};
use super::dispatch::Held;
use super::queues::LEVELS;
use super::slab::Slab;
use super::state::{entry, Word, WorkloadState};
use super::stripes::{Counters, Histogram};
use crate::econ::{DeviceKind, Market};
use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// Counter index of "submitted" in the state counters (after the eight states).
pub(crate) const SUBMITTED: usize = 8;

/// One workload's slot: four atomics, written once at submission (then published by the
/// `Release` store of `state`) except `state`, which every transition CASes.
#[derive(Debug, Default)]
pub(crate) struct WorkloadSlot {
    pub state: AtomicU64,
    /// customer (32) | type (16) | gpus (16)
    pub owner: AtomicU64,
    /// units per device (32) | base level (8) | preferred site + 1 (16)
    pub need: AtomicU64,
    pub submit_ns: AtomicU64,
    /// latency bound, ms (f32 bits, high half) | deadline, s (f32 bits, low half); 0 = none.
    pub limits: AtomicU64,
}

/// The immutable fields of a workload, unpacked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub customer: u32,
    pub type_index: usize,
    pub gpus: u32,
    pub units: u64,
    pub base_level: usize,
    pub site: Option<u32>,
    pub submit_ns: u64,
    /// Latency bound and deadline as stored (decoded on demand: most dispatches only test
    /// whether there are any).
    pub limits: u64,
}

impl Meta {
    pub(crate) fn latency_bound_ms(&self) -> Option<f64> {
        limit(self.limits >> 32)
    }
    pub(crate) fn deadline_seconds(&self) -> Option<f64> {
        limit(self.limits & 0xffff_ffff)
    }
}

impl WorkloadSlot {
    pub(crate) fn word(&self) -> Option<Word> {
        Word::unpack(self.state.load(Acquire))
    }

    pub(crate) fn meta(&self) -> Meta {
        let owner = self.owner.load(Relaxed);
        let need = self.need.load(Relaxed);
        let limits = self.limits.load(Relaxed);
        let site = (need >> 40) & 0xffff;
        Meta {
            customer: (owner >> 32) as u32,
            type_index: ((owner >> 16) & 0xffff) as usize,
            gpus: (owner & 0xffff) as u32,
            units: need & 0xffff_ffff,
            base_level: ((need >> 32) & 0xff) as usize,
            site: if site == 0 { None } else { Some(site as u32 - 1) },
            submit_ns: self.submit_ns.load(Relaxed),
            limits,
        }
    }
}

fn limit(bits: u64) -> Option<f64> {
    let v = f32::from_bits(bits as u32) as f64;
    (v > 0.0).then_some(v)
}

fn limit_bits(v: Option<f64>) -> u64 {
    v.map_or(0, |v| (v as f32).to_bits() as u64)
}

/// Counter changes a call accumulates locally and applies once, at its end (a batch of 64
/// workloads then bumps each router counter once, not 64 times). Readers of the counters see
/// a batch's changes together; `counts()` adds up at any moment either way.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub states: [i64; 9],
    pub depth: [i64; LEVELS],
    pub queued_total: [i64; LEVELS],
    pub active: [i64; LEVELS],
    /// [gpu ok, asic ok, parked, preemptions]
    pub allocations: [i64; 4],
    pub misses: [i64; 2],
    pub dirty: bool,
}

impl Tally {
    #[inline]
    pub(crate) fn shift(&mut self, from: WorkloadState, to: WorkloadState) {
        self.states[from.index()] -= 1;
        self.states[to.index()] += 1;
        self.dirty = true;
    }
}

/// A validated submission, not yet given an id.
struct Prepared {
    customer: u32,
    type_index: u16,
    gpus: u32,
    units: u64,
    level: usize,
    site: Option<u32>,
    limits: u64,
}

/// Lookups a batch of submissions shares: the last workload type and customer resolved, so a
/// batch from one customer hashes each name once, not once per request.
#[derive(Default)]
struct BatchMemo<'a> {
    workload_type: Option<(&'a str, u16)>,
    customer: Option<(&'a str, u32)>,
}

/// String equality that skips the byte compare when both are the same slice (a batch built
/// from one `&str`).
#[inline]
fn same(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// A submission. Fields left `None` come from the workload type.
///
/// ```
/// let r = hcp::router::SubmitRequest::new("acme", "ai_inference_batch").priority(3).gpu_memory_gb(24.0);
/// assert_eq!(r.priority, Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubmitRequest<'a> {
    /// Who submits (isolation and fair share are per customer).
    pub customer_id: &'a str,
    /// A built-in or configured workload type.
    pub workload_type: &'a str,
    /// 1 (highest) … 10 (lowest).
    pub priority: Option<i64>,
    /// GPUs wanted (GPU work).
    pub gpus: Option<i64>,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: Option<f64>,
    /// Preferred site (locality).
    pub site: Option<&'a str>,
    /// Longest acceptable wait before dispatch, milliseconds.
    pub latency_bound_ms: Option<f64>,
    /// Time after submission by which it should have been dispatched, seconds.
    pub deadline_seconds: Option<f64>,
}

impl<'a> SubmitRequest<'a> {
    /// A request with every optional field from the type.
    pub fn new(customer_id: &'a str, workload_type: &'a str) -> Self {
        SubmitRequest {
            customer_id,
            workload_type,
            priority: None,
            gpus: None,
            gpu_memory_gb: None,
            site: None,
            latency_bound_ms: None,
            deadline_seconds: None,
        }
    }
    /// Sets the priority.
    pub fn priority(mut self, p: i64) -> Self {
        self.priority = Some(p);
        self
    }
    /// Sets the GPU count.
    pub fn gpus(mut self, n: i64) -> Self {
        self.gpus = Some(n);
        self
    }
    /// Sets the memory per GPU.
    pub fn gpu_memory_gb(mut self, gb: f64) -> Self {
        self.gpu_memory_gb = Some(gb);
        self
    }
    /// Sets the preferred site.
    pub fn site(mut self, site: &'a str) -> Self {
        self.site = Some(site);
        self
    }
    /// Sets the latency bound, ms.
    pub fn latency_bound_ms(mut self, ms: f64) -> Self {
        self.latency_bound_ms = Some(ms);
        self
    }
    /// Sets the deadline, seconds after submission.
    pub fn deadline_seconds(mut self, seconds: f64) -> Self {
        self.deadline_seconds = Some(seconds);
        self
    }
}

/// What a customer or operator may read about one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    /// Workload id.
    pub id: u64,
    /// Owner.
    pub customer_id: String,
    /// Type name.
    pub workload_type: String,
    /// Priority it was submitted with (1 … 10).
    pub priority: u8,
    /// Priority it has now (aging lifts it).
    pub effective_priority: u8,
    /// Current state.
    pub state: WorkloadState,
    /// GPUs (or miners) it needs.
    pub gpus: u32,
    /// Memory per GPU, GB.
    pub gpu_memory_gb: f64,
    /// Devices it holds (assigned or running), else empty.
    pub device_ids: Vec<String>,
    /// Seconds since the router started (router clock) at submission.
    pub submit_seconds: f64,
    /// Longest acceptable wait, ms (from the request or its type).
    pub latency_bound_ms: Option<f64>,
    /// Dispatch deadline after submission, s (from the request or its type).
    pub deadline_seconds: Option<f64>,
}

/// Counts by state. `submitted` always equals the sum of the seven others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Every submission, accepted or rejected.
    pub submitted: u64,
    /// Waiting.
    pub queued: u64,
    /// Assigned, not started.
    pub assigned: u64,
    /// Running.
    pub running: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Rejected at submission.
    pub rejected: u64,
    /// Preemptions so far (an event count: preempted work is queued again at once).
    pub preemptions: u64,
}

/// A lock-free priority router of workloads onto devices. `Send + Sync`: share it in an `Arc`
/// and call it from any number of threads.
///
/// ```
/// use hcp::router::{Router, RouterConfig, SubmitRequest};
/// let r = Router::new(RouterConfig::default()).unwrap();
/// r.add_device("gpu-0", "gpu", "H100_SXM", "austin", None).unwrap();
/// let id = r.submit(&SubmitRequest::new("acme", "ai_inference_realtime")).unwrap();
/// let a = r.dispatch().unwrap();
/// assert_eq!((a.workload_id, &*a.device_id), (id, "gpu-0"));
/// r.complete(id).unwrap();
/// assert_eq!(r.counts().completed, 1);
/// ```
pub struct Router {
    pub(crate) config: RouterConfig,
    pub(crate) types: Vec<(Box<str>, WorkloadTypeConfig)>,
    pub(crate) type_index: HashMap<Box<str>, u16, FnvBuild>,
    pub(crate) queues: Queues,
    pub(crate) workloads: Slab<WorkloadSlot>,
    /// On its own cache line: every submit bumps it, and its neighbours (`parked_len`, the
    /// aging clock) are read by every dispatch on the other cores.
    pub(crate) next_id: crossbeam::utils::CachePadded<AtomicU64>,
    pub(crate) customers: Customers,
    pub(crate) devices: Slab<DeviceSlot>,
    pub(crate) device_count: AtomicUsize,
    pub(crate) device_index: parking_lot::Mutex<HashMap<Box<str>, u32>>,
    pub(crate) sites: SiteSlots,
    pub(crate) site_count: AtomicUsize,
    pub(crate) site_index: parking_lot::Mutex<HashMap<Box<str>, u32>>,
    /// Largest capacity registered per kind (feasibility check at submission).
    pub(crate) max_units: [AtomicU64; 2],
    /// Most devices of each kind at one site (multi-GPU feasibility).
    pub(crate) max_site_devices: [AtomicU64; 2],
    /// Device lists of multi-device workloads (single-device ones keep it in the state word).
    pub(crate) multi: parking_lot::Mutex<HashMap<u64, Vec<u32>>>,
    /// Workloads popped but not placeable yet, by (level, id) → queue entry.
    pub(crate) parked: parking_lot::Mutex<BTreeMap<(usize, u64), u64>>,
    pub(crate) parked_len: AtomicUsize,
    pub(crate) capacity_events: Counters<1>,
    pub(crate) parked_seen: AtomicI64,
    pub(crate) market: parking_lot::RwLock<Option<Market>>,
    pub(crate) start: Instant,
    pub(crate) manual_ns: AtomicU64,
    pub(crate) states: Counters<9>,
    pub(crate) depth: Counters<LEVELS>,
    pub(crate) queued_total: Counters<LEVELS>,
    pub(crate) active_by_level: Counters<LEVELS>,
    /// allocations: [gpu ok, asic ok, parked (no fit), preemptions]
    pub(crate) allocations: Counters<4>,
    /// Dispatched after their [latency bound, deadline].
    pub(crate) misses: Counters<2>,
    pub(crate) wait_hist: Histogram,
    pub(crate) decision_hist: Histogram,
    pub(crate) allocation_hist: Histogram,
    pub(crate) next_aging_ns: AtomicU64,
    pub(crate) aging_watermark: parking_lot::Mutex<u64>,
}

impl Router {
    /// Applies a call's counter changes and clears the tally.
    pub(crate) fn apply(&self, t: &mut Tally) {
        if !std::mem::take(&mut t.dirty) {
            return;
        }
        self.states.add_all(&t.states);
        self.depth.add_all(&t.depth);
        self.queued_total.add_all(&t.queued_total);
        self.active_by_level.add_all(&t.active);
        self.allocations.add_all(&t.allocations);
        self.misses.add_all(&t.misses);
        *t = Tally::default();
    }
}

impl std::fmt::Debug for Router {
    /// A summary (the tables themselves can hold millions of slots).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("devices", &self.device_count())
            .field("sites", &self.site_count.load(Relaxed))
            .field("counts", &self.counts())
            .field("queue_depths", &self.queue_depths())
            .finish_non_exhaustive()
    }
}

fn kind_index(kind: DeviceKind) -> usize {
    match kind {
        DeviceKind::Gpu => 0,
        DeviceKind::Asic => 1,
    }
}

impl Router {
    /// A router with this configuration (validated).
    pub fn new(config: RouterConfig) -> Result<Router> {
        let config = config.validated()?;
        let types: Vec<(Box<str>, WorkloadTypeConfig)> =
            config.workload_types.iter().map(|(k, v)| (k.as_str().into(), v.clone())).collect();
        let type_index = types.iter().enumerate().map(|(i, (k, _))| (k.clone(), i as u16)).collect();
        let customers = Customers::new(config.max_customers);
        let queues = Queues::new(config.queue_backend, customers.capacity());
        let aging_ns = (config.aging_seconds * 1e9) as u64;
        Ok(Router {
            types,
            type_index,
            queues,
            workloads: Slab::new(),
            next_id: crossbeam::utils::CachePadded::new(AtomicU64::new(config.first_workload_id)),
            customers,
            devices: Slab::new(),
            device_count: AtomicUsize::new(0),
            device_index: parking_lot::Mutex::new(HashMap::new()),
            sites: super::devices::new_sites(),
            site_count: AtomicUsize::new(0),
            site_index: parking_lot::Mutex::new(HashMap::new()),
            max_units: [AtomicU64::new(0), AtomicU64::new(0)],
            max_site_devices: [AtomicU64::new(0), AtomicU64::new(0)],
            multi: parking_lot::Mutex::new(HashMap::new()),
            parked: parking_lot::Mutex::new(BTreeMap::new()),
            parked_len: AtomicUsize::new(0),
            capacity_events: Counters::new(),
            parked_seen: AtomicI64::new(-1),
            market: parking_lot::RwLock::new(None),
            start: Instant::now(),
            manual_ns: AtomicU64::new(0),
            states: Counters::new(),
            depth: Counters::new(),
            queued_total: Counters::new(),
            active_by_level: Counters::new(),
            allocations: Counters::new(),
            misses: Counters::new(),
            wait_hist: Histogram::new(),
            decision_hist: Histogram::new(),
            allocation_hist: Histogram::new(),
            next_aging_ns: AtomicU64::new(if aging_ns == 0 { u64::MAX } else { aging_ns / 4 }),
            aging_watermark: parking_lot::Mutex::new(0),
            config,
        })
    }

    /// A router from a JSON configuration (see [`RouterConfig`]).
    pub fn from_json(json: &str) -> Result<Router> {
        Router::new(RouterConfig::from_json(json)?)
    }

    /// The configuration in force.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Router clock, nanoseconds since creation (or the manual clock).
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        if self.config.manual_clock {
            self.manual_ns.load(Acquire)
        } else {
            self.start.elapsed().as_nanos() as u64
        }
    }

    pub(crate) fn instant_ns(&self, t: Instant) -> u64 {
        if self.config.manual_clock {
            self.manual_ns.load(Acquire)
        } else {
            t.saturating_duration_since(self.start).as_nanos() as u64
        }
    }

    /// Seconds on the router clock.
    pub fn now_seconds(&self) -> f64 {
        self.now_ns() as f64 * 1e-9
    }

    /// Moves the manual clock forward (`manual_clock: true` only; `InvalidInput` otherwise or
    /// for a negative / non-finite step).
    pub fn advance_time(&self, seconds: f64) -> Result<()> {
        check::non_negative("seconds", seconds)?;
        if !self.config.manual_clock {
            return Err(Error::invalid_input("seconds", "advance_time needs manual_clock: true"));
        }
        self.manual_ns.fetch_add((seconds * 1e9).round() as u64, AcqRel);
        Ok(())
    }

    /// The names of the workload types this router knows.
    pub fn workload_types(&self) -> Vec<String> {
        self.types.iter().map(|(k, _)| k.to_string()).collect()
    }

    pub(crate) fn type_config(&self, index: usize) -> &WorkloadTypeConfig {
        &self.types[index.min(self.types.len() - 1)].1
    }

    /// The slot of `id`, if its segment exists (a never-used slot reads as vacant).
    pub(crate) fn slot(&self, id: u64) -> Option<&WorkloadSlot> {
        self.workloads.get(id)
    }

    fn reject(&self, err: Error) -> Error {
        self.states.add(SUBMITTED, 1);
        self.states.add(WorkloadState::Rejected.index(), 1);
        err
    }

    /// Submits a workload; returns its id. Invalid input is `InvalidInput` (counted as
    /// rejected); a quota or a request no registered device could ever hold is
    /// `CapacityExceeded`. Lock-free.
    pub fn submit(&self, req: &SubmitRequest<'_>) -> Result<u64> {
        let prepared = self.prepare(req, &mut BatchMemo::default()).map_err(|e| self.reject(e))?;
        let id = self.next_id.fetch_add(1, AcqRel);
        let mut tally = Tally::default();
        let result = self.publish(id, &prepared, self.now_ns(), &mut tally);
        self.apply(&mut tally);
        result.map_err(|e| self.reject(e))
    }

    /// Validates and classifies a request and takes its place in the customer's `max_queued`
    /// quota; nothing is visible to other threads yet.
    fn prepare<'a>(&self, req: &SubmitRequest<'a>, memo: &mut BatchMemo<'a>) -> Result<Prepared> {
        if req.customer_id.is_empty() || req.customer_id.len() > 256 {
            return Err(Error::invalid_input("customer_id", "must be 1..=256 bytes"));
        }
        let known = match memo.workload_type {
            Some((name, index)) if same(name, req.workload_type) => Some(index),
            _ => self.type_index.get(req.workload_type).copied(),
        };
        let Some(type_index) = known else {
            return Err(Error::invalid_input(
                "workload_type",
                format!("unknown type {:?}; known: {}", req.workload_type, self.workload_types().join(", ")),
            ));
        };
        let ty = &self.types[type_index as usize].1;
        let priority = match req.priority {
            None => ty.priority as i64,
            Some(p) if (1..=10).contains(&p) => p,
            Some(p) => return Err(Error::invalid_input("priority", format!("must be in 1..=10, got {p}"))),
        };
        let level = (priority - 1) as usize;
        let (gpus, units) = match ty.device_kind {
            DeviceKind::Gpu => {
                let gpus = match req.gpus {
                    None => ty.gpus as i64,
                    Some(g) if (1..=1024).contains(&g) => g,
                    Some(g) => return Err(Error::invalid_input("gpus", format!("must be in 1..=1024, got {g}"))),
                };
                let gb = match req.gpu_memory_gb {
                    None => ty.gpu_memory_gb,
                    Some(gb) => check::in_range("gpu_memory_gb", gb, 0.0, 4_000_000.0)?,
                };
                (gpus as u32, ((gb * 1024.0).ceil() as u64).max(1))
            }
            DeviceKind::Asic => {
                let n = match req.gpus {
                    None => 1,
                    Some(g) if (1..=1024).contains(&g) => g,
                    Some(g) => {
                        return Err(Error::invalid_input("gpus", format!("miners: must be in 1..=1024, got {g}")))
                    }
                };
                if let Some(gb) = req.gpu_memory_gb {
                    check::non_negative("gpu_memory_gb", gb)?;
                }
                (n as u32, 1)
            }
        };
        let latency_bound_ms = match req.latency_bound_ms {
            Some(ms) => Some(check::in_range("latency_bound_ms", ms, f64::MIN_POSITIVE, 1e12)?),
            None => ty.latency_bound_ms,
        };
        let deadline_seconds = match req.deadline_seconds {
            Some(s) => Some(check::in_range("deadline_seconds", s, f64::MIN_POSITIVE, 1e12)?),
            None => ty.deadline_seconds,
        };
        let site = match req.site {
            None => None,
            Some(name) => {
                Some(self.site_index.lock().get(name).copied().ok_or_else(|| Error::not_found("site", name))?)
            }
        };
        let k = kind_index(ty.device_kind);
        let max_units = self.max_units[k].load(Acquire);
        if max_units > 0 && (units > max_units || gpus as u64 > self.max_site_devices[k].load(Acquire)) {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!(
                    "gpu_memory_gb: no registered {} site can ever hold {gpus} × {units} MB",
                    ty.device_kind.name()
                ),
            ));
        }
        memo.workload_type = Some((req.workload_type, type_index));
        let customer = match memo.customer {
            Some((name, index)) if same(name, req.customer_id) => index,
            _ => self.customers.intern(
                req.customer_id,
                |name| self.config.customers.get(name).copied().unwrap_or(self.config.default_customer),
                |index, cfg| self.queues.set_weight(index, cfg.weight),
            )?,
        };
        memo.customer = Some((req.customer_id, customer));
        let c = self.customers.get(customer).ok_or_else(|| Error::new(ErrorKind::Internal, "customer vanished"))?;
        if !c.take_queued() {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!("max_queued: customer {} already has {} workloads waiting", req.customer_id, c.max_queued),
            ));
        }
        Ok(Prepared {
            customer,
            type_index,
            gpus,
            units,
            level,
            site,
            limits: limit_bits(latency_bound_ms) << 32 | limit_bits(deadline_seconds),
        })
    }

    /// Writes a prepared workload into slot `id` and queues it.
    fn publish(&self, id: u64, p: &Prepared, now: u64, tally: &mut Tally) -> Result<u64> {
        self.write_slot(id, p, now, tally)?;
        self.queues.push(p.customer, p.level, entry(id, 0, p.level));
        Ok(id)
    }

    /// Writes a prepared workload into slot `id` (state Queued) and counts it; queueing it is
    /// the caller's next step.
    fn write_slot(&self, id: u64, p: &Prepared, now: u64, tally: &mut Tally) -> Result<()> {
        let Some(slot) = (id < 1 << 40).then(|| self.workloads.get_or_alloc(id)).flatten() else {
            if let Some(c) = self.customers.get(p.customer) {
                c.give_queued();
            }
            return Err(Error::new(ErrorKind::CapacityExceeded, "workload ids exhausted"));
        };
        let (customer, level) = (p.customer, p.level);
        slot.owner.store((customer as u64) << 32 | (p.type_index as u64) << 16 | p.gpus as u64, Relaxed);
        slot.need.store(p.units | (level as u64) << 32 | (p.site.map_or(0, |s| s as u64 + 1)) << 40, Relaxed);
        slot.submit_ns.store(now, Relaxed);
        slot.limits.store(p.limits, Relaxed);
        slot.state.store(Word { state: WorkloadState::Queued, level, stamp: 0, device: 0 }.pack(), Release);
        tally.states[SUBMITTED] += 1;
        tally.states[WorkloadState::Queued.index()] += 1;
        tally.depth[level] += 1;
        tally.queued_total[level] += 1;
        tally.dirty = true;
        Ok(())
    }

    /// Submits many workloads in one call (one result per request, in order). The batch shares
    /// one submit time (one clock read) and takes its ids in one step, so the ids of a batch
    /// are consecutive (in request order, skipping rejected requests) and two threads
    /// submitting batches at once write disjoint runs of workload slots.
    pub fn submit_batch(&self, requests: &[SubmitRequest<'_>]) -> Vec<Result<u64>> {
        let n = requests.len() as u64;
        if n == 0 {
            return Vec::new();
        }
        // One id per request up front; accepted requests take them in order, and the ids of
        // rejected ones (the tail of the block) go back unless another thread has taken ids
        // since — so alone, a batch numbers exactly as one-by-one submissions would.
        let base = self.next_id.fetch_add(n, AcqRel);
        let now = self.now_ns();
        let mut memo = BatchMemo::default();
        let mut entries = Vec::with_capacity(requests.len());
        let mut tally = Tally::default();
        let mut next = base;
        let results = requests
            .iter()
            .map(|r| {
                let p = self.prepare(r, &mut memo).map_err(|e| self.reject(e))?;
                let id = next;
                next += 1;
                self.write_slot(id, &p, now, &mut tally).map_err(|e| self.reject(e))?;
                entries.push((p.customer, p.level, entry(id, 0, p.level)));
                Ok(id)
            })
            .collect();
        if next < base + n {
            let _ = self.next_id.compare_exchange(base + n, next, AcqRel, Acquire);
        }
        // Counted before queued, as one-by-one submissions are: a dispatcher never sees more
        // work leave the queues than the counters say entered.
        self.apply(&mut tally);
        self.queues.push_many(&mut entries);
        results
    }

    /// The workload's slot and current word, `NotFound` for an unknown id — or, when `customer`
    /// is given, for a workload of another customer (isolation: others' ids do not exist).
    pub(crate) fn lookup(&self, id: u64, customer: Option<&str>) -> Result<(&WorkloadSlot, Word, Meta)> {
        let slot = self.slot(id).ok_or_else(|| Error::not_found("workload", id))?;
        let word = slot.word().ok_or_else(|| Error::not_found("workload", id))?;
        let meta = slot.meta();
        if let Some(name) = customer {
            let owner = self.customers.get(meta.customer).map(|c| &*c.name);
            if owner != Some(name) {
                return Err(Error::not_found("workload", id));
            }
        }
        Ok((slot, word, meta))
    }

    /// CAS `slot` from `word` to `next`, or explain why not.
    pub(crate) fn cas(&self, slot: &WorkloadSlot, word: Word, next: Word) -> bool {
        slot.state.compare_exchange(word.pack(), next.pack(), AcqRel, Acquire).is_ok()
    }

    fn illegal(id: u64, from: WorkloadState, to: WorkloadState) -> Error {
        Error::new(
            ErrorKind::IllegalTransition,
            format!("workload {id}: {} -> {} is not allowed", from.name(), to.name()),
        )
    }

    /// Moves a workload along one edge of the state machine (retrying if another thread moved
    /// it first), releasing its devices when it leaves Assigned/Running.
    pub(crate) fn transition(&self, id: u64, customer: Option<&str>, to: WorkloadState) -> Result<()> {
        self.transition_with(id, customer, to, None)
    }

    /// [`Router::transition`]; with `held`, a device's fresh pool entry may be kept for the
    /// caller to publish (see `give_back`).
    pub(crate) fn transition_with(
        &self,
        id: u64,
        customer: Option<&str>,
        to: WorkloadState,
        mut held: Option<&mut Held>,
    ) -> Result<()> {
        loop {
            let (slot, word, meta) = self.lookup(id, customer)?;
            let from = word.state;
            // `complete` / `fail` on an assigned workload means it started and ended before the
            // host reported the start: take both edges.
            let mut via_running = false;
            if from == WorkloadState::Assigned && matches!(to, WorkloadState::Completed) {
                via_running = true;
            }
            if !from.can_become(to) && !via_running {
                return Err(Self::illegal(id, from, to));
            }
            let next = match to {
                WorkloadState::Running => Word { state: to, ..word },
                _ => Word { state: to, device: if to.is_terminal() { 0 } else { word.device }, ..word },
            };
            if !self.cas(slot, word, next) {
                continue;
            }
            let releases =
                matches!(from, WorkloadState::Assigned | WorkloadState::Running) && to != WorkloadState::Running;
            let edges: &[(WorkloadState, WorkloadState)] = if via_running {
                &[(WorkloadState::Assigned, WorkloadState::Running), (WorkloadState::Running, to)]
            } else {
                &[(from, to)]
            };
            // Into the caller's tally (a batch), or straight into the counters.
            match held.as_deref_mut() {
                Some(h) => {
                    for &(a, b) in edges {
                        h.tally.shift(a, b);
                    }
                    if from == WorkloadState::Queued {
                        h.tally.depth[word.level] -= 1;
                    }
                    if releases {
                        h.tally.active[word.level] -= 1;
                    }
                }
                None => {
                    for &(a, b) in edges {
                        self.states.shift(a.index(), b.index());
                    }
                    if from == WorkloadState::Queued {
                        self.depth.add(word.level, -1);
                    }
                    if releases {
                        self.active_by_level.add(word.level, -1);
                    }
                }
            }
            if from == WorkloadState::Queued {
                if let Some(c) = self.customers.get(meta.customer) {
                    c.give_queued();
                }
            }
            if releases {
                self.release(id, word, &meta, held);
            }
            return Ok(());
        }
    }

    /// Marks an assigned workload as running.
    pub fn start(&self, id: u64) -> Result<()> {
        self.transition(id, None, WorkloadState::Running)
    }
    /// Completes a workload (assigned or running) and frees its devices.
    pub fn complete(&self, id: u64) -> Result<()> {
        self.transition(id, None, WorkloadState::Completed)
    }
    /// Marks a workload failed and frees its devices.
    pub fn fail(&self, id: u64) -> Result<()> {
        self.transition(id, None, WorkloadState::Failed)
    }
    /// Cancels a queued, assigned or running workload.
    pub fn cancel(&self, id: u64) -> Result<()> {
        self.transition(id, None, WorkloadState::Cancelled)
    }
    /// [`Router::start`] on behalf of `customer_id`: another customer's id is `NotFound`.
    pub fn start_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(id, Some(customer_id), WorkloadState::Running)
    }
    /// [`Router::complete`] on behalf of `customer_id`.
    pub fn complete_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(id, Some(customer_id), WorkloadState::Completed)
    }
    /// [`Router::fail`] on behalf of `customer_id`.
    pub fn fail_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(id, Some(customer_id), WorkloadState::Failed)
    }
    /// [`Router::cancel`] on behalf of `customer_id`.
    pub fn cancel_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(id, Some(customer_id), WorkloadState::Cancelled)
    }

    /// Completes many workloads in one call. Consecutive releases on one device publish its
    /// placement entry once, at the end of the run, instead of once per workload.
    pub fn complete_batch(&self, ids: &[u64]) -> Vec<Result<()>> {
        let mut held = Held::default();
        let results =
            ids.iter().map(|&id| self.transition_with(id, None, WorkloadState::Completed, Some(&mut held))).collect();
        held.publish(self);
        results
    }

    /// Takes an assigned or running workload off its devices and queues it again at its
    /// submitted priority, keeping its submit time (operator action; the router also does this
    /// itself when higher-priority work needs the room).
    pub fn preempt(&self, id: u64) -> Result<()> {
        let (slot, word, meta) = self.lookup(id, None)?;
        if !word.state.can_become(WorkloadState::Preempted) {
            return Err(Self::illegal(id, word.state, WorkloadState::Preempted));
        }
        if self.preempt_word(id, slot, word, &meta) {
            Ok(())
        } else {
            // Lost a race: report against whatever it became.
            let now = slot.word().map_or(WorkloadState::Queued, |w| w.state);
            Err(Self::illegal(id, now, WorkloadState::Preempted))
        }
    }

    /// Running/Assigned → Preempted → Queued (two CASes; the second cannot fail since nobody
    /// else moves a Preempted workload).
    pub(crate) fn preempt_word(&self, id: u64, slot: &WorkloadSlot, word: Word, meta: &Meta) -> bool {
        let pre = Word { state: WorkloadState::Preempted, ..word };
        if !self.cas(slot, word, pre) {
            return false;
        }
        self.states.shift(word.state.index(), WorkloadState::Preempted.index());
        self.active_by_level.add(word.level, -1);
        self.release(id, word, meta, None);
        self.allocations.add(3, 1);
        let stamp = word.stamp.wrapping_add(1);
        let level = meta.base_level;
        let queued = Word { state: WorkloadState::Queued, level, stamp, device: 0 };
        slot.state.store(queued.pack(), Release);
        self.states.shift(WorkloadState::Preempted.index(), WorkloadState::Queued.index());
        if let Some(c) = self.customers.get(meta.customer) {
            // A requeued victim may pass max_queued: it was admitted once and is owed its place.
            if c.max_queued != u32::MAX {
                c.queued.fetch_add(1, Relaxed);
            }
        }
        self.depth.add(level, 1);
        self.queues.push(meta.customer, level, entry(id, stamp, level));
        true
    }

    /// What `id` looks like now (operator view).
    pub fn workload(&self, id: u64) -> Result<WorkloadInfo> {
        self.info(id, None)
    }

    /// What `id` looks like now, to `customer_id`; another customer's workload is `NotFound`.
    pub fn workload_as(&self, customer_id: &str, id: u64) -> Result<WorkloadInfo> {
        self.info(id, Some(customer_id))
    }

    fn info(&self, id: u64, customer: Option<&str>) -> Result<WorkloadInfo> {
        let (_, word, meta) = self.lookup(id, customer)?;
        Ok(WorkloadInfo {
            id,
            customer_id: self.customers.get(meta.customer).map(|c| c.name.to_string()).unwrap_or_default(),
            workload_type: self.types.get(meta.type_index).map(|t| t.0.to_string()).unwrap_or_default(),
            priority: meta.base_level as u8 + 1,
            effective_priority: word.level as u8 + 1,
            state: word.state,
            gpus: meta.gpus,
            gpu_memory_gb: if self.type_config(meta.type_index).device_kind == DeviceKind::Gpu {
                meta.units as f64 / 1024.0
            } else {
                0.0
            },
            device_ids: self.device_list(id, word).iter().map(|d| self.device_name(*d).to_string()).collect(),
            submit_seconds: meta.submit_ns as f64 * 1e-9,
            latency_bound_ms: meta.latency_bound_ms(),
            deadline_seconds: meta.deadline_seconds(),
        })
    }

    /// Devices held by a workload in this word.
    pub(crate) fn device_list(&self, id: u64, word: Word) -> Vec<u32> {
        if word.device == 0 {
            return Vec::new();
        }
        if let Some(list) = self.multi.lock().get(&id) {
            return list.clone();
        }
        vec![word.device - 1]
    }

    pub(crate) fn device_name(&self, index: u32) -> Arc<str> {
        self.devices.get(index as u64).and_then(|d| d.info.get()).map_or_else(|| Arc::from(""), |i| i.id.clone())
    }

    /// Counts by state; `submitted` equals the sum of the others by construction: `queued` is
    /// derived as the remainder, so a read that races with transitions still adds up (its
    /// split between neighbouring states may lag by the transitions in flight).
    pub fn counts(&self) -> StateCounts {
        let g = |s: WorkloadState| self.states.get(s.index()).max(0) as u64;
        let assigned = g(WorkloadState::Assigned);
        let running = g(WorkloadState::Running);
        let completed = g(WorkloadState::Completed);
        let failed = g(WorkloadState::Failed);
        let cancelled = g(WorkloadState::Cancelled);
        let rejected = g(WorkloadState::Rejected);
        let rest = assigned + running + completed + failed + cancelled + rejected;
        let submitted = (self.states.get(SUBMITTED).max(0) as u64).max(rest);
        StateCounts {
            submitted,
            queued: submitted - rest,
            assigned,
            running,
            completed,
            failed,
            cancelled,
            rejected,
            preemptions: self.allocations.get(3).max(0) as u64,
        }
    }

    /// Counts by state from a walk over every workload slot (O(workloads); for tests and
    /// audits — compare with [`Router::counts`] when the router is quiet).
    pub fn scan_counts(&self) -> StateCounts {
        let mut c = StateCounts {
            submitted: self.states.get(SUBMITTED).max(0) as u64,
            rejected: self.states.get(WorkloadState::Rejected.index()).max(0) as u64,
            preemptions: self.allocations.get(3).max(0) as u64,
            ..StateCounts::default()
        };
        let end = self.next_id.load(Acquire);
        for id in self.config.first_workload_id..end {
            match self.workloads.get(id).and_then(|s| s.word()).map(|w| w.state) {
                Some(WorkloadState::Queued) | Some(WorkloadState::Preempted) => c.queued += 1,
                Some(WorkloadState::Assigned) => c.assigned += 1,
                Some(WorkloadState::Running) => c.running += 1,
                Some(WorkloadState::Completed) => c.completed += 1,
                Some(WorkloadState::Failed) => c.failed += 1,
                Some(WorkloadState::Cancelled) => c.cancelled += 1,
                _ => {}
            }
        }
        c
    }

    /// Waiting workloads per priority level (index 0 = priority 1), including those waiting for
    /// capacity.
    pub fn queue_depths(&self) -> [u64; LEVELS] {
        std::array::from_fn(|l| self.depth.get(l).max(0) as u64)
    }

    /// Fair-share weight of a customer (configured or default).
    pub fn customer_weight(&self, customer_id: &str) -> u32 {
        match self.customers.find(customer_id) {
            Some(i) => self.queues.weight(i),
            None => self.config.customers.get(customer_id).map_or(self.config.default_customer.weight, |c| c.weight),
        }
    }
}
