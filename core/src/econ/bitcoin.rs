//! Bitcoin mining maths: subsidy, network hashrate, hashprice, a miner's day, break-evens.
//!
//! Formulas and sources are in `data/README.md`. Everything here is pure and allocation-free;
//! inputs arrive validated (a [`Market`] cannot hold a NaN), and per-call arguments are checked.

use serde::{Deserialize, Serialize};

use super::market::{Fees, Market};
use super::models::{DeviceKind, DeviceModel};
use crate::error::check;
use crate::{Error, Result};

/// Satoshis per bitcoin.
pub const SATS_PER_BTC: u64 = 100_000_000;
/// Blocks between halvings.
pub const HALVING_INTERVAL_BLOCKS: u64 = 210_000;
/// `2^32`: expected hashes per unit of difficulty.
pub const HASHES_PER_DIFFICULTY: f64 = 4_294_967_296.0;
/// Target block interval, s.
pub const BLOCK_INTERVAL_SECONDS: f64 = 600.0;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// Block subsidy in satoshis at `height`, exactly as Bitcoin Core's `GetBlockSubsidy`:
/// `50 BTC >> (height / 210,000)`, zero from the 64th halving on.
///
/// ```
/// use hcpcore::econ::block_subsidy_sats;
/// assert_eq!(block_subsidy_sats(839_999), 625_000_000);
/// assert_eq!(block_subsidy_sats(840_000), 312_500_000);
/// assert_eq!(block_subsidy_sats(6_930_000), 0);
/// ```
pub fn block_subsidy_sats(height: u64) -> u64 {
    let halvings = height / HALVING_INTERVAL_BLOCKS;
    if halvings >= 64 {
        0
    } else {
        (50 * SATS_PER_BTC) >> halvings
    }
}

/// Block subsidy in BTC at `height` (see [`block_subsidy_sats`]).
///
/// ```
/// assert_eq!(hcpcore::econ::block_subsidy_btc(840_000), 3.125);
/// ```
pub fn block_subsidy_btc(height: u64) -> f64 {
    block_subsidy_sats(height) as f64 / SATS_PER_BTC as f64
}

/// Network hashrate implied by a difficulty, H/s: `D · 2^32 / 600`.
///
/// ```
/// let hs = hcpcore::econ::network_hashrate_hs(1e14).unwrap();
/// assert!((hs - 7.158e20).abs() / hs < 1e-3);
/// assert!(hcpcore::econ::network_hashrate_hs(0.0).is_err());
/// ```
pub fn network_hashrate_hs(difficulty: f64) -> Result<f64> {
    let d = check::in_range("difficulty", difficulty, crate::limits::MIN_DIFFICULTY, crate::limits::MAX_DIFFICULTY)?;
    Ok(d * HASHES_PER_DIFFICULTY / BLOCK_INTERVAL_SECONDS)
}

/// Total expected reward of one block in BTC: subsidy plus fees. With a fee share `f` the total is
/// `subsidy / (1 - f)`.
pub fn block_reward_btc(market: &Market) -> f64 {
    let subsidy = block_subsidy_btc(market.height());
    match market.fees() {
        Fees::BtcPerBlock(fees) => subsidy + fees,
        Fees::Share(share) => subsidy / (1.0 - share),
    }
}

/// Expected blocks per day found by `hashes_per_second` at difficulty `D`: `h · 86,400 / (D · 2^32)`.
fn expected_blocks_per_day(hashes_per_second: f64, difficulty: f64) -> f64 {
    hashes_per_second * SECONDS_PER_DAY / (difficulty * HASHES_PER_DIFFICULTY)
}

/// Expected BTC per day for a hashrate in TH/s, before pool fees.
///
/// ```
/// # use hcpcore::econ::{Market, Fees};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let btc = hcpcore::econ::expected_btc_per_day(200.0, &m).unwrap();
/// assert!((btc - 0.000_125_7).abs() < 1e-7);
/// ```
pub fn expected_btc_per_day(hashrate_ths: f64, market: &Market) -> Result<f64> {
    let ths = check::in_range("hashrate_ths", hashrate_ths, 0.0, crate::limits::MAX_HASHRATE_THS)?;
    Ok(expected_blocks_per_day(ths * 1e12, market.difficulty()) * block_reward_btc(market))
}

/// Hashprice: expected BTC earned by 1 PH/s in a day.
pub fn hashprice_btc_per_ph_day(market: &Market) -> f64 {
    expected_blocks_per_day(1e15, market.difficulty()) * block_reward_btc(market)
}

/// Hashprice: expected BTC earned by 1 TH/s in a day.
pub fn hashprice_btc_per_th_day(market: &Market) -> f64 {
    hashprice_btc_per_ph_day(market) / 1000.0
}

