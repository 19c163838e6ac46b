//! Market series for simulations: synthetic and seeded ([`synthetic`]) or replayed from the real
//! history in `data/market/` ([`replay`]), both sampled into the same columnar [`MarketSeries`].

pub mod replay;
pub mod synthetic;

use serde::{Deserialize, Serialize};

use crate::econ::{Fees, Market};
use crate::Result;

/// Prices at one instant of a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MarketPoint {
    /// Simulation time, s.
    pub time_seconds: f64,
    /// BTC price, USD.
    pub btc_usd: f64,
    /// Network difficulty.
    pub difficulty: f64,
    /// Block height.
    pub height: u64,
    /// Average transaction fees per block, BTC.
    pub fees_btc_per_block: f64,
    /// Real-time electricity price, USD/MWh (may be negative).
    pub electricity_usd_per_mwh: f64,
    /// GPU rental rate, USD per GPU-hour.
    pub gpu_usd_per_hour: f64,
}

impl MarketPoint {
    /// The `econ` snapshot of this point. Electricity below zero is floored at zero, since
    /// `econ::Market` prices energy as a cost paid.
    pub fn to_market(&self) -> Result<Market> {
        Market::new(
            self.btc_usd,
            self.difficulty,
            self.height,
            Fees::BtcPerBlock(self.fees_btc_per_block),
            (self.electricity_usd_per_mwh / 1000.0).max(0.0),
            self.gpu_usd_per_hour,
            0.0,
        )
    }
}

/// A market sampled at regular steps, as columns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MarketSeries {
    /// Simulation time, s.
    pub time_seconds: Vec<f64>,
    /// BTC price, USD.
    pub btc_usd: Vec<f64>,
    /// Network difficulty.
    pub difficulty: Vec<f64>,
    /// Block height.
    pub height: Vec<u64>,
    /// Fees per block, BTC.
    pub fees_btc_per_block: Vec<f64>,
    /// Electricity, USD/MWh.
    pub electricity_usd_per_mwh: Vec<f64>,
    /// GPU rental, USD per GPU-hour.
    pub gpu_usd_per_hour: Vec<f64>,
}

impl MarketSeries {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.time_seconds.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.time_seconds.is_empty()
    }

    /// Appends a point.
    pub fn push(&mut self, p: &MarketPoint) {
        self.time_seconds.push(p.time_seconds);
        self.btc_usd.push(p.btc_usd);
        self.difficulty.push(p.difficulty);
        self.height.push(p.height);
        self.fees_btc_per_block.push(p.fees_btc_per_block);
        self.electricity_usd_per_mwh.push(p.electricity_usd_per_mwh);
        self.gpu_usd_per_hour.push(p.gpu_usd_per_hour);
    }

    /// The point at index `i` (the last one past the end; `None` when empty).
    pub fn point(&self, i: usize) -> Option<MarketPoint> {
        let i = i.min(self.len().checked_sub(1)?);
        Some(MarketPoint {
            time_seconds: self.time_seconds[i],
            btc_usd: self.btc_usd[i],
            difficulty: self.difficulty[i],
            height: self.height[i],
            fees_btc_per_block: self.fees_btc_per_block[i],
            electricity_usd_per_mwh: self.electricity_usd_per_mwh[i],
            gpu_usd_per_hour: self.gpu_usd_per_hour[i],
        })
    }
}
