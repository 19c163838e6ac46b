//! Replays tests/vectors/serve.json, the serving cases the Python, Node and Go suites replay too:
//! short seeded runs (per-request columns and summary figures), synthetic streams, the shipped
//! trace heads, the aggregate model and bad inputs (error kind and the field named first).

use hcpcore::sim::serve::{
    aggregate, azure_trace, run, synthetic, AggregateLoad, AzureTrace, RequestColumns, Requests, ServeConfig,
    SyntheticStream,
};
use hcpcore::sim::{GpuSpec, ModelSpec};
use serde_json::{json, Value};

fn doc() -> Value {
    let path = format!("{}/../tests/vectors/serve.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(path: &str, got: &Value, want: &Value, rel: f64, abs: f64) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() <= abs.max(rel * w.abs()), "{path}: got {g}, want {w}");
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: length");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                close(&format!("{path}[{i}]"), a, b, rel, abs);
            }
        }
        (Value::Object(_), Value::Object(w)) => {
            for (k, b) in w {
                close(&format!("{path}.{k}"), &got[k], b, rel, abs);
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn requests(spec: &Value) -> Requests {
    if let Some(c) = spec.get("columns") {
        return Requests {
            arrival_seconds: floats(&c["arrival_seconds"]),
            prompt_tokens: ints(&c["prompt_tokens"]),
            output_tokens: ints(&c["output_tokens"]),
        };
    }
    if let Some(which) = spec.get("azure") {
        let t = azure_trace(AzureTrace::parse(which.as_str().unwrap()).unwrap());
        let n = spec["head"].as_u64().unwrap() as usize;
        return Requests {
            arrival_seconds: t.arrival_seconds[..n].to_vec(),
            prompt_tokens: t.prompt_tokens[..n].to_vec(),
            output_tokens: t.output_tokens[..n].to_vec(),
        };
    }
    let stream: SyntheticStream = serde_json::from_value(spec["synthetic"].clone()).unwrap();
    synthetic(&stream).unwrap()
}

fn server(case: &Value) -> (GpuSpec, ModelSpec, ServeConfig) {
    let gpu = GpuSpec::by_name(case.get("gpu").and_then(Value::as_str).unwrap_or("sxm")).unwrap();
    let model: ModelSpec =
        serde_json::from_value(case.get("model").cloned().unwrap_or(json!({"params": 8e9, "bytes_per_param": 2})))
            .unwrap();
    let config: ServeConfig = serde_json::from_value(case.get("config").cloned().unwrap_or(json!({}))).unwrap();
    (gpu, model, config)
}

#[test]
fn serve_vectors() {
    let d = doc();
    let (rel, abs) = (d["tolerance"]["relative"].as_f64().unwrap(), d["tolerance"]["absolute"].as_f64().unwrap());
    let mut checked = 0;
    for case in d["runs"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (gpu, model, config) = server(case);
        let req = requests(&case["requests"]);
        let tenant: Option<Vec<i64>> = case["requests"]["columns"].get("tenant").map(ints);
        let mut cols = req.view();
        cols.tenant = tenant.as_deref();
        let r = run(&gpu, &model, &config, cols).unwrap();
        let s = serde_json::to_value(r.summary).unwrap();
        let mut summary = json!({});
        for k in case["expect"]["summary"].as_object().unwrap().keys() {
            summary[k] = if k == "ttft_p99_seconds" { json!(r.summary.ttft_seconds.p99) } else { s[k].clone() };
        }
        let got = json!({
            "replica": r.replica, "queue_seconds": r.queue_seconds, "ttft_seconds": r.ttft_seconds,
            "tpot_seconds": r.tpot_seconds, "e2e_seconds": r.e2e_seconds, "preemptions": r.preemptions,
            "summary": summary, "tenants": r.tenants,
        });
        close(name, &got, &case["expect"], rel, abs);
        checked += 1;
    }
    for case in d["errors"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (gpu, model, config) = server(case);
        let req = match case.get("columns") {
            Some(c) => requests(&json!({ "columns": c })),
            None => Requests { arrival_seconds: vec![0.0], prompt_tokens: vec![10], output_tokens: vec![10] },
        };
        let e = run(
            &gpu,
            &model,
            &config,
            RequestColumns::new(&req.arrival_seconds, &req.prompt_tokens, &req.output_tokens),
        )
        .unwrap_err();
        assert_eq!(e.kind().name(), case["error"].as_str().unwrap(), "{name}: {e}");
        let field = case["field"].as_str().unwrap();
        assert!(e.message().starts_with(&format!("{field}:")), "{name}: {}", e.message());
        checked += 1;
    }
    for case in d["synthetic"].as_array().unwrap() {
        let stream: SyntheticStream = serde_json::from_value(case["stream"].clone()).unwrap();
        let s = synthetic(&stream).unwrap();
        let got = json!({"arrival_seconds": s.arrival_seconds, "prompt_tokens": s.prompt_tokens, "output_tokens": s.output_tokens});
        close(case["name"].as_str().unwrap(), &got, &case["expect"], rel, abs);
        checked += 1;
    }
    for case in d["traces"].as_array().unwrap() {
        let t = azure_trace(AzureTrace::parse(case["trace"].as_str().unwrap()).unwrap());
        assert_eq!(t.len() as u64, case["requests"].as_u64().unwrap());
        let got = json!({"arrival_seconds": t.arrival_seconds[..5], "prompt_tokens": t.prompt_tokens[..5], "output_tokens": t.output_tokens[..5]});
        close("trace", &got, &case["head"], rel, abs);
        checked += 1;
    }
    for case in d["aggregate"].as_array().unwrap() {
        let (gpu, model, config) = server(case);
        let load: AggregateLoad = serde_json::from_value(case["load"].clone()).unwrap();
        let a = aggregate(&gpu, &model, &config, &load).unwrap();
        close(case["name"].as_str().unwrap(), &serde_json::to_value(a).unwrap(), &case["expect"], rel, abs);
        checked += 1;
    }
    assert!(checked >= 19, "{checked} cases");
}
