//! Behaviour of the router one feature at a time: classification, errors, placement, power
//! admission, preemption, aging, quotas, isolation, metrics.

use hcpcore::econ::{Fees, Market};
use hcpcore::router::{Router, RouterConfig, SubmitRequest, WorkloadState};
use hcpcore::ErrorKind;

fn manual(json: &str) -> Router {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["manual_clock"] = serde_json::Value::Bool(true);
    Router::from_json(&v.to_string()).unwrap()
}

#[test]
fn classification_sets_defaults_and_explicit_fields_override() {
    let r = manual(r#"{"workload_types": {"embedding": {"priority": 3, "device_kind": "gpu", "gpu_memory_gb": 8}}}"#);
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime")).unwrap();
    let emb = r.submit(&SubmitRequest::new("c", "embedding")).unwrap();
    let batch = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(2).gpu_memory_gb(10.0)).unwrap();
    let info = |id| r.workload(id).unwrap();
    assert_eq!((info(rt).priority, info(rt).gpu_memory_gb), (1, 20.0));
    assert_eq!((info(emb).priority, info(emb).gpu_memory_gb), (3, 8.0));
    assert_eq!((info(batch).priority, info(batch).gpu_memory_gb), (2, 10.0));
    // Strict priority: 1, then 2, then 3.
    let order: Vec<u64> = (0..3).map(|_| r.dispatch().unwrap().workload_id).collect();
    assert_eq!(order, vec![rt, batch, emb]);
}

