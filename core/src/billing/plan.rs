//! Plans, their versions, subscriptions and coupons: the configuration that rating reads.
//!
//! A plan has one currency, one interval and a list of meters; its prices live in *versions*,
//! each effective from a date. A period is always rated with the version in force at the
//! period's **start**, including when a late event re-rates it later — so a new version never
//! re-prices a period that was already rated (Lago's plan overrides and Stripe's price changes
//! take effect at the next period the same way).

use super::charge::{Charge, ChargeModel};
use super::meter::{Aggregation, Meter};
use super::money::{Currency, Rounding};
use super::num::{kind, Fields};
use super::period::{Anchor, BillingCycle, Interval};
use super::time::Timestamp;
use crate::{Error, Result};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// A charge inside a plan: which meter it prices and how.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCharge {
    /// Name shown on invoice lines (default: the meter code); unique within a version.
    pub name: String,
    /// The meter whose readings it prices.
    pub meter_code: String,
    /// Model and prices.
    pub charge: Charge,
    /// Billed per event as it is ingested ([`super::instant_fees`]) instead of on the period's
    /// invoice. Only for `standard` charges on `count` or `sum` meters, as in Lago.
    pub pay_in_advance: bool,
    /// Spending limits of this charge per period (Lago's charge minimum, OpenMeter's rate-card
    /// commitments): see [`SpendingLimits`].
    pub limits: SpendingLimits,
}

/// The least and the most one charge bills in one period, across all its groups.
///
/// - **Minimum** (`min_amount`; Lago `min_amount_cents`, OpenMeter `minimumAmount`): when the
///   charge's usage in a period comes to less, the invoice carries a true-up line of the
///   difference (kind `charge_minimum`), prorated like the plan's minimum commitment for a
///   short first period. Estimates include it; budget forecasts leave it out, as they do the plan's.
/// - **Maximum** (`max_amount`; OpenMeter `maximumAmount`): when the usage comes to more, a
///   line of kind `charge_maximum` takes the excess off (a negative amount), so the usage lines
///   still show every unit and its price. Applies to estimates too.
///
/// Both lines name the charge and carry the group `{"spending_limit": "minimum"|"maximum"}`;
/// the plan-level minimum commitment compares against usage after these lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpendingLimits {
    /// Least amount per period.
    pub min_amount: Option<Decimal>,
    /// Most amount per period.
    pub max_amount: Option<Decimal>,
}

/// The group key of a charge's spending-limit lines (reserved: no meter with limits may group by it).
pub const SPENDING_LIMIT_GROUP: &str = "spending_limit";

/// Prices in force from `effective_from` on.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVersion {
    /// First instant this version prices (periods starting at or after it).
    pub effective_from: Timestamp,
    /// The charges.
    pub charges: Vec<PlanCharge>,
    /// Minimum spend per period, trued up at period end (prorated for a short first period).
    pub minimum_commitment: Option<Decimal>,
}

/// A billing plan.
///
/// ```
/// use hcpcore::billing::Plan;
/// let plan = Plan::from_json(&serde_json::json!({
///     "code": "gpu", "currency": "USD", "interval": "monthly",
///     "meters": [{"code": "gpu_seconds", "aggregation": "sum"}],
///     "charges": [{"meter_code": "gpu_seconds", "model": "standard", "amount": "0.001"}],
///     "versions": [{"effective_from": "2027-01-01",
///                   "charges": [{"meter_code": "gpu_seconds", "model": "standard", "amount": "0.0008"}]}]
/// })).unwrap();
/// let jan = hcpcore::billing::Timestamp::parse("2027-01-01").unwrap();
/// assert_eq!(plan.version_at(jan).charges[0].charge, hcpcore::billing::Charge::standard("0.0008".parse().unwrap()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Plan code.
    pub code: String,
    /// Currency of every amount.
    pub currency: Currency,
    /// Period length.
    pub interval: Interval,
    /// Rounding rule for lines, discounts and tax.
    pub rounding: Rounding,
    /// Meters by code.
    pub meters: BTreeMap<String, Meter>,
    /// Versions sorted by `effective_from`; the first is effective from the beginning of time.
    pub versions: Vec<PlanVersion>,
}

