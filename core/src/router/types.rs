//! The router's public value types: what a submission asks for, and what callers read back.

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::config::CustomerConfig;
use super::state::WorkloadState;
use crate::Error;

/// A submission. Fields left `None` come from the workload type.
///
/// ```
/// let r = hcpcore::router::SubmitRequest::new("acme", "ai_inference_batch").priority(3).gpu_memory_gb(24.0);
/// assert_eq!(r.priority, Some(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubmitRequest<'a> {
    /// Who submits (isolation and fair share are per customer).
    pub customer_id: &'a str,
    /// A built-in or configured workload type.
    pub workload_type: &'a str,
    /// 1 (highest) … 10 (lowest).
    pub priority: Option<i64>,
    /// GPUs wanted (GPU work).
    pub gpus: Option<i64>,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: Option<f64>,
    /// Preferred site (locality).
    pub site: Option<&'a str>,
    /// Longest acceptable wait before dispatch, milliseconds.
    pub latency_bound_ms: Option<f64>,
    /// Time after submission by which it should have been dispatched, seconds.
    pub deadline_seconds: Option<f64>,
}

impl<'a> SubmitRequest<'a> {
    /// A request with every optional field from the type.
    pub fn new(customer_id: &'a str, workload_type: &'a str) -> Self {
        SubmitRequest {
            customer_id,
            workload_type,
            priority: None,
            gpus: None,
            gpu_memory_gb: None,
            site: None,
            latency_bound_ms: None,
            deadline_seconds: None,
        }
    }
    /// Sets the priority.
    pub fn priority(mut self, p: i64) -> Self {
        self.priority = Some(p);
        self
    }
    /// Sets the GPU count.
    pub fn gpus(mut self, n: i64) -> Self {
        self.gpus = Some(n);
        self
    }
    /// Sets the memory per GPU.
    pub fn gpu_memory_gb(mut self, gb: f64) -> Self {
        self.gpu_memory_gb = Some(gb);
        self
    }
    /// Sets the preferred site.
    pub fn site(mut self, site: &'a str) -> Self {
        self.site = Some(site);
        self
    }
    /// Sets the latency bound, ms.
    pub fn latency_bound_ms(mut self, ms: f64) -> Self {
        self.latency_bound_ms = Some(ms);
        self
    }
    /// Sets the deadline, seconds after submission.
    pub fn deadline_seconds(mut self, seconds: f64) -> Self {
        self.deadline_seconds = Some(seconds);
        self
    }
}

/// What a customer or operator may read about one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadInfo {
    /// Workload id.
    pub id: u64,
    /// Owner.
    pub customer_id: String,
    /// Type name.
    pub workload_type: String,
    /// Priority it was submitted with (1 … 10).
    pub priority: u8,
    /// Priority it has now (aging lifts it).
    pub effective_priority: u8,
    /// Current state.
    pub state: WorkloadState,
    /// GPUs (or miners) it needs.
    pub gpus: u32,
    /// Memory per GPU, GB.
    pub gpu_memory_gb: f64,
    /// Devices it holds (assigned or running), else empty.
    pub device_ids: Vec<String>,
    /// Seconds since the router started (router clock) at submission.
    pub submit_seconds: f64,
    /// Longest acceptable wait, ms (from the request or its type).
    pub latency_bound_ms: Option<f64>,
    /// Dispatch deadline after submission, s (from the request or its type).
    pub deadline_seconds: Option<f64>,
    /// Times it was preempted (it went back to the queue each time).
    pub preemptions: u32,
    /// Why it was rejected or failed by the router (`None` otherwise).
    pub reason: Option<String>,
}

/// Counts by state. `submitted` always equals the sum of the seven others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// Every submission, accepted or rejected.
    pub submitted: u64,
    /// Waiting.
    pub queued: u64,
    /// Assigned, not started.
    pub assigned: u64,
    /// Running.
    pub running: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Rejected at submission.
    pub rejected: u64,
    /// Preemptions so far (an event count: preempted work is queued again at once).
    pub preemptions: u64,
}

/// What [`Router::try_submit`](super::Router::try_submit) returns: every submission gets an id,
/// accepted (`Queued`) or not (`Rejected`, with the reason and the error `submit` would raise).
#[derive(Debug, Clone)]
pub struct Submission {
    /// The id this submission took.
    pub workload_id: u64,
    /// `Queued` when accepted, `Rejected` otherwise.
    pub state: WorkloadState,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The error (`InvalidInput`, `NotFound`, `CapacityExceeded`) when rejected.
    pub error: Option<Error>,
}

impl Submission {
    /// The id when accepted, else the error.
    pub fn into_result(self) -> crate::Result<u64> {
        match self.error {
            None => Ok(self.workload_id),
            Some(e) => Err(e),
        }
    }
}

/// A customer's fair-share weight and quotas, with its live counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerInfo {
    /// Customer id.
    pub customer_id: String,
    /// Fair-share weight.
    pub weight: u32,
    /// Most devices its active work may hold (`None`: no limit).
    pub max_gpus: Option<u32>,
    /// Most workloads it may have waiting (`None`: no limit).
    pub max_queued: Option<u32>,
    /// Workloads waiting now.
    pub queued: u32,
    /// Workloads assigned or running now.
    pub active: u32,
    /// Devices its active work holds.
    pub gpus_held: u32,
    /// Workloads it has submitted (accepted or rejected).
    pub submitted: u64,
}

impl CustomerInfo {
    /// Its configuration as a [`CustomerConfig`].
    pub fn config(&self) -> CustomerConfig {
        CustomerConfig { weight: self.weight, max_gpus: self.max_gpus, max_queued: self.max_queued }
    }
}

/// A placement decision: `workload_id` goes to `device_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The workload placed.
    pub workload_id: u64,
    /// Its (first) device.
    pub device_id: Arc<str>,
    /// Its other devices when it spans several GPUs (empty for one device).
    pub extra_device_ids: Vec<Arc<str>>,
    /// Priority it was dispatched at (after aging).
    pub priority: u8,
    /// Seconds it waited since submission.
    pub wait_seconds: f64,
    /// Miners put to sleep for it, so the site stays under its power cap.
    pub curtailed_device_ids: Vec<Arc<str>>,
    /// Workloads preempted to make room (they are queued again).
    pub preempted_workload_ids: Vec<u64>,
}

impl Assignment {
    /// Every device of the assignment, first device first.
    pub fn device_ids(&self) -> Vec<Arc<str>> {
        std::iter::once(self.device_id.clone()).chain(self.extra_device_ids.iter().cloned()).collect()
    }
}