/// Hashprice as the Luxor Hashrate Index defines it: expected USD value of 1 PH/s per day.
///
/// The worked example of `data/README.md`: D = 1e14, BTC = $100,000, 3.125 BTC, no fees.
/// ```
/// # use hcpcore::econ::{Market, Fees};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.0, 0.0, 0.0).unwrap();
/// let hp = hcpcore::econ::hashprice_usd_per_ph_day(&m);
/// assert!((hp - 62.86).abs() < 0.005);
/// ```
pub fn hashprice_usd_per_ph_day(market: &Market) -> f64 {
    hashprice_btc_per_ph_day(market) * market.btc_usd()
}

/// Hashprice in USD per TH/s per day.
pub fn hashprice_usd_per_th_day(market: &Market) -> f64 {
    hashprice_usd_per_ph_day(market) / 1000.0
}

/// Terms a miner operates under: the pool's fee and the site's PUE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MiningTerms {
    /// Pool fee as a fraction of revenue, in `[0, 1)`.
    pub pool_fee: f64,
    /// Power usage effectiveness (facility power / device power), ≥ 1.
    pub pue: f64,
}

impl Default for MiningTerms {
    fn default() -> Self {
        MiningTerms { pool_fee: 0.0, pue: 1.0 }
    }
}

impl MiningTerms {
    /// Validated terms.
    pub fn new(pool_fee: f64, pue: f64) -> Result<MiningTerms> {
        MiningTerms { pool_fee, pue }.validated()
    }

    /// Checks `pool_fee ∈ [0, 1)` and `pue ∈ [1, 10]`.
    pub fn validated(self) -> Result<MiningTerms> {
        check::in_range_half_open("pool_fee", self.pool_fee, 0.0, 1.0)?;
        check::in_range("pue", self.pue, 1.0, 10.0)?;
        Ok(self)
    }
}

/// One miner's expected day at a market.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MinerDaily {
    /// BTC mined, after the pool fee.
    pub btc: f64,
    /// Revenue in USD, after the pool fee.
    pub revenue_usd: f64,
    /// Facility energy in kWh (device power × 24 h × PUE).
    pub energy_kwh: f64,
    /// Cost of that energy in USD.
    pub energy_cost_usd: f64,
    /// `revenue_usd - energy_cost_usd`.
    pub profit_usd: f64,
}

fn require_asic(model: &DeviceModel) -> Result<()> {
    match model.kind {
        DeviceKind::Asic if model.hashrate_ths > 0.0 && model.power_watts > 0.0 => Ok(()),
        DeviceKind::Asic => {
            Err(Error::invalid_input("model", format!("{} has no positive hashrate/power", model.name)))
        }
        DeviceKind::Gpu => Err(Error::invalid_input("model", format!("{} is a GPU, not a mining ASIC", model.name))),
    }
}

/// A miner's expected day: BTC, revenue, energy, cost and profit.
///
/// ```
/// # use hcpcore::econ::{Market, Fees, MiningTerms, models};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let day = hcpcore::econ::miner_daily(&models::S21(), &m, MiningTerms::default()).unwrap();
/// assert!((day.revenue_usd - 12.57).abs() < 0.01);      // 0.2 PH/s × $62.86
/// assert!((day.energy_cost_usd - 4.20).abs() < 1e-9);   // 3.5 kW × 24 h × $0.05
/// ```
pub fn miner_daily(model: &DeviceModel, market: &Market, terms: MiningTerms) -> Result<MinerDaily> {
    require_asic(model)?;
    let terms = terms.validated()?;
    let btc = expected_btc_per_day(model.hashrate_ths, market)? * (1.0 - terms.pool_fee);
    let revenue_usd = btc * market.btc_usd();
    let energy_kwh = model.power_watts * 24.0 / 1000.0 * terms.pue;
    let energy_cost_usd = energy_kwh * market.electricity_usd_per_kwh();
    Ok(MinerDaily { btc, revenue_usd, energy_kwh, energy_cost_usd, profit_usd: revenue_usd - energy_cost_usd })
}

/// Efficiency of a miner, J/TH.
pub fn joules_per_th(model: &DeviceModel) -> Result<f64> {
    require_asic(model)?;
    Ok(model.joules_per_th())
}

/// Electricity price (USD/kWh) at which a miner's expected profit is zero:
/// `hashprice_usd_per_th_day · (1 − pool_fee) / (J/TH · 24 / 1000 · PUE)`.
///
/// ```
/// # use hcpcore::econ::{Market, Fees, MiningTerms, models};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let be = hcpcore::econ::miner_breakeven_usd_per_kwh(&models::S21(), &m, MiningTerms::default()).unwrap();
/// assert!((be - 0.14967).abs() < 1e-4);
/// ```
pub fn miner_breakeven_usd_per_kwh(model: &DeviceModel, market: &Market, terms: MiningTerms) -> Result<f64> {
    require_asic(model)?;
    let terms = terms.validated()?;
    Ok(hashprice_usd_per_th_day(market) * (1.0 - terms.pool_fee) / (model.joules_per_th() * 24.0 / 1000.0 * terms.pue))
}

