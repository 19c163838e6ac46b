//! Rating behaviour beyond the shared vectors: each meter aggregation, coupon carry-over,
//! wallet deposits from net credits, pay-in-advance fees, estimates and budgets.

use hcpcore::billing::*;
use hcpcore::ErrorKind;
use rust_decimal::Decimal;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn ev(id: &str, meter: &str, q: &str, ts: &str, props: serde_json::Value) -> UsageEvent {
    let props = props.as_object().cloned().unwrap_or_default();
    UsageEvent::new(id, "c", meter, d(q), t(ts), props).unwrap()
}

fn november() -> Period {
    Period::new(t("2026-11-01"), t("2026-12-01")).unwrap()
}

fn units(meter: serde_json::Value, events: &[UsageEvent]) -> Vec<(serde_json::Value, String)> {
    let m = Meter::from_json(&meter).unwrap();
    m.aggregate(events, &november(), false)
        .unwrap()
        .into_iter()
        .map(|r| (serde_json::Value::Object(r.group_json(&m)), r.units.to_string()))
        .collect()
}

#[test]
fn every_aggregation() {
    let events = vec![
        ev("1", "m", "5", "2026-11-02T00:00:00Z", json!({"user": "u1", "site": "tx", "delta": 2})),
        ev("2", "m", "3", "2026-11-03T00:00:00Z", json!({"user": "u2", "site": "tx", "delta": "-1"})),
        ev("3", "m", "7", "2026-11-01T00:00:00Z", json!({"user": "u1", "delta": 1})),
        ev("4", "other", "100", "2026-11-03T00:00:00Z", json!({})),
        ev("5", "m", "1000", "2026-12-01T00:00:00Z", json!({"user": "u3"})),
    ];
    let one = |agg: &str| units(json!({"code": "m", "aggregation": agg}), &events)[0].1.clone();
    assert_eq!(one("count"), "3");
    assert_eq!(one("sum"), "15");
    assert_eq!(one("max"), "7");
    assert_eq!(one("latest"), "3", "latest by timestamp, not by arrival");
    assert_eq!(units(json!({"code": "m", "aggregation": "unique_count_agg", "field_name": "user"}), &events)[0].1, "2");
    assert_eq!(
        units(json!({"code": "m", "aggregation": "sum", "group_by": ["site"]}), &events),
        vec![(json!({"site": null}), "7".to_string()), (json!({"site": "tx"}), "8".to_string())]
    );
    // Lago-style deltas from a signed property: +1 on day 0, +2 on day 1, -1 on day 2 of 30.
    // Level 1 for 1 day, 3 for 1 day, 2 for 28 days: (1 + 3 + 56) / 30 = 2.
    assert_eq!(units(json!({"code": "m", "aggregation": "weighted_sum", "field_name": "delta"}), &events)[0].1, "2");
    // unique_count without a field is refused.
    let err = Meter::from_json(&json!({"code": "m", "aggregation": "unique_count"})).unwrap_err();
    assert!(err.message().starts_with("meter.field_name:"), "{err}");
}

fn usd_plan(extra: serde_json::Value) -> Plan {
    let mut plan = json!({
        "code": "p", "currency": "USD",
        "meters": [{"code": "m", "aggregation": "sum"}, {"code": "calls", "aggregation": "count"}],
        "charges": [{"meter_code": "m", "model": "standard", "amount": "1"},
                    {"name": "calls", "meter_code": "calls", "model": "standard", "amount": "0.25", "pay_in_advance": true}]
    });
    for (k, v) in extra.as_object().unwrap() {
        plan[k] = v.clone();
    }
    Plan::from_json(&plan).unwrap()
}

#[test]
fn fixed_once_coupon_carries_its_remainder() {
    let plan = usd_plan(json!({}));
    let sub = Subscription::from_json(&json!({"customer_id": "c", "start": "2026-11-01",
        "coupons": [{"code": "F50", "coupon_type": "fixed_amount", "amount": "50", "frequency": "once"}]}))
    .unwrap();
    let mut l = MemoryLedger::new();
    l.ingest(&[
        ev("1", "m", "30", "2026-11-02T00:00:00Z", json!({})),
        ev("2", "m", "30", "2026-12-02T00:00:00Z", json!({})),
        ev("3", "m", "30", "2027-01-02T00:00:00Z", json!({})),
    ])
    .unwrap();
    let discounts: Vec<String> = ["2026-11-30", "2026-12-31", "2027-01-31"]
        .iter()
        .map(|at| issue_invoice(&mut l, &plan, &sub, t(at)).unwrap().discount_total.to_string())
        .collect();
    assert_eq!(discounts, ["30.00", "20.00", "0.00"]);
}

