//! A seeded synthetic market: BTC as geometric Brownian motion with Poisson jumps; electricity
//! mean-reverting (Ornstein–Uhlenbeck) around a daily shape, with spikes up to the ERCOT offer
//! cap; blocks found as a Poisson process of the network hashrate, the difficulty retargeting
//! every 2,016 blocks exactly as Bitcoin does (×¼…×4 toward 10-minute blocks); a mean-reverting
//! GPU rental rate. Every process is integrated exactly for any step, so `dt` changes the
//! sampling, not the statistics.

use crate::limits as L;
use serde::{Deserialize, Serialize};

use super::{MarketPoint, MarketSeries};
use crate::cancel::CancelToken;
use crate::econ::bitcoin::{BLOCK_INTERVAL_SECONDS, HASHES_PER_DIFFICULTY};
use crate::error::check;
use crate::sim::rng::SimRng;
use crate::{Error, Result};

/// Blocks between difficulty retargets.
pub const RETARGET_BLOCKS: u64 = 2016;
/// ERCOT real-time offer cap, USD/MWh.
pub const ERCOT_CAP_USD_PER_MWH: f64 = 5000.0;
const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// Hourly shape of ERCOT HB_SOUTH real-time prices (mean by hour of day of
/// `data/market/ercot_hb_south_15min_2024-06_2025-03.csv`, intervals above $500/MWh left out,
/// divided by the mean of the 24 values).
pub const ERCOT_HOURLY_SHAPE: [f64; 24] = {
    const RAW: [f64; 24] = [
        22.36, 20.77, 20.11, 19.76, 20.50, 23.47, 27.48, 27.43, 19.38, 16.56, 17.25, 18.72, 20.04, 21.71, 23.14, 23.29,
        27.56, 37.11, 45.77, 49.50, 41.61, 30.99, 26.60, 23.45,
    ];
    const MEAN: f64 = 25.36;
    let mut out = [0.0; 24];
    let mut i = 0;
    while i < 24 {
        out[i] = RAW[i] / MEAN;
        i += 1;
    }
    out
};

/// Parameters of the synthetic market. Defaults: late-2024 levels; electricity fitted roughly to
/// the ERCOT file (mean $27/MWh, ~0.1 spike onsets a day); GPU rate near the 2025 H100 index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntheticConfig {
    /// Starting BTC price, USD.
    pub btc_usd: f64,
    /// BTC drift, per year (log).
    pub btc_drift_per_year: f64,
    /// BTC volatility, per √year.
    pub btc_volatility_per_sqrt_year: f64,
    /// BTC jumps per year.
    pub btc_jumps_per_year: f64,
    /// Standard deviation of a jump (log).
    pub btc_jump_sd: f64,
    /// Starting difficulty.
    pub difficulty: f64,
    /// Starting block height.
    pub height: u64,
    /// Blocks already mined in the current retarget epoch.
    pub blocks_into_epoch: u64,
    /// Network hashrate growth per year (log); the starting hashrate is the difficulty's.
    pub hashrate_growth_per_year: f64,
    /// Network hashrate volatility per √year.
    pub hashrate_volatility_per_sqrt_year: f64,
    /// Fees per block, BTC.
    pub fees_btc_per_block: f64,
    /// Mean electricity price, USD/MWh.
    pub electricity_mean_usd_per_mwh: f64,
    /// Mean reversion rate of the electricity deviation, per hour.
    pub electricity_reversion_per_hour: f64,
    /// Volatility of the deviation, USD/MWh per √hour.
    pub electricity_volatility_per_sqrt_hour: f64,
    /// Spike onsets per day.
    pub spikes_per_day: f64,
    /// Mean spike height above the base, USD/MWh (exponentially distributed).
    pub spike_mean_usd_per_mwh: f64,
    /// Spike half-life, hours.
    pub spike_half_life_hours: f64,
    /// Price cap, USD/MWh.
    pub electricity_cap_usd_per_mwh: f64,
    /// Price floor, USD/MWh.
    pub electricity_floor_usd_per_mwh: f64,
    /// Hour of day at simulation time 0 (for the daily shape).
    pub start_hour_of_day: f64,
    /// Mean GPU rental rate, USD per GPU-hour.
    pub gpu_usd_per_hour: f64,
    /// GPU rate reversion per day.
    pub gpu_reversion_per_day: f64,
    /// GPU rate volatility (log) per √day.
    pub gpu_volatility_per_sqrt_day: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            btc_usd: 95_000.0,
            btc_drift_per_year: 0.0,
            btc_volatility_per_sqrt_year: 0.5,
            btc_jumps_per_year: 6.0,
            btc_jump_sd: 0.06,
            difficulty: 1.1e14,
            height: 880_000,
            blocks_into_epoch: 0,
            hashrate_growth_per_year: 0.4,
            hashrate_volatility_per_sqrt_year: 0.1,
            fees_btc_per_block: 0.03,
            electricity_mean_usd_per_mwh: 27.0,
            electricity_reversion_per_hour: 0.5,
            electricity_volatility_per_sqrt_hour: 6.0,
            spikes_per_day: 0.1,
            spike_mean_usd_per_mwh: 800.0,
            spike_half_life_hours: 0.75,
            electricity_cap_usd_per_mwh: ERCOT_CAP_USD_PER_MWH,
            electricity_floor_usd_per_mwh: -250.0,
            start_hour_of_day: 0.0,
            gpu_usd_per_hour: 2.9,
            gpu_reversion_per_day: 0.05,
            gpu_volatility_per_sqrt_day: 0.02,
        }
    }
}

