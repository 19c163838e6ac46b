//! C ABI of `hcpcore::econ`: markets and models cross as plain `#[repr(C)]` structs (validated on every
//! call, a few comparisons), the catalog as a handle. Conversion only; the maths lives in core.
//!
//! This file holds the shared structs (market, model, terms) and the Bitcoin maths; the
//! submodules hold the per-device economics (`device`), the decider handle (`decide`), the site
//! handle and its plans (`site`) and the column batches (`batch`).

use std::ffi::c_char;

use hcpcore::econ::{self, Catalog, DeviceKind, DeviceModel, Market, MarketFields, MiningTerms, Terms};
use hcpcore::Error;

use crate::checks::{finite_fields, json_doc, Shape};
use crate::errors::{free_box, guard, guard_plain, handle, hcp_error_t, slice_arg, str_arg, write_out};

pub mod batch;
pub mod decide;
pub mod device;
pub mod site;

/// `hcp_device_model_t.kind` of a mining ASIC.
pub const HCP_KIND_ASIC: i32 = 0;
/// `hcp_device_model_t.kind` of a GPU.
pub const HCP_KIND_GPU: i32 = 1;

/// A market snapshot, validated on every call (NaN, infinities, negative prices, difficulty <= 0,
/// height < 0, a fee share outside [0, 1) and both fee forms at once are HCP_ERROR_INVALID_INPUT).
/// The fee fields mirror `hcpcore::econ::MarketFields`: at most one of them is set; neither means no fees.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_market_t {
    /// BTC price, USD.
    pub btc_usd: f64,
    /// Network difficulty.
    pub difficulty: f64,
    /// Block height.
    pub height: i64,
    /// Whether `fees_btc_per_block` is given.
    pub has_fees_btc_per_block: bool,
    /// Average fees per block, BTC.
    pub fees_btc_per_block: f64,
    /// Whether `fee_share` is given.
    pub has_fee_share: bool,
    /// Fee share of the total reward, in [0, 1).
    pub fee_share: f64,
    /// All-in electricity price, USD per kWh.
    pub electricity_usd_per_kwh: f64,
    /// GPU rental rate, USD per GPU-hour.
    pub gpu_usd_per_hour: f64,
    /// Token price, USD per million tokens.
    pub usd_per_million_tokens: f64,
}

/// Nameplate figures of a device model (see `hcpcore::econ::DeviceModel`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_device_model_t {
    /// Model name: `name_len` bytes of UTF-8 (no NUL needed), borrowed for the call; a length of
    /// 0 reads as "custom". Structs this library writes set it to NULL / 0: the name comes back
    /// through a separate `char **`.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// HCP_KIND_ASIC or HCP_KIND_GPU.
    pub kind: i32,
    /// Power at nominal full use, W.
    pub power_watts: f64,
    /// Power on but idle, W.
    pub idle_watts: f64,
    /// Power while curtailed, W.
    pub sleep_watts: f64,
    /// Hashrate, TH/s (ASIC).
    pub hashrate_ths: f64,
    /// GPU memory, GB (GPU).
    pub gpu_memory_gb: f64,
}

/// Site operating terms (see `hcpcore::econ::Terms`; its defaults are 0, 1, 1, none, 0).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_terms_t {
    /// Pool fee, fraction of mining revenue in [0, 1).
    pub pool_fee: f64,
    /// Power usage effectiveness, in [1, 10].
    pub pue: f64,
    /// Fraction of hours a serving GPU is billed or busy, in [0, 1].
    pub gpu_utilisation: f64,
    /// Whether GPUs earn from tokens at `tokens_per_second` instead of rental.
    pub has_tokens_per_second: bool,
    /// Throughput of a GPU at full load, tokens per second.
    pub tokens_per_second: f64,
    /// Credit for curtailed load, USD per MWh.
    pub demand_response_usd_per_mwh: f64,
}

/// One miner's expected day.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_miner_daily_t {
    /// BTC mined after the pool fee.
    pub btc: f64,
    /// Revenue after the pool fee, USD.
    pub revenue_usd: f64,
    /// Facility energy, kWh.
    pub energy_kwh: f64,
    /// Energy cost, USD.
    pub energy_cost_usd: f64,
    /// Revenue minus energy cost, USD.
    pub profit_usd: f64,
}

