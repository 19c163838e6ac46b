//! Rating: a customer's events and a plan become invoice lines, then an invoice.
//!
//! Order of operations on an invoice (Lago's order; Stripe agrees on coupons-before-tax):
//! 1. usage lines, one per charge and group, each rounded once (pay-in-advance charges are not
//!    here: they were billed per event by [`instant_fees`]);
//! 2. the minimum commitment true-up line, if usage fell short;
//! 3. correction lines for late events of earlier invoiced periods (new rating − billed so far);
//! 4. coupons, in order, on what remains (never below zero);
//! 5. tax on the precise amount (Σ precise lines − discounts), rounded once per invoice;
//! 6. wallet credits, last; a net credit is deposited into the wallet, so the total is never
//!    negative.

use super::charge::Charge;
use super::event::UsageEvent;
use super::invoice::{AppliedDiscount, Invoice, InvoiceLine, LineKind};
use super::ledger::UsageStore;
use super::meter::{Aggregation, EventValue};
use super::num::{checked_add, checked_div, checked_mul};
use super::period::Period;
use super::plan::{CouponFrequency, CouponValue, Plan, PlanVersion, Subscription};
use super::time::Timestamp;
use crate::cancel::CancelToken;
use crate::Result;
use rust_decimal::Decimal;
use serde_json::Map;
use std::collections::BTreeMap;

/// Name of the minimum-commitment line.
pub const MINIMUM_COMMITMENT: &str = "minimum_commitment";

/// Options of [`rate_lines`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateOptions {
    /// Include pay-in-advance charges (estimates do; invoices do not).
    pub include_in_advance: bool,
    /// Multiply the readings of additive meters by this factor (budget forecasts).
    pub scale: Option<Decimal>,
    /// Fraction of a full period for prorating the minimum commitment; `None` skips it.
    pub commitment_fraction: Option<Decimal>,
}

