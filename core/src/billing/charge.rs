//! Charge models: how units (or individual events) become a precise amount of money.
//!
//! Configured as JSON with Lago's field names; tiers are written Stripe/OpenMeter style, by
//! inclusive upper bound `up_to` (the last tier `null`) — Lago itself uses `from_value` /
//! `to_value` ranges, which describe the same tiers. A tier covers `(previous up_to, up_to]`.
//!
//! | model | amount for `u` units |
//! | --- | --- |
//! | `standard` | `amount × u` |
//! | `graduated` | Σ over tiers reached: `flat_amount` + `per_unit_amount` × units inside the tier. The first tier counts as reached at 0 units, so its flat fee is charged even without usage (Lago, Stripe). |
//! | `volume` | the tier `u` falls in prices every unit: `flat_amount + per_unit_amount × u`. 0 units fall in the first tier, so its flat fee is charged without usage (Lago `VolumeService`, OpenMeter `VolumeTiered`). |
//! | `package` | `amount × ⌈(u − free_units) / package_size⌉`, 0 when `u ≤ free_units` (Lago). |
//! | `percentage` | `rate`% of `u − free_units_per_total_aggregation`; with events, also `fixed_amount` per event, free events, and per-event min/max (below). A free amount or free event count of 0 means "not set" (Lago). |
//! | `graduated_percentage` | like graduated, with a `rate` (percent) per tier instead of a unit price. |
//! | `dynamic` | priced per event: Σ `properties.precise_total_amount`, else `value × properties.unit_price` (Lago's `precise_total_amount_cents`, but in major units). 0 when the events' values sum to 0 or less (Lago `DynamicService`). |
//!
//! **Percentage per event** (Lago `PercentageService`, made precise): events are taken in
//! timestamp order. `free_units_per_events = n` and `free_units_per_total_aggregation = a` (each
//! "not set" when absent or 0) open a free phase that ends at the first limit reached ("the first
//! 3 events or $500 are free"):
//! - with only `n`, the first `n` events are free (no rate, no fixed fee, no minimum);
//! - with `a`, an event is free while the free amount left is strictly greater than its value
//!   (the free amount shrinks by it); the event that reaches or crosses `a` pays the rate on its
//!   value minus the free amount left, and the fixed fee, and ends the phase;
//! - with both, the phase also ends after `n` events, and the free amount left is forfeited.
//!
//! Every event after the phase, the crossing one included, pays `rate% × value + fixed_amount`,
//! clamped to `[per_transaction_min_amount, per_transaction_max_amount]`. When the events' values
//! sum to 0 or less there is no usage: the amount is 0, with no fixed fee and no minimum (Lago
//! charges no fixed fee at 0 units and bills no fee with negative units). `amount(units)` without
//! events can only apply the rate and the free amount.
//!
//! **Quantity transform** (`transform_quantity: {"divide_by": n, "round": "up"|"down"}`, Stripe's
//! names) divides the period's cumulative units once, before the model — never per event or per
//! window — so 1,500 tokens in three events of 500 with `divide_by: 1000, round: up` is 2 units,
//! not 3. It applies to unit-based models only.

use super::meter::EventValue;
use super::num::{checked_add, checked_div, checked_mul, Fields};
use crate::{Error, Result};
use rust_decimal::Decimal;
use serde_json::Value;

/// One price tier: units up to `up_to` (inclusive; `None` = unbounded).
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Inclusive upper bound of the tier, `None` for the last.
    pub up_to: Option<Decimal>,
    /// Price per unit inside the tier (graduated) or for every unit (volume).
    pub per_unit_amount: Decimal,
    /// Fee charged once when the tier is reached.
    pub flat_amount: Decimal,
}

/// One percentage tier of `graduated_percentage`.
#[derive(Debug, Clone, PartialEq)]
pub struct PercentTier {
    /// Inclusive upper bound, `None` for the last.
    pub up_to: Option<Decimal>,
    /// Percent applied to the amount inside the tier.
    pub rate: Decimal,
    /// Fee charged once when the tier is reached.
    pub flat_amount: Decimal,
}

/// Terms of the `percentage` model (Lago's field names).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PercentageTerms {
    /// Percent of the amount (`"1.2"` = 1.2 %).
    pub rate: Decimal,
    /// Fee per event.
    pub fixed_amount: Decimal,
    /// Number of leading events that are free.
    pub free_units_per_events: Option<u64>,
    /// Amount that escapes the rate.
    pub free_units_per_total_aggregation: Option<Decimal>,
    /// Smallest fee of one event.
    pub per_transaction_min_amount: Option<Decimal>,
    /// Largest fee of one event.
    pub per_transaction_max_amount: Option<Decimal>,
}

