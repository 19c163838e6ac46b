//! `Router`: JavaScript adapter over `hcpcore::router::Router`. Conversion only; every rule lives in
//! the core. Bulk calls take and return typed arrays so a caller moving thousands of workloads
//! crosses the boundary once. Workload ids are plain numbers (they stay below 2^40).

use std::sync::Arc;

use hcpcore::router::{
    Assignment as CoreAssignment, CustomerConfig as CoreCustomerConfig, Router as CoreRouter, RouterConfig,
    SubmitRequest, WorkloadInfo as CoreWorkloadInfo,
};
use napi::bindgen_prelude::{Float64Array, Uint8Array};
use napi_derive::napi;

use crate::args::{self, safe_int};
use crate::econ::Market;
use crate::errors::{invalid_input, to_js, Code, IntoJs, Result};
use hcpcore::limits::MAX_BATCH;

/// Optional fields of a submission (the workload type supplies the rest).
#[napi(object)]
#[derive(Default)]
pub struct SubmitOptions {
    /// 1 (highest) … 10 (lowest).
    pub priority: Option<f64>,
    /// GPUs wanted.
    pub gpus: Option<f64>,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: Option<f64>,
    /// Preferred site.
    pub site: Option<String>,
    /// Longest acceptable wait, ms.
    pub latency_bound_ms: Option<f64>,
    /// Dispatch deadline after submission, s.
    pub deadline_seconds: Option<f64>,
}

/// One request of `submitBatch`.
#[napi(object)]
pub struct SubmitInit {
    /// Owner.
    pub customer_id: String,
    /// Workload type.
    pub workload_type: String,
    /// 1 (highest) … 10 (lowest).
    pub priority: Option<f64>,
    /// GPUs wanted.
    pub gpus: Option<f64>,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: Option<f64>,
    /// Preferred site.
    pub site: Option<String>,
    /// Longest acceptable wait, ms.
    pub latency_bound_ms: Option<f64>,
    /// Dispatch deadline after submission, s.
    pub deadline_seconds: Option<f64>,
}

/// What `trySubmit` reports: every submission takes an id, accepted or not.
#[napi(object)]
pub struct Submission {
    /// The id this submission took.
    pub workload_id: i64,
    /// `"queued"` when accepted, `"rejected"` otherwise.
    pub state: String,
    /// Why it was rejected (absent when accepted).
    pub reason: Option<String>,
}

/// A customer's fair-share weight and quotas (`setCustomer`); absent fields take their
/// defaults (weight 1, no limit).
#[napi(object)]
#[derive(Default)]
pub struct CustomerConfig {
    /// Share of a priority level when several customers are backlogged, 1 … 1,000,000.
    pub weight: Option<f64>,
    /// Most devices its active work may hold.
    pub max_gpus: Option<f64>,
    /// Most workloads it may have waiting.
    pub max_queued: Option<f64>,
}

/// A customer's weight and quotas with its live counts.
#[napi(object)]
pub struct CustomerInfo {
    /// Customer id.
    pub customer_id: String,
    /// Fair-share weight.
    pub weight: u32,
    /// Most devices its active work may hold (absent: no limit).
    pub max_gpus: Option<u32>,
    /// Most workloads it may have waiting (absent: no limit).
    pub max_queued: Option<u32>,
    /// Workloads waiting now.
    pub queued: u32,
    /// Workloads assigned or running now.
    pub active: u32,
    /// Devices its active work holds.
    pub gpus_held: u32,
    /// Workloads it has submitted (accepted or rejected).
    pub submitted: i64,
}

/// A placement decision.
#[napi(object)]
pub struct Assignment {
    /// The workload placed.
    pub workload_id: i64,
    /// Its (first) device.
    pub device_id: String,
    /// All its devices.
    pub device_ids: Vec<String>,
    /// Priority it was dispatched at (after aging).
    pub priority: u32,
    /// Seconds it waited.
    pub wait_seconds: f64,
    /// Miners to put to sleep first (power cap).
    pub curtailed_device_ids: Vec<String>,
    /// Workloads preempted to make room.
    pub preempted_workload_ids: Vec<i64>,
}

impl From<&CoreAssignment> for Assignment {
    fn from(a: &CoreAssignment) -> Self {
        Assignment {
            workload_id: a.workload_id as i64,
            device_id: a.device_id.to_string(),
            device_ids: a.device_ids().iter().map(|d| d.to_string()).collect(),
            priority: a.priority as u32,
            wait_seconds: a.wait_seconds,
            curtailed_device_ids: a.curtailed_device_ids.iter().map(|d| d.to_string()).collect(),
            preempted_workload_ids: a.preempted_workload_ids.iter().map(|&i| i as i64).collect(),
        }
    }
}