finite_fields!(hcp_miner_daily_t { btc, revenue_usd, energy_kwh, energy_cost_usd, profit_usd });
finite_fields!(hcp_device_model_t { power_watts, idle_watts, sleep_watts, hashrate_ths, gpu_memory_gb });

/// A model catalog (the built-in models, optionally with JSON overrides).
pub struct hcp_catalog_t {
    inner: Catalog,
}

pub(crate) fn market(m: *const hcp_market_t) -> hcpcore::Result<Market> {
    // SAFETY: the C ABI contract: `m` is NULL or points to a readable hcp_market_t.
    let m = unsafe { m.as_ref() }.ok_or_else(|| Error::invalid_input("market", "must not be NULL"))?;
    Market::try_from(MarketFields {
        btc_usd: m.btc_usd,
        difficulty: m.difficulty,
        height: m.height,
        fees_btc_per_block: m.has_fees_btc_per_block.then_some(m.fees_btc_per_block),
        fee_share: m.has_fee_share.then_some(m.fee_share),
        electricity_usd_per_kwh: m.electricity_usd_per_kwh,
        gpu_usd_per_hour: m.gpu_usd_per_hour,
        usd_per_million_tokens: m.usd_per_million_tokens,
    })
}

pub(crate) fn model(m: *const hcp_device_model_t) -> hcpcore::Result<DeviceModel> {
    // SAFETY: the C ABI contract: `m` is NULL or points to a readable hcp_device_model_t.
    let m = unsafe { m.as_ref() }.ok_or_else(|| Error::invalid_input("model", "must not be NULL"))?;
    let kind = match m.kind {
        HCP_KIND_ASIC => DeviceKind::Asic,
        HCP_KIND_GPU => DeviceKind::Gpu,
        other => return Err(Error::invalid_input("kind", format!("must be 0 (asic) or 1 (gpu), got {other}"))),
    };
    let name = if m.name_len == 0 {
        "custom".to_string()
    } else {
        // SAFETY: `name` points to `name_len` readable bytes for the call (C ABI contract).
        let bytes = unsafe { slice_arg(m.name.cast::<u8>(), m.name_len, "name") }?;
        std::str::from_utf8(bytes).map_err(|_| Error::invalid_input("name", "is not valid UTF-8"))?.to_string()
    };
    DeviceModel {
        name,
        kind,
        power_watts: m.power_watts,
        idle_watts: m.idle_watts,
        sleep_watts: m.sleep_watts,
        hashrate_ths: m.hashrate_ths,
        gpu_memory_gb: m.gpu_memory_gb,
    }
    .validated()
}

pub(crate) fn to_c_model(m: &DeviceModel) -> hcp_device_model_t {
    hcp_device_model_t {
        name: std::ptr::null(),
        name_len: 0,
        kind: match m.kind {
            DeviceKind::Asic => HCP_KIND_ASIC,
            DeviceKind::Gpu => HCP_KIND_GPU,
        },
        power_watts: m.power_watts,
        idle_watts: m.idle_watts,
        sleep_watts: m.sleep_watts,
        hashrate_ths: m.hashrate_ths,
        gpu_memory_gb: m.gpu_memory_gb,
    }
}

/// The core's `Terms` from the C struct (validated by the core functions that take them).
pub(crate) fn terms(t: *const hcp_terms_t) -> hcpcore::Result<Terms> {
    // SAFETY: the C ABI contract: `t` is NULL or points to a readable hcp_terms_t.
    let t = unsafe { t.as_ref() }.ok_or_else(|| Error::invalid_input("terms", "must not be NULL"))?;
    Ok(Terms {
        pool_fee: t.pool_fee,
        pue: t.pue,
        gpu_utilisation: t.gpu_utilisation,
        tokens_per_second: t.has_tokens_per_second.then_some(t.tokens_per_second),
        demand_response_usd_per_mwh: t.demand_response_usd_per_mwh,
    })
}

/// The mining subset of validated terms (every field is checked, as the Python binding does).
fn mining_terms(t: *const hcp_terms_t) -> hcpcore::Result<MiningTerms> {
    Ok(terms(t)?.validated()?.mining())
}

