//! C ABI of `hcpcore::sim`: the H100 model and fleets as handles, structured results as owned JSON
//! strings (`hcp_string_free`), fleet columns copied in bulk into caller buffers. Conversion only.

use std::ffi::c_char;

use hcpcore::sim::{
    Activity, Command, DecodeOptions, Fleet, FleetConfig, GpuSpec, HostMemory, MarketReplay, MarketSource, ModelSpec,
    SwitchRequest, SyntheticConfig, SyntheticMarket, H100,
};
use hcpcore::Error;

use crate::cancel::{self, hcp_cancel_t};
use crate::checks::{self, count, finite_column, json_doc, Shape, HCP_MAX_FLEET_DEVICES, HCP_MAX_STEPS};
use crate::errors::{free_box, guard, guard_plain, handle, hcp_error_t, slice_arg, slice_out, str_arg};

/// A simulated H100 (opaque). Not safe for concurrent use: the Go wrapper serialises calls.
pub struct hcp_h100_t {
    pub(crate) inner: H100,
}

/// A simulated fleet (opaque). Not safe for concurrent use: the Go wrapper serialises calls.
pub struct hcp_fleet_t {
    inner: Fleet,
}

use checks::to_json as json;

/// A JSON object (`""` for `{}`), checked for shape and depth before serde reads it.
fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> hcpcore::Result<T> {
    let text = if text.trim().is_empty() { "{}" } else { json_doc(what, text, Shape::Object)? };
    serde_json::from_str(text).map_err(|e| Error::invalid_input(what, format!("malformed JSON: {e}")))
}

/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn opt_str<'a>(p: *const c_char, field: &str) -> hcpcore::Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL and NUL-terminated by the caller's contract.
        unsafe { str_arg(p, field) }.map(Some)
    }
}

/// # Safety
/// `p` is NULL or a live handle made by this library, not used concurrently.
unsafe fn fleet_mut<'a>(p: *mut hcp_fleet_t) -> hcpcore::Result<&'a mut hcp_fleet_t> {
    // SAFETY: the caller guarantees `p` is NULL or a live, exclusively used fleet.
    unsafe { p.as_mut() }.ok_or_else(|| Error::invalid_input("fleet", "NULL handle (closed or never opened)"))
}

/// Opens an H100 of `variant` (`"sxm"` / `"pcie"`), with optional spec overrides (JSON object or
/// NULL). Release with hcp_h100_free.
///
/// # Safety
/// `variant` NUL-terminated; `overrides_json` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_h100_new(
    variant: *const c_char,
    overrides_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut hcp_h100_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let mut spec = GpuSpec::by_name(unsafe { str_arg(variant, "variant") }?)?;
        // SAFETY: as above.
        if let Some(o) = unsafe { opt_str(overrides_json, "overrides_json") }? {
            spec = spec.with_overrides(json_doc("overrides_json", o, Shape::Object)?)?;
        }
        Ok(Box::into_raw(Box::new(hcp_h100_t { inner: H100::from_spec(spec)? })))
    })
}

/// Releases an H100. NULL is a no-op.
///
/// # Safety
/// `gpu` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_h100_free(gpu: *mut hcp_h100_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_h100_new, freed once by contract.
    guard_plain((), || unsafe { free_box(gpu) })
}

/// Steady-state decode of `model_json` (`{"params": 8e9, "bytes_per_param": 2}`) at `batch`, as
/// an owned JSON object (step_seconds, tokens_per_second, power_watts, …).
///
/// # Safety
/// `gpu` live; `model_json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_h100_decode_json(
    gpu: *const hcp_h100_t,
    model_json: *const c_char,
    batch: i64,
    context_tokens: u64,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let gpu = unsafe { handle(gpu, "gpu") }?;
        // SAFETY: as above.
        let model: ModelSpec = parse(unsafe { str_arg(model_json, "model_json") }?, "model")?;
        json(&gpu.inner.decode_with(&model, batch, DecodeOptions { context_tokens })?)
    })
}

/// Phases of a workload switch as an owned JSON object (each phase's seconds, total_seconds).
/// `host_memory` is `"pinned"` or `"pageable"`.
///
/// # Safety
/// `gpu` live; `host_memory` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_h100_switch_json(
    gpu: *const hcp_h100_t,
    kv_bytes: f64,
    weights_bytes: f64,
    host_memory: *const c_char,
    warm_context: bool,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let gpu = unsafe { handle(gpu, "gpu") }?;
        // SAFETY: as above.
        let host = HostMemory::parse(unsafe { str_arg(host_memory, "host_memory") }?)?;
        json(&gpu.inner.switch_with(&SwitchRequest::new(kv_bytes, weights_bytes, host, warm_context))?)
    })
}

