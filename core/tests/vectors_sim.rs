//! Replays `tests/vectors/sim.json`, the cases every language's suite replays.
//! `HCP_REGENERATE_VECTORS=1` rewrites the `expect` blocks from the current core (then review the
//! diff: the physics is held to measurements by `sim_calibration.rs`, not by these numbers).

use serde_json::{json, Map, Value};

use hcpcore::sim::{
    Command, DecodeOptions, Fleet, FleetConfig, MarketReplay, MarketSource, ModelSpec, SyntheticConfig,
    SyntheticMarket, H100,
};

type CaseFn = fn(&Value) -> Value;

fn root() -> String {
    format!("{}/..", env!("CARGO_MANIFEST_DIR"))
}

fn err(e: hcpcore::Error) -> Value {
    json!({"error": e.kind().name(), "message": e.message()})
}

fn decode_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let gpu = H100::new(c["gpu"].as_str().unwrap_or(""))?;
        let model: ModelSpec = serde_json::from_value(c["model"].clone())
            .map_err(|e| hcpcore::Error::invalid_input("model", e.to_string()))?;
        let options = DecodeOptions { context_tokens: c["context_tokens"].as_u64().unwrap_or(0) };
        let d = gpu.decode_with(&model, c["batch"].as_i64().unwrap_or(0), options)?;
        Ok(json!({
            "step_seconds": d.step_seconds,
            "tokens_per_second": d.tokens_per_second,
            "power_watts": d.power_watts,
            "sm_clock_mhz": d.sm_clock_mhz,
            "gpu_temp_c": d.gpu_temp_c,
            "kv_bytes_per_token": d.kv_bytes_per_token,
            "memory_used_bytes": d.memory_used_bytes,
            "power_limited": d.power_limited,
        }))
    };
    run().unwrap_or_else(err)
}

fn switch_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let gpu = H100::new(c["gpu"].as_str().unwrap_or(""))?;
        let p = gpu.switch(
            c["kv_bytes"].as_f64().unwrap_or(f64::NAN),
            c["weights_bytes"].as_f64().unwrap_or(f64::NAN),
            c["host_memory"].as_str().unwrap_or(""),
            c["warm_context"].as_bool().unwrap_or(true),
        )?;
        Ok(serde_json::to_value(p).unwrap())
    };
    run().unwrap_or_else(err)
}

fn market_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let config: SyntheticConfig = serde_json::from_value(c.get("config").cloned().unwrap_or(json!({})))
            .map_err(|e| hcpcore::Error::invalid_input("config", e.to_string()))?;
        let mut m = SyntheticMarket::new(config, c["seed"].as_u64().unwrap_or(0))?;
        let s = m.series(c["steps"].as_u64().unwrap_or(0) as usize, c["dt_seconds"].as_f64().unwrap_or(f64::NAN))?;
        Ok(serde_json::to_value(s).unwrap())
    };
    run().unwrap_or_else(err)
}

fn replay_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let dir = format!("{}/{}", root(), c["dir"].as_str().unwrap_or(""));
        let r = MarketReplay::from_dir(&dir, c["start"].as_str().unwrap_or(""))?;
        let s = r.series(c["steps"].as_u64().unwrap_or(0) as usize, c["dt_seconds"].as_f64().unwrap_or(f64::NAN))?;
        Ok(serde_json::to_value(s).unwrap())
    };
    run().unwrap_or_else(err)
}

/// The fleet of a `fleet` or `telemetry` case after its steps and commands.
fn build_fleet(c: &Value) -> hcpcore::Result<Fleet> {
    let mut fleet = Fleet::new(FleetConfig::from_json(&c["config"].to_string())?)?;
    for pair in c["gpus"].as_array().into_iter().flatten() {
        for _ in 0..pair[1].as_u64().unwrap_or(0) {
            fleet.add_gpu(pair[0].as_str().unwrap_or(""))?;
        }
    }
    for pair in c["miners"].as_array().into_iter().flatten() {
        for _ in 0..pair[1].as_u64().unwrap_or(0) {
            fleet.add_miner(pair[0].as_str().unwrap_or(""))?;
        }
    }
    if let Some(seed) = c["market"]["synthetic"]["seed"].as_u64() {
        fleet.set_market(MarketSource::Synthetic(Box::new(SyntheticMarket::new(SyntheticConfig::default(), seed)?)));
    }
    let commands = c["commands"].as_array().cloned().unwrap_or_default();
    for step in 0..c["steps"].as_u64().unwrap_or(0) {
        for cmd in commands.iter().filter(|x| x["step"].as_u64() == Some(step)) {
            let command = Command::from_json(&cmd["command"].to_string())?;
            fleet.command(cmd["device"].as_i64().unwrap_or(-1), command)?;
        }
        fleet.step()?;
    }
    Ok(fleet)
}

