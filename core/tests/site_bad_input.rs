//! Bad input to `hcpcore::site`: each is the documented error naming the field, and nothing of the
//! run or tick is applied.

mod site_common;

use hcpcore::site::{Command, MarketHistory, Observation, Site, SiteConfig, SiteRun, Strategy};
use hcpcore::ErrorKind;
use site_common::{root, site};

fn config() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("examples/site.json")).unwrap()).unwrap()
}

fn refused(v: serde_json::Value) -> hcpcore::Error {
    SiteConfig::from_json(v).unwrap_err()
}

#[test]
fn configs_name_the_bad_field() {
    let mut v = config();
    v["miners"][0]["model"] = "S9".into();
    let e = refused(v);
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().starts_with("miners[0].model:"), "{}", e.message());

    let mut v = config();
    v["gpus"][0]["model"] = "A100".into();
    assert!(refused(v).message().starts_with("gpus[0].model:"));

    let mut v = config();
    v["cap_kw"] = (-4000.0).into();
    let e = refused(v);
    assert!(e.message().starts_with("cap_kw:"), "{}", e.message());

    let mut v = config();
    v["pue"] = 0.9.into();
    assert!(refused(v).message().starts_with("pue:"));

    let mut v = config();
    v["tick_seconds"] = 7.0.into();
    assert!(refused(v).message().starts_with("tick_seconds:"));

    let mut v = config();
    v["endpoints"][1]["customer"] = "nobody".into();
    assert!(refused(v).message().starts_with("endpoints[1].customer:"));

    let mut v = config();
    v["endpoints"][0]["ttft_slo_seconds"] = f64::NAN.into(); // serde_json writes null
    assert_eq!(refused(v).kind(), ErrorKind::InvalidInput);

    let mut v = config();
    v["reservations"][0]["gpus"] = 600.into();
    assert!(refused(v).message().starts_with("reservations:"));

    let mut v = config();
    v["jobs"][0]["kind"] = "mining".into();
    assert!(refused(v).message().starts_with("jobs[0].kind:"));

    let mut v = config();
    v["customers"][0]["tokens_usd_per_million"] = "-1".into();
    assert!(refused(v).message().starts_with("customers[0].tokens_usd_per_million:"));

    let mut v = config();
    v["surprise"] = 1.into();
    assert!(refused(v).message().starts_with("config:"));

    let mut v = config();
    v["switching"]["min_dwell_seconds"] = (-1.0).into();
    assert!(
        refused(v).message().starts_with("switching.min_dwell_seconds:"),
        "{}",
        refused(config_with_dwell()).message()
    );
}

