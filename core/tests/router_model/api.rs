//! The surface both the model and the router adapter implement, in plain comparable types.
//!
//! Fields whose meaning the spec leaves open are normalised here (see the header of
//! router_model.rs): e.g. `device_ids` is compared only while a workload is active.

use hcpcore::econ::Market;
use hcpcore::ErrorKind;
use serde_json::json;

pub type R<T> = Result<T, ErrorKind>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Gpu,
    Asic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    RunLate,
    Drop,
    Reject,
}

impl Miss {
    fn name(self) -> &'static str {
        match self {
            Miss::RunLate => "run_late",
            Miss::Drop => "drop",
            Miss::Reject => "reject",
        }
    }
}

/// Workload states as observed (`preempted` is never observable: it is immediately `queued`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum St {
    Queued,
    Assigned,
    Running,
    Completed,
    Failed,
    Cancelled,
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tr {
    Start,
    Complete,
    Fail,
    Cancel,
    Preempt,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeCfg {
    pub name: String,
    pub priority: u8,
    pub kind: Kind,
    pub gpus: u32,
    pub gpu_memory_gb: f64,
    pub latency_bound_ms: Option<f64>,
    pub deadline_seconds: Option<f64>,
    pub preemptible: bool,
    pub can_preempt: bool,
    pub on_miss: Miss,
}

/// The four built-in types (§8 and the type table of the brief).
pub fn builtin_types() -> Vec<TypeCfg> {
    let t = |name: &str, priority, kind, gb, latency, preemptible, can_preempt, on_miss| TypeCfg {
        name: name.into(),
        priority,
        kind,
        gpus: 1,
        gpu_memory_gb: gb,
        latency_bound_ms: latency,
        deadline_seconds: None,
        preemptible,
        can_preempt,
        on_miss,
    };
    vec![
        t("ai_inference_realtime", 1, Kind::Gpu, 20.0, Some(100.0), false, true, Miss::Drop),
        t("ai_inference_batch", 5, Kind::Gpu, 40.0, None, true, false, Miss::RunLate),
        t("model_training", 7, Kind::Gpu, 80.0, None, true, false, Miss::RunLate),
        t("bitcoin_mining", 10, Kind::Asic, 0.0, None, true, false, Miss::RunLate),
    ]
}

#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub fit: f64,
    pub opportunity_cost: f64,
    pub locality: f64,
    pub thermal: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { fit: 1.0, opportunity_cost: 1.0, locality: 2.0, thermal: 0.5 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CustCfg {
    pub weight: u32,
    pub max_gpus: Option<u32>,
    pub max_queued: Option<u32>,
}

impl Default for CustCfg {
    fn default() -> Self {
        CustCfg { weight: 1, max_gpus: None, max_queued: None }
    }
}

/// What both sides are built from. `types` holds every type (built-ins included).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub aging_seconds: f64,
    pub preemption: bool,
    pub max_candidates: usize,
    pub candidates_per_site: usize,
    pub weights: Weights,
    pub customers: Vec<(String, CustCfg)>,
    pub default_customer: CustCfg,
    pub types: Vec<TypeCfg>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            aging_seconds: 60.0,
            preemption: true,
            max_candidates: 4,
            candidates_per_site: 1,
            weights: Weights::default(),
            customers: Vec::new(),
            default_customer: CustCfg::default(),
            types: builtin_types(),
        }
    }
}

impl Config {
    /// The router's JSON for this config. Every type is written out, built-ins included, so the
    /// result is the same whether `workload_types` replaces or extends the built-in table.
    pub fn to_json(&self) -> String {
        let mut types = serde_json::Map::new();
        for t in &self.types {
            let mut o = json!({
                "priority": t.priority,
                "device_kind": match t.kind { Kind::Gpu => "gpu", Kind::Asic => "asic" },
                "gpus": t.gpus,
                "gpu_memory_gb": t.gpu_memory_gb,
                "preemptible": t.preemptible,
                "can_preempt": t.can_preempt,
                "on_miss": t.on_miss.name(),
            });
            if let Some(ms) = t.latency_bound_ms {
                o["latency_bound_ms"] = json!(ms);
            }
            if let Some(s) = t.deadline_seconds {
                o["deadline_seconds"] = json!(s);
            }
            types.insert(t.name.clone(), o);
        }
        let cust = |c: &CustCfg| json!({"weight": c.weight, "max_gpus": c.max_gpus, "max_queued": c.max_queued});
        let mut customers = serde_json::Map::new();
        for (name, c) in &self.customers {
            customers.insert(name.clone(), cust(c));
        }
        json!({
            "manual_clock": true,
            "aging_seconds": self.aging_seconds,
            "preemption": self.preemption,
            "max_candidates": self.max_candidates,
            "candidates_per_site": self.candidates_per_site,
            "placement_weights": {
                "fit": self.weights.fit,
                "opportunity_cost": self.weights.opportunity_cost,
                "locality": self.weights.locality,
                "thermal": self.weights.thermal,
            },
            "customers": customers,
            "default_customer": cust(&self.default_customer),
            "workload_types": types,
        })
        .to_string()
    }
}