impl SyntheticConfig {
    /// Checks every field.
    pub fn validated(self) -> Result<SyntheticConfig> {
        // Rates and volatilities have stated bounds, so one step of at most a year draws a
        // bounded number of jumps, blocks and spikes (work per call is what the caller asked).
        check::positive_at_most("btc_usd", self.btc_usd, L::MAX_BTC_USD)?;
        check::in_range("btc_drift_per_year", self.btc_drift_per_year, -10.0, 10.0)?;
        check::in_range("btc_volatility_per_sqrt_year", self.btc_volatility_per_sqrt_year, 0.0, 10.0)?;
        check::in_range("btc_jumps_per_year", self.btc_jumps_per_year, 0.0, 1e4)?;
        check::in_range("btc_jump_sd", self.btc_jump_sd, 0.0, 10.0)?;
        check::in_range("difficulty", self.difficulty, L::MIN_DIFFICULTY, L::MAX_DIFFICULTY)?;
        if self.blocks_into_epoch >= RETARGET_BLOCKS {
            return Err(Error::invalid_input("blocks_into_epoch", "must be < 2016"));
        }
        check::in_range("hashrate_growth_per_year", self.hashrate_growth_per_year, -10.0, 10.0)?;
        check::in_range("hashrate_volatility_per_sqrt_year", self.hashrate_volatility_per_sqrt_year, 0.0, 10.0)?;
        check::in_range("fees_btc_per_block", self.fees_btc_per_block, 0.0, L::MAX_FEES_BTC_PER_BLOCK)?;
        check::in_range("electricity_mean_usd_per_mwh", self.electricity_mean_usd_per_mwh, -1e6, 1e6)?;
        check::in_range("electricity_reversion_per_hour", self.electricity_reversion_per_hour, 1e-9, 1e3)?;
        check::in_range("electricity_volatility_per_sqrt_hour", self.electricity_volatility_per_sqrt_hour, 0.0, 1e6)?;
        check::in_range("spikes_per_day", self.spikes_per_day, 0.0, 1e3)?;
        check::in_range("spike_mean_usd_per_mwh", self.spike_mean_usd_per_mwh, 0.0, 1e6)?;
        check::in_range("spike_half_life_hours", self.spike_half_life_hours, 1e-3, 1e6)?;
        check::in_range("electricity_floor_usd_per_mwh", self.electricity_floor_usd_per_mwh, -1e6, 1e6)?;
        check::in_range(
            "electricity_cap_usd_per_mwh",
            self.electricity_cap_usd_per_mwh,
            self.electricity_floor_usd_per_mwh,
            1e6,
        )?;
        check::in_range_half_open("start_hour_of_day", self.start_hour_of_day, 0.0, 24.0)?;
        check::positive_at_most("gpu_usd_per_hour", self.gpu_usd_per_hour, L::MAX_GPU_USD_PER_HOUR)?;
        check::in_range("gpu_reversion_per_day", self.gpu_reversion_per_day, 0.0, 1e3)?;
        check::in_range("gpu_volatility_per_sqrt_day", self.gpu_volatility_per_sqrt_day, 0.0, 10.0)?;
        Ok(self)
    }
}

/// The synthetic market's state; [`SyntheticMarket::step`] advances it.
///
/// ```
/// use hcpcore::sim::market::synthetic::{SyntheticConfig, SyntheticMarket};
/// let mut a = SyntheticMarket::new(SyntheticConfig::default(), 42).unwrap();
/// let mut b = SyntheticMarket::new(SyntheticConfig::default(), 42).unwrap();
/// let (x, y) = (a.series(100, 60.0).unwrap(), b.series(100, 60.0).unwrap());
/// assert_eq!(x, y); // same seed, bit-identical
/// ```
#[derive(Debug, Clone)]
pub struct SyntheticMarket {
    config: SyntheticConfig,
    rng: SimRng,
    time_seconds: f64,
    btc_usd: f64,
    network_hashrate_hs: f64,
    difficulty: f64,
    height: u64,
    epoch_blocks: u64,
    epoch_start_seconds: f64,
    deviation: f64,
    spike: f64,
    gpu_log_deviation: f64,
}