fn config_with_dwell() -> serde_json::Value {
    let mut v = config();
    v["switching"]["min_dwell_seconds"] = (-1.0).into();
    v
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hcp-site-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_market_file_with_a_gap_is_refused() {
    let d = temp_dir("gap");
    for f in std::fs::read_dir(root().join("data/market")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, d.join(f.file_name().unwrap())).unwrap();
    }
    let ercot = d.join("ercot_hb_south_15min_2024-06_2025-03.csv");
    let text = std::fs::read_to_string(&ercot).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("2024-07-04 12:15")).collect();
    std::fs::write(&ercot, lines.join("\n")).unwrap();
    let e = MarketHistory::from_dir(d.to_str().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.message().starts_with("market.hb_south_rtm_spp_usd_mwh:") && e.message().contains("gap"),
        "{}",
        e.message()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_demand_trace_out_of_order_is_refused() {
    let d = temp_dir("trace");
    for name in ["conv", "code"] {
        let f = format!("azure_llm_inference_2023_{name}.csv");
        std::fs::copy(root().join("data/demand").join(&f), d.join(&f)).unwrap();
    }
    let conv = d.join("azure_llm_inference_2023_conv.csv");
    let mut text = std::fs::read_to_string(&conv).unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("2023-11-16 18:15:00.0000000,100,10\n");
    std::fs::write(&conv, text).unwrap();
    let mut v = config();
    v["demand_dir"] = d.to_str().unwrap().into();
    v["market_dir"] = root().join("data/market").to_str().unwrap().into();
    let e = Site::from_config(SiteConfig::from_json(v).unwrap(), &root()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().starts_with("demand.") && e.message().contains("out of order"), "{}", e.message());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unknown_strategies_and_ranges_are_refused() {
    let e = site().run_named("yolo", None, None).unwrap_err();
    assert!(e.message().starts_with("strategy:"), "{}", e.message());
    let e = site().run_named("hybrid", Some("2023-01-01"), Some("2023-01-02")).unwrap_err();
    assert!(e.message().starts_with("start:"), "{}", e.message());
    let e = site().run_named("hybrid", Some("2024-08-02"), Some("2024-08-01")).unwrap_err();
    assert!(e.message().starts_with("start:"));
}

/// Runs the hybrid policy, then breaks its command in one way on the tick `bad_at`.
#[derive(Debug)]
struct Breaks {
    inner: Box<dyn Strategy>,
    bad_at: usize,
    how: Breaker,
}

impl Strategy for Breaks {
    fn name(&self) -> &str {
        "breaks"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> hcpcore::Result<Command> {
        let mut c = self.inner.decide(obs)?;
        if obs.tick == self.bad_at {
            (self.how)(&mut c, obs);
        }
        Ok(c)
    }
}

/// How a test breaks a command.
type Breaker = fn(&mut Command, &Observation<'_>);

fn breaks(how: Breaker) -> Breaks {
    Breaks { inner: hcpcore::site::builtin("always_on", &Default::default()).unwrap(), bad_at: 3, how }
}

#[test]
fn an_illegal_command_is_an_error_and_nothing_of_the_tick_is_applied() {
    let cases: Vec<(&str, ErrorKind, Breaker)> = vec![
        ("command.miners[0].hashing", ErrorKind::InvalidInput, |c, _| c.miners[0].hashing = 5_000),
        ("command.miners[0].power_target_watts", ErrorKind::InvalidInput, |c, _| {
            c.miners[0].power_target_watts = 9_000.0
        }),
        ("command.miners[0].power_target_watts", ErrorKind::InvalidInput, |c, _| {
            c.miners[0].power_target_watts = f64::NAN
        }),
        ("command.miners", ErrorKind::InvalidInput, |c, _| c.miners.clear()),
        ("command.endpoint_gpus", ErrorKind::CapacityExceeded, |c, _| c.endpoint_gpus[0] = 600),
        ("command.endpoint_gpus", ErrorKind::InvalidInput, |c, _| c.endpoint_gpus.push(1)),
        ("command.job_gpus[0]", ErrorKind::InvalidInput, |c, _| c.job_gpus.insert(0, (999_999, 1))),
        ("command.reserve_offer_kw", ErrorKind::InvalidInput, |c, _| c.reserve_offer_kw = 1e9),
        ("command:", ErrorKind::CapacityExceeded, |c, o| {
            // Every miner at its top power target: over the cap.
            c.miners[0].hashing = o.miners[0].available;
            c.miners[0].power_target_watts = o.miners[0].model.max_watts;
            c.endpoint_gpus = o.endpoints.iter().map(|_| 100).collect();
        }),
    ];
    let site = site();
    for (field, kind, how) in cases {
        let mut good = hcpcore::site::builtin("always_on", &Default::default()).unwrap();
        let mut bad = breaks(how);
        let mut a = SiteRun::new(site, Some("2024-08-01"), Some("2024-08-02")).unwrap();
        let mut b = SiteRun::new(site, Some("2024-08-01"), Some("2024-08-02")).unwrap();
        for _ in 0..3 {
            a.step(good.as_mut()).unwrap();
            b.step(&mut bad).unwrap();
        }
        let before = b.columns().clone();
        let e = b.step(&mut bad).unwrap_err();
        assert_eq!(e.kind(), kind, "{field}: {}", e.message());
        assert!(e.message().starts_with(field), "{field}: {}", e.message());
        // Nothing applied: same columns, and the run continues exactly as one that never erred.
        assert_eq!(b.columns(), &before);
        assert_eq!(b.ticks_done(), 3);
        while !a.done() {
            a.step(good.as_mut()).unwrap();
            b.step(good.as_mut()).unwrap();
        }
        let (ra, rb) = (a.finish("a").unwrap(), b.finish("a").unwrap());
        assert_eq!(ra.summary, rb.summary, "{field}");
        assert_eq!(ra.columns, rb.columns);
        assert_eq!(ra.invoices, rb.invoices);
        assert_eq!(ra.usage_event_count, rb.usage_event_count);
    }
}