/// Validates a market; returns false and sets `*err` if a field is bad.
///
/// # Safety
/// `market` is NULL or readable; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_market_validate(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> bool {
    guard(err, false, || self::market(market).map(|_| true))
}

/// Opens a catalog: the built-in models, with the models of `overrides_json` (may be NULL,
/// `{"models": [...]}`) added or replacing those of the same name. Release with hcp_catalog_free.
///
/// # Safety
/// `overrides_json` is NULL or a NUL-terminated string; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_catalog_new(
    overrides_json: *const c_char,
    err: *mut *mut hcp_error_t,
) -> *mut hcp_catalog_t {
    guard(err, std::ptr::null_mut(), || {
        let mut inner = Catalog::builtin();
        if !overrides_json.is_null() {
            // SAFETY: non-NULL and NUL-terminated by contract.
            let text = unsafe { str_arg(overrides_json, "overrides_json") }?;
            inner.merge_json(json_doc("overrides_json", text, Shape::Object)?)?;
        }
        Ok(Box::into_raw(Box::new(hcp_catalog_t { inner })))
    })
}

/// Releases a catalog. NULL is a no-op.
///
/// # Safety
/// `catalog` is NULL or a live catalog, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_catalog_free(catalog: *mut hcp_catalog_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_catalog_new, freed once by contract.
    guard_plain((), || unsafe { free_box(catalog) })
}

/// Looks a model up by name (case, '-', '_' and ' ' insensitive) into `*out`; when `out_name` is
/// not NULL it receives the catalog's spelling of the name (owned: release with hcp_string_free).
///
/// # Safety
/// `catalog` is a live catalog; `name` NUL-terminated; `out` writable; `out_name` NULL or
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_catalog_get(
    catalog: *const hcp_catalog_t,
    name: *const c_char,
    out: *mut hcp_device_model_t,
    out_name: *mut *mut c_char,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: pointers valid per this function's contract.
        let catalog = unsafe { handle(catalog, "catalog") }?;
        // SAFETY: as above.
        let name = unsafe { str_arg(name, "name") }?;
        let m = catalog.inner.get(name)?;
        // SAFETY: as above.
        unsafe { write_out(out, to_c_model(m), "out") }?;
        if !out_name.is_null() {
            // SAFETY: non-NULL and writable by contract.
            unsafe { out_name.write(crate::errors::out_string(m.name.clone())) };
        }
        Ok(true)
    })
}

/// Number of models in the catalog.
///
/// # Safety
/// `catalog` is NULL or a live catalog.
#[no_mangle]
pub unsafe extern "C" fn hcp_catalog_len(catalog: *const hcp_catalog_t) -> usize {
    // SAFETY: NULL or live by contract.
    guard_plain(0, || unsafe { catalog.as_ref() }.map_or(0, |c| c.inner.models().len()))
}

/// The name of the model at `index` (owned; release with hcp_string_free), or NULL out of range.
///
/// # Safety
/// `catalog` is NULL or a live catalog.
#[no_mangle]
pub unsafe extern "C" fn hcp_catalog_name(catalog: *const hcp_catalog_t, index: usize) -> *mut c_char {
    guard_plain(std::ptr::null_mut(), || {
        // SAFETY: NULL or live by contract.
        match unsafe { catalog.as_ref() }.and_then(|c| c.inner.models().get(index)) {
            Some(m) => crate::errors::out_string(m.name.clone()),
            None => std::ptr::null_mut(),
        }
    })
}

/// Block subsidy in BTC at `height` (HCP_ERROR_INVALID_INPUT if negative).
///
/// # Safety
/// `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_block_subsidy_btc(height: i64, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::block_subsidy_btc(econ::validate_height(height)?)))
}

/// Block subsidy in satoshis at `height`.
///
/// # Safety
/// `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_block_subsidy_sats(height: i64, err: *mut *mut hcp_error_t) -> u64 {
    guard(err, 0, || Ok(econ::block_subsidy_sats(econ::validate_height(height)?)))
}

/// Network hashrate implied by a difficulty, H/s.
///
/// # Safety
/// `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_network_hashrate_hs(difficulty: f64, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || econ::network_hashrate_hs(difficulty))
}