impl SyntheticMarket {
    /// A market at time 0 from `config`, seeded.
    pub fn new(config: SyntheticConfig, seed: u64) -> Result<SyntheticMarket> {
        let c = config.validated()?;
        // The epoch began as long ago as its blocks took at 10-minute spacing.
        let epoch_start = -(c.blocks_into_epoch as f64) * BLOCK_INTERVAL_SECONDS;
        Ok(SyntheticMarket {
            rng: SimRng::new(seed, 0x003A_2CE7),
            time_seconds: 0.0,
            btc_usd: c.btc_usd,
            network_hashrate_hs: c.difficulty * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL_SECONDS,
            difficulty: c.difficulty,
            height: c.height,
            epoch_blocks: c.blocks_into_epoch,
            epoch_start_seconds: epoch_start,
            deviation: 0.0,
            spike: 0.0,
            gpu_log_deviation: 0.0,
            config: c,
        })
    }

    /// The current point.
    pub fn point(&self) -> MarketPoint {
        let c = &self.config;
        let hour = ((c.start_hour_of_day + self.time_seconds / 3600.0) % 24.0 + 24.0) % 24.0;
        let shape = ERCOT_HOURLY_SHAPE[(hour as usize).min(23)];
        let price = (c.electricity_mean_usd_per_mwh * shape + self.deviation + self.spike)
            .clamp(c.electricity_floor_usd_per_mwh, c.electricity_cap_usd_per_mwh);
        MarketPoint {
            time_seconds: self.time_seconds,
            btc_usd: self.btc_usd,
            difficulty: self.difficulty,
            height: self.height,
            fees_btc_per_block: c.fees_btc_per_block,
            electricity_usd_per_mwh: price,
            gpu_usd_per_hour: c.gpu_usd_per_hour * self.gpu_log_deviation.exp(),
        }
    }

    /// Advances `dt_seconds` and returns the new point.
    pub fn step(&mut self, dt_seconds: f64) -> Result<MarketPoint> {
        let dt = check::in_range("dt_seconds", dt_seconds, L::MIN_DT_SECONDS, L::MAX_DT_SECONDS)?;
        let c = self.config.clone();
        let years = dt / SECONDS_PER_YEAR;
        // BTC: exact GBM step plus a compound-Poisson jump term.
        let sigma = c.btc_volatility_per_sqrt_year;
        let mut log_step =
            (c.btc_drift_per_year - 0.5 * sigma * sigma) * years + sigma * years.sqrt() * self.rng.normal();
        let jumps = self.rng.poisson(c.btc_jumps_per_year * years);
        for _ in 0..jumps {
            log_step += c.btc_jump_sd * self.rng.normal();
        }
        self.btc_usd *= log_step.exp();
        // Network hashrate (log random walk with drift), blocks found, retargets.
        let hs = c.hashrate_volatility_per_sqrt_year;
        self.network_hashrate_hs *=
            ((c.hashrate_growth_per_year - 0.5 * hs * hs) * years + hs * years.sqrt() * self.rng.normal()).exp();
        let expected_blocks = self.network_hashrate_hs * dt / (self.difficulty * HASHES_PER_DIFFICULTY);
        let blocks = self.rng.poisson(expected_blocks);
        // Only the blocks that close a retarget epoch matter one by one: visit those (block
        // `i` of the step, counting from 0), not every block.
        let mut i = RETARGET_BLOCKS - self.epoch_blocks - 1;
        while i < blocks {
            // The block's time within the step, assuming blocks spread evenly over it.
            let t_block = self.time_seconds + dt * (i + 1) as f64 / blocks as f64;
            let actual = (t_block - self.epoch_start_seconds).max(1.0);
            let target = RETARGET_BLOCKS as f64 * BLOCK_INTERVAL_SECONDS;
            self.difficulty *= (target / actual).clamp(0.25, 4.0);
            self.epoch_start_seconds = t_block;
            i += RETARGET_BLOCKS;
        }
        self.height += blocks;
        self.epoch_blocks = (self.epoch_blocks + blocks) % RETARGET_BLOCKS;
        // Electricity: exact OU step of the deviation, spikes decaying exponentially.
        let hours = dt / 3600.0;
        let k = c.electricity_reversion_per_hour;
        let decay = (-k * hours).exp();
        let sd = c.electricity_volatility_per_sqrt_hour * ((1.0 - decay * decay) / (2.0 * k)).sqrt();
        self.deviation = self.deviation * decay + sd * self.rng.normal();
        self.spike *= (-(std::f64::consts::LN_2) * hours / c.spike_half_life_hours).exp();
        let onsets = self.rng.poisson(c.spikes_per_day * dt / 86_400.0);
        for _ in 0..onsets {
            self.spike += self.rng.exponential(c.spike_mean_usd_per_mwh);
        }
        // GPU rate: log-OU.
        let days = dt / 86_400.0;
        let g = c.gpu_reversion_per_day;
        let gsd = if g > 0.0 {
            let gd = (-g * days).exp();
            self.gpu_log_deviation *= gd;
            c.gpu_volatility_per_sqrt_day * ((1.0 - gd * gd) / (2.0 * g)).sqrt()
        } else {
            c.gpu_volatility_per_sqrt_day * days.sqrt()
        };
        self.gpu_log_deviation += gsd * self.rng.normal();
        self.time_seconds += dt;
        // Documented rule: a path that leaves the stated ranges (BTC price ≤ 10^9 USD, difficulty
        // in [1, 10^30]) ends the series with an error rather than carry inf/NaN onwards.
        let in_range = self.btc_usd > 0.0
            && self.btc_usd <= L::MAX_BTC_USD
            && (L::MIN_DIFFICULTY..=L::MAX_DIFFICULTY).contains(&self.difficulty)
            && self.network_hashrate_hs.is_finite()
            && self.gpu_log_deviation.is_finite()
            && (self.deviation + self.spike).is_finite();
        if !in_range {
            return Err(Error::invalid_input(
                "dt_seconds",
                format!(
                    "the synthetic market left its stated range at t = {} s (BTC {} USD, difficulty {}); \
                     lower the drift, volatility or growth, or the horizon",
                    self.time_seconds, self.btc_usd, self.difficulty
                ),
            ));
        }
        Ok(self.point())
    }

