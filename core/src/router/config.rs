//! Router configuration as data (serde/JSON): workload types and their defaults, placement
//! weights, aging, fair-share weights and quotas per customer, site power caps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::econ::DeviceKind;
use crate::error::check;
use crate::{Error, Result};

/// What a workload type implies when a submission leaves a field out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadTypeConfig {
    /// Default priority, 1 (highest) … 10 (lowest).
    pub priority: u8,
    /// The device kind it runs on.
    pub device_kind: DeviceKind,
    /// Default number of GPUs (ignored for ASIC work, which takes one whole miner).
    #[serde(default = "one")]
    pub gpus: u32,
    /// Default GPU memory per GPU, GB.
    #[serde(default)]
    pub gpu_memory_gb: f64,
    /// Latency bound, milliseconds (informational; realtime work is scored for locality).
    #[serde(default)]
    pub latency_bound_ms: Option<f64>,
    /// Deadline after submission, seconds (informational).
    #[serde(default)]
    pub deadline_seconds: Option<f64>,
    /// May this type's running workloads be preempted by higher-priority work?
    #[serde(default = "yes")]
    pub preemptible: bool,
    /// May this type preempt lower-priority work when nothing fits?
    #[serde(default)]
    pub can_preempt: bool,
    /// What happens to a workload still queued past its latency bound or deadline.
    #[serde(default)]
    pub on_miss: MissPolicy,
}

/// What the router does with a workload that has not been dispatched by its latency bound or
/// deadline (see `docs/router.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissPolicy {
    /// Keep it queued; dispatch it late and count the miss.
    #[default]
    RunLate,
    /// Fail it (reason `"latency bound passed"` / `"deadline passed"`) once the bound passes.
    Drop,
    /// As `Drop`, and refuse a submission that cannot be placed at once.
    Reject,
}

impl MissPolicy {
    /// `"run_late"`, `"drop"` or `"reject"`.
    pub fn name(self) -> &'static str {
        match self {
            MissPolicy::RunLate => "run_late",
            MissPolicy::Drop => "drop",
            MissPolicy::Reject => "reject",
        }
    }
}

/// Most GPUs (or miners) one workload may ask for, in config and in `submit`.
pub const MAX_GPUS: u32 = 1024;
/// Largest GPU memory one request may ask for, GB.
pub const MAX_GPU_MEMORY_GB: f64 = 4_000_000.0;
/// Largest latency bound (ms) or deadline (s).
pub const MAX_BOUND: f64 = 1e12;
/// Largest fair-share weight.
pub const MAX_WEIGHT: u32 = 1_000_000;

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

impl WorkloadTypeConfig {
    fn validated(self, name: &str) -> Result<Self> {
        if !(1..=10).contains(&self.priority) {
            return Err(Error::invalid_input(
                "priority",
                format!("type {name}: must be in 1..=10, got {}", self.priority),
            ));
        }
        check::in_range("gpu_memory_gb", self.gpu_memory_gb, 0.0, MAX_GPU_MEMORY_GB)?;
        if let Some(ms) = self.latency_bound_ms {
            check::positive_at_most("latency_bound_ms", ms, MAX_BOUND)?;
        }
        if let Some(s) = self.deadline_seconds {
            check::positive_at_most("deadline_seconds", s, MAX_BOUND)?;
        }
        if !(1..=MAX_GPUS).contains(&self.gpus) {
            return Err(Error::invalid_input(
                "gpus",
                format!("type {name}: must be in 1..={MAX_GPUS}, got {}", self.gpus),
            ));
        }
        Ok(self)
    }
}

