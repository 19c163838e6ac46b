//! The [`Router`]: its state behind one lock, submission, and the lifecycle calls (start,
//! complete, fail, cancel, preempt) with their customer-scoped forms. The waiting work and the
//! dispatch order live in `queue.rs`, devices and placement in `place.rs`, the operator's fleet
//! calls in `fleet.rs`, metrics in `metrics.rs`. The rules are `docs/router.md`.

use std::collections::{BTreeSet, HashMap};

use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

use super::config::{
    CustomerConfig, MissPolicy, RouterConfig, WorkloadTypeConfig, MAX_BOUND, MAX_GPUS, MAX_GPU_MEMORY_GB,
};
use super::place::{Fleet, Need};
use super::queue::{Lane, Waiting, LEVELS};
use super::state::WorkloadState;
use super::stripes::Histogram;
use super::sync::Lock;
use super::types::{CustomerInfo, StateCounts, Submission, SubmitRequest, WorkloadInfo};
use crate::econ::DeviceKind;
use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// FNV-1a: short keys (customer ids, type names, device ids) hash in a few nanoseconds.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A name → index table.
pub(crate) type Names<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;

/// "No such index" (no customer, device, site).
pub(crate) const NONE: u32 = u32::MAX;

/// Why a workload was rejected or failed, and the names a rejected submission gave (it may
/// have no valid customer or type to point at).
#[derive(Debug, Clone)]
pub(crate) struct Note {
    pub reason: String,
    pub customer_id: String,
    pub workload_type: String,
}

/// One workload.
#[derive(Debug, Clone)]
pub(crate) struct Workload {
    pub customer: u32,
    /// Index into the router's types; `u16::MAX` for a rejected submission of an unknown type.
    pub type_index: u16,
    pub base_level: u8,
    /// Active: the level it was dispatched at. Queued: the level `age()` last reported.
    pub level: u8,
    pub state: WorkloadState,
    pub gpus: u32,
    /// MB per GPU (1 for mining work).
    pub units: u64,
    /// Preferred site, or `NONE`.
    pub site: u32,
    pub submit_ns: u64,
    /// Bumped on every enqueue: a queue entry with an older stamp is stale.
    pub stamp: u32,
    pub preemptions: u32,
    /// First device, or `NONE`.
    pub device: u32,
    /// The other devices of multi-GPU work.
    pub extra: Option<Box<[u32]>>,
    /// Latency bound (ms) and deadline (s); NaN when none (kept small: one entry per workload).
    pub latency_ms: f64,
    pub deadline_s: f64,
    pub note: Option<Box<Note>>,
}

fn some(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

impl Workload {
    pub(crate) fn devices(&self) -> impl Iterator<Item = u32> + '_ {
        let extra = self.extra.as_deref().unwrap_or(&[]);
        (self.device != NONE).then_some(self.device).into_iter().chain(extra.iter().copied())
    }

    pub(crate) fn latency_bound_ms(&self) -> Option<f64> {
        some(self.latency_ms)
    }

    pub(crate) fn deadline_seconds(&self) -> Option<f64> {
        some(self.deadline_s)
    }

    /// When a `drop`/`reject` workload expires (ns on the router clock), and why.
    pub(crate) fn expiry(&self) -> Option<(u64, &'static str)> {
        let lat = self.latency_bound_ms().map(|ms| self.submit_ns.saturating_add((ms * 1e6).round() as u64));
        let dl = self.deadline_seconds().map(|s| self.submit_ns.saturating_add((s * 1e9).round() as u64));
        match (lat, dl) {
            (Some(l), Some(d)) if d < l => Some((d, "deadline passed")),
            (Some(l), _) => Some((l, "latency bound passed")),
            (None, Some(d)) => Some((d, "deadline passed")),
            (None, None) => None,
        }
    }
}

/// One customer: configuration, live counts, fair-share passes and waiting lanes.
#[derive(Debug)]
pub(crate) struct Customer {
    pub name: Box<str>,
    pub cfg: CustomerConfig,
    pub queued: u32,
    pub active: u32,
    pub gpus: u32,
    /// Waiting work per submitted level, in queue-position (id) order.
    pub lanes: [Lane; LEVELS],
    /// Submissions naming it (accepted or rejected).
    pub submitted: u64,
}

impl Customer {
    fn new(name: &str, cfg: CustomerConfig) -> Customer {
        Customer { name: name.into(), cfg, queued: 0, active: 0, gpus: 0, lanes: Default::default(), submitted: 0 }
    }

