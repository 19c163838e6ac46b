//! Replays `tests/vectors/billing.json`, the cases every language's suite must pass with the
//! same amounts: charge models at tier edges and zero, transforms, rounding, bad input, and
//! invoice scenarios with duplicates, late events, coupons, tax, credits and plan versions.

use hcpcore::billing::{
    issue_invoice, Charge, Currency, EventValue, Invoice, MemoryLedger, Plan, Rounding, Subscription, Timestamp,
    UsageEvent, UsageStore,
};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/billing.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read billing.json")).expect("parse billing.json")
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).expect("decimal string"),
        other => Decimal::from_str(&other.to_string()).expect("decimal number"),
    }
}

fn check_error(case: &Value, result: Result<impl std::fmt::Debug, hcpcore::Error>) {
    let name = &case["name"];
    let kind = case["expected_error"].as_str().expect("expected_error");
    let err = result.expect_err(&format!("{name}: expected {kind}"));
    assert_eq!(err.kind().name(), kind, "{name}: {err}");
    if let Some(field) = case["error_field"].as_str() {
        assert!(
            err.message().starts_with(&format!("{field}:")),
            "{name}: message {:?} should name {field}",
            err.message()
        );
    }
}

#[test]
fn charges() {
    let v = vectors();
    let cases = v["charges"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let result = Charge::from_json(&case["charge"]).and_then(|c| {
            if let Some(events) = case.get("events") {
                c.amount_for_events(&EventValue::many_from_json(events)?)
            } else {
                c.amount(hcpcore::billing::decimal_from_json("units", &case["units"])?)
            }
        });
        if case.get("expected_error").is_some() {
            check_error(case, result);
        } else {
            let got = result.unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
            assert_eq!(got, dec(&case["expected"]), "{}", case["name"]);
        }
    }
}

#[test]
fn rounding() {
    for case in vectors()["rounding"].as_array().unwrap() {
        let currency = Currency::from_code(case["currency"].as_str().unwrap()).unwrap();
        let rule = Rounding::from_name(case["rounding"].as_str().unwrap()).unwrap();
        assert_eq!(
            rule.round(dec(&case["amount"]), &currency).to_string(),
            case["expected"].as_str().unwrap(),
            "{case}"
        );
    }
}

#[test]
fn events() {
    for case in vectors()["events"].as_array().unwrap() {
        let result = UsageEvent::from_json(&case["event"]);
        if case.get("expected_error").is_some() {
            check_error(case, result);
        } else {
            result.unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        }
    }
}

#[test]
fn plans() {
    for case in vectors()["plans"].as_array().unwrap() {
        check_error(case, Plan::from_json(&case["plan"]));
    }
}

fn check_invoice(name: &str, invoice: &Invoice, expected: &Value) {
    invoice.check_invariant().unwrap();
    let lines = expected["lines"].as_array().unwrap();
    assert_eq!(invoice.lines.len(), lines.len(), "{name}: lines {:#?}", invoice.lines);
    for (got, want) in invoice.lines.iter().zip(lines) {
        let ctx = format!("{name}: line {want}");
        let kind = serde_json::to_value(got.kind).unwrap();
        assert_eq!(&kind, &want["kind"], "{ctx}");
        assert_eq!(got.charge, want["charge"].as_str().unwrap(), "{ctx}");
        if let Some(group) = want.get("group") {
            assert_eq!(&Value::Object(got.group.clone()), group, "{ctx}");
        }
        if let Some(units) = want.get("units") {
            assert_eq!(got.units, dec(units), "{ctx}");
        }
        assert_eq!(got.precise_amount, dec(&want["precise_amount"]), "{ctx}");
        assert_eq!(got.amount.to_string(), want["amount"].as_str().unwrap(), "{ctx}");
        if let Some(start) = want.get("service_period_start") {
            assert_eq!(got.service_period.start.to_string(), start.as_str().unwrap(), "{ctx}");
        }
    }
    for (field, got) in [
        ("subtotal", invoice.subtotal),
        ("discount_total", invoice.discount_total),
        ("tax", invoice.tax),
        ("credits", invoice.credits),
        ("total", invoice.total),
    ] {
        assert_eq!(got.to_string(), expected[field].as_str().unwrap(), "{name}: {field}");
    }
    for (field, got) in [("period_start", invoice.period.start), ("period_end", invoice.period.end)] {
        if let Some(want) = expected.get(field) {
            assert_eq!(got.to_string(), want.as_str().unwrap(), "{name}: {field}");
        }
    }
}

#[test]
fn scenarios() {
    for case in vectors()["scenarios"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let plan = Plan::from_json(&case["plan"]).unwrap();
        let sub = Subscription::from_json(&case["subscription"]).unwrap();
        let mut ledger = MemoryLedger::new();
        for step in case["steps"].as_array().unwrap() {
            if let Some(events) = step.get("ingest") {
                let events = UsageEvent::many_from_json(events).unwrap();
                assert_eq!(ledger.ingest(&events).unwrap() as u64, step["expected_new"].as_u64().unwrap(), "{name}");
            } else {
                let at = Timestamp::parse(step["invoice_at"].as_str().unwrap()).unwrap();
                let result = issue_invoice(&mut ledger, &plan, &sub, at);
                if step.get("expected_error").is_some() {
                    check_error(step, result);
                } else {
                    check_invoice(name, &result.unwrap_or_else(|e| panic!("{name}: {e}")), &step["expected"]);
                }
            }
        }
        // The same scenario through the SQLite ledger gives the same invoices.
        let mut sql = hcpcore::billing::SqliteLedger::open_in_memory().unwrap();
        for step in case["steps"].as_array().unwrap() {
            if let Some(events) = step.get("ingest") {
                sql.ingest(&UsageEvent::many_from_json(events).unwrap()).unwrap();
            } else if step.get("expected").is_some() {
                let at = Timestamp::parse(step["invoice_at"].as_str().unwrap()).unwrap();
                check_invoice(name, &issue_invoice(&mut sql, &plan, &sub, at).unwrap(), &step["expected"]);
            }
        }
    }
}
