//! Site allocation under a power cap: which devices run and which are curtailed so that the site
//! earns the most per hour at a market snapshot.
//!
//! Devices are held as groups of identical models, so a plan costs O(G log G) in the number of
//! models, not in the number of devices: a fleet of thousands is planned in microseconds.
//!
//! The rule ([`Site::plan`]): every device draws at least its curtailed power (sleep, or idle if
//! that is cheaper). Running a device instead adds `Δprofit` per hour for `Δpower` at the meter.
//! Devices whose `Δprofit ≤ 0` stay curtailed even when the cap leaves room; the others receive
//! power in order of `Δprofit / Δpower` (USD per facility kWh), whole devices at a time, until the
//! cap is reached. A demand-response credit enters `Δprofit` as the credit forgone by running.
//! The cap is on facility power (device power × PUE), as a grid interconnect sees it.

use serde::{Deserialize, Serialize};

use super::device::{action_value, Action, ActionValue};
use super::market::Market;
use super::models::{Catalog, DeviceKind, DeviceModel};
use super::terms::Terms;
use crate::error::check;
use crate::{Error, Result};

/// A number of identical devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceGroup {
    /// The model of every device in the group.
    pub model: DeviceModel,
    /// How many devices.
    pub count: u32,
}

/// A site described by model names, as a config file or a binding's keyword arguments give it:
/// `{"devices": [{"model": "S21", "count": 1000}, …], "cap_kw": 4000, "pue": 1.1, …}`; the terms
/// are flat fields with [`Terms`]' defaults.
///
/// ```
/// use hcpcore::econ::{Catalog, Site, SiteSpec};
/// let spec: SiteSpec = serde_json::from_str(
///     r#"{"devices": [{"model": "S21", "count": 1000}, {"model": "H100 SXM", "count": 512}], "cap_kw": 4000, "pue": 1.1}"#,
/// ).unwrap();
/// let site = Site::from_spec(&spec, &Catalog::builtin()).unwrap();
/// assert_eq!(site.groups().len(), 2);
/// assert_eq!(site.terms().pue, 1.1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// Devices by catalog name and count.
    pub devices: Vec<DeviceCount>,
    /// Facility power cap, kW.
    pub cap_kw: f64,
    /// See [`Terms::pool_fee`].
    #[serde(default)]
    pub pool_fee: f64,
    /// See [`Terms::pue`].
    #[serde(default = "one")]
    pub pue: f64,
    /// See [`Terms::gpu_utilisation`].
    #[serde(default = "one")]
    pub gpu_utilisation: f64,
    /// See [`Terms::tokens_per_second`].
    #[serde(default)]
    pub tokens_per_second: Option<f64>,
    /// See [`Terms::demand_response_usd_per_mwh`].
    #[serde(default)]
    pub demand_response_usd_per_mwh: f64,
}

fn one() -> f64 {
    1.0
}

/// A catalog model name and how many devices of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCount {
    /// Catalog name (matched as [`Catalog::get`] does).
    pub model: String,
    /// How many devices.
    pub count: u32,
}

impl SiteSpec {
    /// The operating terms the spec gives.
    pub fn terms(&self) -> Terms {
        Terms {
            pool_fee: self.pool_fee,
            pue: self.pue,
            gpu_utilisation: self.gpu_utilisation,
            tokens_per_second: self.tokens_per_second,
            demand_response_usd_per_mwh: self.demand_response_usd_per_mwh,
        }
    }
}

/// A site: device groups, a facility power cap and operating terms. Validated on construction.
///
/// ```
/// use hcpcore::econ::{models, DeviceGroup, Fees, Market, Site, Terms};
/// let site = Site::new(
///     vec![DeviceGroup { model: models::S21(), count: 1000 }, DeviceGroup { model: models::H100_SXM(), count: 512 }],
///     4000.0,
///     Terms { pue: 1.1, gpu_utilisation: 0.8, ..Default::default() },
/// ).unwrap();
/// let m = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.1), 0.04, 2.5, 0.0).unwrap();
/// let plan = site.plan(&m).unwrap();
/// assert!(plan.facility_kw <= 4000.0);
/// assert_eq!(plan.groups[1].running, 512);        // GPUs earn most per watt: powered first
/// assert!(plan.groups[0].curtailed > 0);          // the cap binds on the miners
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    groups: Vec<DeviceGroup>,
    cap_kw: f64,
    terms: Terms,
}