#[test]
fn a_net_credit_goes_to_the_wallet_and_pays_the_next_invoice() {
    let plan = Plan::from_json(&json!({
        "currency": "USD", "meters": [{"code": "m", "aggregation": "max"}],
        "charges": [{"meter_code": "m", "model": "standard", "amount": "10"}]}))
    .unwrap();
    let sub = Subscription::from_json(&json!({"customer_id": "c", "start": "2026-11-01", "tax_rate": "10"})).unwrap();
    let mut l = MemoryLedger::new();
    l.ingest(&[ev("1", "m", "5", "2026-11-02T00:00:00Z", json!({}))]).unwrap();
    assert_eq!(issue_invoice(&mut l, &plan, &sub, t("2026-11-30")).unwrap().total, d("55.00"));
    // A late event raises November's max from 5 to 8: December carries a +30 correction.
    l.ingest(&[ev("2", "m", "8", "2026-11-20T00:00:00Z", json!({}))]).unwrap();
    let dec = issue_invoice(&mut l, &plan, &sub, t("2026-12-31")).unwrap();
    assert_eq!(dec.lines.len(), 2);
    assert_eq!(dec.lines[1].kind, LineKind::Correction);
    assert_eq!(dec.lines[1].amount, d("30.00"));
    assert_eq!(dec.total, d("33.00"));

    // A correction larger than the usage: with a `latest` meter a late, later reading can lower
    // an invoiced period's units.
    let plan = Plan::from_json(&json!({
        "currency": "USD", "meters": [{"code": "m", "aggregation": "latest"}],
        "charges": [{"meter_code": "m", "model": "standard", "amount": "10"}]}))
    .unwrap();
    let mut l = MemoryLedger::new();
    l.ingest(&[ev("1", "m", "5", "2026-11-10T00:00:00Z", json!({}))]).unwrap();
    assert_eq!(issue_invoice(&mut l, &plan, &sub, t("2026-11-30")).unwrap().total, d("55.00"));
    // A late, later reading of 0 makes November worth 0: a -50 correction, December has usage 1.
    l.ingest(&[
        ev("2", "m", "0", "2026-11-20T00:00:00Z", json!({})),
        ev("3", "m", "1", "2026-12-10T00:00:00Z", json!({})),
    ])
    .unwrap();
    let dec = issue_invoice(&mut l, &plan, &sub, t("2026-12-31")).unwrap();
    assert_eq!(dec.subtotal, d("-40.00"));
    assert_eq!(dec.tax, d("0.00"));
    assert_eq!(dec.credits, d("-40.00"), "the net credit is deposited into the wallet");
    assert_eq!(dec.total, d("0.00"));
    l.ingest(&[ev("4", "m", "3", "2027-01-10T00:00:00Z", json!({}))]).unwrap();
    let jan = issue_invoice(&mut l, &plan, &sub, t("2027-01-31")).unwrap();
    assert_eq!((jan.subtotal, jan.tax, jan.credits, jan.total), (d("30.00"), d("3.00"), d("33.00"), d("0.00")));
    l.ingest(&[ev("5", "m", "1", "2027-02-10T00:00:00Z", json!({}))]).unwrap();
    let feb = issue_invoice(&mut l, &plan, &sub, t("2027-02-28")).unwrap();
    assert_eq!((feb.credits, feb.total), (d("7.00"), d("4.00")), "the remaining 7 of the deposit");
}

#[test]
fn pay_in_advance_fees_are_per_event_and_left_off_the_invoice() {
    let plan = usd_plan(json!({}));
    let fees = instant_fees(&plan, &ev("1", "calls", "1", "2026-11-02T00:00:00Z", json!({}))).unwrap();
    assert_eq!(fees.len(), 1);
    assert_eq!((fees[0].kind, fees[0].amount), (LineKind::InAdvance, d("0.25")));
    assert!(instant_fees(&plan, &ev("1", "m", "1", "2026-11-02T00:00:00Z", json!({}))).unwrap().is_empty());
    let mut l = MemoryLedger::new();
    l.ingest(&[ev("1", "calls", "1", "2026-11-02T00:00:00Z", json!({}))]).unwrap();
    let sub = Subscription::new("c", t("2026-11-01"), Anchor::Calendar);
    let inv = preview_invoice(&l, &plan, &sub, t("2026-11-10")).unwrap();
    assert!(inv.lines.iter().all(|l| l.charge != "calls"));
}

