//! What one device earns per hour in each thing it can do — mine, serve, sleep (curtailed) or
//! idle — and the break-even electricity price of its productive use, whatever its kind.
//! Decisions ([`super::decision`]) and site allocation ([`super::site`]) are built on these values.

use serde::{Deserialize, Serialize};

use super::bitcoin::{expected_btc_per_day, miner_breakeven_usd_per_kwh};
use super::gpu::{gpu_breakeven_usd_per_kwh, gpu_revenue_usd_per_hour, gpu_serving_watts};
use super::market::Market;
use super::models::{DeviceKind, DeviceModel};
use super::terms::Terms;
use crate::{Error, Result};

/// What a device does for the next interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An ASIC hashing at stock settings.
    Mine,
    /// A GPU serving inference (rented or selling tokens).
    Serve,
    /// Curtailed: at sleep power, earning nothing but any demand-response credit.
    Sleep,
    /// Powered on doing nothing useful (ready to start at once), at idle power.
    Idle,
}

impl Action {
    /// Every action, in a stable order (`mine`, `serve`, `sleep`, `idle`).
    pub const ALL: [Action; 4] = [Action::Mine, Action::Serve, Action::Sleep, Action::Idle];

    /// `"mine"`, `"serve"`, `"sleep"` or `"idle"`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Mine => "mine",
            Action::Serve => "serve",
            Action::Sleep => "sleep",
            Action::Idle => "idle",
        }
    }

    /// Parses a name given by [`Action::name`].
    ///
    /// ```
    /// assert_eq!(hcpcore::econ::Action::parse("sleep").unwrap(), hcpcore::econ::Action::Sleep);
    /// assert!(hcpcore::econ::Action::parse("dance").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::invalid_input("action", format!("must be mine, serve, sleep or idle, got {name:?}")))
    }

    /// The productive action of a device kind: `Mine` for an ASIC, `Serve` for a GPU.
    pub fn productive(kind: DeviceKind) -> Action {
        match kind {
            DeviceKind::Asic => Action::Mine,
            DeviceKind::Gpu => Action::Serve,
        }
    }

    /// The actions open to a device kind: its productive one, `Sleep` and `Idle`.
    pub fn open_to(kind: DeviceKind) -> [Action; 3] {
        [Action::productive(kind), Action::Sleep, Action::Idle]
    }
}

/// One device's expected economics per hour in one action, measured at the facility meter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ActionValue {
    /// The action valued.
    pub action: Action,
    /// Facility power (device power × PUE), W.
    pub facility_watts: f64,
    /// BTC mined per hour after the pool fee (zero unless mining).
    pub btc_per_hour: f64,
    /// Revenue from mining or serving, USD/h.
    pub revenue_usd_per_hour: f64,
    /// Energy cost, USD/h.
    pub energy_cost_usd_per_hour: f64,
    /// Demand-response credit for the load held off the grid (sleep only), USD/h.
    pub credit_usd_per_hour: f64,
    /// `revenue + credit − energy cost`, USD/h.
    pub profit_usd_per_hour: f64,
}

/// Device power of the productive action (ASIC at stock, GPU at its serving power), W.
fn productive_watts(model: &DeviceModel, terms: &Terms) -> Result<f64> {
    match model.kind {
        DeviceKind::Asic => Ok(model.power_watts),
        DeviceKind::Gpu => gpu_serving_watts(model, terms.gpu_utilisation),
    }
}

/// The expected value per hour of `action` for one `model` device. An action the device cannot
/// take (a GPU asked to mine, an ASIC to serve) is `InvalidInput` naming `action`.
///
/// ```
/// use hcpcore::econ::{action_value, models, Action, Fees, Market, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let v = action_value(&models::S21(), &m, &Terms::default(), Action::Mine).unwrap();
/// assert!((v.profit_usd_per_hour - (12.572 - 4.2) / 24.0).abs() < 1e-3);
/// let s = action_value(&models::S21(), &m, &Terms::default(), Action::Sleep).unwrap();
/// assert_eq!(s.facility_watts, 25.0);
/// ```
pub fn action_value(model: &DeviceModel, market: &Market, terms: &Terms, action: Action) -> Result<ActionValue> {
    let terms = terms.validated()?;
    let model = model.clone().validated()?;
    let (device_watts, btc_per_hour, revenue) = match (action, model.kind) {
        (Action::Mine, DeviceKind::Asic) => {
            let btc = expected_btc_per_day(model.hashrate_ths, market)? * (1.0 - terms.pool_fee) / 24.0;
            (model.power_watts, btc, btc * market.btc_usd())
        }
        (Action::Serve, DeviceKind::Gpu) => {
            (gpu_serving_watts(&model, terms.gpu_utilisation)?, 0.0, gpu_revenue_usd_per_hour(market, &terms)?)
        }
        (Action::Sleep, _) => (model.sleep_watts, 0.0, 0.0),
        (Action::Idle, _) => (model.idle_watts, 0.0, 0.0),
        (a, k) => return Err(Error::invalid_input("action", format!("a {} cannot {}", k.name(), a.name()))),
    };
    let facility_watts = device_watts * terms.pue;
    let energy_cost_usd_per_hour = facility_watts / 1000.0 * market.electricity_usd_per_kwh();
    let credit_usd_per_hour = if action == Action::Sleep {
        let held_off_watts = (productive_watts(&model, &terms)? - model.sleep_watts).max(0.0) * terms.pue;
        terms.demand_response_usd_per_mwh * held_off_watts / 1e6
    } else {
        0.0
    };
    Ok(ActionValue {
        action,
        facility_watts,
        btc_per_hour,
        revenue_usd_per_hour: revenue,
        energy_cost_usd_per_hour,
        credit_usd_per_hour,
        profit_usd_per_hour: revenue + credit_usd_per_hour - energy_cost_usd_per_hour,
    })
}

