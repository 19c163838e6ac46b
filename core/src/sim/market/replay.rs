//! Replaying the real market history of `data/market/` on the simulation clock.
//!
//! Alignment: simulation time 0 is a chosen start instant; each series' value at time `t` is its
//! latest observation at or before `start + t` (zero-order hold, so no value is ever taken from the
//! future). Before a series' first observation its first value is used. The sources and how each
//! is read:
//! - electricity: `ercot_hb_south_15min_2024-06_2025-03.csv`, real-time price per 15-minute
//!   interval (timestamps naive as published; every day has 96 intervals);
//! - BTC: `btc_usd_daily_2020_2025.csv`, the day's **open** (the close would look ahead);
//! - difficulty: `btc_difficulty_adjustments_2020_2026.csv`, each epoch's value from its estimated
//!   date;
//! - height: `btc_hashrate_blocks_daily_2020_2025.csv`, the estimated height at the end of each day,
//!   placed at the end of that day and interpolated linearly in between (held after 2025-03-08);
//! - fees: `btc_tx_fees_every4d_2020_2025.csv`, total fees per day ÷ 144 blocks;
//! - GPU rental: `gpu_rental_index_weekly_2023_2025.csv`, published `GIX-H100` weeks only.
//!
//! A malformed file is an `InvalidInput` error naming the file and line.

use super::{MarketPoint, MarketSeries};
use crate::cancel::CancelToken;
use crate::error::check;
use crate::{Error, Result};

/// Days from 1970-01-01 to a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS][Z]` to Unix seconds
/// (naive times read as UTC).
///
/// ```
/// use hcpcore::sim::market::replay::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-02").unwrap(), 86_400);
/// assert_eq!(parse_timestamp("2024-06-01 00:15:00").unwrap(), 1_717_200_900);
/// assert!(parse_timestamp("2024-13-01").is_err());
/// ```
pub fn parse_timestamp(s: &str) -> Result<i64> {
    let s = s.trim().trim_end_matches('Z');
    let bad = || Error::invalid_input("timestamp", format!("cannot parse {s:?}"));
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let y: i64 = dp.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let m: i64 = dp.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let d: i64 = dp.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    if dp.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return Err(bad());
        }
        let hh: i64 = parts[0].parse().map_err(|_| bad())?;
        let mm: i64 = parts[1].parse().map_err(|_| bad())?;
        let ss: f64 = if parts.len() == 3 { parts[2].parse().map_err(|_| bad())? } else { 0.0 };
        if !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0.0..61.0).contains(&ss) {
            return Err(bad());
        }
        secs += hh * 3600 + mm * 60 + ss as i64;
    }
    Ok(secs)
}

/// One observed series: Unix seconds (ascending) and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observations {
    /// Unix seconds, ascending.
    pub times: Vec<i64>,
    /// Values.
    pub values: Vec<f64>,
}

impl Observations {
    /// Zero-order hold: the latest value at or before `t` (the first before the start).
    pub fn at(&self, t: i64) -> f64 {
        match self.times.partition_point(|&x| x <= t) {
            0 => self.values.first().copied().unwrap_or(f64::NAN),
            i => self.values[i - 1],
        }
    }

    /// Linear interpolation between observations (held flat outside them).
    pub fn linear_at(&self, t: i64) -> f64 {
        let i = self.times.partition_point(|&x| x <= t);
        if i == 0 {
            return self.values.first().copied().unwrap_or(f64::NAN);
        }
        if i >= self.times.len() {
            return self.values[self.values.len() - 1];
        }
        let (t0, t1) = (self.times[i - 1] as f64, self.times[i] as f64);
        let (v0, v1) = (self.values[i - 1], self.values[i]);
        v0 + (v1 - v0) * (t as f64 - t0) / (t1 - t0)
    }
}

/// Reads a CSV with a header: the time column and value column by name, keeping rows where
/// every `filter` (column, value) matches. Values must be finite; times strictly ascending.
pub fn read_csv_series(path: &str, time_col: &str, value_col: &str, filter: &[(&str, &str)]) -> Result<Observations> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::invalid_input("replay", format!("{path}: {e}")))?;
    parse_csv_series(&text, path, time_col, value_col, filter)
}

/// [`read_csv_series`] on text already read (`path` names it in errors).
pub fn parse_csv_series(
    text: &str,
    path: &str,
    time_col: &str,
    value_col: &str,
    filter: &[(&str, &str)],
) -> Result<Observations> {
    let mut lines = text.lines().enumerate();
    let header =
        lines.next().map(|(_, h)| h).ok_or_else(|| Error::invalid_input("replay", format!("{path}:1: empty file")))?;
    let cols: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or_else(|| Error::invalid_input("replay", format!("{path}:1: no column {name:?}")))
    };
    let (ti, vi) = (find(time_col)?, find(value_col)?);
    let fi: Vec<(usize, &str)> = filter.iter().map(|(c, v)| Ok((find(c)?, *v))).collect::<Result<_>>()?;
    let mut obs = Observations::default();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| Error::invalid_input("replay", format!("{path}:{}: {why}", n + 1));
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < cols.len() {
            return Err(bad(format!("expected {} columns, got {}", cols.len(), f.len())));
        }
        if fi.iter().any(|(c, v)| f[*c].trim() != *v) {
            continue;
        }
        let t = parse_timestamp(f[ti]).map_err(|e| bad(e.message().to_string()))?;
        let v: f64 = f[vi].trim().parse().map_err(|_| bad(format!("{value_col}: not a number: {:?}", f[vi])))?;
        if !v.is_finite() {
            return Err(bad(format!("{value_col}: not finite")));
        }
        if obs.times.last().is_some_and(|&last| t <= last) {
            return Err(bad("timestamps must be strictly ascending".into()));
        }
        obs.times.push(t);
        obs.values.push(v);
    }
    if obs.times.is_empty() {
        return Err(Error::invalid_input("replay", format!("{path}: no rows")));
    }
    Ok(obs)
}

