//! C ABI of `hcpcore::router`: an opaque `hcp_router_t` handle, safe to share between threads (the
//! core router is `Send + Sync` and every call takes it by shared reference). Bulk calls
//! (`hcp_router_submit_batch`, `hcp_router_dispatch_batch`, `hcp_router_complete_batch`) move
//! whole arrays per crossing. Structured results come back as owned JSON strings (release with
//! `hcp_string_free`), in the core's field names.

use std::ffi::c_char;

use hcpcore::router::{CustomerConfig, Router, RouterConfig, SubmitRequest};
use hcpcore::Error;

use crate::checks::{count, json_doc, non_finite, Shape, HCP_MAX_BATCH};
use crate::econ::hcp_market_t;
use crate::errors::{
    free_box, guard, guard_plain, handle, hcp_error_t, out_string, slice_arg, slice_out, str_arg, write_out,
};

/// A router handle (opaque). Make with `hcp_router_new`, release with `hcp_router_free`.
pub struct hcp_router_t {
    inner: Router,
}

/// Optional fields of a submission; a field whose `has_` flag is false comes from the type.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hcp_submit_opts_t {
    /// Whether `priority` is given.
    pub has_priority: bool,
    /// 1 (highest) … 10 (lowest).
    pub priority: i64,
    /// Whether `gpus` is given.
    pub has_gpus: bool,
    /// GPUs wanted.
    pub gpus: i64,
    /// Whether `gpu_memory_gb` is given.
    pub has_gpu_memory_gb: bool,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: f64,
    /// Whether `latency_bound_ms` is given.
    pub has_latency_bound_ms: bool,
    /// Longest acceptable wait, ms.
    pub latency_bound_ms: f64,
    /// Whether `deadline_seconds` is given.
    pub has_deadline_seconds: bool,
    /// Dispatch deadline after submission, s.
    pub deadline_seconds: f64,
    /// Preferred site (NUL-terminated), or NULL for none.
    pub site: *const c_char,
}

/// The per-request columns of `hcp_router_submit_batch`. Every array is NULL (each request
/// takes the type's value) or holds `n` elements.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hcp_submit_columns_t {
    /// Priorities, 1 (highest) … 10 (lowest).
    pub priorities: *const i64,
    /// GPU memory per GPU, GB.
    pub gpu_memory_gb: *const f64,
    /// The requests' preferred sites, UTF-8, concatenated without separators (NULL: none).
    pub sites: *const u8,
    /// Bytes in `sites`.
    pub sites_len: usize,
    /// Byte length of each request's site within `sites`, in order; 0 for no site.
    pub site_lens: *const usize,
    /// Longest acceptable wait, ms; NaN takes the type's.
    pub latency_bound_ms: *const f64,
    /// Dispatch deadline after submission, s; NaN takes the type's.
    pub deadline_seconds: *const f64,
}

/// A customer's fair-share weight and quotas (`hcp_router_set_customer`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct hcp_customer_config_t {
    /// Share of a priority level when several customers are backlogged, 1 … 1,000,000.
    pub weight: u32,
    /// Whether `max_gpus` is given (false: no limit).
    pub has_max_gpus: bool,
    /// Most devices its active work may hold.
    pub max_gpus: u32,
    /// Whether `max_queued` is given (false: no limit).
    pub has_max_queued: bool,
    /// Most workloads it may have waiting.
    pub max_queued: u32,
}

/// `hcp_router_transition` op: Assigned → Running.
pub const HCP_ROUTER_START: i32 = 0;
/// `hcp_router_transition` op: Assigned/Running → Completed.
pub const HCP_ROUTER_COMPLETE: i32 = 1;
/// `hcp_router_transition` op: Assigned/Running → Failed.
pub const HCP_ROUTER_FAIL: i32 = 2;
/// `hcp_router_transition` op: Queued/Assigned/Running → Cancelled.
pub const HCP_ROUTER_CANCEL: i32 = 3;
/// `hcp_router_transition` op: Assigned/Running → Preempted → Queued (operator only:
/// `customer_id` must be NULL).
pub const HCP_ROUTER_PREEMPT: i32 = 4;

/// Counts by state (`submitted` = the sum of the seven that follow it).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct hcp_state_counts_t {
    /// Every submission.
    pub submitted: u64,
    /// Waiting.
    pub queued: u64,
    /// Assigned.
    pub assigned: u64,
    /// Running.
    pub running: u64,
    /// Completed.
    pub completed: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
    /// Rejected at submission.
    pub rejected: u64,
    /// Preemptions so far.
    pub preemptions: u64,
}

