//! Meters (Lago's "billable metrics", OpenMeter's meters): how a period's events become units.
//!
//! | aggregation | units of a period | reference |
//! | --- | --- | --- |
//! | `count` | number of events (their `quantity` is ignored) | Lago `count_agg`, OpenMeter `COUNT` |
//! | `sum` | Σ value | `sum_agg`, `SUM` |
//! | `max` | largest value (0 without events) | `max_agg`, `MAX` |
//! | `unique_count` | distinct values of `properties[field_name]` | `unique_count_agg`, `UNIQUE_COUNT` |
//! | `latest` | value of the last event by timestamp (0 without events) | `latest_agg`, `LATEST` |
//! | `weighted_sum` | time-weighted level: ∫ level dt / period length | Lago `weighted_sum_agg` |
//!
//! "Value" is `properties[field_name]` when the meter names a field, else the event's
//! `quantity`. Events whose field is missing or not a number are skipped and counted in
//! [`MeterReading::skipped_events`] (Lago ignores them too); nothing is guessed.
//!
//! `weighted_sum` follows Lago: by default each event's value is a *delta* to a running total
//! (carried over from earlier periods), so "2 GPUs added" then "−1 GPU released" (a signed
//! property named by `field_name`; `quantity` itself is never negative) give the GPUs held over
//! time. With `"weighted_mode": "level"` each event instead *sets* the running total, like a
//! gauge — convenient when the reporter knows the absolute number held.
//!
//! Group-by (`group_by: ["gpu_model", "site"]`) splits the readings by those properties, like
//! OpenMeter's `groupBy`; a missing property forms its own group (shown as null). A grouped
//! meter without events in the period gives one zero reading for the empty group (all null), as
//! Lago does, so a first-tier flat fee is billed once rather than never.
//!
//! Readings are never clamped: a `latest` of −5 or a signed sum netting negative is reported as
//! is; rating bills such a reading as zero usage and keeps the raw units on the line.

use super::event::UsageEvent;
use super::num::{checked_add, checked_mul, decimal_from_json, Fields};
use super::period::Period;
use crate::{Error, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::str::FromStr;

/// How a meter aggregates a period's events.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// Number of events.
    Count,
    /// Sum of values.
    Sum,
    /// Largest value.
    Max,
    /// Number of distinct values of a property.
    UniqueCount,
    /// Value of the last event.
    Latest,
    /// Time-weighted running total, divided by the period length.
    WeightedSum,
}

impl Aggregation {
    /// Parses a name (`"sum"`, or Lago's `"sum_agg"`).
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name.strip_suffix("_agg").unwrap_or(name) {
            "count" => Aggregation::Count,
            "sum" => Aggregation::Sum,
            "max" => Aggregation::Max,
            "unique_count" => Aggregation::UniqueCount,
            "latest" => Aggregation::Latest,
            "weighted_sum" => Aggregation::WeightedSum,
            other => {
                return Err(Error::invalid_input(
                    "aggregation",
                    format!(
                        "unknown aggregation {other:?}; expected count, sum, max, unique_count, latest or weighted_sum"
                    ),
                ))
            }
        })
    }

    /// The name, as accepted by [`Aggregation::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Count => "count",
            Aggregation::Sum => "sum",
            Aggregation::Max => "max",
            Aggregation::UniqueCount => "unique_count",
            Aggregation::Latest => "latest",
            Aggregation::WeightedSum => "weighted_sum",
        }
    }
}

/// A meter definition.
///
/// ```
/// use hcpcore::billing::Meter;
/// let m = Meter::from_json(&serde_json::json!(
///     {"code": "gpu_seconds", "aggregation": "sum", "group_by": ["gpu_model"]})).unwrap();
/// assert_eq!(m.group_by, vec!["gpu_model".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    /// The code events name in `meter_code`.
    pub code: String,
    /// How values are combined.
    pub aggregation: Aggregation,
    /// Property holding the value; `None` uses `quantity`. Required for `unique_count`.
    pub field_name: Option<String>,
    /// Properties whose values split the readings into groups.
    pub group_by: Vec<String>,
    /// For `weighted_sum`: events set the level instead of adding to it.
    pub weighted_level: bool,
}

/// One value seen by a meter, kept when a charge prices events one by one.
#[derive(Debug, Clone, PartialEq)]
pub struct EventValue {
    /// The event's value under the meter.
    pub value: Decimal,
    /// `properties.unit_price`, for the dynamic charge model.
    pub unit_price: Option<Decimal>,
    /// `properties.precise_total_amount`, for the dynamic charge model.
    pub total_amount: Option<Decimal>,
}

