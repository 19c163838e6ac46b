//! Strategies: what the site does each tick, as plug-ins behind one trait.
//!
//! A strategy sees an [`Observation`] (prices, the 4CP and demand-response flags, every device
//! group, every endpoint's demand, every job and reservation) and returns a [`Command`]. The
//! site checks the command before applying any of it: a command the devices cannot carry out,
//! or one whose power would pass the cap, is an error and nothing of the tick is applied.
//!
//! Built in ([`builtin`], [`names`]): `always_on`, `mining_only`, `ai_only`, `price_responsive`
//! and `hybrid`; `docs/site.md` says what each does.

use crate::econ::{Action, Decider, DeviceKind, Market, SwitchPolicy, Terms};
use crate::{Error, Result};

use super::miners::{MinerCommand, MinerCounts, MinerModel};
use super::serving::{EndpointLoad, ServingModel};

/// A miner group as a strategy sees it.
#[derive(Debug, Clone)]
pub struct MinerView<'a> {
    /// The model (power range, hashrate curve, transition times).
    pub model: &'a MinerModel,
    /// Miners in the group.
    pub count: u32,
    /// Counts by state.
    pub counts: MinerCounts,
    /// Miners a command may ask to hash (all but those going to sleep).
    pub available: u32,
    /// Current power target, W.
    pub power_target_watts: f64,
    /// Mining revenue after the pool fee, USD per TH/s-hour.
    pub usd_per_th_hour: f64,
    /// The econ catalog model (for `hcpcore::econ` deciders).
    pub econ_model: &'a crate::econ::DeviceModel,
}

impl MinerView<'_> {
    /// Revenue per hour of one miner at `watts`, USD.
    pub fn revenue_usd_per_hour(&self, watts: f64) -> f64 {
        self.model.ths_at(watts) * self.usd_per_th_hour
    }
}

/// An endpoint as a strategy sees it.
#[derive(Debug, Clone)]
pub struct EndpointView<'a> {
    /// Name.
    pub name: &'a str,
    /// This tick's demand.
    pub load: EndpointLoad,
    /// SLO attainment target.
    pub slo_target: f64,
    /// GPUs serving or switching to it now.
    pub gpus_now: u32,
    /// Fewest GPUs that meet the SLO target at this tick's demand (`ServingModel::gpus_for`
    /// over every working GPU).
    pub gpus_for_slo: u32,
    /// Price per token, USD.
    pub usd_per_token: f64,
    /// The serving model.
    pub model: &'a dyn ServingModel,
}

/// A job instance as a strategy sees it.
#[derive(Debug, Clone)]
pub struct JobView {
    /// Instance id (use it in [`Command::job_gpus`]).
    pub id: u64,
    /// `true` for training, `false` for batch inference.
    pub training: bool,
    /// GPU-hours left.
    pub remaining_gpu_hours: f64,
    /// Hours to the deadline (negative when late).
    pub hours_to_deadline: f64,
    /// Most GPUs it can use.
    pub max_gpus: u32,
    /// Price, USD per GPU-hour.
    pub usd_per_gpu_hour: f64,
    /// Power per GPU while it runs, W.
    pub watts_per_gpu: f64,
    /// GPUs on it now.
    pub gpus_now: u32,
}

/// A reservation as a strategy sees it.
#[derive(Debug, Clone, Copy)]
pub struct ReservationView {
    /// GPUs reserved.
    pub gpus: u32,
    /// Power per GPU, W.
    pub watts_per_gpu: f64,
    /// USD per GPU-hour.
    pub usd_per_gpu_hour: f64,
}

