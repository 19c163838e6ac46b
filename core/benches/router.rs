//! Router benchmarks, side by side in one run on the same work:
//! * the whole router: submit + dispatch (+ complete, so devices free up) cycles per second
//!   through `hcpcore::router::Router` (one lock per router, exact best fit by an ordered index;
//!   see `docs/router.md`), with batch calls (`submit_batch`, `dispatch_batch`,
//!   `complete_batch`: one lock per call) and with one call per workload, and a minimal
//!   conventional router (one `Mutex` around a `BinaryHeap`, a workload table and a best-fit
//!   `BTreeMap`; no fair share, metrics, power or validation — a floor, not the same work), at
//!   1 and 2 threads;
//! * placement latency among 100,000 registered GPUs (criterion mean, then p50/p99 of single
//!   dispatch calls measured one by one).
//!
//! `cargo bench -p hcpcore --bench router`; `HCP_BENCH_THREADS=1,2,4` changes the thread counts.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use hcpcore::router::{Router, RouterConfig, SubmitRequest};

/// Cycles per batch: each thread submits this many, dispatches them, completes them.
const BATCH: usize = 64;
const GPUS: usize = 256;

/// The conventional router: everything behind one mutex.
struct HeapRouter {
    inner: Mutex<HeapInner>,
}

struct HeapWorkload {
    state: u8,
    units: u64,
    device: u32,
}

struct HeapInner {
    queue: BinaryHeap<Reverse<(u8, u64)>>,
    workloads: Vec<HeapWorkload>,
    free: Vec<u64>,
    /// (free units, device) ordered: best fit is the first entry ≥ need.
    by_free: BTreeMap<(u64, u32), ()>,
}

impl HeapRouter {
    fn new(gpus: usize, units: u64) -> HeapRouter {
        HeapRouter {
            inner: Mutex::new(HeapInner {
                queue: BinaryHeap::new(),
                workloads: Vec::new(),
                free: vec![units; gpus],
                by_free: (0..gpus as u32).map(|d| ((units, d), ())).collect(),
            }),
        }
    }
    fn submit(&self, priority: u8, units: u64) -> u64 {
        let mut g = self.inner.lock().unwrap();
        let id = g.workloads.len() as u64;
        g.workloads.push(HeapWorkload { state: 0, units, device: 0 });
        g.queue.push(Reverse((priority, id)));
        id
    }
    fn dispatch(&self) -> Option<(u64, u32)> {
        let mut g = self.inner.lock().unwrap();
        let Reverse((_, id)) = g.queue.pop()?;
        let units = g.workloads[id as usize].units;
        let (&(free, device), _) = g.by_free.range((units, 0)..).next()?;
        g.by_free.remove(&(free, device));
        g.by_free.insert((free - units, device), ());
        g.free[device as usize] = free - units;
        let w = &mut g.workloads[id as usize];
        w.state = 1;
        w.device = device;
        Some((id, device))
    }
    fn complete(&self, id: u64) {
        let mut g = self.inner.lock().unwrap();
        let (units, device) = {
            let w = &mut g.workloads[id as usize];
            w.state = 2;
            (w.units, w.device)
        };
        let free = g.free[device as usize];
        g.by_free.remove(&(free, device));
        g.by_free.insert((free + units, device), ());
        g.free[device as usize] = free + units;
    }
}

fn router() -> Router {
    let r = Router::new(RouterConfig { aging_seconds: 0.0, ..RouterConfig::default() }).unwrap();
    for i in 0..GPUS {
        r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", None).unwrap();
    }
    r
}

/// Runs `cycles` submit+dispatch+complete cycles split over `threads` threads.
fn run_threads(threads: usize, cycles: u64, work: impl Fn(u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    let per = cycles / threads as u64;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let t0 = Instant::now();
                    work(per);
                    t0.elapsed()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).max().unwrap_or_default()
    })
}

fn router_cycles(r: &Router, n: u64) {
    let reqs: Vec<SubmitRequest> = (0..BATCH)
        .map(|i| SubmitRequest::new("bench", "ai_inference_batch").priority((i % 10) as i64 + 1).gpu_memory_gb(1.0))
        .collect();
    let mut done = 0;
    while done < n {
        for id in r.submit_batch(&reqs) {
            black_box(id.unwrap());
        }
        let mut got = 0;
        while got < BATCH {
            let ids: Vec<u64> = r.dispatch_batch(BATCH - got).iter().map(|a| black_box(a.workload_id)).collect();
            got += ids.len();
            for done in r.complete_batch(&ids) {
                done.unwrap();
            }
        }
        done += BATCH as u64;
    }
}