fn opt_str<'a>(p: *const c_char, field: &str) -> hcpcore::Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL strings are NUL-terminated by the C ABI contract of every caller.
        unsafe { str_arg(p, field) }.map(Some)
    }
}

use crate::checks::to_json as json;

/// Opens a router. `config_json` (NULL for defaults) is a RouterConfig JSON object.
///
/// # Safety
/// `config_json` is NULL or NUL-terminated; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_new(config_json: *const c_char, err: *mut *mut hcp_error_t) -> *mut hcp_router_t {
    guard(err, std::ptr::null_mut(), || {
        let cfg = match opt_str(config_json, "config")? {
            Some(text) => RouterConfig::from_json(json_doc("config", text, Shape::Object)?)?,
            None => RouterConfig::default(),
        };
        Ok(Box::into_raw(Box::new(hcp_router_t { inner: Router::new(cfg)? })))
    })
}

/// Releases a router. NULL is a no-op. No other call may be in flight on it.
///
/// # Safety
/// `router` is NULL or a live router, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_free(router: *mut hcp_router_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_router_new, freed once by contract.
    guard_plain((), || unsafe { free_box(router) })
}

/// Registers a device (`kind` "gpu" or "asic", `model` a catalog name); `has_gpu_memory_gb`
/// false takes the model's memory.
///
/// # Safety
/// `router` live; strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_add_device(
    router: *const hcp_router_t,
    device_id: *const c_char,
    kind: *const c_char,
    model: *const c_char,
    site: *const c_char,
    has_gpu_memory_gb: bool,
    gpu_memory_gb: f64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract (each line below).
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let (device_id, kind) = unsafe { (str_arg(device_id, "device_id")?, str_arg(kind, "kind")?) };
        // SAFETY: as above.
        let (model, site) = unsafe { (str_arg(model, "model")?, str_arg(site, "site")?) };
        r.inner.add_device(device_id, kind, model, site, has_gpu_memory_gb.then_some(gpu_memory_gb))?;
        Ok(true)
    })
}

/// The request a submit call describes.
///
/// # Safety
/// Strings NUL-terminated; `opts` NULL or readable, its `site` NULL or NUL-terminated; all of
/// them valid for `'a`.
unsafe fn request<'a>(
    customer_id: *const c_char,
    workload_type: *const c_char,
    opts: *const hcp_submit_opts_t,
) -> hcpcore::Result<SubmitRequest<'a>> {
    // SAFETY: per this function's contract.
    let customer_id = unsafe { str_arg(customer_id, "customer_id") }?;
    // SAFETY: as above.
    let workload_type = unsafe { str_arg(workload_type, "workload_type") }?;
    // SAFETY: NULL or readable by contract.
    let o = unsafe { opts.as_ref() }.copied();
    Ok(SubmitRequest {
        customer_id,
        workload_type,
        priority: o.filter(|o| o.has_priority).map(|o| o.priority),
        gpus: o.filter(|o| o.has_gpus).map(|o| o.gpus),
        gpu_memory_gb: o.filter(|o| o.has_gpu_memory_gb).map(|o| o.gpu_memory_gb),
        site: match o {
            Some(o) => opt_str(o.site, "site")?,
            None => None,
        },
        latency_bound_ms: o.filter(|o| o.has_latency_bound_ms).map(|o| o.latency_bound_ms),
        deadline_seconds: o.filter(|o| o.has_deadline_seconds).map(|o| o.deadline_seconds),
    })
}

/// Submits a workload; returns its id (0 on error: a rejected submission still took an id,
/// named at the end of the error's message; `hcp_router_try_submit` returns it). `opts` may be
/// NULL.
///
/// # Safety
/// `router` live; strings NUL-terminated; `opts` NULL or readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_submit(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    workload_type: *const c_char,
    opts: *const hcp_submit_opts_t,
    err: *mut *mut hcp_error_t,
) -> u64 {
    guard(err, 0, || {
        // SAFETY: pointers valid per this function's contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let req = unsafe { request(customer_id, workload_type, opts) }?;
        r.inner.submit(&req)
    })
}

