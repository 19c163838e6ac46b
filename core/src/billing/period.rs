//! Billing periods: weekly, monthly, quarterly or yearly, anchored on the calendar or on the
//! subscription's start.
//!
//! Calendar anchoring (Lago `billing_time: calendar`): periods start on Monday 00:00 UTC, the
//! 1st of the month, the 1st of Jan/Apr/Jul/Oct, or Jan 1; a subscription starting mid-period
//! gets a shorter first period. Subscription anchoring (Lago `anniversary`, Stripe's billing
//! cycle anchor): periods start at the start instant plus whole intervals, with the day clamped
//! to short months and restored afterwards (Jan 31 → Feb 28 → Mar 31).

use super::time::Timestamp;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A half-open interval `[start, end)` of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First instant inside.
    pub start: Timestamp,
    /// First instant after.
    pub end: Timestamp,
}

impl Period {
    /// A period; `end` must be after `start`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self> {
        if end <= start {
            return Err(Error::invalid_input("period", format!("end {end} must be after start {start}")));
        }
        Ok(Period { start, end })
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// Length in microseconds.
    pub fn length_micros(&self) -> i64 {
        self.end.unix_micros().saturating_sub(self.start.unix_micros())
    }
}

/// How long a billing period is.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// 7 days.
    Weekly,
    /// 1 calendar month.
    Monthly,
    /// 3 calendar months.
    Quarterly,
    /// 12 calendar months.
    Yearly,
}

impl Interval {
    /// Parses `"weekly"`, `"monthly"`, `"quarterly"` or `"yearly"`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "weekly" => Ok(Interval::Weekly),
            "monthly" => Ok(Interval::Monthly),
            "quarterly" => Ok(Interval::Quarterly),
            "yearly" => Ok(Interval::Yearly),
            other => Err(Error::invalid_input(
                "interval",
                format!("unknown interval {other:?}; expected weekly, monthly, quarterly or yearly"),
            )),
        }
    }

    fn months(self) -> Option<i64> {
        match self {
            Interval::Weekly => None,
            Interval::Monthly => Some(1),
            Interval::Quarterly => Some(3),
            Interval::Yearly => Some(12),
        }
    }
}

/// Where periods start.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// Calendar boundaries (Monday, 1st of month, quarter, year).
    #[default]
    Calendar,
    /// The subscription's start plus whole intervals.
    Subscription,
}

impl Anchor {
    /// Parses `"calendar"` or `"subscription"` (alias Lago's `"anniversary"`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "calendar" => Ok(Anchor::Calendar),
            "subscription" | "anniversary" => Ok(Anchor::Subscription),
            other => Err(Error::invalid_input(
                "billing_anchor",
                format!("unknown anchor {other:?}; expected \"calendar\" or \"subscription\""),
            )),
        }
    }
}

/// The sequence of billing periods of one subscription.
///
/// ```
/// use hcpcore::billing::{Anchor, BillingCycle, Interval, Timestamp};
/// let start = Timestamp::parse("2026-11-15T12:00:00Z").unwrap();
/// let cal = BillingCycle::new(Interval::Monthly, Anchor::Calendar, start);
/// let p0 = cal.period(0).unwrap();
/// assert_eq!((p0.start.to_string(), p0.end.to_string()), (start.to_string(), "2026-12-01T00:00:00Z".into()));
/// let sub = BillingCycle::new(Interval::Monthly, Anchor::Subscription, start);
/// assert_eq!(sub.period(1).unwrap().start.to_string(), "2026-12-15T12:00:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingCycle {
    /// Period length.
    pub interval: Interval,
    /// Calendar or subscription anchoring.
    pub anchor: Anchor,
    /// When the subscription started.
    pub start: Timestamp,
}

impl BillingCycle {
    /// A cycle.
    pub fn new(interval: Interval, anchor: Anchor, start: Timestamp) -> Self {
        BillingCycle { interval, anchor, start }
    }

