//! C ABI of `hcpcore::billing`. Configurations, events and results cross as JSON text (amounts as
//! exact decimal strings); charges, plans and ledgers are handles. Conversion only; every rule
//! lives in the core.
//!
//! A ledger handle serialises its calls with a mutex, so it may be shared between threads
//! (goroutines); charges and plans are immutable after creation.

use std::ffi::c_char;
use std::sync::Mutex;

use hcpcore::billing::{
    self, Charge, Currency, Durability, EventValue, Ledger, Plan, PlannedUsage, Rounding, Subscription, Timestamp,
    UsageEvent, UsageStore,
};
use hcpcore::{Error, ErrorKind};
use serde_json::Value;

use crate::cancel::{self, hcp_cancel_t};
use crate::checks::{self, json_doc, Shape, HCP_MAX_BATCH};
use crate::errors::{free_box, guard, guard_plain, handle, hcp_error_t, out_string, str_arg};

/// `durability` of hcp_ledger_open: fsync every ingest (survives power loss).
pub const HCP_DURABILITY_FULL: i32 = 0;
/// `durability` of hcp_ledger_open: WAL with synchronous=NORMAL (survives a process crash).
pub const HCP_DURABILITY_NORMAL: i32 = 1;

/// A priced charge.
pub struct hcp_charge_t {
    inner: Charge,
}

/// A plan.
pub struct hcp_plan_t {
    inner: Plan,
}

/// A usage ledger (SQLite file or memory).
pub struct hcp_ledger_t {
    inner: Mutex<Ledger>,
}

/// A JSON record (a charge, plan, event or subscription), checked for depth before it is parsed.
/// The core refuses a non-object itself, naming `(root)`, as in every binding.
fn object(field: &str, text: &str) -> hcpcore::Result<Value> {
    parse(field, json_doc(field, text, Shape::Any)?)
}

/// A JSON list (events, usage, thresholds, ...) of at most `HCP_MAX_BATCH` items, checked for
/// depth before it is parsed. A non-array is left for the core to refuse by name.
fn list(field: &str, text: &str) -> hcpcore::Result<Value> {
    let value = parse(field, json_doc(field, text, Shape::Any)?)?;
    if let Value::Array(items) = &value {
        checks::count(field, items.len() as u64, HCP_MAX_BATCH)?;
    }
    Ok(value)
}

fn parse(field: &str, text: &str) -> hcpcore::Result<Value> {
    serde_json::from_str(text).map_err(|e| Error::invalid_input(field, format!("malformed JSON: {e}")))
}

use checks::to_json;

/// Optional timestamp argument (NULL = open bound).
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn time_arg(p: *const c_char, field: &str, default: Timestamp) -> hcpcore::Result<Timestamp> {
    if p.is_null() {
        return Ok(default);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    Timestamp::parse_field(field, unsafe { str_arg(p, field) }?)
}

fn lock(ledger: &hcp_ledger_t) -> hcpcore::Result<std::sync::MutexGuard<'_, Ledger>> {
    ledger.inner.lock().map_err(|_| Error::new(ErrorKind::Internal, "ledger lock poisoned by an earlier panic"))
}

/// Parses a charge from JSON (Lago field names). Release with hcp_charge_free.
///
/// # Safety
/// `config_json` is a NUL-terminated string; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_charge_new(config_json: *const c_char, err: *mut *mut hcp_error_t) -> *mut hcp_charge_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NUL-terminated by contract.
        let text = unsafe { str_arg(config_json, "charge") }?;
        Ok(Box::into_raw(Box::new(hcp_charge_t { inner: Charge::from_json(&object("charge", text)?)? })))
    })
}

/// Releases a charge. NULL is a no-op.
///
/// # Safety
/// `charge` is NULL or a live charge, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_charge_free(charge: *mut hcp_charge_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_charge_new, freed once by contract.
    guard_plain((), || unsafe { free_box(charge) })
}

/// The precise amount (decimal text, owned) for cumulative `units` (decimal text).
///
/// # Safety
/// `charge` is a live charge; `units` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_charge_amount(
    charge: *const hcp_charge_t,
    units: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated string by contract.
        let (charge, units) = unsafe { (handle(charge, "charge")?, str_arg(units, "units")?) };
        Ok(out_string(charge.inner.amount(billing::parse_decimal("units", units)?)?.to_string()))
    })
}

/// The precise amount (decimal text, owned) for events given as a JSON array of quantities or
/// `{"quantity", "properties"}` objects.
///
/// # Safety
/// As hcp_charge_amount.
#[no_mangle]
pub unsafe extern "C" fn hcp_charge_amount_events(
    charge: *const hcp_charge_t,
    events_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated string by contract.
        let (charge, text) = unsafe { (handle(charge, "charge")?, str_arg(events_json, "events")?) };
        let events = EventValue::many_from_json(&list("events", text)?)?;
        Ok(out_string(charge.inner.amount_for_events(&events)?.to_string()))
    })
}

