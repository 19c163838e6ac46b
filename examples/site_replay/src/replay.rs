//! The replay loop: one market snapshot per 15-minute interval, two strategies side by side.
//!
//! - **decide**: each device group has an `hcpcore::econ::Decider` (switching cost, minimum dwell);
//!   groups it puts to sleep get no power, and `Site::plan_limited` shares the cap among the rest
//!   by value per kWh, curtailing any use that loses money.
//! - **always-on**: `Site::plan_always_on` — every device runs whatever the price; when the cap
//!   cannot hold them all, GPUs are powered first and the miners fill the rest (the remainder
//!   sleep for lack of power, never on price).
//!
//! Both strategies pay for every device switch they make (wear per switch, and the output lost
//! while a woken device starts), counted from the change in running devices between intervals.

use hcpcore::econ::{Action, Decider, DeviceKind, Fees, Market, Site, SitePlan, SwitchPolicy};

use crate::data::MarketHistory;

/// Interval length, h.
pub const INTERVAL_HOURS: f64 = 0.25;

/// What a strategy did over the replay.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Facility energy, MWh.
    pub energy_mwh: f64,
    /// BTC mined after the pool fee.
    pub btc: f64,
    /// Mining revenue, USD.
    pub mining_revenue_usd: f64,
    /// GPU revenue, USD.
    pub gpu_revenue_usd: f64,
    /// Energy cost, USD.
    pub energy_cost_usd: f64,
    /// Demand-response credit, USD.
    pub credit_usd: f64,
    /// Switching cost (wear + output lost while starting), USD.
    pub switching_cost_usd: f64,
    /// Device starts and stops.
    pub device_switches: u64,
    /// Miner-hours curtailed (asleep, on price or for lack of power).
    pub miner_hours_curtailed: f64,
    /// GPU-hours curtailed.
    pub gpu_hours_curtailed: f64,
    /// Hours in which the decider held a device group asleep on price.
    pub hours_curtailed_on_price: f64,
    /// Hours in which at least one device was curtailed for any reason.
    pub hours_with_curtailment: f64,
}

impl Totals {
    /// Revenue + credit − energy cost − switching cost, USD.
    pub fn profit_usd(&self) -> f64 {
        self.mining_revenue_usd + self.gpu_revenue_usd + self.credit_usd
            - self.energy_cost_usd
            - self.switching_cost_usd
    }
}

/// One interval's figures kept for the report's charts.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// Day number.
    pub day: i64,
    /// Wholesale real-time price, USD/MWh.
    pub rt_usd_per_mwh: f64,
    /// Mining power of the deciding site, facility kW.
    pub mining_kw: f64,
    /// GPU power of the deciding site, facility kW.
    pub gpu_kw: f64,
    /// Cumulative profit of the deciding site, USD.
    pub cum_profit_decide_usd: f64,
    /// Cumulative profit of the always-on site, USD.
    pub cum_profit_always_usd: f64,
}

/// The outcome of a replay.
pub struct Replay {
    /// The deciding site.
    pub decide: Totals,
    /// The always-on site.
    pub always_on: Totals,
    /// Per-interval trace.
    pub points: Vec<Point>,
    /// Intervals whose wholesale price was negative.
    pub negative_intervals: usize,
    /// Intervals whose all-in price (wholesale + adders) was negative and was floored at 0.
    pub floored_intervals: usize,
    /// Mean S21-style break-even of each ASIC group over the replay, USD/kWh (by group name).
    pub mean_breakeven_usd_per_kwh: Vec<(String, f64)>,
}

/// Per-strategy bookkeeping of running devices, to count switches.
struct Ledger {
    totals: Totals,
    previous_running: Vec<u32>,
}

impl Ledger {
    fn new(site: &Site) -> Ledger {
        Ledger { totals: Totals::default(), previous_running: site.groups().iter().map(|_| 0).collect() }
    }

    fn book(&mut self, plan: &SitePlan, policy: &SwitchPolicy, first: bool) {
        let h = INTERVAL_HOURS;
        let t = &mut self.totals;
        t.energy_mwh += plan.facility_kw * h / 1000.0;
        t.btc += plan.btc_per_hour * h;
        t.mining_revenue_usd += plan.mining_revenue_usd_per_hour * h;
        t.gpu_revenue_usd += plan.gpu_revenue_usd_per_hour * h;
        t.energy_cost_usd += plan.energy_cost_usd_per_hour * h;
        t.credit_usd += plan.credit_usd_per_hour * h;
        if plan.devices_curtailed > 0 {
            t.hours_with_curtailment += h;
        }
        for (g, prev) in plan.groups.iter().zip(self.previous_running.iter_mut()) {
            match g.kind {
                DeviceKind::Asic => t.miner_hours_curtailed += g.curtailed as f64 * h,
                DeviceKind::Gpu => t.gpu_hours_curtailed += g.curtailed as f64 * h,
            }
            // The site is taken to start in its first plan; only later changes are switches.
            if !first {
                let started = g.running.saturating_sub(*prev);
                let changed = g.running.abs_diff(*prev);
                t.device_switches += changed as u64;
                t.switching_cost_usd += changed as f64 * policy.wear_usd_per_switch
                    + started as f64 * policy.switch_seconds / 3600.0 * g.running_value.revenue_usd_per_hour;
            }
            *prev = g.running;
        }
    }
}

