//! The operating terms of a site, shared by every per-device calculation: pool fee, PUE, how a
//! GPU earns (rental utilisation or tokens), and an optional demand-response credit.
//!
//! One struct serves mining and GPU maths alike so that a dispatcher such as
//! [`breakeven_usd_per_kwh`](super::breakeven_usd_per_kwh) takes the same arguments for either kind.

use serde::{Deserialize, Serialize};

use super::bitcoin::MiningTerms;
use crate::error::check;
use crate::Result;

/// Site operating terms. `Terms::default()` is: no pool fee, PUE 1, GPU rented 100 % of the time,
/// no token pricing, no demand-response credit.
///
/// ```
/// let t = hcpcore::econ::Terms { pool_fee: 0.02, pue: 1.1, ..Default::default() }.validated().unwrap();
/// assert_eq!(t.gpu_utilisation, 1.0);
/// assert!(hcpcore::econ::Terms { pue: 0.9, ..Default::default() }.validated().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Terms {
    /// Pool fee as a fraction of mining revenue, in `[0, 1)`.
    pub pool_fee: f64,
    /// Power usage effectiveness (facility power / device power), in `[1, 10]`.
    pub pue: f64,
    /// Fraction of hours a serving GPU is billed (rental) or busy (tokens), in `[0, 1]`.
    /// A serving GPU draws `idle_watts + gpu_utilisation · (power_watts − idle_watts)`.
    pub gpu_utilisation: f64,
    /// When set, a GPU earns from tokens (`tokens/s × $/M tokens`) instead of rental: its
    /// throughput at full load, tokens per second.
    pub tokens_per_second: Option<f64>,
    /// Credit paid for load held off the grid, USD per MWh of curtailed facility load (0 = none).
    pub demand_response_usd_per_mwh: f64,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            pool_fee: 0.0,
            pue: 1.0,
            gpu_utilisation: 1.0,
            tokens_per_second: None,
            demand_response_usd_per_mwh: 0.0,
        }
    }
}

impl Terms {
    /// Checks every field, naming the first one out of range.
    pub fn validated(self) -> Result<Terms> {
        check::in_range_half_open("pool_fee", self.pool_fee, 0.0, 1.0)?;
        check::in_range("pue", self.pue, 1.0, 10.0)?;
        check::in_range("gpu_utilisation", self.gpu_utilisation, 0.0, 1.0)?;
        if let Some(tps) = self.tokens_per_second {
            check::in_range("tokens_per_second", tps, 0.0, crate::limits::MAX_TOKENS_PER_SECOND)?;
        }
        check::in_range(
            "demand_response_usd_per_mwh",
            self.demand_response_usd_per_mwh,
            0.0,
            crate::limits::MAX_USD_PER_MWH,
        )?;
        Ok(self)
    }

    /// The mining subset (pool fee and PUE).
    pub fn mining(&self) -> MiningTerms {
        MiningTerms { pool_fee: self.pool_fee, pue: self.pue }
    }
}

impl From<MiningTerms> for Terms {
    fn from(m: MiningTerms) -> Terms {
        Terms { pool_fee: m.pool_fee, pue: m.pue, ..Terms::default() }
    }
}
