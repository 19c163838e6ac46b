//! C ABI of `hcpcore::sim::serve`: a serving run over request columns borrowed from the caller, the
//! per-request results written into caller buffers and the rest (summary, per-replica series,
//! switches) returned as one owned JSON string; the aggregate model and the request generators as
//! owned JSON. The replica takes its spec from an `hcp_h100_t`. Conversion only.

use std::ffi::c_char;

use hcpcore::sim::serve::{
    aggregate, azure_trace, kv_capacity_tokens, run, scale_trace, synthetic, AggregateLoad, AzureTrace, RequestColumns,
    Requests, ScaleRule, ServeConfig, SyntheticStream,
};
use hcpcore::sim::{GpuSpec, ModelSpec};
use hcpcore::Error;
use serde::Serialize;

use crate::checks::{finite_column, json_doc, to_json as json, Shape};
use crate::errors::{check_disjoint, guard, handle, hcp_error_t, slice_arg, slice_out, span, str_arg};
use crate::sim::hcp_h100_t;

/// A JSON object (`""` or NULL for `{}`), checked for shape and depth before serde reads it.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn object<T: serde::de::DeserializeOwned>(p: *const c_char, what: &str) -> hcpcore::Result<T> {
    let text = if p.is_null() {
        "{}"
    } else {
        // SAFETY: non-NULL and NUL-terminated by the caller's contract.
        let t = unsafe { str_arg(p, what) }?;
        if t.trim().is_empty() {
            "{}"
        } else {
            json_doc(what, t, Shape::Object)?
        }
    };
    serde_json::from_str(text).map_err(|e| Error::invalid_input(what, format!("malformed JSON: {e}")))
}

/// The GPU spec, model and validated config of a replica (the config's inlet defaults to the
/// GPU's).
///
/// # Safety
/// `gpu` live; `model_json` NUL-terminated; `config_json` NULL or NUL-terminated.
unsafe fn replica(
    gpu: *const hcp_h100_t,
    model_json: *const c_char,
    config_json: *const c_char,
) -> hcpcore::Result<(GpuSpec, ModelSpec, ServeConfig)> {
    // SAFETY: pointers valid per the caller's contract.
    let gpu = unsafe { handle(gpu, "gpu") }?;
    // SAFETY: as above.
    let model: ModelSpec = unsafe { object(model_json, "model") }?;
    let model = model.validated()?;
    // SAFETY: as above.
    let mut config: ServeConfig = unsafe { object(config_json, "config") }?;
    config.inlet_c.get_or_insert(gpu.inner.inlet_c());
    Ok((gpu.inner.spec().clone(), model, config.validated()?))
}

/// KV-cache capacity of one replica in tokens, after checking the model fits (`OutOfMemory`
/// naming `model` otherwise) and the config; 0 on error.
///
/// # Safety
/// `gpu` live; `model_json` NUL-terminated; `config_json` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_serve_kv_capacity_tokens(
    gpu: *const hcp_h100_t,
    model_json: *const c_char,
    config_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> u64 {
    guard(err, 0, || {
        // SAFETY: pointers valid per this function's contract.
        let (spec, model, config) = unsafe { replica(gpu, model_json, config_json) }?;
        kv_capacity_tokens(&spec, &model, &config)
    })
}

#[derive(Serialize)]
struct RunRest<'a> {
    summary: &'a hcpcore::sim::serve::ServeSummary,
    series: &'a hcpcore::sim::serve::ServeSeries,
    switches: &'a [hcpcore::sim::serve::SwitchRecord],
    tenants: &'a [hcpcore::sim::serve::TenantSummary],
}

