//! Instants and calendar arithmetic for billing: RFC 3339 parsing and formatting, civil dates,
//! month arithmetic. Owns nothing else; periods are built on top of it in `period.rs`.
//!
//! A hand-written parser keeps ingestion fast (no allocation, no locale) and exact: an instant is
//! an `i64` count of microseconds since 1970-01-01T00:00:00Z, so two events never compare equal
//! by accident of float rounding. Fractions finer than a microsecond are truncated; leap seconds
//! (`:60`) are rejected, as SQLite, Postgres and most billing systems do.

use crate::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// An instant in UTC, in microseconds since the Unix epoch.
///
/// ```
/// use hcpcore::billing::Timestamp;
/// let t = Timestamp::parse("2026-11-01T01:30:00+01:00").unwrap();
/// assert_eq!(t.to_string(), "2026-11-01T00:30:00Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The earliest representable instant (used as an open lower bound).
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    /// The latest representable instant (used as an open upper bound).
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// From microseconds since the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    /// Midnight UTC of a civil date; `InvalidInput` naming `field` for an impossible date.
    ///
    /// ```
    /// use hcpcore::billing::Timestamp;
    /// assert_eq!(Timestamp::from_date("d", 2026, 2, 28).unwrap().to_string(), "2026-02-28T00:00:00Z");
    /// assert!(Timestamp::from_date("d", 2026, 2, 29).is_err());
    /// ```
    pub fn from_date(field: &str, year: i32, month: u32, day: u32) -> Result<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || !(1..=9999).contains(&year) {
            return Err(Error::invalid_input(field, format!("no such date {year:04}-{month:02}-{day:02}")));
        }
        Ok(Timestamp(days_from_civil(year, month, day) * MICROS_PER_DAY))
    }

    /// Parses an RFC 3339 date-time (`2026-11-01T00:00:00Z`, `…+05:30`, fractional seconds) or a
    /// bare date (`2026-11-01`, taken as midnight UTC). Errors name the field `timestamp`.
    pub fn parse(text: &str) -> Result<Self> {
        Self::parse_field("timestamp", text)
    }

    /// [`Timestamp::parse`] with the field name to report on error.
    pub fn parse_field(field: &str, text: &str) -> Result<Self> {
        parse_rfc3339(text.as_bytes()).ok_or_else(|| {
            let shown: String = text.chars().take(64).collect();
            Error::invalid_input(field, format!("not an RFC 3339 timestamp: {shown:?}"))
        })
    }

    /// The civil date (year, month, day) of this instant in UTC.
    pub fn date(self) -> (i32, u32, u32) {
        civil_from_days(self.0.div_euclid(MICROS_PER_DAY))
    }

    /// Days since the epoch (floor).
    pub(crate) fn days(self) -> i64 {
        self.0.div_euclid(MICROS_PER_DAY)
    }

    /// Microseconds past midnight UTC.
    pub(crate) fn micros_of_day(self) -> i64 {
        self.0.rem_euclid(MICROS_PER_DAY)
    }

    /// This instant plus whole days (saturating).
    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0.saturating_add(days.saturating_mul(MICROS_PER_DAY)))
    }

    /// This instant moved by `months` calendar months, keeping the time of day and clamping the
    /// day to the target month's length (Jan 31 + 1 month = Feb 28/29), as Lago and Stripe do.
    pub fn plus_months_from_anchor_day(self, months: i64, anchor_day: u32) -> Self {
        let (y, m, _) = self.date();
        let total = y as i64 * 12 + (m as i64 - 1) + months;
        let year = total.div_euclid(12) as i32;
        let month = (total.rem_euclid(12) + 1) as u32;
        let day = anchor_day.min(days_in_month(year, month));
        Timestamp(days_from_civil(year, month, day) * MICROS_PER_DAY + self.micros_of_day())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.date();
        let rem = self.micros_of_day();
        let secs = rem / MICROS_PER_SECOND;
        let micros = rem % MICROS_PER_SECOND;
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)?;
        if micros != 0 {
            let frac = format!("{micros:06}");
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Days in a month of the proleptic Gregorian calendar.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm, exact for all i32 years).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = year as i64 - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    slice.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    let year = digits(b, 0, 4)? as i32;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if b.len() == 10 {
        return Some(Timestamp(days * MICROS_PER_DAY));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                micros = micros * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        let n = at - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    let offset_seconds: i64 = match b.get(at) {
        Some(b'Z' | b'z') if b.len() == at + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == at + 6 && b[at + 3] == b':' => {
            let (oh, om) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let s = i64::from(oh * 3600 + om * 60);
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some(Timestamp(secs * MICROS_PER_SECOND + micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_offsets() {
        for (text, shown) in [
            ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"),
            ("2026-11-01T00:00:00.250Z", "2026-11-01T00:00:00.25Z"),
            ("2026-11-01T05:30:00+05:30", "2026-11-01T00:00:00Z"),
            ("2024-02-29", "2024-02-29T00:00:00Z"),
            ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
            ("2026-01-01 00:00:00z", "2026-01-01T00:00:00Z"),
        ] {
            assert_eq!(Timestamp::parse(text).unwrap().to_string(), shown, "{text}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T00:00:60Z",
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00.Z",
            "2026-11-01T00:00:00+0100",
            "yesterday",
            "2026-11-01T00:00:00Zjunk",
        ] {
            let e = Timestamp::parse(text).unwrap_err();
            assert!(e.message().starts_with("timestamp:"), "{text}");
        }
    }

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn month_arithmetic_clamps() {
        let jan31 = Timestamp::parse("2026-01-31T10:00:00Z").unwrap();
        assert_eq!(jan31.plus_months_from_anchor_day(1, 31).to_string(), "2026-02-28T10:00:00Z");
        assert_eq!(jan31.plus_months_from_anchor_day(2, 31).to_string(), "2026-03-31T10:00:00Z");
        assert_eq!(jan31.plus_months_from_anchor_day(-1, 31).to_string(), "2025-12-31T10:00:00Z");
    }
}