/// The same cycle through the one-at-a-time calls (`submit`, `dispatch`, `complete`): what a
/// service handling one request per call does.
fn router_single_cycles(r: &Router, n: u64) {
    let reqs: Vec<SubmitRequest> = (0..BATCH)
        .map(|i| SubmitRequest::new("bench", "ai_inference_batch").priority((i % 10) as i64 + 1).gpu_memory_gb(1.0))
        .collect();
    let mut ids = Vec::with_capacity(BATCH);
    let mut done = 0;
    while done < n {
        for q in &reqs {
            black_box(r.submit(q).unwrap());
        }
        while ids.len() < BATCH {
            if let Some(a) = r.dispatch() {
                ids.push(black_box(a.workload_id));
            }
        }
        for id in ids.drain(..) {
            r.complete(id).unwrap();
        }
        done += BATCH as u64;
    }
}

fn heap_cycles(r: &HeapRouter, n: u64) {
    let mut done = 0;
    while done < n {
        for i in 0..BATCH {
            black_box(r.submit((i % 10) as u8, 1024));
        }
        let mut got = 0;
        while got < BATCH {
            if let Some((id, _)) = r.dispatch() {
                r.complete(black_box(id));
                got += 1;
            }
        }
        done += BATCH as u64;
    }
}

fn thread_counts() -> Vec<usize> {
    std::env::var("HCP_BENCH_THREADS")
        .ok()
        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2])
}

fn pairs(c: &mut Criterion) {
    let mut g = c.benchmark_group("router_submit_dispatch");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(3)).sample_size(20);
    for threads in thread_counts() {
        g.bench_with_input(BenchmarkId::new("router_batch_calls", threads), &threads, |b, &t| {
            b.iter_custom(|iters| {
                let r = router();
                run_threads(t, iters.max(t as u64 * BATCH as u64), |n| router_cycles(&r, n))
            })
        });
        g.bench_with_input(BenchmarkId::new("router_single_calls", threads), &threads, |b, &t| {
            b.iter_custom(|iters| {
                let r = router();
                run_threads(t, iters.max(t as u64 * BATCH as u64), |n| router_single_cycles(&r, n))
            })
        });
        g.bench_with_input(BenchmarkId::new("minimal_mutex_binaryheap", threads), &threads, |b, &t| {
            b.iter_custom(|iters| {
                let r = HeapRouter::new(GPUS, 80 * 1024);
                run_threads(t, iters.max(t as u64 * BATCH as u64), |n| heap_cycles(&r, n))
            })
        });
    }
    g.finish();
}

const FLEET: usize = 100_000;

/// 100,000 GPUs over 10 sites, a third of them partly used so the free-memory classes vary.
fn big_fleet() -> (Router, Vec<u64>) {
    let r = Router::new(RouterConfig { aging_seconds: 0.0, ..RouterConfig::default() }).unwrap();
    for i in 0..FLEET {
        r.add_device(&format!("g{i}"), "gpu", "H100_SXM", &format!("site{}", i % 10), None).unwrap();
    }
    let mut held = Vec::new();
    for i in 0..FLEET / 3 {
        let gb = 8.0 * (1 + i % 9) as f64;
        let id = r.submit(&SubmitRequest::new("filler", "ai_inference_batch").gpu_memory_gb(gb)).unwrap();
        r.dispatch().unwrap();
        held.push(id);
    }
    (r, held)
}

fn placement(c: &mut Criterion, r: &Router) {
    let mut g = c.benchmark_group("router_placement_100k");
    g.measurement_time(Duration::from_secs(4)).sample_size(20);
    g.bench_function("dispatch_one", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let gb = 4.0 * (1 + i % 10) as f64;
                r.submit(&SubmitRequest::new("p", "ai_inference_batch").gpu_memory_gb(gb)).unwrap();
                let t0 = Instant::now();
                let a = r.dispatch().unwrap();
                total += t0.elapsed();
                r.complete(a.workload_id).unwrap();
            }
            total
        })
    });
    g.finish();
}

fn placement_percentiles(r: &Router) {
    const N: usize = 200_000;
    let mut ns = Vec::with_capacity(N);
    for i in 0..N {
        let gb = 4.0 * (1 + i % 10) as f64;
        r.submit(&SubmitRequest::new("p", "ai_inference_batch").gpu_memory_gb(gb)).unwrap();
        let t0 = Instant::now();
        let a = r.dispatch().unwrap();
        ns.push(t0.elapsed().as_nanos() as u64);
        r.complete(a.workload_id).unwrap();
    }
    ns.sort_unstable();
    let q = |p: f64| ns[((N as f64 * p) as usize).min(N - 1)];
    println!(
        "placement among {FLEET} GPUs (one dispatch call, {N} samples): p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        q(0.5),
        q(0.99),
        q(0.999),
        ns[N - 1]
    );
    let m = r.metrics();
    println!(
        "router's own histograms: decision p50 {:.0} ns p99 {:.0} ns; allocation p50 {:.0} ns p99 {:.0} ns",
        m.decision.p50_seconds * 1e9,
        m.decision.p99_seconds * 1e9,
        m.allocation.p50_seconds * 1e9,
        m.allocation.p99_seconds * 1e9
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    pairs(&mut c);
    let (r, held) = big_fleet();
    placement(&mut c, &r);
    placement_percentiles(&r);
    black_box(Arc::new(held));
    c.final_summary();
}