/// Advances the GPU `dt_seconds` under tensor and DRAM activity; the reading as owned JSON.
///
/// # Safety
/// `gpu` is a live handle not used concurrently; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_h100_step_json(
    gpu: *mut hcp_h100_t,
    dt_seconds: f64,
    tensor: f64,
    dram: f64,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: live and exclusively used per this function's contract.
        let gpu = unsafe { gpu.as_mut() }.ok_or_else(|| Error::invalid_input("gpu", "NULL handle"))?;
        json(&gpu.inner.step(checks::dt_seconds("dt_seconds", dt_seconds)?, Activity { tensor, dram })?)
    })
}

/// Opens a fleet from a FleetConfig JSON object (NULL or `{}` for defaults). Release with
/// hcp_fleet_free.
///
/// # Safety
/// `config_json` NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_new(config_json: *const c_char, err: *mut *mut hcp_error_t) -> *mut hcp_fleet_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointer valid per this function's contract.
        let config = match unsafe { opt_str(config_json, "config_json") }? {
            Some(text) if text.trim().is_empty() => FleetConfig::default(),
            Some(text) => FleetConfig::from_json(json_doc("config", text, Shape::Object)?)?,
            None => FleetConfig::default(),
        };
        Ok(Box::into_raw(Box::new(hcp_fleet_t { inner: Fleet::new(config)? })))
    })
}

/// Releases a fleet. NULL is a no-op.
///
/// # Safety
/// `fleet` is NULL or a live handle, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_free(fleet: *mut hcp_fleet_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_fleet_new, freed once by contract.
    guard_plain((), || unsafe { free_box(fleet) })
}

/// Adds `count` devices: GPUs when `kind` is `"gpu"` (name `"sxm"`/`"pcie"`), miners when it is
/// `"asic"` (name `"S21"`, …). Returns the first new device id (-1 on error).
///
/// # Safety
/// `fleet` live and not used concurrently; strings NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_add(
    fleet: *mut hcp_fleet_t,
    kind: *const c_char,
    name: *const c_char,
    count: u32,
    err: *mut *mut hcp_error_t,
) -> i64 {
    guard(err, -1, || {
        // SAFETY: pointers valid per this function's contract.
        let f = unsafe { fleet_mut(fleet) }?;
        // SAFETY: as above.
        let (kind, name) = unsafe { (str_arg(kind, "kind")?, str_arg(name, "name")?) };
        let first = f.inner.len() as i64;
        if i128::from(count) + i128::from(first) > HCP_MAX_FLEET_DEVICES as i128 {
            let why = format!("the fleet would hold more than {HCP_MAX_FLEET_DEVICES} devices ({first} + {count})");
            return Err(Error::invalid_input("count", why));
        }
        match kind {
            "gpu" => {
                let spec = GpuSpec::by_name(name)?;
                for _ in 0..count {
                    f.inner.add_gpu_spec(&spec)?;
                }
            }
            "asic" => {
                let spec = hcpcore::sim::AsicSpec::by_name(name)?;
                for _ in 0..count {
                    f.inner.add_miner_spec(&spec)?;
                }
            }
            other => return Err(Error::invalid_input("kind", format!("must be \"gpu\" or \"asic\", got {other:?}"))),
        }
        Ok(first)
    })
}

/// Applies a command (JSON: `{"command":"serve","model":{...},"batch":32}`, `{"command":"mine",
/// "mode":"low"}`, `{"command":"sleep"}`, …) to each of `n` devices.
///
/// # Safety
/// `fleet` live and not used concurrently; `devices` points to `n` ids (NULL if 0);
/// `command_json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_command(
    fleet: *mut hcp_fleet_t,
    devices: *const i64,
    n: usize,
    command_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract.
        let f = unsafe { fleet_mut(fleet) }?;
        // SAFETY: as above; `n` is bounded before the slice is made.
        let ids = unsafe { slice_arg(devices, count("n", n as u64, HCP_MAX_FLEET_DEVICES)?, "devices") }?;
        // SAFETY: as above.
        let text = unsafe { str_arg(command_json, "command_json") }?;
        let command = Command::from_json(json_doc("command", text, Shape::Object)?)?;
        f.inner.command_many(ids, command)?;
        Ok(true)
    })
}