/// Serves `len` requests (arrival seconds, prompt and output tokens; `priority`, `ttft_slo_seconds`,
/// `tpot_slo_seconds` and `tenant` NULL or `len` entries) on replicas of `model_json` on `gpu`'s spec with
/// `config_json`. Writes the per-request columns (input order) into the seven output arrays of
/// `len` entries and returns `{"summary": …, "series": {columns}, "switches": […], "tenants": […]}`
/// as an owned
/// JSON string (NULL on error).
///
/// # Safety
/// `gpu` live; strings NUL-terminated (`config_json` may be NULL); every input pointer NULL with
/// `len` 0 or `len` readable elements (the optional ones may be NULL); every output pointer `len`
/// writable elements, not overlapping each other or the inputs; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_serve_run(
    gpu: *const hcp_h100_t,
    model_json: *const c_char,
    config_json: *const c_char,
    arrival_seconds: *const f64,
    prompt_tokens: *const i64,
    output_tokens: *const i64,
    priority: *const i64,
    ttft_slo_seconds: *const f64,
    tpot_slo_seconds: *const f64,
    tenant: *const i64,
    len: usize,
    replica_out: *mut u32,
    queue_seconds_out: *mut f64,
    ttft_seconds_out: *mut f64,
    tpot_seconds_out: *mut f64,
    e2e_seconds_out: *mut f64,
    slo_met_out: *mut u8,
    preemptions_out: *mut u32,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let (spec, model, config) = unsafe { replica(gpu, model_json, config_json) }?;
        crate::checks::count("len", len as u64, crate::checks::HCP_MAX_REQUESTS)?;
        let optional = |p: usize| if p == 0 { 0 } else { len };
        check_disjoint(
            &[
                span(replica_out, len),
                span(queue_seconds_out, len),
                span(ttft_seconds_out, len),
                span(tpot_seconds_out, len),
                span(e2e_seconds_out, len),
                span(slo_met_out, len),
                span(preemptions_out, len),
            ],
            &[
                span(arrival_seconds, len),
                span(prompt_tokens, len),
                span(output_tokens, len),
                span(priority, optional(priority as usize)),
                span(ttft_slo_seconds, optional(ttft_slo_seconds as usize)),
                span(tpot_slo_seconds, optional(tpot_slo_seconds as usize)),
                span(tenant, optional(tenant as usize)),
            ],
        )?;
        // SAFETY: each input is `len` readable elements (or NULL with len 0) per the contract.
        let cols = unsafe {
            let opt_i = |p: *const i64, f: &str| if p.is_null() { Ok(None) } else { slice_arg(p, len, f).map(Some) };
            let opt_f = |p: *const f64, f: &str| if p.is_null() { Ok(None) } else { slice_arg(p, len, f).map(Some) };
            RequestColumns {
                arrival_seconds: slice_arg(arrival_seconds, len, "arrival_seconds")?,
                prompt_tokens: slice_arg(prompt_tokens, len, "prompt_tokens")?,
                output_tokens: slice_arg(output_tokens, len, "output_tokens")?,
                priority: opt_i(priority, "priority")?,
                ttft_slo_seconds: opt_f(ttft_slo_seconds, "ttft_slo_seconds")?,
                tpot_slo_seconds: opt_f(tpot_slo_seconds, "tpot_slo_seconds")?,
                tenant: opt_i(tenant, "tenant")?,
            }
        };
        let r = run(&spec, &model, &config, cols)?;
        for (name, col) in [
            ("queue_seconds", &r.queue_seconds),
            ("ttft_seconds", &r.ttft_seconds),
            ("tpot_seconds", &r.tpot_seconds),
            ("e2e_seconds", &r.e2e_seconds),
        ] {
            finite_column(name, col)?;
        }
        let rest =
            json(&RunRest { summary: &r.summary, series: &r.series, switches: &r.switches, tenants: &r.tenants })?;
        // SAFETY: each output is `len` writable elements, disjoint (checked above), per the contract.
        unsafe {
            slice_out(replica_out, len, "replica_out")?.copy_from_slice(&r.replica);
            slice_out(queue_seconds_out, len, "queue_seconds_out")?.copy_from_slice(&r.queue_seconds);
            slice_out(ttft_seconds_out, len, "ttft_seconds_out")?.copy_from_slice(&r.ttft_seconds);
            slice_out(tpot_seconds_out, len, "tpot_seconds_out")?.copy_from_slice(&r.tpot_seconds);
            slice_out(e2e_seconds_out, len, "e2e_seconds_out")?.copy_from_slice(&r.e2e_seconds);
            for (o, &m) in slice_out(slo_met_out, len, "slo_met_out")?.iter_mut().zip(&r.slo_met) {
                *o = u8::from(m);
            }
            slice_out(preemptions_out, len, "preemptions_out")?.copy_from_slice(&r.preemptions);
        }
        Ok(rest)
    })
}

