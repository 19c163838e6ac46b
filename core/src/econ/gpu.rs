//! GPU inference economics: revenue from rental or from tokens, energy with PUE, profit and the
//! break-even electricity price.
//!
//! A serving GPU earns `gpu_usd_per_hour × utilisation` (rental: the fraction of hours billed) or
//! `tokens_per_second × 3,600 / 10^6 × usd_per_million_tokens × utilisation` (tokens: its
//! throughput at full load, busy that fraction of the time), and draws
//! `idle_watts + utilisation × (power_watts − idle_watts)` at the device, times PUE at the meter.

use serde::{Deserialize, Serialize};

use super::market::Market;
use super::models::{DeviceKind, DeviceModel};
use super::terms::Terms;
use crate::error::check;
use crate::{Error, Result};

/// A GPU's expected economics over a period (an hour or a day).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpuEconomics {
    /// Length of the period, h.
    pub hours: f64,
    /// Revenue, USD.
    pub revenue_usd: f64,
    /// Facility energy (device energy × PUE), kWh.
    pub energy_kwh: f64,
    /// Cost of that energy, USD.
    pub energy_cost_usd: f64,
    /// `revenue_usd - energy_cost_usd`.
    pub profit_usd: f64,
}

/// Rental revenue, USD per hour: `gpu_usd_per_hour × utilisation`.
///
/// ```
/// assert_eq!(hcpcore::econ::rental_revenue_usd_per_hour(2.0, 0.75).unwrap(), 1.5);
/// assert!(hcpcore::econ::rental_revenue_usd_per_hour(2.0, 1.5).is_err());
/// ```
pub fn rental_revenue_usd_per_hour(gpu_usd_per_hour: f64, utilisation: f64) -> Result<f64> {
    let rate = check::non_negative("gpu_usd_per_hour", gpu_usd_per_hour)?;
    let u = check::in_range("gpu_utilisation", utilisation, 0.0, 1.0)?;
    Ok(rate * u)
}

/// Token revenue, USD per hour: `tokens_per_second × 3,600 / 10^6 × usd_per_million_tokens × utilisation`.
///
/// ```
/// // 2,500 tokens/s at $0.50 per million tokens, busy 80 % of the time: $3.60/h.
/// let r = hcpcore::econ::token_revenue_usd_per_hour(2500.0, 0.5, 0.8).unwrap();
/// assert!((r - 3.6).abs() < 1e-12);
/// ```
pub fn token_revenue_usd_per_hour(
    tokens_per_second: f64,
    usd_per_million_tokens: f64,
    utilisation: f64,
) -> Result<f64> {
    let tps = check::in_range("tokens_per_second", tokens_per_second, 0.0, crate::limits::MAX_TOKENS_PER_SECOND)?;
    let price = check::non_negative("usd_per_million_tokens", usd_per_million_tokens)?;
    let u = check::in_range("gpu_utilisation", utilisation, 0.0, 1.0)?;
    Ok(tps * 3600.0 / 1e6 * price * u)
}

pub(crate) fn require_gpu(model: &DeviceModel) -> Result<()> {
    match model.kind {
        DeviceKind::Gpu if model.power_watts > 0.0 => Ok(()),
        DeviceKind::Gpu => Err(Error::invalid_input("model", format!("{} has no positive power", model.name))),
        DeviceKind::Asic => Err(Error::invalid_input("model", format!("{} is a mining ASIC, not a GPU", model.name))),
    }
}

/// Device power of a GPU serving at `utilisation`, W: `idle + u · (power − idle)`.
///
/// ```
/// let w = hcpcore::econ::gpu_serving_watts(&hcpcore::econ::models::H100_SXM(), 0.5).unwrap();
/// assert_eq!(w, 125.0 + 0.5 * (700.0 - 125.0));
/// ```
pub fn gpu_serving_watts(model: &DeviceModel, utilisation: f64) -> Result<f64> {
    require_gpu(model)?;
    let u = check::in_range("gpu_utilisation", utilisation, 0.0, 1.0)?;
    let idle = model.idle_watts.min(model.power_watts);
    Ok(idle + u * (model.power_watts - idle))
}

/// Revenue per hour of a serving GPU under `terms` (rental unless `terms.tokens_per_second` is set).
pub fn gpu_revenue_usd_per_hour(market: &Market, terms: &Terms) -> Result<f64> {
    match terms.tokens_per_second {
        Some(tps) => token_revenue_usd_per_hour(tps, market.usd_per_million_tokens(), terms.gpu_utilisation),
        None => rental_revenue_usd_per_hour(market.gpu_usd_per_hour(), terms.gpu_utilisation),
    }
}

