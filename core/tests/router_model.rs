//! The router against an independent reference model of docs/router.md.
//!
//! `router_model/model.rs` is a plain, single-threaded model written from the spec alone (not
//! from the router's code). `differential` and `differential_under_pressure` drive seeded
//! random operation sequences through the model and through `hcpcore::router::Router`, compare the
//! result of every call, and after every call the whole observable state (counts, queue
//! depths, every workload, device, site load and customer). The `regress_*` and `spec_*` tests
//! pin down defects the router once had and the spec's examples; `router_bug_*` tests are the
//! minimal cases of the disagreements listed below. Every scenario runs on both sides
//! (`model_meets_every_scenario` checks the model alone).
//!
//! By default 256 general cases plus 128 "pressure" cases (full GPUs, preempting work, quotas,
//! caps), each up to 8 device registrations then 1..=60 operations, from a fixed seed (about
//! 5 s in a debug build). `ROUTER_MODEL_CASES=n` (general; pressure gets n/2) and
//! `ROUTER_MODEL_SEED=k` run more or other cases.
//!
//! # Disagreements found, and how each was settled
//!
//! The first run found six: two router defects, fixed in the router (mining work at a site
//! over its cap curtailed the very miner it was placed on — `regress_mining_not_on_curtailed_miner`;
//! a batch dispatched a requeued `drop` victim past its bound — `regress_batch_drops_requeued_victim`),
//! and four points the first draft of docs/router.md left open or stated otherwise, settled by
//! clarifying the spec (weighted round robin, not stride scheduling — `spec_round_robin_*`;
//! `fail`/`cancel` take assigned work; a profit override lasts until the next market; work
//! waits while no device of its kind exists). See `model::Follow`.
//!
//! # Readings of the spec (questions it leaves open, and the answer the model takes)
//!
//! Where a reading was changed after comparing with the router, the first reading is named.
//!
//! 1. Sites are registered when first named by `add_device`, in that order, and never
//!    forgotten (a site whose devices were all removed still counts in `id mod sites`).
//!    `resume_miners` and `site_load_kw` of a site never named are `NotFound`; the random
//!    test sets caps and resumes only on registered sites. A cap below the current load is
//!    accepted (it gates new work only); `add_device` at a capped site always succeeds and an
//!    ASIC starts awake even if that puts the site over its cap.
//! 2. Mining work adds no power (its miner is already awake), so it needs no admission and
//!    curtails nothing. Otherwise it is single-device work: same site order, candidates and
//!    score (an ASIC's fit is 1; profit as in the brief; GPU profit is 0 unless set).
//! 3. Site load sums GPU work power per (workload, device) allocation,
//!    `round(max(0, TDP − idle) × min(1, units / capacity) × 1000)` mW each, so the load after
//!    a placement is the load before plus the power admitted. A curtailed miner still draws
//!    `round(P·1000) − round(max(0, P − sleep)·1000)` mW.
//! 4. "Never fits" (§2) is its parenthetical: no registered device of the kind at all, or
//!    (GPU work) more MB per GPU than the largest GPU, or more GPUs than the site with the
//!    most GPUs has (the two checked separately). Drained and curtailed devices count.
//! 5. Aging and bounds use exact integer nanoseconds: effective priority =
//!    `max(1, p − (now_ns − submit_ns) / round(A·1e9))`; a bound is missed when
//!    `now_ns − submit_ns > round(bound·1e6 or ·1e9)`. When both are missed the reason is the
//!    one that passed first (the smaller bound; the latency bound on a tie).
//! 6. "Failed the moment the router looks at it" (§8): no call ever observes `drop`/`reject`
//!    work queued past a bound. It is failed as soon as the clock passes the bound, or as soon
//!    as it re-enters the queue past it (a preempted victim, including between the steps of a
//!    `dispatch_batch`). First reading: "at the next dispatch".
//! 7. `reject` policy: a submission is rejected (`CapacityExceeded`) when the workload is not
//!    placeable (§2, preemption included) at the moment of submission; else it is queued.
//! 8. State machine (§13) literally: `fail` needs `running`; `cancel` needs `queued` or
//!    `running`; `complete` takes `assigned` or `running`; operator `preempt` takes any
//!    `assigned`/`running` work (preemptible type or not), requeues it, counts a preemption.
//! 9. `set_device_available(curtailed, true)` is `Conflict`; `(curtailed, false)` succeeds:
//!    the miner stays curtailed and wakes drained (first reading: `Conflict` as well).
//!    `resume_miners` goes through the curtailed miners in descending revenue-per-kW order
//!    (ties: registration order) and wakes each one the cap allows, skipping the others
//!    (first reading: stop at the first one the cap does not allow).
//! 10. Stride passes are integers: `pass = eff + 2^40 / weight`. "Seen first" is the order in
//!     which customers are first named by `set_customer` or by any submission (even a rejected
//!     one, unless its customer id is invalid); being listed in the config does not count
//!     (first reading: config customers first, in name order).
//! 11. Multi-GPU placement: §5 says "the g best-fit ones … at the first site where g devices
//!     fit and the site admits their power", but §2 calls work placeable whenever g devices
//!     with room fit under the cap. Read together: at each site the g best-fit devices if the
//!     site admits their power, else the g that add the least power (ties: best-fit order;
//!     admission depends only on the total, so these are admitted if any g are), listed in
//!     best-fit order; else the next site. First readings: only the g best-fit devices; then a
//!     greedy pick (which can miss an admissible set).
//! 12. `max_gpus` counts devices held by assigned/running work (a miner counts as one); a
//!     workload is placeable only if `held + devices it needs ≤ max_gpus`, held counted before
//!     any preemption.
//! 13. Preemption: victims are added lowest dispatch priority first, then highest id; unneeded
//!     ones are dropped in the reverse order; `preempted_workload_ids` lists the final victims
//!     in the order they were added. The preemptor's effective priority is compared with the
//!     victims' dispatch priorities (`Assignment.priority` is the effective priority at
//!     dispatch). `remove_device` returns the ids it preempted, ascending.
//! 14. `age()` counts queued workloads whose effective level differs from the level at the
//!     last `age()`, or, for work that entered the queue since, from the level it entered at:
//!     its submitted priority (a requeued victim re-enters "at its submitted priority", §7, so
//!     aging it had earned shows in the next `age()`; first reading: its aged level).
//! 15. Compared fields: `WorkloadInfo.effective_priority` while queued (aged now) and while
//!     active (dispatch priority); `device_ids` only while active; a rejected workload's
//!     `reason` for presence only, every other reason exactly (`None` unless failed by §8);
//!     `gpu_memory_gb` is the memory reserved per GPU, `need_mb / 1024` (a 0 GB request shows
//!     1 MB), as the router reports it.
//! 16. `customer(id)` of a customer never named answers its configured (or the default)
//!     configuration with zero counts, not `NotFound`, as the router does.
//! 17. Not generated (left open): a site preference naming an unregistered site (the model
//!     says `InvalidInput`), `gpus`/`gpu_memory_gb` on mining work, `max_gpus`/`max_queued` of 0,
//!     caps on unregistered sites. The router requires `candidates_per_site ≤ max_candidates`.

#[path = "router_model/api.rs"]
mod api;
#[path = "router_model/model.rs"]
mod model;
#[path = "router_model/real.rs"]
mod real;