/// The values of the actions open to the device (productive, sleep, idle), in that order.
pub fn action_values(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<[ActionValue; 3]> {
    let [a, b, c] = Action::open_to(model.kind);
    Ok([
        action_value(model, market, terms, a)?,
        action_value(model, market, terms, b)?,
        action_value(model, market, terms, c)?,
    ])
}

/// The best action at this snapshot with no switching cost: the highest profit per hour (ties go
/// to the productive action, then sleep). See [`super::decision::Decider`] for the stateful form.
///
/// ```
/// use hcpcore::econ::{best_action, models, Action, Fees, Market, Terms};
/// let cheap = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// assert_eq!(best_action(&models::S21(), &cheap, &Terms::default()).unwrap().action, Action::Mine);
/// let dear = cheap.with_electricity_usd_per_kwh(0.50).unwrap();
/// assert_eq!(best_action(&models::S21(), &dear, &Terms::default()).unwrap().action, Action::Sleep);
/// ```
pub fn best_action(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<ActionValue> {
    let values = action_values(model, market, terms)?;
    Ok(pick_best(&values))
}

pub(crate) fn pick_best(values: &[ActionValue; 3]) -> ActionValue {
    let mut best = values[0];
    for v in &values[1..] {
        if v.profit_usd_per_hour > best.profit_usd_per_hour {
            best = *v;
        }
    }
    best
}

/// Break-even electricity price (USD/kWh) of a device's productive use, dispatching on its kind:
/// an ASIC's mining break-even ([`miner_breakeven_usd_per_kwh`]) or a GPU's serving break-even
/// ([`gpu_breakeven_usd_per_kwh`]).
///
/// ```
/// use hcpcore::econ::{breakeven_usd_per_kwh, models, Fees, Market, Terms};
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 2.0, 0.0).unwrap();
/// let asic = breakeven_usd_per_kwh(&models::S21(), &m, &Terms::default()).unwrap();
/// let gpu = breakeven_usd_per_kwh(&models::H100_SXM(), &m, &Terms::default()).unwrap();
/// assert!((asic - 0.14967).abs() < 1e-4);
/// assert!((gpu - 2.0 / 0.7).abs() < 1e-12);
/// ```
pub fn breakeven_usd_per_kwh(model: &DeviceModel, market: &Market, terms: &Terms) -> Result<f64> {
    let terms = terms.validated()?;
    match model.kind {
        DeviceKind::Asic => miner_breakeven_usd_per_kwh(model, market, terms.mining()),
        DeviceKind::Gpu => gpu_breakeven_usd_per_kwh(model, market, &terms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::{models, Fees};

    fn market(electricity: f64) -> Market {
        Market::new(1e5, 1e14, 840_000, Fees::Share(0.02), electricity, 2.0, 0.0).unwrap()
    }

    #[test]
    fn productive_action_flips_at_breakeven() {
        let terms = Terms { pool_fee: 0.02, pue: 1.1, gpu_utilisation: 0.8, ..Default::default() };
        for model in [models::S21(), models::S21_XP(), models::H100_SXM()] {
            let be = breakeven_usd_per_kwh(&model, &market(0.05), &terms).unwrap();
            let productive = Action::productive(model.kind);
            // Sleep still costs its (small) power, so the device keeps working a little past
            // break-even and stops well beyond it.
            assert_eq!(best_action(&model, &market(be * 0.99), &terms).unwrap().action, productive);
            assert_eq!(best_action(&model, &market(be * 1.5), &terms).unwrap().action, Action::Sleep);
            let at = action_value(&model, &market(be), &terms, productive).unwrap();
            assert!(at.profit_usd_per_hour.abs() < 1e-9);
        }
    }

    #[test]
    fn demand_response_credit_pays_for_load_held_off() {
        let terms = Terms { pue: 1.2, demand_response_usd_per_mwh: 100.0, ..Default::default() };
        let v = action_value(&models::S21(), &market(0.0), &terms, Action::Sleep).unwrap();
        assert!((v.credit_usd_per_hour - 100.0 * (3500.0 - 25.0) * 1.2 / 1e6).abs() < 1e-12);
        let e = action_value(&models::H100_SXM(), &market(0.0), &terms, Action::Mine).unwrap_err();
        assert!(e.message().starts_with("action"));
    }
}
