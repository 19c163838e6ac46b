//! Forecasts for capacity planning: a 7-day forecast of an hourly series (power price, request
//! rate) from its history, and a capacity plan from the forecasts.
//!
//! Four well-kept methods compete on held-out days (the last `holdout_hours` of the history,
//! forecast in one go from what precedes them): seasonal naive with a daily period (`y[t−24]`),
//! seasonal naive with a weekly period (`y[t−168]`), the mean hour-of-week profile of the last
//! four weeks, and additive Holt–Winters with a daily season (level α = 0.1, season γ = 0.2, no
//! trend). The one with the lowest mean absolute error is refitted on the whole history; its
//! held-out error (MAE and the 10th/90th percentiles of the errors) is reported with the forecast.

use crate::{Error, Result};

use super::engine::Site;
use super::serving::EndpointLoad;

/// A method's name and held-out mean absolute error.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodScore {
    /// Method.
    pub method: &'static str,
    /// Mean absolute error on the held-out hours.
    pub mae: f64,
}

/// A forecast of an hourly series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesForecast {
    /// Method chosen.
    pub method: &'static str,
    /// Every method's held-out error.
    pub scores: Vec<MethodScore>,
    /// Held-out MAE of the chosen method.
    pub holdout_mae: f64,
    /// Held-out MAE relative to the held-out mean absolute value.
    pub holdout_relative_mae: f64,
    /// 10th and 90th percentiles of the held-out errors (actual − forecast).
    pub error_p10: f64,
    /// 90th percentile.
    pub error_p90: f64,
    /// The forecast, one value per hour after the history.
    pub values: Vec<f64>,
}

const METHODS: [&str; 4] =
    ["seasonal_naive_daily", "seasonal_naive_weekly", "hour_of_week_profile", "holt_winters_daily"];

