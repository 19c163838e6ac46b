//! C ABI of `hcpcore::econ::Decider`: a handle holding one device's current action and dwell time.
//! The handle is not synchronised: callers serialise calls on one handle (the Go wrapper holds a
//! mutex). Conversion only; the rule lives in `hcpcore::econ::decision`.

use hcpcore::econ::{Decider, SwitchPolicy};
use hcpcore::Error;

use super::device::{action_code, action_from_code, hcp_action_value_t, to_c_value};
use super::{hcp_device_model_t, hcp_market_t, hcp_terms_t, market, model, terms};
use crate::cancel::{self, hcp_cancel_t};
use crate::checks::{count, finite_fields, HCP_MAX_STEPS};
use crate::errors::{free_box, guard, guard_plain, handle, hcp_error_t, slice_arg, slice_out, write_out};

/// What switching costs a device and how long it must stay in an action (`hcpcore::econ::SwitchPolicy`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_switch_policy_t {
    /// Time a switch takes, s.
    pub switch_seconds: f64,
    /// Wear and handling cost of one switch, USD.
    pub wear_usd_per_switch: f64,
    /// Minimum time in an action before leaving it, s.
    pub min_dwell_seconds: f64,
    /// Whether a large enough gain waives the minimum dwell.
    pub has_override_gain_usd_per_hour: bool,
    /// The gain per hour that waives the dwell, USD/h.
    pub override_gain_usd_per_hour: f64,
}

/// The outcome of one decider step (`hcpcore::econ::Decision`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_decision_t {
    /// The action for the next interval (HCP_ACTION_*).
    pub action: i32,
    /// Whether this step changed the action.
    pub switched: bool,
    /// Expected value per hour of `action` at this snapshot.
    pub value: hcp_action_value_t,
    /// Cost charged by this step's switch, USD (0 when not switching).
    pub switch_cost_usd: f64,
}

finite_fields!(hcp_decision_t { switch_cost_usd; value });

/// A stateful per-device decider. Not synchronised: serialise calls on one handle.
pub struct hcp_decider_t {
    inner: Decider,
}

fn policy(p: *const hcp_switch_policy_t) -> hcpcore::Result<SwitchPolicy> {
    // SAFETY: the C ABI contract: `p` is NULL or points to a readable hcp_switch_policy_t.
    let p = unsafe { p.as_ref() }.ok_or_else(|| Error::invalid_input("policy", "must not be NULL"))?;
    Ok(SwitchPolicy {
        switch_seconds: p.switch_seconds,
        wear_usd_per_switch: p.wear_usd_per_switch,
        min_dwell_seconds: p.min_dwell_seconds,
        override_gain_usd_per_hour: p.has_override_gain_usd_per_hour.then_some(p.override_gain_usd_per_hour),
    })
}

/// Borrows a decider mutably, refusing NULL.
///
/// # Safety
/// `d` is NULL or a live decider not used by another thread during the borrow.
unsafe fn decider_mut<'a>(d: *mut hcp_decider_t) -> hcpcore::Result<&'a mut Decider> {
    // SAFETY: NULL or live and unaliased by the caller's contract.
    unsafe { d.as_mut() }
        .map(|d| &mut d.inner)
        .ok_or_else(|| Error::invalid_input("decider", "NULL handle (closed or never opened)"))
}

/// Opens a decider for one device of `model` starting in `initial` (HCP_ACTION_*). Release with
/// hcp_decider_free.
///
/// # Safety
/// `model`, `terms`, `policy` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_new(
    model: *const hcp_device_model_t,
    terms: *const hcp_terms_t,
    policy: *const hcp_switch_policy_t,
    initial: i32,
    err: *mut *mut hcp_error_t,
) -> *mut hcp_decider_t {
    guard(err, std::ptr::null_mut(), || {
        let initial = action_from_code(initial, "initial")?;
        let inner = Decider::new(self::model(model)?, self::terms(terms)?, self::policy(policy)?, initial)?;
        Ok(Box::into_raw(Box::new(hcp_decider_t { inner })))
    })
}

/// Releases a decider. NULL is a no-op.
///
/// # Safety
/// `decider` is NULL or a live decider, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_free(decider: *mut hcp_decider_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_decider_new, freed once by contract.
    guard_plain((), || unsafe { free_box(decider) })
}

/// Decides the action for the next `dt_seconds` at `market`, advances the clock, and writes the
/// decision into `*out`.
///
/// # Safety
/// `decider` live and not used concurrently; `market` readable; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_step(
    decider: *mut hcp_decider_t,
    market: *const hcp_market_t,
    dt_seconds: f64,
    out: *mut hcp_decision_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live and unaliased by contract.
        let d = unsafe { decider_mut(decider) }?;
        let decision = d.step(&self::market(market)?, dt_seconds)?;
        let c = hcp_decision_t {
            action: action_code(decision.action),
            switched: decision.switched,
            value: to_c_value(&decision.value),
            switch_cost_usd: decision.switch_cost_usd,
        };
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, c, "out") }?;
        Ok(true)
    })
}

