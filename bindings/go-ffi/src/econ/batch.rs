//! C ABI of the batch maths (`hcpcore::econ::batch`): whole columns cross in one call as pointer +
//! length pairs, and the results are written into the caller's arrays. Each column carries its
//! own length so that the core reports a mismatch naming the column.
//!
//! `hcp_miner_daily_batch` / `hcp_gpu_daily_batch`: a fleet's economics per day;
//! `hcp_miner_curtail_batch`: mine or sleep per device at its own electricity price.

use hcpcore::econ::{self, CurtailBatchOutput, DailyBatchOutput};

use super::{hcp_market_t, hcp_terms_t, market, mining_terms, terms};
use crate::checks::{count, finite_column, HCP_MAX_BATCH};
use crate::errors::{check_disjoint, guard, hcp_error_t, slice_arg, slice_out, span};

/// Every column length is at most `HCP_MAX_BATCH`, checked before any column is touched.
fn bounded(lengths: &[(&str, usize)]) -> hcpcore::Result<()> {
    lengths.iter().try_for_each(|&(field, len)| count(field, len as u64, HCP_MAX_BATCH).map(drop))
}

/// No output column holds a NaN or an infinity.
///
/// # Safety
/// Each (pointer, length) is NULL with 0 or readable for its length, and no `&mut` borrow of it
/// is live.
unsafe fn finite_outputs(columns: &[(&str, *const f64, usize)]) -> hcpcore::Result<()> {
    columns.iter().try_for_each(|&(field, p, len)| {
        // SAFETY: readable for `len` and unborrowed, by this function's contract.
        finite_column(field, unsafe { slice_arg(p, len, field) }?)
    })
}

/// The output columns of a daily batch, for [`finite_outputs`].
///
/// # Safety
/// `out` is readable (checked non-NULL by the caller).
unsafe fn daily_outputs(out: *const hcp_daily_columns_t) -> Vec<(&'static str, *const f64, usize)> {
    // SAFETY: readable by this function's contract.
    match unsafe { out.as_ref() } {
        Some(o) => vec![
            ("revenue_usd_per_day", o.revenue_usd_per_day.cast_const(), o.revenue_len),
            ("energy_cost_usd_per_day", o.energy_cost_usd_per_day.cast_const(), o.energy_cost_len),
            ("profit_usd_per_day", o.profit_usd_per_day.cast_const(), o.profit_len),
            ("breakeven_usd_per_kwh", o.breakeven_usd_per_kwh.cast_const(), o.breakeven_len),
        ],
        None => Vec::new(),
    }
}

/// Output columns of the daily batch functions: four caller-owned arrays of doubles with their
/// lengths (each must equal the input length).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_daily_columns_t {
    /// Revenue per day, USD.
    pub revenue_usd_per_day: *mut f64,
    /// Length of `revenue_usd_per_day`.
    pub revenue_len: usize,
    /// Facility energy cost per day, USD.
    pub energy_cost_usd_per_day: *mut f64,
    /// Length of `energy_cost_usd_per_day`.
    pub energy_cost_len: usize,
    /// Revenue − energy cost per day, USD.
    pub profit_usd_per_day: *mut f64,
    /// Length of `profit_usd_per_day`.
    pub profit_len: usize,
    /// Break-even electricity price, USD/kWh.
    pub breakeven_usd_per_kwh: *mut f64,
    /// Length of `breakeven_usd_per_kwh`.
    pub breakeven_len: usize,
}

/// The byte ranges of the output columns (NULL `out` is refused later, by [`columns`]).
///
/// # Safety
/// `out` is NULL or readable.
unsafe fn daily_spans(out: *const hcp_daily_columns_t) -> Vec<(usize, usize)> {
    // SAFETY: NULL or readable by contract.
    match unsafe { out.as_ref() } {
        Some(o) => vec![
            span(o.revenue_usd_per_day, o.revenue_len),
            span(o.energy_cost_usd_per_day, o.energy_cost_len),
            span(o.profit_usd_per_day, o.profit_len),
            span(o.breakeven_usd_per_kwh, o.breakeven_len),
        ],
        None => Vec::new(),
    }
}

