//! One market snapshot: every price an hcp decision depends on at an instant.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::limits as L;
use crate::{Error, Result};

/// How the market states transaction fees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fees {
    /// Average fees per block, in BTC.
    BtcPerBlock(f64),
    /// Fee share of the total block reward, `fees / (subsidy + fees)`, in `[0, 1)`, as published
    /// by Hashrate Index and Braiins: the total reward is then `subsidy / (1 - share)`.
    Share(f64),
}

/// A validated market snapshot. Build it with [`Market::new`] or [`Market::builder`]; once built,
/// every field is finite and in range, so the maths on it never yields NaN.
///
/// ```
/// use hcpcore::econ::{Fees, Market};
/// let m = Market::builder()
///     .btc_usd(100_000.0)
///     .difficulty(1e14)
///     .height(840_000)
///     .fees(Fees::BtcPerBlock(0.0))
///     .electricity_usd_per_kwh(0.05)
///     .build()
///     .unwrap();
/// assert_eq!(m.btc_usd(), 100_000.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MarketFields", into = "MarketFields")]
pub struct Market {
    btc_usd: f64,
    difficulty: f64,
    height: u64,
    fees: Fees,
    electricity_usd_per_kwh: f64,
    gpu_usd_per_hour: f64,
    usd_per_million_tokens: f64,
}

/// The plain fields of a [`Market`], as read from JSON or a binding's keyword arguments.
/// Exactly one of `fees_btc_per_block` and `fee_share` may be set (neither means no fees).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketFields {
    /// BTC price in USD.
    pub btc_usd: f64,
    /// Network difficulty.
    pub difficulty: f64,
    /// Block height (sets the subsidy). Signed so that a negative height is reported, not wrapped.
    pub height: i64,
    /// Average fees per block in BTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees_btc_per_block: Option<f64>,
    /// Fee share of the total reward, in `[0, 1)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_share: Option<f64>,
    /// All-in electricity price in USD per kWh.
    #[serde(default)]
    pub electricity_usd_per_kwh: f64,
    /// GPU rental rate in USD per GPU-hour.
    #[serde(default)]
    pub gpu_usd_per_hour: f64,
    /// Token price in USD per million tokens.
    #[serde(default)]
    pub usd_per_million_tokens: f64,
}

impl TryFrom<MarketFields> for Market {
    type Error = Error;
    fn try_from(f: MarketFields) -> Result<Market> {
        let fees = match (f.fees_btc_per_block, f.fee_share) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_input(
                    "fees_btc_per_block",
                    "give either fees_btc_per_block or fee_share, not both",
                ))
            }
            (Some(b), None) => Fees::BtcPerBlock(b),
            (None, Some(s)) => Fees::Share(s),
            (None, None) => Fees::BtcPerBlock(0.0),
        };
        Market::new(
            f.btc_usd,
            f.difficulty,
            validate_height(f.height)?,
            fees,
            f.electricity_usd_per_kwh,
            f.gpu_usd_per_hour,
            f.usd_per_million_tokens,
        )
    }
}

impl From<Market> for MarketFields {
    fn from(m: Market) -> MarketFields {
        let (fees_btc_per_block, fee_share) = match m.fees {
            Fees::BtcPerBlock(b) => (Some(b), None),
            Fees::Share(s) => (None, Some(s)),
        };
        MarketFields {
            btc_usd: m.btc_usd,
            difficulty: m.difficulty,
            height: m.height as i64,
            fees_btc_per_block,
            fee_share,
            electricity_usd_per_kwh: m.electricity_usd_per_kwh,
            gpu_usd_per_hour: m.gpu_usd_per_hour,
            usd_per_million_tokens: m.usd_per_million_tokens,
        }
    }
}

/// Checks a block height given as a signed integer (as bindings receive it).
///
/// ```
/// assert_eq!(hcpcore::econ::validate_height(840_000).unwrap(), 840_000);
/// assert!(hcpcore::econ::validate_height(-1).is_err());
/// ```
pub fn validate_height(height: i64) -> Result<u64> {
    u64::try_from(height).map_err(|_| Error::invalid_input("height", format!("must be >= 0, got {height}")))
}

fn validate_fees(fees: Fees) -> Result<Fees> {
    match fees {
        Fees::BtcPerBlock(b) => {
            check::in_range("fees_btc_per_block", b, 0.0, L::MAX_FEES_BTC_PER_BLOCK).map(Fees::BtcPerBlock)
        }
        Fees::Share(s) => check::in_range("fee_share", s, 0.0, L::MAX_FEE_SHARE).map(Fees::Share),
    }
}

impl Market {
    /// A validated snapshot. Every field lies in its stated range (`hcpcore::limits`): BTC price in
    /// (0, 10^9] USD, difficulty in [1, 10^30], fees ≤ 10^4 BTC per block or a fee share in
    /// [0, 0.99], electricity in [0, 10^4] USD/kWh, GPU rate ≤ 10^6 USD/h, tokens ≤ 10^6 USD per
    /// million — inside them every figure hcp derives is finite.
    ///
    /// Electricity is the all-in price paid; real-time wholesale prices that dip below zero are
    /// floored at zero by the caller (see `examples/`), since a negative input here is refused.
    pub fn new(
        btc_usd: f64,
        difficulty: f64,
        height: u64,
        fees: Fees,
        electricity_usd_per_kwh: f64,
        gpu_usd_per_hour: f64,
        usd_per_million_tokens: f64,
    ) -> Result<Market> {
        Ok(Market {
            btc_usd: check::positive_at_most("btc_usd", btc_usd, L::MAX_BTC_USD)?,
            difficulty: check::in_range("difficulty", difficulty, L::MIN_DIFFICULTY, L::MAX_DIFFICULTY)?,
            height,
            fees: validate_fees(fees)?,
            electricity_usd_per_kwh: check::in_range(
                "electricity_usd_per_kwh",
                electricity_usd_per_kwh,
                0.0,
                L::MAX_USD_PER_KWH,
            )?,
            gpu_usd_per_hour: check::in_range("gpu_usd_per_hour", gpu_usd_per_hour, 0.0, L::MAX_GPU_USD_PER_HOUR)?,
            usd_per_million_tokens: check::in_range(
                "usd_per_million_tokens",
                usd_per_million_tokens,
                0.0,
                L::MAX_USD_PER_MILLION_TOKENS,
            )?,
        })
    }

