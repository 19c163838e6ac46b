//! Cooperative cancellation of long calls: a shared flag that a caller sets from any thread and
//! that the long loops of the core poll between units of work (one fleet step, one market point).
//!
//! A cancelled call stops at the next check and reports how far it got: the object it worked on
//! stays consistent (a fleet has taken whole steps only) and usable. Cancellation is not an error
//! kind: each cancellable call says in its return type that it stopped early, and the binding
//! turns that into its language's own signal (Go: `ctx.Err()`; Python: `KeyboardInterrupt`).
//! This module owns the flag only; it must not know about threads, signals or any binding.
//!
//! ```
//! use hcpcore::cancel::CancelToken;
//! let token = CancelToken::new();
//! let seen_by_worker = token.clone();
//! assert!(!seen_by_worker.is_cancelled());
//! token.cancel();
//! assert!(seen_by_worker.is_cancelled());
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cancellation flag shared by its clones: [`cancel`](CancelToken::cancel) on any clone is seen
/// by [`is_cancelled`](CancelToken::is_cancelled) on every other, from any thread. Once set it
/// stays set.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    flag: Arc<AtomicBool>,
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every call polling this token to stop at its next check.
    pub fn cancel(&self) {
        // Relaxed is enough: the flag carries no other data, and a poller that misses the store
        // once sees it at its next check (one unit of work later).
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](CancelToken::cancel) was called on this token or a clone of it.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_on_another_thread_is_seen() {
        let token = CancelToken::new();
        let remote = token.clone();
        std::thread::spawn(move || remote.cancel()).join().unwrap();
        assert!(token.is_cancelled());
    }
}
