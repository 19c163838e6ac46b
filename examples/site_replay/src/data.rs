//! Reads the real market history in `data/market/` and aligns it to the 15-minute ERCOT clock.
//!
//! Alignment (each series is daily or coarser, keyed by calendar date):
//! - BTC price: that day's close (Yahoo daily, UTC dates); a missing day carries the last close.
//! - Difficulty: step function of `btc_difficulty_adjustments_2020_2026.csv` (the last value dated
//!   on or before the day; after April 2024 those dates run a few days late, see data/SOURCES.md).
//! - Height: the estimated end-of-day height of `btc_hashrate_blocks_daily_2020_2025.csv`,
//!   extended at 144 blocks a day past its last row; it only sets the subsidy.
//! - Fees: total BTC per day sampled every 4 days, linearly interpolated between samples,
//!   divided by 144 blocks a day.
//! - GPU rental: the weekly index column named in the config (GIX-H100), published weeks only;
//!   withheld weeks carry the last published value forward.
//!
//! ERCOT intervals carry local-time stamps; the daily series are matched by calendar date.

use std::collections::BTreeMap;
use std::path::Path;

/// Blocks per day assumed to turn fees per day into fees per block.
pub const BLOCKS_PER_DAY: f64 = 144.0;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn day_number(date: &str) -> Result<i64, String> {
    let bad = || format!("bad date {date:?}");
    let mut parts = date.get(..10).ok_or_else(bad)?.split('-');
    let y: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let m: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let d: i64 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` of a day number.
pub fn date_string(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One 15-minute ERCOT interval.
#[derive(Debug, Clone)]
pub struct Interval {
    /// `YYYY-MM-DD HH:MM:SS` as in the file.
    pub stamp: String,
    /// Day number of the stamp's date.
    pub day: i64,
    /// HB_SOUTH real-time settlement point price, USD/MWh (may be negative).
    pub rt_usd_per_mwh: f64,
}

/// The daily market values the replay needs for one day.
#[derive(Debug, Clone, Copy)]
pub struct Daily {
    /// BTC close, USD.
    pub btc_usd: f64,
    /// Network difficulty.
    pub difficulty: f64,
    /// Estimated block height.
    pub height: u64,
    /// Fees per block, BTC.
    pub fees_btc_per_block: f64,
    /// GPU rental index, USD per GPU-hour.
    pub gpu_usd_per_hour: f64,
}

/// Everything read from `data/market/`.
pub struct MarketHistory {
    /// The ERCOT intervals in file order.
    pub intervals: Vec<Interval>,
    daily: BTreeMap<i64, Daily>,
}

impl MarketHistory {
    /// The aligned daily values of a day (present for every day of an interval).
    pub fn daily(&self, day: i64) -> Daily {
        self.daily[&day]
    }
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Rows of a CSV file without its header, split on commas (none of these files quote fields).
fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.split(',').collect())
}

fn parse(field: &str, what: &str) -> Result<f64, String> {
    field.trim().parse::<f64>().map_err(|_| format!("{what}: cannot parse {field:?}"))
}

/// The last value at or before `day` in a sorted step series.
fn step_at(series: &BTreeMap<i64, f64>, day: i64) -> Option<f64> {
    series.range(..=day).next_back().map(|(_, v)| *v)
}

/// Linear interpolation in a sorted sample series, held flat beyond its ends.
fn interpolate(series: &BTreeMap<i64, f64>, day: i64) -> Option<f64> {
    let before = series.range(..=day).next_back();
    let after = series.range(day..).next();
    match (before, after) {
        (Some((d0, v0)), Some((d1, v1))) if d1 > d0 => Some(v0 + (v1 - v0) * (day - d0) as f64 / (d1 - d0) as f64),
        (Some((_, v)), _) | (None, Some((_, v))) => Some(*v),
        (None, None) => None,
    }
}

/// Loads and aligns every series for the days the ERCOT file covers.
pub fn load(dir: &Path, gpu_index: &str) -> Result<MarketHistory, String> {
    let ercot = read(dir, "ercot_hb_south_15min_2024-06_2025-03.csv")?;
    let mut intervals = Vec::with_capacity(28_800);
    for r in rows(&ercot) {
        let stamp = r[0].to_string();
        let rt = parse(r.get(1).copied().unwrap_or(""), "ercot rt price")?;
        intervals.push(Interval { day: day_number(&stamp)?, stamp, rt_usd_per_mwh: rt });
    }
    if intervals.is_empty() {
        return Err("the ERCOT file has no intervals".into());
    }

    let mut btc = BTreeMap::new();
    for r in rows(&read(dir, "btc_usd_daily_2020_2025.csv")?) {
        btc.insert(day_number(r[0])?, parse(r[4], "btc close")?);
    }
    let mut difficulty = BTreeMap::new();
    for r in rows(&read(dir, "btc_difficulty_adjustments_2020_2026.csv")?) {
        difficulty.insert(day_number(r[4])?, parse(r[3], "difficulty")?);
    }
    let mut height = BTreeMap::new();
    for r in rows(&read(dir, "btc_hashrate_blocks_daily_2020_2025.csv")?) {
        height.insert(day_number(r[0])?, parse(r[5], "block height")?);
    }
    let mut fees = BTreeMap::new();
    for r in rows(&read(dir, "btc_tx_fees_every4d_2020_2025.csv")?) {
        fees.insert(day_number(r[0])?, parse(r[1], "fees")?);
    }
    let mut gpu = BTreeMap::new();
    for r in rows(&read(dir, "gpu_rental_index_weekly_2023_2025.csv")?) {
        if r.get(1) == Some(&gpu_index) && r.get(2) == Some(&"published") {
            gpu.insert(day_number(r[0])?, parse(r[3], "gpu index")?);
        }
    }
    if gpu.is_empty() {
        return Err(format!("no published weeks for GPU index {gpu_index:?}"));
    }

    let (last_height_day, last_height) = height.iter().next_back().map(|(d, h)| (*d, *h)).ok_or("no heights")?;
    let mut daily = BTreeMap::new();
    let (first, last) = (intervals[0].day, intervals[intervals.len() - 1].day);
    for day in first..=last {
        let date = date_string(day);
        let height = match height.get(&day) {
            Some(h) => *h,
            None if day > last_height_day => last_height + BLOCKS_PER_DAY * (day - last_height_day) as f64,
            None => step_at(&height, day).ok_or_else(|| format!("no block height for {date}"))?,
        };
        daily.insert(
            day,
            Daily {
                btc_usd: step_at(&btc, day).ok_or_else(|| format!("no BTC price for {date}"))?,
                difficulty: step_at(&difficulty, day).ok_or_else(|| format!("no difficulty for {date}"))?,
                height: height as u64,
                fees_btc_per_block: interpolate(&fees, day).ok_or("no fees")? / BLOCKS_PER_DAY,
                gpu_usd_per_hour: step_at(&gpu, day).ok_or_else(|| format!("no GPU price for {date}"))?,
            },
        );
    }
    Ok(MarketHistory { intervals, daily })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(day_number("1970-01-01").unwrap(), 0);
        assert_eq!(day_number("2024-06-01 00:15:00").unwrap(), 19_875);
        for d in [0, 19_875, 20_174, -1, 11_016] {
            assert_eq!(day_number(&date_string(d)).unwrap(), d);
        }
        assert!(day_number("2024-13-01").is_err());
    }

    #[test]
    fn interpolation_and_steps() {
        let s: BTreeMap<i64, f64> = [(0, 0.0), (4, 8.0)].into_iter().collect();
        assert_eq!(interpolate(&s, 1), Some(2.0));
        assert_eq!(interpolate(&s, 9), Some(8.0));
        assert_eq!(step_at(&s, 3), Some(0.0));
        assert_eq!(step_at(&s, -1), None);
    }
}