/// Everything a strategy sees at the start of a tick.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// Tick number from the run start.
    pub tick: usize,
    /// Unix seconds of the tick start (market clock, local time as published).
    pub time_unix: i64,
    /// Tick length, s.
    pub tick_seconds: f64,
    /// Real-time price, USD/MWh.
    pub price_usd_per_mwh: f64,
    /// All-in energy price (real-time + adders), USD/kWh, may be negative.
    pub energy_usd_per_kwh: f64,
    /// Temperature, °C.
    pub temperature_c: f64,
    /// The econ market snapshot (energy floored at 0).
    pub market: Market,
    /// Site terms for `hcpcore::econ`.
    pub terms: Terms,
    /// Switching policy (hysteresis) from the config.
    pub switching: SwitchPolicy,
    /// Power cap at the meter, kW.
    pub cap_kw: f64,
    /// Facility / device power.
    pub pue: f64,
    /// The interval may be this month's 4CP peak.
    pub four_cp_probable: bool,
    /// A demand-response event is on (curtailment credit paid for load below the baseline).
    pub dr_event: bool,
    /// Reserve offered last tick and deployed now: the site must shed this much, kW.
    pub reserve_deployed_kw: f64,
    /// Reserve payment, USD per MW-hour (0: no program).
    pub reserve_usd_per_mw_hour: f64,
    /// Time reserve load must drop within, s.
    pub reserve_response_seconds: f64,
    /// Facility power now, kW.
    pub facility_kw_now: f64,
    /// Miner groups.
    pub miners: Vec<MinerView<'a>>,
    /// GPUs not faulted.
    pub gpus_working: u32,
    /// GPU idle power, W.
    pub gpu_idle_watts: f64,
    /// GPU sleep power (also what faulted GPUs draw), W.
    pub gpu_sleep_watts: f64,
    /// GPUs faulted.
    pub gpus_faulted: u32,
    /// Endpoints.
    pub endpoints: Vec<EndpointView<'a>>,
    /// Jobs submitted and not finished.
    pub jobs: Vec<JobView>,
    /// Reservations.
    pub reservations: Vec<ReservationView>,
}

/// What a strategy tells the site to do for one tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// One per miner group.
    pub miners: Vec<MinerCommand>,
    /// GPUs serving each endpoint.
    pub endpoint_gpus: Vec<u32>,
    /// GPUs per job instance (absent: none).
    pub job_gpus: Vec<(u64, u32)>,
    /// Keep the reserved GPUs for their customers (and bill them).
    pub serve_reservations: bool,
    /// GPUs without work sleep instead of idling.
    pub idle_gpus_sleep: bool,
    /// Responsive reserve offered for the next tick, kW (facility).
    pub reserve_offer_kw: f64,
}