    pub(crate) fn gpu_quota_allows(&self, gpus: u32) -> bool {
        self.cfg.max_gpus.is_none_or(|max| self.gpus as u64 + gpus as u64 <= max as u64)
    }
}

/// Assigned and running work per dispatched level, as (id, stamp) entries: an entry is stale
/// once its workload left (its stamp moved on) and is dropped when the level is compacted.
#[derive(Debug, Default)]
pub(crate) struct Active {
    levels: [Vec<(u64, u32)>; LEVELS],
    live: [usize; LEVELS],
}

impl Active {
    fn valid(workloads: &[Workload], first: u64, level: usize, e: &(u64, u32)) -> bool {
        let w = &workloads[(e.0 - first) as usize];
        matches!(w.state, WorkloadState::Assigned | WorkloadState::Running)
            && w.level as usize == level
            && w.stamp == e.1
    }

    pub(crate) fn push(&mut self, workloads: &[Workload], first: u64, level: u8, id: u64, stamp: u32) {
        let l = level as usize;
        self.live[l] += 1;
        let v = &mut self.levels[l];
        if v.len() >= 2 * self.live[l] + 64 {
            v.retain(|e| Self::valid(workloads, first, l, e));
        }
        v.push((id, stamp));
    }

    pub(crate) fn left(&mut self, level: u8) {
        self.live[level as usize] -= 1;
    }

    /// The live ids at `level`, newest first.
    pub(crate) fn newest_first(&self, workloads: &[Workload], first: u64, level: usize) -> Vec<u64> {
        let mut ids: Vec<u64> =
            self.levels[level].iter().filter(|e| Self::valid(workloads, first, level, e)).map(|e| e.0).collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    }
}

/// Everything the lock guards.
#[derive(Debug)]
pub(crate) struct Inner {
    pub manual_ns: u64,
    pub first_id: u64,
    pub workloads: Vec<Workload>,
    pub customers: Vec<Customer>,
    pub customer_index: Names<u32>,
    pub waiting: Waiting,
    pub fleet: Fleet,
    /// Workloads by state (index of [`WorkloadState::ALL`]).
    pub states: [u64; 8],
    pub preemptions: u64,
    pub queued_total: [u64; LEVELS],
    /// Dispatched after their [latency bound, deadline].
    pub misses: [u64; 2],
    /// [GPU allocations, ASIC allocations, dispatch calls that left placeable-looking work waiting]
    pub allocations: [u64; 3],
    /// Active work by dispatched level (preemption victims, device removal).
    pub active: Active,
    /// Queued work with a `drop` / `reject` policy, by (expiry ns, id).
    pub expiry: BTreeSet<(u64, u64)>,
}

impl Inner {
    #[inline]
    pub(crate) fn index(&self, id: u64) -> Option<usize> {
        let i = id.checked_sub(self.first_id)? as usize;
        (i < self.workloads.len()).then_some(i)
    }

    #[inline]
    pub(crate) fn next_id(&self) -> u64 {
        self.first_id + self.workloads.len() as u64
    }

    pub(crate) fn shift(&mut self, from: WorkloadState, to: WorkloadState) {
        self.states[from.index()] -= 1;
        self.states[to.index()] += 1;
    }
}

/// A priority router of workloads onto devices. `Send + Sync`: share it in an `Arc` and call
/// it from any number of threads; every call is atomic (one lock per router, taken once per
/// call, batch calls included).
///
/// ```
/// use hcpcore::router::{Router, RouterConfig, SubmitRequest};
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
    pub(crate) type_index: Names<u16>,
    /// Aging period in ns (0: off).
    pub(crate) aging_ns: u64,
    pub(crate) start: Instant,
    pub(crate) inner: Lock<Inner>,
    pub(crate) wait_hist: Histogram,
    pub(crate) decision_hist: Histogram,
    pub(crate) allocation_hist: Histogram,
}

impl std::fmt::Debug for Router {
    /// A summary (the tables themselves can hold millions of entries).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("devices", &self.device_count())
            .field("counts", &self.counts())
            .field("queue_depths", &self.queue_depths())
            .finish_non_exhaustive()
    }
}

/// A submission checked against the router's immutable tables (types, limits).
struct Prepared {
    type_index: u16,
    level: u8,
    gpus: u32,
    units: u64,
    latency_bound_ms: Option<f64>,
    deadline_seconds: Option<f64>,
}