    /// A builder with every optional price at zero and no fees.
    pub fn builder() -> MarketBuilder {
        MarketBuilder::default()
    }

    /// BTC price, USD.
    pub fn btc_usd(&self) -> f64 {
        self.btc_usd
    }
    /// Network difficulty.
    pub fn difficulty(&self) -> f64 {
        self.difficulty
    }
    /// Block height.
    pub fn height(&self) -> u64 {
        self.height
    }
    /// Fees as given.
    pub fn fees(&self) -> Fees {
        self.fees
    }
    /// All-in electricity price, USD per kWh.
    pub fn electricity_usd_per_kwh(&self) -> f64 {
        self.electricity_usd_per_kwh
    }
    /// GPU rental rate, USD per GPU-hour.
    pub fn gpu_usd_per_hour(&self) -> f64 {
        self.gpu_usd_per_hour
    }
    /// Token price, USD per million tokens.
    pub fn usd_per_million_tokens(&self) -> f64 {
        self.usd_per_million_tokens
    }

    /// The same market with another electricity price (validated).
    pub fn with_electricity_usd_per_kwh(mut self, usd_per_kwh: f64) -> Result<Market> {
        self.electricity_usd_per_kwh = check::non_negative("electricity_usd_per_kwh", usd_per_kwh)?;
        Ok(self)
    }

    /// The same market with another BTC price (validated).
    pub fn with_btc_usd(mut self, btc_usd: f64) -> Result<Market> {
        self.btc_usd = check::positive("btc_usd", btc_usd)?;
        Ok(self)
    }

    /// The plain fields, e.g. to serialise or to hand to a binding.
    pub fn fields(&self) -> MarketFields {
        MarketFields::from(*self)
    }
}

/// Builder for [`Market`]; `build` validates.
#[derive(Debug, Clone, Default)]
pub struct MarketBuilder {
    fields: MarketFields,
    fees: Option<Fees>,
}

impl MarketBuilder {
    /// BTC price in USD.
    pub fn btc_usd(mut self, v: f64) -> Self {
        self.fields.btc_usd = v;
        self
    }
    /// Network difficulty.
    pub fn difficulty(mut self, v: f64) -> Self {
        self.fields.difficulty = v;
        self
    }
    /// Block height.
    pub fn height(mut self, v: u64) -> Self {
        self.fields.height = i64::try_from(v).unwrap_or(i64::MAX);
        self
    }
    /// Fees, per block or as a share.
    pub fn fees(mut self, v: Fees) -> Self {
        self.fees = Some(v);
        self
    }
    /// Electricity, USD per kWh.
    pub fn electricity_usd_per_kwh(mut self, v: f64) -> Self {
        self.fields.electricity_usd_per_kwh = v;
        self
    }
    /// GPU rental, USD per GPU-hour.
    pub fn gpu_usd_per_hour(mut self, v: f64) -> Self {
        self.fields.gpu_usd_per_hour = v;
        self
    }
    /// Token price, USD per million tokens.
    pub fn usd_per_million_tokens(mut self, v: f64) -> Self {
        self.fields.usd_per_million_tokens = v;
        self
    }
    /// Validates and builds.
    pub fn build(self) -> Result<Market> {
        let mut m = Market::try_from(self.fields)?;
        if let Some(f) = self.fees {
            m.fees = validate_fees(f)?;
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn fields() -> MarketFields {
        MarketFields { btc_usd: 1e5, difficulty: 1e14, height: 840_000, ..Default::default() }
    }

    #[test]
    fn rejects_bad_fields_naming_them() {
        for (f, name) in [
            (MarketFields { btc_usd: f64::NAN, ..fields() }, "btc_usd"),
            (MarketFields { btc_usd: -1.0, ..fields() }, "btc_usd"),
            (MarketFields { difficulty: 0.0, ..fields() }, "difficulty"),
            (MarketFields { height: -1, ..fields() }, "height"),
            (MarketFields { fee_share: Some(1.0), ..fields() }, "fee_share"),
            (MarketFields { electricity_usd_per_kwh: f64::INFINITY, ..fields() }, "electricity_usd_per_kwh"),
            (MarketFields { gpu_usd_per_hour: -0.1, ..fields() }, "gpu_usd_per_hour"),
        ] {
            let e = Market::try_from(f).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.message().starts_with(name), "{} should name {name}", e.message());
        }
    }

    #[test]
    fn json_round_trip_validates() {
        let m = Market::try_from(MarketFields { fee_share: Some(0.02), ..fields() }).unwrap();
        let s = serde_json::to_string(&m).unwrap();
        let back: Market = serde_json::from_str(&s).unwrap();
        assert_eq!(m, back);
        assert!(serde_json::from_str::<Market>(r#"{"btc_usd":-5,"difficulty":1,"height":1}"#).is_err());
    }
}
