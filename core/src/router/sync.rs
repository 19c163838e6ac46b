//! The synchronisation primitives of the lock-free core, swapped for loom's under `cfg(loom)`.
//!
//! Loom cannot see inside crossbeam's `SegQueue`, so under loom the queue is a loom
//! `Mutex<VecDeque>` behind the same three-method surface: the models then explore every
//! interleaving of the occupancy-mask and ticket protocols built on top of it, which is the part
//! hcp itself gets right or wrong. Only [`super::queues`] uses this module.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32};

/// A multi-producer multi-consumer FIFO queue: crossbeam's lock-free `SegQueue` in real builds.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct Queue<T>(crossbeam::queue::SegQueue<T>);

#[cfg(not(loom))]
impl<T> Queue<T> {
    pub(crate) fn new() -> Self {
        Queue(crossbeam::queue::SegQueue::new())
    }
    #[inline]
    pub(crate) fn push(&self, value: T) {
        self.0.push(value)
    }
    #[inline]
    pub(crate) fn pop(&self) -> Option<T> {
        self.0.pop()
    }
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Under loom: a loom-visible FIFO with the same surface.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct Queue<T>(loom::sync::Mutex<std::collections::VecDeque<T>>);

#[cfg(loom)]
impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue::new()
    }
}

#[cfg(loom)]
impl<T> Queue<T> {
    pub(crate) fn new() -> Self {
        Queue(loom::sync::Mutex::new(std::collections::VecDeque::new()))
    }
    pub(crate) fn push(&self, value: T) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push_back(value)
    }
    pub(crate) fn pop(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}