    /// `steps` points, the first at the current time, each `dt_seconds` apart.
    pub fn series(&mut self, steps: usize, dt_seconds: f64) -> Result<MarketSeries> {
        // A token nobody else holds is never cancelled, so the series is always complete.
        self.series_cancellable(steps, dt_seconds, &CancelToken::new()).map(Option::unwrap_or_default)
    }

    /// [`series`](SyntheticMarket::series), checking `cancel` before each step: `None` when it
    /// was set before the last one (the market has then moved on by the steps taken).
    ///
    /// ```
    /// use hcpcore::{cancel::CancelToken, sim::{SyntheticConfig, SyntheticMarket}};
    /// let mut market = SyntheticMarket::new(SyntheticConfig::default(), 7).unwrap();
    /// let cancel = CancelToken::new();
    /// assert_eq!(market.series_cancellable(24, 3600.0, &cancel).unwrap().unwrap().len(), 24);
    /// cancel.cancel();
    /// assert!(market.series_cancellable(1 << 20, 3600.0, &cancel).unwrap().is_none());
    /// ```
    pub fn series_cancellable(
        &mut self,
        steps: usize,
        dt_seconds: f64,
        cancel: &CancelToken,
    ) -> Result<Option<MarketSeries>> {
        check::in_range("dt_seconds", dt_seconds, L::MIN_DT_SECONDS, L::MAX_DT_SECONDS)?;
        L::count("steps", steps as i128, L::MAX_STEPS)?;
        let mut s = MarketSeries::default();
        if steps == 0 {
            return Ok(Some(s));
        }
        s.push(&self.point());
        for _ in 1..steps {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            let p = self.step(dt_seconds)?;
            s.push(&p);
        }
        Ok(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_retargets_toward_ten_minute_blocks() {
        // Hashrate 40 %/yr above the difficulty's: every retarget raises difficulty.
        let config = SyntheticConfig { hashrate_volatility_per_sqrt_year: 0.0, ..Default::default() };
        let mut m = SyntheticMarket::new(config, 1).unwrap();
        let s = m.series(365 * 24, 3600.0).unwrap();
        let d0 = s.difficulty[0];
        let d1 = *s.difficulty.last().unwrap();
        let growth = (d1 / d0).ln();
        assert!(growth > 0.25 && growth < 0.45, "{growth}");
        let blocks = s.height.last().unwrap() - s.height[0];
        // A year of blocks at 10 minutes is 52,560; faster with rising hashrate.
        assert!(blocks > 52_560 && blocks < 60_000, "{blocks}");
    }

    #[test]
    fn electricity_spikes_stay_within_the_cap_and_mean_is_near_ercot() {
        let mut m = SyntheticMarket::new(SyntheticConfig::default(), 9).unwrap();
        let s = m.series(4 * 24 * 365, 900.0).unwrap();
        let p = &s.electricity_usd_per_mwh;
        assert!(p.iter().all(|x| *x <= ERCOT_CAP_USD_PER_MWH && *x >= -250.0));
        let mean = p.iter().sum::<f64>() / p.len() as f64;
        assert!(mean > 20.0 && mean < 60.0, "{mean}");
        assert!(p.iter().any(|x| *x > 500.0));
    }
}
