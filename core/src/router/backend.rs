//! The queue behind the router: the lock-free [`LevelQueues`] or, as a benchmark baseline, a
//! conventional `Mutex<BinaryHeap>`. One enum, so both run inside the same router doing the same
//! work and only the queue differs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Mutex;

use super::config::QueueBackend;
use super::queues::{LevelQueues, LEVELS};

/// (level, arrival sequence, customer, item), smallest first.
type HeapEntry = Reverse<(u8, u64, u32, u64)>;

#[derive(Debug)]
pub(crate) enum Queues {
    LockFree(LevelQueues),
    MutexHeap(Mutex<(BinaryHeap<HeapEntry>, u64)>),
}

impl Queues {
    pub(crate) fn new(backend: QueueBackend, max_customers: usize) -> Queues {
        match backend {
            QueueBackend::LockFree => Queues::LockFree(LevelQueues::new(max_customers)),
            QueueBackend::MutexHeap => Queues::MutexHeap(Mutex::new((BinaryHeap::new(), 0))),
        }
    }

    #[inline]
    pub(crate) fn push(&self, customer: u32, level: usize, item: u64) {
        match self {
            Queues::LockFree(q) => q.push(customer, level, item),
            Queues::MutexHeap(h) => {
                let mut g = h.lock().unwrap_or_else(|e| e.into_inner());
                let seq = g.1;
                g.1 += 1;
                g.0.push(Reverse((level as u8, seq, customer, item)));
            }
        }
    }

    #[inline]
    pub(crate) fn pop(&self) -> Option<(usize, u32, u64)> {
        match self {
            Queues::LockFree(q) => q.pop(),
            Queues::MutexHeap(h) => {
                let Reverse((level, _, customer, item)) = h.lock().unwrap_or_else(|e| e.into_inner()).0.pop()?;
                Some((level as usize, customer, item))
            }
        }
    }

    /// Pushes many entries `(customer, level, item)`: level by level (request order within a
    /// level), so one thread's run of pushes to a level's structures stays in its cache; the
    /// heap takes its lock once.
    pub(crate) fn push_many(&self, entries: &mut [(u32, usize, u64)]) {
        match self {
            Queues::LockFree(q) => {
                // Level by level, request order kept within a level (and so per customer).
                let mut run: Vec<u64> = Vec::with_capacity(entries.len());
                let mut levels = 0u32;
                for e in entries.iter() {
                    levels |= 1 << e.1.min(LEVELS - 1);
                }
                while levels != 0 {
                    let level = levels.trailing_zeros() as usize;
                    levels &= levels - 1;
                    let mut customer = u32::MAX;
                    for &(c, l, item) in entries.iter() {
                        if l.min(LEVELS - 1) != level {
                            continue;
                        }
                        if c != customer && !run.is_empty() {
                            q.push_run(customer, level, &run);
                            run.clear();
                        }
                        customer = c;
                        run.push(item);
                    }
                    q.push_run(customer, level, &run);
                    run.clear();
                }
            }
            Queues::MutexHeap(h) => {
                let mut g = h.lock().unwrap_or_else(|e| e.into_inner());
                for &(customer, level, item) in entries.iter() {
                    let seq = g.1;
                    g.1 += 1;
                    g.0.push(Reverse((level as u8, seq, customer, item)));
                }
            }
        }
    }

    /// Pops one run of up to `max` entries of one level into `out`, in dispatch order (see
    /// [`LevelQueues::pop_run`]); the heap takes its lock once.
    pub(crate) fn pop_run(&self, max: usize, out: &mut Vec<(usize, u32, u64)>) -> usize {
        match self {
            Queues::LockFree(q) => q.pop_run(max, out),
            Queues::MutexHeap(h) => {
                let mut g = h.lock().unwrap_or_else(|e| e.into_inner());
                let mut n = 0;
                while n < max {
                    if n > 0 && g.0.peek().is_some_and(|Reverse(e)| e.0 as usize != out[out.len() - 1].0) {
                        break;
                    }
                    let Some(Reverse((level, _, customer, item))) = g.0.pop() else { break };
                    out.push((level as usize, customer, item));
                    n += 1;
                }
                n
            }
        }
    }

    /// The highest level that may hold work, or `LEVELS` when all look empty.
    pub(crate) fn best_level(&self) -> usize {
        match self {
            Queues::LockFree(q) => (q.mask().trailing_zeros() as usize).min(LEVELS),
            Queues::MutexHeap(h) => {
                h.lock().unwrap_or_else(|e| e.into_inner()).0.peek().map_or(LEVELS, |Reverse(e)| e.0 as usize)
            }
        }
    }

    pub(crate) fn set_weight(&self, customer: u32, weight: u32) {
        if let Queues::LockFree(q) = self {
            q.set_weight(customer, weight)
        }
    }

    pub(crate) fn weight(&self, customer: u32) -> u32 {
        match self {
            Queues::LockFree(q) => q.weight(customer),
            Queues::MutexHeap(_) => 1,
        }
    }
}
