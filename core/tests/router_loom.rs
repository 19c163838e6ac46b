//! loom models of the router under concurrency. Every router call takes the router's one lock
//! (a loom mutex under `cfg(loom)`), so loom explores every order in which concurrent calls
//! can take it; each model checks that no interleaving loses, duplicates or double-places work
//! and that the counts add up.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p hcpcore --test router_loom --release`
#![cfg(loom)]

use hcpcore::router::{Router, RouterConfig, SubmitRequest, WorkloadState};
use loom::sync::Arc;
use loom::thread;

fn router(gpus: usize) -> Arc<Router> {
    let r = Router::new(RouterConfig { manual_clock: true, ..RouterConfig::default() }).unwrap();
    for i in 0..gpus {
        r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", None).unwrap();
    }
    Arc::new(r)
}

fn counts_add_up(r: &Router) {
    let c = r.counts();
    assert_eq!(c.submitted, c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected);
    assert_eq!(r.scan_counts(), c);
}

#[test]
fn two_dispatchers_never_place_one_workload_twice() {
    loom::model(|| {
        let r = router(2);
        let a = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
        let b = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
        let t: Vec<_> = (0..2)
            .map(|_| {
                let r = r.clone();
                thread::spawn(move || r.dispatch().map(|x| (x.workload_id, x.device_id.to_string())))
            })
            .collect();
        let mut got: Vec<_> = t.into_iter().map(|h| h.join().unwrap().expect("room for both")).collect();
        got.sort();
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![a, b]);
        assert_ne!(got[0].1, got[1].1, "one 80 GB job per 80 GB GPU");
        counts_add_up(&r);
    });
}

#[test]
fn cancel_racing_dispatch_leaves_one_outcome() {
    loom::model(|| {
        let r = router(1);
        let id = r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
        let d = {
            let r = r.clone();
            thread::spawn(move || r.dispatch().map(|a| a.workload_id))
        };
        let c = {
            let r = r.clone();
            thread::spawn(move || r.cancel(id).is_ok())
        };
        let placed = d.join().unwrap();
        let cancelled = c.join().unwrap();
        assert!(cancelled, "queued and assigned work can both be cancelled");
        assert_eq!(r.workload(id).unwrap().state, WorkloadState::Cancelled);
        if placed.is_some() {
            assert_eq!(placed, Some(id));
        }
        assert_eq!(r.device("g0").unwrap().free_gpu_memory_gb, 80.0, "cancel gave the room back");
        counts_add_up(&r);
    });
}

#[test]
fn completion_racing_submit_and_dispatch_places_the_waiting_work() {
    loom::model(|| {
        let r = router(1);
        let first = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
        assert_eq!(r.dispatch().map(|a| a.workload_id), Some(first));
        let s = {
            let r = r.clone();
            thread::spawn(move || {
                let id = r.submit(&SubmitRequest::new("d", "model_training")).unwrap();
                (id, r.dispatch().map(|a| a.workload_id))
            })
        };
        let c = {
            let r = r.clone();
            thread::spawn(move || r.complete(first).unwrap())
        };
        let (second, placed) = s.join().unwrap();
        c.join().unwrap();
        // Whichever order the calls took, the waiting work runs once the GPU is free.
        let placed = placed.or_else(|| r.dispatch().map(|a| a.workload_id));
        assert_eq!(placed, Some(second));
        assert!(r.dispatch().is_none());
        counts_add_up(&r);
    });
}
