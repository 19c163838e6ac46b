//! Replays `tests/vectors/router.json` (shared with the Python, Node and Go suites): each
//! scenario builds a router from its config and runs its steps on one thread, checking every
//! expected result and error kind.

use hcpcore::econ::Market;
use hcpcore::router::{CustomerConfig, Router, SubmitRequest};
use serde_json::{json, Value};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/router.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("router.json")).expect("valid JSON")
}

fn s<'a>(step: &'a Value, key: &str) -> &'a str {
    step[key].as_str().unwrap_or_else(|| panic!("step needs string {key}: {step}"))
}

/// The submission a `submit` / `try_submit` step describes.
fn request(step: &Value) -> SubmitRequest<'_> {
    let mut req = SubmitRequest::new(s(step, "customer_id"), s(step, "workload_type"));
    req.priority = step["priority"].as_i64();
    req.gpus = step["gpus"].as_i64();
    req.gpu_memory_gb = step["gpu_memory_gb"].as_f64();
    req.site = step["site"].as_str();
    req.latency_bound_ms = step["latency_bound_ms"].as_f64();
    req.deadline_seconds = step["deadline_seconds"].as_f64();
    req
}

/// Runs one step; `Ok(result JSON)` or `Err(error kind name)`.
fn run(r: &Router, step: &Value) -> Result<Value, String> {
    let kind = |e: hcpcore::Error| e.kind().name().to_string();
    let id = || step["workload_id"].as_u64().unwrap_or(0);
    let customer = step["customer_id"].as_str();
    let ok = |res: hcpcore::Result<()>| res.map(|_| Value::Null).map_err(kind);
    match s(step, "op") {
        "add_device" => ok(r.add_device(
            s(step, "device_id"),
            s(step, "kind"),
            s(step, "model"),
            s(step, "site"),
            step["gpu_memory_gb"].as_f64(),
        )),
        "submit" => r.submit(&request(step)).map(|id| json!({ "workload_id": id })).map_err(kind),
        "try_submit" => {
            let sub = r.try_submit(&request(step));
            Ok(json!({ "workload_id": sub.workload_id, "state": sub.state.name(), "reason": sub.reason }))
        }
        "dispatch" => Ok(match r.dispatch() {
            None => Value::Null,
            Some(a) => json!({
                "workload_id": a.workload_id,
                "device_id": &*a.device_id,
                "device_ids": a.device_ids().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "priority": a.priority,
                "curtailed_device_ids": a.curtailed_device_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "preempted_workload_ids": a.preempted_workload_ids,
            }),
        }),
        "dispatch_batch" => {
            let max = step["max"].as_u64().unwrap_or(0) as usize;
            Ok(json!({ "workload_ids": r.dispatch_batch(max).iter().map(|a| a.workload_id).collect::<Vec<_>>() }))
        }
        "start" => ok(match customer {
            Some(c) => r.start_as(c, id()),
            None => r.start(id()),
        }),
        "complete" => ok(match customer {
            Some(c) => r.complete_as(c, id()),
            None => r.complete(id()),
        }),
        "fail" => ok(match customer {
            Some(c) => r.fail_as(c, id()),
            None => r.fail(id()),
        }),
        "cancel" => ok(match customer {
            Some(c) => r.cancel_as(c, id()),
            None => r.cancel(id()),
        }),
        "preempt" => ok(r.preempt(id())),
        "workload" => {
            let w = match customer {
                Some(c) => r.workload_as(c, id()),
                None => r.workload(id()),
            };
            w.map(|w| serde_json::to_value(w).unwrap()).map_err(kind)
        }
        "counts" => Ok(serde_json::to_value(r.counts()).unwrap()),
        "queue_depths" => Ok(json!({ "depths": r.queue_depths() })),
        "device" => r.device(s(step, "device_id")).map(|d| serde_json::to_value(d).unwrap()).map_err(kind),
        "advance_time" => ok(r.advance_time(step["seconds"].as_f64().unwrap_or(f64::NAN))),
        "age" => Ok(json!({ "promoted": r.age() })),
        "set_market" => {
            let m: Market = serde_json::from_value(step["market"].clone()).map_err(|e| e.to_string())?;
            r.set_market(m);
            Ok(Value::Null)
        }
        "set_site_power_cap_kw" => ok(r.set_site_power_cap_kw(s(step, "site"), step["power_cap_kw"].as_f64())),
        "site_load_kw" => r.site_load_kw(s(step, "site")).map(|kw| json!({ "kw": kw })).map_err(kind),
        "resume_miners" => r.resume_miners(s(step, "site")).map(|ids| json!({ "device_ids": ids })).map_err(kind),
        "set_device_available" => {
            ok(r.set_device_available(s(step, "device_id"), step["available"].as_bool().unwrap_or(true)))
        }
        "remove_device" => {
            r.remove_device(s(step, "device_id")).map(|ids| json!({ "workload_ids": ids })).map_err(kind)
        }
        "set_customer" => {
            let quota = |key: &str| step[key].as_u64().map(|v| v as u32);
            let config = CustomerConfig {
                weight: step["weight"].as_u64().unwrap_or(1) as u32,
                max_gpus: quota("max_gpus"),
                max_queued: quota("max_queued"),
            };
            ok(r.set_customer(s(step, "customer_id"), config))
        }
        "customer" => r.customer(s(step, "customer_id")).map(|c| serde_json::to_value(c).unwrap()).map_err(kind),
        "customer_workloads" => {
            let ids: Vec<u64> = r.customer_workloads(s(step, "customer_id")).iter().map(|w| w.id).collect();
            Ok(json!({ "workload_ids": ids }))
        }
        "now_seconds" => Ok(json!({ "seconds": r.now_seconds() })),
        other => panic!("unknown op {other}"),
    }
}

fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => (e.as_f64().unwrap() - a.as_f64().unwrap()).abs() < 1e-9,
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(e, a)| matches(e, a)),
        _ => expected == actual,
    }
}

#[test]
fn router_vectors_replay() {
    let v = vectors();
    let scenarios = v["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 10);
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap();
        let built = Router::from_json(&sc["config"].to_string());
        if let Some(want) = sc.get("config_error") {
            match built {
                Err(e) => assert_eq!(want.as_str(), Some(e.kind().name()), "{name}: config error"),
                Ok(_) => panic!("{name}: config should be refused with {want}"),
            }
            continue;
        }
        let r = built.unwrap_or_else(|e| panic!("{name}: config: {e}"));
        for (i, step) in sc["steps"].as_array().unwrap().iter().enumerate() {
            let got = run(&r, step);
            let at = format!("{name} step {i} {step}");
            match (step.get("error"), got) {
                (Some(kind), Err(k)) => assert_eq!(kind.as_str(), Some(k.as_str()), "{at}"),
                (Some(kind), Ok(v)) => panic!("{at}: expected error {kind}, got {v}"),
                (None, Err(k)) => panic!("{at}: unexpected error {k}"),
                (None, Ok(actual)) => {
                    let Some(expected) = step.get("expect") else { continue };
                    if expected.is_null() {
                        assert!(actual.is_null(), "{at}: expected null, got {actual}");
                        continue;
                    }
                    for (key, want) in expected.as_object().unwrap() {
                        assert!(matches(want, &actual[key]), "{at}: {key}: want {want}, got {}", actual[key]);
                    }
                }
            }
        }
        let c = r.counts();
        assert_eq!(c.submitted, c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected);
        assert_eq!(r.scan_counts(), c, "{name}: counts vs scan");
    }
}
