//! What a site replays: the market history (15-minute ERCOT prices and temperature, daily Bitcoin
//! and GPU markets) checked for gaps, and the demand traces that shape realtime inference.

use crate::sim::market::replay::{parse_csv_series, parse_timestamp, MarketReplay, Observations};
use crate::{Error, Result};

/// ERCOT settlement interval, s.
pub const MARKET_INTERVAL_SECONDS: i64 = 900;

/// The market history of a site: every series of [`MarketReplay`] plus the ERCOT temperature,
/// on one 15-minute clock without gaps.
#[derive(Debug, Clone)]
pub struct MarketHistory {
    /// The daily and 15-minute series (zero-order hold, never looks ahead).
    pub replay: MarketReplay,
    /// Temperature at HB_SOUTH, °C, per 15-minute interval.
    pub temperature_c: Observations,
}

impl MarketHistory {
    /// Reads the files of `dir` (`data/market`). A missing file, a malformed line or a gap in
    /// the 15-minute series is `InvalidInput` naming the file and field.
    pub fn from_dir(dir: &str) -> Result<MarketHistory> {
        let ercot_name = "ercot_hb_south_15min_2024-06_2025-03.csv";
        let path = format!("{}/{ercot_name}", dir.trim_end_matches('/'));
        let text =
            std::fs::read_to_string(&path).map_err(|e| Error::invalid_input("market_dir", format!("{path}: {e}")))?;
        let temperature_c = parse_csv_series(&text, &path, "interval_start", "temperature_c_south", &[])?;
        let first = text.lines().nth(1).and_then(|l| l.split(',').next()).unwrap_or("");
        let replay = MarketReplay::from_dir(dir, first)?;
        check_no_gaps(&replay.electricity_usd_per_mwh, &path, "hb_south_rtm_spp_usd_mwh")?;
        check_no_gaps(&temperature_c, &path, "temperature_c_south")?;
        Ok(MarketHistory { replay, temperature_c })
    }

    /// Unix seconds of the first and one past the last 15-minute interval.
    pub fn span(&self) -> (i64, i64) {
        let t = &self.replay.electricity_usd_per_mwh.times;
        (t[0], t[t.len() - 1] + MARKET_INTERVAL_SECONDS)
    }
}

/// A 15-minute series must step by exactly 900 s.
pub fn check_no_gaps(obs: &Observations, path: &str, field: &str) -> Result<()> {
    for (i, w) in obs.times.windows(2).enumerate() {
        if w[1] - w[0] != MARKET_INTERVAL_SECONDS {
            return Err(Error::invalid_input(
                &format!("market.{field}"),
                format!(
                    "{path}: gap between rows {} and {} ({} s instead of {MARKET_INTERVAL_SECONDS} s)",
                    i + 2,
                    i + 3,
                    w[1] - w[0]
                ),
            ));
        }
    }
    Ok(())
}

/// What a request trace says about demand: token sizes and burstiness.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceShape {
    /// Requests in the trace.
    pub requests: usize,
    /// Mean prompt tokens.
    pub mean_prompt_tokens: f64,
    /// 99th-percentile prompt tokens.
    pub p99_prompt_tokens: f64,
    /// Mean output tokens.
    pub mean_output_tokens: f64,
    /// Burstiness of arrivals: index of dispersion of arrivals per second (variance / mean of
    /// the counts in 1-s bins; 1 for Poisson), used as the arrivals' squared CV.
    pub arrival_cv2: f64,
    /// Squared coefficient of variation of tokens per request (prompt + output), used as the
    /// service time's.
    pub service_cv2: f64,
    /// Arrivals per minute over the trace divided by their mean (the burst pattern).
    pub minute_factors: Vec<f64>,
}