/// The market of one interval: wholesale price plus adders, floored at zero (a `Market` refuses
/// negative prices); returns whether the floor applied.
pub fn interval_market(history: &MarketHistory, i: usize, adders_usd_per_kwh: f64) -> hcpcore::Result<(Market, bool)> {
    let iv = &history.intervals[i];
    let d = history.daily(iv.day);
    let all_in = iv.rt_usd_per_mwh / 1000.0 + adders_usd_per_kwh;
    let market = Market::new(
        d.btc_usd,
        d.difficulty,
        d.height,
        Fees::BtcPerBlock(d.fees_btc_per_block),
        all_in.max(0.0),
        d.gpu_usd_per_hour,
        0.0,
    )?;
    Ok((market, all_in < 0.0))
}

/// Replays every interval of `history` through both strategies.
pub fn run(
    history: &MarketHistory,
    site: &Site,
    policy: SwitchPolicy,
    adders_usd_per_kwh: f64,
) -> hcpcore::Result<Replay> {
    let mut deciders = site
        .groups()
        .iter()
        .map(|g| Decider::new(g.model.clone(), site.terms(), policy, Action::productive(g.model.kind)))
        .collect::<hcpcore::Result<Vec<_>>>()?;
    let mut decide = Ledger::new(site);
    let mut always = Ledger::new(site);
    let mut points = Vec::with_capacity(history.intervals.len());
    let (mut negative_intervals, mut floored_intervals) = (0, 0);
    let mut allowed = vec![0u32; site.groups().len()];
    let mut breakeven_sums = vec![0.0; site.groups().len()];
    for (i, iv) in history.intervals.iter().enumerate() {
        let (market, floored) = interval_market(history, i, adders_usd_per_kwh)?;
        negative_intervals += usize::from(iv.rt_usd_per_mwh < 0.0);
        floored_intervals += usize::from(floored);

        let mut asleep_on_price = false;
        for ((d, g), slot) in deciders.iter_mut().zip(site.groups()).zip(allowed.iter_mut()) {
            let decision = d.step(&market, INTERVAL_HOURS * 3600.0)?;
            let productive = decision.action == Action::productive(g.model.kind);
            *slot = if productive { g.count } else { 0 };
            asleep_on_price |= !productive && g.count > 0;
        }
        let plan = site.plan_limited(&market, &allowed)?;
        let baseline = site.plan_always_on(&market)?;
        for (sum, g) in breakeven_sums.iter_mut().zip(site.groups()) {
            if g.model.kind == DeviceKind::Asic {
                *sum += hcpcore::econ::breakeven_usd_per_kwh(&g.model, &market, &site.terms())?;
            }
        }
        decide.book(&plan, &policy, i == 0);
        always.book(&baseline, &policy, i == 0);
        if asleep_on_price {
            decide.totals.hours_curtailed_on_price += INTERVAL_HOURS;
        }
        points.push(Point {
            day: iv.day,
            rt_usd_per_mwh: iv.rt_usd_per_mwh,
            mining_kw: plan.mining_kw,
            gpu_kw: plan.gpu_kw,
            cum_profit_decide_usd: decide.totals.profit_usd(),
            cum_profit_always_usd: always.totals.profit_usd(),
        });
    }
    let n = history.intervals.len().max(1) as f64;
    let mean_breakeven_usd_per_kwh = site
        .groups()
        .iter()
        .zip(&breakeven_sums)
        .filter(|(g, _)| g.model.kind == DeviceKind::Asic)
        .map(|(g, s)| (g.model.name.clone(), s / n))
        .collect();
    Ok(Replay {
        decide: decide.totals,
        always_on: always.totals,
        points,
        negative_intervals,
        floored_intervals,
        mean_breakeven_usd_per_kwh,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpcore::econ::{models, DeviceGroup, Terms};

    #[test]
    fn replays_the_shipped_history_within_the_cap() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/market");
        let history = crate::data::load(&dir, "GIX-H100").unwrap();
        assert_eq!(history.intervals.len(), 28_800);
        let site = Site::new(
            vec![
                DeviceGroup { model: models::S21(), count: 1000 },
                DeviceGroup { model: models::H100_SXM(), count: 512 },
            ],
            4000.0,
            Terms { pue: 1.1, pool_fee: 0.02, gpu_utilisation: 0.7, ..Default::default() },
        )
        .unwrap();
        let policy = SwitchPolicy {
            switch_seconds: 10.0,
            wear_usd_per_switch: 0.01,
            min_dwell_seconds: 1800.0,
            override_gain_usd_per_hour: Some(0.5),
        };
        let r = run(&history, &site, policy, 0.012).unwrap();
        assert!(r.points.iter().all(|p| p.mining_kw + p.gpu_kw <= 4000.0 + 1e-6));
        assert!(r.negative_intervals >= r.floored_intervals && r.floored_intervals > 0);
        // On this history, curtailing on price must beat running through every price spike.
        assert!(r.decide.profit_usd() > r.always_on.profit_usd());
        assert!(r.decide.energy_cost_usd < r.always_on.energy_cost_usd);
        assert!(r.decide.hours_curtailed_on_price > 0.0 && r.always_on.hours_curtailed_on_price == 0.0);
        assert_eq!(r.always_on.device_switches, 0);
    }
}
