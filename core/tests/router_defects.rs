//! The defects of issue #9, one test each, as a user first met them (manual clock, default
//! config). The shared vectors replay the same cases in every language.

use hcpcore::router::{Router, RouterConfig, SubmitRequest, WorkloadState};
use hcpcore::ErrorKind;

fn manual(json: &str) -> Router {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["manual_clock"] = true.into();
    Router::from_json(&v.to_string()).unwrap()
}

fn batch(gb: f64) -> SubmitRequest<'static> {
    SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(gb)
}

#[test]
fn work_that_fits_runs_exactly() {
    let r = manual("{}");
    r.add_device("g41", "gpu", "H100_SXM", "a", Some(41.0)).unwrap();
    let i = r.submit(&batch(41.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, i);

    let r = manual("{}");
    r.add_device("g80", "gpu", "H100_SXM", "a", None).unwrap();
    let hold = r.submit(&batch(39.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, hold);
    let i = r.submit(&batch(41.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, i, "41 GB fits beside 39 GB on 80 GB");

    // Five 200 GB devices with 150 GB free and one with 190 GB free (each filled while the
    // others were drained).
    let r = manual("{}");
    for d in 0..6 {
        r.add_device(&format!("big{d}"), "gpu", "H100_SXM", "a", Some(200.0)).unwrap();
    }
    for d in 0..6 {
        for o in 0..6 {
            r.set_device_available(&format!("big{o}"), o == d).unwrap();
        }
        let held = if d < 5 { 50.0 } else { 10.0 };
        let id = r.submit(&SubmitRequest::new("h", "ai_inference_batch").gpu_memory_gb(held)).unwrap();
        let a = r.dispatch().unwrap();
        assert_eq!((a.workload_id, &*a.device_id), (id, format!("big{d}").as_str()));
    }
    for o in 0..6 {
        r.set_device_available(&format!("big{o}"), true).unwrap();
    }
    let i = r.submit(&batch(180.0)).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!((a.workload_id, &*a.device_id), (i, "big5"));
}

#[test]
fn preemption_only_when_it_makes_placement_succeed() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let v = r.submit(&SubmitRequest::new("c", "model_training").gpu_memory_gb(30.0)).unwrap();
    r.dispatch().unwrap();
    let other = r.submit(&SubmitRequest::new("c", "ai_inference_realtime").gpu_memory_gb(40.0)).unwrap();
    r.dispatch().unwrap();
    // 70 GB realtime: preempting the 30 GB training job frees only 40 GB (the other 40 GB is
    // realtime, not preemptible): nobody is preempted, nothing placed.
    r.submit(&SubmitRequest::new("c", "ai_inference_realtime").gpu_memory_gb(70.0)).unwrap();
    for _ in 0..3 {
        assert!(r.dispatch().is_none());
    }
    assert_eq!(r.counts().preemptions, 0);
    assert_eq!(r.workload(v).unwrap().state, WorkloadState::Assigned);
    // 35 GB realtime: preempting the training job makes room.
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime").gpu_memory_gb(35.0)).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!((a.workload_id, a.preempted_workload_ids.clone()), (rt, vec![v]));
    let w = r.workload(v).unwrap();
    assert_eq!((w.state, w.preemptions), (WorkloadState::Queued, 1));
    let _ = other;
}

#[test]
fn cancelled_and_unplaceable_work_never_reorder() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let busy = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    let a = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(3).gpu_memory_gb(80.0)).unwrap();
    assert!(r.dispatch().is_none());
    let x = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(1).gpu_memory_gb(80.0)).unwrap();
    r.cancel(x).unwrap();
    r.complete(busy).unwrap();
    let _c = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(5).gpu_memory_gb(80.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, a);

    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let busy = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    let p1 = r.submit(&batch(80.0)).unwrap();
    let p2 = r.submit(&batch(80.0)).unwrap();
    assert!(r.dispatch().is_none());
    r.complete(busy).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, p1);
    r.complete(p1).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, p2);
}

#[test]
fn unplaceable_work_does_not_hide_work_that_fits() {
    let r = manual("{}");
    for d in 0..4 {
        r.add_device(&format!("g{d}"), "gpu", "H100_SXM", "a", None).unwrap();
    }
    for d in 0..4 {
        r.submit(&SubmitRequest::new("h", "model_training").gpu_memory_gb(50.0)).unwrap();
        assert_eq!(&*r.dispatch().unwrap().device_id, format!("g{d}").as_str(), "50 GB each: one per GPU");
    }
    for _ in 0..20 {
        r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(1).gpu_memory_gb(40.0)).unwrap();
    }
    let small = r.submit(&batch(10.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, small);
    assert!(r.dispatch().is_none(), "the 40 GB requests still fit nowhere (30 GB free at most)");
}

