//! The workload state machine and the packed atomic word that holds a workload's state.
//!
//! `Queued → Assigned → Running → Completed | Failed | Cancelled`, `Running → Preempted → Queued`
//! (and `Assigned → Preempted`, `Assigned → Failed | Cancelled`, `Queued → Cancelled`).
//! `Rejected` is where a refused submission ends. These are the edges callers may take; besides
//! them the router itself fails queued work whose `drop`/`reject` policy expires
//! (`docs/router.md` §8). An illegal transition is refused, never silently applied.

use serde::{Deserialize, Serialize};

/// Where a workload is in its life.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadState {
    /// Waiting in a priority queue (or for capacity).
    Queued,
    /// Given a device; the host has not reported it started.
    Assigned,
    /// Running on its device(s).
    Running,
    /// Finished successfully.
    Completed,
    /// Ended in failure.
    Failed,
    /// Withdrawn by its customer or the operator.
    Cancelled,
    /// Taken off its device for higher-priority work; immediately queued again.
    Preempted,
    /// Refused at submission (invalid input or quota).
    Rejected,
}

impl WorkloadState {
    /// Every state, in the order of [`WorkloadState::index`].
    pub const ALL: [WorkloadState; 8] = [
        WorkloadState::Queued,
        WorkloadState::Assigned,
        WorkloadState::Running,
        WorkloadState::Completed,
        WorkloadState::Failed,
        WorkloadState::Cancelled,
        WorkloadState::Preempted,
        WorkloadState::Rejected,
    ];

    /// `"queued"`, `"assigned"`, … as every binding spells it.
    ///
    /// ```
    /// assert_eq!(hcpcore::router::WorkloadState::Running.name(), "running");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            WorkloadState::Queued => "queued",
            WorkloadState::Assigned => "assigned",
            WorkloadState::Running => "running",
            WorkloadState::Completed => "completed",
            WorkloadState::Failed => "failed",
            WorkloadState::Cancelled => "cancelled",
            WorkloadState::Preempted => "preempted",
            WorkloadState::Rejected => "rejected",
        }
    }

    /// Position in [`WorkloadState::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Is `self → to` an edge of the state machine?
    ///
    /// ```
    /// use hcpcore::router::WorkloadState::*;
    /// assert!(Queued.can_become(Assigned));
    /// assert!(!Completed.can_become(Running));
    /// ```
    pub fn can_become(self, to: WorkloadState) -> bool {
        use WorkloadState::*;
        matches!(
            (self, to),
            (Queued, Assigned)
                | (Queued, Cancelled)
                | (Assigned, Running)
                | (Assigned, Failed)
                | (Assigned, Cancelled)
                | (Assigned, Preempted)
                | (Running, Completed)
                | (Running, Failed)
                | (Running, Cancelled)
                | (Running, Preempted)
                | (Preempted, Queued)
        )
    }

    /// Completed, failed, cancelled or rejected: nothing more happens to it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            WorkloadState::Completed | WorkloadState::Failed | WorkloadState::Cancelled | WorkloadState::Rejected
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_have_no_way_out() {
        for s in WorkloadState::ALL {
            assert!(!s.can_become(s));
            if s.is_terminal() {
                assert!(WorkloadState::ALL.iter().all(|t| !s.can_become(*t)));
            }
        }
    }
}
