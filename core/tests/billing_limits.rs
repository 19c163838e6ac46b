//! Spending limits per charge (`min_amount` / `max_amount`, docs/billing.md): a property test
//! against a direct computation of what each charge must bill, and the plan errors.

use hcpcore::billing::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn plan(min: Option<u32>, max: Option<u32>, price: &str) -> Result<Plan, hcpcore::Error> {
    let mut charge = json!({"name": "gpu", "meter_code": "gpu_hours", "model": "standard", "amount": price});
    if let Some(m) = min {
        charge["min_amount"] = json!(m.to_string());
    }
    if let Some(m) = max {
        charge["max_amount"] = json!(m.to_string());
    }
    Plan::from_json(&json!({
        "currency": "USD",
        "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
        "charges": [charge]
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Whatever the usage and limits, the charge bills its usage clamped to [min, max], the usage
    /// lines keep every unit, and the invoice and an estimate of the same usage add up alike.
    #[test]
    fn a_charge_bills_its_usage_clamped_to_its_limits(
        hours in prop::collection::vec((0u32..3, 0u32..50), 0..8),
        lo in prop::option::of(0u32..120),
        span in prop::option::of(0u32..120),
    ) {
        let hi = span.map(|s| lo.unwrap_or(0) + s);
        let plan = plan(lo, hi, "1.5").unwrap();
        let sub = Subscription::new("c", t("2026-11-01"), Anchor::Calendar);
        let mut ledger = MemoryLedger::new();
        let models = ["H100", "A100", "L40S"];
        let events: Vec<UsageEvent> = hours.iter().enumerate().map(|(i, (m, h))| {
            UsageEvent::from_json(&json!({"event_id": format!("e{i}"), "customer_id": "c", "meter_code": "gpu_hours",
                "quantity": h.to_string(), "timestamp": "2026-11-05T00:00:00Z", "properties": {"gpu_model": models[*m as usize]}})).unwrap()
        }).collect();
        ledger.ingest(&events).unwrap();
        let usage = Decimal::from(hours.iter().map(|(_, h)| *h).sum::<u32>()) * Decimal::new(15, 1);
        let capped = hi.map_or(usage, |h| usage.min(Decimal::from(h)));
        let billed = lo.map_or(capped, |l| capped.max(Decimal::from(l)));

        let inv = issue_invoice(&mut ledger, &plan, &sub, t("2026-11-30")).unwrap();
        inv.check_invariant().unwrap();
        prop_assert_eq!(inv.subtotal, billed.round_dp(2));
        let usage_lines: Decimal = inv.lines.iter().filter(|l| l.kind == LineKind::Usage).map(|l| l.precise_amount).sum();
        prop_assert_eq!(usage_lines, usage);
        let limit_lines = inv.lines.iter().filter(|l| matches!(l.kind, LineKind::ChargeMinimum | LineKind::ChargeMaximum)).count();
        prop_assert_eq!(limit_lines, usize::from(billed != usage));
        for l in inv.lines.iter().filter(|l| l.kind != LineKind::Usage) {
            prop_assert_eq!(l.group.get(SPENDING_LIMIT_GROUP).is_some(), true);
        }

        // An estimate of the same usage bills the same: capped and trued up.
        let planned = PlannedUsage { meter_code: "gpu_hours".into(), quantity: usage / Decimal::new(15, 1), properties: Default::default() };
        let e = estimate(&plan, &sub, t("2026-11-15"), &[planned]).unwrap();
        prop_assert_eq!(e.subtotal, billed.round_dp(2));
    }
}

#[test]
fn limits_that_cannot_hold_are_refused_naming_the_field() {
    let err = plan(Some(10), Some(5), "1").unwrap_err();
    assert_eq!(err.kind(), hcpcore::ErrorKind::InvalidInput);
    assert!(err.message().starts_with("charges[0].min_amount"), "{err}");
    let err = Plan::from_json(&json!({"currency": "USD", "meters": [{"code": "n", "aggregation": "count"}],
        "charges": [{"meter_code": "n", "model": "standard", "amount": "1", "pay_in_advance": true, "max_amount": "5"}]}))
    .unwrap_err();
    assert!(err.message().starts_with("charges[0].pay_in_advance"), "{err}");
    let err = Plan::from_json(&json!({"currency": "USD",
        "meters": [{"code": "n", "aggregation": "count", "group_by": ["spending_limit"]}],
        "charges": [{"meter_code": "n", "model": "standard", "amount": "1", "min_amount": "5"}]}))
    .unwrap_err();
    assert!(err.message().starts_with("charges[0].min_amount"), "{err}");
    let err = plan(None, None, "1").map(|_| ()).and_then(|_| {
        Plan::from_json(&json!({"currency": "USD", "meters": [{"code": "n", "aggregation": "count"}],
            "charges": [{"meter_code": "n", "model": "standard", "amount": "1", "max_amount": "-1"}]}))
        .map(|_| ())
    });
    assert!(err.unwrap_err().message().starts_with("charges[0].max_amount"));
}
