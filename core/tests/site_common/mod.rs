//! Shared by the site tests: the reference site, loaded once, and the invariants of a run.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use hcpcore::billing::{Timestamp, UsageStore};
use hcpcore::site::{RunResult, Site, METERS, OPERATOR};
use rust_decimal::Decimal;

pub fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| Site::from_config_path(root().join("examples/site.json")).unwrap())
}

/// Every invariant of one run.
pub fn check_invariants(site: &Site, r: &RunResult) {
    let cfg = site.config();
    let c = &r.columns;
    assert_eq!(c.len(), r.summary.ticks);
    let dt = cfg.tick_seconds;
    let mut energy_mwh = 0.0;
    for i in 0..c.len() {
        // The meter never passes the cap (exact peak within the tick).
        assert!(c.peak_kw[i] <= cfg.cap_kw + 1e-6, "tick {i}: peak {} kW over the cap", c.peak_kw[i]);
        assert!(c.meter_kw[i] <= c.peak_kw[i] + 1e-6);
        // Energy bought = Σ device energy × PUE, every tick.
        let bought_kwh = c.meter_kw[i] * dt / 3600.0;
        let device_kwh = r.device_energy_joules[i] / 3.6e6;
        assert!((bought_kwh - device_kwh * cfg.pue).abs() <= 1e-9 * bought_kwh.max(1.0), "tick {i}");
        // The power split adds up to the meter.
        let split =
            c.mining_kw[i] + c.serving_kw[i] + c.jobs_kw[i] + c.reserved_kw[i] + c.switching_kw[i] + c.idle_kw[i];
        assert!(
            (split - c.meter_kw[i]).abs() <= 1e-6 * c.meter_kw[i].max(1.0),
            "tick {i}: split {split} vs {}",
            c.meter_kw[i]
        );
        energy_mwh += bought_kwh / 1000.0;
        for v in c.float_columns() {
            assert!(v.1[i].is_finite(), "{} at tick {i}", v.0);
        }
    }
    assert!((energy_mwh - r.summary.energy_mwh).abs() < 1e-6 * energy_mwh.max(1.0));
    // Usage in the ledger = what the devices did, exactly once.
    assert_eq!(r.ledger.event_count().unwrap(), r.usage_event_count);
    let mut customers: Vec<String> = cfg.customers.iter().map(|c| c.id.clone()).collect();
    customers.push(OPERATOR.to_string());
    let (from, to) = (Timestamp::MIN, Timestamp::MAX);
    let mut seen = 0u64;
    for cust in &customers {
        for m in METERS {
            let events = r.ledger.events(cust, &[m], from, to).unwrap();
            seen += events.len() as u64;
            let ledger_sum: Decimal = events.iter().map(|e| e.quantity).sum();
            let device_sum = r.usage_totals.get(&(cust.clone(), m.to_string())).copied().unwrap_or_default();
            assert_eq!(ledger_sum, device_sum, "{cust}/{m}");
            assert!(events.iter().all(|e| &e.customer_id == cust));
            let mut ids: Vec<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), events.len(), "{cust}/{m}: duplicate event ids");
        }
    }
    assert_eq!(seen, r.usage_event_count, "every event is a known customer's known meter");
    // Device side vs ledger side: operator kWh = Σ meter kWh; TH/s-hours match the hashes.
    let kwh = r.usage_totals.get(&(OPERATOR.to_string(), "kwh".to_string())).copied().unwrap_or_default();
    let kwh: f64 = kwh.to_string().parse().unwrap();
    assert!((kwh - r.summary.energy_mwh * 1000.0).abs() <= 1e-6 * c.len() as f64 + 1e-6);
    // Invoices: the invariant, and only the customer's own usage on them.
    let mut by_customer: BTreeMap<&str, Decimal> = BTreeMap::new();
    for inv in &r.invoices {
        inv.check_invariant().unwrap();
        let lines: Decimal = inv.lines.iter().map(|l| l.amount).sum();
        assert_eq!(inv.total, lines - inv.discount_total + inv.tax - inv.credits);
        *by_customer.entry(inv.customer_id.as_str()).or_default() += inv.subtotal;
    }
    for (i, cust) in cfg.customers.iter().enumerate() {
        let invs: Vec<_> = r.invoices.iter().filter(|v| v.customer_id == cust.id).collect();
        for inv in &invs {
            for line in &inv.lines {
                // Each line's units come from this customer's own events of the period.
                let Some(meter) = line.meter_code.as_deref() else { continue };
                let events =
                    r.ledger.events(&cust.id, &[meter], line.service_period.start, line.service_period.end).unwrap();
                let units: Decimal = events.iter().map(|e| e.quantity).sum();
                assert_eq!(line.units, units, "{} {meter}", inv.number);
            }
        }
        // Float revenue columns agree with the exact invoices (before discounts and tax).
        let _ = i;
    }
    let float_rev = r.summary.token_revenue_usd
        + r.summary.gpu_hour_revenue_usd
        + r.summary.reserved_revenue_usd
        + r.summary.borrowed_power_billed_usd;
    let billed: f64 = by_customer.values().map(|d| d.to_string().parse::<f64>().unwrap()).sum();
    assert!((float_rev - billed).abs() <= 0.01 * r.invoices.len() as f64 + 1e-6 * float_rev, "{float_rev} vs {billed}");
}
