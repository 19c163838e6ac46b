//! Estimates and budgets: what planned work will cost, and where a customer's spend is heading.
//!
//! An estimate rates a planned workload (e.g. 8 H100s for 72 hours, 40 M tokens) as if it were
//! the period's usage, through exactly the same charges as an invoice — including pay-in-advance
//! charges and the minimum commitment, excluding coupons and wallet credits (which depend on the
//! customer's history). A budget compares spend to date (usage lines of the open period, before
//! tax) with a limit; the forecast extrapolates additive meters (count, sum) linearly to the
//! period end and re-prices them through the tiers, keeping non-additive readings (max, latest,
//! unique count, weighted sum) as they are.

use super::event::UsageEvent;
use super::invoice::{Invoice, LineKind};
use super::ledger::UsageStore;
use super::num::{checked_div, checked_mul, decimal_from_json, Fields};
use super::period::Period;
use super::plan::{Plan, Subscription};
use super::rating::{finish_invoice, rate_lines, RateOptions};
use super::time::Timestamp;
use crate::{Error, Result};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

/// A planned quantity of one meter (with the properties that select its group and price).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedUsage {
    /// Meter code.
    pub meter_code: String,
    /// Planned quantity (≥ 0).
    pub quantity: Decimal,
    /// Properties, e.g. `{"gpu_model": "H100"}`.
    pub properties: Map<String, Value>,
}

impl PlannedUsage {
    /// Parses `[{"meter_code", "quantity", "properties"?}, …]`.
    pub fn many_from_json(value: &Value) -> Result<Vec<Self>> {
        let Value::Array(items) = value else {
            return Err(Error::invalid_input("usage", "expected an array"));
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let f = Fields::new(&format!("usage[{i}]"), item)?;
            f.only(&["meter_code", "quantity", "properties"])?;
            let quantity = decimal_from_json(
                &f.path("quantity"),
                f.get("quantity").ok_or_else(|| Error::invalid_input(&f.path("quantity"), "required"))?,
            )?;
            if quantity.is_sign_negative() && !quantity.is_zero() {
                return Err(Error::invalid_input(&f.path("quantity"), format!("must be >= 0, got {quantity}")));
            }
            let properties = match f.get("properties") {
                None => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => return Err(Error::invalid_input(&f.path("properties"), "expected an object")),
            };
            out.push(PlannedUsage { meter_code: f.str("meter_code")?.to_string(), quantity, properties });
        }
        Ok(out)
    }
}

/// Estimates the cost of `usage` for `sub` under `plan` in the period containing `at`. Each
/// planned item is one event at the period start. Unknown meters are `InvalidInput` naming
/// `usage[i].meter_code`.
///
/// ```
/// use hcpcore::billing::*;
/// let plan = Plan::from_json(&serde_json::json!({"currency": "USD",
///     "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
///     "charges": [{"meter_code": "gpu_hours", "model": "standard", "amount": "2.49"}]})).unwrap();
/// let sub = Subscription::new("acme", Timestamp::parse("2026-11-01").unwrap(), Anchor::Calendar);
/// let usage = PlannedUsage::many_from_json(&serde_json::json!([
///     {"meter_code": "gpu_hours", "quantity": 576, "properties": {"gpu_model": "H100"}}])).unwrap();
/// let est = estimate(&plan, &sub, Timestamp::parse("2026-11-10").unwrap(), &usage).unwrap();
/// assert_eq!(est.total.to_string(), "1434.24");
/// ```
pub fn estimate(plan: &Plan, sub: &Subscription, at: Timestamp, usage: &[PlannedUsage]) -> Result<Invoice> {
    let cycle = sub.cycle(plan);
    let (index, period) = cycle.period_containing(at)?;
    let mut events = Vec::with_capacity(usage.len());
    for (i, u) in usage.iter().enumerate() {
        if !plan.meters.contains_key(&u.meter_code) {
            return Err(Error::invalid_input(
                &format!("usage[{i}].meter_code"),
                format!("unknown meter {:?}", u.meter_code),
            ));
        }
        events.push(UsageEvent::new(
            format!("estimate-{i}"),
            sub.customer_id.clone(),
            u.meter_code.clone(),
            u.quantity,
            period.start,
            u.properties.clone(),
        )?);
    }
    let version = plan.version_at(period.start);
    let options = RateOptions {
        include_in_advance: true,
        scale: None,
        commitment_fraction: Some(cycle.fraction(index, &period)),
    };
    let lines = rate_lines(plan, version, &events, &period, options)?;
    let bare = Subscription { coupons: Vec::new(), wallet_credits: Decimal::ZERO, ..sub.clone() };
    let mut invoice = finish_invoice(plan, &bare, index, period, lines, &[], 0)?;
    invoice.number = format!("estimate/{}/{}", sub.customer_id, period.start);
    Ok(invoice)
}