/// The aggregate model of a mean load (`{"arrival_rate_per_second", "mean_prompt_tokens",
/// "mean_output_tokens", "interval_seconds"}`) as an owned JSON object.
///
/// # Safety
/// `gpu` live; strings NUL-terminated (`config_json` may be NULL); `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_serve_aggregate_json(
    gpu: *const hcp_h100_t,
    model_json: *const c_char,
    config_json: *const c_char,
    load_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let (spec, model, config) = unsafe { replica(gpu, model_json, config_json) }?;
        // SAFETY: as above.
        let load: AggregateLoad = unsafe { object(load_json, "load") }?;
        json(&aggregate(&spec, &model, &config, &load)?)
    })
}

#[derive(Serialize)]
struct Columns<'a> {
    arrival_seconds: &'a [f64],
    prompt_tokens: &'a [i64],
    output_tokens: &'a [i64],
}

fn columns(r: &Requests) -> hcpcore::Result<*mut c_char> {
    json(&Columns {
        arrival_seconds: &r.arrival_seconds,
        prompt_tokens: &r.prompt_tokens,
        output_tokens: &r.output_tokens,
    })
}

/// The shipped Azure LLM inference trace (`"conv"` or `"code"`) as an owned JSON object of three
/// columns (`arrival_seconds`, `prompt_tokens`, `output_tokens`).
///
/// # Safety
/// `which` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_azure_trace_json(which: *const c_char, err: *mut *mut hcp_error_t) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointer valid per this function's contract.
        let which = AzureTrace::parse(unsafe { str_arg(which, "which") }?)?;
        columns(&azure_trace(which))
    })
}

/// A trace of `len` requests scaled and stretched by `rule_json` (`{"mean_rate_per_second",
/// "duration_seconds", "diurnal_amplitude", "peak_hour", "weekend_factor", "start_weekday"}`), as
/// an owned JSON object of three columns.
///
/// # Safety
/// the three inputs NULL with `len` 0 or `len` readable elements; `rule_json` NULL or
/// NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_scale_trace_json(
    arrival_seconds: *const f64,
    prompt_tokens: *const i64,
    output_tokens: *const i64,
    len: usize,
    rule_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        crate::checks::count("len", len as u64, crate::checks::HCP_MAX_REQUESTS)?;
        // SAFETY: pointers valid per this function's contract.
        let trace = unsafe {
            Requests {
                arrival_seconds: slice_arg(arrival_seconds, len, "arrival_seconds")?.to_vec(),
                prompt_tokens: slice_arg(prompt_tokens, len, "prompt_tokens")?.to_vec(),
                output_tokens: slice_arg(output_tokens, len, "output_tokens")?.to_vec(),
            }
        };
        // SAFETY: as above.
        let rule: ScaleRule = unsafe { object(rule_json, "rule") }?;
        columns(&scale_trace(&trace, &rule)?)
    })
}

/// A seeded synthetic stream (`{"rate_per_second", "requests", "burstiness", "prompt", "output",
/// "seed"}`) as an owned JSON object of three columns.
///
/// # Safety
/// `stream_json` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_synthetic_requests_json(
    stream_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointer valid per this function's contract.
        let stream: SyntheticStream = unsafe { object(stream_json, "stream") }?;
        columns(&synthetic(&stream)?)
    })
}