/// The real history, ready to sample on the simulation clock.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketReplay {
    /// Unix seconds of simulation time 0.
    pub start_unix_seconds: i64,
    /// Electricity, USD/MWh.
    pub electricity_usd_per_mwh: Observations,
    /// BTC daily open, USD.
    pub btc_usd: Observations,
    /// Difficulty per epoch.
    pub difficulty: Observations,
    /// Block height at the end of each day (linear interpolation in between).
    pub height: Observations,
    /// Fees per block, BTC.
    pub fees_btc_per_block: Observations,
    /// H100 rental index, USD per GPU-hour.
    pub gpu_usd_per_hour: Observations,
}

impl MarketReplay {
    /// Reads the five files from `dir` (e.g. `data/market`), simulation time 0 at `start`
    /// (`"2024-06-01"` or `"2024-06-01 00:00:00"`).
    pub fn from_dir(dir: &str, start: &str) -> Result<MarketReplay> {
        let p = |f: &str| format!("{}/{f}", dir.trim_end_matches('/'));
        let fees_per_day = read_csv_series(&p("btc_tx_fees_every4d_2020_2025.csv"), "date", "total_tx_fees_btc", &[])?;
        Ok(MarketReplay {
            start_unix_seconds: parse_timestamp(start)
                .map_err(|_| Error::invalid_input("start", format!("cannot parse {start:?}")))?,
            electricity_usd_per_mwh: read_csv_series(
                &p("ercot_hb_south_15min_2024-06_2025-03.csv"),
                "interval_start",
                "hb_south_rtm_spp_usd_mwh",
                &[],
            )?,
            btc_usd: read_csv_series(&p("btc_usd_daily_2020_2025.csv"), "date", "open", &[])?,
            difficulty: read_csv_series(&p("btc_difficulty_adjustments_2020_2026.csv"), "date", "difficulty", &[])?,
            height: {
                let mut h = read_csv_series(
                    &p("btc_hashrate_blocks_daily_2020_2025.csv"),
                    "date",
                    "est_block_height_end_of_day",
                    &[],
                )?;
                h.times.iter_mut().for_each(|t| *t += 86_400);
                h
            },
            fees_btc_per_block: Observations {
                values: fees_per_day.values.iter().map(|v| v / 144.0).collect(),
                times: fees_per_day.times,
            },
            gpu_usd_per_hour: read_csv_series(
                &p("gpu_rental_index_weekly_2023_2025.csv"),
                "week",
                "index_value_usd_per_gpu_hr",
                &[("index_code", "GIX-H100"), ("status", "published")],
            )?,
        })
    }

    /// The market at simulation time `t_seconds`.
    pub fn at(&self, t_seconds: f64) -> Result<MarketPoint> {
        check::finite("t_seconds", t_seconds)?;
        let t = self.start_unix_seconds + t_seconds.floor() as i64;
        Ok(MarketPoint {
            time_seconds: t_seconds,
            btc_usd: self.btc_usd.at(t),
            difficulty: self.difficulty.at(t),
            height: self.height.linear_at(t).max(0.0) as u64,
            fees_btc_per_block: self.fees_btc_per_block.at(t),
            electricity_usd_per_mwh: self.electricity_usd_per_mwh.at(t),
            gpu_usd_per_hour: self.gpu_usd_per_hour.at(t),
        })
    }

    /// `steps` samples from time 0, `dt_seconds` apart.
    pub fn series(&self, steps: usize, dt_seconds: f64) -> Result<MarketSeries> {
        // A token nobody else holds is never cancelled, so the series is always complete.
        self.series_cancellable(steps, dt_seconds, &CancelToken::new()).map(Option::unwrap_or_default)
    }

    /// [`series`](MarketReplay::series), checking `cancel` before each sample: `None` when it was
    /// set before the last one.
    pub fn series_cancellable(
        &self,
        steps: usize,
        dt_seconds: f64,
        cancel: &CancelToken,
    ) -> Result<Option<MarketSeries>> {
        check::in_range("dt_seconds", dt_seconds, crate::limits::MIN_DT_SECONDS, crate::limits::MAX_DT_SECONDS)?;
        crate::limits::count("steps", steps as i128, crate::limits::MAX_STEPS)?;
        let mut s = MarketSeries::default();
        for i in 0..steps {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            s.push(&self.at(i as f64 * dt_seconds)?);
        }
        Ok(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_name_file_and_line() {
        let e = parse_csv_series("date,v\n2024-01-01,1\n2024-01-02,x\n", "f.csv", "date", "v", &[]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.message().contains("f.csv:3"), "{}", e.message());
        let e = parse_csv_series("date,v\n2024-01-02,1\n2024-01-01,2\n", "g.csv", "date", "v", &[]).unwrap_err();
        assert!(e.message().contains("g.csv:3"));
        assert!(parse_csv_series("date,w\n", "h.csv", "date", "v", &[]).is_err());
    }

    #[test]
    fn zero_order_hold_never_looks_ahead() {
        let o = parse_csv_series("t,v\n1970-01-01 00:00:00,1\n1970-01-01 00:15:00,2\n", "x", "t", "v", &[]).unwrap();
        assert_eq!(o.at(0), 1.0);
        assert_eq!(o.at(899), 1.0);
        assert_eq!(o.at(900), 2.0);
        assert_eq!(o.at(-5), 1.0);
        assert_eq!(o.linear_at(450), 1.5);
    }
}
