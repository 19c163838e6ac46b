//! C ABI of `hcpcore::cancel::CancelToken`: a handle the caller makes before a long call, passes
//! to it, and may cancel from another thread while the call runs (the Go package does so when a
//! `context.Context` is done). The long call polls it between units of work and stops early,
//! reporting how far it got; cancelling is not an error. Conversion only.

use hcpcore::cancel::CancelToken;

use crate::errors::{free_box, guard_plain};

/// A cancellation flag (opaque). Unlike other handles it is safe to use from several threads at
/// once: one thread may cancel it while another runs a call that polls it.
pub struct hcp_cancel_t {
    pub(crate) token: CancelToken,
}

/// Makes a cancellation flag, not yet cancelled. Release with hcp_cancel_free.
#[no_mangle]
pub extern "C" fn hcp_cancel_new() -> *mut hcp_cancel_t {
    guard_plain(std::ptr::null_mut(), || Box::into_raw(Box::new(hcp_cancel_t { token: CancelToken::new() })))
}

/// Cancels: every call polling `cancel` stops at its next check (one fleet step, one market
/// point). Safe to call from any thread, also while such a call runs; NULL is a no-op.
///
/// # Safety
/// `cancel` is NULL or a live flag made by hcp_cancel_new.
#[no_mangle]
pub unsafe extern "C" fn hcp_cancel_cancel(cancel: *const hcp_cancel_t) {
    // SAFETY: NULL or live by contract; the flag is atomic, so a shared borrow is enough.
    guard_plain((), || unsafe { cancel.as_ref() }.map_or((), |c| c.token.cancel()))
}

/// Releases a flag. NULL is a no-op. No call may be polling it any more.
///
/// # Safety
/// `cancel` is NULL or a live flag, freed at most once, after the calls given it returned.
#[no_mangle]
pub unsafe extern "C" fn hcp_cancel_free(cancel: *mut hcp_cancel_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_cancel_new, freed once by contract.
    guard_plain((), || unsafe { free_box(cancel) })
}

/// The token behind a flag argument: NULL (not cancellable) gives a token no one can cancel.
///
/// # Safety
/// `cancel` is NULL or a live flag made by hcp_cancel_new that outlives the call.
pub(crate) unsafe fn token(cancel: *const hcp_cancel_t) -> CancelToken {
    // SAFETY: NULL or live by the caller's contract; cloning shares the same atomic flag.
    unsafe { cancel.as_ref() }.map_or_else(CancelToken::new, |c| c.token.clone())
}