/// Borrows the output columns.
///
/// # Safety
/// `out` is NULL or readable, and each of its arrays writable for its length, unaliased.
unsafe fn columns<'a>(out: *const hcp_daily_columns_t) -> hcpcore::Result<DailyBatchOutput<'a>> {
    // SAFETY: NULL or readable by contract.
    let o = unsafe { out.as_ref() }.ok_or_else(|| hcpcore::Error::invalid_input("out", "must not be NULL"))?;
    // SAFETY: writable for its length and unaliased by contract.
    let revenue_usd_per_day = unsafe { slice_out(o.revenue_usd_per_day, o.revenue_len, "revenue_usd_per_day") }?;
    // SAFETY: as above.
    let energy_cost_usd_per_day =
        unsafe { slice_out(o.energy_cost_usd_per_day, o.energy_cost_len, "energy_cost_usd_per_day") }?;
    // SAFETY: as above.
    let profit_usd_per_day = unsafe { slice_out(o.profit_usd_per_day, o.profit_len, "profit_usd_per_day") }?;
    // SAFETY: as above.
    let breakeven_usd_per_kwh =
        unsafe { slice_out(o.breakeven_usd_per_kwh, o.breakeven_len, "breakeven_usd_per_kwh") }?;
    Ok(DailyBatchOutput { revenue_usd_per_day, energy_cost_usd_per_day, profit_usd_per_day, breakeven_usd_per_kwh })
}

/// The optional per-device electricity column.
///
/// # Safety
/// When `has` is true, `p` is readable for `len` doubles (NULL only when `len` is 0).
unsafe fn optional<'a>(has: bool, p: *const f64, len: usize) -> hcpcore::Result<Option<&'a [f64]>> {
    if has {
        // SAFETY: readable for `len` by contract.
        Ok(Some(unsafe { slice_arg(p, len, "electricity_usd_per_kwh") }?))
    } else {
        Ok(None)
    }
}

/// Mining economics per day for a fleet given as columns: hashrate (TH/s) and power (W) per
/// device, and, when `has_electricity`, an electricity price per device (USD/kWh; the market's
/// otherwise). Fills `*out`. A bad value anywhere is HCP_ERROR_INVALID_INPUT naming the column
/// and index, with every output zeroed.
///
/// # Safety
/// `market`, `terms`, `out` readable; each input array readable for its length (NULL only when
/// the length is 0); the output arrays writable for theirs and not overlapping any other; `err`
/// NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hcp_miner_daily_batch(
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    hashrate_ths: *const f64,
    hashrate_len: usize,
    power_watts: *const f64,
    power_len: usize,
    has_electricity: bool,
    electricity_usd_per_kwh: *const f64,
    electricity_len: usize,
    out: *const hcp_daily_columns_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        bounded(&[
            ("hashrate_ths", hashrate_len),
            ("power_watts", power_len),
            ("electricity_usd_per_kwh", electricity_len),
        ])?;
        let (m, t) = (self::market(market)?, mining_terms(terms)?);
        let inputs = [
            span(hashrate_ths, hashrate_len),
            span(power_watts, power_len),
            span(electricity_usd_per_kwh, if has_electricity { electricity_len } else { 0 }),
        ];
        // SAFETY: `out` is NULL or readable per this function's contract.
        check_disjoint(&unsafe { daily_spans(out) }, &inputs)?;
        // SAFETY: every pointer is valid for its length per this function's contract, and the
        // outputs were just checked not to overlap each other or an input.
        let (ths, watts, price, cols) = unsafe {
            (
                slice_arg(hashrate_ths, hashrate_len, "hashrate_ths")?,
                slice_arg(power_watts, power_len, "power_watts")?,
                optional(has_electricity, electricity_usd_per_kwh, electricity_len)?,
                columns(out)?,
            )
        };
        econ::miner_daily_batch(&m, t, ths, watts, price, cols)?;
        // SAFETY: the output borrows ended with the call; `out` was read above.
        unsafe { finite_outputs(&daily_outputs(out)) }?;
        Ok(true)
    })
}

/// GPU economics per day for serving GPUs given as columns: TDP and idle power (W) and
/// utilisation (0–1) per device, and optionally an electricity price per device. The terms'
/// `gpu_utilisation` is ignored in favour of the column. Fills `*out` as hcp_miner_daily_batch.
///
/// # Safety
/// As hcp_miner_daily_batch.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hcp_gpu_daily_batch(
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    power_watts: *const f64,
    power_len: usize,
    idle_watts: *const f64,
    idle_len: usize,
    utilisation: *const f64,
    utilisation_len: usize,
    has_electricity: bool,
    electricity_usd_per_kwh: *const f64,
    electricity_len: usize,
    out: *const hcp_daily_columns_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        bounded(&[
            ("power_watts", power_len),
            ("idle_watts", idle_len),
            ("utilisation", utilisation_len),
            ("electricity_usd_per_kwh", electricity_len),
        ])?;
        let (m, t) = (self::market(market)?, self::terms(terms)?);
        let inputs = [
            span(power_watts, power_len),
            span(idle_watts, idle_len),
            span(utilisation, utilisation_len),
            span(electricity_usd_per_kwh, if has_electricity { electricity_len } else { 0 }),
        ];
        // SAFETY: `out` is NULL or readable per this function's contract.
        check_disjoint(&unsafe { daily_spans(out) }, &inputs)?;
        // SAFETY: every pointer is valid for its length per this function's contract, and the
        // outputs were just checked not to overlap each other or an input.
        let (tdp, idle, u, price, cols) = unsafe {
            (
                slice_arg(power_watts, power_len, "power_watts")?,
                slice_arg(idle_watts, idle_len, "idle_watts")?,
                slice_arg(utilisation, utilisation_len, "utilisation")?,
                optional(has_electricity, electricity_usd_per_kwh, electricity_len)?,
                columns(out)?,
            )
        };
        econ::gpu_daily_batch(&m, &t, tdp, idle, u, price, cols)?;
        // SAFETY: the output borrows ended with the call; `out` was read above.
        unsafe { finite_outputs(&daily_outputs(out)) }?;
        Ok(true)
    })
}