/// Parses a plan from JSON. Release with hcp_plan_free.
///
/// # Safety
/// `config_json` is a NUL-terminated string; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_plan_new(config_json: *const c_char, err: *mut *mut hcp_error_t) -> *mut hcp_plan_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NUL-terminated by contract.
        let text = unsafe { str_arg(config_json, "plan") }?;
        Ok(Box::into_raw(Box::new(hcp_plan_t { inner: Plan::from_json(&object("plan", text)?)? })))
    })
}

/// Releases a plan. NULL is a no-op.
///
/// # Safety
/// `plan` is NULL or a live plan, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_plan_free(plan: *mut hcp_plan_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_plan_new, freed once by contract.
    guard_plain((), || unsafe { free_box(plan) })
}

/// Pay-in-advance fee lines (JSON array, owned) of one event (JSON object).
///
/// # Safety
/// `plan` is a live plan; `event_json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_plan_instant_fees(
    plan: *const hcp_plan_t,
    event_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated string by contract.
        let (plan, text) = unsafe { (handle(plan, "plan")?, str_arg(event_json, "event")?) };
        let event = UsageEvent::from_json(&object("event", text)?)?;
        to_json(&billing::instant_fees(&plan.inner, &event)?)
    })
}

/// Estimate (invoice JSON, owned) of planned usage (JSON array) for a subscription (JSON) in the
/// period containing `at` (RFC 3339).
///
/// # Safety
/// `plan` is a live plan; strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_plan_estimate(
    plan: *const hcp_plan_t,
    subscription_json: *const c_char,
    at: *const c_char,
    usage_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated strings by contract.
        let (plan, sub, at, usage) = unsafe {
            (
                handle(plan, "plan")?,
                str_arg(subscription_json, "subscription")?,
                str_arg(at, "at")?,
                str_arg(usage_json, "usage")?,
            )
        };
        let sub = Subscription::from_json(&object("subscription", sub)?)?;
        let usage = PlannedUsage::many_from_json(&list("usage", usage)?)?;
        to_json(&billing::estimate(&plan.inner, &sub, Timestamp::parse_field("at", at)?, &usage)?)
    })
}

/// Opens (creating if needed) a SQLite ledger at `path` with HCP_DURABILITY_FULL or
/// HCP_DURABILITY_NORMAL. A corrupt, foreign or newer-schema file is HCP_ERROR_STORAGE.
/// Release with hcp_ledger_free.
///
/// # Safety
/// `path` is a NUL-terminated string; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_open(
    path: *const c_char,
    durability: i32,
    err: *mut *mut hcp_error_t,
) -> *mut hcp_ledger_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NUL-terminated by contract.
        let path = unsafe { str_arg(path, "path") }?;
        let durability = match durability {
            HCP_DURABILITY_FULL => Durability::Full,
            HCP_DURABILITY_NORMAL => Durability::Normal,
            other => {
                return Err(Error::invalid_input("durability", format!("expected 0 (full) or 1 (normal), got {other}")))
            }
        };
        let ledger = Ledger::open(path, durability)?;
        Ok(Box::into_raw(Box::new(hcp_ledger_t { inner: Mutex::new(ledger) })))
    })
}

/// An in-memory ledger. Release with hcp_ledger_free.
#[no_mangle]
pub extern "C" fn hcp_ledger_memory() -> *mut hcp_ledger_t {
    guard_plain(std::ptr::null_mut(), || Box::into_raw(Box::new(hcp_ledger_t { inner: Mutex::new(Ledger::memory()) })))
}

/// Releases a ledger (closing its file). NULL is a no-op.
///
/// # Safety
/// `ledger` is NULL or a live ledger, freed at most once, with no call on it in flight.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_free(ledger: *mut hcp_ledger_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_ledger_open/memory, freed once by contract.
    guard_plain((), || unsafe { free_box(ledger) })
}

/// Ingests a JSON array of events; returns how many were new (0 on error). All or nothing;
/// durable when it returns.
///
/// # Safety
/// `ledger` is a live ledger; `events_json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_ingest(
    ledger: *const hcp_ledger_t,
    events_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> usize {
    guard(err, 0, || {
        // SAFETY: live handle and NUL-terminated string by contract.
        let (ledger, text) = unsafe { (handle(ledger, "ledger")?, str_arg(events_json, "events")?) };
        let events = UsageEvent::many_from_json(&list("events", text)?)?;
        lock(ledger)?.ingest(&events)
    })
}

