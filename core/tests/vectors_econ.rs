//! Replays `tests/vectors/econ.json` (shared with the Python, Node and Go suites): each case names
//! an op (the Python API name), its arguments as JSON, and the expected value or error kind.

use hcpcore::econ::{
    self, Action, Catalog, Decider, DeviceGroup, DeviceModel, Market, MarketFields, Site, SiteSpec, SwitchPolicy, Terms,
};
use hcpcore::Result;
use serde_json::{json, Map, Value};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/econ.json");
    let text = std::fs::read_to_string(path).expect("tests/vectors/econ.json is readable");
    serde_json::from_str(&text).expect("tests/vectors/econ.json is valid JSON")
}

/// A number, or one of the strings "NaN", "Infinity", "-Infinity".
fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("a number"),
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

fn opt(args: &Value, key: &str) -> Option<f64> {
    args.get(key).map(num)
}

fn market(v: &Value) -> Result<Market> {
    let fields = MarketFields {
        btc_usd: num(&v["btc_usd"]),
        difficulty: num(&v["difficulty"]),
        height: v["height"].as_i64().expect("integer height"),
        fees_btc_per_block: opt(v, "fees_btc_per_block"),
        fee_share: opt(v, "fee_share"),
        electricity_usd_per_kwh: opt(v, "electricity_usd_per_kwh").unwrap_or(0.0),
        gpu_usd_per_hour: opt(v, "gpu_usd_per_hour").unwrap_or(0.0),
        usd_per_million_tokens: opt(v, "usd_per_million_tokens").unwrap_or(0.0),
    };
    Market::try_from(fields)
}

fn model(v: &Value) -> Result<DeviceModel> {
    match v {
        Value::String(name) => Catalog::builtin().get(name).cloned(),
        Value::Object(o) => DeviceModel::asic(
            o["name"].as_str().expect("model name"),
            num(&o["hashrate_ths"]),
            num(&o["joules_per_th"]),
        ),
        other => panic!("bad model argument {other}"),
    }
}

fn terms(args: &Value) -> Terms {
    let d = Terms::default();
    Terms {
        pool_fee: opt(args, "pool_fee").unwrap_or(d.pool_fee),
        pue: opt(args, "pue").unwrap_or(d.pue),
        gpu_utilisation: opt(args, "gpu_utilisation").unwrap_or(d.gpu_utilisation),
        tokens_per_second: opt(args, "tokens_per_second"),
        demand_response_usd_per_mwh: opt(args, "demand_response_usd_per_mwh").unwrap_or(0.0),
    }
}

fn without(a: &Value, key: &str) -> Value {
    let mut o = a.as_object().cloned().unwrap_or_default();
    o.remove(key);
    Value::Object(o)
}

fn to_value<T: serde::Serialize>(t: T) -> Value {
    serde_json::to_value(t).expect("serialisable")
}