/// Output columns of hcp_miner_curtail_batch: three caller-owned arrays with their lengths (each
/// must equal the input length).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_curtail_columns_t {
    /// 1 where the device should mine, 0 where it should sleep.
    pub mine: *mut u8,
    /// Length of `mine`.
    pub mine_len: usize,
    /// Profit per hour of the chosen action (revenue + demand-response credit − energy), USD.
    pub profit_usd_per_hour: *mut f64,
    /// Length of `profit_usd_per_hour`.
    pub profit_len: usize,
    /// Electricity price at which mining and sleeping are worth the same, USD/kWh.
    pub breakeven_usd_per_kwh: *mut f64,
    /// Length of `breakeven_usd_per_kwh`.
    pub breakeven_len: usize,
}

/// The curtailment decision for a fleet of miners at one snapshot (`hcpcore::econ::miner_curtail_batch`):
/// per device hashrate (TH/s), power and sleep power (W) and the electricity price it pays
/// (USD/kWh); each device mines when that earns at least as much as sleeping (with the terms'
/// demand-response credit for the load held off). Fills `*out`; a bad value anywhere is
/// HCP_ERROR_INVALID_INPUT naming the column and index, with every output zeroed.
///
/// # Safety
/// As hcp_miner_daily_batch.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn hcp_miner_curtail_batch(
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    hashrate_ths: *const f64,
    hashrate_len: usize,
    power_watts: *const f64,
    power_len: usize,
    sleep_watts: *const f64,
    sleep_len: usize,
    electricity_usd_per_kwh: *const f64,
    electricity_len: usize,
    out: *const hcp_curtail_columns_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        bounded(&[
            ("hashrate_ths", hashrate_len),
            ("power_watts", power_len),
            ("sleep_watts", sleep_len),
            ("electricity_usd_per_kwh", electricity_len),
        ])?;
        let (m, t) = (self::market(market)?, self::terms(terms)?);
        // SAFETY: the C ABI contract: `out` is NULL or readable.
        let o = unsafe { out.as_ref() }.ok_or_else(|| hcpcore::Error::invalid_input("out", "must not be NULL"))?;
        check_disjoint(
            &[
                span(o.mine, o.mine_len),
                span(o.profit_usd_per_hour, o.profit_len),
                span(o.breakeven_usd_per_kwh, o.breakeven_len),
            ],
            &[
                span(hashrate_ths, hashrate_len),
                span(power_watts, power_len),
                span(sleep_watts, sleep_len),
                span(electricity_usd_per_kwh, electricity_len),
            ],
        )?;
        // SAFETY: every pointer is valid for its length per this function's contract, and the
        // outputs were just checked not to overlap each other or an input.
        let (ths, watts, sleep, price, out) = unsafe {
            (
                slice_arg(hashrate_ths, hashrate_len, "hashrate_ths")?,
                slice_arg(power_watts, power_len, "power_watts")?,
                slice_arg(sleep_watts, sleep_len, "sleep_watts")?,
                slice_arg(electricity_usd_per_kwh, electricity_len, "electricity_usd_per_kwh")?,
                CurtailBatchOutput {
                    mine: slice_out(o.mine, o.mine_len, "mine")?,
                    profit_usd_per_hour: slice_out(o.profit_usd_per_hour, o.profit_len, "profit_usd_per_hour")?,
                    breakeven_usd_per_kwh: slice_out(
                        o.breakeven_usd_per_kwh,
                        o.breakeven_len,
                        "breakeven_usd_per_kwh",
                    )?,
                },
            )
        };
        econ::miner_curtail_batch(&m, &t, ths, watts, sleep, price, out)?;
        // SAFETY: the output borrows ended with the call; `o` describes them.
        unsafe {
            finite_outputs(&[
                ("profit_usd_per_hour", o.profit_usd_per_hour.cast_const(), o.profit_len),
                ("breakeven_usd_per_kwh", o.breakeven_usd_per_kwh.cast_const(), o.breakeven_len),
            ])
        }?;
        Ok(true)
    })
}