/// What one group does under a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPlan {
    /// Model name.
    pub model: String,
    /// ASIC or GPU.
    pub kind: DeviceKind,
    /// Devices in the group.
    pub count: u32,
    /// Devices running (mining or serving).
    pub running: u32,
    /// Devices curtailed (`count - running`).
    pub curtailed: u32,
    /// Value per hour of one running device.
    pub running_value: ActionValue,
    /// Value per hour of one curtailed device (sleep, or idle where that is cheaper).
    pub curtailed_value: ActionValue,
    /// Marginal profit of running one device, USD per facility kWh (the sort key).
    pub usd_per_kwh: f64,
}

/// A site plan at one market snapshot, with its expected economics per hour.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SitePlan {
    /// One entry per device group, in the site's order.
    pub groups: Vec<GroupPlan>,
    /// The cap, facility kW.
    pub cap_kw: f64,
    /// Facility power drawn, kW.
    pub facility_kw: f64,
    /// Facility power of the running miners, kW.
    pub mining_kw: f64,
    /// Facility power of the running GPUs, kW.
    pub gpu_kw: f64,
    /// Load held off by curtailment (running − curtailed power of every curtailed device), facility kW.
    pub curtailed_kw: f64,
    /// Devices running.
    pub devices_running: u64,
    /// Devices curtailed.
    pub devices_curtailed: u64,
    /// BTC mined per hour, after the pool fee.
    pub btc_per_hour: f64,
    /// Mining revenue, USD/h.
    pub mining_revenue_usd_per_hour: f64,
    /// GPU revenue, USD/h.
    pub gpu_revenue_usd_per_hour: f64,
    /// Energy cost, USD/h.
    pub energy_cost_usd_per_hour: f64,
    /// Demand-response credit, USD/h.
    pub credit_usd_per_hour: f64,
    /// `mining + gpu revenue + credit − energy cost`, USD/h.
    pub profit_usd_per_hour: f64,
}

impl SitePlan {
    /// Total revenue (mining + GPU), USD/h.
    pub fn revenue_usd_per_hour(&self) -> f64 {
        self.mining_revenue_usd_per_hour + self.gpu_revenue_usd_per_hour
    }
}

/// How power is handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// By marginal USD per kWh, loss-makers curtailed.
    Economic,
    /// GPUs first, then ASICs by TH per W, never curtailing on price.
    AlwaysOn,
}

impl Site {
    /// A validated site. Groups of the same model name are merged (their specs must agree);
    /// the cap must hold the whole site asleep.
    pub fn new(groups: Vec<DeviceGroup>, cap_kw: f64, terms: Terms) -> Result<Site> {
        let cap_kw = check::positive("cap_kw", cap_kw)?;
        let terms = terms.validated()?;
        let mut merged: Vec<DeviceGroup> = Vec::with_capacity(groups.len());
        for g in groups {
            let model = g.model.validated()?;
            match merged.iter_mut().find(|m| m.model.name == model.name) {
                Some(m) if m.model == model => {
                    m.count = m.count.checked_add(g.count).ok_or_else(|| Error::invalid_input("count", "overflow"))?
                }
                Some(_) => {
                    return Err(Error::invalid_input("groups", format!("two different models named {:?}", model.name)))
                }
                None => merged.push(DeviceGroup { model, count: g.count }),
            }
        }
        let site = Site { groups: merged, cap_kw, terms };
        let floor_kw: f64 =
            site.groups.iter().map(|g| g.count as f64 * curtailed_watts(&g.model) * terms.pue / 1000.0).sum();
        if floor_kw > cap_kw {
            return Err(Error::invalid_input(
                "cap_kw",
                format!("{cap_kw} kW is below the site's load with every device curtailed ({floor_kw:.1} kW)"),
            ));
        }
        Ok(site)
    }