impl Router {
    /// A router with this configuration (validated).
    pub fn new(config: RouterConfig) -> Result<Router> {
        let config = config.validated()?;
        let types: Vec<(Box<str>, WorkloadTypeConfig)> =
            config.workload_types.iter().map(|(k, v)| (k.as_str().into(), v.clone())).collect();
        let type_index = types.iter().enumerate().map(|(i, (k, _))| (k.clone(), i as u16)).collect();
        let mut fleet = Fleet::default();
        for (name, site) in &config.sites {
            let i = fleet.intern_site(name)?;
            fleet.sites[i as usize].cap_mw = Some((site.power_cap_kw * 1e6).round() as i64);
        }
        let inner = Inner {
            manual_ns: 0,
            first_id: config.first_workload_id,
            workloads: Vec::new(),
            customers: Vec::new(),
            customer_index: Names::default(),
            waiting: Waiting::default(),
            fleet,
            states: [0; 8],
            preemptions: 0,
            queued_total: [0; LEVELS],
            misses: [0; 2],
            allocations: [0; 3],
            active: Active::default(),
            expiry: BTreeSet::new(),
        };
        Ok(Router {
            aging_ns: (config.aging_seconds * 1e9).round() as u64,
            types,
            type_index,
            start: Instant::now(),
            inner: Lock::new(inner),
            wait_hist: Histogram::new(),
            decision_hist: Histogram::new(),
            allocation_hist: Histogram::new(),
            config,
        })
    }

    /// A router from a JSON configuration (see [`RouterConfig`]).
    pub fn from_json(json: &str) -> Result<Router> {
        Router::new(RouterConfig::from_json(json)?)
    }

    /// The configuration in force (customers changed with [`Router::set_customer`] are read
    /// with [`Router::customer`]).
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// The router clock, ns since creation (or the manual clock). Read under the lock, so it
    /// never runs backwards between calls.
    #[inline]
    pub(crate) fn now_ns(&self, inner: &Inner) -> u64 {
        if self.config.manual_clock {
            inner.manual_ns
        } else {
            self.start.elapsed().as_nanos() as u64
        }
    }

    /// Seconds on the router clock.
    pub fn now_seconds(&self) -> f64 {
        let inner = self.inner.lock();
        self.now_ns(&inner) as f64 * 1e-9
    }

    /// Moves the manual clock forward (`manual_clock: true` only; `InvalidInput` otherwise or
    /// for a negative, non-finite or over-10^9-second step).
    pub fn advance_time(&self, seconds: f64) -> Result<()> {
        check::in_range("seconds", seconds, 0.0, 1e9)?;
        if !self.config.manual_clock {
            return Err(Error::invalid_input("seconds", "advance_time needs manual_clock: true"));
        }
        let mut inner = self.inner.lock();
        inner.manual_ns = inner.manual_ns.saturating_add((seconds * 1e9).round() as u64);
        let now = inner.manual_ns;
        self.expire(&mut inner, now);
        Ok(())
    }

    /// The names of the workload types this router knows.
    pub fn workload_types(&self) -> Vec<String> {
        self.types.iter().map(|(k, _)| k.to_string()).collect()
    }

    pub(crate) fn type_config(&self, index: u16) -> Option<&WorkloadTypeConfig> {
        self.types.get(index as usize).map(|t| &t.1)
    }

    pub(crate) fn kind_of(&self, w: &Workload) -> DeviceKind {
        self.type_config(w.type_index).map_or(DeviceKind::Gpu, |t| t.device_kind)
    }

    // ------------------------------------------------------------------ submission ---------

