//! `hcpcore::router` — priority routing of workloads onto devices.
//!
//! Owns: workload classification, the ten priority levels, fair share and quotas per customer,
//! the workload state machine, exact best-fit placement, power-aware admission under site caps
//! (curtailing miners), preemption, aging, latency bounds and deadlines, and the router's
//! metrics. Uses `hcpcore::econ` for what a miner's power is worth; touches nothing else.
//!
//! **The rules are in `docs/router.md`** (one page, with an example each); a reference model of
//! that page (`core/tests/router_model.rs`) is held against this code by a seeded differential
//! test, and `tests/vectors/router.json` replays the examples in all four languages.
//!
//! # Design
//! * **One lock per router.** All state sits in one `Inner` behind a mutex, taken once per call
//!   (batch calls included), so every call is atomic and the rules hold under any interleaving.
//!   The earlier lock-free design bought speed with broken promises (coarse memory classes,
//!   parked work that lost its place); see `benches/RESULTS-router.md` for what this costs.
//! * **Queues** (`queue.rs`): per customer and submitted level, a lane of ids in queue
//!   position. Aging needs no sweep: ids grow with submission time, so the work aged `k` levels
//!   is an id range found by binary search, and dispatch sees exactly the levels the clock
//!   implies. Dispatch walks levels best first, orders a level's customers by stride
//!   scheduling (weights), and takes each customer's work in queue position, placing the first
//!   workload that fits — unplaceable work is skipped, never parked.
//! * **Placement** (`place.rs`): per (site, kind) an ordered index by (free MB, registration
//!   order) gives the exact best fit in one tree descent; a bounded candidate set across sites
//!   is scored on fit, opportunity cost, locality and thermal headroom. Power is admitted per
//!   site in integer milliwatts, curtailing the miners that earn least per kW — only for work
//!   that is placed. Preemption is planned on an overlay of the room victims would free with
//!   the same placement code, so it happens only when the placement then succeeds.

mod config;
mod engine;
mod fleet;
mod metrics;
mod place;
mod queue;
mod state;
mod stripes;
mod sync;
mod types;

pub use config::{
    builtin_types, CustomerConfig, MissPolicy, PlacementWeights, RouterConfig, SiteConfig, WorkloadTypeConfig,
    MAX_BOUND, MAX_CANDIDATES, MAX_GPUS, MAX_GPU_MEMORY_GB, MAX_WEIGHT,
};
pub use engine::Router;
pub use fleet::DeviceInfoView;
pub use metrics::{Quantiles, RouterMetrics};
pub use queue::LEVELS;
pub use state::WorkloadState;
pub use types::{Assignment, CustomerInfo, StateCounts, Submission, SubmitRequest, WorkloadInfo};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn router_is_send_and_sync() {
        assert_send_sync::<Router>();
    }
}
