//! The long-call policy of the Python binding, written once (as polars' `enter_polars`): a call
//! that may run for long runs its core work on a scoped worker thread with the GIL released,
//! while the calling thread waits for it and, every [`SIGNAL_POLL`], takes the GIL to run
//! Python's signal handlers. A handler that raises (Ctrl-C's `KeyboardInterrupt`) cancels the
//! call's [`CancelToken`]; the worker stops at the core's next check (one fleet step, one market
//! point, one invoice), is joined, and the handler's exception is raised — the object worked on
//! keeps whole units of work only. Errors are mapped as everywhere else (`IntoPy`).
//!
//! Also here: [`Locked`], the interior lock of the pyclasses with mutable state (`Fleet`, `H100`,
//! `Decider`). They are `frozen`, so PyO3 never raises "Already borrowed" when two threads (or a
//! re-entrant call) use one object: the second caller waits for the lock, with the GIL released.
//!
//! This module owns threads, signals and locks only; what a call computes lives in core.

use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use hcpcore::cancel::CancelToken;
use pyo3::prelude::*;

use crate::errors::{internal, IntoPy};

/// How often the waiting thread checks for signals: Ctrl-C is seen within this, plus the time
/// the core takes to reach its next cancellation check.
pub const SIGNAL_POLL: Duration = Duration::from_millis(10);

/// Runs `work` with the GIL released, turning a pending signal into its Python exception.
///
/// `work` gets the call's token and must pass it to the core's `*_cancellable` function where
/// there is one; its `hcpcore::Error` is mapped to the matching `HcpError`. When a signal handler
/// raises while `work` runs, the token is cancelled, `work` is joined (it returns at its next
/// check) and the handler's exception is returned, whatever `work` returned. Only the main
/// thread receives signals; on another thread this still releases the GIL.
pub fn long_call<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&CancelToken) -> hcpcore::Result<T> + Send,
{
    let token = CancelToken::new();
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let worker_token = &token;
        let worker = scope.spawn(move || {
            let result = work(worker_token);
            // The receiver may be gone only if the waiting thread panicked; nothing to tell then.
            let _ = done_tx.send(());
            result
        });
        let mut done_rx = Some(done_rx);
        let interrupted = loop {
            // The receiver is not `Sync`: it moves into the GIL-free closure and back.
            let rx = done_rx.take();
            let (finished, rx) = py.detach(move || {
                let waited = rx.as_ref().map(|rx| rx.recv_timeout(SIGNAL_POLL));
                let finished = !matches!(waited, Some(Err(std::sync::mpsc::RecvTimeoutError::Timeout)));
                (finished, rx)
            });
            done_rx = rx;
            if let Err(signal) = py.check_signals() {
                token.cancel();
                break Some(signal);
            }
            if finished {
                break None;
            }
        };
        let joined = py.detach(|| worker.join());
        let result = match joined {
            Ok(result) => result,
            // A panic in the core is re-raised here, where PyO3 turns it into `PanicException`.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match interrupted {
            Some(signal) => Err(signal),
            None => result.py(),
        }
    })
}

/// The state of a `frozen` pyclass that its methods change, behind a lock that is waited for
/// with the GIL released (a holder may be running a long call without the GIL; waiting with it
/// would deadlock).
#[derive(Debug)]
pub struct Locked<T> {
    inner: Mutex<T>,
}

impl<T: Send> Locked<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Locked { inner: Mutex::new(value) }
    }

    /// The value, once no other caller holds it. A lock poisoned by a panic in an earlier call
    /// is an `InternalError` (the value may be half-updated), never a crash.
    pub fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, T>> {
        lock_without_gil(py, &self.inner)
    }
}

/// Locks `mutex` from a thread holding the GIL, waiting for another holder with the GIL released
/// (that holder may be a long call that needs nothing from Python, or a thread waiting for the
/// GIL). A poisoned lock is an `InternalError`.
pub fn lock_without_gil<'a, T: Send>(py: Python<'_>, mutex: &'a Mutex<T>) -> PyResult<MutexGuard<'a, T>> {
    loop {
        match mutex.try_lock() {
            Ok(guard) => return Ok(guard),
            Err(TryLockError::Poisoned(_)) => {
                return Err(internal("object unusable: an earlier call on it panicked"));
            }
            // Wait for the holder without the GIL, then try again with it.
            Err(TryLockError::WouldBlock) => py.detach(|| drop(mutex.lock())),
        }
    }
}