    /// Checks a request against the types and limits (no lock needed). `last`: the previous
    /// request's type name and index (a batch of one type hashes its name once).
    fn prepare<'a>(&self, req: &SubmitRequest<'a>, last: &mut Option<(&'a str, u16)>) -> Result<Prepared> {
        if req.customer_id.is_empty() || req.customer_id.len() > 256 {
            return Err(Error::invalid_input("customer_id", "must be 1..=256 bytes"));
        }
        let known = match *last {
            Some((name, i)) if same(name, req.workload_type) => Some(i),
            _ => self.type_index.get(req.workload_type).copied(),
        };
        let Some(type_index) = known else {
            return Err(Error::invalid_input(
                "workload_type",
                format!("unknown type {:?}; known: {}", clip(req.workload_type, 64), self.workload_types().join(", ")),
            ));
        };
        *last = Some((req.workload_type, type_index));
        let ty = &self.types[type_index as usize].1;
        let priority = match req.priority {
            None => ty.priority as i64,
            Some(p) if (1..=10).contains(&p) => p,
            Some(p) => return Err(Error::invalid_input("priority", format!("must be in 1..=10, got {p}"))),
        };
        let gpus = match req.gpus {
            None => ty.gpus as i64,
            Some(g) if (1..=MAX_GPUS as i64).contains(&g) => g,
            Some(g) => return Err(Error::invalid_input("gpus", format!("must be in 1..={MAX_GPUS}, got {g}"))),
        };
        let gb = match req.gpu_memory_gb {
            None => ty.gpu_memory_gb,
            Some(gb) => check::in_range("gpu_memory_gb", gb, 0.0, MAX_GPU_MEMORY_GB)?,
        };
        let units = match ty.device_kind {
            DeviceKind::Gpu => ((gb * 1024.0).ceil() as u64).max(1),
            DeviceKind::Asic => 1,
        };
        let latency_bound_ms = match req.latency_bound_ms {
            Some(ms) => Some(check::positive_at_most("latency_bound_ms", ms, MAX_BOUND)?),
            None => ty.latency_bound_ms,
        };
        let deadline_seconds = match req.deadline_seconds {
            Some(s) => Some(check::positive_at_most("deadline_seconds", s, MAX_BOUND)?),
            None => ty.deadline_seconds,
        };
        Ok(Prepared {
            type_index,
            level: (priority - 1) as u8,
            gpus: gpus as u32,
            units,
            latency_bound_ms,
            deadline_seconds,
        })
    }

    /// Submits a workload; returns its id. A refused submission still takes an id (see
    /// [`Router::try_submit`]) and is `InvalidInput` (bad value), `NotFound` (unknown site) or
    /// `CapacityExceeded` (quota, never fits, or a `reject` policy that cannot start it now).
    pub fn submit(&self, req: &SubmitRequest<'_>) -> Result<u64> {
        self.try_submit(req).into_result()
    }

    /// Submits a workload and reports its id whether accepted or rejected.
    pub fn try_submit(&self, req: &SubmitRequest<'_>) -> Submission {
        let prepared = self.prepare(req, &mut None);
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        self.admit(&mut inner, req, prepared, now, &mut None)
    }