/// Expected total reward of one block (subsidy + fees), BTC.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_block_reward_btc(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::block_reward_btc(&self::market(market)?)))
}

/// Expected BTC per day for a hashrate in TH/s, before pool fees.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_expected_btc_per_day(
    hashrate_ths: f64,
    market: *const hcp_market_t,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || econ::expected_btc_per_day(hashrate_ths, &self::market(market)?))
}

/// Hashprice, USD per PH/s per day.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_hashprice_usd_per_ph_day(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::hashprice_usd_per_ph_day(&self::market(market)?)))
}

/// Hashprice, USD per TH/s per day.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_hashprice_usd_per_th_day(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::hashprice_usd_per_th_day(&self::market(market)?)))
}

/// Hashprice, BTC per PH/s per day.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_hashprice_btc_per_ph_day(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::hashprice_btc_per_ph_day(&self::market(market)?)))
}

/// Hashprice, BTC per TH/s per day.
///
/// # Safety
/// `market` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_hashprice_btc_per_th_day(market: *const hcp_market_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || Ok(econ::hashprice_btc_per_th_day(&self::market(market)?)))
}

/// A miner's expected day into `*out`.
///
/// # Safety
/// `model`, `market`, `terms` readable; `out` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_miner_daily(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    out: *mut hcp_miner_daily_t,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        let d = econ::miner_daily(&self::model(model)?, &self::market(market)?, mining_terms(terms)?)?;
        let c = hcp_miner_daily_t {
            btc: d.btc,
            revenue_usd: d.revenue_usd,
            energy_kwh: d.energy_kwh,
            energy_cost_usd: d.energy_cost_usd,
            profit_usd: d.profit_usd,
        };
        // SAFETY: `out` writable by contract (NULL is refused).
        unsafe { write_out(out, c, "out") }?;
        Ok(true)
    })
}

/// A miner's efficiency, J/TH.
///
/// # Safety
/// `model` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_joules_per_th(model: *const hcp_device_model_t, err: *mut *mut hcp_error_t) -> f64 {
    guard(err, 0.0, || econ::joules_per_th(&self::model(model)?))
}

/// Hashcost: break-even hashprice at the market's electricity price, USD per TH/s per day.
///
/// # Safety
/// `model`, `market`, `terms` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_hashcost_usd_per_th_day(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || {
        econ::hashcost_usd_per_th_day(&self::model(model)?, &self::market(market)?, mining_terms(terms)?)
    })
}

/// BTC price at which the miner breaks even, USD.
///
/// # Safety
/// `model`, `market`, `terms` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_breakeven_btc_usd(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || econ::breakeven_btc_usd(&self::model(model)?, &self::market(market)?, mining_terms(terms)?))
}

/// Electricity price at which the device's productive use breaks even, USD per kWh, whatever its
/// kind: an ASIC's mining break-even or a GPU's serving break-even (`hcpcore::econ::breakeven_usd_per_kwh`).
///
/// # Safety
/// `model`, `market`, `terms` readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_breakeven_usd_per_kwh(
    model: *const hcp_device_model_t,
    market: *const hcp_market_t,
    terms: *const hcp_terms_t,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || econ::breakeven_usd_per_kwh(&self::model(model)?, &self::market(market)?, &self::terms(terms)?))
}

/// Days to pay back hardware; returns false (no payback) when the profit is not positive.
///
/// # Safety
/// `out_days` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_payback_days(
    hardware_usd: f64,
    profit_usd_per_day: f64,
    out_days: *mut f64,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || match econ::payback_days(hardware_usd, profit_usd_per_day)? {
        Some(days) => {
            // SAFETY: writable by contract (NULL refused).
            unsafe { write_out(out_days, days, "out_days") }?;
            Ok(true)
        }
        None => Ok(false),
    })
}

/// Return on investment over `days`.
///
/// # Safety
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_roi(
    hardware_usd: f64,
    profit_usd_per_day: f64,
    days: f64,
    err: *mut *mut hcp_error_t,
) -> f64 {
    guard(err, 0.0, || econ::roi(hardware_usd, profit_usd_per_day, days))
}