/// Advances `steps` steps.
///
/// # Safety
/// `fleet` live and not used concurrently; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_run(fleet: *mut hcp_fleet_t, steps: u64, err: *mut *mut hcp_error_t) -> bool {
    guard(err, false, || {
        // SAFETY: pointer valid per this function's contract.
        let f = unsafe { fleet_mut(fleet) }?;
        f.inner.run(count("steps", steps, HCP_MAX_STEPS)? as u64)?;
        Ok(true)
    })
}

/// Advances up to `steps` steps, checking `cancel` (NULL: not cancellable) before each one, and
/// returns the steps taken: fewer than `steps` only when `cancel` was cancelled meanwhile (not an
/// error; the fleet has taken whole steps only). 0 on error.
///
/// # Safety
/// `fleet` live and not used concurrently; `cancel` NULL or a live flag that outlives the call;
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_run_cancellable(
    fleet: *mut hcp_fleet_t,
    steps: u64,
    cancel: *const hcp_cancel_t,
    err: *mut *mut hcp_error_t,
) -> u64 {
    guard(err, 0, || {
        // SAFETY: pointers valid per this function's contract.
        let (f, token) = unsafe { (fleet_mut(fleet)?, cancel::token(cancel)) };
        f.inner.run_cancellable(count("steps", steps, HCP_MAX_STEPS)? as u64, &token)
    })
}

/// Draws the shares found since the last settlement now.
///
/// # Safety
/// `fleet` live and not used concurrently; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_settle(fleet: *mut hcp_fleet_t, err: *mut *mut hcp_error_t) -> bool {
    guard(err, false, || {
        // SAFETY: pointer valid per this function's contract.
        unsafe { fleet_mut(fleet) }?.inner.settle();
        Ok(true)
    })
}

/// Sets the market: `kind` `"synthetic"` (`arg` = SyntheticConfig JSON or NULL, `seed`),
/// `"replay"` (`arg` = directory, `start` = start instant) or `"none"`.
///
/// # Safety
/// `fleet` live and not used concurrently; strings NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_set_market(
    fleet: *mut hcp_fleet_t,
    kind: *const c_char,
    arg: *const c_char,
    start: *const c_char,
    seed: u64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract.
        let f = unsafe { fleet_mut(fleet) }?;
        // SAFETY: as above.
        let (kind, arg, start) = unsafe { (str_arg(kind, "kind")?, opt_str(arg, "arg")?, opt_str(start, "start")?) };
        let source = match kind {
            "synthetic" => {
                let config: SyntheticConfig = parse(arg.unwrap_or("{}"), "config")?;
                MarketSource::Synthetic(Box::new(SyntheticMarket::new(config, seed)?))
            }
            "replay" => MarketSource::Replay(Box::new(MarketReplay::from_dir(arg.unwrap_or(""), start.unwrap_or(""))?)),
            "none" => MarketSource::None,
            other => {
                return Err(Error::invalid_input("kind", format!("must be synthetic, replay or none, got {other:?}")))
            }
        };
        f.inner.set_market(source);
        Ok(true)
    })
}

/// Sets the room temperature, °C.
///
/// # Safety
/// `fleet` live and not used concurrently; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_set_ambient_c(
    fleet: *mut hcp_fleet_t,
    ambient_c: f64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointer valid per this function's contract.
        unsafe { fleet_mut(fleet) }?.inner.set_ambient_c(ambient_c)?;
        Ok(true)
    })
}

/// Number of recorded steps (rows of every series column).
///
/// # Safety
/// `fleet` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_series_len(fleet: *const hcp_fleet_t) -> usize {
    // SAFETY: the caller guarantees `fleet` is NULL or live.
    guard_plain(0, || unsafe { fleet.as_ref() }.map_or(0, |f| f.inner.series().len()))
}