fn pay_in_advance_requested(f: &Fields<'_>) -> Result<bool> {
    Ok(f.opt_bool("pay_in_advance")?.unwrap_or(false))
}

fn charges_from_json(path: &str, list: &[Value], meters: &BTreeMap<String, Meter>) -> Result<Vec<PlanCharge>> {
    let mut out: Vec<PlanCharge> = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let f = Fields::new(&at, item)?;
        let meter_code = f.str("meter_code")?;
        let Some(meter) = meters.get(meter_code) else {
            return Err(Error::invalid_input(
                &f.path("meter_code"),
                format!("unknown meter {meter_code:?}; declare it in \"meters\""),
            ));
        };
        let charge = Charge::from_json_at(
            &at,
            item,
            &["meter_code", "name", "pay_in_advance", "invoice_display_name", "min_amount", "max_amount"],
        )?;
        let limits = SpendingLimits {
            min_amount: f.opt_non_negative("min_amount")?,
            max_amount: f.opt_non_negative("max_amount")?,
        };
        if let (Some(lo), Some(hi)) = (limits.min_amount, limits.max_amount) {
            if lo > hi {
                return Err(Error::invalid_input(&f.path("min_amount"), format!("{lo} exceeds max_amount {hi}")));
            }
        }
        if (limits.min_amount.is_some() || limits.max_amount.is_some())
            && meter.group_by.iter().any(|g| g == SPENDING_LIMIT_GROUP)
        {
            return Err(Error::invalid_input(
                &f.path("min_amount"),
                format!("spending limits need a meter that does not group by {SPENDING_LIMIT_GROUP:?} (the limit lines use that key)"),
            ));
        }
        if pay_in_advance_requested(&f)? && (limits.min_amount.is_some() || limits.max_amount.is_some()) {
            return Err(Error::invalid_input(
                &f.path("pay_in_advance"),
                "a pay-in-advance charge has no period total to limit; drop min_amount/max_amount or pay in arrears",
            ));
        }
        let pay_in_advance = f.opt_bool("pay_in_advance")?.unwrap_or(false);
        if pay_in_advance
            && !(matches!(charge.model, ChargeModel::Standard { .. })
                && matches!(meter.aggregation, Aggregation::Count | Aggregation::Sum)
                && charge.transform.is_none())
        {
            return Err(Error::invalid_input(
                &f.path("pay_in_advance"),
                "only standard charges without a quantity transform on count or sum meters can be paid in advance",
            ));
        }
        let name = match f.opt_str("name")? {
            Some(n) => n.to_string(),
            None => f.opt_str("invoice_display_name")?.unwrap_or(meter_code).to_string(),
        };
        if out.iter().any(|c| c.name == name) {
            return Err(Error::invalid_input(
                &f.path("name"),
                format!("duplicate charge name {name:?}; give each charge a distinct name"),
            ));
        }
        out.push(PlanCharge { name, meter_code: meter_code.to_string(), charge, pay_in_advance, limits });
    }
    Ok(out)
}