/// Meter codes a version's charges read.
fn meter_codes(version: &PlanVersion) -> Vec<&str> {
    let mut codes: Vec<&str> = version.charges.iter().map(|c| c.meter_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Rates one period's events (of one customer) into lines with `version`'s charges.
pub(crate) fn rate_lines(
    plan: &Plan,
    version: &PlanVersion,
    events: &[UsageEvent],
    period: &Period,
    options: RateOptions,
) -> Result<Vec<InvoiceLine>> {
    let mut lines = Vec::new();
    let mut usage_precise = Decimal::ZERO;
    for pc in &version.charges {
        if pc.pay_in_advance && !options.include_in_advance {
            continue;
        }
        let meter = plan.meter(&pc.meter_code)?;
        for reading in meter.aggregate(events, period, pc.charge.needs_events())? {
            let scale = options.scale.filter(|_| meter.is_additive());
            let (units, precise) = price(&pc.charge, meter.aggregation, reading.units, &reading.events, scale)?;
            usage_precise = checked_add("amount", usage_precise, precise)?;
            lines.push(InvoiceLine {
                kind: LineKind::Usage,
                charge: pc.name.clone(),
                meter_code: Some(pc.meter_code.clone()),
                group: reading.group_json(meter),
                units,
                event_count: reading.event_count,
                precise_amount: precise,
                amount: plan.rounding.round(precise, &plan.currency),
                service_period: *period,
            });
        }
    }
    if let (Some(minimum), Some(fraction)) = (version.minimum_commitment, options.commitment_fraction) {
        let owed = checked_mul("minimum_commitment", minimum, fraction)?;
        if usage_precise < owed {
            let precise = (owed - usage_precise).normalize();
            lines.push(InvoiceLine {
                kind: LineKind::MinimumCommitment,
                charge: MINIMUM_COMMITMENT.to_string(),
                meter_code: None,
                group: Map::new(),
                units: Decimal::ZERO,
                event_count: 0,
                precise_amount: precise,
                amount: plan.rounding.round(precise, &plan.currency),
                service_period: *period,
            });
        }
    }
    Ok(lines)
}

/// The line's units and precise amount for one reading. Never fails on a negative reading (a
/// `latest` of −5, a signed sum netting negative): the line keeps the raw units, as read, and
/// bills zero usage — see [`unit_amount`].
fn price(
    charge: &Charge,
    aggregation: Aggregation,
    units: Decimal,
    events: &[EventValue],
    scale: Option<Decimal>,
) -> Result<(Decimal, Decimal)> {
    if charge.needs_events() {
        // Percentage and dynamic bill 0 when the values sum to 0 or less.
        let amount = charge.amount_for_events(events)?;
        let amount = match scale {
            Some(s) => checked_mul("amount", amount, s)?,
            None => amount,
        };
        return Ok((units, amount));
    }
    let units = match scale {
        Some(s) => checked_mul("units", units, s)?,
        None => units,
    };
    if units < Decimal::ZERO {
        return Ok((units, unit_amount(charge, aggregation, units)?));
    }
    Ok((charge.transformed_units(units)?, charge.amount(units)?))
}

/// The amount of a unit-based charge for `units` read by a meter of `aggregation`, negative
/// readings included, as Lago bills them: a negative `latest` reads as 0 units
/// (`LatestService` clamps it), so a first-tier flat fee still applies; any other negative
/// reading (sum, max, weighted sum) is a fee of 0 (`Fees::ChargeService` zeroes a fee with
/// negative units).
fn unit_amount(charge: &Charge, aggregation: Aggregation, units: Decimal) -> Result<Decimal> {
    if units >= Decimal::ZERO {
        charge.amount(units)
    } else if aggregation == Aggregation::Latest {
        charge.amount(Decimal::ZERO)
    } else {
        Ok(Decimal::ZERO)
    }
}

fn usage_from(version: &PlanVersion, plan: &Plan, period: &Period) -> Timestamp {
    let weighted = version
        .charges
        .iter()
        .any(|c| plan.meters.get(&c.meter_code).is_some_and(|m| m.aggregation == Aggregation::WeightedSum));
    if weighted {
        Timestamp::MIN
    } else {
        period.start
    }
}

fn line_key(line: &InvoiceLine) -> (Timestamp, String, String) {
    (line.service_period.start, line.charge.clone(), serde_json::Value::Object(line.group.clone()).to_string())
}

/// Correction lines for events that arrived after earlier periods were invoiced.
fn corrections<S: UsageStore + ?Sized>(
    store: &S,
    plan: &Plan,
    sub: &Subscription,
    current: &Period,
    history: &[Invoice],
) -> Result<Vec<InvoiceLine>> {
    let Some(last_watermark) = history.iter().map(|i| i.watermark).max() else { return Ok(Vec::new()) };
    let Some(earliest) = store.earliest_late(&sub.customer_id, last_watermark, current.start)? else {
        return Ok(Vec::new());
    };
    // Everything billed so far, per (service period, charge, group).
    let mut billed: BTreeMap<(Timestamp, String, String), (Decimal, Decimal)> = BTreeMap::new();
    let mut periods: BTreeMap<Timestamp, (Period, u32)> = BTreeMap::new();
    for inv in history {
        if inv.period.end > earliest && inv.period.start < current.start {
            periods.insert(inv.period.start, (inv.period, inv.period_index));
        }
        for line in inv.lines.iter().filter(|l| l.kind != LineKind::InAdvance) {
            let entry = billed.entry(line_key(line)).or_default();
            entry.0 += line.precise_amount;
            entry.1 += line.amount;
        }
    }
    let cycle = sub.cycle(plan);
    let mut out = Vec::new();
    for (period, index) in periods.into_values() {
        let version = plan.version_at(period.start);
        let events =
            store.events(&sub.customer_id, &meter_codes(version), usage_from(version, plan, &period), period.end)?;
        let options = RateOptions {
            include_in_advance: false,
            scale: None,
            commitment_fraction: Some(cycle.fraction(index, &period)),
        };
        let fresh = rate_lines(plan, version, &events, &period, options)?;
        let mut seen = std::collections::BTreeSet::new();
        for line in &fresh {
            let key = line_key(line);
            let (bp, ba) = billed.get(&key).copied().unwrap_or_default();
            seen.insert(key);
            push_correction(&mut out, line, line.precise_amount - bp, line.amount - ba);
        }
        // Lines billed before that the fresh rating no longer has (e.g. a true-up now covered).
        for ((start, charge, _), (bp, ba)) in billed.iter().filter(|(k, _)| k.0 == period.start && !seen.contains(*k)) {
            let template = history
                .iter()
                .flat_map(|i| i.lines.iter())
                .find(|l| l.service_period.start == *start && &l.charge == charge)
                .cloned();
            if let Some(t) = template {
                push_correction(&mut out, &InvoiceLine { units: Decimal::ZERO, event_count: 0, ..t }, -*bp, -*ba);
            }
        }
    }
    Ok(out)
}

fn push_correction(out: &mut Vec<InvoiceLine>, like: &InvoiceLine, precise: Decimal, amount: Decimal) {
    if precise.is_zero() && amount.is_zero() {
        return;
    }
    out.push(InvoiceLine { kind: LineKind::Correction, precise_amount: precise.normalize(), amount, ..like.clone() });
}

/// Builds the invoice of the period containing `at` without recording it.
///
/// ```
/// use hcpcore::billing::*;
/// let plan = Plan::from_json(&serde_json::json!({"currency": "USD",
///     "meters": [{"code": "tokens", "aggregation": "sum"}],
///     "charges": [{"meter_code": "tokens", "model": "package", "amount": "2", "package_size": 1000000}]})).unwrap();
/// let sub = Subscription::new("acme", Timestamp::parse("2026-11-01").unwrap(), Anchor::Calendar);
/// let mut ledger = MemoryLedger::new();
/// ledger.ingest(&UsageEvent::many_from_json(&serde_json::json!([{"event_id": "1", "customer_id": "acme",
///     "meter_code": "tokens", "quantity": 1500000, "timestamp": "2026-11-03T10:00:00Z"}])).unwrap()).unwrap();
/// let inv = preview_invoice(&ledger, &plan, &sub, Timestamp::parse("2026-11-30").unwrap()).unwrap();
/// assert_eq!(inv.total.to_string(), "4.00");
/// ```
pub fn preview_invoice<S: UsageStore + ?Sized>(
    store: &S,
    plan: &Plan,
    sub: &Subscription,
    at: Timestamp,
) -> Result<Invoice> {
    let cycle = sub.cycle(plan);
    let (index, period) = cycle.period_containing(at)?;
    let history = store.invoices(&sub.customer_id)?;
    build_invoice(store, plan, sub, index, period, &history)
}

/// Builds, checks and records the invoice of the period containing `at`. `Conflict` if that
/// period is already invoiced for the customer (an issued invoice never changes; late events
/// are corrected on the next one).
pub fn issue_invoice<S: UsageStore + ?Sized>(
    store: &mut S,
    plan: &Plan,
    sub: &Subscription,
    at: Timestamp,
) -> Result<Invoice> {
    let invoice = preview_invoice(&*store, plan, sub, at)?;
    store.record_invoice(&invoice)?;
    Ok(invoice)
}

fn build_invoice<S: UsageStore + ?Sized>(
    store: &S,
    plan: &Plan,
    sub: &Subscription,
    index: u32,
    period: Period,
    history: &[Invoice],
) -> Result<Invoice> {
    let watermark = store.max_seq()?;
    let version = plan.version_at(period.start);
    let events =
        store.events(&sub.customer_id, &meter_codes(version), usage_from(version, plan, &period), period.end)?;
    let options = RateOptions {
        include_in_advance: false,
        scale: None,
        commitment_fraction: Some(sub.cycle(plan).fraction(index, &period)),
    };
    let mut lines = rate_lines(plan, version, &events, &period, options)?;
    let prior: Vec<Invoice> = history.iter().filter(|i| i.period.start < period.start).cloned().collect();
    lines.extend(corrections(store, plan, sub, &period, &prior)?);
    finish_invoice(plan, sub, index, period, lines, &prior, watermark)
}

/// Applies coupons, tax and credits to `lines` and checks the invariant.
pub(crate) fn finish_invoice(
    plan: &Plan,
    sub: &Subscription,
    index: u32,
    period: Period,
    lines: Vec<InvoiceLine>,
    prior: &[Invoice],
    watermark: u64,
) -> Result<Invoice> {
    let round = |d: Decimal| plan.rounding.round(d, &plan.currency);
    let zero = round(Decimal::ZERO);
    let mut subtotal = zero;
    let mut precise = Decimal::ZERO;
    for l in &lines {
        subtotal = checked_add("amount", subtotal, l.amount)?;
        precise = checked_add("amount", precise, l.precise_amount)?;
    }
    let mut remaining = subtotal.max(zero);
    let mut discounts = Vec::new();
    for coupon in &sub.coupons {
        let used_before: Decimal =
            prior.iter().flat_map(|i| i.discounts.iter()).filter(|d| d.coupon == coupon.code).map(|d| d.amount).sum();
        let applied_before =
            prior.iter().any(|i| i.discounts.iter().any(|d| d.coupon == coupon.code && !d.amount.is_zero()));
        let active = match coupon.frequency {
            CouponFrequency::Forever => true,
            CouponFrequency::Recurring(n) => index < n,
            CouponFrequency::Once => match coupon.value {
                CouponValue::Fixed(amount) => used_before < amount,
                CouponValue::Percentage(_) => !applied_before,
            },
        };
        if !active || remaining.is_zero() {
            continue;
        }
        let wanted = match (coupon.value, coupon.frequency) {
            (CouponValue::Fixed(amount), CouponFrequency::Once) => amount - used_before,
            (CouponValue::Fixed(amount), _) => amount,
            (CouponValue::Percentage(rate), _) => {
                round(checked_div("percentage_rate", checked_mul("amount", remaining, rate)?, Decimal::ONE_HUNDRED)?)
            }
        };
        let amount = round(wanted.min(remaining));
        if amount.is_zero() {
            continue;
        }
        remaining -= amount;
        discounts.push(AppliedDiscount { coupon: coupon.code.clone(), amount });
    }
    let discount_total = discounts.iter().fold(zero, |acc, d| acc + d.amount);
    let taxable_precise = (precise - discount_total).max(Decimal::ZERO).normalize();
    let tax =
        round(checked_div("tax_rate", checked_mul("tax_rate", taxable_precise, sub.tax_rate)?, Decimal::ONE_HUNDRED)?);
    let before_credits = subtotal - discount_total + tax;
    let credits = if before_credits.is_sign_negative() && !before_credits.is_zero() {
        before_credits
    } else {
        let spent: Decimal = prior.iter().map(|i| i.credits).sum();
        let balance = sub.wallet_credits - spent;
        round(balance.max(Decimal::ZERO).min(before_credits))
    };
    let invoice = Invoice {
        number: format!("{}/{}", sub.customer_id, period.start),
        customer_id: sub.customer_id.clone(),
        plan_code: plan.code.clone(),
        currency: plan.currency.clone(),
        period,
        period_index: index,
        lines,
        subtotal,
        discounts,
        discount_total,
        tax_rate: sub.tax_rate,
        taxable_precise,
        tax,
        credits,
        total: round(before_credits - credits),
        watermark,
    };
    invoice.check_invariant()?;
    Ok(invoice)
}

/// Pay-in-advance fees of one event: one line per pay-in-advance charge on the event's meter,
/// priced with the version in force at the event's timestamp and rounded per event (as Lago's
/// instant fees are). Events of meters the plan does not know give no fee.
pub fn instant_fees(plan: &Plan, event: &UsageEvent) -> Result<Vec<InvoiceLine>> {
    let version = plan.version_at(event.timestamp);
    let mut out = Vec::new();
    for pc in version.charges.iter().filter(|c| c.pay_in_advance && c.meter_code == event.meter_code) {
        let meter = plan.meter(&pc.meter_code)?;
        let period = Period::new(event.timestamp, event.timestamp.plus_days(1))?;
        for reading in meter.aggregate(std::slice::from_ref(event), &period, false)? {
            let precise = unit_amount(&pc.charge, meter.aggregation, reading.units)?;
            out.push(InvoiceLine {
                kind: LineKind::InAdvance,
                charge: pc.name.clone(),
                meter_code: Some(pc.meter_code.clone()),
                group: reading.group_json(meter),
                units: reading.units,
                event_count: 1,
                precise_amount: precise,
                amount: plan.rounding.round(precise, &plan.currency),
                service_period: period,
            });
        }
    }
    Ok(out)
}

/// Issues the invoices of every subscription for the period containing `at`: all are built
/// and checked first, then recorded together, all or nothing (one transaction in SQLite). Any
/// error — bad input, a customer already invoiced (`Conflict`), two subscriptions of one
/// customer — records none of them.
pub fn issue_invoices<S: UsageStore + ?Sized>(
    store: &mut S,
    plan: &Plan,
    subs: &[Subscription],
    at: Timestamp,
) -> Result<Vec<Invoice>> {
    // A token nobody else holds is never cancelled, so the invoices are always issued.
    issue_invoices_cancellable(store, plan, subs, at, &CancelToken::new()).map(Option::unwrap_or_default)
}

/// [`issue_invoices`], checking `cancel` before building each subscription's invoice: `None`
/// when it was set before the last one, and then nothing is recorded (the recording itself, one
/// transaction, is not interrupted).
pub fn issue_invoices_cancellable<S: UsageStore + ?Sized>(
    store: &mut S,
    plan: &Plan,
    subs: &[Subscription],
    at: Timestamp,
    cancel: &CancelToken,
) -> Result<Option<Vec<Invoice>>> {
    let mut invoices = Vec::with_capacity(subs.len());
    for s in subs {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        invoices.push(preview_invoice(&*store, plan, s, at)?);
    }
    store.record_invoices(&invoices)?;
    Ok(Some(invoices))
}
