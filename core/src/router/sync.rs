//! The router's one lock, swapped for loom's under `cfg(loom)` so the loom models in
//! `core/tests/router_loom.rs` explore every interleaving of calls on one router.

/// A mutex that never poisons: `parking_lot`'s in real builds.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct Lock<T>(parking_lot::Mutex<T>);

#[cfg(not(loom))]
impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Lock(parking_lot::Mutex::new(value))
    }
    #[inline]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }
}

/// Under loom: loom's mutex, so the models see every lock hand-over.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct Lock<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Lock(loom::sync::Mutex::new(value))
    }
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