/// A charge model with its prices.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum ChargeModel {
    /// `amount` per unit.
    Standard {
        /// Price per unit.
        amount: Decimal,
    },
    /// Each unit at the price of the tier it falls in, plus each reached tier's flat fee.
    Graduated(Vec<Tier>),
    /// All units at the price of the tier the total falls in.
    Volume(Vec<Tier>),
    /// `amount` per started package of `package_size` units after `free_units`.
    Package {
        /// Price per package.
        amount: Decimal,
        /// Units per package (> 0).
        package_size: Decimal,
        /// Units free before the first package.
        free_units: Decimal,
    },
    /// A rate on the amount plus per-event fees.
    Percentage(PercentageTerms),
    /// Graduated tiers of rates.
    GraduatedPercentage(Vec<PercentTier>),
    /// The price arrives in each event.
    Dynamic,
}

/// Rounding direction of a quantity transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundDirection {
    /// Towards +∞ (a started block counts).
    Up,
    /// Towards 0.
    Down,
}

/// Divide the period's cumulative units by `divide_by`, then round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantityTransform {
    /// Divisor (> 0).
    pub divide_by: Decimal,
    /// Rounding of the quotient.
    pub round: RoundDirection,
}

/// A priced charge: a model and an optional quantity transform.
///
/// ```
/// use hcpcore::billing::Charge;
/// let c = Charge::from_json(&serde_json::json!({"model": "graduated", "tiers": [
///     {"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"},
///     {"up_to": null, "per_unit_amount": "5", "flat_amount": "0"}]})).unwrap();
/// assert_eq!(c.amount("0".parse().unwrap()).unwrap().to_string(), "2");
/// assert_eq!(c.amount("12".parse().unwrap()).unwrap().to_string(), "112");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    /// The model.
    pub model: ChargeModel,
    /// Applied to cumulative units before the model.
    pub transform: Option<QuantityTransform>,
}

const MODEL_FIELDS: &[&str] = &[
    "model",
    "charge_model",
    "properties",
    "transform_quantity",
    "amount",
    "tiers",
    "package_size",
    "free_units",
    "rate",
    "fixed_amount",
    "free_units_per_events",
    "free_units_per_total_aggregation",
    "per_transaction_min_amount",
    "per_transaction_max_amount",
];