/// Copies series column `name` (e.g. `"power_watts"`, `"gpus_serving"`; counts as doubles) into
/// `out[0..len]`; `len` must equal hcp_fleet_series_len.
///
/// # Safety
/// `fleet` live; `name` NUL-terminated; `out` points to `len` writable doubles; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_series_column(
    fleet: *const hcp_fleet_t,
    name: *const c_char,
    out: *mut f64,
    len: usize,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract.
        let f = unsafe { handle(fleet, "fleet") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(name, "name") }?;
        // SAFETY: as above.
        let out = unsafe { slice_out(out, len, "out") }?;
        let s = f.inner.series();
        if len != s.len() {
            return Err(Error::invalid_input("len", format!("must be {}, got {len}", s.len())));
        }
        let f64s = |v: &[f64], out: &mut [f64]| out.copy_from_slice(v);
        let u32s = |v: &[u32], out: &mut [f64]| out.iter_mut().zip(v).for_each(|(o, x)| *o = *x as f64);
        match name {
            "time_seconds" => f64s(&s.time_seconds, out),
            "power_watts" => f64s(&s.power_watts, out),
            "gpu_power_watts" => f64s(&s.gpu_power_watts, out),
            "asic_power_watts" => f64s(&s.asic_power_watts, out),
            "hashrate_ths" => f64s(&s.hashrate_ths, out),
            "tokens_per_second" => f64s(&s.tokens_per_second, out),
            "gpus_serving" => u32s(&s.gpus_serving, out),
            "gpus_switching" => u32s(&s.gpus_switching, out),
            "gpus_sleeping" => u32s(&s.gpus_sleeping, out),
            "gpus_faulted" => u32s(&s.gpus_faulted, out),
            "miners_hashing" => u32s(&s.miners_hashing, out),
            "miners_sleeping" => u32s(&s.miners_sleeping, out),
            "devices_throttled" => u32s(&s.devices_throttled, out),
            "max_gpu_temp_c" => f64s(&s.max_gpu_temp_c, out),
            "electricity_usd_per_mwh" => f64s(&s.electricity_usd_per_mwh, out),
            "energy_kwh" => f64s(&s.energy_kwh, out),
            "energy_cost_usd" => f64s(&s.energy_cost_usd, out),
            "mining_revenue_usd" => f64s(&s.mining_revenue_usd, out),
            "gpu_revenue_usd" => f64s(&s.gpu_revenue_usd, out),
            other => return Err(Error::invalid_input("name", format!("no series column {other:?}"))),
        }
        finite_column(name, out)?;
        Ok(true)
    })
}

/// Number of events logged.
///
/// # Safety
/// `fleet` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_events_len(fleet: *const hcp_fleet_t) -> usize {
    // SAFETY: the caller guarantees `fleet` is NULL or live.
    guard_plain(0, || unsafe { fleet.as_ref() }.map_or(0, |f| f.inner.events().len()))
}

/// Copies the events into five columns of `len` (= hcp_fleet_events_len) entries: time, device,
/// kind code (see `hcp_event_kind_name`), code, value.
///
/// # Safety
/// `fleet` live; each out-pointer points to `len` writable elements; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_events(
    fleet: *const hcp_fleet_t,
    time_seconds: *mut f64,
    device: *mut u32,
    kind: *mut u8,
    code: *mut u32,
    value: *mut f64,
    len: usize,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract.
        let f = unsafe { handle(fleet, "fleet") }?;
        let e = f.inner.events();
        if len != e.len() {
            return Err(Error::invalid_input("len", format!("must be {}, got {len}", e.len())));
        }
        // SAFETY: as above.
        let (t, d, k, c, v) = unsafe {
            (
                slice_out(time_seconds, len, "time_seconds")?,
                slice_out(device, len, "device")?,
                slice_out(kind, len, "kind")?,
                slice_out(code, len, "code")?,
                slice_out(value, len, "value")?,
            )
        };
        for (i, ev) in e.iter().enumerate() {
            t[i] = ev.time_seconds;
            d[i] = ev.device;
            k[i] = ev.kind.code();
            c[i] = ev.code;
            v[i] = ev.value;
        }
        finite_column("time_seconds", t)?;
        finite_column("value", v)?;
        Ok(true)
    })
}

/// The event kind names, by code.
const EVENT_KIND_NAMES: [&std::ffi::CStr; 17] = [
    c"switch_started",
    c"switch_completed",
    c"sleep_started",
    c"slept",
    c"wake_started",
    c"woke",
    c"mode_changed",
    c"xid_error",
    c"ecc_correctable",
    c"ecc_uncorrectable",
    c"thermal_event",
    c"throttle_started",
    c"throttle_ended",
    c"thermal_shutdown",
    c"restarted",
    c"chain_fault",
    c"fault_cleared",
];

/// The snake_case name of an event kind code (static string; NULL for an unknown code).
#[no_mangle]
pub extern "C" fn hcp_event_kind_name(code: u8) -> *const c_char {
    guard_plain(std::ptr::null(), || EVENT_KIND_NAMES.get(code as usize).map_or(std::ptr::null(), |n| n.as_ptr()))
}

