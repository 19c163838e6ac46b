//! C ABI of the per-device economics: GPU hours and days, the value of each action, the best
//! action, custom ASIC models and action names. Conversion only; the maths lives in `hcpcore::econ`.

use std::ffi::c_char;

use hcpcore::econ::{self, Action, ActionValue, DeviceModel, GpuEconomics};
use hcpcore::Error;

use super::{hcp_device_model_t, hcp_market_t, hcp_terms_t, market, model, terms, to_c_model};
use crate::checks::{finite_column, finite_fields};
use crate::errors::{guard, hcp_error_t, slice_out, str_arg, write_out};

/// `hcp_action_value_t.action` etc.: an ASIC hashing.
pub const HCP_ACTION_MINE: i32 = 0;
/// A GPU serving inference.
pub const HCP_ACTION_SERVE: i32 = 1;
/// Curtailed, at sleep power.
pub const HCP_ACTION_SLEEP: i32 = 2;
/// Powered on doing nothing useful, at idle power.
pub const HCP_ACTION_IDLE: i32 = 3;

/// A serving GPU's expected economics over a period (`hcpcore::econ::GpuEconomics`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_gpu_economics_t {
    /// Length of the period, h.
    pub hours: f64,
    /// Revenue, USD.
    pub revenue_usd: f64,
    /// Facility energy, kWh.
    pub energy_kwh: f64,
    /// Energy cost, USD.
    pub energy_cost_usd: f64,
    /// Revenue minus energy cost, USD.
    pub profit_usd: f64,
}

/// One device's expected economics per hour in one action (`hcpcore::econ::ActionValue`).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_action_value_t {
    /// HCP_ACTION_*.
    pub action: i32,
    /// Facility power (device power × PUE), W.
    pub facility_watts: f64,
    /// BTC mined per hour after the pool fee.
    pub btc_per_hour: f64,
    /// Revenue from mining or serving, USD/h.
    pub revenue_usd_per_hour: f64,
    /// Energy cost, USD/h.
    pub energy_cost_usd_per_hour: f64,
    /// Demand-response credit (sleep only), USD/h.
    pub credit_usd_per_hour: f64,
    /// Revenue + credit − energy cost, USD/h.
    pub profit_usd_per_hour: f64,
}

finite_fields!(hcp_gpu_economics_t { hours, revenue_usd, energy_kwh, energy_cost_usd, profit_usd });
finite_fields!(hcp_action_value_t {
    facility_watts,
    btc_per_hour,
    revenue_usd_per_hour,
    energy_cost_usd_per_hour,
    credit_usd_per_hour,
    profit_usd_per_hour
});

pub(crate) fn action_code(a: Action) -> i32 {
    match a {
        Action::Mine => HCP_ACTION_MINE,
        Action::Serve => HCP_ACTION_SERVE,
        Action::Sleep => HCP_ACTION_SLEEP,
        Action::Idle => HCP_ACTION_IDLE,
    }
}

pub(crate) fn action_from_code(code: i32, field: &str) -> hcpcore::Result<Action> {
    match code {
        HCP_ACTION_MINE => Ok(Action::Mine),
        HCP_ACTION_SERVE => Ok(Action::Serve),
        HCP_ACTION_SLEEP => Ok(Action::Sleep),
        HCP_ACTION_IDLE => Ok(Action::Idle),
        other => Err(Error::invalid_input(field, format!("must be an HCP_ACTION_* code (0 to 3), got {other}"))),
    }
}

pub(crate) fn to_c_value(v: &ActionValue) -> hcp_action_value_t {
    hcp_action_value_t {
        action: action_code(v.action),
        facility_watts: v.facility_watts,
        btc_per_hour: v.btc_per_hour,
        revenue_usd_per_hour: v.revenue_usd_per_hour,
        energy_cost_usd_per_hour: v.energy_cost_usd_per_hour,
        credit_usd_per_hour: v.credit_usd_per_hour,
        profit_usd_per_hour: v.profit_usd_per_hour,
    }
}

fn to_c_gpu(g: GpuEconomics) -> hcp_gpu_economics_t {
    hcp_gpu_economics_t {
        hours: g.hours,
        revenue_usd: g.revenue_usd,
        energy_kwh: g.energy_kwh,
        energy_cost_usd: g.energy_cost_usd,
        profit_usd: g.profit_usd,
    }
}

/// A serving GPU's expected economics over one hour into `*out`.
///
/// # Safety
/// `model`, `market`, `terms` readable; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_gpu_hourly(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    out: *mut hcp_gpu_economics_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        let g = econ::gpu_hourly(&self::model(model)?, &self::market(market)?, &self::terms(terms)?)?;
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, to_c_gpu(g), "out") }?;
        Ok(true)
    })
}

/// A serving GPU's expected economics over one day into `*out`.
///
/// # Safety
/// `model`, `market`, `terms` readable; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_gpu_daily(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    out: *mut hcp_gpu_economics_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        let g = econ::gpu_daily(&self::model(model)?, &self::market(market)?, &self::terms(terms)?)?;
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, to_c_gpu(g), "out") }?;
        Ok(true)
    })
}

/// The values per hour of the three actions open to the device (its productive action, sleep,
/// idle, in that order) into `out[0..3]`; `out_len` must be at least 3.
///
/// # Safety
/// `model`, `market`, `terms` readable; `out` NULL or writable for `out_len` values; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_action_values(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    out: *mut hcp_action_value_t,
    out_len: usize,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        let values = econ::action_values(&self::model(model)?, &self::market(market)?, &self::terms(terms)?)?;
        // SAFETY: `out` holds `out_len` writable values by contract (NULL refused unless 0).
        let out = unsafe { slice_out(out, out_len, "out") }?;
        if out.len() < values.len() {
            return Err(Error::invalid_input("out_len", format!("must be at least 3, got {out_len}")));
        }
        for (o, v) in out.iter_mut().zip(&values) {
            *o = to_c_value(v);
        }
        finite_column("out", &out[..values.len()])?;
        Ok(true)
    })
}

/// The most profitable action at this snapshot, ignoring switching costs, into `*out`.
///
/// # Safety
/// `model`, `market`, `terms` readable; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_best_action(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    out: *mut hcp_action_value_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        let v = econ::best_action(&self::model(model)?, &self::market(market)?, &self::terms(terms)?)?;
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, to_c_value(&v), "out") }?;
        Ok(true)
    })
}

/// An ASIC given by hashrate (TH/s) and efficiency (J/TH), as `hcpcore::econ::DeviceModel::asic`,
/// into `*out` (its `name` is NULL: the name is the one given).
///
/// # Safety
/// `name` NUL-terminated; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_asic_model(
    name: *const c_char,
    hashrate_ths: f64,
    joules_per_th: f64,
    out: *mut hcp_device_model_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: NULL or NUL-terminated by contract.
        let name = unsafe { str_arg(name, "name") }?;
        let m = DeviceModel::asic(name, hashrate_ths, joules_per_th)?;
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, to_c_model(&m), "out") }?;
        Ok(true)
    })
}

/// The HCP_ACTION_* code of an action name ("mine", "serve", "sleep", "idle"); -1 and
/// HCP_ERROR_INVALID_INPUT naming `action` for any other name.
///
/// # Safety
/// `name` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_action_parse(name: *const c_char, err: *mut *mut hcp_error_t) -> i32 {
    guard(err, -1, || {
        // SAFETY: NULL or NUL-terminated by contract.
        let name = unsafe { str_arg(name, "action") }?;
        Ok(action_code(Action::parse(name)?))
    })
}