/// The columns of `dispatchBatch`.
#[napi(object)]
pub struct AssignmentColumns {
    /// Workload ids, in dispatch order.
    pub workload_ids: Float64Array,
    /// Their (first) devices.
    pub device_ids: Vec<String>,
    /// Miners to curtail, over the whole batch.
    pub curtailed_device_ids: Vec<String>,
    /// Workloads preempted, over the whole batch.
    pub preempted_workload_ids: Vec<i64>,
}

/// What one workload looks like now.
#[napi(object)]
pub struct WorkloadInfo {
    /// Id.
    pub id: i64,
    /// Owner.
    pub customer_id: String,
    /// Type.
    pub workload_type: String,
    /// Submitted priority.
    pub priority: u32,
    /// Priority after aging.
    pub effective_priority: u32,
    /// `"queued"`, `"assigned"`, `"running"`, `"completed"`, `"failed"`, `"cancelled"` or
    /// `"rejected"`.
    pub state: String,
    /// GPUs.
    pub gpus: u32,
    /// Memory per GPU, GB.
    pub gpu_memory_gb: f64,
    /// Devices held.
    pub device_ids: Vec<String>,
    /// Router-clock seconds at submission.
    pub submit_seconds: f64,
    /// Longest acceptable wait, ms.
    pub latency_bound_ms: Option<f64>,
    /// Dispatch deadline after submission, s.
    pub deadline_seconds: Option<f64>,
    /// Times it was preempted (it went back to the queue each time).
    pub preemptions: u32,
    /// Why it was rejected or failed by the router (absent otherwise).
    pub reason: Option<String>,
}

impl From<CoreWorkloadInfo> for WorkloadInfo {
    fn from(w: CoreWorkloadInfo) -> Self {
        WorkloadInfo {
            id: w.id as i64,
            customer_id: w.customer_id,
            workload_type: w.workload_type,
            priority: w.priority as u32,
            effective_priority: w.effective_priority as u32,
            state: w.state.name().to_string(),
            gpus: w.gpus,
            gpu_memory_gb: w.gpu_memory_gb,
            device_ids: w.device_ids,
            submit_seconds: w.submit_seconds,
            latency_bound_ms: w.latency_bound_ms,
            deadline_seconds: w.deadline_seconds,
            preemptions: w.preemptions,
            reason: w.reason,
        }
    }
}

/// Counts by state (`submitted` = the sum of the others).
#[napi(object)]
pub struct StateCounts {
    /// Every submission.
    pub submitted: i64,
    /// Waiting.
    pub queued: i64,
    /// Assigned.
    pub assigned: i64,
    /// Running.
    pub running: i64,
    /// Completed.
    pub completed: i64,
    /// Failed.
    pub failed: i64,
    /// Cancelled.
    pub cancelled: i64,
    /// Rejected at submission.
    pub rejected: i64,
    /// Preemptions so far.
    pub preemptions: i64,
}

/// Registry view of a device.
#[napi(object)]
pub struct DeviceView {
    /// Id.
    pub device_id: String,
    /// `"gpu"` or `"asic"`.
    pub kind: String,
    /// Model.
    pub model: String,
    /// Site.
    pub site: String,
    /// Memory, GB.
    pub gpu_memory_gb: f64,
    /// Free memory, GB.
    pub free_gpu_memory_gb: f64,
    /// Workloads on it.
    pub workloads: u32,
    /// `"available"`, `"drained"` or `"curtailed"`.
    pub status: String,
}

/// A priority router of workloads onto devices.
#[napi]
pub struct Router {
    inner: Option<Arc<CoreRouter>>,
}

fn closed() -> napi::Error<Code> {
    to_js(hcpcore::Error::new(hcpcore::ErrorKind::Closed, "router: used after close()"))
}

#[napi]
impl Router {
    /// A router. `config` is an object (or JSON string) with the RouterConfig fields, in their
    /// snake_case JSON names as in `tests/vectors/router.json` (e.g. `{ manual_clock: true }`).
    #[napi(constructor, catch_unwind)]
    pub fn new(config: Option<args::Value>) -> Result<Self> {
        let json = match config.map(|c| c.get("config")).transpose()? {
            None | Some(serde_json::Value::Null) => "{}".to_string(),
            Some(serde_json::Value::String(s)) => s,
            Some(v @ serde_json::Value::Object(_)) => v.to_string(),
            Some(_) => return Err(invalid_input("config", "must be an object or a JSON string")),
        };
        let cfg = RouterConfig::from_json(&json).js()?;
        Ok(Router { inner: Some(Arc::new(CoreRouter::new(cfg).js()?)) })
    }