impl EventValue {
    /// A plain value with no dynamic price.
    pub fn new(value: Decimal) -> Self {
        EventValue { value, unit_price: None, total_amount: None }
    }

    /// From JSON: a number or decimal string (the value), or an event-like object
    /// `{"quantity", "properties"?: {"unit_price"?, "precise_total_amount"?}}`. Used by
    /// `Charge::amount(events=…)` in the bindings. Errors name `events[i]…`.
    ///
    /// ```
    /// use hcpcore::billing::EventValue;
    /// let v = EventValue::from_json(0, &serde_json::json!({"quantity": 5, "properties": {"unit_price": "0.11"}})).unwrap();
    /// assert_eq!(v.unit_price.unwrap().to_string(), "0.11");
    /// ```
    pub fn from_json(index: usize, value: &Value) -> Result<Self> {
        let path = format!("events[{index}]");
        let parsed = match value {
            Value::Object(_) => {
                let f = Fields::new(&path, value)?;
                f.only(&["quantity", "properties", "event_id", "customer_id", "meter_code", "timestamp"])?;
                let q = f.get("quantity").ok_or_else(|| Error::invalid_input(&f.path("quantity"), "required"))?;
                let mut ev = EventValue::new(decimal_from_json(&f.path("quantity"), q)?);
                if let Some(props) = f.get("properties") {
                    let p = Fields::new(&f.path("properties"), props)?;
                    ev.unit_price = p.opt_non_negative("unit_price")?;
                    ev.total_amount = p.opt_non_negative("precise_total_amount")?;
                }
                ev
            }
            other => EventValue::new(decimal_from_json(&path, other)?),
        };
        if parsed.value.is_sign_negative() && !parsed.value.is_zero() {
            return Err(Error::invalid_input(
                &format!("{path}.quantity"),
                format!("must be >= 0, got {}", parsed.value),
            ));
        }
        Ok(parsed)
    }

    /// Parses a JSON array of values or event-like objects.
    pub fn many_from_json(value: &Value) -> Result<Vec<Self>> {
        match value {
            Value::Array(items) => items.iter().enumerate().map(|(i, v)| EventValue::from_json(i, v)).collect(),
            _ => Err(Error::invalid_input("events", "expected an array")),
        }
    }
}

/// A meter's result for one group in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterReading {
    /// Group-by property values, in `group_by` order (`None`: property missing).
    pub group: Vec<Option<String>>,
    /// Aggregated units.
    pub units: Decimal,
    /// Events counted.
    pub event_count: u64,
    /// Events skipped because the value field was missing or not a number.
    pub skipped_events: u64,
    /// Per-event values in timestamp order (only when asked for).
    pub events: Vec<EventValue>,
}

impl MeterReading {
    /// The group as a JSON object `{property: value-or-null}`.
    pub fn group_json(&self, meter: &Meter) -> Map<String, Value> {
        meter
            .group_by
            .iter()
            .zip(&self.group)
            .map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String)))
            .collect()
    }
}

#[derive(Default)]
struct Acc {
    count: u64,
    skipped: u64,
    sum: Decimal,
    max: Option<Decimal>,
    latest: Option<Decimal>,
    unique: HashSet<String>,
    level: Decimal,
    level_since_micros: i64,
    integral: Decimal,
    events: Vec<EventValue>,
}

fn property_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn property_decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => {
            Decimal::from_str(&n.to_string()).ok().or_else(|| Decimal::from_scientific(&n.to_string()).ok())
        }
        Value::String(s) => super::num::parse_decimal("", s).ok(),
        _ => None,
    }
}

impl Meter {
    /// A meter; `unique_count` needs `field_name`.
    pub fn new(code: &str, aggregation: Aggregation, field_name: Option<&str>, group_by: &[&str]) -> Result<Self> {
        if code.is_empty() {
            return Err(Error::invalid_input("meters.code", "must not be empty"));
        }
        if aggregation == Aggregation::UniqueCount && field_name.is_none() {
            return Err(Error::invalid_input(
                "field_name",
                "unique_count needs the property to count distinct values of",
            ));
        }
        Ok(Meter {
            code: code.to_string(),
            aggregation,
            field_name: field_name.map(str::to_string),
            group_by: group_by.iter().map(|s| s.to_string()).collect(),
            weighted_level: false,
        })
    }

