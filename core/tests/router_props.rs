//! Property tests: the state machine against a model, fair share converging to weights, and
//! customer isolation.

use std::collections::HashMap;

use hcpcore::router::{Router, SubmitRequest, WorkloadState};
use hcpcore::ErrorKind;
use proptest::prelude::*;

fn router(json: &str) -> Router {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["manual_clock"] = true.into();
    v["aging_seconds"] = 0.into();
    Router::from_json(&v.to_string()).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Submit(u8),
    Dispatch,
    Start(usize),
    Complete(usize),
    Fail(usize),
    Cancel(usize),
    Preempt(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u8..=10).prop_map(Op::Submit),
        Just(Op::Dispatch),
        (0usize..40).prop_map(Op::Start),
        (0usize..40).prop_map(Op::Complete),
        (0usize..40).prop_map(Op::Fail),
        (0usize..40).prop_map(Op::Cancel),
        (0usize..40).prop_map(Op::Preempt),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every call's outcome matches a model of the state machine, and counts match the model.
    #[test]
    fn state_machine_matches_model(ops in proptest::collection::vec(op(), 1..120)) {
        let r = router("{}");
        for i in 0..3 {
            r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", None).unwrap();
        }
        let mut ids: Vec<u64> = Vec::new();
        let mut model: HashMap<u64, WorkloadState> = HashMap::new();
        for op in ops {
            let (target, to) = match op {
                Op::Submit(p) => {
                    // Every third is realtime work, which may preempt lower-priority training.
                    let ty = if p % 3 == 0 { "ai_inference_realtime" } else { "model_training" };
                    let req = SubmitRequest::new("c", ty).priority(p as i64).gpu_memory_gb(80.0);
                    let id = r.submit(&req).unwrap();
                    ids.push(id);
                    model.insert(id, WorkloadState::Queued);
                    continue;
                }
                Op::Dispatch => {
                    let busy = model.values().filter(|s| matches!(s, WorkloadState::Assigned | WorkloadState::Running)).count();
                    let waiting = model.values().any(|s| *s == WorkloadState::Queued);
                    match r.dispatch() {
                        Some(a) => {
                            prop_assert_eq!(model.get(&a.workload_id), Some(&WorkloadState::Queued));
                            for v in &a.preempted_workload_ids {
                                let was = model.get(v).copied();
                                prop_assert!(matches!(was, Some(WorkloadState::Assigned | WorkloadState::Running)), "{:?}", was);
                                model.insert(*v, WorkloadState::Queued);
                            }
                            model.insert(a.workload_id, WorkloadState::Assigned);
                        }
                        None => prop_assert!(!waiting || busy == 3, "idle GPU and waiting work"),
                    }
                    continue;
                }
                Op::Start(i) => (i, WorkloadState::Running),
                Op::Complete(i) => (i, WorkloadState::Completed),
                Op::Fail(i) => (i, WorkloadState::Failed),
                Op::Cancel(i) => (i, WorkloadState::Cancelled),
                Op::Preempt(i) => (i, WorkloadState::Preempted),
            };
            let id = ids.get(target).copied().unwrap_or(10_000 + target as u64);
            let result = match to {
                WorkloadState::Running => r.start(id),
                WorkloadState::Completed => r.complete(id),
                WorkloadState::Failed => r.fail(id),
                WorkloadState::Cancelled => r.cancel(id),
                _ => r.preempt(id),
            };
            match model.get(&id).copied() {
                None => prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound),
                Some(from) => {
                    let legal = from.can_become(to) || (from == WorkloadState::Assigned && to == WorkloadState::Completed);
                    if legal {
                        prop_assert!(result.is_ok(), "{:?} -> {:?}: {:?}", from, to, result);
                        model.insert(id, if to == WorkloadState::Preempted { WorkloadState::Queued } else { to });
                    } else {
                        prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::IllegalTransition);
                    }
                }
            }
            prop_assert_eq!(r.workload(id).map(|w| w.state).ok(), model.get(&id).copied());
        }
        let c = r.counts();
        let n = |s: WorkloadState| model.values().filter(|v| **v == s).count() as u64;
        prop_assert_eq!(c.queued, n(WorkloadState::Queued));
        prop_assert_eq!(c.assigned, n(WorkloadState::Assigned));
        prop_assert_eq!(c.running, n(WorkloadState::Running));
        prop_assert_eq!(c.completed, n(WorkloadState::Completed));
        prop_assert_eq!(c.failed, n(WorkloadState::Failed));
        prop_assert_eq!(c.cancelled, n(WorkloadState::Cancelled));
        prop_assert_eq!(c.submitted, model.len() as u64);
        prop_assert_eq!(r.scan_counts(), c);
    }

    /// Backlogged customers at one level are served in proportion to their weights.
    #[test]
    fn fair_share_converges_to_weights(weights in proptest::collection::vec(1u32..=5, 2..=4), level in 1i64..=10) {
        let customers: serde_json::Map<String, serde_json::Value> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("c{i}"), serde_json::json!({"weight": w})))
            .collect();
        let r = router(&serde_json::json!({"customers": customers}).to_string());
        r.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
        let total: u32 = weights.iter().sum();
        let rounds = 60u32;
        let n = (rounds * total) as usize;
        for i in 0..weights.len() {
            for _ in 0..n {
                r.submit(&SubmitRequest::new(&format!("c{i}"), "ai_inference_batch").priority(level).gpu_memory_gb(1.0)).unwrap();
            }
        }
        let mut served = vec![0u32; weights.len()];
        for _ in 0..n {
            let a = r.dispatch().unwrap();
            let who = r.workload(a.workload_id).unwrap().customer_id;
            served[who[1..].parse::<usize>().unwrap()] += 1;
            r.complete(a.workload_id).unwrap();
        }
        for (i, w) in weights.iter().enumerate() {
            let share = served[i] as f64 / n as f64;
            let target = *w as f64 / total as f64;
            prop_assert!((share - target).abs() < 0.03, "customer {} weight {}: share {} vs {}", i, w, share, target);
        }
    }

    /// A customer can never see, cancel or complete another customer's workload.
    #[test]
    fn customers_are_isolated(owners in proptest::collection::vec(0usize..3, 1..30), probes in proptest::collection::vec((0usize..3, 0usize..30, 0u8..4), 1..60)) {
        let r = router("{}");
        r.add_device("g", "gpu", "H100_SXM", "a", None).unwrap();
        let ids: Vec<u64> = owners
            .iter()
            .map(|o| r.submit(&SubmitRequest::new(&format!("c{o}"), "ai_inference_batch").gpu_memory_gb(1.0)).unwrap())
            .collect();
        r.dispatch_batch(5);
        for (who, target, action) in probes {
            let Some(&id) = ids.get(target) else { continue };
            let me = format!("c{who}");
            let result = match action {
                0 => r.workload_as(&me, id).map(|_| ()),
                1 => r.cancel_as(&me, id),
                2 => r.complete_as(&me, id),
                _ => r.start_as(&me, id),
            };
            if owners[target] != who {
                prop_assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound);
            } else if let Err(e) = result {
                prop_assert_eq!(e.kind(), ErrorKind::IllegalTransition);
            }
        }
    }
}