impl TraceShape {
    /// Reads a trace CSV (`TIMESTAMP,ContextTokens,GeneratedTokens`). Arrivals must not go
    /// backwards and token counts must be positive integers: otherwise `InvalidInput` naming
    /// `demand.<path>` and the line.
    pub fn from_csv(text: &str, path: &str) -> Result<TraceShape> {
        let field = format!("demand.{path}");
        let mut lines = text.lines();
        let header = lines.next().unwrap_or("");
        if header.trim() != "TIMESTAMP,ContextTokens,GeneratedTokens" {
            return Err(Error::invalid_input(
                &field,
                "line 1: expected header TIMESTAMP,ContextTokens,GeneratedTokens",
            ));
        }
        let (mut times, mut prompts, mut outputs) = (Vec::new(), Vec::new(), Vec::new());
        for (n, line) in lines.enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |why: &str| Error::invalid_input(&field, format!("line {}: {why}", n + 2));
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 3 {
                return Err(bad("expected 3 columns"));
            }
            let (stamp, frac) = match f[0].split_once('.') {
                Some((s, fr)) => (s, format!("0.{fr}").parse::<f64>().map_err(|_| bad("bad fraction of a second"))?),
                None => (f[0], 0.0),
            };
            let t = parse_timestamp(stamp).map_err(|_| bad("bad TIMESTAMP"))? as f64 + frac;
            if times.last().is_some_and(|&last| t < last) {
                return Err(bad("arrivals out of order (TIMESTAMP goes backwards)"));
            }
            let p: u64 = f[1].trim().parse().map_err(|_| bad("ContextTokens: not a positive integer"))?;
            let o: u64 = f[2].trim().parse().map_err(|_| bad("GeneratedTokens: not a positive integer"))?;
            if p == 0 || o == 0 {
                return Err(bad("token counts must be >= 1"));
            }
            times.push(t);
            prompts.push(p as f64);
            outputs.push(o as f64);
        }
        if times.len() < 10 {
            return Err(Error::invalid_input(&field, "needs at least 10 requests"));
        }
        let n = times.len() as f64;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let cv2 = |v: &[f64]| {
            let m = mean(v);
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64 / (m * m).max(1e-300)
        };
        let seconds = ((times[times.len() - 1] - times[0]).floor() as usize).max(1) + 1;
        let mut per_second = vec![0.0; seconds];
        for t in &times {
            per_second[((t - times[0]) as usize).min(seconds - 1)] += 1.0;
        }
        let mean_s = mean(&per_second);
        let idc =
            per_second.iter().map(|x| (x - mean_s) * (x - mean_s)).sum::<f64>() / seconds as f64 / mean_s.max(1e-300);
        let totals: Vec<f64> = prompts.iter().zip(&outputs).map(|(p, o)| p + o).collect();
        let mut sorted = prompts.clone();
        sorted.sort_by(f64::total_cmp);
        let minutes = ((times[times.len() - 1] - times[0]) / 60.0).floor().max(1.0) as usize;
        let mut counts = vec![0.0; minutes];
        for t in &times {
            let m = (((t - times[0]) / 60.0) as usize).min(minutes - 1);
            counts[m] += 1.0;
        }
        let mc = mean(&counts);
        Ok(TraceShape {
            requests: times.len(),
            mean_prompt_tokens: mean(&prompts),
            p99_prompt_tokens: sorted[((n * 0.99) as usize).min(sorted.len() - 1)],
            mean_output_tokens: mean(&outputs),
            arrival_cv2: idc,
            service_cv2: cv2(&totals),
            minute_factors: counts.iter().map(|c| c / mc).collect(),
        })
    }

    /// Reads `azure_llm_inference_2023_{name}.csv` from `dir`.
    pub fn from_dir(dir: &str, name: &str) -> Result<TraceShape> {
        let path = format!("{}/azure_llm_inference_2023_{name}.csv", dir.trim_end_matches('/'));
        let text =
            std::fs::read_to_string(&path).map_err(|e| Error::invalid_input("demand_dir", format!("{path}: {e}")))?;
        TraceShape::from_csv(&text, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_named() {
        let o = Observations { times: vec![0, 900, 2700], values: vec![1.0, 2.0, 3.0] };
        let e = check_no_gaps(&o, "f.csv", "x").unwrap_err();
        assert!(e.message().starts_with("market.x: f.csv: gap between rows 3 and 4"), "{}", e.message());
    }

    #[test]
    fn traces_out_of_order_are_refused() {
        let mut text = String::from("TIMESTAMP,ContextTokens,GeneratedTokens\n");
        for i in 0..12 {
            text.push_str(&format!("2023-11-16 18:15:{:02}.5,100,10\n", i));
        }
        assert!(TraceShape::from_csv(&text, "t.csv").is_ok());
        text.push_str("2023-11-16 18:15:01.0,100,10\n");
        let e = TraceShape::from_csv(&text, "t.csv").unwrap_err();
        assert!(e.message().contains("demand.t.csv: line 14: arrivals out of order"), "{}", e.message());
    }
}