/// The four built-in types. Realtime inference outranks everything and may preempt; batch
/// inference and training yield to it; mining is the lowest and runs on ASICs.
pub fn builtin_types() -> BTreeMap<String, WorkloadTypeConfig> {
    let gpu = |priority, gpu_memory_gb, latency_bound_ms, preemptible, can_preempt, on_miss| WorkloadTypeConfig {
        priority,
        device_kind: DeviceKind::Gpu,
        gpus: 1,
        gpu_memory_gb,
        latency_bound_ms,
        deadline_seconds: None,
        preemptible,
        can_preempt,
        on_miss,
    };
    let mut m = BTreeMap::new();
    m.insert("ai_inference_realtime".into(), gpu(1, 20.0, Some(100.0), false, true, MissPolicy::Drop));
    m.insert("ai_inference_batch".into(), gpu(5, 40.0, None, true, false, MissPolicy::RunLate));
    m.insert("model_training".into(), gpu(7, 80.0, None, true, false, MissPolicy::RunLate));
    m.insert(
        "bitcoin_mining".into(),
        WorkloadTypeConfig {
            priority: 10,
            device_kind: DeviceKind::Asic,
            gpus: 1,
            gpu_memory_gb: 0.0,
            latency_bound_ms: None,
            deadline_seconds: None,
            preemptible: true,
            can_preempt: false,
            on_miss: MissPolicy::RunLate,
        },
    );
    m
}

/// Weights of the placement score (each term lies in [0, 1] before weighting).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacementWeights {
    /// Best fit: how little memory the device has left after placing (packs devices tight).
    pub fit: f64,
    /// Opportunity cost: the profit of the device's current use (lower is better).
    pub opportunity_cost: f64,
    /// Locality: the device is at the workload's preferred site.
    pub locality: f64,
    /// Thermal headroom of the device (higher is better).
    pub thermal: f64,
}

impl Default for PlacementWeights {
    fn default() -> Self {
        PlacementWeights { fit: 1.0, opportunity_cost: 1.0, locality: 2.0, thermal: 0.5 }
    }
}

/// Upper bound of `max_candidates`.
pub const MAX_CANDIDATES: usize = 16;

/// Fair-share weight and quotas of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerConfig {
    /// Share of a priority level when several customers are backlogged (≥ 1).
    pub weight: u32,
    /// Most GPUs the customer may hold at once (`None`: no limit).
    pub max_gpus: Option<u32>,
    /// Most workloads the customer may have waiting (`None`: no limit).
    pub max_queued: Option<u32>,
}

impl CustomerConfig {
    /// Checks the weight (1 ..= 1,000,000).
    pub fn validated(self) -> Result<CustomerConfig> {
        if !(1..=MAX_WEIGHT).contains(&self.weight) {
            return Err(Error::invalid_input("weight", format!("must be in 1..={MAX_WEIGHT}, got {}", self.weight)));
        }
        Ok(self)
    }
}

impl Default for CustomerConfig {
    fn default() -> Self {
        CustomerConfig { weight: 1, max_gpus: None, max_queued: None }
    }
}

/// A site's power budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Power cap, kW (devices' draw, before PUE).
    pub power_cap_kw: f64,
}