    /// Submits many workloads in one call (one result per request, in order). The batch takes
    /// the lock once and shares one submit time; ids are consecutive in request order
    /// (rejected requests take theirs too).
    pub fn submit_batch(&self, requests: &[SubmitRequest<'_>]) -> Vec<Result<u64>> {
        let mut out = Vec::with_capacity(requests.len());
        self.admit_batch(requests, |s| out.push(s.into_result()));
        out
    }

    /// [`Router::submit_batch`] reporting every id, accepted or rejected.
    pub fn try_submit_batch(&self, requests: &[SubmitRequest<'_>]) -> Vec<Submission> {
        let mut out = Vec::with_capacity(requests.len());
        self.admit_batch(requests, |s| out.push(s));
        out
    }

    /// Checks and admits a batch under one lock and one clock reading.
    fn admit_batch(&self, requests: &[SubmitRequest<'_>], mut each: impl FnMut(Submission)) {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let (mut ty, mut customer) = (None, None);
        for req in requests {
            let p = self.prepare(req, &mut ty);
            each(self.admit(&mut inner, req, p, now, &mut customer));
        }
    }

    fn admit<'a>(
        &self,
        inner: &mut Inner,
        req: &SubmitRequest<'a>,
        prepared: Result<Prepared>,
        now: u64,
        last: &mut Option<(&'a str, u32)>,
    ) -> Submission {
        let id = inner.next_id();
        let p = match prepared {
            Ok(p) => p,
            Err(e) => {
                // Listed under its customer when the name is valid.
                let customer = self.intern_customer(inner, req.customer_id).unwrap_or(NONE);
                return self.reject(inner, id, req, customer, u16::MAX, now, e);
            }
        };
        let known = match *last {
            Some((name, c)) if same(name, req.customer_id) => Ok(c),
            _ => self.intern_customer(inner, req.customer_id),
        };
        let customer = match known {
            Ok(c) => c,
            Err(e) => return self.reject(inner, id, req, NONE, p.type_index, now, e),
        };
        *last = Some((req.customer_id, customer));
        let site = match req.site {
            None => NONE,
            Some(name) => match inner.fleet.site_index.get(name) {
                Some(&s) => s,
                None => {
                    let e = Error::not_found("site", clip(name, 256));
                    return self.reject(inner, id, req, customer, p.type_index, now, e);
                }
            },
        };
        let ty = &self.types[p.type_index as usize].1;
        if let Err(e) = inner.fleet.could_ever_hold(ty.device_kind, p.gpus, p.units) {
            return self.reject(inner, id, req, customer, p.type_index, now, e);
        }
        let c = &inner.customers[customer as usize];
        if let Some(max) = c.cfg.max_queued {
            if c.queued >= max {
                let e = Error::new(
                    ErrorKind::CapacityExceeded,
                    format!("max_queued: customer {} already has {} workloads waiting", c.name, c.queued),
                );
                return self.reject(inner, id, req, customer, p.type_index, now, e);
            }
        }
        let w = Workload {
            customer,
            type_index: p.type_index,
            base_level: p.level,
            level: p.level,
            state: WorkloadState::Queued,
            gpus: p.gpus,
            units: p.units,
            site,
            submit_ns: now,
            stamp: 0,
            preemptions: 0,
            device: NONE,
            extra: None,
            latency_ms: p.latency_bound_ms.unwrap_or(f64::NAN),
            deadline_s: p.deadline_seconds.unwrap_or(f64::NAN),
            note: None,
        };
        if ty.on_miss == MissPolicy::Reject && w.expiry().is_some() {
            let need = self.need(&w, id, p.level);
            if !self.placeable(inner, &need, customer) {
                let what = if w.expiry().is_some_and(|e| e.1 == "deadline passed") {
                    "deadline_seconds"
                } else {
                    "latency_bound_ms"
                };
                let e = Error::new(
                    ErrorKind::CapacityExceeded,
                    format!("{what}: no device can start it now (on_miss: reject)"),
                );
                return self.reject(inner, id, req, customer, p.type_index, now, e);
            }
        }
        inner.workloads.push(w);
        inner.states[WorkloadState::Queued.index()] += 1;
        inner.queued_total[p.level as usize] += 1;
        inner.customers[customer as usize].submitted += 1;
        self.enqueue(inner, id);
        Submission { workload_id: id, state: WorkloadState::Queued, reason: None, error: None }
    }

    /// Records a refused submission under `id` and returns its [`Submission`].
    #[allow(clippy::too_many_arguments)] // the request's parts as far as they were resolved
    fn reject(
        &self,
        inner: &mut Inner,
        id: u64,
        req: &SubmitRequest<'_>,
        customer: u32,
        type_index: u16,
        now: u64,
        err: Error,
    ) -> Submission {
        let reason = err.message().to_string();
        let err = Error::new(err.kind(), format!("{reason} (workload {id} rejected)"));
        let level = req
            .priority
            .filter(|p| (1..=10).contains(p))
            .map_or_else(|| self.type_config(type_index).map_or(0, |t| t.priority - 1), |p| (p - 1) as u8);
        inner.workloads.push(Workload {
            customer,
            type_index,
            base_level: level,
            level,
            state: WorkloadState::Rejected,
            gpus: 0,
            units: 0,
            site: NONE,
            submit_ns: now,
            stamp: 0,
            preemptions: 0,
            device: NONE,
            extra: None,
            latency_ms: f64::NAN,
            deadline_s: f64::NAN,
            note: Some(Box::new(Note {
                reason: reason.clone(),
                customer_id: clip(req.customer_id, 256).to_string(),
                workload_type: clip(req.workload_type, 64).to_string(),
            })),
        });
        if let Some(c) = inner.customers.get_mut(customer as usize) {
            c.submitted += 1;
        }
        inner.states[WorkloadState::Rejected.index()] += 1;
        Submission { workload_id: id, state: WorkloadState::Rejected, reason: Some(reason), error: Some(err) }
    }

    /// The index of a customer, registering it (with its configured or the default weight and
    /// quotas) on first sight.
    pub(crate) fn intern_customer(&self, inner: &mut Inner, name: &str) -> Result<u32> {
        if let Some(&c) = inner.customer_index.get(name) {
            return Ok(c);
        }
        if name.is_empty() || name.len() > 256 {
            return Err(Error::invalid_input("customer_id", "must be 1..=256 bytes"));
        }
        if inner.customers.len() >= self.config.max_customers {
            return Err(Error::new(
                ErrorKind::CapacityExceeded,
                format!("customer_id: more than max_customers = {} customers", self.config.max_customers),
            ));
        }
        let cfg = self.config.customers.get(name).copied().unwrap_or(self.config.default_customer);
        let c = inner.customers.len() as u32;
        inner.customers.push(Customer::new(name, cfg));
        inner.customer_index.insert(name.into(), c);
        Ok(c)
    }

    /// What placement needs to know about a workload dispatched at `level`.
    pub(crate) fn need(&self, w: &Workload, id: u64, level: u8) -> Need {
        let ty = self.type_config(w.type_index);
        Need {
            kind: ty.map_or(DeviceKind::Gpu, |t| t.device_kind),
            gpus: w.gpus,
            units: w.units,
            site: w.site,
            id,
            preempt_level: (self.config.preemption && ty.is_some_and(|t| t.can_preempt)).then_some(level),
        }
    }

    // ------------------------------------------------------------------ lifecycle ----------

    /// The workload's index, `NotFound` for an unknown id — or, when `customer` is given, for a
    /// workload of another customer (isolation: others' ids do not exist).
    pub(crate) fn lookup(&self, inner: &Inner, id: u64, customer: Option<&str>) -> Result<usize> {
        let i = inner.index(id).ok_or_else(|| Error::not_found("workload", id))?;
        if let Some(name) = customer {
            if self.owner_name(inner, &inner.workloads[i]) != name {
                return Err(Error::not_found("workload", id));
            }
        }
        Ok(i)
    }

    fn owner_name<'a>(&self, inner: &'a Inner, w: &'a Workload) -> &'a str {
        match inner.customers.get(w.customer as usize) {
            Some(c) => &c.name,
            None => w.note.as_ref().map_or("", |n| &n.customer_id),
        }
    }

    fn illegal(id: u64, from: WorkloadState, to: WorkloadState) -> Error {
        Error::new(
            ErrorKind::IllegalTransition,
            format!("workload {id}: {} -> {} is not allowed", from.name(), to.name()),
        )
    }

    /// Moves a workload along one edge of the state machine, releasing its devices when it
    /// leaves Assigned/Running.
    fn transition(&self, inner: &mut Inner, id: u64, customer: Option<&str>, to: WorkloadState) -> Result<()> {
        let i = self.lookup(inner, id, customer)?;
        let from = inner.workloads[i].state;
        // `complete` on an assigned workload: it started and ended between polls.
        let via_running = from == WorkloadState::Assigned && to == WorkloadState::Completed;
        if !from.can_become(to) && !via_running {
            return Err(Self::illegal(id, from, to));
        }
        match from {
            WorkloadState::Queued => self.leave_queue(inner, id),
            WorkloadState::Assigned | WorkloadState::Running if to != WorkloadState::Running => self.release(inner, id),
            _ => {}
        }
        inner.workloads[i].state = to;
        inner.shift(from, to);
        Ok(())
    }

    /// Frees what an active workload holds: devices, power, the customer's quota.
    pub(crate) fn release(&self, inner: &mut Inner, id: u64) {
        let Some(i) = inner.index(id) else { return };
        let w = &mut inner.workloads[i];
        let (units, gpus, level, customer) = (w.units, w.gpus, w.level, w.customer);
        let first = std::mem::replace(&mut w.device, NONE);
        let extra = w.extra.take();
        w.stamp = w.stamp.wrapping_add(1);
        if first != NONE {
            inner.fleet.give_back(first, units);
        }
        for &d in extra.as_deref().unwrap_or(&[]) {
            inner.fleet.give_back(d, units);
        }
        if let Some(c) = inner.customers.get_mut(customer as usize) {
            c.gpus -= gpus;
            c.active -= 1;
        }
        inner.active.left(level);
        inner.fleet.touch();
    }

    /// Assigned/Running → Preempted → Queued: frees its devices and queues it again at its
    /// submitted priority and its original position.
    pub(crate) fn preempt_active(&self, inner: &mut Inner, id: u64) {
        let Some(i) = inner.index(id) else { return };
        let from = inner.workloads[i].state;
        self.release(inner, id);
        inner.shift(from, WorkloadState::Preempted);
        inner.shift(WorkloadState::Preempted, WorkloadState::Queued);
        inner.preemptions += 1;
        let w = &mut inner.workloads[i];
        w.state = WorkloadState::Queued;
        w.preemptions += 1;
        w.level = w.base_level;
        self.enqueue(inner, id);
    }

    /// Marks an assigned workload as running.
    pub fn start(&self, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, None, WorkloadState::Running)
    }
    /// Completes a workload (assigned or running) and frees its devices.
    pub fn complete(&self, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, None, WorkloadState::Completed)
    }
    /// Marks an assigned or running workload failed and frees its devices.
    pub fn fail(&self, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, None, WorkloadState::Failed)
    }
    /// Cancels a queued, assigned or running workload.
    pub fn cancel(&self, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, None, WorkloadState::Cancelled)
    }
    /// [`Router::start`] on behalf of `customer_id`: another customer's id is `NotFound`.
    pub fn start_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, Some(customer_id), WorkloadState::Running)
    }
    /// [`Router::complete`] on behalf of `customer_id`.
    pub fn complete_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, Some(customer_id), WorkloadState::Completed)
    }
    /// [`Router::fail`] on behalf of `customer_id`.
    pub fn fail_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, Some(customer_id), WorkloadState::Failed)
    }
    /// [`Router::cancel`] on behalf of `customer_id`.
    pub fn cancel_as(&self, customer_id: &str, id: u64) -> Result<()> {
        self.transition(&mut self.inner.lock(), id, Some(customer_id), WorkloadState::Cancelled)
    }

    /// Completes many workloads in one call (one lock).
    pub fn complete_batch(&self, ids: &[u64]) -> Vec<Result<()>> {
        let mut inner = self.inner.lock();
        ids.iter().map(|&id| self.transition(&mut inner, id, None, WorkloadState::Completed)).collect()
    }

    /// Takes an assigned or running workload off its devices and queues it again at its
    /// submitted priority and original position, keeping its submit time (operator action; the
    /// router also does this itself when higher-priority work needs the room).
    pub fn preempt(&self, id: u64) -> Result<()> {
        let mut inner = self.inner.lock();
        let i = self.lookup(&inner, id, None)?;
        let from = inner.workloads[i].state;
        if !from.can_become(WorkloadState::Preempted) {
            return Err(Self::illegal(id, from, WorkloadState::Preempted));
        }
        self.preempt_active(&mut inner, id);
        Ok(())
    }

    // ------------------------------------------------------------------ reading ------------

    /// What `id` looks like now (operator view).
    pub fn workload(&self, id: u64) -> Result<WorkloadInfo> {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let i = self.lookup(&inner, id, None)?;
        Ok(self.info(&inner, i, now))
    }

    /// What `id` looks like now, to `customer_id`; another customer's workload is `NotFound`.
    pub fn workload_as(&self, customer_id: &str, id: u64) -> Result<WorkloadInfo> {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let i = self.lookup(&inner, id, Some(customer_id))?;
        Ok(self.info(&inner, i, now))
    }

    fn info(&self, inner: &Inner, i: usize, now: u64) -> WorkloadInfo {
        let w = &inner.workloads[i];
        let note = w.note.as_deref();
        let effective = match w.state {
            WorkloadState::Queued => self.effective_level(w, now),
            _ => w.level,
        };
        WorkloadInfo {
            id: inner.first_id + i as u64,
            customer_id: self.owner_name(inner, w).to_string(),
            workload_type: match self.types.get(w.type_index as usize) {
                Some(t) => t.0.to_string(),
                None => note.map_or_else(String::new, |n| n.workload_type.clone()),
            },
            priority: w.base_level + 1,
            effective_priority: effective + 1,
            state: w.state,
            gpus: w.gpus,
            gpu_memory_gb: if self.kind_of(w) == DeviceKind::Gpu { w.units as f64 / 1024.0 } else { 0.0 },
            device_ids: w.devices().map(|d| inner.fleet.devices[d as usize].id.to_string()).collect(),
            submit_seconds: w.submit_ns as f64 * 1e-9,
            latency_bound_ms: w.latency_bound_ms(),
            deadline_seconds: w.deadline_seconds(),
            preemptions: w.preemptions,
            reason: note.map(|n| n.reason.clone()),
        }
    }

    /// Counts by state; `submitted` equals the sum of the others.
    pub fn counts(&self) -> StateCounts {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        Self::counts_of(&inner)
    }

    pub(crate) fn counts_of(inner: &Inner) -> StateCounts {
        let g = |s: WorkloadState| inner.states[s.index()];
        let c = StateCounts {
            submitted: 0,
            queued: g(WorkloadState::Queued) + g(WorkloadState::Preempted),
            assigned: g(WorkloadState::Assigned),
            running: g(WorkloadState::Running),
            completed: g(WorkloadState::Completed),
            failed: g(WorkloadState::Failed),
            cancelled: g(WorkloadState::Cancelled),
            rejected: g(WorkloadState::Rejected),
            preemptions: inner.preemptions,
        };
        StateCounts {
            submitted: c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected,
            ..c
        }
    }

    /// Counts by state from a walk over every workload (O(workloads); for tests and audits:
    /// it must equal [`Router::counts`]).
    pub fn scan_counts(&self) -> StateCounts {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let mut c = StateCounts { preemptions: inner.preemptions, ..StateCounts::default() };
        for w in &inner.workloads {
            c.submitted += 1;
            match w.state {
                WorkloadState::Queued | WorkloadState::Preempted => c.queued += 1,
                WorkloadState::Assigned => c.assigned += 1,
                WorkloadState::Running => c.running += 1,
                WorkloadState::Completed => c.completed += 1,
                WorkloadState::Failed => c.failed += 1,
                WorkloadState::Cancelled => c.cancelled += 1,
                WorkloadState::Rejected => c.rejected += 1,
            }
        }
        c
    }

    // ------------------------------------------------------------------ customers ----------

    /// Fair-share weight of a customer (configured, changed at run time, or the default).
    pub fn customer_weight(&self, customer_id: &str) -> u32 {
        let inner = self.inner.lock();
        match inner.customer_index.get(customer_id) {
            Some(&c) => inner.customers[c as usize].cfg.weight,
            None => self.config.customers.get(customer_id).map_or(self.config.default_customer.weight, |c| c.weight),
        }
    }

    /// Changes a customer's weight and quotas now (work already admitted stays; a lower
    /// `max_gpus` makes new work wait, a lower `max_queued` refuses new submissions).
    pub fn set_customer(&self, customer_id: &str, config: CustomerConfig) -> Result<()> {
        let config = config.validated()?;
        let mut inner = self.inner.lock();
        let c = self.intern_customer(&mut inner, customer_id)?;
        inner.customers[c as usize].cfg = config;
        inner.fleet.touch();
        Ok(())
    }

    /// A customer's weight and quotas with its live counts (a customer the router has not seen
    /// reads as its configured or default values with zero counts).
    pub fn customer(&self, customer_id: &str) -> Result<CustomerInfo> {
        if customer_id.is_empty() || customer_id.len() > 256 {
            return Err(Error::invalid_input("customer_id", "must be 1..=256 bytes"));
        }
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        Ok(match inner.customer_index.get(customer_id) {
            Some(&c) => {
                let c = &inner.customers[c as usize];
                CustomerInfo {
                    customer_id: customer_id.to_string(),
                    weight: c.cfg.weight,
                    max_gpus: c.cfg.max_gpus,
                    max_queued: c.cfg.max_queued,
                    queued: c.queued,
                    active: c.active,
                    gpus_held: c.gpus,
                    submitted: c.submitted,
                }
            }
            None => {
                let cfg = self.config.customers.get(customer_id).copied().unwrap_or(self.config.default_customer);
                CustomerInfo {
                    customer_id: customer_id.to_string(),
                    weight: cfg.weight,
                    max_gpus: cfg.max_gpus,
                    max_queued: cfg.max_queued,
                    queued: 0,
                    active: 0,
                    gpus_held: 0,
                    submitted: 0,
                }
            }
        })
    }

    /// Every workload of a customer, in id order (accepted and rejected). O(workloads): an
    /// operator's listing, kept off the per-workload path.
    pub fn customer_workloads(&self, customer_id: &str) -> Vec<WorkloadInfo> {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        let Some(&c) = inner.customer_index.get(customer_id) else { return Vec::new() };
        (0..inner.workloads.len())
            .filter(|&i| inner.workloads[i].customer == c)
            .map(|i| self.info(&inner, i, now))
            .collect()
    }
}

/// String equality that skips the byte compare when both are the same slice (a batch built
/// from one `&str`).
#[inline]
fn same(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// The first `max` bytes of `s` (at a char boundary): names echoed in errors stay bounded.
pub(crate) fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