impl Plan {
    /// Parses a plan (see the type's example). Every malformed or unknown field is
    /// `InvalidInput` naming its path, e.g. `versions[0].charges[1].tiers[2].up_to`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let f = Fields::new("", value)?;
        f.only(&[
            "code",
            "name",
            "currency",
            "interval",
            "rounding",
            "meters",
            "charges",
            "minimum_commitment",
            "versions",
        ])?;
        let currency =
            Currency::from_json(f.get("currency").ok_or_else(|| Error::invalid_input("currency", "required"))?)?;
        let interval = Interval::from_name(f.opt_str("interval")?.unwrap_or("monthly"))?;
        let rounding = Rounding::from_name(f.opt_str("rounding")?.unwrap_or("half_away_from_zero"))?;
        let mut meters = BTreeMap::new();
        for (i, m) in f.opt_array("meters")?.into_iter().flatten().enumerate() {
            let meter = Meter::from_json_at(&format!("meters[{i}]"), m)?;
            if meters.contains_key(&meter.code) {
                return Err(Error::invalid_input(
                    &format!("meters[{i}].code"),
                    format!("duplicate meter {:?}", meter.code),
                ));
            }
            meters.insert(meter.code.clone(), meter);
        }
        let first = PlanVersion {
            effective_from: Timestamp::MIN,
            charges: charges_from_json("charges", f.opt_array("charges")?.map_or(&[][..], |v| v), &meters)?,
            minimum_commitment: f.opt_non_negative("minimum_commitment")?,
        };
        let mut versions = vec![first];
        for (i, v) in f.opt_array("versions")?.into_iter().flatten().enumerate() {
            let path = format!("versions[{i}]");
            let vf = Fields::new(&path, v)?;
            vf.only(&["effective_from", "charges", "minimum_commitment"])?;
            let effective_from = Timestamp::parse_field(&vf.path("effective_from"), vf.str("effective_from")?)?;
            if versions.last().is_some_and(|last: &PlanVersion| effective_from <= last.effective_from) {
                return Err(Error::invalid_input(
                    &vf.path("effective_from"),
                    "versions must be in increasing effective_from order",
                ));
            }
            let charges =
                charges_from_json(&vf.path("charges"), vf.opt_array("charges")?.map_or(&[][..], |v| v), &meters)?;
            versions.push(PlanVersion {
                effective_from,
                charges,
                minimum_commitment: vf.opt_non_negative("minimum_commitment")?,
            });
        }
        Ok(Plan {
            code: f.opt_str("code")?.unwrap_or("plan").to_string(),
            currency,
            interval,
            rounding,
            meters,
            versions,
        })
    }

    /// Parses a plan from JSON text (malformed JSON is `InvalidInput` naming `plan`).
    pub fn from_json_str(text: &str) -> Result<Self> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| Error::invalid_input("plan", format!("malformed JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// The version in force at `t`.
    pub fn version_at(&self, t: Timestamp) -> &PlanVersion {
        let i = self.versions.partition_point(|v| v.effective_from <= t);
        &self.versions[i.saturating_sub(1)]
    }

    /// The meter a charge reads (always present: checked when the plan was parsed).
    pub fn meter(&self, code: &str) -> Result<&Meter> {
        self.meters.get(code).ok_or_else(|| Error::not_found("meter", code))
    }
}

/// How often a coupon applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponFrequency {
    /// On the first invoice it can reduce (a fixed amount's remainder carries over, as in Lago).
    Once,
    /// On the invoices of the first `n` periods of the subscription.
    Recurring(u32),
    /// On every invoice.
    Forever,
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponValue {
    /// A fixed amount (in the plan currency).
    Fixed(Decimal),
    /// A percentage of the amount left after earlier coupons.
    Percentage(Decimal),
}

/// A coupon (Lago's fields: `coupon_type`, `amount`, `percentage_rate`, `frequency`,
/// `frequency_duration`). Coupons apply in order, before tax, and never below zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Coupon {
    /// Code shown on the invoice; unique within a subscription.
    pub code: String,
    /// Amount or percentage.
    pub value: CouponValue,
    /// How often.
    pub frequency: CouponFrequency,
}