#[test]
fn bad_input_gives_the_documented_errors() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let kind = |res: hcpcore::Result<u64>| res.unwrap_err().kind();
    assert_eq!(kind(r.submit(&SubmitRequest::new("c", "nope"))), ErrorKind::InvalidInput);
    assert_eq!(kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(0))), ErrorKind::InvalidInput);
    assert_eq!(kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(11))), ErrorKind::InvalidInput);
    assert_eq!(
        kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(-1.0))),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(f64::NAN))),
        ErrorKind::InvalidInput
    );
    assert_eq!(kind(r.submit(&SubmitRequest::new("", "ai_inference_batch"))), ErrorKind::InvalidInput);
    assert_eq!(kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpus(0))), ErrorKind::InvalidInput);
    // Bigger than any registered GPU.
    assert_eq!(
        kind(r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(200.0))),
        ErrorKind::CapacityExceeded
    );
    let e = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(42)).unwrap_err();
    assert!(e.message().starts_with("priority"), "{e}");
    assert_eq!(r.complete(999).unwrap_err().kind(), ErrorKind::NotFound);
    for id in [0, u64::MAX, 1 << 40, (1 << 40) - 1] {
        assert_eq!(r.cancel(id).unwrap_err().kind(), ErrorKind::NotFound, "{id}");
        assert_eq!(r.workload(id).unwrap_err().kind(), ErrorKind::NotFound, "{id}");
    }
    assert_eq!(r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(r.add_device("g1", "tpu", "H100_SXM", "a", None).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(r.add_device("g1", "gpu", "S21", "a", None).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(r.add_device("g1", "gpu", "H100_SXM", "a", Some(-80.0)).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(r.set_device_available("zz", false).unwrap_err().kind(), ErrorKind::NotFound);
    // Vendor names and the bare "H100" are understood; unknown models are not.
    r.add_device("g2", "gpu", "NVIDIA H100 SXM", "a", None).unwrap();
    r.add_device("g3", "gpu", "h100", "a", None).unwrap();
    r.add_device("m0", "asic", "Antminer S21 XP", "a", None).unwrap();
    assert_eq!(r.device("m0").unwrap().model, "S21_XP");
    assert_eq!(r.add_device("g4", "gpu", "A100", "a", None).unwrap_err().kind(), ErrorKind::InvalidInput);
    let c = r.counts();
    assert_eq!(c.rejected, 9);
    assert_eq!(c.submitted, 9);
    assert!(Router::from_json("{not json").is_err());
    assert_eq!(Router::from_json(r#"{"max_candidates": 0}"#).unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[test]
fn state_machine_is_checked() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
    assert_eq!(r.start(id).unwrap_err().kind(), ErrorKind::IllegalTransition);
    assert_eq!(r.complete(id).unwrap_err().kind(), ErrorKind::IllegalTransition);
    r.dispatch().unwrap();
    assert_eq!(r.workload(id).unwrap().state, WorkloadState::Assigned);
    r.start(id).unwrap();
    assert_eq!(r.start(id).unwrap_err().kind(), ErrorKind::IllegalTransition);
    r.complete(id).unwrap();
    for res in [r.complete(id), r.cancel(id), r.fail(id), r.start(id), r.preempt(id)] {
        assert_eq!(res.unwrap_err().kind(), ErrorKind::IllegalTransition);
    }
    let c = r.counts();
    assert_eq!((c.submitted, c.completed), (1, 1));
    assert_eq!(r.device("g0").unwrap().free_gpu_memory_gb, 80.0);
}

#[test]
fn best_fit_packs_devices_and_frees_them() {
    let r = manual("{}");
    r.add_device("big", "gpu", "H100_SXM", "a", Some(80.0)).unwrap();
    r.add_device("small", "gpu", "H100_PCIE", "a", Some(24.0)).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(20.0)).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!(&*a.device_id, "small", "tightest fit wins");
    let id2 = r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(20.0)).unwrap();
    assert_eq!(&*r.dispatch().unwrap().device_id, "big");
    let id3 = r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(60.0)).unwrap();
    assert_eq!(&*r.dispatch().unwrap().device_id, "big", "shares the big GPU's remaining 60 GB");
    let id4 = r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(10.0)).unwrap();
    assert!(r.dispatch().is_none(), "no room: waits");
    assert_eq!(r.workload(id4).unwrap().state, WorkloadState::Queued);
    r.complete(id).unwrap();
    assert_eq!(&*r.dispatch().unwrap().device_id, "small");
    for w in [id2, id3, id4] {
        r.complete(w).unwrap();
    }
    assert_eq!(r.device("big").unwrap().free_gpu_memory_gb, 80.0);
    assert_eq!(r.device("small").unwrap().free_gpu_memory_gb, 24.0);
}

#[test]
fn multi_gpu_work_takes_distinct_devices_at_one_site() {
    let r = manual("{}");
    for i in 0..3 {
        r.add_device(&format!("a{i}"), "gpu", "H100_SXM", "a", None).unwrap();
    }
    r.add_device("b0", "gpu", "H100_SXM", "b", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "model_training").gpus(3).gpu_memory_gb(10.0)).unwrap();
    let a = r.dispatch().unwrap();
    let mut ids: Vec<String> = a.device_ids().iter().map(|d| d.to_string()).collect();
    ids.sort();
    assert_eq!(ids, vec!["a0", "a1", "a2"]);
    assert_eq!(r.workload(id).unwrap().device_ids.len(), 3);
    assert_eq!(
        r.submit(&SubmitRequest::new("c", "model_training").gpus(4)).unwrap_err().kind(),
        ErrorKind::CapacityExceeded
    );
    r.complete(id).unwrap();
    assert!((0..3).all(|i| r.device(&format!("a{i}")).unwrap().free_gpu_memory_gb == 80.0));
}

fn market(electricity: f64) -> Market {
    Market::new(100_000.0, 1.0e14, 840_000, Fees::BtcPerBlock(0.0), electricity, 2.0, 0.0).unwrap()
}

#[test]
fn power_cap_curtails_cheapest_miners_first() {
    // 3 miners draw 3.5 + 3.51 + 3.01 kW, two GPUs idle at 0.125 kW: 10.27 kW against an 8 kW
    // cap (the operator over-committed); a whole-GPU job adds 0.575 kW.
    let r = manual(r#"{"sites": {"s": {"power_cap_kw": 8.0}}}"#);
    r.set_market(market(0.05));
    r.add_device("s21", "asic", "S21", "s", None).unwrap();
    r.add_device("s21pro", "asic", "S21_PRO", "s", None).unwrap();
    r.add_device("s19xp", "asic", "S19_XP", "s", None).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "s", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "s", None).unwrap();
    assert!((r.site_load_kw("s").unwrap() - 10.27).abs() < 1e-9);
    r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let a = r.dispatch().unwrap();
    // The S19 XP earns least per kW: it sleeps first.
    assert_eq!(a.curtailed_device_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(), vec!["s19xp"]);
    assert!(r.site_load_kw("s").unwrap() <= 8.0);
    assert_eq!(r.device("s19xp").unwrap().status, "curtailed");
    let b_id = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let b = r.dispatch().unwrap();
    assert_eq!(b.curtailed_device_ids.len(), 1);
    assert_eq!(&*b.curtailed_device_ids[0], "s21");
    r.complete(b_id).unwrap();
    assert_eq!(r.resume_miners("s").unwrap(), vec!["s21".to_string()]);
    assert!(r.site_load_kw("s").unwrap() <= 8.0);
}

