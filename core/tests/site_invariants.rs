//! The site's invariants, checked every tick of seeded runs of every built-in strategy:
//! the meter never passes the cap; energy bought = Σ device energy × PUE; every usage event in the
//! ledger matches what the devices did, exactly once; invoice totals = Σ lines − discounts + tax −
//! credits; no customer's usage on another's invoice.

mod site_common;

use std::collections::BTreeMap;

use hcpcore::site::SiteConfig;
use site_common::{check_invariants, root, site};

#[test]
fn every_strategy_keeps_every_invariant_for_a_week() {
    let site = site();
    let mut profits = BTreeMap::new();
    for name in hcpcore::site::names() {
        let r = site.run_named(name, Some("2024-08-01"), Some("2024-08-08")).unwrap();
        check_invariants(site, &r);
        eprintln!("{name}: {:?}", r.summary.to_map());
        profits.insert(*name, r.summary.profit_usd);
    }
    // The full policy beats running everything through every price (on this week of August).
    assert!(profits["hybrid"] > profits["always_on"], "{profits:?}");
}

#[test]
fn a_seeded_run_repeats_exactly() {
    let a = site().run_named("hybrid", Some("2024-07-01"), Some("2024-07-03")).unwrap();
    let b = site().run_named("hybrid", Some("2024-07-01"), Some("2024-07-03")).unwrap();
    assert_eq!(a.summary, b.summary);
    assert_eq!(a.columns, b.columns);
    assert_eq!(a.invoices, b.invoices);
}

#[test]
fn the_config_parses_from_json_values() {
    let text = std::fs::read_to_string(root().join("examples/site.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(SiteConfig::from_json(v).is_ok());
}

#[test]
fn a_capacity_plan_reports_its_forecast_errors() {
    let plan = hcpcore::site::forecast::capacity_plan(site(), "2024-09-01").unwrap();
    assert_eq!(plan.hours.len(), 168);
    assert!(plan.price.holdout_mae.is_finite() && plan.price.scores.len() == 4);
    assert!(plan.demand.iter().all(|d| d.holdout_relative_mae < 0.5));
    let (lo, mid, hi) = plan.profit_band_usd;
    assert!(lo <= mid && mid <= hi, "{:?}", plan.profit_band_usd);
    assert!(plan.gpus_serving.iter().zip(&plan.miners_hashing).all(|(g, m)| *g <= 512 && *m <= 1000));
}