fn run(op: &str, a: &Value) -> Result<Value> {
    Ok(match op {
        "block_subsidy_btc" => json!(econ::block_subsidy_btc(econ::validate_height(a["height"].as_i64().unwrap())?)),
        "block_subsidy_sats" => json!(econ::block_subsidy_sats(econ::validate_height(a["height"].as_i64().unwrap())?)),
        "hashprice_usd_per_ph_day" => json!(econ::hashprice_usd_per_ph_day(&market(&a["market"])?)),
        "hashprice_usd_per_th_day" => json!(econ::hashprice_usd_per_th_day(&market(&a["market"])?)),
        "hashprice_btc_per_ph_day" => json!(econ::hashprice_btc_per_ph_day(&market(&a["market"])?)),
        "hashprice_btc_per_th_day" => json!(econ::hashprice_btc_per_th_day(&market(&a["market"])?)),
        "network_hashrate_hs" => json!(econ::network_hashrate_hs(num(&a["difficulty"]))?),
        "expected_btc_per_day" => json!(econ::expected_btc_per_day(num(&a["hashrate_ths"]), &market(&a["market"])?)?),
        "market" => to_value(market(&a["market"])?.fields()),
        "miner_daily" => {
            let (m, mk) = (model(&a["model"])?, market(&a["market"])?);
            to_value(econ::miner_daily(&m, &mk, terms(a).mining())?)
        }
        "breakeven_usd_per_kwh" => {
            let (m, mk) = (model(&a["model"])?, market(&a["market"])?);
            json!(econ::breakeven_usd_per_kwh(&m, &mk, &terms(a))?)
        }
        "gpu_hourly" => {
            let (m, mk) = (model(&a["model"])?, market(&a["market"])?);
            to_value(econ::gpu_hourly(&m, &mk, &terms(a))?)
        }
        "site_plan" => {
            let mut groups = Vec::new();
            for d in a["devices"].as_array().expect("devices") {
                groups.push(DeviceGroup { model: model(&d["model"])?, count: d["count"].as_u64().unwrap() as u32 });
            }
            let site = Site::new(groups, num(&a["cap_kw"]), terms(a))?;
            // The JSON spec path must build the same site whenever the numbers are plain JSON.
            if let Ok(spec) = serde_json::from_value::<SiteSpec>(without(a, "market")) {
                assert_eq!(Site::from_spec(&spec, &Catalog::builtin())?, site);
            }
            let plan = site.plan(&market(&a["market"])?)?;
            let mut v = to_value(&plan);
            let o = v.as_object_mut().unwrap();
            o.insert("running".into(), plan.groups.iter().map(|g| g.running).collect());
            o.insert("curtailed".into(), plan.groups.iter().map(|g| g.curtailed).collect());
            v
        }
        "decide_series" => {
            let policy: SwitchPolicy = serde_json::from_value(a["policy"].clone()).expect("policy");
            let initial = Action::parse(a["initial"].as_str().unwrap())?;
            let mut d = Decider::new(model(&a["model"])?, terms(a), policy, initial)?;
            let base = market(&a["market"])?;
            let mut actions = Vec::new();
            for p in a["electricity_usd_per_kwh"].as_array().unwrap() {
                let m = base.with_electricity_usd_per_kwh(num(p))?;
                actions.push(d.step(&m, num(&a["dt_seconds"]))?.action.name());
            }
            json!({ "switches": d.switches(), "actions": actions })
        }
        other => panic!("unknown op {other}"),
    })
}

fn close(got: &Value, want: &Value, rel: f64, abs: f64, path: &str) -> std::result::Result<(), String> {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) if w.is_f64() || g.is_f64() => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            let tol = abs.max(rel * w.abs());
            if g.is_finite() && (g - w).abs() <= tol {
                Ok(())
            } else {
                Err(format!("{path}: got {g}, want {w} (tol {tol})"))
            }
        }
        (Value::Object(g), Value::Object(w)) => w.iter().try_for_each(|(k, wv)| match g.get(k) {
            Some(gv) => close(gv, wv, rel, abs, &format!("{path}.{k}")),
            None => Err(format!("{path}: missing key {k}")),
        }),
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            g.iter().zip(w).enumerate().try_for_each(|(i, (gv, wv))| close(gv, wv, rel, abs, &format!("{path}[{i}]")))
        }
        (g, w) if g == w => Ok(()),
        (g, w) => Err(format!("{path}: got {g}, want {w}")),
    }
}

fn check(case: &Map<String, Value>) -> std::result::Result<(), String> {
    let name = case["name"].as_str().unwrap();
    let got = run(case["op"].as_str().unwrap(), &case["args"]);
    let expect = &case["expect"];
    match (got, expect.get("error")) {
        (Ok(v), None) => {
            let rel = case.get("rel_tol").map_or(1e-9, num);
            let abs = case.get("abs_tol").map_or(0.0, num);
            close(&v, &expect["value"], rel, abs, "value").map_err(|e| format!("{name}: {e}"))
        }
        (Err(e), Some(kind)) => {
            let field = expect["field"].as_str().unwrap();
            if e.kind().name() != kind.as_str().unwrap() {
                Err(format!("{name}: got error kind {}, want {kind}", e.kind()))
            } else if !e.message().starts_with(&format!("{field}:")) {
                Err(format!("{name}: message {:?} does not name {field}", e.message()))
            } else {
                Ok(())
            }
        }
        (Ok(v), Some(kind)) => Err(format!("{name}: got {v}, want error {kind}")),
        (Err(e), None) => Err(format!("{name}: unexpected error {e}")),
    }
}

#[test]
fn every_econ_vector_passes() {
    let doc = vectors();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c.as_object().unwrap()).err()).collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn the_vectors_cover_what_issue_2_asks() {
    let doc = vectors();
    let text = doc.to_string();
    for needle in ["209999", "210000", "839999", "840000", "6930000", "62.86", "fee_share", "\"InvalidInput\""] {
        assert!(text.contains(needle), "vectors lack {needle}");
    }
}