/// Submits a workload and reports its id whether accepted or not, as an owned JSON object
/// `{"workload_id": …, "state": "queued" | "rejected", "reason": null | "…"}`. `*err` is set
/// only for unusable arguments (NULL or non-UTF-8 strings, a NULL router), never for a
/// rejected request. `opts` may be NULL.
///
/// # Safety
/// `router` live; strings NUL-terminated; `opts` NULL or readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_try_submit(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    workload_type: *const c_char,
    opts: *const hcp_submit_opts_t,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let req = unsafe { request(customer_id, workload_type, opts) }?;
        let s = r.inner.try_submit(&req);
        json(&serde_json::json!({
            "workload_id": s.workload_id,
            "state": s.state.name(),
            "reason": s.reason,
        }))
    })
}

/// Submits `n` workloads of one customer and type in one call. `columns` is NULL (every field
/// from the type) or gives per-request columns (see `hcp_submit_columns_t`). Writes each id to
/// `ids_out[i]` (-1 where rejected) and returns how many were accepted.
///
/// # Safety
/// `router` live; strings NUL-terminated; `columns` NULL or readable, its arrays NULL or of `n`
/// elements (`sites` of `sites_len` bytes); `ids_out` writable for `n` elements; `err` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_submit_batch(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    workload_type: *const c_char,
    columns: *const hcp_submit_columns_t,
    n: usize,
    ids_out: *mut i64,
    err: *mut *mut hcp_error_t,
) -> usize {
    guard(err, 0, || {
        let n = count("n", n as u64, HCP_MAX_BATCH)?;
        // SAFETY: pointers valid per this function's contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let customer_id = unsafe { str_arg(customer_id, "customer_id") }?;
        // SAFETY: as above.
        let workload_type = unsafe { str_arg(workload_type, "workload_type") }?;
        // SAFETY: NULL or readable by contract.
        let cols = unsafe { columns.as_ref() }.copied();
        /// A column: NULL (absent) or `n` elements.
        ///
        /// # Safety
        /// `p` NULL or readable for `n` elements.
        unsafe fn col<'a, T>(p: Option<*const T>, n: usize, field: &str) -> hcpcore::Result<Option<&'a [T]>> {
            match p.filter(|p| !p.is_null()) {
                None => Ok(None),
                // SAFETY: non-NULL arrays hold `n` elements by contract.
                Some(p) => unsafe { slice_arg(p, n, field) }.map(Some),
            }
        }
        // SAFETY: each array NULL or of `n` elements by contract.
        let (priorities, memory, latency, deadline, site_lens) = unsafe {
            (
                col(cols.map(|c| c.priorities), n, "priorities")?,
                col(cols.map(|c| c.gpu_memory_gb), n, "gpu_memory_gb")?,
                col(cols.map(|c| c.latency_bound_ms), n, "latency_bound_ms")?,
                col(cols.map(|c| c.deadline_seconds), n, "deadline_seconds")?,
                col(cols.map(|c| c.site_lens), n, "site_lens")?,
            )
        };
        let mut sites: Vec<Option<&str>> = vec![None; n];
        if let (Some(c), Some(lens)) = (cols, site_lens) {
            // SAFETY: `sites_len` readable bytes (or none) by contract.
            let bytes = unsafe { slice_arg(c.sites, c.sites_len, "sites") }?;
            let mut at = 0usize;
            for (slot, &len) in sites.iter_mut().zip(lens) {
                let end = at.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(|| {
                    Error::invalid_input("site_lens", "the lengths add up to more than sites_len bytes")
                })?;
                if len > 0 {
                    let s = std::str::from_utf8(&bytes[at..end])
                        .map_err(|_| Error::invalid_input("sites", "is not valid UTF-8"))?;
                    *slot = Some(s);
                }
                at = end;
            }
        }
        // SAFETY: writable for `n` elements by contract.
        let out = unsafe { slice_out(ids_out, n, "ids_out") }?;
        let given = |c: Option<&[f64]>, i: usize| c.map(|c| c[i]).filter(|x| !x.is_nan());
        let reqs: Vec<SubmitRequest<'_>> = (0..n)
            .map(|i| SubmitRequest {
                customer_id,
                workload_type,
                priority: priorities.map(|p| p[i]),
                gpus: None,
                gpu_memory_gb: memory.map(|m| m[i]),
                site: sites[i],
                latency_bound_ms: given(latency, i),
                deadline_seconds: given(deadline, i),
            })
            .collect();
        let mut accepted = 0;
        for (slot, res) in out.iter_mut().zip(r.inner.submit_batch(&reqs)) {
            *slot = match res {
                Ok(id) => {
                    accepted += 1;
                    id as i64
                }
                Err(_) => -1,
            };
        }
        Ok(accepted)
    })
}