/// Steps once per market of `markets[0..n]` (one boundary crossing for a series), writing the
/// action after each step into `out_actions[0..n]`. On an error the steps before the bad market
/// have been taken (as with one call per step) and the error names the market's field.
///
/// # Safety
/// `decider` live and not used concurrently; `markets` readable and `out_actions` writable for `n`
/// elements (NULL only when `n` is 0); `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_step_series(
    decider: *mut hcp_decider_t,
    markets: *const hcp_market_t,
    n: usize,
    dt_seconds: f64,
    out_actions: *mut i32,
    err: *mut *mut hcp_error_t,
) -> bool {
    // SAFETY: the caller's contract is hcp_decider_step_series_cancellable's, with no flag.
    guard(err, false, || {
        unsafe { step_series(decider, markets, n, dt_seconds, out_actions, std::ptr::null()) }.map(|_| true)
    })
}

/// hcp_decider_step_series, checking `cancel` (NULL: not cancellable) before each market, and
/// returning the steps taken: fewer than `n` only when `cancel` was cancelled meanwhile (not an
/// error; `out_actions` holds the actions of the steps taken). 0 on error.
///
/// # Safety
/// As hcp_decider_step_series; `cancel` NULL or a live flag that outlives the call.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_step_series_cancellable(
    decider: *mut hcp_decider_t,
    markets: *const hcp_market_t,
    n: usize,
    dt_seconds: f64,
    out_actions: *mut i32,
    cancel: *const hcp_cancel_t,
    err: *mut *mut hcp_error_t,
) -> usize {
    // SAFETY: the caller's contract is this function's.
    guard(err, 0, || unsafe { step_series(decider, markets, n, dt_seconds, out_actions, cancel) })
}

/// The body of both step-series exports: the steps taken.
///
/// # Safety
/// As hcp_decider_step_series_cancellable.
unsafe fn step_series(
    decider: *mut hcp_decider_t,
    markets: *const hcp_market_t,
    n: usize,
    dt_seconds: f64,
    out_actions: *mut i32,
    cancel: *const hcp_cancel_t,
) -> hcpcore::Result<usize> {
    // SAFETY: live and unaliased by contract; the flag NULL or live.
    let (d, token) = unsafe { (decider_mut(decider)?, cancel::token(cancel)) };
    let n = count("n", n as u64, HCP_MAX_STEPS)?;
    // SAFETY: `n` readable markets by contract.
    let markets = unsafe { slice_arg(markets, n, "markets") }?;
    // SAFETY: `n` writable ints by contract.
    let out = unsafe { slice_out(out_actions, n, "out_actions") }?;
    for (taken, (m, o)) in markets.iter().zip(out.iter_mut()).enumerate() {
        if token.is_cancelled() {
            return Ok(taken);
        }
        *o = action_code(d.step(&self::market(m)?, dt_seconds)?.action);
    }
    Ok(n)
}

/// The decider's current action (HCP_ACTION_*), or -1 for a NULL handle.
///
/// # Safety
/// `decider` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_current(decider: *const hcp_decider_t) -> i32 {
    // SAFETY: NULL or live by contract.
    guard_plain(-1, || unsafe { decider.as_ref() }.map_or(-1, |d| action_code(d.inner.current())))
}

/// Number of switches so far (0 for a NULL handle).
///
/// # Safety
/// `decider` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_switches(decider: *const hcp_decider_t) -> u64 {
    // SAFETY: NULL or live by contract.
    guard_plain(0, || unsafe { decider.as_ref() }.map_or(0, |d| d.inner.switches()))
}

/// Seconds spent in the current action (DBL_MAX before the first switch).
///
/// # Safety
/// `decider` is NULL or live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_decider_seconds_in_action(
    decider: *const hcp_decider_t,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || {
        // SAFETY: NULL or live by contract.
        Ok(unsafe { handle(decider, "decider") }?.inner.seconds_in_action())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::{hcp_error_free, hcp_error_kind, HCP_ERROR_INVALID_INPUT};

    #[test]
    fn null_decider_is_an_error_not_a_crash() {
        let mut err = std::ptr::null_mut();
        let mut out = hcp_decision_t::default();
        // SAFETY: NULL handles are part of the contract; `err` and `out` are live locals.
        unsafe {
            assert!(!hcp_decider_step(std::ptr::null_mut(), std::ptr::null(), 60.0, &mut out, &mut err));
            assert_eq!(hcp_error_kind(err), HCP_ERROR_INVALID_INPUT);
            hcp_error_free(err);
            assert_eq!(hcp_decider_current(std::ptr::null()), -1);
            assert_eq!(hcp_decider_switches(std::ptr::null()), 0);
            hcp_decider_free(std::ptr::null_mut());
        }
    }
}