fn fleet_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let fleet = build_fleet(c)?;
        let s = fleet.series();
        let last = s.len() - 1;
        let mut kinds = Map::new();
        for e in fleet.events() {
            let n = kinds.get(e.kind.name()).and_then(Value::as_u64).unwrap_or(0);
            kinds.insert(e.kind.name().into(), json!(n + 1));
        }
        Ok(json!({
            "summary": serde_json::to_value(fleet.summary()).unwrap(),
            "last": {
                "power_watts": s.power_watts[last],
                "gpu_power_watts": s.gpu_power_watts[last],
                "asic_power_watts": s.asic_power_watts[last],
                "hashrate_ths": s.hashrate_ths[last],
                "tokens_per_second": s.tokens_per_second[last],
                "max_gpu_temp_c": s.max_gpu_temp_c[last],
            },
            "power_watts_sum": s.power_watts.iter().sum::<f64>(),
            "events_by_kind": kinds,
        }))
    };
    run().unwrap_or_else(err)
}

/// `series{labels}` → value of every sample of a Prometheus exposition.
fn exposition_samples(text: &str) -> Value {
    let mut m = Map::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        if let Some((series, value)) = line.rsplit_once(' ') {
            m.insert(series.to_string(), json!(value.parse::<f64>().unwrap_or(f64::NAN)));
        }
    }
    Value::Object(m)
}

/// A telemetry case: the fleet of the case, then the cgminer reply of `device` to `request`
/// (at Unix time 0, the bindings' default) and every sample of the miners' exposition.
fn telemetry_case(c: &Value) -> Value {
    let run = || -> hcpcore::Result<Value> {
        let fleet = build_fleet(c)?;
        let device = c["device"].as_i64().unwrap_or(-1);
        let reply = fleet.cgminer_reply(device, c["request"].as_str().unwrap_or(""), 0)?;
        let metrics = exposition_samples(&fleet.miner_exposition(c["hostname"].as_str().unwrap_or("hcp-sim")));
        Ok(json!({ "reply": reply, "miner_metrics": metrics }))
    };
    run().unwrap_or_else(err)
}

/// Compares `got` with `want`: numbers within `rel`, everything else equal; `message` checked by
/// containment of `message_contains` only.
fn compare(path: &str, got: &Value, want: &Value, rel: f64) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!((g - w).abs() <= rel * w.abs().max(1e-300), "{path}: got {g}, want {w}");
        }
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                let gv = g.get(k).unwrap_or_else(|| panic!("{path}.{k}: missing"));
                compare(&format!("{path}.{k}"), gv, wv, rel);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: length");
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                compare(&format!("{path}[{i}]"), gv, wv, rel);
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

#[test]
fn sim_vectors() {
    let path = format!("{}/tests/vectors/sim.json", root());
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let rel = doc["tolerance"]["relative"].as_f64().unwrap();
    let regenerate = std::env::var("HCP_REGENERATE_VECTORS").is_ok_and(|v| v == "1");
    let sections: [(&str, CaseFn); 6] = [
        ("decode", decode_case),
        ("switch", switch_case),
        ("market", market_case),
        ("replay", replay_case),
        ("fleet", fleet_case),
        ("telemetry", telemetry_case),
    ];
    let mut checked = 0;
    for (section, eval) in sections {
        for case in doc[section].as_array_mut().unwrap() {
            let got = eval(case);
            let name = format!("{section}/{}", case["name"].as_str().unwrap_or("?"));
            if let Some(kind) = case.get("error").and_then(Value::as_str) {
                assert_eq!(got["error"].as_str(), Some(kind), "{name}: {got}");
                if let Some(m) = case.get("message_contains").and_then(Value::as_str) {
                    assert!(got["message"].as_str().unwrap_or("").contains(m), "{name}: {got}");
                }
            } else if regenerate {
                assert!(got.get("error").is_none(), "{name}: {got}");
                case["expect"] = got;
            } else {
                compare(&name, &got, &case["expect"], rel);
            }
            checked += 1;
        }
    }
    if regenerate {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    assert!(checked >= 30, "{checked} cases");
}