/// Places the next workload. Returns the assignment as an owned JSON object (`workload_id`,
/// `device_id`, `device_ids`, `priority`, `wait_seconds`, `curtailed_device_ids`,
/// `preempted_workload_ids`), or NULL with `*err` NULL when nothing can be placed now.
///
/// # Safety
/// `router` live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_dispatch(router: *const hcp_router_t, err: *mut *mut hcp_error_t) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live by contract.
        let r = unsafe { handle(router, "router") }?;
        match r.inner.dispatch() {
            None => Ok(std::ptr::null_mut()),
            // json! writes NaN as null, so the one float is checked here.
            Some(a) if !a.wait_seconds.is_finite() => Err(non_finite("wait_seconds")),
            Some(a) => json(&serde_json::json!({
                "workload_id": a.workload_id,
                "device_id": &*a.device_id,
                "device_ids": a.device_ids().iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "priority": a.priority,
                "wait_seconds": a.wait_seconds,
                "curtailed_device_ids": a.curtailed_device_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
                "preempted_workload_ids": a.preempted_workload_ids,
            })),
        }
    })
}

/// Places up to `max` workloads. Writes their ids to `workload_ids_out` and their (first) device
/// ids, joined by '\n', to `*device_ids_out` (owned; NULL when none placed); when any
/// assignment curtailed miners or preempted work, `*extra_json_out` (if not NULL) receives an
/// owned JSON object `{"curtailed_device_ids": [...], "preempted_workload_ids": [...]}`, else
/// NULL. Returns how many were placed.
///
/// # Safety
/// `router` live; `workload_ids_out` writable for `max` elements; `device_ids_out` writable;
/// `extra_json_out` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_dispatch_batch(
    router: *const hcp_router_t,
    max: usize,
    workload_ids_out: *mut u64,
    device_ids_out: *mut *mut c_char,
    extra_json_out: *mut *mut c_char,
    err: *mut *mut hcp_error_t,
) -> usize {
    guard(err, 0, || {
        // SAFETY: live by contract.
        let r = unsafe { handle(router, "router") }?;
        let max = count("max", max as u64, HCP_MAX_BATCH)?;
        // SAFETY: writable for `max` elements by contract.
        let ids = unsafe { slice_out(workload_ids_out, max, "workload_ids_out") }?;
        if device_ids_out.is_null() {
            return Err(Error::invalid_input("device_ids_out", "out-pointer must not be NULL"));
        }
        let batch = r.inner.dispatch_batch(max);
        let mut names = String::with_capacity(batch.len() * 8);
        let (mut curtailed, mut preempted) = (Vec::new(), Vec::new());
        for (slot, a) in ids.iter_mut().zip(&batch) {
            *slot = a.workload_id;
            if !names.is_empty() {
                names.push('\n');
            }
            names.push_str(&a.device_id);
            curtailed.extend(a.curtailed_device_ids.iter().map(|d| d.to_string()));
            preempted.extend(a.preempted_workload_ids.iter().copied());
        }
        let joined = if batch.is_empty() { std::ptr::null_mut() } else { out_string(names) };
        // SAFETY: non-NULL and writable by contract.
        unsafe { device_ids_out.write(joined) };
        if !extra_json_out.is_null() {
            let extra = if curtailed.is_empty() && preempted.is_empty() {
                std::ptr::null_mut()
            } else {
                json(&serde_json::json!({"curtailed_device_ids": curtailed, "preempted_workload_ids": preempted}))?
            };
            // SAFETY: non-NULL and writable by contract.
            unsafe { extra_json_out.write(extra) };
        }
        Ok(batch.len())
    })
}