/// A serving GPU's expected economics over one hour.
///
/// ```
/// use hcpcore::econ::{models, Market, Fees, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.10, 2.0, 0.0).unwrap();
/// let t = Terms { pue: 1.2, gpu_utilisation: 1.0, ..Default::default() };
/// let h = hcpcore::econ::gpu_hourly(&models::H100_SXM(), &m, &t).unwrap();
/// assert_eq!(h.revenue_usd, 2.0);
/// assert!((h.energy_cost_usd - 0.7 * 1.2 * 0.10).abs() < 1e-12);
/// ```
pub fn gpu_hourly(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<GpuEconomics> {
    gpu_over_hours(model, market, terms, 1.0)
}

/// A serving GPU's expected economics over one day (24 × [`gpu_hourly`]).
pub fn gpu_daily(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<GpuEconomics> {
    gpu_over_hours(model, market, terms, 24.0)
}

fn gpu_over_hours(model: &DeviceModel, market: &Market, terms: &Terms, hours: f64) -> Result<GpuEconomics> {
    let terms = terms.validated()?;
    let watts = gpu_serving_watts(model, terms.gpu_utilisation)?;
    let revenue_usd = gpu_revenue_usd_per_hour(market, &terms)? * hours;
    let energy_kwh = watts / 1000.0 * terms.pue * hours;
    let energy_cost_usd = energy_kwh * market.electricity_usd_per_kwh();
    Ok(GpuEconomics { hours, revenue_usd, energy_kwh, energy_cost_usd, profit_usd: revenue_usd - energy_cost_usd })
}

/// Electricity price (USD/kWh) at which a serving GPU's profit is zero:
/// `revenue_per_hour / (serving kW × PUE)`.
///
/// ```
/// use hcpcore::econ::{models, Market, Fees, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 2.0, 0.0).unwrap();
/// let be = hcpcore::econ::gpu_breakeven_usd_per_kwh(&models::H100_SXM(), &m, &Terms::default()).unwrap();
/// assert!((be - 2.0 / 0.7).abs() < 1e-12);
/// ```
pub fn gpu_breakeven_usd_per_kwh(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<f64> {
    let terms = terms.validated()?;
    let kw = gpu_serving_watts(model, terms.gpu_utilisation)? / 1000.0 * terms.pue;
    Ok(gpu_revenue_usd_per_hour(market, &terms)? / kw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::{models, Fees};

    fn market(electricity: f64) -> Market {
        Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), electricity, 2.5, 0.6).unwrap()
    }

    #[test]
    fn breakeven_zeroes_profit_for_rental_and_tokens() {
        for terms in [
            Terms { pue: 1.3, gpu_utilisation: 0.6, ..Default::default() },
            Terms { pue: 1.1, gpu_utilisation: 0.9, tokens_per_second: Some(3000.0), ..Default::default() },
        ] {
            let gpu = models::H100_PCIE();
            let be = gpu_breakeven_usd_per_kwh(&gpu, &market(0.05), &terms).unwrap();
            let at = gpu_daily(&gpu, &market(be), &terms).unwrap();
            assert!(at.profit_usd.abs() < 1e-9, "{at:?}");
            assert_eq!(at.hours, 24.0);
        }
    }

    #[test]
    fn asic_and_bad_terms_are_refused() {
        let e = gpu_hourly(&models::S21(), &market(0.05), &Terms::default()).unwrap_err();
        assert!(e.message().starts_with("model"));
        let bad = Terms { gpu_utilisation: f64::NAN, ..Default::default() };
        let e = gpu_hourly(&models::H100_SXM(), &market(0.05), &bad).unwrap_err();
        assert!(e.message().starts_with("gpu_utilisation"));
        let bad = Terms { tokens_per_second: Some(-1.0), ..Default::default() };
        assert!(gpu_breakeven_usd_per_kwh(&models::H100_SXM(), &market(0.05), &bad).is_err());
    }

    #[test]
    fn zero_utilisation_draws_idle_power_and_earns_nothing() {
        let t = Terms { gpu_utilisation: 0.0, ..Default::default() };
        let h = gpu_hourly(&models::H100_SXM(), &market(0.1), &t).unwrap();
        assert_eq!(h.revenue_usd, 0.0);
        assert!((h.energy_kwh - 0.125).abs() < 1e-12);
        assert_eq!(gpu_breakeven_usd_per_kwh(&models::H100_SXM(), &market(0.1), &t).unwrap(), 0.0);
    }
}