/// A budget alert: spend (or forecast) reached `threshold_percent` of the budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetAlert {
    /// Threshold in percent (e.g. 80).
    pub threshold_percent: Decimal,
    /// True if spend to date crossed it; false if only the forecast does.
    pub reached: bool,
}

/// Where a customer's spend stands in the open period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetStatus {
    /// The open period.
    pub period: Period,
    /// Budget for the period.
    pub budget: Decimal,
    /// Usage lines of the period so far (rounded, before tax, discounts and commitment).
    pub spend_to_date: Decimal,
    /// Spend expected by the period end at the current pace.
    pub forecast: Decimal,
    /// Spend to date as a percent of the budget.
    pub used_percent: Decimal,
    /// Thresholds crossed by spend to date or by the forecast, in increasing order.
    pub alerts: Vec<BudgetAlert>,
}

/// Spend to date, forecast and alerts for `sub` at `now` against `budget` with thresholds in
/// percent (e.g. `[50, 80, 100]`).
pub fn budget_status<S: UsageStore + ?Sized>(
    store: &S,
    plan: &Plan,
    sub: &Subscription,
    now: Timestamp,
    budget: Decimal,
    thresholds_percent: &[Decimal],
) -> Result<BudgetStatus> {
    if budget <= Decimal::ZERO {
        return Err(Error::invalid_input("budget", format!("must be > 0, got {budget}")));
    }
    if let Some(bad) = thresholds_percent.iter().find(|t| **t <= Decimal::ZERO) {
        return Err(Error::invalid_input("thresholds", format!("must be > 0, got {bad}")));
    }
    let (_, period) = sub.cycle(plan).period_containing(now)?;
    let version = plan.version_at(period.start);
    let mut codes: Vec<&str> = version.charges.iter().map(|c| c.meter_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let events = store.events(&sub.customer_id, &codes, Timestamp::MIN, now)?;
    let so_far =
        Period { start: period.start, end: now.max(Timestamp::from_unix_micros(period.start.unix_micros() + 1)) };
    let usage_sum = |lines: &[super::invoice::InvoiceLine]| -> Decimal {
        lines.iter().filter(|l| matches!(l.kind, LineKind::Usage | LineKind::ChargeMaximum)).map(|l| l.amount).sum()
    };
    let base = RateOptions { include_in_advance: true, scale: None, commitment_fraction: None };
    let spend_to_date = usage_sum(&rate_lines(plan, version, &events, &so_far, base)?);
    let scale = checked_div("now", Decimal::from(period.length_micros()), Decimal::from(so_far.length_micros()))?;
    let forecast_lines = rate_lines(plan, version, &events, &so_far, RateOptions { scale: Some(scale), ..base })?;
    let forecast = usage_sum(&forecast_lines).max(spend_to_date);
    let used_percent =
        checked_div("budget", checked_mul("budget", spend_to_date, Decimal::ONE_HUNDRED)?, budget)?.round_dp(2);
    let forecast_percent = checked_div("budget", checked_mul("budget", forecast, Decimal::ONE_HUNDRED)?, budget)?;
    let mut sorted = thresholds_percent.to_vec();
    sorted.sort();
    sorted.dedup();
    let alerts = sorted
        .into_iter()
        .filter(|t| forecast_percent >= *t)
        .map(|t| BudgetAlert { threshold_percent: t, reached: used_percent >= t })
        .collect();
    Ok(BudgetStatus { period, budget, spend_to_date, forecast, used_percent, alerts })
}