/// Moves a workload along the state machine (`op` one of the `HCP_ROUTER_*` ops; any other
/// value is HCP_ERROR_INVALID_INPUT). With a non-NULL `customer_id` the call acts on
/// that customer's behalf: another customer's workload is HCP_ERROR_NOT_FOUND.
///
/// # Safety
/// `router` live; `customer_id` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_transition(
    router: *const hcp_router_t,
    workload_id: u64,
    op: i32,
    customer_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live by contract.
        let r = &unsafe { handle(router, "router") }?.inner;
        let id = workload_id;
        match (op, opt_str(customer_id, "customer_id")?) {
            (HCP_ROUTER_START, None) => r.start(id),
            (HCP_ROUTER_START, Some(c)) => r.start_as(c, id),
            (HCP_ROUTER_COMPLETE, None) => r.complete(id),
            (HCP_ROUTER_COMPLETE, Some(c)) => r.complete_as(c, id),
            (HCP_ROUTER_FAIL, None) => r.fail(id),
            (HCP_ROUTER_FAIL, Some(c)) => r.fail_as(c, id),
            (HCP_ROUTER_CANCEL, None) => r.cancel(id),
            (HCP_ROUTER_CANCEL, Some(c)) => r.cancel_as(c, id),
            (HCP_ROUTER_PREEMPT, None) => r.preempt(id),
            (HCP_ROUTER_PREEMPT, Some(_)) => {
                Err(Error::invalid_input("customer_id", "preemption is an operator action: pass NULL"))
            }
            (other, _) => Err(Error::invalid_input("op", format!("unknown router op {other}"))),
        }?;
        Ok(true)
    })
}

/// Completes `n` workloads; `ok_out[i]` (if not NULL) is 1 where it worked. Returns how many did.
///
/// # Safety
/// `router` live; `ids` of `n` elements; `ok_out` NULL or writable for `n`; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_complete_batch(
    router: *const hcp_router_t,
    ids: *const u64,
    n: usize,
    ok_out: *mut u8,
    err: *mut *mut hcp_error_t,
) -> usize {
    guard(err, 0, || {
        // SAFETY: live by contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: `n` readable elements by contract; it is bounded first.
        let ids = unsafe { slice_arg(ids, count("n", n as u64, HCP_MAX_BATCH)?, "ids") }?;
        let results = r.inner.complete_batch(ids);
        if !ok_out.is_null() {
            // SAFETY: non-NULL and writable for `n` by contract.
            let out = unsafe { slice_out(ok_out, n, "ok_out") }?;
            for (o, res) in out.iter_mut().zip(&results) {
                *o = res.is_ok() as u8;
            }
        }
        Ok(results.iter().filter(|x| x.is_ok()).count())
    })
}

/// A workload as an owned JSON object (the core's `WorkloadInfo`); `customer_id` scopes it.
///
/// # Safety
/// `router` live; `customer_id` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_workload_json(
    router: *const hcp_router_t,
    workload_id: u64,
    customer_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live by contract.
        let r = &unsafe { handle(router, "router") }?.inner;
        let info = match opt_str(customer_id, "customer_id")? {
            Some(c) => r.workload_as(c, workload_id)?,
            None => r.workload(workload_id)?,
        };
        json(&info)
    })
}

/// Counts by state into `*out`.
///
/// # Safety
/// `router` live; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_counts(
    router: *const hcp_router_t,
    out: *mut hcp_state_counts_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live by contract.
        let c = unsafe { handle(router, "router") }?.inner.counts();
        let value = hcp_state_counts_t {
            submitted: c.submitted,
            queued: c.queued,
            assigned: c.assigned,
            running: c.running,
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            rejected: c.rejected,
            preemptions: c.preemptions,
        };
        // SAFETY: writable by contract.
        unsafe { write_out(out, value, "out") }?;
        Ok(true)
    })
}

/// Waiting workloads per priority into `out[0..10]` (index 0 = priority 1).
///
/// # Safety
/// `router` live; `out` writable for 10 elements; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_queue_depths(
    router: *const hcp_router_t,
    out: *mut u64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live by contract.
        let depths = unsafe { handle(router, "router") }?.inner.queue_depths();
        // SAFETY: writable for 10 elements by contract.
        unsafe { slice_out(out, depths.len(), "out") }?.copy_from_slice(&depths);
        Ok(true)
    })
}

/// Prometheus text exposition (owned string).
///
/// # Safety
/// `router` live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_metrics_text(
    router: *const hcp_router_t,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live by contract.
        Ok(out_string(unsafe { handle(router, "router") }?.inner.metrics_text()))
    })
}

/// A device's registry view as an owned JSON object.
///
/// # Safety
/// `router` live; `device_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_device_json(
    router: *const hcp_router_t,
    device_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        json(&r.inner.device(unsafe { str_arg(device_id, "device_id") }?)?)
    })
}

/// Takes a device out of service (`available` false) or back in.
///
/// # Safety
/// `router` live; `device_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_set_device_available(
    router: *const hcp_router_t,
    device_id: *const c_char,
    available: bool,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        r.inner.set_device_available(unsafe { str_arg(device_id, "device_id") }?, available)?;
        Ok(true)
    })
}