impl Observation<'_> {
    /// Device watts of the GPUs once the command's GPU part has settled.
    pub fn gpu_watts(&self, cmd: &Command) -> f64 {
        let mut w = 0.0;
        let mut used = 0u32;
        for (e, n) in self.endpoints.iter().zip(&cmd.endpoint_gpus) {
            if *n > 0 {
                w += f64::from(*n) * e.model.serve(&e.load, f64::from(*n)).watts_per_gpu;
            }
            used += n;
        }
        for (id, n) in &cmd.job_gpus {
            if let Some(j) = self.jobs.iter().find(|j| j.id == *id) {
                w += f64::from(*n) * j.watts_per_gpu;
            }
            used += n;
        }
        if cmd.serve_reservations {
            for r in &self.reservations {
                w += f64::from(r.gpus) * r.watts_per_gpu;
                used += r.gpus;
            }
        }
        let spare = self.gpus_working.saturating_sub(used);
        w + f64::from(spare) * if cmd.idle_gpus_sleep { self.gpu_sleep_watts } else { self.gpu_idle_watts }
            + f64::from(self.gpus_faulted) * self.gpu_sleep_watts
    }

    /// Facility kW once the command has settled.
    pub fn settled_kw(&self, cmd: &Command) -> f64 {
        let miners: f64 = self
            .miners
            .iter()
            .zip(&cmd.miners)
            .map(|(m, c)| {
                f64::from(c.hashing) * c.power_target_watts + f64::from(m.count - c.hashing) * m.model.sleep_watts
            })
            .sum();
        (miners + self.gpu_watts(cmd)) * self.pue / 1000.0
    }

    /// Facility kW of load that can drop within the reserve response time if `cmd` is applied.
    pub fn reserve_capable_kw(&self, cmd: &Command) -> f64 {
        self.miners
            .iter()
            .zip(&cmd.miners)
            .filter(|(m, _)| m.model.sleep_seconds() <= self.reserve_response_seconds)
            .map(|(m, c)| f64::from(c.hashing) * (c.power_target_watts - m.model.sleep_watts))
            .sum::<f64>()
            * self.pue
            / 1000.0
    }

    /// Lowers the miners' power (targets down to their minimum first, then sleeps miners,
    /// least valuable group first) until the command settles within `budget_kw`.
    pub fn fit_miners(&self, cmd: &mut Command, budget_kw: f64) {
        let mut over = self.settled_kw(cmd) - budget_kw;
        if over <= 0.0 {
            return;
        }
        let mut order: Vec<usize> = (0..self.miners.len()).collect();
        order.sort_by(|a, b| {
            let va = self.miners[*a].usd_per_th_hour * self.miners[*a].model.nominal_ths
                / self.miners[*a].model.nominal_watts;
            let vb = self.miners[*b].usd_per_th_hour * self.miners[*b].model.nominal_ths
                / self.miners[*b].model.nominal_watts;
            va.total_cmp(&vb)
        });
        let per_kw = 1000.0 / self.pue;
        // Turn the dial down first (better J/TH), then sleep whole miners.
        for &i in &order {
            let (m, c) = (&self.miners[i], &mut cmd.miners[i]);
            if over <= 0.0 || c.hashing == 0 {
                continue;
            }
            let room_w = (c.power_target_watts - m.model.min_watts) * f64::from(c.hashing);
            let cut_w = (over * per_kw).min(room_w);
            c.power_target_watts -= cut_w / f64::from(c.hashing);
            over -= cut_w / per_kw;
        }
        for &i in &order {
            let (m, c) = (&self.miners[i], &mut cmd.miners[i]);
            if over <= 0.0 {
                break;
            }
            let each_kw = (c.power_target_watts - m.model.sleep_watts) / per_kw;
            if each_kw <= 0.0 {
                continue;
            }
            let n = ((over / each_kw).ceil() as u32).min(c.hashing);
            c.hashing -= n;
            over -= f64::from(n) * each_kw;
        }
        for c in &mut cmd.miners {
            if c.hashing == 0 {
                c.power_target_watts = c.power_target_watts.max(0.0);
            }
        }
    }

    /// [`Observation::fit_miners`], then — if the GPUs alone pass `budget_kw` — idle GPUs to
    /// sleep, GPUs taken from jobs (latest deadline first), then from endpoints, and as a last
    /// resort the reservations dropped.
    pub fn fit_all(&self, cmd: &mut Command, budget_kw: f64) {
        self.fit_miners(cmd, budget_kw);
        if self.settled_kw(cmd) <= budget_kw {
            return;
        }
        cmd.idle_gpus_sleep = true;
        let mut order: Vec<usize> = (0..cmd.job_gpus.len()).collect();
        order.sort_by(|a, b| {
            let d =
                |k: usize| self.jobs.iter().find(|j| j.id == cmd.job_gpus[k].0).map_or(0.0, |j| j.hours_to_deadline);
            d(*b).total_cmp(&d(*a))
        });
        for k in order {
            while cmd.job_gpus[k].1 > 0 && self.settled_kw(cmd) > budget_kw {
                cmd.job_gpus[k].1 -= 1;
            }
        }
        cmd.job_gpus.retain(|j| j.1 > 0);
        for i in 0..cmd.endpoint_gpus.len() {
            while cmd.endpoint_gpus[i] > 0 && self.settled_kw(cmd) > budget_kw {
                cmd.endpoint_gpus[i] -= 1;
            }
        }
        if self.settled_kw(cmd) > budget_kw {
            cmd.serve_reservations = false;
        }
    }

    /// Every miner hashing at nominal power (within the range), every GPU idle.
    pub fn base_command(&self) -> Command {
        Command {
            miners: self
                .miners
                .iter()
                .map(|m| MinerCommand {
                    hashing: m.available,
                    power_target_watts: m.model.nominal_watts.clamp(m.model.min_watts, m.model.max_watts),
                })
                .collect(),
            endpoint_gpus: vec![0; self.endpoints.len()],
            job_gpus: Vec::new(),
            serve_reservations: true,
            idle_gpus_sleep: false,
            reserve_offer_kw: 0.0,
        }
    }

    /// GPUs for the work: endpoints sized to their SLO (× `1 + headroom`; with `keep` an
    /// endpoint also keeps GPUs it has up to `1 + 2·headroom` times its need, against
    /// thrashing), then jobs — each `job_want(job)` GPUs, earliest deadline first — within the
    /// working GPUs.
    pub fn plan_gpus(&self, cmd: &mut Command, headroom: f64, keep: bool, job_want: impl Fn(&JobView) -> u32) {
        let reserved: u32 = if cmd.serve_reservations { self.reservations.iter().map(|r| r.gpus).sum() } else { 0 };
        let mut free = self.gpus_working.saturating_sub(reserved);
        for (i, e) in self.endpoints.iter().enumerate() {
            let need = e.gpus_for_slo.min(free);
            let mut want = (f64::from(need) * (1.0 + headroom)).ceil() as u32;
            if keep {
                let band = (f64::from(need) * (1.0 + 2.0 * headroom)).ceil() as u32;
                want = want.max(e.gpus_now.min(band));
            }
            let want = want.min(free);
            cmd.endpoint_gpus[i] = want;
            free -= want;
        }
        let mut jobs: Vec<&JobView> = self.jobs.iter().collect();
        jobs.sort_by(|a, b| a.hours_to_deadline.total_cmp(&b.hours_to_deadline).then(a.id.cmp(&b.id)));
        cmd.job_gpus.clear();
        for j in jobs {
            let n = job_want(j).min(j.max_gpus).min(free);
            if n > 0 {
                cmd.job_gpus.push((j.id, n));
                free -= n;
            }
        }
    }
}

