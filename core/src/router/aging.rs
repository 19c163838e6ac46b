//! Aging: a workload waiting longer than `aging_seconds` climbs one priority level per period
//! waited, so nothing starves behind a stream of higher-priority work.
//!
//! A sweep walks workloads from the oldest that may still be waiting (a watermark) towards the
//! newest, stopping at the first too young to age (ids follow submission order). Promotion is a
//! CAS of the workload's level and enqueue stamp plus a push onto the higher level; the entry
//! left in the old level goes stale and is dropped when popped. Dispatch runs a sweep when the
//! clock passes the next due time (a quarter of the aging period); one sweep at a time.

use std::sync::atomic::Ordering::*;

use super::engine::Router;
use super::state::{Word, WorkloadState};

impl Router {
    /// Runs an aging sweep now; returns how many workloads climbed a level.
    pub fn age(&self) -> usize {
        self.age_at(self.now_ns())
    }

    pub(crate) fn age_at(&self, now: u64) -> usize {
        let age_ns = (self.config.aging_seconds * 1e9) as u64;
        if age_ns == 0 {
            return 0;
        }
        let Some(mut watermark) = self.aging_watermark.try_lock() else { return 0 };
        self.next_aging_ns.store(now.saturating_add((age_ns / 4).max(1)), Relaxed);
        let end = self.next_id.load(Acquire);
        let mut id = (*watermark).max(self.config.first_workload_id);
        let mut advancing = true;
        let mut promoted = 0;
        while id < end {
            let Some(slot) = self.workloads.get(id) else { break };
            let Some(word) = slot.word() else { break };
            let meta = slot.meta();
            if word.state.is_terminal() {
                if advancing {
                    *watermark = id + 1;
                }
                id += 1;
                continue;
            }
            advancing = false;
            let waited = now.saturating_sub(meta.submit_ns);
            if waited < age_ns {
                break; // everything newer is younger still
            }
            if word.state == WorkloadState::Queued {
                let steps = (waited / age_ns) as usize;
                let target = meta.base_level.saturating_sub(steps);
                if target < word.level {
                    let next = Word { level: target, stamp: word.stamp.wrapping_add(1), ..word };
                    if self.cas(slot, word, next) {
                        self.depth.add(word.level, -1);
                        self.depth.add(target, 1);
                        self.queues.push(meta.customer, target, Self::entry_for(id, next));
                        promoted += 1;
                    }
                }
            }
            id += 1;
        }
        promoted
    }
}
