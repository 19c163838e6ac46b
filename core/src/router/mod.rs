//! `hcp::router` — lock-free priority routing of workloads onto devices.
//!
//! Owns: workload classification, the ten priority queues, fair share and quotas per customer,
//! the workload state machine, device placement, power-aware admission under site caps,
//! preemption, aging, and the router's metrics. Uses `hcp::econ` for what a miner's power is
//! worth; touches nothing else.
//!
//! # Design
//! * **Hot path without a mutex.** `submit`, `dispatch`, `complete` (and `start`, `fail`,
//!   `cancel`) use atomics and crossbeam's lock-free `SegQueue` only. Locks are taken on cold
//!   paths: registering devices and sites, the market, curtailment when a power cap binds, the
//!   parked set of work waiting for capacity, and the device lists of multi-GPU workloads.
//! * **Queues** ([`LevelQueues`]): ten levels (priority 1 … 10), an atomic occupancy mask gives
//!   the highest non-empty level in O(1). Within a level each customer has its own FIFO and the
//!   level serves customers by weighted round robin (each customer holds up to `weight`
//!   tickets), so backlogged customers share a level in proportion to their weights and one
//!   producer's work at one level leaves in order. A per-level front slot holds the head ticket
//!   when the ring is empty, so one active customer per level costs no ring operation.
//! * **Workload state** lives in a lock-free slab indexed by id (ids come from one atomic
//!   counter): one packed atomic word per workload (state, level, enqueue stamp, device) moved
//!   by CAS, so every transition is checked and exactly one thread wins a race. Queue entries
//!   carry the stamp of their enqueue; cancelled, aged or requeued workloads leave stale entries
//!   that are dropped when popped (lazy deletion) instead of being searched for.
//! * **Placement** never scans the fleet: per (site, kind) pools keep devices in 64 free-memory
//!   classes with an occupancy mask, so the best fit is O(1); a bounded set of candidates
//!   (`max_candidates`, spread over sites) is scored on fit, opportunity cost (the profit of the
//!   device's current use, from `hcp::econ` for miners), locality and thermal headroom, with
//!   configurable weights. Claiming is one CAS on the device's (free, generation) word.
//! * **Power**: each site's estimated draw is an atomic; GPU work adds the GPU's dynamic power
//!   in proportion to the memory it holds. When a cap would be passed, idle miners are
//!   curtailed, lowest revenue per kW freed first (from `econ::miner_daily` at the market set
//!   with [`Router::set_market`]); the assignment lists them. If even that is not enough the
//!   work waits (parked) until capacity frees; a request no registered device could ever hold
//!   is refused at submission with `CapacityExceeded`.
//! * **Preemption** (when nothing fits and the type `can_preempt`): victim = lowest priority,
//!   then newest, among preemptible active work whose device would then fit; it is queued again
//!   at its submitted priority with its original submit time.
//! * **Aging**: see `aging.rs` — one level per `aging_seconds` waited.
//! * **Latency bounds and deadlines** come from the type (realtime inference: 100 ms) unless the
//!   submission gives them; they do not reorder work (priority and aging do) but every dispatch
//!   past one is counted (`router_latency_bound_missed_total`, `router_deadline_missed_total`) so
//!   an operator sees when the fleet is too small for its promises.
//! * **Quotas and isolation**: per-customer atomic counters enforce `max_queued` (at submission,
//!   `CapacityExceeded`) and `max_gpus` (at dispatch: the work waits). The `*_as` calls act on
//!   behalf of a customer; another customer's workload is `NotFound` to them.
//! * **Counts add up**: `counts().submitted` always equals queued + assigned + running +
//!   completed + failed + cancelled + rejected (preempted work is queued again at once).
//!
//! * **Batch calls** (`submit_batch`, `dispatch_batch`, `complete_batch`) give exactly the
//!   results of the one-by-one calls (a property test holds them to it) but share work: a
//!   batch takes its ids in one step and queues level by level, dispatch takes a customer's
//!   run of items in one turn of its ticket ([`LevelQueues::pop_run`]) and keeps the device it
//!   just used while a one-by-one dispatch would choose it again, completions publish one pool
//!   entry per run of releases on a device, and counters are bumped once per call.
//!
//! Parked work (waiting for capacity or quota) is retried first when capacity frees, in
//! priority order, but only at or above the best priority still in the queues; smaller work
//! behind it may backfill free devices.

mod aging;
mod backend;
mod config;
mod customers;
mod devices;
mod dispatch;
mod engine;
mod fleet;
mod metrics;
mod queues;
mod slab;
mod state;
mod stripes;
mod sync;

pub use config::{
    builtin_types, CustomerConfig, PlacementWeights, QueueBackend, RouterConfig, SiteConfig, WorkloadTypeConfig,
    MAX_CANDIDATES,
};
pub use dispatch::Assignment;
pub use engine::{Router, StateCounts, SubmitRequest, WorkloadInfo};
pub use fleet::DeviceInfoView;
pub use metrics::{Quantiles, RouterMetrics};
pub use queues::{LevelQueues, LEVELS};
pub use state::WorkloadState;

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn router_is_send_and_sync() {
        assert_send_sync::<Router>();
    }
}