/// A JSON view of the fleet (owned): `what` is `"summary"`, `"devices"` (per-device columns),
/// `"state:<id>"`, `"gpu:<id>"` (telemetry), `"cgminer:<id>:<command>"` (a miner's API reply;
/// the command is `version`, `devs`, `summary`, `stats`, `pools` or a JSON request), or
/// `"dcgm:<hostname>"` / `"miners:<hostname>"` (a Prometheus text as a JSON string).
///
/// # Safety
/// `fleet` live; `what` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_fleet_json(
    fleet: *const hcp_fleet_t,
    what: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: pointers valid per this function's contract.
        let f = &unsafe { handle(fleet, "fleet") }?.inner;
        // SAFETY: as above.
        let what = unsafe { str_arg(what, "what") }?;
        let id = |s: &str| s.parse::<i64>().map_err(|_| Error::invalid_input("what", format!("bad device id {s:?}")));
        let parts: Vec<&str> = what.splitn(3, ':').collect();
        match parts.as_slice() {
            ["summary"] => json(&f.summary()),
            ["devices"] => json(&f.devices()),
            ["state", d] => json(&f.state(id(d)?)?.name()),
            ["gpu", d] => json(&f.gpu_telemetry(id(d)?)?),
            ["cgminer", d, cmd] => json(&f.cgminer_reply(id(d)?, cmd, 0)?),
            ["dcgm", host] => json(&f.dcgm_exposition(host)),
            ["miners", host] => json(&f.miner_exposition(host)),
            _ => Err(Error::invalid_input("what", format!("unknown view {what:?}"))),
        }
    })
}

/// A market series as owned JSON columns: `kind` `"synthetic"` (`arg` = SyntheticConfig JSON or
/// NULL, `seed`) or `"replay"` (`arg` = directory, `start`), `steps` points `dt_seconds` apart.
///
/// # Safety
/// Strings NULL or NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_market_series_json(
    kind: *const c_char,
    arg: *const c_char,
    start: *const c_char,
    seed: u64,
    steps: u64,
    dt_seconds: f64,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    // SAFETY: the caller's contract is this function's, with no flag.
    guard(err, std::ptr::null_mut(), || unsafe {
        market_series(kind, arg, start, seed, steps, dt_seconds, std::ptr::null(), std::ptr::null_mut())
    })
}

/// hcp_market_series_json, checking `cancel` (NULL: not cancellable) before each point: when it
/// was cancelled meanwhile, returns NULL with no error and sets `*cancelled` (NULL: not told).
///
/// # Safety
/// Strings NULL or NUL-terminated; `cancel` NULL or a live flag that outlives the call;
/// `cancelled` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_market_series_json_cancellable(
    kind: *const c_char,
    arg: *const c_char,
    start: *const c_char,
    seed: u64,
    steps: u64,
    dt_seconds: f64,
    cancel: *const hcp_cancel_t,
    cancelled: *mut bool,
    err: *mut *mut hcp_error_t,
) -> *mut c_char {
    // SAFETY: the caller's contract is this function's.
    guard(err, std::ptr::null_mut(), || unsafe {
        market_series(kind, arg, start, seed, steps, dt_seconds, cancel, cancelled)
    })
}

/// The body of both market-series exports.
///
/// # Safety
/// As hcp_market_series_json_cancellable.
#[allow(clippy::too_many_arguments)]
unsafe fn market_series(
    kind: *const c_char,
    arg: *const c_char,
    start: *const c_char,
    seed: u64,
    steps: u64,
    dt_seconds: f64,
    cancel: *const hcp_cancel_t,
    cancelled: *mut bool,
) -> hcpcore::Result<*mut c_char> {
    // SAFETY: pointers valid per this function's contract.
    let (kind, arg, start, token) =
        unsafe { (str_arg(kind, "kind")?, opt_str(arg, "arg")?, opt_str(start, "start")?, cancel::token(cancel)) };
    let steps = count("steps", steps, HCP_MAX_STEPS)?;
    let dt_seconds = checks::dt_seconds("dt_seconds", dt_seconds)?;
    let series = match kind {
        "synthetic" => {
            let config: SyntheticConfig = parse(arg.unwrap_or("{}"), "config")?;
            SyntheticMarket::new(config, seed)?.series_cancellable(steps, dt_seconds, &token)?
        }
        "replay" => MarketReplay::from_dir(arg.unwrap_or(""), start.unwrap_or(""))?
            .series_cancellable(steps, dt_seconds, &token)?,
        other => return Err(Error::invalid_input("kind", format!("must be synthetic or replay, got {other:?}"))),
    };
    if !cancelled.is_null() {
        // SAFETY: non-NULL and writable by contract.
        unsafe { cancelled.write(series.is_none()) };
    }
    match series {
        Some(series) => json(&series),
        None => Ok(std::ptr::null_mut()),
    }
}
