//! Property tests: no customer's usage on another's invoice; every invoice obeys its invariant
//! through coupons, tax, credits and late corrections; the SQLite and memory ledgers agree.

use hcpcore::billing::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

#[derive(Debug, Clone)]
struct Ev {
    customer: u8,
    id: u16,
    meter: u8,
    quantity_milli: u32,
    minute: u32,
    site: u8,
}

fn arb_event() -> impl Strategy<Value = Ev> {
    (0u8..4, 0u16..200, 0u8..2, 0u32..50_000, 0u32..(3 * 31 * 24 * 60), 0u8..3).prop_map(
        |(customer, id, meter, quantity_milli, minute, site)| Ev { customer, id, meter, quantity_milli, minute, site },
    )
}

fn to_event(e: &Ev) -> UsageEvent {
    let ts = Timestamp::parse("2026-11-01T00:00:00Z").unwrap().unix_micros() + i64::from(e.minute) * 60_000_000;
    let mut props = serde_json::Map::new();
    props.insert("site".into(), json!(format!("s{}", e.site)));
    UsageEvent::new(
        format!("e{}", e.id),
        format!("c{}", e.customer),
        if e.meter == 0 { "gpu_hours" } else { "tokens" },
        Decimal::new(i64::from(e.quantity_milli), 3),
        Timestamp::from_unix_micros(ts),
        props,
    )
    .unwrap()
}

fn plan(tier_edge: u32, price_milli: u32, minimum: u32) -> Plan {
    Plan::from_json(&json!({
        "currency": "USD", "minimum_commitment": minimum.to_string(),
        "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["site"]}, {"code": "tokens", "aggregation": "sum"}],
        "charges": [
            {"meter_code": "gpu_hours", "model": "graduated", "tiers": [
                {"up_to": tier_edge, "per_unit_amount": Decimal::new(i64::from(price_milli), 3).to_string(), "flat_amount": "1.005"},
                {"up_to": null, "per_unit_amount": "0.333"}]},
            {"meter_code": "tokens", "model": "percentage", "rate": "2.5", "fixed_amount": "0.015", "per_transaction_max_amount": "0.9"}]
    }))
    .unwrap()
}

fn subscription(customer: u8, coupon_percent: u32, coupon_fixed: u32, tax: u32, wallet: u32) -> Subscription {
    Subscription::from_json(&json!({
        "customer_id": format!("c{customer}"), "start": "2026-11-01T00:00:00Z", "tax_rate": format!("{tax}.5"),
        "wallet_credits": wallet.to_string(),
        "coupons": [
            {"code": "P", "coupon_type": "percentage", "percentage_rate": coupon_percent.to_string(), "frequency": "recurring", "frequency_duration": 2},
            {"code": "F", "coupon_type": "fixed_amount", "amount": coupon_fixed.to_string(), "frequency": "once"}]
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn usage_never_crosses_customers_and_invoices_balance(
        first in prop::collection::vec(arb_event(), 0..120),
        late in prop::collection::vec(arb_event(), 0..60),
        tier_edge in 1u32..40,
        price_milli in 0u32..5000,
        minimum in 0u32..60,
        coupon_percent in 0u32..=100,
        coupon_fixed in 0u32..30,
        tax in 0u32..25,
        wallet in 0u32..50,
    ) {
        let plan = plan(tier_edge, price_milli, minimum);
        let mut memory = MemoryLedger::new();
        let mut sqlite = SqliteLedger::open_in_memory().unwrap();
        let first: Vec<UsageEvent> = first.iter().map(to_event).collect();
        let late: Vec<UsageEvent> = late.iter().map(to_event).collect();
        prop_assert_eq!(memory.ingest(&first).unwrap(), sqlite.ingest(&first).unwrap());
        let months = ["2026-11-15T00:00:00Z", "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z"];
        for (m, at) in months.iter().enumerate() {
            if m == 1 {
                // Late events (some for November, already invoiced) and retries of old ones.
                prop_assert_eq!(memory.ingest(&late).unwrap(), sqlite.ingest(&late).unwrap());
                prop_assert_eq!(memory.ingest(&first).unwrap(), 0);
            }
            let at = Timestamp::parse(at).unwrap();
            for customer in 0u8..4 {
                let sub = subscription(customer, coupon_percent, coupon_fixed, tax, wallet);
                let a = issue_invoice(&mut memory, &plan, &sub, at).unwrap();
                let b = issue_invoice(&mut sqlite, &plan, &sub, at).unwrap();
                prop_assert_eq!(&a, &b);
                a.check_invariant().unwrap();
                prop_assert!(a.total >= Decimal::ZERO);
                for line in a.lines.iter().filter(|l| l.kind != LineKind::Correction) {
                    prop_assert_eq!(line.amount, plan.rounding.round(line.precise_amount, &plan.currency));
                }
                // Isolation: the usage lines' units are exactly this customer's own events.
                let own: Decimal = memory
                    .events(&sub.customer_id, &["gpu_hours"], a.period.start, a.period.end)
                    .unwrap()
                    .iter()
                    .inspect(|e| assert_eq!(e.customer_id, sub.customer_id))
                    .map(|e| e.quantity)
                    .sum();
                let billed: Decimal = a.lines.iter().filter(|l| l.kind == LineKind::Usage && l.charge == "gpu_hours").map(|l| l.units).sum();
                prop_assert_eq!(own, billed);
                let arrived = if m == 0 { &late[..0] } else { &late[..] };
                // First arrival of an id wins; later ones are duplicates whatever they carry.
                let mut seen = std::collections::BTreeSet::new();
                let expected_own: Decimal = first.iter().chain(arrived.iter())
                    .filter(|e| seen.insert((e.customer_id.clone(), e.event_id.clone())))
                    .filter(|e| e.customer_id == sub.customer_id && e.meter_code == "gpu_hours" && a.period.contains(e.timestamp))
                    .map(|e| e.quantity)
                    .sum();
                prop_assert_eq!(own, expected_own);
            }
        }
    }
}