/// Number of distinct events stored.
///
/// # Safety
/// `ledger` is a live ledger; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_event_count(ledger: *const hcp_ledger_t, err: *mut *mut hcp_error_t) -> u64 {
    guard(err, 0, || {
        // SAFETY: live handle by contract.
        let ledger = unsafe { handle(ledger, "ledger") }?;
        lock(ledger)?.event_count()
    })
}

/// Customers with events (JSON array of strings, owned).
///
/// # Safety
/// `ledger` is a live ledger; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_customers(ledger: *const hcp_ledger_t, err: *mut *mut hcp_error_t) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle by contract.
        let ledger = unsafe { handle(ledger, "ledger") }?;
        to_json(&lock(ledger)?.customers()?)
    })
}

/// A customer's events of the meters in `meter_codes_json` (JSON array) with
/// `start <= timestamp < end` (NULL: unbounded), as a JSON array (owned).
///
/// # Safety
/// `ledger` is a live ledger; strings NUL-terminated (start/end may be NULL); `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_events(
    ledger: *const hcp_ledger_t,
    customer_id: *const c_char,
    meter_codes_json: *const c_char,
    start: *const c_char,
    end: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated strings (or NULL bounds) by contract.
        let (ledger, customer, codes, from, to) = unsafe {
            (
                handle(ledger, "ledger")?,
                str_arg(customer_id, "customer_id")?,
                str_arg(meter_codes_json, "meter_codes")?,
                time_arg(start, "start", Timestamp::MIN)?,
                time_arg(end, "end", Timestamp::MAX)?,
            )
        };
        let codes: Vec<String> =
            serde_json::from_value(list("meter_codes", codes)?).map_err(|e| Error::invalid_input("meter_codes", e))?;
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        let events = lock(ledger)?.events(customer, &refs, from, to)?;
        to_json(&events.iter().map(UsageEvent::to_json).collect::<Vec<_>>())
    })
}

/// Shared body of preview/issue: parses the subscription and instant, then runs `f`.
///
/// # Safety
/// Pointers as in hcp_ledger_preview_invoice.
unsafe fn with_invoice_args(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscription_json: *const c_char,
    at: *const c_char,
    f: impl FnOnce(&mut Ledger, &Plan, &Subscription, Timestamp) -> hcpcore::Result<*mut c_char>,
) -> hcpcore::Result<*mut c_char> {
    // SAFETY: live handles and NUL-terminated strings by the caller's contract.
    let (ledger, plan, sub, at) = unsafe {
        (
            handle(ledger, "ledger")?,
            handle(plan, "plan")?,
            str_arg(subscription_json, "subscription")?,
            str_arg(at, "at")?,
        )
    };
    let sub = Subscription::from_json(&object("subscription", sub)?)?;
    let at = Timestamp::parse_field("at", at)?;
    f(&mut *lock(ledger)?, &plan.inner, &sub, at)
}

/// The invoice (JSON, owned) of the period containing `at`, not recorded.
///
/// # Safety
/// `ledger` and `plan` are live; strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_preview_invoice(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscription_json: *const c_char,
    at: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: forwarded under the same contract.
        unsafe {
            with_invoice_args(ledger, plan, subscription_json, at, |l, p, s, t| {
                to_json(&billing::preview_invoice(&*l, p, s, t)?)
            })
        }
    })
}

/// Issues and records the invoice (JSON, owned) of the period containing `at`;
/// HCP_ERROR_CONFLICT if already issued.
///
/// # Safety
/// As hcp_ledger_preview_invoice.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_issue_invoice(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscription_json: *const c_char,
    at: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: forwarded under the same contract.
        unsafe {
            with_invoice_args(ledger, plan, subscription_json, at, |l, p, s, t| {
                to_json(&billing::issue_invoice(l, p, s, t)?)
            })
        }
    })
}

/// Issues the invoices of many subscriptions (JSON array) for the period containing `at`, all or
/// nothing; returns a JSON array of invoices (owned).
///
/// # Safety
/// As hcp_ledger_preview_invoice.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_issue_invoices(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscriptions_json: *const c_char,
    at: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handles and NUL-terminated strings by contract.
        let (ledger, plan, subs, at) = unsafe {
            (
                handle(ledger, "ledger")?,
                handle(plan, "plan")?,
                str_arg(subscriptions_json, "subscriptions")?,
                str_arg(at, "at")?,
            )
        };
        let (subs, at) = subscriptions_at(subs, at)?;
        to_json(&billing::issue_invoices(&mut *lock(ledger)?, &plan.inner, &subs, at)?)
    })
}