#[test]
fn work_that_power_cannot_admit_waits() {
    let r = manual(r#"{"sites": {"s": {"power_cap_kw": 0.5}}}"#);
    r.add_device("g0", "gpu", "H100_SXM", "s", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    assert!(r.dispatch().is_none());
    assert_eq!(r.workload(id).unwrap().state, WorkloadState::Queued);
    assert_eq!(r.metrics().waits_for_capacity, 1);
    assert!((r.site_load_kw("s").unwrap() - 0.125).abs() < 1e-9, "a refused admission leaves the load as it was");
    r.set_site_power_cap_kw("s", Some(1.0)).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, id);
}

#[test]
fn preemption_takes_lowest_priority_newest_victim_and_requeues_it() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    let old = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    let newer = r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    r.dispatch().unwrap();
    r.start(old).unwrap();
    r.start(newer).unwrap();
    let submit_time = r.workload(newer).unwrap().submit_seconds;
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime").gpu_memory_gb(40.0)).unwrap();
    let a = r.dispatch().unwrap();
    assert_eq!(a.workload_id, rt);
    assert_eq!(a.preempted_workload_ids, vec![newer]);
    let v = r.workload(newer).unwrap();
    assert_eq!((v.state, v.submit_seconds), (WorkloadState::Queued, submit_time));
    assert_eq!(r.counts().preemptions, 1);
    // Batch work may not preempt.
    r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(1).gpu_memory_gb(80.0)).unwrap();
    assert!(r.dispatch().is_none());
    let c = r.counts();
    assert_eq!(c.submitted, c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected);
}

#[test]
fn preemption_can_be_disabled() {
    let r = manual(r#"{"preemption": false}"#);
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.submit(&SubmitRequest::new("c", "model_training")).unwrap();
    r.dispatch().unwrap();
    r.submit(&SubmitRequest::new("c", "ai_inference_realtime")).unwrap();
    assert!(r.dispatch().is_none());
}

#[test]
fn aging_lifts_waiting_work_one_level_per_period() {
    let r = manual(r#"{"aging_seconds": 10}"#);
    let low = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(9)).unwrap();
    r.advance_time(25.0).unwrap();
    assert_eq!(r.age(), 1);
    assert_eq!(r.workload(low).unwrap().effective_priority, 7);
    let fresh = r.submit(&SubmitRequest::new("c", "ai_inference_batch").priority(8)).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, low, "aged work (now 7) beats fresh 8");
    assert_eq!(r.queue_depths()[7], 1);
    assert_eq!(r.workload(fresh).unwrap().state, WorkloadState::Queued);
}