    /// A site from a list of devices (one model per device), grouping identical models.
    ///
    /// ```
    /// use hcpcore::econ::{models, Site, Terms};
    /// let site = Site::from_devices(&[models::S21(), models::S21(), models::H100_SXM()], 100.0, Terms::default()).unwrap();
    /// assert_eq!(site.groups().len(), 2);
    /// assert_eq!(site.groups()[0].count, 2);
    /// ```
    pub fn from_devices(devices: &[DeviceModel], cap_kw: f64, terms: Terms) -> Result<Site> {
        Site::new(devices.iter().map(|m| DeviceGroup { model: m.clone(), count: 1 }).collect(), cap_kw, terms)
    }

    /// A site from a [`SiteSpec`], looking model names up in `catalog` (an unknown name is
    /// `InvalidInput` naming `model`).
    pub fn from_spec(spec: &SiteSpec, catalog: &Catalog) -> Result<Site> {
        let groups = spec
            .devices
            .iter()
            .map(|d| Ok(DeviceGroup { model: catalog.get(&d.model)?.clone(), count: d.count }))
            .collect::<Result<Vec<_>>>()?;
        Site::new(groups, spec.cap_kw, spec.terms())
    }

    /// A site from the JSON form of a [`SiteSpec`] (malformed JSON is `InvalidInput` naming `site`).
    pub fn from_json(json: &str, catalog: &Catalog) -> Result<Site> {
        let spec: SiteSpec =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("site", format!("malformed JSON: {e}")))?;
        Site::from_spec(&spec, catalog)
    }

    /// The device groups (merged by model).
    pub fn groups(&self) -> &[DeviceGroup] {
        &self.groups
    }

    /// The facility power cap, kW.
    pub fn cap_kw(&self) -> f64 {
        self.cap_kw
    }

    /// The operating terms.
    pub fn terms(&self) -> Terms {
        self.terms
    }

    /// The plan earning the most per hour at `market` (see the module docs for the rule).
    pub fn plan(&self, market: &Market) -> Result<SitePlan> {
        self.allocate(market, None, Policy::Economic)
    }

    /// As [`Site::plan`], with at most `max_running[i]` devices of group `i` allowed to run
    /// (e.g. the groups a [`super::Decider`] has put to sleep get 0).
    pub fn plan_limited(&self, market: &Market, max_running: &[u32]) -> Result<SitePlan> {
        if max_running.len() != self.groups.len() {
            return Err(Error::invalid_input(
                "max_running",
                format!("needs one entry per group ({}), got {}", self.groups.len(), max_running.len()),
            ));
        }
        self.allocate(market, Some(max_running), Policy::Economic)
    }

    /// The always-on baseline: every device runs whatever the price, up to the cap — GPUs first,
    /// then miners, most TH per W first; devices the cap cannot hold are curtailed.
    ///
    /// ```
    /// use hcpcore::econ::{models, DeviceGroup, Fees, Market, Site, Terms};
    /// let site = Site::new(vec![DeviceGroup { model: models::S21(), count: 10 }], 100.0, Terms::default()).unwrap();
    /// let dear = Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.0), 1.0, 0.0, 0.0).unwrap();
    /// assert_eq!(site.plan(&dear).unwrap().devices_running, 0);
    /// assert_eq!(site.plan_always_on(&dear).unwrap().devices_running, 10);
    /// ```
    pub fn plan_always_on(&self, market: &Market) -> Result<SitePlan> {
        self.allocate(market, None, Policy::AlwaysOn)
    }

    fn allocate(&self, market: &Market, limits: Option<&[u32]>, policy: Policy) -> Result<SitePlan> {
        struct Candidate {
            group: usize,
            key: f64,
            delta_kw: f64,
            limit: u32,
        }
        let mut groups = Vec::with_capacity(self.groups.len());
        let mut candidates = Vec::with_capacity(self.groups.len());
        let mut headroom_kw = self.cap_kw;
        for (i, g) in self.groups.iter().enumerate() {
            let running_value = action_value(&g.model, market, &self.terms, Action::productive(g.model.kind))?;
            let sleep = action_value(&g.model, market, &self.terms, Action::Sleep)?;
            let idle = action_value(&g.model, market, &self.terms, Action::Idle)?;
            let curtailed_value = if idle.profit_usd_per_hour > sleep.profit_usd_per_hour { idle } else { sleep };
            let delta_profit = running_value.profit_usd_per_hour - curtailed_value.profit_usd_per_hour;
            let delta_kw = (running_value.facility_watts - curtailed_value.facility_watts) / 1000.0;
            let usd_per_kwh = if delta_kw > 0.0 { delta_profit / delta_kw } else { f64::INFINITY };
            headroom_kw -= g.count as f64 * curtailed_value.facility_watts / 1000.0;
            let limit = limits.map_or(g.count, |l| l[i].min(g.count));
            let (eligible, key) = match policy {
                Policy::Economic => (delta_profit > 0.0, usd_per_kwh),
                Policy::AlwaysOn => {
                    let key = match g.model.kind {
                        DeviceKind::Gpu => f64::INFINITY,
                        DeviceKind::Asic => g.model.hashrate_ths / g.model.power_watts,
                    };
                    (true, key)
                }
            };
            if eligible && limit > 0 {
                candidates.push(Candidate { group: i, key, delta_kw, limit });
            }
            groups.push(GroupPlan {
                model: g.model.name.clone(),
                kind: g.model.kind,
                count: g.count,
                running: 0,
                curtailed: g.count,
                running_value,
                curtailed_value,
                usd_per_kwh: if usd_per_kwh.is_finite() { usd_per_kwh } else { f64::MAX },
            });
        }
        // Highest value per kWh first; ties keep the site's order (stable sort).
        candidates.sort_by(|a, b| b.key.total_cmp(&a.key));
        headroom_kw = headroom_kw.max(0.0);
        for c in &candidates {
            let fit = if c.delta_kw <= 0.0 {
                c.limit
            } else {
                // A tiny tolerance so a cap sized exactly for n devices holds n despite rounding.
                let n = ((headroom_kw + 1e-9) / c.delta_kw).floor();
                if n >= c.limit as f64 {
                    c.limit
                } else {
                    n.max(0.0) as u32
                }
            };
            headroom_kw = (headroom_kw - fit as f64 * c.delta_kw).max(0.0);
            let gp = &mut groups[c.group];
            gp.running = fit;
            gp.curtailed = gp.count - fit;
        }
        Ok(totals(groups, self.cap_kw))
    }
}