/// Everything the router is told at construction. Every field has a default, so `{}` is valid.
///
/// ```
/// let cfg = hcpcore::router::RouterConfig::from_json(r#"{"aging_seconds": 30,
///     "workload_types": {"embedding": {"priority": 3, "device_kind": "gpu", "gpu_memory_gb": 8}}}"#).unwrap();
/// assert!(cfg.workload_types.contains_key("embedding"));
/// assert!(cfg.workload_types.contains_key("ai_inference_realtime"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// Extra (or overriding) workload types, merged over the built-in four.
    pub workload_types: BTreeMap<String, WorkloadTypeConfig>,
    /// A workload waiting this long climbs one priority level, and one more per further
    /// period; `0` turns aging off.
    pub aging_seconds: f64,
    /// Placement score weights.
    pub placement_weights: PlacementWeights,
    /// Devices scored per placement (bounded candidate set), ≥ 1.
    pub max_candidates: usize,
    /// Best-fit candidates taken from each site (the set spans `max_candidates /
    /// candidates_per_site` sites); more per site weighs thermal headroom and opportunity cost
    /// among a site's devices at the price of extra queue operations.
    pub candidates_per_site: usize,
    /// Customers known in advance (others get `default_customer`).
    pub customers: BTreeMap<String, CustomerConfig>,
    /// Weight and quotas of customers not listed.
    pub default_customer: CustomerConfig,
    /// Power caps per site (sites not listed are uncapped).
    pub sites: BTreeMap<String, SiteConfig>,
    /// Global switch for preemption (per type: `can_preempt` / `preemptible`).
    pub preemption: bool,
    /// Time comes from [`Router::advance_time`](super::Router::advance_time) instead of the
    /// system clock (deterministic replays and tests).
    pub manual_clock: bool,
    /// Most distinct customers the router tracks.
    pub max_customers: usize,
    /// Id of the first workload.
    pub first_workload_id: u64,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            workload_types: builtin_types(),
            aging_seconds: 60.0,
            placement_weights: PlacementWeights::default(),
            max_candidates: 4,
            candidates_per_site: 1,
            customers: BTreeMap::new(),
            default_customer: CustomerConfig::default(),
            sites: BTreeMap::new(),
            preemption: true,
            manual_clock: false,
            max_customers: 4096,
            first_workload_id: 1,
        }
    }
}

impl RouterConfig {
    /// Parses JSON; the built-in types stay unless the document redefines them by name.
    pub fn from_json(json: &str) -> Result<RouterConfig> {
        let mut cfg: RouterConfig =
            serde_json::from_str(json).map_err(|e| Error::invalid_input("config", format!("malformed JSON: {e}")))?;
        let mut types = builtin_types();
        types.append(&mut cfg.workload_types);
        cfg.workload_types = types;
        cfg.validated()
    }

    /// Checks every field.
    pub fn validated(mut self) -> Result<RouterConfig> {
        check::in_range("aging_seconds", self.aging_seconds, 0.0, 1e9)?;
        let w = self.placement_weights;
        check::non_negative("placement_weights.fit", w.fit)?;
        check::non_negative("placement_weights.opportunity_cost", w.opportunity_cost)?;
        check::non_negative("placement_weights.locality", w.locality)?;
        check::non_negative("placement_weights.thermal", w.thermal)?;
        if self.max_candidates == 0 || self.max_candidates > MAX_CANDIDATES {
            return Err(Error::invalid_input(
                "max_candidates",
                format!("must be in 1..={MAX_CANDIDATES}, got {}", self.max_candidates),
            ));
        }
        if self.candidates_per_site == 0 || self.candidates_per_site > self.max_candidates {
            return Err(Error::invalid_input("candidates_per_site", "must be in 1..=max_candidates"));
        }
        if self.max_customers == 0 || self.max_customers > 1 << 20 {
            return Err(Error::invalid_input(
                "max_customers",
                format!("must be in 1..=1048576, got {}", self.max_customers),
            ));
        }
        if self.first_workload_id == 0 || self.first_workload_id >= 1 << 40 {
            return Err(Error::invalid_input("first_workload_id", "must be in 1..2^40"));
        }
        for c in self.customers.values().chain(std::iter::once(&self.default_customer)) {
            c.validated()?;
        }
        for s in self.sites.values() {
            check::positive_at_most("power_cap_kw", s.power_cap_kw, 1e9)?;
        }
        let types = std::mem::take(&mut self.workload_types);
        for (name, t) in types {
            if name.is_empty() || name.len() > 64 {
                return Err(Error::invalid_input("workload_type", "names must be 1..=64 bytes"));
            }
            let t = t.validated(&name)?;
            self.workload_types.insert(name, t);
        }
        if self.workload_types.len() > u16::MAX as usize - 1 {
            return Err(Error::invalid_input("workload_types", "too many types"));
        }
        Ok(self)
    }
}