    fn r(&self) -> Result<&CoreRouter> {
        self.inner.as_deref().ok_or_else(closed)
    }

    /// Registers a device (`kind` `"gpu"` or `"asic"`, `model` a catalog name such as `"H100_SXM"`).
    #[napi(catch_unwind)]
    pub fn add_device(
        &self,
        device_id: String,
        kind: String,
        model: String,
        site: String,
        gpu_memory_gb: Option<f64>,
    ) -> Result<()> {
        self.r()?.add_device(&device_id, &kind, &model, &site, gpu_memory_gb).js()
    }

    /// Submits a workload; returns its id.
    #[napi(catch_unwind)]
    pub fn submit(
        &self,
        customer_id: String,
        workload_type: String,
        #[napi(ts_arg_type = "SubmitOptions | undefined | null")] options: Option<args::Obj<SubmitOptions>>,
    ) -> Result<i64> {
        let o = options.map(|o| o.0).unwrap_or_default();
        let req = SubmitRequest {
            customer_id: &customer_id,
            workload_type: &workload_type,
            priority: args::opt_int("options.priority", o.priority, i64::MIN, i64::MAX)?,
            gpus: args::opt_int("options.gpus", o.gpus, i64::MIN, i64::MAX)?,
            gpu_memory_gb: o.gpu_memory_gb,
            site: o.site.as_deref(),
            latency_bound_ms: o.latency_bound_ms,
            deadline_seconds: o.deadline_seconds,
        };
        self.r()?.submit(&req).map(|id| id as i64).js()
    }

    /// Submits a workload and reports its id whether accepted or not (`state` `"queued"` or
    /// `"rejected"` with its `reason`); unlike `submit` it does not throw for the request's
    /// content.
    #[napi(catch_unwind)]
    pub fn try_submit(
        &self,
        customer_id: String,
        workload_type: String,
        #[napi(ts_arg_type = "SubmitOptions | undefined | null")] options: Option<args::Obj<SubmitOptions>>,
    ) -> Result<Submission> {
        let o = options.map(|o| o.0).unwrap_or_default();
        let req = SubmitRequest {
            customer_id: &customer_id,
            workload_type: &workload_type,
            priority: args::opt_int("options.priority", o.priority, i64::MIN, i64::MAX)?,
            gpus: args::opt_int("options.gpus", o.gpus, i64::MIN, i64::MAX)?,
            gpu_memory_gb: o.gpu_memory_gb,
            site: o.site.as_deref(),
            latency_bound_ms: o.latency_bound_ms,
            deadline_seconds: o.deadline_seconds,
        };
        let s = self.r()?.try_submit(&req);
        Ok(Submission { workload_id: s.workload_id as i64, state: s.state.name().to_string(), reason: s.reason })
    }

    /// Submits many workloads in one call; returns their ids (`-1` where rejected).
    #[napi(catch_unwind)]
    pub fn submit_batch(&self, requests: args::Vec<SubmitInit>) -> Result<Float64Array> {
        let r = self.r()?;
        args::count("requests.length", requests.len() as f64, MAX_BATCH)?;
        let reqs: Vec<SubmitRequest<'_>> = requests
            .iter()
            .enumerate()
            .map(|(i, q)| {
                Ok(SubmitRequest {
                    customer_id: &q.customer_id,
                    workload_type: &q.workload_type,
                    priority: args::opt_int(&format!("requests[{i}].priority"), q.priority, i64::MIN, i64::MAX)?,
                    gpus: args::opt_int(&format!("requests[{i}].gpus"), q.gpus, i64::MIN, i64::MAX)?,
                    gpu_memory_gb: q.gpu_memory_gb,
                    site: q.site.as_deref(),
                    latency_bound_ms: q.latency_bound_ms,
                    deadline_seconds: q.deadline_seconds,
                })
            })
            .collect::<Result<_>>()?;
        let ids: Vec<f64> = r.submit_batch(&reqs).into_iter().map(|x| x.map_or(-1.0, |id| id as f64)).collect();
        Ok(Float64Array::new(ids))
    }