fn curtailed_watts(model: &DeviceModel) -> f64 {
    model.sleep_watts.min(model.idle_watts)
}

fn totals(groups: Vec<GroupPlan>, cap_kw: f64) -> SitePlan {
    let mut p = SitePlan { cap_kw, ..SitePlan::default() };
    for g in &groups {
        let (run, off) = (g.running as f64, g.curtailed as f64);
        let (rv, cv) = (&g.running_value, &g.curtailed_value);
        let running_kw = run * rv.facility_watts / 1000.0;
        p.facility_kw += running_kw + off * cv.facility_watts / 1000.0;
        match g.kind {
            DeviceKind::Asic => {
                p.mining_kw += running_kw;
                p.mining_revenue_usd_per_hour += run * rv.revenue_usd_per_hour;
            }
            DeviceKind::Gpu => {
                p.gpu_kw += running_kw;
                p.gpu_revenue_usd_per_hour += run * rv.revenue_usd_per_hour;
            }
        }
        p.curtailed_kw += off * (rv.facility_watts - cv.facility_watts).max(0.0) / 1000.0;
        p.devices_running += g.running as u64;
        p.devices_curtailed += g.curtailed as u64;
        p.btc_per_hour += run * rv.btc_per_hour;
        p.energy_cost_usd_per_hour += run * rv.energy_cost_usd_per_hour + off * cv.energy_cost_usd_per_hour;
        p.credit_usd_per_hour += off * cv.credit_usd_per_hour;
    }
    p.profit_usd_per_hour =
        p.mining_revenue_usd_per_hour + p.gpu_revenue_usd_per_hour + p.credit_usd_per_hour - p.energy_cost_usd_per_hour;
    p.groups = groups;
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::{models, Fees};

    fn market(electricity: f64, gpu: f64) -> Market {
        Market::new(1e5, 1e14, 840_000, Fees::BtcPerBlock(0.1), electricity, gpu, 0.0).unwrap()
    }

    fn reference(cap_kw: f64, dr: f64) -> Site {
        Site::new(
            vec![
                DeviceGroup { model: models::S21(), count: 1000 },
                DeviceGroup { model: models::H100_SXM(), count: 512 },
            ],
            cap_kw,
            Terms {
                pue: 1.1,
                pool_fee: 0.02,
                gpu_utilisation: 0.8,
                demand_response_usd_per_mwh: dr,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn cap_binds_on_the_lower_value_per_watt() {
        let plan = reference(4000.0, 0.0).plan(&market(0.04, 2.5)).unwrap();
        assert!(plan.facility_kw <= 4000.0 + 1e-9);
        assert_eq!(plan.groups[1].running, 512);
        let miners = &plan.groups[0];
        // Asleep: 1000 × 25 W + 512 × 70 W; GPUs serve at 125 + 0.8 × 575 = 585 W; all × PUE 1.1.
        let headroom_kw: f64 = 4000.0 - 1.1 * (1000.0 * 0.025 + 512.0 * 0.070) - 512.0 * 1.1 * (0.585 - 0.070);
        assert_eq!(miners.running, (headroom_kw / (1.1 * (3.5 - 0.025))).floor() as u32);
        assert_eq!(miners.running, 953);
        // One more miner would break the cap.
        assert!(plan.facility_kw + (3500.0 - 25.0) * 1.1 / 1000.0 > 4000.0);
        let profit_check =
            plan.mining_revenue_usd_per_hour + plan.gpu_revenue_usd_per_hour - plan.energy_cost_usd_per_hour;
        assert!((plan.profit_usd_per_hour - profit_check).abs() < 1e-9);
    }

    #[test]
    fn loss_makers_are_curtailed_even_with_room() {
        let plan = reference(10_000.0, 0.0).plan(&market(0.5, 2.5)).unwrap();
        assert_eq!(plan.groups[0].running, 0);
        assert_eq!(plan.groups[1].running, 512);
        assert!((plan.curtailed_kw - 1000.0 * 3.475 * 1.1).abs() < 1e-6);
        let always = reference(10_000.0, 0.0).plan_always_on(&market(0.5, 2.5)).unwrap();
        assert_eq!(always.devices_running, 1512);
        assert!(always.profit_usd_per_hour < plan.profit_usd_per_hour);
    }

    #[test]
    fn demand_response_credit_can_tip_a_miner_to_sleep() {
        let m = market(0.12, 2.5);
        assert_eq!(reference(10_000.0, 0.0).plan(&m).unwrap().groups[0].running, 1000);
        let with_dr = reference(10_000.0, 100.0).plan(&m).unwrap();
        assert_eq!(with_dr.groups[0].running, 0);
        assert!(with_dr.credit_usd_per_hour > 0.0);
    }

    #[test]
    fn limits_and_bad_sites() {
        let site = reference(10_000.0, 0.0);
        let plan = site.plan_limited(&market(0.04, 2.5), &[10, 512]).unwrap();
        assert_eq!(plan.groups[0].running, 10);
        assert!(site.plan_limited(&market(0.04, 2.5), &[10]).is_err());
        let tiny = Site::new(vec![DeviceGroup { model: models::S21(), count: 1000 }], 1.0, Terms::default());
        assert!(tiny.unwrap_err().message().starts_with("cap_kw"));
        assert!(Site::new(vec![], f64::NAN, Terms::default()).is_err());
        let mut other = models::S21();
        other.power_watts = 3000.0;
        let clash = Site::new(
            vec![DeviceGroup { model: models::S21(), count: 1 }, DeviceGroup { model: other, count: 1 }],
            100.0,
            Terms::default(),
        );
        assert!(clash.is_err());
    }
}