/// GPUs a job needs from now on to finish by its deadline.
pub fn gpus_to_meet_deadline(j: &JobView, tick_hours: f64) -> u32 {
    if j.remaining_gpu_hours <= 0.0 {
        return 0;
    }
    let hours = (j.hours_to_deadline - tick_hours).max(tick_hours);
    ((j.remaining_gpu_hours / hours).ceil() as u32).min(j.max_gpus)
}

/// GPUs a job can still use (no more than it has work for this tick).
pub fn gpus_greedy(j: &JobView, tick_hours: f64) -> u32 {
    ((j.remaining_gpu_hours / tick_hours).ceil() as u32).min(j.max_gpus)
}

/// A site strategy. Implement it to plug in your own.
pub trait Strategy: std::fmt::Debug + Send {
    /// Name shown in reports.
    fn name(&self) -> &str;
    /// The command for the tick observed.
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command>;
}

/// The built-in strategy names.
pub fn names() -> &'static [&'static str] {
    &["always_on", "mining_only", "ai_only", "price_responsive", "hybrid"]
}

/// A built-in strategy by name; `InvalidInput` naming `strategy` for an unknown one.
pub fn builtin(name: &str, hybrid: &super::config::HybridConfig) -> Result<Box<dyn Strategy>> {
    Ok(match name {
        "always_on" => Box::new(AlwaysOn),
        "mining_only" => Box::new(MiningOnly),
        "ai_only" => Box::new(AiOnly),
        "price_responsive" => Box::new(PriceResponsive::default()),
        "hybrid" => Box::new(Hybrid::new(hybrid.clone())),
        other => {
            return Err(Error::invalid_input(
                "strategy",
                format!("unknown strategy {other:?}; built in: {}", names().join(", ")),
            ))
        }
    })
}

