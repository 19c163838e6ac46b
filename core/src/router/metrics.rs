//! Observability: a snapshot of queue depths, state counts and latency quantiles, and the
//! Prometheus text exposition with the platform's metric names.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::engine::Router;
use super::queue::LEVELS;
use super::stripes::{bucket_upper_seconds, HistogramSnapshot, BUCKETS};
use super::types::StateCounts;

/// Median and 99th percentile of a latency, seconds, and how many were recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// Observations.
    pub count: u64,
    /// Median, s.
    pub p50_seconds: f64,
    /// 99th percentile, s.
    pub p99_seconds: f64,
}

impl From<&HistogramSnapshot> for Quantiles {
    fn from(h: &HistogramSnapshot) -> Self {
        Quantiles { count: h.count, p50_seconds: h.quantile_seconds(0.5), p99_seconds: h.quantile_seconds(0.99) }
    }
}

/// A point-in-time view of the router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterMetrics {
    /// Waiting workloads per priority (index 0 = priority 1).
    pub queue_depth: [u64; LEVELS],
    /// Counts by state.
    pub counts: StateCounts,
    /// Time from submission to dispatch.
    pub wait: Quantiles,
    /// Time one `dispatch` call takes.
    pub decision: Quantiles,
    /// Time to place one workload (candidates, scoring, claim, power).
    pub allocation: Quantiles,
    /// Successful GPU and ASIC allocations.
    pub allocations: u64,
    /// Dispatch calls that found work waiting but none of it placeable.
    pub waits_for_capacity: u64,
    /// Workloads dispatched after waiting longer than their latency bound.
    pub latency_bound_misses: u64,
    /// Workloads dispatched after their deadline.
    pub deadline_misses: u64,
}

/// The counters one locked look at the router gives.
struct Snapshot {
    depth: [u64; LEVELS],
    counts: StateCounts,
    queued_total: [u64; LEVELS],
    misses: [u64; 2],
    allocations: [u64; 3],
}

fn write_histogram(out: &mut String, name: &str, help: &str, h: &HistogramSnapshot) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    let mut cumulative = 0;
    for (i, n) in h.buckets.iter().enumerate().take(BUCKETS - 1) {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{le=\"{:e}\"}} {cumulative}", bucket_upper_seconds(i));
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}",
        h.count, h.sum_seconds, h.count
    );
}

impl Router {
    fn snapshot(&self) -> Snapshot {
        let mut inner = self.inner.lock();
        let now = self.now_ns(&inner);
        self.expire(&mut inner, now);
        Snapshot {
            depth: self.depths_of(&inner, now),
            counts: Self::counts_of(&inner),
            queued_total: inner.queued_total,
            misses: inner.misses,
            allocations: inner.allocations,
        }
    }

    /// A snapshot of depths, counts and latency quantiles.
    pub fn metrics(&self) -> RouterMetrics {
        let s = self.snapshot();
        RouterMetrics {
            queue_depth: s.depth,
            counts: s.counts,
            wait: (&self.wait_hist.snapshot()).into(),
            decision: (&self.decision_hist.snapshot()).into(),
            allocation: (&self.allocation_hist.snapshot()).into(),
            allocations: s.allocations[0] + s.allocations[1],
            waits_for_capacity: s.allocations[2],
            latency_bound_misses: s.misses[0],
            deadline_misses: s.misses[1],
        }
    }

    /// Prometheus text exposition (format 0.0.4).
    ///
    /// ```
    /// let r = hcpcore::router::Router::new(Default::default()).unwrap();
    /// assert!(r.metrics_text().contains("# TYPE router_queue_depth gauge"));
    /// ```
    pub fn metrics_text(&self) -> String {
        let mut out = String::with_capacity(8192);
        let s = self.snapshot();
        let depth = s.depth;
        let _ = writeln!(out, "# HELP router_workloads_queued_total Workloads accepted into a priority queue.");
        let _ = writeln!(out, "# TYPE router_workloads_queued_total counter");
        for l in 0..LEVELS {
            let _ = writeln!(out, "router_workloads_queued_total{{priority=\"{}\"}} {}", l + 1, s.queued_total[l]);
        }
        let _ =
            writeln!(out, "# HELP router_queue_depth Workloads waiting, by priority.\n# TYPE router_queue_depth gauge");
        for (l, d) in depth.iter().enumerate() {
            let _ = writeln!(out, "router_queue_depth{{priority=\"{}\"}} {d}", l + 1);
        }
        let c = s.counts;
        let _ = writeln!(out, "# HELP router_workloads Workloads by state.\n# TYPE router_workloads gauge");
        for (name, v) in [
            ("queued", c.queued),
            ("assigned", c.assigned),
            ("running", c.running),
            ("completed", c.completed),
            ("failed", c.failed),
            ("cancelled", c.cancelled),
            ("rejected", c.rejected),
        ] {
            let _ = writeln!(out, "router_workloads{{state=\"{name}\"}} {v}");
        }
        let _ = writeln!(out, "# HELP router_workloads_submitted_total Submissions, accepted or rejected.");
        let _ = writeln!(
            out,
            "# TYPE router_workloads_submitted_total counter\nrouter_workloads_submitted_total {}",
            c.submitted
        );
        let _ = writeln!(out, "# HELP router_preemptions_total Workloads preempted.");
        let _ = writeln!(out, "# TYPE router_preemptions_total counter\nrouter_preemptions_total {}", c.preemptions);
        let _ =
            writeln!(out, "# HELP router_latency_bound_missed_total Workloads dispatched after their latency bound.");
        let _ = writeln!(out, "# TYPE router_latency_bound_missed_total counter");
        let _ = writeln!(out, "router_latency_bound_missed_total {}", s.misses[0]);
        let _ = writeln!(out, "# HELP router_deadline_missed_total Workloads dispatched after their deadline.");
        let _ = writeln!(out, "# TYPE router_deadline_missed_total counter");
        let _ = writeln!(out, "router_deadline_missed_total {}", s.misses[1]);
        write_histogram(
            &mut out,
            "router_wait_duration_seconds",
            "Time from submission to dispatch.",
            &self.wait_hist.snapshot(),
        );
        write_histogram(
            &mut out,
            "router_decision_duration_seconds",
            "Time one dispatch decision takes.",
            &self.decision_hist.snapshot(),
        );
        let _ = writeln!(out, "# HELP orchestrator_allocations_total Device allocations by result.");
        let _ = writeln!(out, "# TYPE orchestrator_allocations_total counter");
        for (label, i) in [("gpu", 0), ("asic", 1)] {
            let _ = writeln!(
                out,
                "orchestrator_allocations_total{{kind=\"{label}\",result=\"success\"}} {}",
                s.allocations[i]
            );
        }
        let _ = writeln!(out, "orchestrator_allocations_total{{kind=\"any\",result=\"wait\"}} {}", s.allocations[2]);
        write_histogram(
            &mut out,
            "orchestrator_allocation_duration_seconds",
            "Time to place one workload on devices.",
            &self.allocation_hist.snapshot(),
        );
        let _ = writeln!(out, "# HELP orchestrator_active_workloads Workloads assigned or running.");
        let _ = writeln!(
            out,
            "# TYPE orchestrator_active_workloads gauge\norchestrator_active_workloads {}",
            c.assigned + c.running
        );
        out
    }
}