/// Sets a site's power cap in kW (`has_cap` false lifts it).
///
/// # Safety
/// `router` live; `site` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_set_site_power_cap_kw(
    router: *const hcp_router_t,
    site: *const c_char,
    has_cap: bool,
    power_cap_kw: f64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        r.inner.set_site_power_cap_kw(unsafe { str_arg(site, "site") }?, has_cap.then_some(power_cap_kw))?;
        Ok(true)
    })
}

/// A site's estimated device draw, kW.
///
/// # Safety
/// `router` live; `site` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_site_load_kw(
    router: *const hcp_router_t,
    site: *const c_char,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        r.inner.site_load_kw(unsafe { str_arg(site, "site") }?)
    })
}

/// Wakes curtailed miners while the cap allows; their ids joined by '\n' (owned; "" if none).
///
/// # Safety
/// `router` live; `site` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_resume_miners(
    router: *const hcp_router_t,
    site: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        Ok(out_string(r.inner.resume_miners(unsafe { str_arg(site, "site") }?)?.join("\n")))
    })
}

/// Sets the market that prices miners' power (validated).
///
/// # Safety
/// `router` live; `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_set_market(
    router: *const hcp_router_t,
    market: *const hcp_market_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live by contract.
        let r = unsafe { handle(router, "router") }?;
        r.inner.set_market(crate::econ::market(market)?);
        Ok(true)
    })
}

/// Moves the manual clock forward (config `manual_clock: true`).
///
/// # Safety
/// `router` live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_advance_time(
    router: *const hcp_router_t,
    seconds: f64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: live by contract.
        unsafe { handle(router, "router") }?.inner.advance_time(seconds)?;
        Ok(true)
    })
}

/// Runs an aging sweep now; returns how many workloads climbed a level.
///
/// # Safety
/// `router` live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_age(router: *const hcp_router_t, err: *mut *mut hcp_error_t) -> usize {
    guard(err, 0, || {
        // SAFETY: live by contract.
        Ok(unsafe { handle(router, "router") }?.inner.age())
    })
}

/// Removes a device: the work on it is preempted (queued again at its place) and the device
/// forgotten. Returns the ids preempted off it as an owned JSON array.
///
/// # Safety
/// `router` live; `device_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_remove_device(
    router: *const hcp_router_t,
    device_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        json(&r.inner.remove_device(unsafe { str_arg(device_id, "device_id") }?)?)
    })
}

/// Sets a customer's weight and quotas now (`config` NULL: weight 1, no limits). Work already
/// admitted stays.
///
/// # Safety
/// `router` live; `customer_id` NUL-terminated; `config` NULL or readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_set_customer(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    config: *const hcp_customer_config_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let customer_id = unsafe { str_arg(customer_id, "customer_id") }?;
        // SAFETY: NULL or readable by contract.
        let config = match unsafe { config.as_ref() } {
            None => CustomerConfig::default(),
            Some(c) => CustomerConfig {
                weight: c.weight,
                max_gpus: c.has_max_gpus.then_some(c.max_gpus),
                max_queued: c.has_max_queued.then_some(c.max_queued),
            },
        };
        r.inner.set_customer(customer_id, config)?;
        Ok(true)
    })
}

/// A customer's weight and quotas with its live counts, as an owned JSON object (the core's
/// `CustomerInfo`).
///
/// # Safety
/// `router` live; `customer_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_customer_json(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        json(&r.inner.customer(unsafe { str_arg(customer_id, "customer_id") }?)?)
    })
}

/// Every workload of a customer (accepted and rejected), in id order, as an owned JSON array of
/// the core's `WorkloadInfo`.
///
/// # Safety
/// `router` live; `customer_id` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_customer_workloads_json(
    router: *const hcp_router_t,
    customer_id: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per contract.
        let r = unsafe { handle(router, "router") }?;
        // SAFETY: as above.
        let customer_id = unsafe { str_arg(customer_id, "customer_id") }?;
        json(&r.inner.customer_workloads(customer_id))
    })
}

/// Seconds on the router clock (since creation, or the manual clock).
///
/// # Safety
/// `router` live; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_router_now_seconds(router: *const hcp_router_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || {
        // SAFETY: live by contract.
        Ok(unsafe { handle(router, "router") }?.inner.now_seconds())
    })
}