fn tiers_from_json<T>(
    f: &Fields<'_>,
    read: impl Fn(&Fields<'_>, Option<Decimal>) -> Result<T>,
    price_fields: &[&str],
) -> Result<Vec<T>> {
    let list = f.opt_array("tiers")?.ok_or_else(|| Error::invalid_input(&f.path("tiers"), "required"))?;
    if list.is_empty() {
        return Err(Error::invalid_input(&f.path("tiers"), "needs at least one tier"));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut previous: Option<Decimal> = None;
    for (i, item) in list.iter().enumerate() {
        let path = f.path(&format!("tiers[{i}]"));
        let tier = Fields::new(&path, item)?;
        let mut known = vec!["up_to"];
        known.extend_from_slice(price_fields);
        tier.only(&known)?;
        let up_to = tier.opt_non_negative("up_to")?;
        let last = i + 1 == list.len();
        match (up_to, last) {
            (None, false) => {
                return Err(Error::invalid_input(&tier.path("up_to"), "only the last tier may be unbounded (null)"))
            }
            (Some(_), true) => {
                return Err(Error::invalid_input(&tier.path("up_to"), "the last tier must be unbounded (null)"))
            }
            (Some(u), false) => {
                if u.is_zero() && previous.is_none() {
                    return Err(Error::invalid_input(&tier.path("up_to"), "must be > 0"));
                }
                if let Some(p) = previous {
                    if u <= p {
                        return Err(Error::invalid_input(
                            &tier.path("up_to"),
                            format!("tiers overlap or are unsorted: {u} is not above the previous tier's up_to {p}"),
                        ));
                    }
                }
                previous = Some(u);
            }
            (None, true) => {}
        }
        out.push(read(&tier, up_to)?);
    }
    Ok(out)
}

impl Charge {
    /// Parses a charge from JSON (see the module docs for each model's fields). Unknown fields,
    /// missing prices, negative amounts, and unsorted or overlapping tiers are `InvalidInput`
    /// naming the field.
    pub fn from_json(value: &Value) -> Result<Self> {
        Self::from_json_at("", value, &[])
    }

    /// Parses a charge from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| Error::invalid_input("charge", format!("malformed JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// Parses a charge at `path`, allowing the extra (plan-level) fields in `extra`.
    pub(crate) fn from_json_at(path: &str, value: &Value, extra: &[&str]) -> Result<Self> {
        let top = Fields::new(path, value)?;
        let mut known: Vec<&str> = MODEL_FIELDS.to_vec();
        known.extend_from_slice(extra);
        top.only(&known)?;
        // Lago nests prices under "properties"; accept that form as well as the flat one.
        let nested;
        let f = match top.get("properties") {
            Some(props) => {
                nested = Fields::new(&top.path("properties"), props)?;
                nested.only(MODEL_FIELDS)?;
                &nested
            }
            None => &top,
        };
        let model_name = match top.opt_str("model")? {
            Some(m) => m,
            None => top.opt_str("charge_model")?.ok_or_else(|| Error::invalid_input(&top.path("model"), "required"))?,
        };
        let model = match model_name {
            "standard" => ChargeModel::Standard { amount: f.non_negative("amount")? },
            "graduated" | "volume" => {
                let tiers = tiers_from_json(
                    f,
                    |t, up_to| {
                        Ok(Tier {
                            up_to,
                            per_unit_amount: t.opt_non_negative("per_unit_amount")?.unwrap_or_default(),
                            flat_amount: t.opt_non_negative("flat_amount")?.unwrap_or_default(),
                        })
                    },
                    &["per_unit_amount", "flat_amount"],
                )?;
                if model_name == "graduated" {
                    ChargeModel::Graduated(tiers)
                } else {
                    ChargeModel::Volume(tiers)
                }
            }
            "package" => {
                let package_size = f.non_negative("package_size")?;
                if package_size.is_zero() {
                    return Err(Error::invalid_input(&f.path("package_size"), "must be > 0"));
                }
                ChargeModel::Package {
                    amount: f.non_negative("amount")?,
                    package_size,
                    free_units: f.opt_non_negative("free_units")?.unwrap_or_default(),
                }
            }
            "percentage" => {
                let terms = PercentageTerms {
                    rate: f.non_negative("rate")?,
                    fixed_amount: f.opt_non_negative("fixed_amount")?.unwrap_or_default(),
                    free_units_per_events: f.opt_count("free_units_per_events")?,
                    free_units_per_total_aggregation: f.opt_non_negative("free_units_per_total_aggregation")?,
                    per_transaction_min_amount: f.opt_non_negative("per_transaction_min_amount")?,
                    per_transaction_max_amount: f.opt_non_negative("per_transaction_max_amount")?,
                };
                if let (Some(lo), Some(hi)) = (terms.per_transaction_min_amount, terms.per_transaction_max_amount) {
                    if lo > hi {
                        return Err(Error::invalid_input(
                            &f.path("per_transaction_min_amount"),
                            format!("{lo} exceeds per_transaction_max_amount {hi}"),
                        ));
                    }
                }
                ChargeModel::Percentage(terms)
            }
            "graduated_percentage" => ChargeModel::GraduatedPercentage(tiers_from_json(
                f,
                |t, up_to| {
                    Ok(PercentTier {
                        up_to,
                        rate: t.non_negative("rate")?,
                        flat_amount: t.opt_non_negative("flat_amount")?.unwrap_or_default(),
                    })
                },
                &["rate", "flat_amount"],
            )?),
            "dynamic" => ChargeModel::Dynamic,
            other => {
                return Err(Error::invalid_input(
                    &top.path("model"),
                    format!(
                        "unknown charge model {other:?}; expected standard, graduated, volume, package, percentage, graduated_percentage or dynamic"
                    ),
                ))
            }
        };
        let transform = match top.get("transform_quantity") {
            None => None,
            Some(v) => {
                let t = Fields::new(&top.path("transform_quantity"), v)?;
                t.only(&["divide_by", "round"])?;
                let divide_by = t.non_negative("divide_by")?;
                if divide_by.is_zero() {
                    return Err(Error::invalid_input(&t.path("divide_by"), "must be > 0"));
                }
                let round = match t.opt_str("round")?.unwrap_or("up") {
                    "up" => RoundDirection::Up,
                    "down" => RoundDirection::Down,
                    other => {
                        return Err(Error::invalid_input(
                            &t.path("round"),
                            format!("expected \"up\" or \"down\", got {other:?}"),
                        ))
                    }
                };
                if matches!(model, ChargeModel::Percentage(_) | ChargeModel::Dynamic) {
                    return Err(Error::invalid_input(
                        &top.path("transform_quantity"),
                        format!("not supported with the {model_name} model, which prices amounts, not units"),
                    ));
                }
                Some(QuantityTransform { divide_by, round })
            }
        };
        Ok(Charge { model, transform })
    }

    /// A standard (per-unit) charge.
    pub fn standard(amount: Decimal) -> Self {
        Charge { model: ChargeModel::Standard { amount }, transform: None }
    }

    /// Whether this model prices events one by one (percentage and dynamic).
    pub fn needs_events(&self) -> bool {
        matches!(self.model, ChargeModel::Percentage(_) | ChargeModel::Dynamic)
    }

    /// Units after the quantity transform.
    pub fn transformed_units(&self, units: Decimal) -> Result<Decimal> {
        match self.transform {
            None => Ok(units),
            Some(t) => {
                let q = checked_div("units", units, t.divide_by)?;
                Ok(match t.round {
                    RoundDirection::Up => q.ceil(),
                    RoundDirection::Down => q.floor(),
                })
            }
        }
    }

    /// The precise (unrounded) amount for `units` of cumulative usage. `InvalidInput` for
    /// negative units and for the dynamic model, which needs events.
    pub fn amount(&self, units: Decimal) -> Result<Decimal> {
        if units.is_sign_negative() && !units.is_zero() {
            return Err(Error::invalid_input("units", format!("must be >= 0, got {units}")));
        }
        let u = self.transformed_units(units)?;
        let amount = match &self.model {
            ChargeModel::Standard { amount } => checked_mul("amount", *amount, u)?,
            ChargeModel::Graduated(tiers) => {
                graduated(tiers.iter().map(|t| (t.up_to, t.per_unit_amount, t.flat_amount)), u, Decimal::ONE)?
            }
            ChargeModel::GraduatedPercentage(tiers) => {
                graduated(tiers.iter().map(|t| (t.up_to, t.rate, t.flat_amount)), u, Decimal::ONE_HUNDRED)?
            }
            ChargeModel::Volume(tiers) => volume(tiers, u)?,
            ChargeModel::Package { amount, package_size, free_units } => {
                let paid = u - (*free_units).min(u);
                let packages = checked_div("units", paid, *package_size)?.ceil();
                checked_mul("amount", packages, *amount)?
            }
            ChargeModel::Percentage(terms) => {
                let free = terms.free_units_per_total_aggregation.unwrap_or_default().min(u);
                checked_div("rate", checked_mul("rate", terms.rate, u - free)?, Decimal::ONE_HUNDRED)?
            }
            ChargeModel::Dynamic => {
                return Err(Error::invalid_input("events", "the dynamic model is priced per event; pass the events"))
            }
        };
        Ok(amount.normalize())
    }

    /// The precise amount for a period's events (values in timestamp order). Unit-based models
    /// price the sum of the values; percentage and dynamic price each event, and give 0 when
    /// the values sum to 0 or less (no usage: no fixed fee, no minimum, no dynamic price).
    ///
    /// ```
    /// use hcpcore::billing::{Charge, EventValue};
    /// let c = Charge::from_json(&serde_json::json!({"model": "percentage", "rate": "1", "fixed_amount": "0.5",
    ///     "per_transaction_max_amount": "2"})).unwrap();
    /// let events: Vec<EventValue> = ["100", "1000"].iter().map(|v| EventValue::new(v.parse().unwrap())).collect();
    /// // 1 % of 100 + 0.5 = 1.5; 1 % of 1000 + 0.5 = 10.5, capped at 2.
    /// assert_eq!(c.amount_for_events(&events).unwrap().to_string(), "3.5");
    /// ```
    pub fn amount_for_events(&self, events: &[EventValue]) -> Result<Decimal> {
        let amount = match &self.model {
            ChargeModel::Percentage(terms) => percentage_per_event(terms, events)?,
            ChargeModel::Dynamic => {
                // Lago `DynamicService`: no units, no amount, whatever the events carry.
                if event_units(events)? <= Decimal::ZERO {
                    return Ok(Decimal::ZERO);
                }
                let mut total = Decimal::ZERO;
                for (i, e) in events.iter().enumerate() {
                    let amount = match (e.total_amount, e.unit_price) {
                        (Some(t), _) => t,
                        (None, Some(p)) => checked_mul("unit_price", e.value, p)?,
                        (None, None) => {
                            return Err(Error::invalid_input(
                                &format!("events[{i}].properties.unit_price"),
                                "the dynamic model needs unit_price or precise_total_amount in every event",
                            ))
                        }
                    };
                    total = checked_add("amount", total, amount)?;
                }
                // A negative total (signed prices) bills nothing, as Lago bills no negative fee.
                total.max(Decimal::ZERO)
            }
            _ => {
                let mut units = Decimal::ZERO;
                for e in events {
                    if e.value.is_sign_negative() && !e.value.is_zero() {
                        return Err(Error::invalid_input("events.quantity", format!("must be >= 0, got {}", e.value)));
                    }
                    units = checked_add("units", units, e.value)?;
                }
                return self.amount(units);
            }
        };
        Ok(amount.normalize())
    }
}

/// Graduated tiers of `price / divisor` per unit (divisor 100 turns a percent rate into a factor).
fn graduated(
    tiers: impl Iterator<Item = (Option<Decimal>, Decimal, Decimal)>,
    units: Decimal,
    divisor: Decimal,
) -> Result<Decimal> {
    let mut total = Decimal::ZERO;
    let mut lower = Decimal::ZERO;
    for (i, (up_to, price, flat)) in tiers.enumerate() {
        if i > 0 && units <= lower {
            break;
        }
        let upper = up_to.map_or(units, |u| u.min(units));
        let inside = (upper - lower).max(Decimal::ZERO);
        let cost = checked_div("amount", checked_mul("amount", inside, price)?, divisor)?;
        total = checked_add("amount", checked_add("amount", total, flat)?, cost)?;
        match up_to {
            Some(u) => lower = u,
            None => break,
        }
    }
    Ok(total)
}

/// Volume tiers; 0 units fall in the first tier, whose flat fee is charged (Lago, OpenMeter).
fn volume(tiers: &[Tier], units: Decimal) -> Result<Decimal> {
    let tier = tiers.iter().find(|t| t.up_to.is_none_or(|u| units <= u));
    match tier {
        Some(t) => checked_add("amount", t.flat_amount, checked_mul("amount", t.per_unit_amount, units)?),
        None => Err(Error::new(crate::ErrorKind::Internal, "volume tiers without an unbounded last tier")),
    }
}

/// Σ of the events' values: the units of a per-event charge.
fn event_units(events: &[EventValue]) -> Result<Decimal> {
    events.iter().try_fold(Decimal::ZERO, |acc, e| checked_add("units", acc, e.value))
}

fn percentage_per_event(terms: &PercentageTerms, events: &[EventValue]) -> Result<Decimal> {
    // No usage (or a negative total): no rate, no fixed fee, no minimum (Lago).
    if event_units(events)? <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    let factor = checked_div("rate", terms.rate, Decimal::ONE_HUNDRED)?;
    // 0 means "not set" for both allowances (Lago reads a missing value as 0).
    let free_events = terms.free_units_per_events.filter(|n| *n > 0);
    let free_amount = terms.free_units_per_total_aggregation.filter(|a| *a > Decimal::ZERO);
    let mut free_phase = free_events.is_some() || free_amount.is_some();
    let mut seen = 0u64;
    let mut remaining = free_amount.unwrap_or_default();
    let mut total = Decimal::ZERO;
    for e in events {
        let mut value = e.value;
        if free_phase && free_events.is_some_and(|n| seen >= n) {
            free_phase = false;
        }
        if free_phase {
            seen += 1;
            if free_amount.is_none() {
                continue;
            }
            if remaining > value {
                remaining -= value;
                continue;
            }
            // The event that reaches or crosses the free amount pays on what is left of it.
            value -= remaining;
            remaining = Decimal::ZERO;
            free_phase = false;
        }
        let mut fee = checked_add("amount", checked_mul("amount", value, factor)?, terms.fixed_amount)?;
        if let Some(lo) = terms.per_transaction_min_amount {
            fee = fee.max(lo);
        }
        if let Some(hi) = terms.per_transaction_max_amount {
            fee = fee.min(hi);
        }
        total = checked_add("amount", total, fee)?;
    }
    Ok(total.max(Decimal::ZERO))
}
