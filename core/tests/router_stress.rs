//! Stress: N producers × M dispatchers on one router, through the single and the batch calls. Every workload is dispatched exactly once
//! (each id is counted), one producer's work at one level leaves in submission order (as seen by
//! each dispatcher), and the state counts add up at every moment and match a full scan at the
//! end. Sized for debug builds; set `HCP_STRESS_PER_PRODUCER` (e.g. 500000 in release via
//! `make stress`) for millions of operations.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::Arc;

use hcpcore::router::{Router, RouterConfig, SubmitRequest};

const PRODUCERS: usize = 4;
const DISPATCHERS: usize = 3;

fn per_producer() -> usize {
    std::env::var("HCP_STRESS_PER_PRODUCER").ok().and_then(|v| v.parse().ok()).unwrap_or(if cfg!(debug_assertions) {
        50_000
    } else {
        250_000
    })
}

/// Two sites: placement scores a candidate per site.
#[test]
fn producers_and_dispatchers_lose_nothing_and_keep_order() {
    stress(&["a", "b"]);
}

/// One site: batch dispatches keep the device they just used between placements (its pool
/// entry is out of the pool meanwhile) while the site's power cap comes and goes.
#[test]
fn one_site_with_held_devices_loses_nothing_and_keeps_order() {
    stress(&["b"]);
}