/// A submission, owned (the router's `SubmitRequest` borrows).
#[derive(Clone, Debug, PartialEq)]
pub struct Req {
    pub customer_id: String,
    pub workload_type: String,
    pub priority: Option<i64>,
    pub gpus: Option<i64>,
    pub gpu_memory_gb: Option<f64>,
    pub site: Option<String>,
    pub latency_bound_ms: Option<f64>,
    pub deadline_seconds: Option<f64>,
}

impl Req {
    pub fn new(customer: &str, ty: &str) -> Req {
        Req {
            customer_id: customer.into(),
            workload_type: ty.into(),
            priority: None,
            gpus: None,
            gpu_memory_gb: None,
            site: None,
            latency_bound_ms: None,
            deadline_seconds: None,
        }
    }
    pub fn priority(mut self, p: i64) -> Req {
        self.priority = Some(p);
        self
    }
    pub fn gpus(mut self, g: i64) -> Req {
        self.gpus = Some(g);
        self
    }
    pub fn gb(mut self, gb: f64) -> Req {
        self.gpu_memory_gb = Some(gb);
        self
    }
}

/// An `Assignment`, every field compared exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Asg {
    pub workload_id: u64,
    pub device_ids: Vec<String>,
    pub priority: u8,
    pub wait_seconds: f64,
    pub curtailed: Vec<String>,
    pub preempted: Vec<u64>,
}

/// `try_submit`'s `Submission` (the reason's text is free; only its presence is compared).
#[derive(Clone, Debug, PartialEq)]
pub struct TrySub {
    pub workload_id: u64,
    pub state: St,
    pub has_reason: bool,
    pub error: Option<ErrorKind>,
}

/// `WorkloadInfo`, normalised: `None` where the field is not compared in that state.
#[derive(Clone, Debug, PartialEq)]
pub struct WInfo {
    pub id: u64,
    pub customer: String,
    pub workload_type: String,
    pub state: St,
    /// Not for rejected work.
    pub priority: Option<u8>,
    /// Queued: the aged priority now; assigned/running: the priority it was dispatched at.
    pub effective_priority: Option<u8>,
    /// GPU work that was not rejected.
    pub gpus: Option<u32>,
    pub gpu_memory_gb: Option<f64>,
    /// Active work only (empty otherwise).
    pub device_ids: Vec<String>,
    pub preemptions: u32,
    /// Rejected: `Some("<rejected>")` whatever the text; otherwise exact.
    pub reason: Option<String>,
}

/// `DeviceInfoView`, normalised (memory fields only for GPUs).
#[derive(Clone, Debug, PartialEq)]
pub struct DInfo {
    pub device_id: String,
    pub site: String,
    pub gpu_memory_gb: Option<f64>,
    pub free_gpu_memory_gb: Option<f64>,
    pub workloads: u32,
    pub status: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub submitted: u64,
    pub queued: u64,
    pub assigned: u64,
    pub running: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub rejected: u64,
    pub preemptions: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CInfo {
    pub weight: u32,
    pub max_gpus: Option<u32>,
    pub max_queued: Option<u32>,
    pub queued: u64,
    pub active: u64,
    pub gpus_held: u64,
}

/// The router's operations, as both the model and the real router answer them.
pub trait Sys {
    fn add_device(&mut self, id: &str, kind: &str, model: &str, site: &str, gb: Option<f64>) -> R<()>;
    fn remove_device(&mut self, id: &str) -> R<Vec<u64>>;
    fn set_available(&mut self, id: &str, available: bool) -> R<()>;
    fn set_thermal(&mut self, id: &str, headroom: f64) -> R<()>;
    fn set_profit(&mut self, id: &str, usd_per_hour: f64) -> R<()>;
    fn set_cap(&mut self, site: &str, kw: Option<f64>) -> R<()>;
    fn resume_miners(&mut self, site: &str) -> R<Vec<String>>;
    fn set_market(&mut self, m: Market);
    fn submit(&mut self, r: &Req) -> R<u64>;
    fn try_submit(&mut self, r: &Req) -> TrySub;
    fn submit_batch(&mut self, rs: &[Req]) -> Vec<R<u64>>;
    fn dispatch(&mut self) -> Option<Asg>;
    fn dispatch_batch(&mut self, n: usize) -> Vec<Asg>;
    /// `start`/`complete`/`fail`/`cancel`/`preempt`, or the `*_as` form when `as_customer` is
    /// given (there is no `preempt_as`).
    fn transition(&mut self, t: Tr, as_customer: Option<&str>, id: u64) -> R<()>;
    fn complete_batch(&mut self, ids: &[u64]) -> Vec<R<()>>;
    fn advance(&mut self, seconds: f64) -> R<()>;
    fn age(&mut self) -> usize;
    fn set_customer(&mut self, c: &str, cfg: CustCfg) -> R<()>;

    fn workload(&self, id: u64) -> R<WInfo>;
    fn device(&self, id: &str) -> R<DInfo>;
    fn site_load_kw(&self, site: &str) -> R<f64>;
    fn counts(&self) -> Counts;
    fn queue_depths(&self) -> [u64; 10];
    fn customer(&self, c: &str) -> R<CInfo>;
    /// The ids, ascending.
    fn customer_workloads(&self, c: &str) -> Vec<u64>;
}