    /// The k-th boundary of the underlying grid (calendar grid or anchored grid).
    fn boundary(&self, k: i64) -> Timestamp {
        match (self.anchor, self.interval.months()) {
            (Anchor::Subscription, None) => self.start.plus_days(7 * k),
            (Anchor::Subscription, Some(m)) => self.start.plus_months_from_anchor_day(k * m, self.start.date().2),
            (Anchor::Calendar, None) => {
                // 1970-01-01 was a Thursday; Monday-based weeks start 3 days before it.
                let days = self.start.days();
                let monday = days - (days + 3).rem_euclid(7);
                Timestamp::from_unix_micros(0).plus_days(monday + 7 * k)
            }
            (Anchor::Calendar, Some(m)) => {
                let (y, mo, _) = self.start.date();
                let first_month = (mo as i64 - 1) / m * m; // quarter / year alignment
                let floor = Timestamp::from_unix_micros(0).plus_days(super::time::days_from_civil(
                    y,
                    (first_month + 1) as u32,
                    1,
                ));
                floor.plus_months_from_anchor_day(k * m, 1)
            }
        }
    }

    /// Period number `index` (0 is the first, possibly partial for calendar anchoring).
    pub fn period(&self, index: u32) -> Result<Period> {
        let k = i64::from(index);
        let start = if index == 0 { self.start } else { self.boundary(k) };
        Period::new(start, self.boundary(k + 1))
    }

    /// The index and period containing `t`; `InvalidInput` if `t` is before the start.
    pub fn period_containing(&self, t: Timestamp) -> Result<(u32, Period)> {
        if t < self.start {
            return Err(Error::invalid_input("at", format!("{t} is before the subscription start {}", self.start)));
        }
        let elapsed_days = t.days() - self.start.days();
        let mut index = match self.interval.months() {
            None => elapsed_days / 7,
            Some(m) => elapsed_days / (31 * m),
        }
        .clamp(0, i64::from(u32::MAX) - 1) as u32;
        loop {
            let p = self.period(index)?;
            if p.contains(t) {
                return Ok((index, p));
            }
            if t < p.start {
                index = index.saturating_sub(1);
            } else {
                index = index.checked_add(1).ok_or_else(|| Error::invalid_input("at", "too far in the future"))?;
            }
        }
    }

    /// The fraction of a full interval covered by `period` (1 except for a calendar-anchored
    /// first period that started mid-interval). Used to prorate the minimum commitment.
    pub fn fraction(&self, index: u32, period: &Period) -> rust_decimal::Decimal {
        if index > 0 || self.anchor == Anchor::Subscription {
            return rust_decimal::Decimal::ONE;
        }
        let full = Period { start: self.boundary(0), end: self.boundary(1) };
        rust_decimal::Decimal::from(period.length_micros()) / rust_decimal::Decimal::from(full.length_micros().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn calendar_periods_are_contiguous() {
        for interval in [Interval::Weekly, Interval::Monthly, Interval::Quarterly, Interval::Yearly] {
            for anchor in [Anchor::Calendar, Anchor::Subscription] {
                let cycle = BillingCycle::new(interval, anchor, t("2024-01-31T08:00:00Z"));
                let mut prev = cycle.period(0).unwrap();
                for i in 1..40 {
                    let p = cycle.period(i).unwrap();
                    assert_eq!(p.start, prev.end, "{interval:?} {anchor:?} {i}");
                    assert_eq!(cycle.period_containing(p.start).unwrap().0, i);
                    assert_eq!(cycle.period_containing(t(&p.end.to_string()).plus_days(0)).unwrap().0, i + 1);
                    prev = p;
                }
            }
        }
    }

    #[test]
    fn calendar_boundaries() {
        let c = BillingCycle::new(Interval::Weekly, Anchor::Calendar, t("2026-11-04T10:00:00Z")); // a Wednesday
        assert_eq!(c.period(1).unwrap().start.to_string(), "2026-11-09T00:00:00Z"); // Monday
        let q = BillingCycle::new(Interval::Quarterly, Anchor::Calendar, t("2026-11-04T10:00:00Z"));
        assert_eq!(q.period(0).unwrap().end.to_string(), "2027-01-01T00:00:00Z");
        assert_eq!(q.period(1).unwrap().end.to_string(), "2027-04-01T00:00:00Z");
        let y = BillingCycle::new(Interval::Yearly, Anchor::Calendar, t("2026-11-04"));
        assert_eq!(y.period(0).unwrap().end.to_string(), "2027-01-01T00:00:00Z");
        let fraction = y.fraction(0, &y.period(0).unwrap());
        assert!(fraction > rust_decimal::Decimal::ZERO && fraction < rust_decimal::Decimal::ONE);
    }
}
