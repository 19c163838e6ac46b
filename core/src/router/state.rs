//! The workload state machine and the packed atomic word that holds a workload's state.
//!
//! `Queued → Assigned → Running → Completed | Failed | Cancelled`, `Running → Preempted → Queued`
//! (and `Assigned → Preempted`, `Assigned → Failed | Cancelled`, `Queued → Cancelled`).
//! `Rejected` is where an invalid submission ends; it never holds a slot.
//! Every change is one compare-and-swap on the state word, so exactly one caller wins a
//! contested transition and an illegal one is refused, never silently applied.

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
    /// assert_eq!(hcp::router::WorkloadState::Running.name(), "running");
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
    /// use hcp::router::WorkloadState::*;
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

    fn code(self) -> u64 {
        self as u64 + 1
    }

    fn from_code(code: u64) -> Option<WorkloadState> {
        WorkloadState::ALL.get((code as usize).checked_sub(1)?).copied()
    }
}

/// The packed state word: `state+1` (8 bits, 0 = vacant slot) | level index (8) | enqueue stamp
/// (16) | first device index + 1 (32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Word {
    pub state: WorkloadState,
    pub level: usize,
    pub stamp: u16,
    /// First device index + 1; 0 when none.
    pub device: u32,
}

impl Word {
    pub(crate) fn pack(self) -> u64 {
        self.state.code() | (self.level as u64 & 0xff) << 8 | (self.stamp as u64) << 16 | (self.device as u64) << 32
    }

    /// `None` for a vacant (never published) slot.
    pub(crate) fn unpack(raw: u64) -> Option<Word> {
        Some(Word {
            state: WorkloadState::from_code(raw & 0xff)?,
            level: ((raw >> 8) & 0xff) as usize,
            stamp: ((raw >> 16) & 0xffff) as u16,
            device: (raw >> 32) as u32,
        })
    }
}

/// A queue entry names a workload and the stamp of the enqueue that made it; entries whose
/// stamp no longer matches (the workload was cancelled, aged into another level, or requeued)
/// are discarded when popped. `id` (40 bits) | stamp (16) | level (8).
pub(crate) fn entry(id: u64, stamp: u16, level: usize) -> u64 {
    id << 24 | (stamp as u64) << 8 | level as u64
}

pub(crate) fn entry_parts(e: u64) -> (u64, u16, usize) {
    (e >> 24, ((e >> 8) & 0xffff) as u16, (e & 0xff) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_and_entry_round_trip() {
        let w = Word { state: WorkloadState::Running, level: 9, stamp: 65535, device: u32::MAX };
        assert_eq!(Word::unpack(w.pack()), Some(w));
        assert_eq!(Word::unpack(0), None);
        assert_eq!(entry_parts(entry((1 << 40) - 1, 7, 3)), ((1 << 40) - 1, 7, 3));
        for s in WorkloadState::ALL {
            assert_eq!(WorkloadState::from_code(s.code()), Some(s));
            assert!(!s.can_become(s));
            if s.is_terminal() {
                assert!(WorkloadState::ALL.iter().all(|t| !s.can_become(*t)));
            }
        }
    }
}