/// hcp_ledger_issue_invoices, checking `cancel` (NULL: not cancellable) before each
/// subscription's invoice: when it was cancelled meanwhile, nothing is recorded, and the call
/// returns NULL with no error and sets `*cancelled` (NULL: not told).
///
/// # Safety
/// As hcp_ledger_issue_invoices; `cancel` NULL or a live flag that outlives the call; `cancelled`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_issue_invoices_cancellable(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscriptions_json: *const c_char,
    at: *const c_char,
    cancel: *const hcp_cancel_t,
    cancelled: *mut bool,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handles, NUL-terminated strings and a NULL or live flag by contract.
        let (ledger, plan, subs, at, token) = unsafe {
            (
                handle(ledger, "ledger")?,
                handle(plan, "plan")?,
                str_arg(subscriptions_json, "subscriptions")?,
                str_arg(at, "at")?,
                cancel::token(cancel),
            )
        };
        let (subs, at) = subscriptions_at(subs, at)?;
        let issued = billing::issue_invoices_cancellable(&mut *lock(ledger)?, &plan.inner, &subs, at, &token)?;
        if !cancelled.is_null() {
            // SAFETY: non-NULL and writable by contract.
            unsafe { cancelled.write(issued.is_none()) };
        }
        match issued {
            Some(invoices) => to_json(&invoices),
            None => Ok(std::ptr::null_mut()),
        }
    })
}

/// The subscriptions (a JSON array) and the instant of an invoicing call.
fn subscriptions_at(subs: &str, at: &str) -> hcpcore::Result<(Vec<Subscription>, Timestamp)> {
    let subs = match list("subscriptions", subs)? {
        Value::Array(items) => items.iter().map(Subscription::from_json).collect::<hcpcore::Result<Vec<_>>>()?,
        _ => return Err(Error::invalid_input("subscriptions", "expected an array")),
    };
    Ok((subs, Timestamp::parse_field("at", at)?))
}

/// The customer's issued invoices (JSON array, owned), oldest first.
///
/// # Safety
/// `ledger` is live; `customer_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_invoices(
    ledger: *const hcp_ledger_t,
    customer_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handle and NUL-terminated string by contract.
        let (ledger, customer) = unsafe { (handle(ledger, "ledger")?, str_arg(customer_id, "customer_id")?) };
        to_json(&lock(ledger)?.invoices(customer)?)
    })
}

/// Spend to date, forecast and alerts (JSON, owned) against `budget` (decimal text) at
/// `thresholds_json` percent (JSON array of decimals).
///
/// # Safety
/// `ledger` and `plan` are live; strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_ledger_budget_status(
    ledger: *const hcp_ledger_t,
    plan: *const hcp_plan_t,
    subscription_json: *const c_char,
    now: *const c_char,
    budget: *const c_char,
    thresholds_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live handles and NUL-terminated strings by contract.
        let (ledger, plan, sub, now, budget, thresholds) = unsafe {
            (
                handle(ledger, "ledger")?,
                handle(plan, "plan")?,
                str_arg(subscription_json, "subscription")?,
                str_arg(now, "now")?,
                str_arg(budget, "budget")?,
                str_arg(thresholds_json, "thresholds")?,
            )
        };
        let sub = Subscription::from_json(&object("subscription", sub)?)?;
        let thresholds = match list("thresholds", thresholds)? {
            Value::Array(items) => items
                .iter()
                .map(|t| billing::decimal_from_json("thresholds", t))
                .collect::<hcpcore::Result<Vec<_>>>()?,
            _ => return Err(Error::invalid_input("thresholds", "expected an array")),
        };
        let status = billing::budget_status(
            &*lock(ledger)?,
            &plan.inner,
            &sub,
            Timestamp::parse_field("now", now)?,
            billing::parse_decimal("budget", budget)?,
            &thresholds,
        )?;
        to_json(&status)
    })
}

/// Rounds `amount` (decimal text) to `currency`'s minor unit with `rounding`
/// ("half_away_from_zero" or "half_even"); returns decimal text (owned).
///
/// # Safety
/// Strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_billing_round_amount(
    amount: *const c_char,
    currency: *const c_char,
    rounding: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NUL-terminated strings by contract.
        let (amount, currency, rounding) =
            unsafe { (str_arg(amount, "amount")?, str_arg(currency, "currency")?, str_arg(rounding, "rounding")?) };
        let amount = billing::parse_decimal("amount", amount)?;
        Ok(out_string(Rounding::from_name(rounding)?.round(amount, &Currency::from_code(currency)?).to_string()))
    })
}

/// Validates one event (JSON object); returns it normalised (JSON, owned).
///
/// # Safety
/// `event_json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_billing_validate_event(
    event_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NUL-terminated by contract.
        let text = unsafe { str_arg(event_json, "event") }?;
        to_json(&UsageEvent::from_json(&object("event", text)?)?.to_json())
    })
}