impl Coupon {
    fn from_json_at(path: &str, value: &Value) -> Result<Self> {
        let f = Fields::new(path, value)?;
        f.only(&["code", "coupon_type", "amount", "percentage_rate", "frequency", "frequency_duration"])?;
        let value = match f.str("coupon_type")? {
            "fixed_amount" | "fixed" => CouponValue::Fixed(f.non_negative("amount")?),
            "percentage" => {
                let rate = f.non_negative("percentage_rate")?;
                if rate > Decimal::ONE_HUNDRED {
                    return Err(Error::invalid_input(
                        &f.path("percentage_rate"),
                        format!("must be <= 100, got {rate}"),
                    ));
                }
                CouponValue::Percentage(rate)
            }
            other => {
                return Err(Error::invalid_input(
                    &f.path("coupon_type"),
                    format!("expected fixed_amount or percentage, got {other:?}"),
                ))
            }
        };
        let frequency = match f.opt_str("frequency")?.unwrap_or("once") {
            "once" => CouponFrequency::Once,
            "forever" => CouponFrequency::Forever,
            "recurring" => {
                let n = f
                    .opt_count("frequency_duration")?
                    .ok_or_else(|| Error::invalid_input(&f.path("frequency_duration"), "required for recurring"))?;
                CouponFrequency::Recurring(u32::try_from(n).unwrap_or(u32::MAX))
            }
            other => {
                return Err(Error::invalid_input(
                    &f.path("frequency"),
                    format!("expected once, recurring or forever, got {other:?}"),
                ))
            }
        };
        Ok(Coupon { code: f.str("code")?.to_string(), value, frequency })
    }
}

/// A customer's subscription to a plan.
///
/// ```
/// use hcpcore::billing::Subscription;
/// let s = Subscription::from_json(&serde_json::json!({"customer_id": "acme", "start": "2026-11-01",
///     "tax_rate": "20", "coupons": [{"code": "WELCOME", "coupon_type": "percentage", "percentage_rate": "10"}]})).unwrap();
/// assert_eq!(s.coupons.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The customer billed.
    pub customer_id: String,
    /// When billing starts.
    pub start: Timestamp,
    /// Calendar or subscription anchoring.
    pub anchor: Anchor,
    /// Tax rate in percent, applied to the discounted precise amount.
    pub tax_rate: Decimal,
    /// Coupons, applied in order.
    pub coupons: Vec<Coupon>,
    /// Prepaid credits in the wallet at the start (applied last, after tax).
    pub wallet_credits: Decimal,
}

impl Subscription {
    /// A subscription with no tax, coupons or credits.
    pub fn new(customer_id: &str, start: Timestamp, anchor: Anchor) -> Self {
        Subscription {
            customer_id: customer_id.to_string(),
            start,
            anchor,
            tax_rate: Decimal::ZERO,
            coupons: Vec::new(),
            wallet_credits: Decimal::ZERO,
        }
    }

    /// Parses `{"customer_id", "start", "billing_anchor"?, "tax_rate"?, "coupons"?, "wallet_credits"?}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let f = Fields::new("", value)?;
        f.only(&["customer_id", "start", "billing_anchor", "tax_rate", "coupons", "wallet_credits", "plan_code"])?;
        let mut sub = Subscription::new(
            f.str("customer_id")?,
            Timestamp::parse_field("start", f.str("start")?)?,
            Anchor::from_name(f.opt_str("billing_anchor")?.unwrap_or("calendar"))?,
        );
        sub.tax_rate = f.opt_non_negative("tax_rate")?.unwrap_or_default();
        sub.wallet_credits = f.opt_non_negative("wallet_credits")?.unwrap_or_default();
        for (i, c) in f.opt_array("coupons")?.into_iter().flatten().enumerate() {
            let coupon = Coupon::from_json_at(&format!("coupons[{i}]"), c)?;
            if sub.coupons.iter().any(|k| k.code == coupon.code) {
                return Err(Error::invalid_input(
                    &format!("coupons[{i}].code"),
                    format!("duplicate coupon {:?}", coupon.code),
                ));
            }
            sub.coupons.push(coupon);
        }
        if let Some(v) = f.get("plan_code") {
            if !v.is_string() {
                return Err(Error::invalid_input("plan_code", format!("expected a string, got {}", kind(v))));
            }
        }
        Ok(sub)
    }

    /// The subscription's billing cycle under `plan`.
    pub fn cycle(&self, plan: &Plan) -> BillingCycle {
        BillingCycle::new(plan.interval, self.anchor, self.start)
    }
}