#[test]
fn quotas_and_isolation() {
    let r = manual(r#"{"customers": {"small": {"weight": 1, "max_gpus": 1, "max_queued": 2}}}"#);
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.add_device("g1", "gpu", "H100_SXM", "a", None).unwrap();
    let a = r.submit(&SubmitRequest::new("small", "model_training")).unwrap();
    let b = r.submit(&SubmitRequest::new("small", "model_training")).unwrap();
    assert_eq!(
        r.submit(&SubmitRequest::new("small", "model_training")).unwrap_err().kind(),
        ErrorKind::CapacityExceeded
    );
    assert_eq!(r.dispatch().unwrap().workload_id, a);
    assert!(r.dispatch().is_none(), "max_gpus = 1: b waits although g1 is free");
    let other = r.submit(&SubmitRequest::new("big", "model_training")).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, other);
    // Isolation: another customer's workload does not exist for you.
    assert_eq!(r.complete_as("big", a).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(r.cancel_as("big", b).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(r.workload_as("big", a).unwrap_err().kind(), ErrorKind::NotFound);
    r.complete_as("small", a).unwrap();
    r.complete_as("big", other).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, b);
}

#[test]
fn cancel_of_queued_work_is_never_dispatched() {
    let r = manual("{}");
    let a = r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
    let b = r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
    r.cancel(a).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    assert_eq!(r.dispatch().unwrap().workload_id, b);
    assert!(r.dispatch().is_none());
    let c = r.counts();
    assert_eq!((c.cancelled, c.assigned, c.queued), (1, 1, 0));
    assert_eq!(r.scan_counts(), c);
}

#[test]
fn drained_devices_take_no_new_work() {
    let r = manual("{}");
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    r.set_device_available("g0", false).unwrap();
    r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
    assert!(r.dispatch().is_none());
    r.set_device_available("g0", true).unwrap();
    assert!(r.dispatch().is_some());
}

#[test]
fn mining_work_runs_on_asics() {
    let r = manual("{}");
    r.add_device("m0", "asic", "S21", "a", None).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "bitcoin_mining")).unwrap();
    assert_eq!(&*r.dispatch().unwrap().device_id, "m0");
    r.submit(&SubmitRequest::new("c", "bitcoin_mining")).unwrap();
    assert!(r.dispatch().is_none());
    r.complete(id).unwrap();
    assert_eq!(&*r.dispatch().unwrap().device_id, "m0");
}

#[test]
fn metrics_text_has_the_platform_names() {
    let r = Router::new(RouterConfig::default()).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    let id = r.submit(&SubmitRequest::new("c", "ai_inference_batch")).unwrap();
    r.dispatch().unwrap();
    r.complete(id).unwrap();
    let t = r.metrics_text();
    for name in [
        "router_workloads_queued_total{priority=\"5\"} 1",
        "router_queue_depth{priority=\"1\"} 0",
        "router_decision_duration_seconds_count 1",
        "orchestrator_allocations_total{kind=\"gpu\",result=\"success\"} 1",
        "orchestrator_allocation_duration_seconds_bucket{le=\"+Inf\"} 1",
        "orchestrator_active_workloads 0",
        "router_workloads{state=\"completed\"} 1",
    ] {
        assert!(t.contains(name), "missing {name}\n{t}");
    }
    let m = r.metrics();
    assert_eq!(m.decision.count, 1);
    assert!(m.decision.p99_seconds >= m.decision.p50_seconds);
}

#[test]
fn latency_bounds_and_deadlines_are_classified_overridden_and_counted() {
    let r = manual("{}");
    let rt = r.submit(&SubmitRequest::new("c", "ai_inference_realtime")).unwrap();
    let batch =
        r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(10.0).deadline_seconds(0.5)).unwrap();
    let quick =
        r.submit(&SubmitRequest::new("c", "ai_inference_batch").gpu_memory_gb(10.0).latency_bound_ms(5000.0)).unwrap();
    assert_eq!(r.workload(rt).unwrap().latency_bound_ms, Some(100.0), "from the type");
    assert_eq!(r.workload(batch).unwrap().deadline_seconds, Some(0.5), "explicit field");
    assert_eq!(r.workload(batch).unwrap().latency_bound_ms, None);
    for bad in [-1.0, 0.0, f64::NAN, f64::INFINITY] {
        let e = r.submit(&SubmitRequest::new("c", "ai_inference_batch").deadline_seconds(bad)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().starts_with("deadline_seconds"));
        assert!(r.submit(&SubmitRequest::new("c", "ai_inference_batch").latency_bound_ms(bad)).is_err());
    }
    r.advance_time(1.0).unwrap();
    r.add_device("g0", "gpu", "H100_SXM", "a", None).unwrap();
    // Realtime work is dropped past its bound (on_miss: drop); batch work runs late, counted.
    let placed: Vec<u64> = r.dispatch_batch(3).iter().map(|a| a.workload_id).collect();
    assert_eq!(placed, vec![batch, quick]);
    let w = r.workload(rt).unwrap();
    assert_eq!((w.state, w.reason.as_deref()), (hcpcore::router::WorkloadState::Failed, Some("latency bound passed")));
    let m = r.metrics();
    assert_eq!((m.latency_bound_misses, m.deadline_misses), (0, 1), "batch waited 1 s > its 0.5 s deadline");
    assert!(r.metrics_text().contains("router_deadline_missed_total 1"));
}