    /// Submits `priorities.length` workloads of one customer and type, with per-workload
    /// priorities and optional per-workload columns: memory, preferred site (`null` entries:
    /// none), latency bound and deadline (`NaN` entries: from the type) — the typed-array bulk
    /// path. Each column given must have one entry per priority. Ids as in `submitBatch`.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn submit_many(
        &self,
        customer_id: String,
        workload_type: String,
        priorities: Float64Array,
        gpu_memory_gb: Option<Float64Array>,
        sites: Option<args::Vec<Option<String>>>,
        latency_bound_ms: Option<Float64Array>,
        deadline_seconds: Option<Float64Array>,
    ) -> Result<Float64Array> {
        let r = self.r()?;
        let n = args::count("priorities.length", priorities.len() as f64, MAX_BATCH)?;
        for (field, len) in [
            ("gpu_memory_gb", gpu_memory_gb.as_ref().map(|c| c.len())),
            ("sites", sites.as_ref().map(|c| c.len())),
            ("latency_bound_ms", latency_bound_ms.as_ref().map(|c| c.len())),
            ("deadline_seconds", deadline_seconds.as_ref().map(|c| c.len())),
        ] {
            if len.is_some_and(|len| len != n) {
                return Err(invalid_input(field, "must have one entry per priority"));
            }
        }
        let given = |c: &Option<Float64Array>, i: usize| c.as_ref().map(|c| c[i]).filter(|x| !x.is_nan());
        let reqs: Vec<SubmitRequest<'_>> = priorities
            .iter()
            .enumerate()
            .map(|(i, &p)| SubmitRequest {
                customer_id: &customer_id,
                workload_type: &workload_type,
                priority: Some(if p.fract() == 0.0 { p as i64 } else { 0 }),
                gpus: None,
                gpu_memory_gb: gpu_memory_gb.as_ref().map(|m| m[i]),
                site: sites.as_ref().and_then(|s| s[i].as_deref()),
                latency_bound_ms: given(&latency_bound_ms, i),
                deadline_seconds: given(&deadline_seconds, i),
            })
            .collect();
        let ids: Vec<f64> = r.submit_batch(&reqs).into_iter().map(|x| x.map_or(-1.0, |id| id as f64)).collect();
        Ok(Float64Array::new(ids))
    }

    /// Places the next workload, or `null` when nothing waiting can be placed now.
    #[napi(catch_unwind)]
    pub fn dispatch(&self) -> Result<Option<Assignment>> {
        Ok(self.r()?.dispatch().as_ref().map(Assignment::from))
    }

    /// Places up to `max` workloads in one call.
    #[napi(catch_unwind)]
    pub fn dispatch_batch(&self, max: f64) -> Result<AssignmentColumns> {
        let max = args::count("max", max, MAX_BATCH)?;
        let batch = self.r()?.dispatch_batch(max);
        Ok(AssignmentColumns {
            workload_ids: Float64Array::new(batch.iter().map(|a| a.workload_id as f64).collect()),
            device_ids: batch.iter().map(|a| a.device_id.to_string()).collect(),
            curtailed_device_ids: batch
                .iter()
                .flat_map(|a| a.curtailed_device_ids.iter().map(|d| d.to_string()))
                .collect(),
            preempted_workload_ids: batch
                .iter()
                .flat_map(|a| a.preempted_workload_ids.iter().map(|&i| i as i64))
                .collect(),
        })
    }

    /// Marks an assigned workload running (`customerId` scopes the call to that customer).
    #[napi(catch_unwind)]
    pub fn start(&self, workload_id: f64, customer_id: Option<String>) -> Result<()> {
        let (r, id) = (self.r()?, id(workload_id)?);
        match customer_id {
            Some(c) => r.start_as(&c, id),
            None => r.start(id),
        }
        .js()
    }

    /// Completes a workload and frees its devices.
    #[napi(catch_unwind)]
    pub fn complete(&self, workload_id: f64, customer_id: Option<String>) -> Result<()> {
        let (r, id) = (self.r()?, id(workload_id)?);
        match customer_id {
            Some(c) => r.complete_as(&c, id),
            None => r.complete(id),
        }
        .js()
    }

    /// Marks a workload failed and frees its devices.
    #[napi(catch_unwind)]
    pub fn fail(&self, workload_id: f64, customer_id: Option<String>) -> Result<()> {
        let (r, id) = (self.r()?, id(workload_id)?);
        match customer_id {
            Some(c) => r.fail_as(&c, id),
            None => r.fail(id),
        }
        .js()
    }

    /// Cancels a queued, assigned or running workload.
    #[napi(catch_unwind)]
    pub fn cancel(&self, workload_id: f64, customer_id: Option<String>) -> Result<()> {
        let (r, id) = (self.r()?, id(workload_id)?);
        match customer_id {
            Some(c) => r.cancel_as(&c, id),
            None => r.cancel(id),
        }
        .js()
    }

    /// Takes a running or assigned workload off its devices and queues it again.
    #[napi(catch_unwind)]
    pub fn preempt(&self, workload_id: f64) -> Result<()> {
        self.r()?.preempt(id(workload_id)?).js()
    }

    /// Completes many workloads; 1 where it worked, 0 where the id was unknown or the
    /// transition illegal.
    #[napi(catch_unwind)]
    pub fn complete_batch(&self, workload_ids: Float64Array) -> Result<Uint8Array> {
        let r = self.r()?;
        args::count("workloadIds.length", workload_ids.len() as f64, MAX_BATCH)?;
        // An entry that is not a whole non-negative number names no workload: 0 in the result.
        let ids: Vec<u64> = workload_ids
            .iter()
            .map(|&x| if x >= 0.0 && x.fract() == 0.0 && x <= args::MAX_SAFE_INTEGER { x as u64 } else { u64::MAX })
            .collect();
        Ok(Uint8Array::new(r.complete_batch(&ids).into_iter().map(|x| x.is_ok() as u8).collect()))
    }

    /// What a workload looks like now (`customerId` scopes it: others' ids are NotFound).
    #[napi(catch_unwind)]
    pub fn workload(&self, workload_id: f64, customer_id: Option<String>) -> Result<WorkloadInfo> {
        let (r, id) = (self.r()?, id(workload_id)?);
        let w = match customer_id {
            Some(c) => r.workload_as(&c, id),
            None => r.workload(id),
        }
        .js()?;
        Ok(w.into())
    }

    /// Every workload of a customer (accepted and rejected), in id order.
    #[napi(catch_unwind)]
    pub fn customer_workloads(&self, customer_id: String) -> Result<Vec<WorkloadInfo>> {
        Ok(self.r()?.customer_workloads(&customer_id).into_iter().map(WorkloadInfo::from).collect())
    }

    /// Sets a customer's fair-share weight and quotas now (all three: an absent field takes its
    /// default — weight 1, no limit). Work already admitted stays.
    #[napi(catch_unwind)]
    pub fn set_customer(
        &self,
        customer_id: String,
        #[napi(ts_arg_type = "CustomerConfig | undefined | null")] config: Option<args::Obj<CustomerConfig>>,
    ) -> Result<()> {
        let c = config.map(|c| c.0).unwrap_or_default();
        let config = CoreCustomerConfig {
            weight: c.weight.map(|v| count("config.weight", v)).transpose()?.unwrap_or(1),
            max_gpus: c.max_gpus.map(|v| count("config.maxGpus", v)).transpose()?,
            max_queued: c.max_queued.map(|v| count("config.maxQueued", v)).transpose()?,
        };
        self.r()?.set_customer(&customer_id, config).js()
    }

    /// A customer's weight and quotas with its live counts.
    #[napi(catch_unwind)]
    pub fn customer(&self, customer_id: String) -> Result<CustomerInfo> {
        let c = self.r()?.customer(&customer_id).js()?;
        Ok(CustomerInfo {
            customer_id: c.customer_id,
            weight: c.weight,
            max_gpus: c.max_gpus,
            max_queued: c.max_queued,
            queued: c.queued,
            active: c.active,
            gpus_held: c.gpus_held,
            submitted: c.submitted as i64,
        })
    }

    /// Seconds on the router clock (since creation, or the manual clock).
    #[napi(catch_unwind)]
    pub fn now_seconds(&self) -> Result<f64> {
        Ok(self.r()?.now_seconds())
    }

    /// Counts by state.
    #[napi(catch_unwind)]
    pub fn counts(&self) -> Result<StateCounts> {
        let c = self.r()?.counts();
        Ok(StateCounts {
            submitted: c.submitted as i64,
            queued: c.queued as i64,
            assigned: c.assigned as i64,
            running: c.running as i64,
            completed: c.completed as i64,
            failed: c.failed as i64,
            cancelled: c.cancelled as i64,
            rejected: c.rejected as i64,
            preemptions: c.preemptions as i64,
        })
    }

    /// Waiting workloads per priority (index 0 = priority 1).
    #[napi(catch_unwind)]
    pub fn queue_depths(&self) -> Result<Vec<i64>> {
        Ok(self.r()?.queue_depths().iter().map(|&d| d as i64).collect())
    }

    /// Depths, counts and latency quantiles, as the core's JSON (snake_case keys).
    #[napi(catch_unwind)]
    pub fn metrics(&self) -> Result<serde_json::Value> {
        crate::results::to_value("metrics", &self.r()?.metrics())
    }

    /// Prometheus text exposition.
    #[napi(catch_unwind)]
    pub fn metrics_text(&self) -> Result<String> {
        Ok(self.r()?.metrics_text())
    }

    /// Registry view of a device.
    #[napi(catch_unwind)]
    pub fn device(&self, device_id: String) -> Result<DeviceView> {
        let d = self.r()?.device(&device_id).js()?;
        Ok(DeviceView {
            device_id: d.device_id,
            kind: d.kind.name().to_string(),
            model: d.model,
            site: d.site,
            gpu_memory_gb: d.gpu_memory_gb,
            free_gpu_memory_gb: d.free_gpu_memory_gb,
            workloads: d.workloads,
            status: d.status,
        })
    }

    /// Removes a device: the work on it is preempted (queued again at its place) and the
    /// device forgotten. Returns the ids preempted off it.
    #[napi(catch_unwind)]
    pub fn remove_device(&self, device_id: String) -> Result<Vec<i64>> {
        Ok(self.r()?.remove_device(&device_id).js()?.into_iter().map(|id| id as i64).collect())
    }

    /// Takes a device out of service (`false`) or back in (`true`).
    #[napi(catch_unwind)]
    pub fn set_device_available(&self, device_id: String, available: bool) -> Result<()> {
        self.r()?.set_device_available(&device_id, available).js()
    }

    /// Thermal headroom in [0, 1].
    #[napi(catch_unwind)]
    pub fn set_device_thermal_headroom(&self, device_id: String, headroom: f64) -> Result<()> {
        self.r()?.set_device_thermal_headroom(&device_id, headroom).js()
    }

    /// Profit of a device's current use, USD per hour.
    #[napi(catch_unwind)]
    pub fn set_device_profit_usd_per_hour(&self, device_id: String, usd_per_hour: f64) -> Result<()> {
        self.r()?.set_device_profit_usd_per_hour(&device_id, usd_per_hour).js()
    }

    /// Sets (or with `null` lifts) a site's power cap, kW.
    #[napi(catch_unwind)]
    pub fn set_site_power_cap_kw(&self, site: String, power_cap_kw: Option<f64>) -> Result<()> {
        self.r()?.set_site_power_cap_kw(&site, power_cap_kw).js()
    }

    /// A site's estimated device draw, kW.
    #[napi(catch_unwind)]
    pub fn site_load_kw(&self, site: String) -> Result<f64> {
        self.r()?.site_load_kw(&site).js()
    }

    /// Wakes curtailed miners while the cap allows; returns their ids.
    #[napi(catch_unwind)]
    pub fn resume_miners(&self, site: String) -> Result<Vec<String>> {
        self.r()?.resume_miners(&site).js()
    }

    /// Sets the market that prices miners' power.
    #[napi(catch_unwind)]
    pub fn set_market(&self, market: &Market) -> Result<()> {
        self.r()?.set_market(market.inner);
        Ok(())
    }

    /// Moves the manual clock forward (config `manual_clock: true`).
    #[napi(catch_unwind)]
    pub fn advance_time(&self, seconds: f64) -> Result<()> {
        self.r()?.advance_time(seconds).js()
    }

    /// Runs an aging sweep now; returns how many workloads climbed a level.
    #[napi(catch_unwind)]
    pub fn age(&self) -> Result<u32> {
        Ok(self.r()?.age() as u32)
    }

    /// The workload types this router knows.
    #[napi(catch_unwind)]
    pub fn workload_types(&self) -> Result<Vec<String>> {
        Ok(self.r()?.workload_types())
    }

    /// Closes the handle and frees the router; later calls throw `code === 'Closed'`. Idempotent.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_none()
    }
}

/// A workload id: an integer (else `InvalidInput`); a negative one names no workload (`NotFound`).
fn id(workload_id: f64) -> Result<u64> {
    let v = safe_int("workloadId", workload_id)?;
    u64::try_from(v).map_err(|_| to_js(hcpcore::Error::not_found("workload", v)))
}

/// A count argument as `u32`; outside its range is `InvalidInput` naming the field.
fn count(field: &str, v: f64) -> Result<u32> {
    args::u32_arg(field, v)
}