#[test]
fn no_curtailment_for_work_not_placed() {
    // Cap 1 kW under a load of one S21 and two idle H100s: one GPU job fits once the miner
    // sleeps; a two-GPU job cannot fit even so.
    let r = manual(r#"{"sites": {"s": {"power_cap_kw": 1.0}}}"#);
    r.add_device("m0", "asic", "S21", "s", None).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "s", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "s", None).unwrap();
    let load = r.site_load_kw("s").unwrap();
    r.submit(&SubmitRequest::new("c", "model_training").gpus(2)).unwrap();
    assert!(r.dispatch().is_none());
    assert_eq!(r.device("m0").unwrap().status, "available");
    assert_eq!(r.site_load_kw("s").unwrap(), load);
    let one = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!((a.workload_id, a.curtailed_device_ids.len()), (one, 1), "one GPU job: the miner sleeps for it");
}

#[test]
fn a_refused_call_changes_nothing() {
    let r = manual(r#"{"sites": {"s": {"power_cap_kw": 1.0}}}"#);
    r.add_device("m0", "asic", "S21", "s", None).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "s", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!(a.curtailed_device_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(), vec!["m0"]);
    let e = r.set_device_available("m0", true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(r.device("m0").unwrap().status, "curtailed");
    r.complete(id).unwrap();
    assert!(r.resume_miners("s").unwrap().is_empty(), "a 1 kW cap cannot power an awake S21");
    r.set_site_power_cap_kw("s", None).unwrap();
    assert_eq!(r.resume_miners("s").unwrap(), vec!["m0".to_string()]);
    assert_eq!(r.device("m0").unwrap().status, "available");
}

#[test]
fn aging_follows_the_clock() {
    let r = manual(r#"{"aging_seconds": 10}"#);
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let busy = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    let old = r.submit(&batch(80.0).priority(5)).unwrap();
    r.advance_time(20.0).unwrap();
    let new = r.submit(&batch(80.0).priority(4)).unwrap();
    assert_eq!(r.workload(old).unwrap().effective_priority, 3);
    assert_eq!(r.queue_depths()[2], 1);
    r.complete(busy).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, old);
    let _ = new;
}

#[test]
fn limits_are_checked_where_they_enter() {
    let e = Router::from_json(
        r#"{"workload_types": {"huge": {"priority": 3, "device_kind": "gpu", "gpus": 65537, "gpu_memory_gb": 1}}}"#,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().starts_with("gpus"), "{}", e.message());
    let r = Router::new(RouterConfig::default()).unwrap();
    let s = r.try_submit(&batch(1.0).gpus(1025));
    assert_eq!(s.state, WorkloadState::Rejected);
    assert_eq!(s.error.unwrap().kind(), ErrorKind::InvalidInput);
    let w = r.workload(s.workload_id).unwrap();
    assert_eq!(w.state, WorkloadState::Rejected);
    assert!(w.reason.unwrap().starts_with("gpus"));
}

#[test]
fn multi_gpu_work_preempts_and_is_preempted_by_the_same_rule() {
    // A two-GPU realtime request takes the room of two one-GPU training jobs.
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    let t0 = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let t1 = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    assert_eq!(r.dispatch_batch(2).len(), 2);
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime").gpus(2).gpu_memory_gb(40.0)).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!(a.workload_id, rt);
    let mut victims = a.preempted_workload_ids.clone();
    victims.sort_unstable();
    assert_eq!(victims, vec![t0, t1]);
    assert_eq!(a.device_ids().len(), 2);

    // A one-GPU realtime request takes the room of a two-GPU training job (both its GPUs go).
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    let big = r.submit(&SubmitRequest::new("c", "model_training").gpus(2)).unwrap();
    assert_eq!(r.dispatch().unwrap().device_ids().len(), 2);
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime")).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!((a.workload_id, a.preempted_workload_ids.clone()), (rt, vec![big]));
    assert_eq!(r.device("g0").unwrap().free_gpu_memory_gb + r.device("g1").unwrap().free_gpu_memory_gb, 140.0);
}

#[test]
fn a_preempted_workload_keeps_its_place_in_its_customers_queue() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let first = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    let later = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.preempt(first).unwrap();
    assert_eq!(r.workload(first).unwrap().preemptions, 1);
    // Both wait at priority 7; the preempted one was submitted first and goes first.
    assert_eq!(r.dispatch().unwrap().workload_id, first);
    r.complete(first).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, later);
}