#[test]
fn estimates_and_budgets() {
    let plan = Plan::from_json(&json!({
        "currency": "USD", "minimum_commitment": "100",
        "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}, {"code": "tokens", "aggregation": "sum"}],
        "charges": [{"meter_code": "gpu_hours", "model": "volume", "tiers": [{"up_to": 100, "per_unit_amount": "2.5"}, {"up_to": null, "per_unit_amount": "2"}]},
                    {"meter_code": "tokens", "model": "package", "amount": "1.5", "package_size": 1000000}]})).unwrap();
    let sub = Subscription::from_json(&json!({"customer_id": "c", "start": "2026-11-01", "tax_rate": "10"})).unwrap();
    let usage = PlannedUsage::many_from_json(&json!([
        {"meter_code": "gpu_hours", "quantity": 72, "properties": {"gpu_model": "H100"}},
        {"meter_code": "tokens", "quantity": "40000000"}]))
    .unwrap();
    let est = estimate(&plan, &sub, t("2026-11-05"), &usage).unwrap();
    // 72 h × 2.5 = 180; 40 packages × 1.5 = 60; above the commitment; tax 24.
    assert_eq!((est.subtotal, est.tax, est.total), (d("240.00"), d("24.00"), d("264.00")));
    let bad = PlannedUsage::many_from_json(&json!([{"meter_code": "nope", "quantity": 1}])).unwrap();
    let err = estimate(&plan, &sub, t("2026-11-05"), &bad).unwrap_err();
    assert!(err.message().starts_with("usage[0].meter_code:"), "{err}");

    // Budget: 30 GPU-hours in the first 10 days of a 30-day month.
    let mut l = MemoryLedger::new();
    let mut e = ev("1", "gpu_hours", "30", "2026-11-05T00:00:00Z", json!({"gpu_model": "H100"}));
    e.customer_id = "c".into();
    l.ingest(&[e]).unwrap();
    let thresholds = [d("50"), d("80"), d("100")];
    let status = budget_status(&l, &plan, &sub, t("2026-11-11"), d("200"), &thresholds).unwrap();
    assert_eq!(status.spend_to_date, d("75.00"));
    assert_eq!(status.forecast, d("225.00"), "90 h at the tier for <= 100 h");
    assert_eq!(status.used_percent, d("37.50"));
    let alerts: Vec<(Decimal, bool)> = status.alerts.iter().map(|a| (a.threshold_percent, a.reached)).collect();
    assert_eq!(alerts, vec![(d("50"), false), (d("80"), false), (d("100"), false)], "forecast 112.5 %");
    let status = budget_status(&l, &plan, &sub, t("2026-11-11"), d("100"), &thresholds).unwrap();
    let alerts: Vec<(Decimal, bool)> = status.alerts.iter().map(|a| (a.threshold_percent, a.reached)).collect();
    assert_eq!(alerts, vec![(d("50"), true), (d("80"), false), (d("100"), false)], "75 % spent, 225 % forecast");
    assert_eq!(
        budget_status(&l, &plan, &sub, t("2026-11-11"), d("0"), &thresholds).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn bad_configuration_and_timing() {
    let err = Plan::from_json_str("{\"currency\": ").unwrap_err();
    assert!(err.message().starts_with("plan:"), "{err}");
    let plan = usd_plan(json!({}));
    let sub = Subscription::new("c", t("2026-11-01"), Anchor::Calendar);
    let err = preview_invoice(&MemoryLedger::new(), &plan, &sub, t("2026-10-01")).unwrap_err();
    assert!(err.message().starts_with("at:"), "{err}");
    let err = Subscription::from_json(&json!({"customer_id": "c", "start": "2026-11-01",
        "coupons": [{"code": "x", "coupon_type": "percentage", "percentage_rate": "101"}]}))
    .unwrap_err();
    assert!(err.message().starts_with("coupons[0].percentage_rate:"), "{err}");
    let err = Charge::from_json_str("not json").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