use std::fmt::Write as _;
use std::time::Instant;

use api::*;
use hcpcore::econ::{Fees, Market};
use hcpcore::router::{Router, SubmitRequest};
use hcpcore::ErrorKind;
use model::Model;
use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use real::Real;

// ---------------------------------------------------------------------------------------------
// Random operation sequences
// ---------------------------------------------------------------------------------------------

const DEVS: [&str; 12] = ["g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "m0", "m1", "m2", "m3"];
const GPU_MODELS: [&str; 2] = ["H100_SXM", "H100_PCIe"];
const ASIC_MODELS: [&str; 3] = ["S21", "S19_XP", "S21_XP"];
const SITES: [&str; 3] = ["s0", "s1", "s2"];
const CUSTS: [&str; 3] = ["alice", "bob", "carol"];
const TYPES: [&str; 7] =
    ["ai_inference_realtime", "ai_inference_batch", "model_training", "bitcoin_mining", "urgent", "strict", "nope"];

fn is_gpu_dev(i: usize) -> bool {
    i < 8
}

/// A test type that drops work past a 6.5 s deadline and may preempt.
fn urgent_type() -> TypeCfg {
    TypeCfg {
        name: "urgent".into(),
        priority: 3,
        kind: Kind::Gpu,
        gpus: 1,
        gpu_memory_gb: 16.0,
        latency_bound_ms: None,
        deadline_seconds: Some(6.5),
        preemptible: true,
        can_preempt: true,
        on_miss: Miss::Drop,
    }
}

/// A test type with the `reject` policy.
fn strict_type() -> TypeCfg {
    TypeCfg {
        name: "strict".into(),
        priority: 2,
        kind: Kind::Gpu,
        gpus: 1,
        gpu_memory_gb: 8.0,
        latency_bound_ms: Some(500.0),
        deadline_seconds: None,
        preemptible: false,
        can_preempt: false,
        on_miss: Miss::Reject,
    }
}

#[derive(Clone, Debug)]
struct GReq {
    cust: usize,
    ty: usize,
    prio: Option<i64>,
    gpus: Option<i64>,
    gb: Option<f64>,
    site: Option<usize>,
    latency: Option<f64>,
    deadline: Option<f64>,
}

#[derive(Clone, Debug)]
enum Op {
    Add {
        dev: usize,
        model: usize,
        site: usize,
        gb: Option<f64>,
    },
    Remove(usize),
    Avail(usize, bool),
    Thermal(usize, f64),
    Profit(usize, f64),
    Cap(usize, Option<f64>),
    Resume(usize),
    Market(f64),
    /// how: 0 `submit`, 1 `try_submit`, 2 `submit_batch`.
    Submit(u8, Vec<GReq>),
    Dispatch,
    DispatchBatch(usize),
    /// The pick: below 1000 an id (see `resolve`); from 1000 on, the (pick − 1000)-th active
    /// (assigned or running) workload, or for `Cancel` the queued one, when there is one.
    Trans(Tr, Option<usize>, u16),
    CompleteBatch(Vec<u16>),
    Advance(f64),
    Age,
    SetCust(usize, CustCfg),
}

/// An operation with every name and id resolved.
#[derive(Clone, Debug)]
enum Call {
    Add(String, &'static str, &'static str, String, Option<f64>),
    Remove(String),
    Avail(String, bool),
    Thermal(String, f64),
    Profit(String, f64),
    Cap(String, Option<f64>),
    Resume(String),
    Market(f64),
    Submit(Req),
    TrySubmit(Req),
    SubmitBatch(Vec<Req>),
    Dispatch,
    DispatchBatch(usize),
    Trans(Tr, Option<String>, u64),
    CompleteBatch(Vec<u64>),
    Advance(f64),
    Age,
    SetCust(String, CustCfg),
}

#[derive(Clone, Debug, PartialEq)]
enum Out {
    Unit(R<()>),
    Ids(R<Vec<u64>>),
    Names(R<Vec<String>>),
    Id(R<u64>),
    Try(TrySub),
    Batch(Vec<R<u64>>),
    One(Option<Asg>),
    Many(Vec<Asg>),
    Results(Vec<R<()>>),
    Count(usize),
}

fn market(electricity_usd_per_kwh: f64) -> Market {
    Market::new(100_000.0, 1.0e14, 840_000, Fees::BtcPerBlock(0.0), electricity_usd_per_kwh, 2.0, 0.0).unwrap()
}

fn resolve_req(g: &GReq, m: &Model, n_sites: usize) -> Req {
    let ty = TYPES[g.ty];
    let mining = ty == "bitcoin_mining";
    let site = g.site.map(|i| SITES[i % n_sites]).filter(|s| m.site_known(s));
    Req {
        customer_id: CUSTS[g.cust].into(),
        workload_type: ty.into(),
        priority: g.prio,
        gpus: if mining { None } else { g.gpus },
        gpu_memory_gb: if mining { None } else { g.gb },
        site: site.map(String::from),
        latency_bound_ms: g.latency,
        deadline_seconds: g.deadline,
    }
}

fn resolve(op: &Op, m: &Model, n_sites: usize) -> Call {
    // The id itself when it has been handed out (so shrinking keeps it), else one in
    // 1..=next_id (the last is unknown).
    let id_of =
        |pick: u16| if (pick as u64) < m.next_id() && pick > 0 { pick as u64 } else { 1 + pick as u64 % m.next_id() };
    match op {
        Op::Add { dev, model, site, gb } => {
            let (kind, model, gb) = if is_gpu_dev(*dev) {
                ("gpu", GPU_MODELS[model % GPU_MODELS.len()], *gb)
            } else {
                ("asic", ASIC_MODELS[model % ASIC_MODELS.len()], None)
            };
            let site = SITES[site % n_sites];
            if m.follow.on("mining_admission") && m.add_exceeds_cap(site, model) {
                return Call::Age; // keep every site within its cap (see `Follow`)
            }
            Call::Add(DEVS[*dev].into(), kind, model, site.into(), gb)
        }
        Op::Remove(d) => Call::Remove(DEVS[*d].into()),
        Op::Avail(d, a) => Call::Avail(DEVS[*d].into(), *a),
        Op::Thermal(d, h) => Call::Thermal(DEVS[*d].into(), *h),
        Op::Profit(d, p) => Call::Profit(DEVS[*d].into(), *p),
        // Caps and resumes only on registered sites (reading 1).
        Op::Cap(s, kw) => match SITES.iter().take(n_sites).cycle().skip(*s).take(n_sites).find(|s| m.site_known(s)) {
            Some(site) => {
                let mut kw = *kw;
                if m.follow.on("mining_admission") {
                    // Keep every site within its cap (see `Follow`): no cap below the load.
                    let load = m.site_load_kw(site).unwrap();
                    kw = kw.map(|k| k.max((load * 2.0).ceil() / 2.0));
                }
                Call::Cap(site.to_string(), kw)
            }
            None => Call::Age,
        },
        Op::Resume(s) => match SITES.iter().take(n_sites).cycle().skip(*s).take(n_sites).find(|s| m.site_known(s)) {
            Some(site) => Call::Resume(site.to_string()),
            None => Call::Age,
        },
        Op::Market(e) => Call::Market(*e),
        Op::Submit(how, reqs) => {
            let reqs: Vec<Req> = reqs.iter().map(|g| resolve_req(g, m, n_sites)).collect();
            match how {
                0 => Call::Submit(reqs[0].clone()),
                1 => Call::TrySubmit(reqs[0].clone()),
                _ => Call::SubmitBatch(reqs),
            }
        }
        Op::Dispatch => Call::Dispatch,
        Op::DispatchBatch(n) => Call::DispatchBatch(*n),
        Op::Trans(t, c, pick) => {
            let c = if *t == Tr::Preempt { None } else { c.map(|c| CUSTS[c].to_string()) };
            let id = if *pick >= 1000 {
                let want =
                    |st: St| if *t == Tr::Cancel { st == St::Queued } else { matches!(st, St::Assigned | St::Running) };
                let ids: Vec<u64> = (1..m.next_id()).filter(|&i| m.workload(i).is_ok_and(|w| want(w.state))).collect();
                if ids.is_empty() {
                    id_of(*pick - 1000)
                } else {
                    ids[(*pick - 1000) as usize % ids.len()]
                }
            } else {
                id_of(*pick)
            };
            Call::Trans(*t, c, id)
        }
        Op::CompleteBatch(picks) => Call::CompleteBatch(picks.iter().map(|&p| id_of(p)).collect()),
        Op::Advance(s) => Call::Advance(*s),
        Op::Age => Call::Age,
        Op::SetCust(c, cfg) => Call::SetCust(CUSTS[*c].into(), cfg.clone()),
    }
}

fn exec(s: &mut dyn Sys, c: &Call) -> Out {
    match c {
        Call::Add(id, kind, model, site, gb) => Out::Unit(s.add_device(id, kind, model, site, *gb)),
        Call::Remove(id) => Out::Ids(s.remove_device(id)),
        Call::Avail(id, a) => Out::Unit(s.set_available(id, *a)),
        Call::Thermal(id, h) => Out::Unit(s.set_thermal(id, *h)),
        Call::Profit(id, p) => Out::Unit(s.set_profit(id, *p)),
        Call::Cap(site, kw) => Out::Unit(s.set_cap(site, *kw)),
        Call::Resume(site) => Out::Names(s.resume_miners(site)),
        Call::Market(e) => {
            s.set_market(market(*e));
            Out::Unit(Ok(()))
        }
        Call::Submit(r) => Out::Id(s.submit(r)),
        Call::TrySubmit(r) => Out::Try(s.try_submit(r)),
        Call::SubmitBatch(rs) => Out::Batch(s.submit_batch(rs)),
        Call::Dispatch => Out::One(s.dispatch()),
        Call::DispatchBatch(n) => Out::Many(s.dispatch_batch(*n)),
        Call::Trans(t, c, id) => Out::Unit(s.transition(*t, c.as_deref(), *id)),
        Call::CompleteBatch(ids) => Out::Results(s.complete_batch(ids)),
        Call::Advance(secs) => Out::Unit(s.advance(*secs)),
        Call::Age => Out::Count(s.age()),
        Call::SetCust(c, cfg) => Out::Unit(s.set_customer(c, cfg.clone())),
    }
}

/// Everything observable, in a fixed order.
#[derive(Debug, PartialEq)]
struct Snap {
    counts: Counts,
    depths: [u64; 10],
    workloads: Vec<(u64, R<WInfo>)>,
    devices: Vec<(&'static str, R<DInfo>)>,
    loads: Vec<(&'static str, R<f64>)>,
    customers: Vec<(&'static str, R<CInfo>, Vec<u64>)>,
}

fn snapshot(s: &dyn Sys, next_id: u64) -> Snap {
    Snap {
        counts: s.counts(),
        depths: s.queue_depths(),
        workloads: (1..=next_id).map(|id| (id, s.workload(id))).collect(),
        devices: DEVS.iter().map(|d| (*d, s.device(d))).collect(),
        loads: SITES.iter().map(|x| (*x, s.site_load_kw(x))).collect(),
        customers: CUSTS.iter().map(|c| (*c, s.customer(c), s.customer_workloads(c))).collect(),
    }
}

/// The first differences between two snapshots, readably.
fn snap_diff(m: &Snap, r: &Snap) -> String {
    let mut out = String::new();
    if m.counts != r.counts {
        let _ = writeln!(out, "counts: model {:?}\n        router {:?}", m.counts, r.counts);
    }
    if m.depths != r.depths {
        let _ = writeln!(out, "queue_depths: model {:?} router {:?}", m.depths, r.depths);
    }
    for (a, b) in m.workloads.iter().zip(&r.workloads) {
        if a != b {
            let _ = writeln!(out, "workload {}: model {:?}\n            router {:?}", a.0, a.1, b.1);
        }
    }
    for (a, b) in m.devices.iter().zip(&r.devices) {
        if a != b {
            let _ = writeln!(out, "device {}: model {:?}\n          router {:?}", a.0, a.1, b.1);
        }
    }
    for (a, b) in m.loads.iter().zip(&r.loads) {
        if a != b {
            let _ = writeln!(out, "site_load_kw({}): model {:?} router {:?}", a.0, a.1, b.1);
        }
    }
    for (a, b) in m.customers.iter().zip(&r.customers) {
        if a != b {
            let _ =
                writeln!(out, "customer {}: model {:?} {:?}\n            router {:?} {:?}", a.0, a.1, a.2, b.1, b.2);
        }
    }
    out
}

/// Devices, site loads and active work, as the model sees them (for failure reports).
fn fleet_state(m: &Model) -> String {
    let mut out = String::new();
    for d in DEVS {
        if let Ok(i) = m.device(d) {
            let _ = writeln!(out, "  {i:?}");
        }
    }
    for site in SITES {
        if let Ok(kw) = m.site_load_kw(site) {
            let _ = writeln!(out, "  site {site}: load {kw} kW");
        }
    }
    for id in 1..m.next_id() {
        let w = m.workload(id).unwrap();
        if w.state != St::Rejected {
            let _ = writeln!(
                out,
                "  w{id}: {:?} {:?} p{:?} eff{:?} {:?}",
                w.state, w.workload_type, w.priority, w.effective_priority, w.device_ids
            );
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Case {
    cfg: Config,
    n_sites: usize,
    ops: Vec<Op>,
}

/// What the differential runs exercised (counted on the model's results), for the summary line.
#[derive(Default, Debug)]
struct Coverage {
    ops: usize,
    placed: usize,
    multi_gpu: usize,
    mining: usize,
    preempting: usize,
    curtailing: usize,
    late: usize,
    dispatch_none: usize,
    submit_ok: usize,
    submit_err: usize,
    op_errors: usize,
    dropped: usize,
    woken: usize,
}

thread_local! {
    static COVERAGE: std::cell::RefCell<Coverage> = std::cell::RefCell::new(Coverage::default());
}

fn count(out: &Out) {
    COVERAGE.with(|c| {
        let mut c = c.borrow_mut();
        c.ops += 1;
        let asg = |a: &Asg, c: &mut Coverage| {
            c.placed += 1;
            c.multi_gpu += (a.device_ids.len() > 1) as usize;
            c.mining += a.device_ids[0].starts_with('m') as usize;
            c.preempting += !a.preempted.is_empty() as usize;
            c.curtailing += !a.curtailed.is_empty() as usize;
            c.late += (a.wait_seconds > 0.0) as usize;
        };
        match out {
            Out::One(Some(a)) => asg(a, &mut c),
            Out::One(None) => c.dispatch_none += 1,
            Out::Many(v) => v.iter().for_each(|a| asg(a, &mut c)),
            Out::Id(Ok(_)) => c.submit_ok += 1,
            Out::Id(Err(_)) => c.submit_err += 1,
            Out::Try(t) => {
                if t.error.is_some() {
                    c.submit_err += 1
                } else {
                    c.submit_ok += 1
                }
            }
            Out::Batch(v) => v.iter().for_each(|r| if r.is_ok() { c.submit_ok += 1 } else { c.submit_err += 1 }),
            Out::Unit(Err(_)) | Out::Ids(Err(_)) | Out::Names(Err(_)) => c.op_errors += 1,
            Out::Results(v) => c.op_errors += v.iter().filter(|r| r.is_err()).count(),
            Out::Names(Ok(v)) => c.woken += v.len(),
            _ => {}
        }
    });
}

/// Runs a case on both sides; `Err` describes the first disagreement with the calls leading to it.
fn run_case(case: &Case) -> Result<(), String> {
    let mut m = Model::new(case.cfg.clone());
    let mut r = Real::new(&case.cfg);
    let mut calls: Vec<Call> = Vec::new();
    for op in &case.ops {
        let call = resolve(op, &m, case.n_sites);
        calls.push(call.clone());
        let before = fleet_state(&m);
        let om = exec(&mut m, &call);
        let or = exec(&mut r, &call);
        count(&om);
        let history = || calls.iter().enumerate().map(|(i, c)| format!("  #{i} {c:?}\n")).collect::<String>();
        if om != or {
            return Err(format!(
                "result of the last call differs\n  model:  {om:?}\n  router: {or:?}\ncalls:\n{}\
                 fleet before the last call (model):\n{before}",
                history()
            ));
        }
        let sm = snapshot(&m, m.next_id());
        let sr = snapshot(&r, m.next_id());
        if sm != sr {
            return Err(format!("state differs after the last call\n{}calls:\n{}", snap_diff(&sm, &sr), history()));
        }
    }
    let dropped = (1..m.next_id())
        .filter(|&id| m.workload(id).is_ok_and(|w| w.state == St::Failed && w.reason.is_some()))
        .count();
    COVERAGE.with(|c| c.borrow_mut().dropped += dropped);
    Ok(())
}

fn cust_cfg() -> impl Strategy<Value = CustCfg> {
    let weights = vec![1u32, 1, 2, 3, 5];
    (
        prop::sample::select(weights),
        prop::sample::select(vec![None, None, Some(1u32), Some(2), Some(4)]),
        prop::sample::select(vec![None, None, Some(2u32), Some(4), Some(8)]),
    )
        .prop_map(|(weight, max_gpus, max_queued)| CustCfg { weight, max_gpus, max_queued })
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop::sample::select(vec![0.0, 10.0, 10.0, 60.0]),
        prop::bool::weighted(0.85),
        1usize..=4,
        1usize..=2,
        prop::sample::select(vec![
            Weights::default(),
            Weights { fit: 1.0, opportunity_cost: 2.0, locality: 0.0, thermal: 1.0 },
            Weights { fit: 0.5, opportunity_cost: 0.0, locality: 1.0, thermal: 2.0 },
        ]),
        prop::collection::vec(prop::option::weighted(0.5, cust_cfg()), 3),
    )
        .prop_map(|(aging, preemption, max_candidates, cps, weights, custs)| {
            let mut types = builtin_types();
            types.push(urgent_type());
            types.push(strict_type());
            Config {
                aging_seconds: aging,
                preemption,
                max_candidates,
                candidates_per_site: cps.min(max_candidates), // the router requires cps <= max_candidates
                weights,
                customers: custs
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, c)| c.map(|c| (CUSTS[i].to_string(), c)))
                    .collect(),
                default_customer: CustCfg::default(),
                types,
            }
        })
}

/// `pressure`: the mix that keeps GPUs full of preemptible work and sends preempting work at
/// them (preemption, quotas and curtailment under load); otherwise the general mix.
fn greq(pressure: bool) -> impl Strategy<Value = GReq> {
    let ty = if pressure {
        prop_oneof![3 => Just(0usize), 2 => Just(1), 4 => Just(2), 1 => Just(3), 3 => Just(4)].boxed()
    } else {
        prop_oneof![
            4 => Just(0usize),
            3 => Just(1),
            4 => Just(2),
            2 => Just(3),
            2 => Just(4),
            1 => Just(5),
            1 => Just(6),
        ]
        .boxed()
    };
    let q = 1 - pressure as u32;
    let invalid_prio = prop::sample::select(vec![Some(0i64), Some(11)]);
    let prio = prop_oneof![12 => Just(None), 1 + 6 * q => (1i64..=10).prop_map(Some), q => invalid_prio];
    let invalid_gpus = prop::sample::select(vec![Some(0i64), Some(1025)]);
    let gpus = prop_oneof![
        12 => Just(None),
        2 => Just(Some(1i64)),
        2 + 3 * q => (2i64..=3).prop_map(Some),
        q => invalid_gpus,
    ];
    let sizes = if pressure {
        vec![10.0, 20.0, 20.0, 24.0, 40.0, 40.0, 41.0, 60.0, 80.0]
    } else {
        vec![
            0.0, 5.0, 10.0, 10.5, 20.0, 24.0, 39.0, 40.0, 41.0, 60.0, 70.0, 80.0, 81.0, 150.0, 180.0, 190.0, 199.5,
            500.0, -1.0,
        ]
    };
    let gb = prop_oneof![3 => Just(None), 7 => prop::sample::select(sizes).prop_map(Some)];
    let site = prop::option::weighted(0.4, 0usize..3);
    let latency = prop::option::weighted(0.15, prop::sample::select(vec![50.0, 100.0, 150.0, 0.0]));
    let deadline = prop::option::weighted(0.15, prop::sample::select(vec![0.05, 0.5, 6.5, 30.0]));
    (0usize..3, ty, prio, gpus, gb, site, latency, deadline).prop_map(
        |(cust, ty, prio, gpus, gb, site, latency, deadline)| GReq {
            cust,
            ty,
            prio,
            gpus,
            gb,
            site,
            latency,
            deadline,
        },
    )
}

fn add_op() -> impl Strategy<Value = Op> {
    (
        0usize..12,
        0usize..6,
        0usize..3,
        prop::option::weighted(0.8, prop::sample::select(vec![24.0, 40.0, 41.0, 80.0, 81.0, 200.0])),
    )
        .prop_map(|(dev, model, site, gb)| Op::Add { dev, model, site, gb })
}

fn op(pressure: bool) -> impl Strategy<Value = Op> {
    let dev = 0usize..12;
    let p = pressure as u32;
    let trans = if pressure {
        vec![Tr::Start, Tr::Start, Tr::Start, Tr::Complete, Tr::Fail, Tr::Cancel, Tr::Preempt]
    } else {
        vec![Tr::Start, Tr::Start, Tr::Complete, Tr::Complete, Tr::Fail, Tr::Cancel, Tr::Preempt]
    };
    let caps = vec![None, Some(1.0), Some(3.0), Some(4.0), Some(4.5), Some(8.0), Some(12.0)];
    prop_oneof![
        24 => (prop_oneof![6 => Just(0u8), 3 => Just(1), 2 => Just(2)], prop::collection::vec(greq(pressure), 3))
            .prop_map(|(how, mut reqs)| { if how < 2 { reqs.truncate(1) } Op::Submit(how, reqs) }),
        16 + 6 * p => Just(Op::Dispatch),
        5 => (0usize..4).prop_map(Op::DispatchBatch),
        16 - 6 * p => (
            prop::sample::select(trans),
            prop::option::weighted(0.25, 0usize..3),
            prop_oneof![0u16..48, 1000u16..1008],
        )
            .prop_map(|(t, c, p)| Op::Trans(t, c, p)),
        2 => prop::collection::vec(0u16..48, 1..4).prop_map(Op::CompleteBatch),
        6 => prop::sample::select(vec![0.03, 0.05, 0.4, 2.5, 7.0, 13.0]).prop_map(Op::Advance),
        2 => Just(Op::Age),
        3 => add_op(),
        2 => dev.clone().prop_map(Op::Remove),
        3 => (dev.clone(), prop::bool::ANY).prop_map(|(d, a)| Op::Avail(d, a)),
        1 => (dev.clone(), prop::sample::select(vec![0.0, 0.25, 0.5, 1.0])).prop_map(|(d, h)| Op::Thermal(d, h)),
        1 => (dev, prop::sample::select(vec![-1.0, 0.0, 1.5, 3.0])).prop_map(|(d, p)| Op::Profit(d, p)),
        6 => (0usize..3, prop::sample::select(caps)).prop_map(|(s, kw)| Op::Cap(s, kw)),
        4 => (0usize..3).prop_map(Op::Resume),
        1 => prop::sample::select(vec![0.03, 0.12]).prop_map(Op::Market),
        3 => (0usize..3, cust_cfg()).prop_map(|(c, cfg)| Op::SetCust(c, cfg)),
    ]
}

fn case(pressure: bool) -> impl Strategy<Value = Case> {
    let sites = if pressure { 1usize..=2 } else { 1usize..=3 };
    (config(), sites, prop::collection::vec(add_op(), 1..=8), prop::collection::vec(op(pressure), 1..=60))
        .prop_map(|(cfg, n_sites, setup, ops)| Case { cfg, n_sites, ops: setup.into_iter().chain(ops).collect() })
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `cases` seeded cases through `check`, panicking with the shrunk failing case.
fn run_seeded(cases: u32, pressure: bool, check: impl Fn(&Case) -> Result<(), String>) {
    let seed = env_u64("ROUTER_MODEL_SEED", 0);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let config = PtConfig { cases, failure_persistence: None, max_shrink_iters: 4096, ..PtConfig::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let started = Instant::now();
    let result = runner.run(&case(pressure), |c| check(&c).map_err(TestCaseError::fail));
    match result {
        Ok(()) => {
            eprintln!("{cases} cases in {:.1} s", started.elapsed().as_secs_f64());
            COVERAGE.with(|c| eprintln!("{:?}", c.borrow()));
        }
        Err(TestError::Fail(why, case)) => {
            panic!("model and router disagree (seed {seed}, pressure {pressure})\n{why}\nminimal case: {case:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

/// The differential test: random sequences through the model and the router.
#[test]
fn differential() {
    run_seeded(env_u64("ROUTER_MODEL_CASES", 256) as u32, false, run_case);
}

/// The differential test on the pressure mix: full GPUs, preempting work, quotas, caps.
#[test]
fn differential_under_pressure() {
    run_seeded(env_u64("ROUTER_MODEL_CASES", 256) as u32 / 2, true, run_case);
}

/// The model against itself through the same harness (a check of the harness, and of the model
/// never panicking on any sequence).
#[test]
fn model_is_deterministic() {
    run_seeded(64, false, |case| {
        let mut a = Model::new(case.cfg.clone());
        let mut b = Model::new(case.cfg.clone());
        for op in &case.ops {
            let call = resolve(op, &a, case.n_sites);
            let (x, y) = (exec(&mut a, &call), exec(&mut b, &call));
            if x != y || snapshot(&a, a.next_id()) != snapshot(&b, b.next_id()) {
                return Err(format!("{call:?}"));
            }
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Regressions: each scenario runs on the router (one #[test] each) and on the model.
// ---------------------------------------------------------------------------------------------

fn cfg_with(f: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config::default();
    f(&mut c);
    c
}

fn on_both(cfg: Config, scenario: Scenario) {
    scenario(&mut Real::new(&cfg));
    scenario(&mut Model::strict(cfg));
}

fn place_one(s: &mut dyn Sys, r: Req) -> Asg {
    let id = s.submit(&r).unwrap();
    let a = s.dispatch().expect("placed");
    assert_eq!(a.workload_id, id);
    a
}

/// §1: 41 GB fits a fresh 41 GB device.
fn sc_41_on_41(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", Some(41.0)).unwrap();
    let a = place_one(s, Req::new("c", "ai_inference_batch").gb(41.0));
    assert_eq!(a.device_ids, ["g"]);
    assert_eq!(s.device("g").unwrap().free_gpu_memory_gb, Some(0.0));
}

/// §1: 41 GB fits an 80 GB device that holds 39 GB.
fn sc_41_on_80_holding_39(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    place_one(s, Req::new("c", "ai_inference_batch").gb(39.0));
    let a = place_one(s, Req::new("c", "ai_inference_batch").gb(41.0));
    assert_eq!(a.device_ids, ["g"]);
}

/// §5: five 200 GB devices with 150 GB free and one with 190 GB free: 180 GB goes to the latter.
fn sc_180_on_190_free(s: &mut dyn Sys) {
    for i in 0..6 {
        let id = format!("d{i}");
        s.add_device(&id, "gpu", "H100_SXM", "a", Some(200.0)).unwrap();
        let held = if i == 2 { 10.0 } else { 50.0 };
        let a = place_one(s, Req::new("c", "ai_inference_batch").gb(held));
        assert_eq!(a.device_ids, std::slice::from_ref(&id));
        s.set_available(&id, false).unwrap(); // keep the next filler off it
    }
    for i in 0..6 {
        s.set_available(&format!("d{i}"), true).unwrap();
    }
    let a = place_one(s, Req::new("c", "ai_inference_batch").gb(180.0));
    assert_eq!(a.device_ids, ["d2"]);
}

/// §7: a realtime request that preempts is placed, and the assignment lists the victim.
fn sc_preemptor_is_placed(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let v = place_one(s, Req::new("c", "model_training").gb(80.0)).workload_id;
    let rt = s.submit(&Req::new("c", "ai_inference_realtime").gb(20.0)).unwrap();
    let a = s.dispatch().expect("the preemptor is placed");
    assert_eq!((a.workload_id, a.preempted.clone(), a.device_ids.clone()), (rt, vec![v], vec!["g".to_string()]));
    assert_eq!(s.workload(v).unwrap().state, St::Queued);
    assert_eq!(s.workload(v).unwrap().preemptions, 1);
    assert_eq!(s.counts().preemptions, 1);
}

/// §7: no preemption when placement would still fail.
fn sc_no_useless_preemption(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    place_one(s, Req::new("c", "ai_inference_realtime").gb(50.0)); // not preemptible
    let b = place_one(s, Req::new("c", "ai_inference_batch").gb(30.0)).workload_id;
    s.submit(&Req::new("c", "ai_inference_realtime").gb(40.0)).unwrap(); // 30 GB freed < 40
    assert_eq!(s.dispatch(), None);
    assert_eq!(s.workload(b).unwrap().state, St::Assigned);
    assert_eq!(s.counts().preemptions, 0);
}

/// §3: cancelled work does not block; A (P3) is served before C (P5).
fn sc_cancelled_does_not_block(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let busy = place_one(s, Req::new("c", "model_training").gb(80.0)).workload_id;
    let a = s.submit(&Req::new("c", "ai_inference_batch").priority(3).gb(80.0)).unwrap();
    assert_eq!(s.dispatch(), None);
    let x = s.submit(&Req::new("c", "ai_inference_realtime")).unwrap();
    s.transition(Tr::Cancel, None, x).unwrap();
    s.transition(Tr::Complete, None, busy).unwrap();
    let _c = s.submit(&Req::new("c", "ai_inference_batch").gb(10.0)).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(a));
}

/// §3: two waiting P5 workloads of one customer leave in submission order.
fn sc_fifo_per_customer(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let busy = place_one(s, Req::new("c", "model_training").gb(80.0)).workload_id;
    let p = s.submit(&Req::new("c", "ai_inference_batch").gb(50.0)).unwrap();
    let q = s.submit(&Req::new("c", "ai_inference_batch").gb(20.0)).unwrap();
    assert_eq!(s.dispatch(), None);
    s.transition(Tr::Complete, None, busy).unwrap();
    assert_eq!(s.dispatch_batch(2).iter().map(|a| a.workload_id).collect::<Vec<_>>(), vec![p, q]);
}

/// §2: 20 unplaceable P1 requests (70 GB, 60 GB free, victims not preemptible) do not hide a
/// 10 GB P5 request that fits.
fn sc_unplaceable_do_not_hide(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    place_one(s, Req::new("c", "ai_inference_realtime").gb(20.0));
    for _ in 0..20 {
        s.submit(&Req::new("c", "ai_inference_realtime").gb(70.0)).unwrap();
    }
    let small = s.submit(&Req::new("c", "ai_inference_batch").gb(10.0)).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(small));
}

/// §2 as in the spec: 500 GB requests queued while a large device existed, then only 80 GB.
fn sc_unplaceable_500(s: &mut dyn Sys) {
    s.add_device("big", "gpu", "H100_SXM", "a", Some(600.0)).unwrap();
    for _ in 0..20 {
        s.submit(&Req::new("c", "ai_inference_realtime").gb(500.0)).unwrap();
    }
    s.remove_device("big").unwrap();
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let small = s.submit(&Req::new("c", "ai_inference_batch").gb(10.0)).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(small));
}

/// §2: work over its customer's `max_gpus` does not hide another customer's work.
fn sc_quota_does_not_hide(s: &mut dyn Sys) {
    s.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    s.set_customer("q", CustCfg { weight: 1, max_gpus: Some(1), max_queued: None }).unwrap();
    place_one(s, Req::new("q", "ai_inference_batch").gb(80.0));
    for _ in 0..20 {
        s.submit(&Req::new("q", "ai_inference_realtime").gb(10.0)).unwrap();
    }
    let other = s.submit(&Req::new("o", "ai_inference_batch").gb(10.0)).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(other));
    assert_eq!(s.customer("q").unwrap().gpus_held, 1);
}

/// §6: a 2-GPU request that cannot be placed curtails nothing.
fn sc_no_curtail_without_placement(s: &mut dyn Sys) {
    s.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("m0", "asic", "S21", "a", None).unwrap();
    place_one(s, Req::new("c", "ai_inference_batch").gb(50.0)); // on g0: 30 GB left there
    s.set_cap("a", Some(4.5)).unwrap();
    let before = s.site_load_kw("a").unwrap();
    // 2 × 40 GB: only g1 has room; the power would need the miner curtailed.
    let id = s.submit(&Req::new("c", "ai_inference_batch").gpus(2).gb(40.0)).unwrap();
    assert_eq!(s.dispatch(), None);
    assert_eq!(s.device("m0").unwrap().status, "available");
    assert_eq!(s.site_load_kw("a").unwrap(), before);
    assert_eq!(s.workload(id).unwrap().state, St::Queued);
}

/// §6: a 2-GPU request that needs the miner curtailed gets it, listed in the assignment.
fn sc_curtail_for_two_gpus(s: &mut dyn Sys) {
    s.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("m0", "asic", "S21", "a", None).unwrap();
    s.set_cap("a", Some(4.2)).unwrap(); // 3.75 kW idle; 2 × 40 GB adds 0.575 kW
    let a = place_one(s, Req::new("c", "ai_inference_batch").gpus(2).gb(40.0));
    assert_eq!(a.device_ids, ["g0", "g1"]);
    assert_eq!(a.curtailed, ["m0"]);
    assert_eq!(s.device("m0").unwrap().status, "curtailed");
}

/// §11: set_device_available(curtailed, true) is Conflict and changes nothing; resume_miners wakes it.
fn sc_curtailed_stays_curtailed(s: &mut dyn Sys) {
    s.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    s.add_device("m0", "asic", "S21", "a", None).unwrap();
    s.set_cap("a", Some(4.0)).unwrap();
    let a = place_one(s, Req::new("c", "ai_inference_batch").gb(80.0));
    assert_eq!(a.curtailed, ["m0"]);
    let load = s.site_load_kw("a").unwrap();
    assert_eq!(s.set_available("m0", true), Err(ErrorKind::Conflict));
    assert_eq!(s.device("m0").unwrap().status, "curtailed");
    assert_eq!(s.site_load_kw("a").unwrap(), load);
    assert_eq!(s.resume_miners("a").unwrap(), Vec::<String>::new()); // the cap does not allow it yet
    s.transition(Tr::Complete, None, a.workload_id).unwrap();
    assert_eq!(s.resume_miners("a").unwrap(), ["m0"]);
    assert_eq!(s.device("m0").unwrap().status, "available");
}

/// §4: aging is applied at dispatch without any age() call.
fn sc_aging_without_age(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let old = s.submit(&Req::new("c", "ai_inference_batch").priority(5)).unwrap();
    s.advance(20.0).unwrap();
    let new = s.submit(&Req::new("c", "ai_inference_batch").priority(4)).unwrap();
    let mut depths = [0; 10];
    depths[2] = 1;
    depths[3] = 1;
    assert_eq!(s.queue_depths(), depths);
    assert_eq!(s.workload(old).unwrap().effective_priority, Some(3));
    let a = s.dispatch().unwrap();
    assert_eq!((a.workload_id, a.priority), (old, 3));
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(new));
}

/// §12: gpus 1025 at submit is InvalidInput; the id is still taken and the workload rejected.
fn sc_gpus_1025(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    assert_eq!(s.submit(&Req::new("c", "ai_inference_batch").gpus(1025)), Err(ErrorKind::InvalidInput));
    assert_eq!(s.workload(1).unwrap().state, St::Rejected);
    assert_eq!(s.submit(&Req::new("c", "ai_inference_batch")), Ok(2));
    assert_eq!(s.counts().rejected, 1);
}

/// §3 example: strict priority, then FIFO.
fn sc_spec_order(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", Some(200.0)).unwrap();
    let a = s.submit(&Req::new("c", "ai_inference_batch").priority(3)).unwrap();
    let b = s.submit(&Req::new("c", "ai_inference_batch").priority(3)).unwrap();
    let x = s.submit(&Req::new("c", "ai_inference_realtime")).unwrap();
    assert_eq!(s.dispatch_batch(3).iter().map(|a| a.workload_id).collect::<Vec<_>>(), vec![x, a, b]);
}

/// §3: weights 3 and 1 are served a, b, a, a, a, b.
fn sc_spec_round_robin(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", Some(2000.0)).unwrap();
    s.set_customer("a", CustCfg { weight: 3, max_gpus: None, max_queued: None }).unwrap();
    s.set_customer("b", CustCfg { weight: 1, max_gpus: None, max_queued: None }).unwrap();
    for _ in 0..8 {
        s.submit(&Req::new("a", "ai_inference_batch").gb(1.0)).unwrap();
        s.submit(&Req::new("b", "ai_inference_batch").gb(1.0)).unwrap();
    }
    let who: Vec<String> = s.dispatch_batch(8).iter().map(|a| s.workload(a.workload_id).unwrap().customer).collect();
    assert_eq!(who, ["a", "a", "a", "b", "a", "a", "a", "b"]);
}

/// §8 example: realtime past its latency bound is failed with its reason.
fn sc_spec_drop(s: &mut dyn Sys) {
    s.add_device("big", "gpu", "H100_SXM", "a", Some(600.0)).unwrap();
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let i = s.submit(&Req::new("c", "ai_inference_realtime").gb(500.0)).unwrap();
    s.set_available("big", false).unwrap();
    s.advance(0.2).unwrap();
    assert_eq!(s.dispatch(), None);
    let w = s.workload(i).unwrap();
    assert_eq!((w.state, w.reason.as_deref()), (St::Failed, Some("latency bound passed")));
}

// ----- Disagreements found by the differential test (router ≠ spec); these fail today. -----

/// §3 with equal weights: ties go to the customer seen first. carol is seen first (her first
/// submission is rejected), then alice, then bob; after alice is served, carol and bob tie and
/// carol must be served. (The router's round-robin serves bob, the next after alice.)
fn sc_round_robin_turn_passes_cyclically(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", Some(800.0)).unwrap();
    // carol is seen first (her rejected submission names her), then alice, then bob.
    assert_eq!(s.submit(&Req::new("carol", "ai_inference_batch").priority(0)), Err(ErrorKind::InvalidInput));
    let a1 = s.submit(&Req::new("alice", "ai_inference_batch").gb(1.0)).unwrap();
    let a2 = s.submit(&Req::new("alice", "ai_inference_batch").gb(1.0)).unwrap();
    let b1 = s.submit(&Req::new("bob", "ai_inference_batch").gb(1.0)).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(a1));
    let c1 = s.submit(&Req::new("carol", "ai_inference_batch").gb(1.0)).unwrap();
    // After alice's turn: the next customer after her in seen order (bob), then carol (cyclic).
    let order: Vec<u64> = s.dispatch_batch(3).iter().map(|a| a.workload_id).collect();
    assert_eq!(order, [b1, c1, a2]);
}

/// §13: `assigned → failed` is not a transition (only running work fails, or queued work by §8).
fn sc_fail_assigned(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let id = place_one(s, Req::new("c", "ai_inference_batch")).workload_id;
    assert_eq!(s.transition(Tr::Fail, None, id), Ok(()));
    assert_eq!(s.workload(id).unwrap().state, St::Failed);
}

/// §13: `assigned → cancelled` is not a transition (queued or running work is cancelled).
fn sc_cancel_assigned(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let id = place_one(s, Req::new("c", "ai_inference_batch")).workload_id;
    assert_eq!(s.transition(Tr::Cancel, None, id), Ok(()));
    assert_eq!(s.workload(id).unwrap().state, St::Cancelled);
}

/// §5/§6: mining work is never placed on a miner that is curtailed, least of all one curtailed
/// for it; and a miner holds one workload. (The router, at a site over its cap, curtails the
/// miner it then assigns; after resume_miners it assigns that busy miner a second workload.)
fn sc_mining_not_on_curtailed_miner(s: &mut dyn Sys) {
    s.add_device("m0", "asic", "S21", "a", None).unwrap();
    s.set_cap("a", Some(1.0)).unwrap(); // below the 3.5 kW the awake miner draws
    let a = place_one(s, Req::new("c", "bitcoin_mining"));
    assert!(!a.curtailed.contains(&a.device_ids[0]), "{a:?}");
    assert_ne!(s.device("m0").unwrap().status, "curtailed");
    s.set_cap("a", Some(4.0)).unwrap();
    s.resume_miners("a").unwrap();
    s.submit(&Req::new("c", "bitcoin_mining")).unwrap();
    assert_eq!(s.dispatch(), None, "the only miner is busy");
    assert_eq!(s.device("m0").unwrap().workloads, 1);
}

/// §5 and the brief: a profit set with `set_device_profit_usd_per_hour` overrides the market's
/// figure; `set_market` afterwards must not discard it. d0 (override 5 $/h) is costlier to take
/// than d1 (the market's S21 profit, ~0.42 $/h), so mining goes to d1.
fn sc_profit_override_lasts_until_the_next_market(s: &mut dyn Sys) {
    s.add_device("d0", "asic", "S21", "a", None).unwrap();
    s.add_device("d1", "asic", "S21", "a", None).unwrap();
    s.set_profit("d0", 5.0).unwrap();
    s.set_market(market(0.03));
    // The market priced both alike again: the tie goes to registration order.
    let a = place_one(s, Req::new("c", "bitcoin_mining"));
    assert_eq!(a.device_ids, ["d0"]);
}

/// §2 + §8: `dispatch_batch(n)` returns exactly what n `dispatch()` calls would. A victim
/// preempted in step 1 that re-enters the queue past its deadline (`drop` policy) is failed
/// (as after a single `dispatch()`), not dispatched again in step 2 of the same batch.
fn sc_batch_drops_requeued_victim_past_deadline(s: &mut dyn Sys) {
    s.add_device("g0", "gpu", "H100_SXM", "a", Some(40.0)).unwrap();
    s.add_device("g1", "gpu", "H100_SXM", "a", Some(16.0)).unwrap();
    s.set_available("g1", false).unwrap();
    let u = place_one(s, Req::new("c", "urgent")).workload_id; // 16 GB, deadline 6.5 s, preemptible
    place_one(s, Req::new("c", "ai_inference_realtime").gb(20.0)); // g0: 4 GB left
    s.set_available("g1", true).unwrap(); // 16 GB: room for the urgent work, not for 20 GB
    s.advance(7.0).unwrap();
    let rt = s.submit(&Req::new("c", "ai_inference_realtime").gb(20.0)).unwrap();
    let got: Vec<(u64, Vec<u64>)> = s.dispatch_batch(2).into_iter().map(|a| (a.workload_id, a.preempted)).collect();
    assert_eq!(got, vec![(rt, vec![u])]);
    let w = s.workload(u).unwrap();
    assert_eq!((w.state, w.reason.as_deref()), (St::Failed, Some("deadline passed")));
}

/// §2: a request no registered device of its kind could ever hold is refused at submission;
/// with no device of that kind registered at all, none could.
fn sc_no_device_of_kind_waits(s: &mut dyn Sys) {
    s.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    assert_eq!(s.submit(&Req::new("c", "bitcoin_mining")), Ok(1));
    assert_eq!(s.workload(1).unwrap().state, St::Queued);
    s.add_device("m", "asic", "S21", "a", None).unwrap();
    assert_eq!(s.dispatch().map(|a| a.workload_id), Some(1));
}

type Scenario = fn(&mut dyn Sys);

const SCENARIOS: &[(&str, Scenario)] = &[
    ("41_on_41", sc_41_on_41),
    ("41_on_80_holding_39", sc_41_on_80_holding_39),
    ("180_on_190_free", sc_180_on_190_free),
    ("preemptor_is_placed", sc_preemptor_is_placed),
    ("no_useless_preemption", sc_no_useless_preemption),
    ("cancelled_does_not_block", sc_cancelled_does_not_block),
    ("fifo_per_customer", sc_fifo_per_customer),
    ("unplaceable_do_not_hide", sc_unplaceable_do_not_hide),
    ("unplaceable_500", sc_unplaceable_500),
    ("quota_does_not_hide", sc_quota_does_not_hide),
    ("no_curtail_without_placement", sc_no_curtail_without_placement),
    ("curtail_for_two_gpus", sc_curtail_for_two_gpus),
    ("curtailed_stays_curtailed", sc_curtailed_stays_curtailed),
    ("aging_without_age", sc_aging_without_age),
    ("gpus_1025", sc_gpus_1025),
    ("spec_order", sc_spec_order),
    ("spec_round_robin", sc_spec_round_robin),
    ("spec_drop", sc_spec_drop),
    ("round_robin_turn", sc_round_robin_turn_passes_cyclically),
    ("fail_assigned", sc_fail_assigned),
    ("cancel_assigned", sc_cancel_assigned),
    ("mining_curtailed", sc_mining_not_on_curtailed_miner),
    ("profit_override", sc_profit_override_lasts_until_the_next_market),
    ("no_device_of_kind", sc_no_device_of_kind_waits),
    ("batch_victim_past_deadline", sc_batch_drops_requeued_victim_past_deadline),
];

fn scenario_cfg(name: &str) -> Config {
    match name {
        "aging_without_age" => cfg_with(|c| c.aging_seconds = 10.0),
        "batch_victim_past_deadline" => cfg_with(|c| {
            c.aging_seconds = 0.0;
            c.types.push(urgent_type());
        }),
        "profit_override" => cfg_with(|c| {
            c.aging_seconds = 0.0;
            c.max_candidates = 2;
            c.candidates_per_site = 2;
            c.weights = Weights { fit: 0.0, opportunity_cost: 1.0, locality: 0.0, thermal: 0.0 };
        }),
        _ => cfg_with(|c| c.aging_seconds = 0.0),
    }
}

/// Every regression scenario holds in the model too (the model meets the spec's examples).
#[test]
fn model_meets_every_scenario() {
    for (name, sc) in SCENARIOS {
        let mut m = Model::strict(scenario_cfg(name));
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sc(&mut m)));
        assert!(run.is_ok(), "model fails scenario {name}");
    }
}

macro_rules! router_scenario {
    ($test:ident, $name:literal, $f:ident) => {
        #[test]
        fn $test() {
            on_both(scenario_cfg($name), $f);
        }
    };
}

router_scenario!(regress_41_gb_on_41_gb_device, "41_on_41", sc_41_on_41);
router_scenario!(regress_41_gb_on_80_gb_holding_39, "41_on_80_holding_39", sc_41_on_80_holding_39);
router_scenario!(regress_180_gb_goes_to_190_gb_free, "180_on_190_free", sc_180_on_190_free);
router_scenario!(regress_preemptor_is_placed, "preemptor_is_placed", sc_preemptor_is_placed);
router_scenario!(regress_no_preemption_when_placement_fails, "no_useless_preemption", sc_no_useless_preemption);
router_scenario!(regress_cancelled_work_does_not_block, "cancelled_does_not_block", sc_cancelled_does_not_block);
router_scenario!(regress_fifo_within_customer, "fifo_per_customer", sc_fifo_per_customer);
router_scenario!(regress_unplaceable_p1_do_not_hide_p5, "unplaceable_do_not_hide", sc_unplaceable_do_not_hide);
router_scenario!(regress_unplaceable_500_gb_do_not_hide_p5, "unplaceable_500", sc_unplaceable_500);
router_scenario!(regress_quota_blocked_work_does_not_hide, "quota_does_not_hide", sc_quota_does_not_hide);
router_scenario!(
    regress_no_curtailment_without_placement,
    "no_curtail_without_placement",
    sc_no_curtail_without_placement
);
router_scenario!(regress_curtailment_for_two_gpus, "curtail_for_two_gpus", sc_curtail_for_two_gpus);
router_scenario!(regress_curtailed_miner_stays_curtailed, "curtailed_stays_curtailed", sc_curtailed_stays_curtailed);
router_scenario!(regress_aging_without_age_call, "aging_without_age", sc_aging_without_age);
router_scenario!(regress_gpus_1025_is_invalid, "gpus_1025", sc_gpus_1025);
router_scenario!(spec_dispatch_order, "spec_order", sc_spec_order);
router_scenario!(spec_round_robin_three_to_one, "spec_round_robin", sc_spec_round_robin);
router_scenario!(spec_realtime_dropped_past_bound, "spec_drop", sc_spec_drop);

router_scenario!(spec_round_robin_turn_passes_cyclically, "round_robin_turn", sc_round_robin_turn_passes_cyclically);
router_scenario!(spec_fail_assigned, "fail_assigned", sc_fail_assigned);
router_scenario!(spec_cancel_assigned, "cancel_assigned", sc_cancel_assigned);
router_scenario!(regress_mining_not_on_curtailed_miner, "mining_curtailed", sc_mining_not_on_curtailed_miner);
router_scenario!(
    spec_profit_override_lasts_until_the_next_market,
    "profit_override",
    sc_profit_override_lasts_until_the_next_market
);
router_scenario!(
    regress_batch_drops_requeued_victim,
    "batch_victim_past_deadline",
    sc_batch_drops_requeued_victim_past_deadline
);
router_scenario!(spec_no_device_of_kind_waits, "no_device_of_kind", sc_no_device_of_kind_waits);

/// §12: a type declared with 65537 GPUs is refused at construction.
#[test]
fn regress_type_with_65537_gpus_is_invalid() {
    let mut cfg = Config::default();
    let mut t = urgent_type();
    t.gpus = 65537;
    cfg.types.push(t);
    let err = Router::from_json(&cfg.to_json()).expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let r = Router::from_json(r#"{"manual_clock": true}"#).unwrap();
    r.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
    let e = r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpus(1025)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}
