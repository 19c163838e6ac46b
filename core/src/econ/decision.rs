//! Per-device decisions over time: which action to take at each market snapshot, with a cost for
//! switching and a minimum dwell time so that a price wobbling around break-even does not make a
//! device thrash between mining and sleeping.
//!
//! The rule, applied by [`Decider::step`] at each snapshot:
//! 1. value every open action ([`action_values`]) and take the most profitable;
//! 2. if it is the current action, stay;
//! 3. if the device has been in its action for less than `min_dwell_seconds`, stay — unless the
//!    gain per hour reaches `override_gain_usd_per_hour` (a price spike must still curtail);
//! 4. switch only if the gain over the commitment horizon (`max(min_dwell, dt)`) exceeds the cost
//!    of switching: wear plus the output of the new action lost during `switch_seconds`.
//!
//! The decider is deterministic: the same snapshots give the same actions.

use serde::{Deserialize, Serialize};

use super::device::{action_values, pick_best, Action, ActionValue};
use super::market::Market;
use super::models::DeviceModel;
use super::terms::Terms;
use crate::error::check;
use crate::{Error, Result};

/// What switching costs a device, and how long it must stay in an action.
///
/// ```
/// let p = hcpcore::econ::SwitchPolicy { switch_seconds: 10.0, wear_usd_per_switch: 0.01,
///     min_dwell_seconds: 3600.0, override_gain_usd_per_hour: Some(1.0) };
/// assert!(p.validated().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwitchPolicy {
    /// Time a switch takes, s, during which the device earns nothing in its new action
    /// (LuxOS wakes an S21 in ~10 s; stock firmware takes a minute or more).
    pub switch_seconds: f64,
    /// Wear and handling cost of one switch, USD.
    pub wear_usd_per_switch: f64,
    /// Minimum time in an action before leaving it, s.
    pub min_dwell_seconds: f64,
    /// A gain of at least this many USD per hour waives the minimum dwell; `None` never waives it.
    pub override_gain_usd_per_hour: Option<f64>,
}

impl Default for SwitchPolicy {
    /// Free, instant switching and no dwell: the decider then follows [`super::best_action`].
    fn default() -> Self {
        SwitchPolicy {
            switch_seconds: 0.0,
            wear_usd_per_switch: 0.0,
            min_dwell_seconds: 0.0,
            override_gain_usd_per_hour: None,
        }
    }
}

impl SwitchPolicy {
    /// Checks every field (finite and ≥ 0).
    pub fn validated(self) -> Result<SwitchPolicy> {
        check::non_negative("switch_seconds", self.switch_seconds)?;
        check::non_negative("wear_usd_per_switch", self.wear_usd_per_switch)?;
        check::non_negative("min_dwell_seconds", self.min_dwell_seconds)?;
        if let Some(g) = self.override_gain_usd_per_hour {
            check::non_negative("override_gain_usd_per_hour", g)?;
        }
        Ok(self)
    }
}

/// The outcome of one [`Decider::step`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The action for the next interval.
    pub action: Action,
    /// Whether this step changed the action.
    pub switched: bool,
    /// Expected value per hour of `action` at this snapshot.
    pub value: ActionValue,
    /// Cost charged by this step's switch (wear + lost output), USD; 0 when not switching.
    pub switch_cost_usd: f64,
}

/// A stateful per-device decision maker: holds the current action and the time spent in it.
///
/// ```
/// use hcpcore::econ::{models, Action, Decider, Fees, Market, SwitchPolicy, Terms};
/// let policy = SwitchPolicy { min_dwell_seconds: 3600.0, ..Default::default() };
/// let mut d = Decider::new(models::S21(), Terms::default(), policy, Action::Mine).unwrap();
/// let cheap = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 0.05, 0.0, 0.0).unwrap();
/// let dear = cheap.with_electricity_usd_per_kwh(0.5).unwrap();
/// assert_eq!(d.step(&dear, 900.0).unwrap().action, Action::Sleep); // a fresh decider may switch
/// assert_eq!(d.step(&cheap, 900.0).unwrap().action, Action::Sleep); // dwell: 15 min < 1 h
/// assert_eq!(d.switches(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Decider {
    model: DeviceModel,
    terms: Terms,
    policy: SwitchPolicy,
    current: Action,
    seconds_in_action: f64,
    switches: u64,
}

impl Decider {
    /// A decider for one device of `model` starting in `initial`; its first step may switch at once
    /// (the device is taken to have dwelt long enough).
    pub fn new(model: DeviceModel, terms: Terms, policy: SwitchPolicy, initial: Action) -> Result<Decider> {
        let model = model.validated()?;
        let terms = terms.validated()?;
        let policy = policy.validated()?;
        if !Action::open_to(model.kind).contains(&initial) {
            return Err(Error::invalid_input("initial", format!("a {} cannot {}", model.kind.name(), initial.name())));
        }
        Ok(Decider { model, terms, policy, current: initial, seconds_in_action: f64::MAX, switches: 0 })
    }

