//! Currencies and the one rounding step every amount goes through.
//!
//! Each invoice line is computed exactly, then rounded **once** to the currency's minor unit; the
//! unrounded ("precise") amount is kept beside it. The default rule is half away from zero (what
//! Lago and Stripe use for invoice amounts); banker's rounding (half to even) is selectable per
//! plan for finance teams whose ledgers require it.

use crate::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A currency: ISO 4217 code and number of decimals of its minor unit.
///
/// ```
/// use hcpcore::billing::Currency;
/// assert_eq!(Currency::from_code("JPY").unwrap().minor_units, 0);
/// assert_eq!(Currency::from_code("usd").unwrap().minor_units, 2);
/// assert_eq!(Currency::from_code("KWD").unwrap().minor_units, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// Upper-case code, e.g. `"USD"`.
    pub code: String,
    /// Decimals of the minor unit (0 for JPY, 2 for USD, 3 for KWD).
    pub minor_units: u32,
}

const ZERO_DECIMALS: &[&str] =
    &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const TWO_DECIMALS: &[&str] = &[
    "AED", "ARS", "AUD", "BRL", "CAD", "CHF", "CNY", "COP", "CZK", "DKK", "EGP", "EUR", "GBP", "HKD", "HUF", "IDR",
    "ILS", "INR", "MXN", "MYR", "NGN", "NOK", "NZD", "PHP", "PLN", "QAR", "RON", "SAR", "SEK", "SGD", "THB", "TRY",
    "TWD", "UAH", "USD", "ZAR",
];

impl Currency {
    /// A known ISO 4217 code (case-insensitive), or `BTC` (8 decimals, satoshi). Others are
    /// `InvalidInput`; use [`Currency::custom`] for them.
    pub fn from_code(code: &str) -> Result<Self> {
        let upper = code.to_ascii_uppercase();
        let minor_units = if ZERO_DECIMALS.contains(&upper.as_str()) {
            0
        } else if THREE_DECIMALS.contains(&upper.as_str()) {
            3
        } else if TWO_DECIMALS.contains(&upper.as_str()) {
            2
        } else if upper == "BTC" {
            8
        } else {
            return Err(Error::invalid_input(
                "currency",
                format!("unknown currency {code:?}; give {{\"code\": …, \"minor_units\": n}} for others"),
            ));
        };
        Ok(Currency { code: upper, minor_units })
    }

    /// Any code with an explicit number of decimals (0 to 8).
    pub fn custom(code: &str, minor_units: u32) -> Result<Self> {
        if code.is_empty() || code.len() > 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid_input("currency.code", format!("must be 1-8 letters or digits, got {code:?}")));
        }
        if minor_units > 8 {
            return Err(Error::invalid_input("currency.minor_units", format!("must be 0..=8, got {minor_units}")));
        }
        Ok(Currency { code: code.to_ascii_uppercase(), minor_units })
    }

    /// From JSON: a code string or `{"code": …, "minor_units": n}`.
    pub(crate) fn from_json(value: &Value) -> Result<Self> {
        match value {
            Value::String(code) => Currency::from_code(code),
            Value::Object(_) => {
                let f = crate::billing::num::Fields::new("currency", value)?;
                f.only(&["code", "minor_units"])?;
                let minor = f
                    .opt_count("minor_units")?
                    .ok_or_else(|| Error::invalid_input("currency.minor_units", "required"))?;
                Currency::custom(f.str("code")?, u32::try_from(minor).unwrap_or(u32::MAX))
            }
            other => Err(Error::invalid_input(
                "currency",
                format!("expected a code or object, got {}", super::num::kind(other)),
            )),
        }
    }
}

/// How a precise amount is rounded to the minor unit.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 0.5 goes away from zero (2.345 → 2.35, −2.345 → −2.35). The default.
    #[default]
    HalfAwayFromZero,
    /// Banker's rounding: 0.5 goes to the even neighbour (2.345 → 2.34, 2.355 → 2.36).
    HalfEven,
}

impl Rounding {
    /// Parses `"half_away_from_zero"` or `"half_even"` (alias `"bankers"`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "half_away_from_zero" | "half_up" => Ok(Rounding::HalfAwayFromZero),
            "half_even" | "bankers" => Ok(Rounding::HalfEven),
            other => Err(Error::invalid_input(
                "rounding",
                format!("unknown rule {other:?}; expected \"half_away_from_zero\" or \"half_even\""),
            )),
        }
    }

    /// Rounds `amount` to `currency`'s minor unit.
    ///
    /// ```
    /// use hcpcore::billing::{Currency, Rounding};
    /// use rust_decimal::Decimal;
    /// let usd = Currency::from_code("USD").unwrap();
    /// let x: Decimal = "2.345".parse().unwrap();
    /// assert_eq!(Rounding::HalfAwayFromZero.round(x, &usd).to_string(), "2.35");
    /// assert_eq!(Rounding::HalfEven.round(x, &usd).to_string(), "2.34");
    /// ```
    pub fn round(self, amount: Decimal, currency: &Currency) -> Decimal {
        let strategy = match self {
            Rounding::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        let mut rounded = amount.round_dp_with_strategy(currency.minor_units, strategy);
        // Always show the currency's scale ("5.00", not "5") so every language prints the same text.
        rounded.rescale(currency.minor_units);
        rounded
    }
}
