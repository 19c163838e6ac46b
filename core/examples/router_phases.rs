//! Where a workload's time goes, by phase (submit_batch, dispatch_batch, complete_batch), on one
//! router from 1 and 2 threads — and with `HEAP=1` the same with the `mutex_heap` queue backend.
//! The cycle is the benchmark's (64 workloads at priorities 1–10, 1 GB each, 256 H100s, one
//! site); the phase times are per workload, per thread, and the throughput is wall clock.
//!
//! `cargo run --release -p hcp --example router_phases` (`HEAP=1` for the mutex heap queue;
//! `router_scaling` prints the core-to-core round trip that goes with a run)

use hcp::router::{Router, RouterConfig, SubmitRequest};
use std::sync::Barrier;
use std::time::{Duration, Instant};
fn main() {
    let n: usize = 2_000_000;
    for threads in [1usize, 2] {
        let r = Router::new(RouterConfig {
            aging_seconds: 0.0,
            queue_backend: if std::env::var("HEAP").is_ok() {
                hcp::router::QueueBackend::MutexHeap
            } else {
                hcp::router::QueueBackend::LockFree
            },
            ..RouterConfig::default()
        })
        .unwrap();
        for i in 0..256 {
            r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", None).unwrap();
        }
        let barrier = Barrier::new(threads);
        let per = n / threads;
        let wall = Instant::now();
        let res: Vec<[Duration; 3]> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let reqs: Vec<SubmitRequest> = (0..64)
                            .map(|i| {
                                SubmitRequest::new("c", "ai_inference_batch")
                                    .priority((i % 10) as i64 + 1)
                                    .gpu_memory_gb(1.0)
                            })
                            .collect();
                        let mut t = [Duration::ZERO; 3];
                        barrier.wait();
                        let mut done = 0;
                        while done < per {
                            let t0 = Instant::now();
                            for id in r.submit_batch(&reqs) {
                                std::hint::black_box(id.unwrap());
                            }
                            let t1 = Instant::now();
                            let mut got = 0;
                            let mut ids = Vec::with_capacity(64);
                            while got < 64 {
                                let b = r.dispatch_batch(64 - got);
                                got += b.len();
                                ids.extend(b.iter().map(|a| a.workload_id));
                            }
                            let t2 = Instant::now();
                            for x in r.complete_batch(&ids) {
                                x.unwrap();
                            }
                            let t3 = Instant::now();
                            t[0] += t1 - t0;
                            t[1] += t2 - t1;
                            t[2] += t3 - t2;
                            done += 64;
                        }
                        t
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Wall clock over all threads: per-thread phase sums alone cannot tell two threads
        // running in parallel from two threads taking turns on one vCPU.
        println!("{threads} thr: {:.2} M workloads/s (wall clock)", n as f64 / wall.elapsed().as_secs_f64() / 1e6);
        for (i, t) in res.iter().enumerate() {
            println!(
                "{threads} thr, thread {i}: submit {:.0} ns, dispatch {:.0} ns, complete {:.0} ns per workload",
                t[0].as_nanos() as f64 / per as f64,
                t[1].as_nanos() as f64 / per as f64,
                t[2].as_nanos() as f64 / per as f64
            );
        }
    }
}