fn stress(sites: &[&str]) {
    let cfg = RouterConfig { aging_seconds: 0.0, ..RouterConfig::default() };
    let router = Arc::new(Router::new(cfg).unwrap());
    // Every other GPU has 81 GB: a 1 GB job does not move it out of its free-memory class, so
    // claims and releases on it take the keep-the-live-entry path of placement.
    for i in 0..64 {
        let site = sites[i % sites.len()];
        let gb = if i % 4 < 2 { None } else { Some(81.0) };
        router.add_device(&format!("g{i}"), "gpu", "H100_SXM", site, gb).unwrap();
    }
    let per = per_producer();
    let total = (PRODUCERS * per) as u64;
    let dispatched = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // Observer: the counts add up at any moment.
    let observer = {
        let (router, done) = (router.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !done.load(Acquire) {
                let c = router.counts();
                assert_eq!(
                    c.submitted,
                    c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected
                );
                reads += 1;
                std::thread::yield_now();
            }
            reads
        })
    };

    // Site "b" gains and loses a (generous) power cap throughout: placement switches between
    // the uncapped path (which may keep a device's pool entry for the rest of a batch) and the
    // capped one (power admission) under the dispatchers' feet; no GPU may be lost from the
    // pool by it (checked at the end).
    let toggler = {
        let (router, done) = (router.clone(), done.clone());
        std::thread::spawn(move || {
            let mut flips = 0u64;
            while !done.load(Acquire) {
                let cap = if flips.is_multiple_of(2) { Some(1e9) } else { None };
                router.set_site_power_cap_kw("b", cap).unwrap();
                flips += 1;
                std::thread::yield_now();
            }
            router.set_site_power_cap_kw("b", None).unwrap();
            flips
        })
    };

    // Each producer returns, per id, (producer, level, sequence within producer and level).
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let router = router.clone();
            std::thread::spawn(move || {
                let customer = if p % 2 == 0 { "even" } else { "odd" };
                let mut tags = Vec::with_capacity(per);
                let mut seq = [0u32; 10];
                // Odd producers submit in batches of 16 (one id range and level-by-level runs
                // per batch), even ones one by one.
                let chunk = if p % 2 == 1 { 16 } else { 1 };
                let mut i = 0;
                while i < per {
                    let n = chunk.min(per - i);
                    let levels: Vec<usize> = (i..i + n).map(|k| (k * 7 + p) % 10).collect();
                    let reqs: Vec<SubmitRequest> = levels
                        .iter()
                        .map(|&l| {
                            SubmitRequest::new(customer, "ai_inference_batch").priority(l as i64 + 1).gpu_memory_gb(1.0)
                        })
                        .collect();
                    let ids: Vec<u64> = if n == 1 {
                        vec![router.submit(&reqs[0]).unwrap()]
                    } else {
                        router.submit_batch(&reqs).into_iter().map(|r| r.unwrap()).collect()
                    };
                    for (id, level) in ids.into_iter().zip(levels) {
                        tags.push((id, (p as u8, level as u8, seq[level])));
                        seq[level] += 1;
                    }
                    i += n;
                }
                tags
            })
        })
        .collect();

    let dispatchers: Vec<_> = (0..DISPATCHERS)
        .map(|d| {
            let (router, dispatched) = (router.clone(), dispatched.clone());
            std::thread::spawn(move || {
                let mut order = Vec::new();
                while dispatched.load(Acquire) < total {
                    let batch = router.dispatch_batch(32);
                    if batch.is_empty() {
                        std::thread::yield_now();
                        continue;
                    }
                    dispatched.fetch_add(batch.len() as u64, AcqRel);
                    // Dispatcher 0 completes with `complete_batch` (one pool publish per run of
                    // releases on a device), the others one by one.
                    let ids: Vec<u64> = batch.iter().map(|a| a.workload_id).collect();
                    order.extend(&ids);
                    if d == 0 {
                        for done in router.complete_batch(&ids) {
                            done.unwrap();
                        }
                    } else {
                        for id in ids {
                            router.complete(id).unwrap();
                        }
                    }
                }
                order
            })
        })
        .collect();

    let mut tag_of: HashMap<u64, (u8, u8, u32)> = HashMap::with_capacity(total as usize);
    for p in producers {
        for (id, tag) in p.join().unwrap() {
            assert!(tag_of.insert(id, tag).is_none(), "id {id} handed out twice");
        }
    }
    // There is always room (64 GPUs, 1 GB jobs completed at once): work that waited would be
    // placement giving up on contention, and it would break the FIFO check below.
    let waits = router.metrics().waits_for_capacity;
    assert_eq!(waits, 0, "work waited for capacity on a fleet with room to spare");
    let mut seen = vec![0u8; total as usize + 2];
    for d in dispatchers {
        let order = d.join().unwrap();
        let mut last: HashMap<(u8, u8), u32> = HashMap::new();
        for id in order {
            seen[id as usize] += 1;
            let (p, level, s) = tag_of[&id];
            if let Some(prev) = last.insert((p, level), s) {
                assert!(s > prev, "producer {p} level {level}: {s} dispatched after {prev}");
            }
        }
    }
    done.store(true, Release);
    let reads = observer.join().unwrap();
    assert!(reads > 0);
    assert!(toggler.join().unwrap() > 0);
    for id in tag_of.keys() {
        assert_eq!(seen[*id as usize], 1, "workload {id} dispatched {} times", seen[*id as usize]);
    }
    let c = router.counts();
    assert_eq!((c.submitted, c.completed, c.queued, c.assigned), (total, total, 0, 0));
    assert_eq!(router.scan_counts(), c);
    assert_eq!(router.queue_depths(), [0; 10]);
    assert!(router.dispatch().is_none());
    // Every GPU is whole again and still findable by placement (no pool entry was lost in the
    // claim/release races): 64 whole-GPU jobs land on 64 distinct GPUs.
    let mut devices = std::collections::HashSet::new();
    for i in 0..64 {
        let d = router.device(&format!("g{i}")).unwrap();
        assert_eq!((d.free_gpu_memory_gb, d.workloads), (d.gpu_memory_gb, 0), "g{i}");
    }
    for _ in 0..64 {
        router.submit(&SubmitRequest::new("after", "ai_inference_batch").gpu_memory_gb(80.0)).unwrap();
        let a = router.dispatch().expect("a whole GPU must be found for every registered GPU");
        assert!(devices.insert(a.device_id.clone()), "{} placed twice", a.device_id);
    }
    assert!(router.dispatch().is_none());
}