    /// Decides the action for the next `dt_seconds` at `market` and advances the clock.
    pub fn step(&mut self, market: &Market, dt_seconds: f64) -> Result<Decision> {
        let dt = check::positive("dt_seconds", dt_seconds)?;
        let values = action_values(&self.model, market, &self.terms)?;
        let best = pick_best(&values);
        let current = values.iter().copied().find(|v| v.action == self.current).unwrap_or(best);
        let gain_per_hour = best.profit_usd_per_hour - current.profit_usd_per_hour;
        let dwelt = self.seconds_in_action >= self.policy.min_dwell_seconds
            || self.policy.override_gain_usd_per_hour.is_some_and(|g| gain_per_hour >= g);
        let switch_cost_usd = self.policy.wear_usd_per_switch
            + self.policy.switch_seconds / 3600.0 * (best.revenue_usd_per_hour + best.credit_usd_per_hour).max(0.0);
        let horizon_hours = self.policy.min_dwell_seconds.max(dt) / 3600.0;
        let switch = best.action != self.current && dwelt && gain_per_hour * horizon_hours > switch_cost_usd;
        if switch {
            self.current = best.action;
            self.seconds_in_action = dt;
            self.switches += 1;
            Ok(Decision { action: best.action, switched: true, value: best, switch_cost_usd })
        } else {
            self.seconds_in_action = (self.seconds_in_action + dt).min(f64::MAX);
            Ok(Decision { action: self.current, switched: false, value: current, switch_cost_usd: 0.0 })
        }
    }

    /// The current action.
    pub fn current(&self) -> Action {
        self.current
    }

    /// Seconds spent in the current action (`f64::MAX` before the first switch).
    pub fn seconds_in_action(&self) -> f64 {
        self.seconds_in_action
    }

    /// Number of switches so far.
    pub fn switches(&self) -> u64 {
        self.switches
    }

    /// The device model decided for.
    pub fn model(&self) -> &DeviceModel {
        &self.model
    }

    /// The switching policy.
    pub fn policy(&self) -> SwitchPolicy {
        self.policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::{breakeven_usd_per_kwh, models, Fees};

    fn market(electricity: f64) -> Market {
        Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.1), electricity, 2.0, 0.0).unwrap()
    }

    /// A price wobbling ±2 % around the S21's break-even every 15 minutes for a day.
    fn wobble() -> Vec<Market> {
        let be = breakeven_usd_per_kwh(&models::S21(), &market(0.05), &Terms::default()).unwrap();
        (0..96).map(|i| market(if i % 2 == 0 { be * 0.98 } else { be * 1.02 })).collect()
    }

    fn run(policy: SwitchPolicy) -> u64 {
        let mut d = Decider::new(models::S21(), Terms::default(), policy, Action::Mine).unwrap();
        for m in wobble() {
            d.step(&m, 900.0).unwrap();
        }
        d.switches()
    }

    #[test]
    fn without_costs_a_wobbling_price_thrashes() {
        assert!(run(SwitchPolicy::default()) >= 90);
    }

    #[test]
    fn dwell_and_switch_cost_stop_the_thrashing() {
        let dwell = SwitchPolicy { min_dwell_seconds: 3600.0, ..Default::default() };
        let n = run(dwell);
        assert!(n <= 24 && n > 0, "{n}");
        let costly = SwitchPolicy { switch_seconds: 10.0, wear_usd_per_switch: 0.05, ..Default::default() };
        assert_eq!(run(costly), 0);
    }

    #[test]
    fn a_spike_overrides_the_dwell() {
        let policy =
            SwitchPolicy { min_dwell_seconds: 7200.0, override_gain_usd_per_hour: Some(1.0), ..Default::default() };
        let mut d = Decider::new(models::S21(), Terms::default(), policy, Action::Sleep).unwrap();
        assert_eq!(d.step(&market(0.03), 900.0).unwrap().action, Action::Mine);
        assert_eq!(d.step(&market(0.2), 900.0).unwrap().action, Action::Mine); // small loss: dwell holds
        let spike = d.step(&market(5.0), 900.0).unwrap(); // $5,000/MWh
        assert!(spike.switched && spike.action == Action::Sleep);
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(Decider::new(models::S21(), Terms::default(), SwitchPolicy::default(), Action::Serve).is_err());
        let bad = SwitchPolicy { min_dwell_seconds: f64::NAN, ..Default::default() };
        assert!(Decider::new(models::S21(), Terms::default(), bad, Action::Mine).is_err());
        let mut d = Decider::new(models::H100_SXM(), Terms::default(), SwitchPolicy::default(), Action::Idle).unwrap();
        assert!(d.step(&market(0.05), 0.0).is_err());
        assert_eq!(d.step(&market(0.05), 60.0).unwrap().action, Action::Serve);
    }
}
