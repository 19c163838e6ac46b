//! Random sites and strategies: every invariant holds on every tick (meter ≤ cap, energy bought =
//! Σ device energy × PUE, ledger = devices exactly once, invoice totals, own usage only).

mod site_common;

use std::sync::OnceLock;

use hcpcore::site::{MarketHistory, Site, SiteConfig, TraceShape};
use proptest::prelude::*;
use site_common::{check_invariants, root};

fn inputs() -> &'static (MarketHistory, TraceShape, TraceShape) {
    static I: OnceLock<(MarketHistory, TraceShape, TraceShape)> = OnceLock::new();
    I.get_or_init(|| {
        let d = root().join("data/demand");
        (
            MarketHistory::from_dir(root().join("data/market").to_str().unwrap()).unwrap(),
            TraceShape::from_dir(d.to_str().unwrap(), "conv").unwrap(),
            TraceShape::from_dir(d.to_str().unwrap(), "code").unwrap(),
        )
    })
}

#[derive(Debug, Clone)]
struct Case {
    cap_kw: f64,
    pue: f64,
    tick: f64,
    miners: u32,
    stock: bool,
    min_ratio: f64,
    gpus: u32,
    chat_rps: f64,
    code_rps: f64,
    reserved: u32,
    strategy: usize,
    day: u32,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            200.0..6000.0f64,
            1.0..1.6f64,
            prop::sample::select(vec![60.0, 300.0, 900.0]),
            0u32..600,
            any::<bool>(),
            0.5..1.0f64,
        ),
        (1u32..200, 1.0..2000.0f64, 1.0..800.0f64, 0u32..40, 0usize..5, 0u32..280, any::<u64>()),
    )
        .prop_map(
            |(
                (cap_kw, pue, tick, miners, stock, min_ratio),
                (gpus, chat_rps, code_rps, reserved, strategy, day, seed),
            )| Case {
                cap_kw,
                pue,
                tick,
                miners,
                stock,
                min_ratio,
                gpus,
                chat_rps,
                code_rps,
                reserved: reserved.min(gpus),
                strategy,
                day,
                seed,
            },
        )
}

fn config(c: &Case) -> SiteConfig {
    let text = std::fs::read_to_string(root().join("examples/site.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["cap_kw"] = c.cap_kw.into();
    v["pue"] = c.pue.into();
    v["tick_seconds"] = c.tick.into();
    v["seed"] = c.seed.into();
    if c.miners == 0 {
        v["miners"] = serde_json::json!([]);
    } else {
        v["miners"][0]["count"] = c.miners.into();
        v["miners"][0]["firmware"] = (if c.stock { "stock" } else { "luxos" }).into();
        v["miners"][0]["min_power_ratio"] = c.min_ratio.into();
    }
    v["gpus"][0]["count"] = c.gpus.into();
    v["endpoints"][0]["mean_requests_per_second"] = c.chat_rps.into();
    v["endpoints"][1]["mean_requests_per_second"] = c.code_rps.into();
    v["reservations"][0]["gpus"] = c.reserved.into();
    v["jobs"][0]["max_gpus"] = (c.gpus / 4).max(1).into();
    v["jobs"][1]["max_gpus"] = (c.gpus / 8).max(1).into();
    v["faults"]["gpu_faults_per_hour"] = 0.002.into();
    SiteConfig::from_json(v).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sites_keep_every_invariant(c in case()) {
        let (market, conv, code) = inputs();
        let site = Site::with_inputs(config(&c), market.clone(), vec![conv.clone(), code.clone()]).unwrap();
        let name = hcpcore::site::names()[c.strategy];
        let start = hcpcore::site::iso(1_717_200_000 + i64::from(c.day) * 86_400)[..10].to_string();
        let end = hcpcore::site::iso(1_717_200_000 + i64::from(c.day + 1) * 86_400)[..10].to_string();
        let r = match site.run_named(name, Some(&start), Some(&end)) {
            Ok(r) => r,
            Err(e) => panic!("{name} {start}: {e} in {c:?}"),
        };
        check_invariants(&site, &r);
    }
}
