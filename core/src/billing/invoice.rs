//! Invoices: lines, discounts, tax, credits and the arithmetic invariant every invoice obeys:
//! `total = Σ line amounts − discount_total + tax − credits`, with `total ≥ 0`.
//!
//! `credits` is signed: positive when wallet credits paid part of the invoice, negative when the
//! invoice's charges netted to a credit (a correction larger than the usage) and that amount was
//! deposited into the wallet instead of producing a negative total.

use super::money::Currency;
use super::period::Period;
use crate::{Error, ErrorKind, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a line bills.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Usage of a charge in the invoice's period.
    Usage,
    /// Difference between the minimum commitment and the period's usage.
    MinimumCommitment,
    /// Credit or debit for late events of an earlier, already invoiced period.
    Correction,
    /// A pay-in-advance fee for one event.
    InAdvance,
    /// True-up of a charge whose period usage came to less than its `min_amount`.
    ChargeMinimum,
    /// Excess taken off a charge whose period usage came to more than its `max_amount` (negative).
    ChargeMaximum,
}

/// One invoice line: the precise amount and the same amount rounded once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// What it bills.
    pub kind: LineKind,
    /// Charge name (or `"minimum_commitment"`).
    pub charge: String,
    /// Meter priced, if any.
    pub meter_code: Option<String>,
    /// Group-by property values of the line (empty without group-by).
    pub group: Map<String, Value>,
    /// Units priced (after the quantity transform; 0 for commitment lines).
    pub units: Decimal,
    /// Events that contributed.
    pub event_count: u64,
    /// Unrounded amount.
    pub precise_amount: Decimal,
    /// Amount rounded to the currency's minor unit.
    pub amount: Decimal,
    /// The period whose usage the line bills (an earlier one for corrections).
    pub service_period: Period,
}

/// One coupon's effect on an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedDiscount {
    /// Coupon code.
    pub coupon: String,
    /// Amount taken off (rounded).
    pub amount: Decimal,
}

/// An invoice for one customer and one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// `"{customer}/{period start}"`.
    pub number: String,
    /// Customer billed.
    pub customer_id: String,
    /// Plan code.
    pub plan_code: String,
    /// Currency of every amount.
    pub currency: Currency,
    /// Billing period.
    pub period: Period,
    /// Index of the period in the subscription (0 = first).
    pub period_index: u32,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
    /// Σ line amounts.
    pub subtotal: Decimal,
    /// Coupons applied.
    pub discounts: Vec<AppliedDiscount>,
    /// Σ discounts.
    pub discount_total: Decimal,
    /// Tax rate in percent.
    pub tax_rate: Decimal,
    /// Precise taxable amount (Σ precise line amounts − discounts, not below 0).
    pub taxable_precise: Decimal,
    /// Tax, rounded once for the whole invoice.
    pub tax: Decimal,
    /// Wallet credits applied (negative: amount deposited into the wallet).
    pub credits: Decimal,
    /// Amount due.
    pub total: Decimal,
    /// Ledger sequence number up to which usage was read (late-event detection).
    pub watermark: u64,
}

impl Invoice {
    /// Checks the invariant `total = Σ lines − discounts + tax − credits`, `total ≥ 0`,
    /// `subtotal = Σ lines`, `discount_total = Σ discounts`. A violation is an `Internal` error
    /// (a bug in hcp, never the caller's input).
    ///
    /// ```
    /// # use hcpcore::billing::*;
    /// # let plan = Plan::from_json(&serde_json::json!({"currency": "USD", "meters": [{"code": "m", "aggregation": "count"}],
    /// #   "charges": [{"meter_code": "m", "model": "standard", "amount": "1"}]})).unwrap();
    /// # let sub = Subscription::new("c", Timestamp::parse("2026-11-01").unwrap(), Anchor::Calendar);
    /// let store = MemoryLedger::new();
    /// let invoice = preview_invoice(&store, &plan, &sub, Timestamp::parse("2026-11-02").unwrap()).unwrap();
    /// invoice.check_invariant().unwrap();
    /// ```
    pub fn check_invariant(&self) -> Result<()> {
        let lines: Decimal = self.lines.iter().map(|l| l.amount).sum();
        let discounts: Decimal = self.discounts.iter().map(|d| d.amount).sum();
        let expected = lines - self.discount_total + self.tax - self.credits;
        let ok = lines == self.subtotal
            && discounts == self.discount_total
            && expected == self.total
            && self.total >= Decimal::ZERO;
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "invoice {} breaks its invariant: lines {lines} subtotal {} discounts {} tax {} credits {} total {}",
                    self.number, self.subtotal, self.discount_total, self.tax, self.credits, self.total
                ),
            ))
        }
    }

    /// The invoice as JSON (amounts as decimal strings).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Lines as flat records (one object per line), ready for a data frame.
    pub fn line_records(&self) -> Vec<Value> {
        self.lines
            .iter()
            .map(|l| {
                serde_json::json!({
                    "invoice": self.number, "customer_id": self.customer_id, "kind": l.kind,
                    "charge": l.charge, "meter_code": l.meter_code, "group": l.group,
                    "units": l.units, "event_count": l.event_count, "precise_amount": l.precise_amount,
                    "amount": l.amount, "service_period_start": l.service_period.start,
                    "service_period_end": l.service_period.end, "currency": self.currency.code,
                })
            })
            .collect()
    }
}