/// One step of the batch-equivalence scenario: a batch of (customer, priority, GB) submissions,
/// a dispatch of up to `n`, or completing the `k` oldest running workloads.
#[derive(Debug, Clone)]
enum BatchOp {
    Submit(Vec<(u8, u8, u8, bool)>),
    Dispatch(usize),
    Complete(usize),
}

fn batch_op() -> impl Strategy<Value = BatchOp> {
    prop_oneof![
        proptest::collection::vec((0u8..3, 1u8..=10, 1u8..=80, proptest::bool::weighted(0.2)), 1..24)
            .prop_map(BatchOp::Submit),
        (1usize..40).prop_map(BatchOp::Dispatch),
        (1usize..40).prop_map(BatchOp::Complete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `submit_batch`, `dispatch_batch` and `complete_batch` give the same ids, the same
    /// assignments (workload → device, in order) and leave the same devices as the one-by-one
    /// calls: the batch paths (runs popped in one ticket turn, the held device entry, one pool
    /// publish per run of releases) are an optimisation, not another policy. Customers with
    /// different weights share levels; GPUs differ in memory so best fit has choices; work
    /// waits for capacity and realtime work preempts.
    #[test]
    fn batch_calls_place_exactly_as_single_calls(
        gpus in proptest::collection::vec(prop_oneof![Just(80.0f64), Just(40.0), Just(81.0), Just(24.0)], 1..12),
        ops in proptest::collection::vec(batch_op(), 1..40),
    ) {
        let cfg = r#"{"customers": {"c0": {"weight": 1}, "c1": {"weight": 2}, "c2": {"weight": 3}}}"#;
        let (single, batch) = (router(cfg), router(cfg));
        for (i, gb) in gpus.iter().enumerate() {
            for r in [&single, &batch] {
                r.add_device(&format!("g{i}"), "gpu", "H100_SXM", "a", Some(*gb)).unwrap();
            }
        }
        let names = ["c0", "c1", "c2"];
        let (mut running_single, mut running_batch) = (Vec::new(), Vec::new());
        for op in ops {
            match op {
                BatchOp::Submit(reqs) => {
                    let reqs: Vec<SubmitRequest> = reqs
                        .iter()
                        .map(|&(c, p, gb, realtime)| {
                            // Realtime inference may preempt lower-priority batch work.
                            let ty = if realtime { "ai_inference_realtime" } else { "ai_inference_batch" };
                            SubmitRequest::new(names[c as usize], ty)
                                .priority(p as i64)
                                .gpu_memory_gb(gb as f64)
                        })
                        .collect();
                    let one: Vec<String> = reqs.iter().map(|q| format!("{:?}", single.submit(q))).collect();
                    let many: Vec<String> = batch.submit_batch(&reqs).iter().map(|r| format!("{r:?}")).collect();
                    prop_assert_eq!(one, many);
                }
                BatchOp::Dispatch(n) => {
                    let mut one = Vec::new();
                    while one.len() < n {
                        match single.dispatch() {
                            Some(a) => one.push((a.workload_id, a.device_id.to_string())),
                            None => break,
                        }
                    }
                    let many: Vec<(u64, String)> =
                        batch.dispatch_batch(n).into_iter().map(|a| (a.workload_id, a.device_id.to_string())).collect();
                    prop_assert_eq!(&one, &many);
                    running_single.extend(one.iter().map(|a| a.0));
                    running_batch.extend(many.iter().map(|a| a.0));
                }
                BatchOp::Complete(k) => {
                    let k = k.min(running_single.len());
                    let one: Vec<bool> = running_single.drain(..k).map(|id| single.complete(id).is_ok()).collect();
                    let ids: Vec<u64> = running_batch.drain(..k).collect();
                    let many: Vec<bool> = batch.complete_batch(&ids).iter().map(|r| r.is_ok()).collect();
                    prop_assert_eq!(one, many);
                }
            }
            prop_assert_eq!(single.counts(), batch.counts());
            prop_assert_eq!(single.queue_depths(), batch.queue_depths());
        }
        for i in 0..gpus.len() {
            let name = format!("g{i}");
            prop_assert_eq!(single.device(&name).unwrap(), batch.device(&name).unwrap());
        }
    }
}