fn predict(method: &str, history: &[f64], horizon: usize) -> Vec<f64> {
    let n = history.len();
    match method {
        "seasonal_naive_daily" => (0..horizon).map(|h| history[n - 24 + h % 24]).collect(),
        "seasonal_naive_weekly" => (0..horizon).map(|h| history[n - 168 + h % 168]).collect(),
        "hour_of_week_profile" => (0..horizon)
            .map(|h| {
                let weeks = (n / 168).clamp(1, 4);
                let mut sum = 0.0;
                for w in 1..=weeks {
                    // Same hour of week, w weeks before the forecast hour.
                    let back = w * 168 - h % 168;
                    sum += history[n - back];
                }
                sum / weeks as f64
            })
            .collect(),
        _ => {
            // Additive Holt–Winters, daily season, no trend.
            let (alpha, gamma) = (0.1, 0.2);
            let first: f64 = history[..24].iter().sum::<f64>() / 24.0;
            let mut level = first;
            let mut season: Vec<f64> = history[..24].iter().map(|y| y - first).collect();
            for (t, y) in history.iter().enumerate().skip(24) {
                let s = season[t % 24];
                let new_level = alpha * (y - s) + (1.0 - alpha) * level;
                season[t % 24] = gamma * (y - new_level) + (1.0 - gamma) * s;
                level = new_level;
            }
            (0..horizon).map(|h| level + season[(n + h) % 24]).collect()
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Forecasts `horizon` hours after `history` (hourly values), choosing the method on the last
/// `holdout_hours`. Needs at least `holdout_hours + 4 weeks` of finite history.
pub fn forecast_hourly(history: &[f64], horizon: usize, holdout_hours: usize) -> Result<SeriesForecast> {
    if holdout_hours == 0 || horizon == 0 {
        return Err(Error::invalid_input("horizon", "horizon and holdout_hours must be >= 1"));
    }
    if history.len() < holdout_hours + 4 * 168 {
        return Err(Error::invalid_input(
            "history",
            format!("needs at least {} hours, got {}", holdout_hours + 4 * 168, history.len()),
        ));
    }
    if let Some(i) = history.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid_input("history", format!("value {i} is not finite")));
    }
    let (fit, test) = history.split_at(history.len() - holdout_hours);
    let mut scores = Vec::new();
    let mut best: Option<(&'static str, f64, Vec<f64>)> = None;
    for m in METHODS {
        let p = predict(m, fit, holdout_hours);
        let errors: Vec<f64> = test.iter().zip(&p).map(|(a, f)| a - f).collect();
        let mae = errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64;
        scores.push(MethodScore { method: m, mae });
        if best.as_ref().is_none_or(|b| mae < b.1) {
            best = Some((m, mae, errors));
        }
    }
    let (method, mae, mut errors) = best.expect("four methods");
    errors.sort_by(f64::total_cmp);
    let scale = test.iter().map(|v| v.abs()).sum::<f64>() / test.len() as f64;
    Ok(SeriesForecast {
        method,
        scores,
        holdout_mae: mae,
        holdout_relative_mae: if scale > 0.0 { mae / scale } else { 0.0 },
        error_p10: percentile(&errors, 0.1),
        error_p90: percentile(&errors, 0.9),
        values: predict(method, history, horizon),
    })
}

/// A capacity plan for the week after a date.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityPlan {
    /// Unix seconds of each planned hour.
    pub hours: Vec<i64>,
    /// Price forecast, USD/MWh.
    pub price: SeriesForecast,
    /// Request-rate forecast of each endpoint, requests/s.
    pub demand: Vec<SeriesForecast>,
    /// GPUs to keep serving endpoints each hour (SLO sizing of the forecast demand).
    pub gpus_serving: Vec<u32>,
    /// GPUs for jobs and reservations (their average need).
    pub gpus_other: u32,
    /// Miners to keep hashing each hour (those that fit the cap and pay at the forecast price).
    pub miners_hashing: Vec<u32>,
    /// Expected profit over the week, USD: low (dear power, weak demand), expected, high.
    pub profit_band_usd: (f64, f64, f64),
}

/// Plans the 7 days after `date` (`YYYY-MM-DD`) from the history before it (price and the
/// demand the site saw), holding out the last 7 days to choose each forecast's method.
pub fn capacity_plan(site: &Site, date: &str) -> Result<CapacityPlan> {
    let cfg = site.config();
    let at = crate::sim::market::replay::parse_timestamp(date)
        .map_err(|_| Error::invalid_input("date", format!("cannot parse {date:?}")))?;
    let (first, _) = site.market().span();
    let hours_back = ((at - first) / 3600) as usize;
    let (horizon, holdout) = (168usize, 168usize);
    if hours_back < holdout + 4 * 168 {
        return Err(Error::invalid_input("date", format!("needs five weeks of history before {date}")));
    }
    let rp = &site.market().replay;
    let price_hist: Vec<f64> = (0..hours_back)
        .map(|h| {
            let t0 = at - ((hours_back - h) as i64) * 3600;
            (0..4).map(|q| rp.electricity_usd_per_mwh.at(t0 + q * 900)).sum::<f64>() / 4.0
        })
        .collect();
    let price = forecast_hourly(&price_hist, horizon, holdout)?;
    let mut demand = Vec::new();
    for i in 0..cfg.endpoints.len() {
        let hist: Vec<f64> =
            (0..hours_back).map(|h| site.demand_rps(i, at - ((hours_back - h) as i64) * 3600, 3600.0)).collect();
        demand.push(forecast_hourly(&hist, horizon, holdout)?);
    }
    let gpus_total: u32 = cfg.gpus.iter().map(|g| g.count).sum();
    let gpus_other = (cfg.jobs.iter().map(|j| j.gpu_hours / j.every_hours).sum::<f64>().ceil() as u32
        + cfg.reservations.iter().map(|r| r.gpus).sum::<u32>())
    .min(gpus_total);
    let point = rp.at((at - rp.start_unix_seconds) as f64)?;
    let market = point.to_market()?;
    let usd_per_th_hour = crate::econ::hashprice_usd_per_th_day(&market) / 24.0 * (1.0 - cfg.pool_fee);
    let miner = cfg.miners.first().map(|m| crate::econ::Catalog::builtin().get(&m.model).cloned()).transpose()?;
    let miners_total: u32 = cfg.miners.iter().map(|m| m.count).sum();
    let gpu_w =
        crate::sim::GpuSpec::by_name(cfg.gpus.first().map_or("H100_SXM", |g| g.model.as_str()))?.power.limit_watts
            * 0.85;
    let mut profit = [0.0f64; 3];
    let (mut gpus_serving, mut miners_hashing, mut hours) = (Vec::new(), Vec::new(), Vec::new());
    for h in 0..horizon {
        hours.push(at + h as i64 * 3600);
        // Three scenarios: dear power with weak demand, expected, cheap power with strong demand.
        for (k, (dp, dd)) in [(price.error_p90, 0usize), (0.0, 1), (price.error_p10, 2)].iter().enumerate() {
            let price_mwh = price.values[h] + dp;
            let mut serving = 0u32;
            let mut tokens_usd = 0.0;
            for (i, e) in cfg.endpoints.iter().enumerate() {
                let d = &demand[i];
                let shift = [d.error_p10, 0.0, d.error_p90][*dd];
                let tr = &site.traces()[i];
                let load = EndpointLoad {
                    requests_per_second: (d.values[h] + shift).max(0.0),
                    mean_prompt_tokens: tr.mean_prompt_tokens,
                    p99_prompt_tokens: tr.p99_prompt_tokens,
                    mean_output_tokens: tr.mean_output_tokens,
                    arrival_cv2: tr.arrival_cv2,
                    service_cv2: tr.service_cv2,
                    ttft_slo_seconds: e.ttft_slo_seconds,
                };
                let n = site.serving_models()[i].gpus_for(
                    &load,
                    e.slo_target,
                    gpus_total.saturating_sub(gpus_other + serving),
                );
                serving += n;
                let per_token = cfg
                    .customers
                    .iter()
                    .find(|c| c.id == e.customer)
                    .and_then(|c| c.tokens_usd_per_million.as_ref())
                    .and_then(|p| p.parse::<f64>().ok())
                    .unwrap_or(0.0)
                    / 1e6;
                tokens_usd +=
                    load.requests_per_second * 3600.0 * (tr.mean_prompt_tokens + tr.mean_output_tokens) * per_token;
            }
            let gpu_kw = f64::from(serving + gpus_other) * gpu_w * cfg.pue / 1000.0;
            let energy_kwh = price_mwh / 1000.0 + cfg.tariff.adders_usd_per_kwh;
            let (mut hashing, mut mining_usd, mut miner_kw) = (0u32, 0.0, 0.0);
            if let Some(m) = &miner {
                let each_kw = m.power_watts * cfg.pue / 1000.0;
                let pays = m.hashrate_ths * usd_per_th_hour > each_kw * energy_kwh.max(0.0);
                if pays {
                    hashing = (((cfg.cap_kw - gpu_kw).max(0.0) / each_kw).floor() as u32).min(miners_total);
                }
                mining_usd = f64::from(hashing) * m.hashrate_ths * usd_per_th_hour;
                miner_kw = f64::from(hashing) * each_kw;
            }
            let other_usd: f64 = cfg
                .jobs
                .iter()
                .map(|j| {
                    let p = cfg.customers.iter().find(|c| c.id == j.customer).and_then(|c| c.gpu_hour_usd.as_ref());
                    j.gpu_hours / j.every_hours * p.and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0)
                })
                .sum::<f64>()
                + cfg
                    .reservations
                    .iter()
                    .map(|r| {
                        let p = cfg
                            .customers
                            .iter()
                            .find(|c| c.id == r.customer)
                            .and_then(|c| c.reserved_gpu_hour_usd.as_ref());
                        f64::from(r.gpus) * p.and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0)
                    })
                    .sum::<f64>();
            profit[k] += tokens_usd + other_usd + mining_usd - (gpu_kw + miner_kw) * energy_kwh;
            if k == 1 {
                gpus_serving.push(serving);
                miners_hashing.push(hashing);
            }
        }
    }
    Ok(CapacityPlan {
        hours,
        price,
        demand,
        gpus_serving,
        gpus_other,
        miners_hashing,
        profit_band_usd: (profit[0].min(profit[2]), profit[1], profit[0].max(profit[2])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daily_pattern_is_forecast_by_a_seasonal_method() {
        let hist: Vec<f64> =
            (0..24 * 60).map(|h| 10.0 + 5.0 * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()).collect();
        let f = forecast_hourly(&hist, 168, 168).unwrap();
        assert!(f.holdout_mae < 1e-9, "{f:?}");
        assert!((f.values[5] - hist[hist.len() - 24 + 5]).abs() < 1e-9);
        assert!(forecast_hourly(&hist[..100], 168, 168).is_err());
        let mut bad = hist.clone();
        bad[3] = f64::NAN;
        assert!(forecast_hourly(&bad, 168, 168).unwrap_err().message().starts_with("history:"));
    }
}