    /// From `{"code", "aggregation", "field_name"?, "group_by"?, "weighted_mode"?: "delta"|"level"}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        Self::from_json_at("meter", value)
    }

    pub(crate) fn from_json_at(path: &str, value: &Value) -> Result<Self> {
        let f = Fields::new(path, value)?;
        f.only(&["code", "aggregation", "aggregation_type", "field_name", "group_by", "weighted_mode", "name"])?;
        let agg_name = match f.opt_str("aggregation")? {
            Some(a) => a,
            None => f.str("aggregation_type").map_err(|_| Error::invalid_input(&f.path("aggregation"), "required"))?,
        };
        let aggregation =
            Aggregation::from_name(agg_name).map_err(|e| Error::invalid_input(&f.path("aggregation"), e.message()))?;
        let mut group_by = Vec::new();
        for (i, g) in f.opt_array("group_by")?.into_iter().flatten().enumerate() {
            match g {
                Value::String(s) => group_by.push(s.as_str()),
                _ => return Err(Error::invalid_input(&f.path(&format!("group_by[{i}]")), "expected a property name")),
            }
        }
        let mut meter = Meter::new(f.str("code")?, aggregation, f.opt_str("field_name")?, &group_by)
            .map_err(|e| Error::new(e.kind(), format!("{path}.{}", e.message())))?;
        meter.weighted_level = match f.opt_str("weighted_mode")? {
            None | Some("delta") => false,
            Some("level") => true,
            Some(other) => {
                return Err(Error::invalid_input(
                    &f.path("weighted_mode"),
                    format!("expected \"delta\" or \"level\", got {other:?}"),
                ))
            }
        };
        Ok(meter)
    }

    /// Whether the reading scales with time (count, sum) — used by budget forecasts.
    pub fn is_additive(&self) -> bool {
        matches!(self.aggregation, Aggregation::Count | Aggregation::Sum)
    }

    fn value_of(&self, event: &UsageEvent) -> Option<Decimal> {
        match &self.field_name {
            None => Some(event.quantity),
            Some(field) => event.properties.get(field).and_then(property_decimal),
        }
    }

    /// Aggregates `events` over `period`, one reading per group (sorted by group). Events of
    /// other meters and outside the period are ignored, except that `weighted_sum` carries the
    /// level of earlier events into the period. Without any event one zero reading is returned
    /// — for a grouped meter, one for the empty group (every group-by property `None`) — so a
    /// charge with a first-tier flat fee is billed once (Lago).
    /// `keep_events` retains per-event values (percentage and dynamic charges need them).
    ///
    /// ```
    /// use hcpcore::billing::{Meter, Period, Timestamp, UsageEvent};
    /// let t = |s| Timestamp::parse(s).unwrap();
    /// let held = Meter::from_json(&serde_json::json!({"code": "gpus", "aggregation": "weighted_sum", "weighted_mode": "level"})).unwrap();
    /// let ev = |id: &str, q: i64, ts| UsageEvent::new(id, "c", "gpus", q.into(), t(ts), Default::default()).unwrap();
    /// // 4 GPUs for the first half of a 2-day period, 0 afterwards: 2 GPUs on average.
    /// let events = [ev("a", 4, "2026-11-01T00:00:00Z"), ev("b", 0, "2026-11-02T00:00:00Z")];
    /// let period = Period::new(t("2026-11-01"), t("2026-11-03")).unwrap();
    /// assert_eq!(held.aggregate(&events, &period, false).unwrap()[0].units.to_string(), "2");
    /// ```
    pub fn aggregate(&self, events: &[UsageEvent], period: &Period, keep_events: bool) -> Result<Vec<MeterReading>> {
        let sorted = events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp);
        let mut order: Vec<&UsageEvent> = events.iter().collect();
        if !sorted {
            order.sort_by_key(|e| e.timestamp);
        }
        let start = period.start.unix_micros();
        let end = period.end.unix_micros();
        // Groups are few (GPU models, sites): a linear scan with a "same as last event" shortcut
        // finds the group without allocating a key per event; they are sorted once at the end.
        let mut groups: Vec<(Vec<Option<String>>, Acc)> = Vec::new();
        let mut last = 0usize;
        let mut single = Acc { level_since_micros: start, ..Acc::default() };
        let grouped = !self.group_by.is_empty();
        for event in order {
            if event.meter_code != self.code {
                continue;
            }
            let ts = event.timestamp.unix_micros();
            if ts >= end || (ts < start && self.aggregation != Aggregation::WeightedSum) {
                continue;
            }
            let acc = if grouped {
                let found = if groups.get(last).is_some_and(|(k, _)| self.key_matches(k, event)) {
                    Some(last)
                } else {
                    groups.iter().position(|(k, _)| self.key_matches(k, event))
                };
                last = match found {
                    Some(i) => i,
                    None => {
                        let key = self.group_by.iter().map(|g| event.properties.get(g).map(property_text)).collect();
                        groups.push((key, Acc { level_since_micros: start, ..Acc::default() }));
                        groups.len() - 1
                    }
                };
                &mut groups[last].1
            } else {
                &mut single
            };
            self.accumulate(acc, event, ts, start, keep_events)?;
        }
        let finish = |acc: Acc, group: Vec<Option<String>>| self.finish(acc, group, start, end);
        if grouped {
            groups.sort_by(|a, b| a.0.cmp(&b.0));
            let mut readings: Vec<MeterReading> = groups
                .into_iter()
                .map(|(k, acc)| finish(acc, k))
                .filter(|r| {
                    r.as_ref().map_or(true, |r| r.event_count > 0 || self.aggregation == Aggregation::WeightedSum)
                })
                .collect::<Result<_>>()?;
            if readings.is_empty() {
                // No group at all: one zero reading for the empty group (every property null), so
                // a first-tier flat fee is charged once, as Lago does (`null_result` with the
                // grouped-by keys set to nil).
                let empty = Acc { level_since_micros: start, ..Acc::default() };
                readings.push(finish(empty, vec![None; self.group_by.len()])?);
            }
            Ok(readings)
        } else {
            Ok(vec![finish(single, Vec::new())?])
        }
    }

    /// Whether `event`'s group-by properties equal `key` (compared without allocating for
    /// string properties, the common case).
    fn key_matches(&self, key: &[Option<String>], event: &UsageEvent) -> bool {
        self.group_by.iter().zip(key).all(|(name, want)| match (want, event.properties.get(name)) {
            (None, None) => true,
            (Some(w), Some(Value::String(v))) => w == v,
            (Some(w), Some(other)) => *w == property_text(other),
            _ => false,
        })
    }

    #[inline]
    fn accumulate(&self, acc: &mut Acc, event: &UsageEvent, ts: i64, start: i64, keep_events: bool) -> Result<()> {
        if self.aggregation == Aggregation::Count {
            acc.count += 1;
            if keep_events {
                acc.events.push(EventValue::new(Decimal::ONE));
            }
            return Ok(());
        }
        if self.aggregation == Aggregation::UniqueCount {
            // Distinct values of any JSON type; events without the property are skipped.
            match self.field_name.as_ref().and_then(|f| event.properties.get(f)) {
                Some(v) => {
                    acc.unique.insert(property_text(v));
                    acc.count += 1;
                }
                None => acc.skipped += 1,
            }
            return Ok(());
        }
        let Some(value) = self.value_of(event) else {
            acc.skipped += 1;
            return Ok(());
        };
        match self.aggregation {
            Aggregation::WeightedSum => {
                let effective = ts.max(start);
                if ts >= start {
                    let held = checked_mul("quantity", acc.level, Decimal::from(effective - acc.level_since_micros))?;
                    acc.integral = checked_add("quantity", acc.integral, held)?;
                    acc.level_since_micros = effective;
                    acc.count += 1;
                }
                acc.level = if self.weighted_level { value } else { checked_add("quantity", acc.level, value)? };
                return Ok(());
            }
            Aggregation::Sum => acc.sum = checked_add("quantity", acc.sum, value)?,
            Aggregation::Max => acc.max = Some(acc.max.map_or(value, |m| m.max(value))),
            Aggregation::Latest => acc.latest = Some(value),
            Aggregation::UniqueCount | Aggregation::Count => {}
        }
        acc.count += 1;
        if keep_events {
            let price = |k: &str| event.properties.get(k).and_then(property_decimal);
            acc.events.push(EventValue {
                value,
                unit_price: price("unit_price"),
                total_amount: price("precise_total_amount"),
            });
        }
        Ok(())
    }

    fn finish(&self, acc: Acc, group: Vec<Option<String>>, start: i64, end: i64) -> Result<MeterReading> {
        let units = match self.aggregation {
            Aggregation::Count => Decimal::from(acc.count),
            Aggregation::Sum => acc.sum,
            Aggregation::Max => acc.max.unwrap_or(Decimal::ZERO),
            Aggregation::Latest => acc.latest.unwrap_or(Decimal::ZERO),
            Aggregation::UniqueCount => Decimal::from(acc.unique.len() as u64),
            Aggregation::WeightedSum => {
                let length = end - start;
                if length <= 0 {
                    return Err(Error::invalid_input("period", "must have a positive length"));
                }
                let tail = checked_mul("quantity", acc.level, Decimal::from(end - acc.level_since_micros))?;
                let integral = checked_add("quantity", acc.integral, tail)?;
                integral
                    .checked_div(Decimal::from(length))
                    .ok_or_else(|| Error::invalid_input("quantity", "weighted sum overflows the decimal range"))?
                    .normalize()
            }
        };
        Ok(MeterReading { group, units, event_count: acc.count, skipped_events: acc.skipped, events: acc.events })
    }
}
