//! Where two threads lose time on one router: the benchmark cycle (submit 64 → dispatch →
//! complete) on 1 and 2 threads, with the threads sharing everything, using separate
//! customers, separate sites, or separate routers (the machine's scaling ceiling).
//!
//! `cargo run --release -p hcp --example router_scaling`

use std::sync::Barrier;
use std::time::Instant;

use hcp::router::{Router, RouterConfig, SubmitRequest};

const BATCH: usize = 64;

fn router(sites: usize) -> Router {
    let r = Router::new(RouterConfig { aging_seconds: 0.0, ..RouterConfig::default() }).unwrap();
    for i in 0..256 {
        r.add_device(&format!("g{i}"), "gpu", "H100_SXM", &format!("s{}", i % sites), None).unwrap();
    }
    r
}

fn cycles(r: &Router, customer: &str, site: Option<&str>, n: usize) {
    let reqs: Vec<SubmitRequest> = (0..BATCH)
        .map(|i| {
            let q = SubmitRequest::new(customer, "ai_inference_batch").priority((i % 10) as i64 + 1).gpu_memory_gb(1.0);
            match site {
                Some(s) => q.site(s),
                None => q,
            }
        })
        .collect();
    let mut done = 0;
    while done < n {
        for id in r.submit_batch(&reqs) {
            std::hint::black_box(id.unwrap());
        }
        let mut got = 0;
        while got < BATCH {
            let ids: Vec<u64> = r.dispatch_batch(BATCH - got).iter().map(|a| a.workload_id).collect();
            got += ids.len();
            for res in r.complete_batch(&ids) {
                res.unwrap();
            }
        }
        done += BATCH;
    }
}

fn run(
    label: &str,
    threads: usize,
    per_thread: usize,
    make: impl Fn(usize) -> (usize, String, Option<String>),
    routers: &[Router],
) {
    if std::env::var("CASE").is_ok_and(|c| !label.contains(c.as_str())) {
        return;
    }
    let barrier = Barrier::new(threads);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (ri, customer, site) = make(t);
            let r = &routers[ri];
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                cycles(r, &customer, site.as_deref(), per_thread);
            });
        }
    });
    let secs = t0.elapsed().as_secs_f64();
    let waits: u64 = routers.iter().map(|r| r.metrics().waits_for_capacity).sum();
    let total = (threads * per_thread) as f64;
    println!(
        "{label:<44} {threads} thr  {:>6.2} M workloads/s  ({:.0} ns each), {waits} waits for capacity",
        total / secs / 1e6,
        secs * 1e9 / total
    );
}

/// Round trip of one cache line between two threads (each waits for the other's write, then
/// writes back), ns: what moving a line between the two vCPUs costs at this moment (about
/// 360–520 ns on this VM in the runs recorded in `benches/RESULTS-router.md`).
fn core_to_core_round_trip_ns() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering::*};
    const ROUNDS: u64 = 200_000;
    let flag = AtomicU64::new(0);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..ROUNDS {
                while flag.load(Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                flag.store(2 * i + 2, Release);
            }
        });
        for i in 0..ROUNDS {
            flag.store(2 * i + 1, Release);
            while flag.load(Acquire) != 2 * i + 2 {
                std::hint::spin_loop();
            }
        }
    });
    t0.elapsed().as_nanos() as f64 / ROUNDS as f64
}

fn main() {
    println!("core-to-core round trip: {:.0} ns", core_to_core_round_trip_ns());
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    for _ in 0..2 {
        let shared = [router(1)];
        run("one router, one customer, one site", 1, n, |_| (0, "c".into(), None), &shared);
        let shared = [router(1)];
        run("one router, one customer, one site", 2, n / 2, |_| (0, "c".into(), None), &shared);
        let shared = [router(1)];
        run("one router, a customer per thread", 2, n / 2, |t| (0, format!("c{t}"), None), &shared);
        let two_sites = [router(2)];
        run("one router, two sites", 1, n, |_| (0, "c".into(), None), &two_sites);
        let two_sites = [router(2)];
        run("one router, two sites", 2, n / 2, |_| (0, "c".into(), None), &two_sites);
        let two_sites = [router(2)];
        run(
            "one router, a customer and a site per thread",
            2,
            n / 2,
            |t| (0, format!("c{t}"), Some(format!("s{t}"))),
            &two_sites,
        );
        let own = [router(1), router(1)];
        run("a router per thread (ceiling)", 2, n / 2, |t| (t, "c".into(), None), &own);
    }
}