/// Every device on, all the time: GPUs take the work there is (GPUs first under the cap),
/// miners hash at nominal power in what is left. No price response, no 4CP, no demand response.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysOn;

impl Strategy for AlwaysOn {
    fn name(&self) -> &str {
        "always_on"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command> {
        let mut cmd = obs.base_command();
        let h = obs.tick_seconds / 3600.0;
        obs.plan_gpus(&mut cmd, 0.0, false, |j| gpus_greedy(j, h));
        for (m, c) in obs.miners.iter().zip(&mut cmd.miners) {
            // Always on sleeps miners only for lack of power, never turns the dial.
            c.power_target_watts = m.model.nominal_watts.clamp(m.model.min_watts, m.model.max_watts);
        }
        fit_by_sleeping(obs, &mut cmd, obs.cap_kw * 0.999);
        obs.fit_all(&mut cmd, obs.cap_kw * 0.999);
        Ok(cmd)
    }
}

/// Sleeps whole miners (no dial) until the command fits `budget_kw`.
fn fit_by_sleeping(obs: &Observation<'_>, cmd: &mut Command, budget_kw: f64) {
    let per_kw = 1000.0 / obs.pue;
    let mut over = obs.settled_kw(cmd) - budget_kw;
    for (m, c) in obs.miners.iter().zip(&mut cmd.miners) {
        if over <= 0.0 {
            break;
        }
        let each_kw = (c.power_target_watts - m.model.sleep_watts) / per_kw;
        let n = ((over / each_kw).ceil() as u32).min(c.hashing);
        c.hashing -= n;
        over -= f64::from(n) * each_kw;
    }
}

/// A pure mining site: GPUs asleep, no AI customer served.
#[derive(Debug, Clone, Copy, Default)]
pub struct MiningOnly;

impl Strategy for MiningOnly {
    fn name(&self) -> &str {
        "mining_only"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command> {
        let mut cmd = obs.base_command();
        cmd.serve_reservations = false;
        cmd.idle_gpus_sleep = true;
        fit_by_sleeping(obs, &mut cmd, obs.cap_kw * 0.999);
        obs.fit_all(&mut cmd, obs.cap_kw * 0.999);
        Ok(cmd)
    }
}

/// A pure AI site: miners asleep, GPUs take all the work, idle GPUs idle.
#[derive(Debug, Clone, Copy, Default)]
pub struct AiOnly;

impl Strategy for AiOnly {
    fn name(&self) -> &str {
        "ai_only"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command> {
        let mut cmd = obs.base_command();
        for c in &mut cmd.miners {
            c.hashing = 0;
        }
        let h = obs.tick_seconds / 3600.0;
        obs.plan_gpus(&mut cmd, 0.0, false, |j| gpus_greedy(j, h));
        obs.fit_all(&mut cmd, obs.cap_kw * 0.999);
        Ok(cmd)
    }
}

/// Today's decider: an `hcpcore::econ::Decider` per miner group (mine or sleep on price, with the
/// config's dwell and switching cost); GPUs serve the work when it pays its energy, idle GPUs
/// sleep; under the cap GPUs come first, then miners by value per kWh.
#[derive(Debug, Default)]
pub struct PriceResponsive {
    deciders: Vec<Decider>,
}

impl Strategy for PriceResponsive {
    fn name(&self) -> &str {
        "price_responsive"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command> {
        if self.deciders.len() != obs.miners.len() {
            self.deciders = obs
                .miners
                .iter()
                .map(|m| {
                    Decider::new(m.econ_model.clone(), obs.terms, obs.switching, Action::productive(DeviceKind::Asic))
                })
                .collect::<Result<_>>()?;
        }
        let mut cmd = obs.base_command();
        cmd.idle_gpus_sleep = true;
        let h = obs.tick_seconds / 3600.0;
        let kwh = obs.energy_usd_per_kwh.max(0.0) * obs.pue;
        obs.plan_gpus(&mut cmd, 0.0, false, |j| {
            if j.usd_per_gpu_hour > j.watts_per_gpu / 1000.0 * kwh {
                gpus_greedy(j, h)
            } else {
                gpus_to_meet_deadline(j, h)
            }
        });
        for ((d, c), m) in self.deciders.iter_mut().zip(&mut cmd.miners).zip(&obs.miners) {
            let decision = d.step(&obs.market, obs.tick_seconds)?;
            if decision.action != Action::Mine {
                c.hashing = 0;
            } else {
                c.hashing = m.available;
            }
        }
        obs.fit_all(&mut cmd, obs.cap_kw * 0.999);
        Ok(cmd)
    }
}

/// hcp's full policy: SLO-aware GPU admission with headroom, deadline-aware jobs that run in
/// cheap hours, miners on a continuous power dial set where marginal mining revenue meets the
/// energy price, watts borrowed from the least valuable miners, 4CP avoidance, demand-response
/// participation, and hysteresis (minimum dwell) on sleeping and waking miners.
#[derive(Debug)]
pub struct Hybrid {
    cfg: super::config::HybridConfig,
    asleep_since: Vec<Option<usize>>,
    awake_since: Vec<usize>,
    /// Recent all-in prices (for "cheap hour" detection).
    recent: std::collections::VecDeque<f64>,
}

impl Hybrid {
    /// A hybrid strategy with the config's knobs.
    pub fn new(cfg: super::config::HybridConfig) -> Hybrid {
        Hybrid { cfg, asleep_since: Vec::new(), awake_since: Vec::new(), recent: Default::default() }
    }
}

impl Strategy for Hybrid {
    fn name(&self) -> &str {
        "hybrid"
    }
    fn decide(&mut self, obs: &Observation<'_>) -> Result<Command> {
        let n = obs.miners.len();
        if self.asleep_since.len() != n {
            self.asleep_since = vec![None; n];
            self.awake_since = vec![0; n];
        }
        let ticks_per_day = (86_400.0 / obs.tick_seconds) as usize;
        self.recent.push_back(obs.energy_usd_per_kwh);
        if self.recent.len() > ticks_per_day {
            self.recent.pop_front();
        }
        let mut sorted: Vec<f64> = self.recent.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let median = sorted[sorted.len() / 2];
        let cheap = obs.energy_usd_per_kwh <= median;
        let h = obs.tick_seconds / 3600.0;
        let kwh = obs.energy_usd_per_kwh.max(0.0) * obs.pue;
        let peak = obs.four_cp_probable && self.cfg.avoid_four_cp;

        let mut cmd = obs.base_command();
        cmd.idle_gpus_sleep = true;
        obs.plan_gpus(&mut cmd, self.cfg.gpu_headroom, true, |j| {
            let must = gpus_to_meet_deadline(j, h);
            let pays = j.usd_per_gpu_hour > j.watts_per_gpu / 1000.0 * kwh;
            let slack_hours = j.hours_to_deadline - j.remaining_gpu_hours / f64::from(j.max_gpus.max(1));
            if peak || !pays || (!cheap && slack_hours > 6.0) {
                must
            } else {
                gpus_greedy(j, h)
            }
        });

        // Deadlines before headroom: a job short of the GPUs that meet its deadline takes free
        // GPUs, then the endpoints' headroom above their SLO sizing.
        let reserved: u32 = obs.reservations.iter().map(|r| r.gpus).sum();
        let used: u32 =
            cmd.endpoint_gpus.iter().sum::<u32>() + cmd.job_gpus.iter().map(|j| j.1).sum::<u32>() + reserved;
        let mut free = obs.gpus_working.saturating_sub(used);
        let mut jobs: Vec<&JobView> = obs.jobs.iter().collect();
        jobs.sort_by(|a, b| a.hours_to_deadline.total_cmp(&b.hours_to_deadline).then(a.id.cmp(&b.id)));
        for j in jobs {
            let must = gpus_to_meet_deadline(j, h);
            let have = cmd.job_gpus.iter().find(|x| x.0 == j.id).map_or(0, |x| x.1);
            let mut short = must.saturating_sub(have);
            let mut got = 0;
            let k = short.min(free);
            free -= k;
            got += k;
            short -= k;
            for (i, e) in obs.endpoints.iter().enumerate() {
                if short == 0 {
                    break;
                }
                let spare = cmd.endpoint_gpus[i].saturating_sub(e.gpus_for_slo);
                let k = spare.min(short);
                cmd.endpoint_gpus[i] -= k;
                got += k;
                short -= k;
            }
            if got > 0 {
                match cmd.job_gpus.iter_mut().find(|x| x.0 == j.id) {
                    Some(x) => x.1 += got,
                    None => cmd.job_gpus.push((j.id, got)),
                }
            }
        }

        // Miner dial: marginal revenue per W equals the energy price per W (facility), within range.
        let dwell_ticks = (obs.switching.min_dwell_seconds / obs.tick_seconds).ceil() as usize;
        for (i, (m, c)) in obs.miners.iter().zip(&mut cmd.miners).enumerate() {
            let cost_per_w_hour = kwh / 1000.0;
            let model = m.model;
            let mut p = model.max_watts.min(model.nominal_watts.max(model.min_watts));
            // Bisection on the marginal condition (hashrate is concave in power).
            if m.usd_per_th_hour * model.marginal_ths_per_watt(p) < cost_per_w_hour {
                let (mut lo, mut hi) = (model.min_watts, p);
                for _ in 0..40 {
                    let mid = 0.5 * (lo + hi);
                    if m.usd_per_th_hour * model.marginal_ths_per_watt(mid) > cost_per_w_hour {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                p = lo;
            }
            let profit = m.revenue_usd_per_hour(p) - p * cost_per_w_hour;
            let asleep = self.asleep_since[i].is_some();
            let dwelt = match self.asleep_since[i] {
                Some(t) => obs.tick - t >= dwell_ticks,
                None => obs.tick - self.awake_since[i] >= dwell_ticks,
            };
            // Hysteresis: wake only when clearly profitable after the dwell; sleep when losing
            // money after the dwell, or at once when losing badly.
            let wear = obs.switching.wear_usd_per_switch;
            let revenue = m.revenue_usd_per_hour(p);
            let keep_mining = if asleep {
                dwelt && profit > wear + 0.02 * revenue
            } else {
                !(profit < 0.0 && (dwelt || profit < -0.5 * revenue))
            };
            let mine = keep_mining && !peak;
            if mine {
                c.hashing = m.available;
                c.power_target_watts = p;
            } else {
                c.hashing = 0;
                c.power_target_watts = p;
            }
        }
        // Demand response: during an event, hold miners off if the credit beats their margin.
        if obs.dr_event {
            for c in &mut cmd.miners {
                c.hashing = 0;
            }
        }
        // Deployed reserve must be shed.
        if obs.reserve_deployed_kw > 0.0 {
            let budget = (obs.facility_kw_now - obs.reserve_deployed_kw).max(0.0);
            obs.fit_all(&mut cmd, budget.min(obs.cap_kw * 0.999));
        }
        obs.fit_all(&mut cmd, obs.cap_kw * 0.999);
        if self.cfg.offer_reserve && obs.reserve_usd_per_mw_hour > 0.0 {
            cmd.reserve_offer_kw = obs.reserve_capable_kw(&cmd);
        }
        for (i, c) in cmd.miners.iter().enumerate() {
            let now_asleep = c.hashing == 0;
            match (self.asleep_since[i].is_some(), now_asleep) {
                (false, true) => self.asleep_since[i] = Some(obs.tick),
                (true, false) => {
                    self.asleep_since[i] = None;
                    self.awake_since[i] = obs.tick;
                }
                _ => {}
            }
        }
        Ok(cmd)
    }
}