/// Hashcost: the hashprice (USD per TH/s per day) at which a miner breaks even at the market's
/// electricity price — its energy cost per TH/day grossed up for the pool fee.
pub fn hashcost_usd_per_th_day(model: &DeviceModel, market: &Market, terms: MiningTerms) -> Result<f64> {
    require_asic(model)?;
    let terms = terms.validated()?;
    Ok(model.joules_per_th() * 24.0 / 1000.0 * terms.pue * market.electricity_usd_per_kwh() / (1.0 - terms.pool_fee))
}

/// BTC price at which a miner's expected profit is zero (fees scale with the price, so revenue is
/// proportional to it). Zero when electricity is free.
pub fn breakeven_btc_usd(model: &DeviceModel, market: &Market, terms: MiningTerms) -> Result<f64> {
    let day = miner_daily(model, market, terms)?;
    if day.energy_cost_usd == 0.0 {
        return Ok(0.0);
    }
    if day.btc <= 0.0 {
        return Err(Error::invalid_input(
            "height",
            "no block reward at this height and fee level: mining earns nothing at any BTC price",
        ));
    }
    Ok(day.energy_cost_usd / day.btc)
}

/// Days until a hardware purchase (≤ 10^12 USD) is paid back by a daily profit (|·| ≤ 10^12
/// USD); `None` if it never is, or not within 10^6 days (the result stays finite).
///
/// ```
/// assert_eq!(hcpcore::econ::payback_days(3000.0, 10.0).unwrap(), Some(300.0));
/// assert_eq!(hcpcore::econ::payback_days(3000.0, -1.0).unwrap(), None);
/// ```
pub fn payback_days(hardware_usd: f64, profit_usd_per_day: f64) -> Result<Option<f64>> {
    let price = check::in_range("hardware_usd", hardware_usd, 0.0, 1e12)?;
    let profit = check::in_range("profit_usd_per_day", profit_usd_per_day, -1e12, 1e12)?;
    Ok((profit > 0.0).then(|| price / profit).filter(|d| *d <= 1e6))
}

/// Return on investment over `days` (≤ 10^6): `(profit · days − price) / price`, for a price in
/// [0.01, 10^12] USD and a daily profit with |·| ≤ 10^12 USD (so the result is finite).
///
/// ```
/// assert_eq!(hcpcore::econ::roi(1000.0, 5.0, 400.0).unwrap(), 1.0);
/// ```
pub fn roi(hardware_usd: f64, profit_usd_per_day: f64, days: f64) -> Result<f64> {
    let price = check::in_range("hardware_usd", hardware_usd, 0.01, 1e12)?;
    let profit = check::in_range("profit_usd_per_day", profit_usd_per_day, -1e12, 1e12)?;
    let days = check::in_range("days", days, 0.0, 1e6)?;
    Ok((profit * days - price) / price)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::models;

    fn market(fees: Fees) -> Market {
        Market::new(1e5, 1e14, 840_000, fees, 0.05, 0.0, 0.0).unwrap()
    }

    #[test]
    fn subsidy_halves_at_the_boundaries() {
        assert_eq!(block_subsidy_sats(0), 5_000_000_000);
        assert_eq!(block_subsidy_sats(209_999), 5_000_000_000);
        assert_eq!(block_subsidy_sats(210_000), 2_500_000_000);
        assert_eq!(block_subsidy_sats(13_229_999), 0); // 62nd epoch: 5e9 >> 62 == 0 already
        assert_eq!(block_subsidy_sats(u64::MAX), 0);
    }

    #[test]
    fn fee_share_and_fees_per_block_agree() {
        // 0.5 BTC fees on 3.125 subsidy is a share of 0.5 / 3.625.
        let a = hashprice_usd_per_ph_day(&market(Fees::BtcPerBlock(0.5)));
        let b = hashprice_usd_per_ph_day(&market(Fees::Share(0.5 / 3.625)));
        assert!((a - b).abs() < 1e-9 * a);
    }

    #[test]
    fn breakevens_zero_the_profit() {
        let m = market(Fees::Share(0.03));
        let terms = MiningTerms::new(0.02, 1.1).unwrap();
        let s21 = models::S21();
        let be = miner_breakeven_usd_per_kwh(&s21, &m, terms).unwrap();
        let at_be = miner_daily(&s21, &m.with_electricity_usd_per_kwh(be).unwrap(), terms).unwrap();
        assert!(at_be.profit_usd.abs() < 1e-9);
        let btc_be = breakeven_btc_usd(&s21, &m, terms).unwrap();
        let at_btc = miner_daily(&s21, &m.with_btc_usd(btc_be).unwrap(), terms).unwrap();
        assert!(at_btc.profit_usd.abs() < 1e-9);
        let hc = hashcost_usd_per_th_day(&s21, &m, terms).unwrap();
        let day = miner_daily(&s21, &m, terms).unwrap();
        assert!((hc * s21.hashrate_ths - day.energy_cost_usd / (1.0 - terms.pool_fee)).abs() < 1e-9);
    }

    #[test]
    fn gpu_is_not_a_miner() {
        let e = miner_daily(&models::H100_SXM(), &market(Fees::BtcPerBlock(0.0)), MiningTerms::default()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
    }
}
