//! C ABI of `hcpcore::econ::Site`: a handle (immutable once built, so safe to plan from many threads)
//! and plans written into caller-provided structs, one per device group. Conversion only.

use std::ffi::c_char;

use hcpcore::econ::{Catalog, DeviceGroup, DeviceKind, Site, SitePlan};
use hcpcore::Error;

use super::device::{hcp_action_value_t, to_c_value};
use super::{hcp_device_model_t, hcp_market_t, hcp_terms_t, market, model, terms, HCP_KIND_ASIC, HCP_KIND_GPU};
use crate::checks::{count, finite_column, finite_fields, json_doc, Shape, HCP_MAX_FLEET_DEVICES};
use crate::errors::{
    free_box, guard, guard_plain, handle, hcp_error_t, out_string, slice_arg, slice_out, str_arg, write_out,
};

/// A number of identical devices.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct hcp_device_group_t {
    /// The model of every device in the group (its `name` identifies the group).
    pub model: hcp_device_model_t,
    /// How many devices.
    pub count: u32,
}

/// What one device group does under a plan (`hcpcore::econ::GroupPlan`; the model name is
/// `hcp_site_group_name` at the same index).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_group_plan_t {
    /// HCP_KIND_ASIC or HCP_KIND_GPU.
    pub kind: i32,
    /// Devices in the group.
    pub count: u32,
    /// Devices running (mining or serving).
    pub running: u32,
    /// Devices curtailed.
    pub curtailed: u32,
    /// Value per hour of one running device.
    pub running_value: hcp_action_value_t,
    /// Value per hour of one curtailed device.
    pub curtailed_value: hcp_action_value_t,
    /// Marginal profit of running one device, USD per facility kWh.
    pub usd_per_kwh: f64,
}

/// A site plan's totals per hour (`hcpcore::econ::SitePlan` without its groups).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct hcp_site_plan_t {
    /// The cap, facility kW.
    pub cap_kw: f64,
    /// Facility power drawn, kW.
    pub facility_kw: f64,
    /// Facility power of the running miners, kW.
    pub mining_kw: f64,
    /// Facility power of the running GPUs, kW.
    pub gpu_kw: f64,
    /// Load held off by curtailment, facility kW.
    pub curtailed_kw: f64,
    /// Devices running.
    pub devices_running: u64,
    /// Devices curtailed.
    pub devices_curtailed: u64,
    /// BTC mined per hour, after the pool fee.
    pub btc_per_hour: f64,
    /// Mining revenue, USD/h.
    pub mining_revenue_usd_per_hour: f64,
    /// GPU revenue, USD/h.
    pub gpu_revenue_usd_per_hour: f64,
    /// Energy cost, USD/h.
    pub energy_cost_usd_per_hour: f64,
    /// Demand-response credit, USD/h.
    pub credit_usd_per_hour: f64,
    /// Mining + GPU revenue + credit − energy cost, USD/h.
    pub profit_usd_per_hour: f64,
}

finite_fields!(hcp_group_plan_t { usd_per_kwh; running_value, curtailed_value });
finite_fields!(hcp_site_plan_t {
    cap_kw,
    facility_kw,
    mining_kw,
    gpu_kw,
    curtailed_kw,
    btc_per_hour,
    mining_revenue_usd_per_hour,
    gpu_revenue_usd_per_hour,
    energy_cost_usd_per_hour,
    credit_usd_per_hour,
    profit_usd_per_hour
});

/// A site: device groups (merged by model name), a facility power cap and terms.
pub struct hcp_site_t {
    inner: Site,
}

/// Opens a site from `groups[0..n]`, a facility cap in kW and terms. Groups with the same model
/// name are merged (their figures must agree); the cap must hold the whole site curtailed.
/// Release with hcp_site_free.
///
/// # Safety
/// `groups` readable for `n` elements (NULL only when `n` is 0), with valid names; `terms`
/// readable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_new(
    groups: *const hcp_device_group_t,
    n: usize,
    cap_kw: f64,
    terms: *const hcp_terms_t,
    err: *mut *mut hcp_error_t,
) -> *mut hcp_site_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: `n` readable groups by contract; `n` is bounded first.
        let groups = unsafe { slice_arg(groups, count("n", n as u64, HCP_MAX_FLEET_DEVICES)?, "groups") }?;
        let groups = groups
            .iter()
            .map(|g| Ok(DeviceGroup { model: self::model(&g.model)?, count: g.count }))
            .collect::<hcpcore::Result<Vec<_>>>()?;
        let inner = Site::new(groups, cap_kw, self::terms(terms)?)?;
        Ok(Box::into_raw(Box::new(hcp_site_t { inner })))
    })
}

/// Opens a site from the JSON form of `hcpcore::econ::SiteSpec` (`{"devices": [{"model": "S21",
/// "count": 1000}], "cap_kw": 4000, "pue": 1.1, ...}`), model names looked up in the built-in
/// catalog. Release with hcp_site_free.
///
/// # Safety
/// `json` NUL-terminated; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_from_json(json: *const c_char, err: *mut *mut hcp_error_t) -> *mut hcp_site_t {
    guard(err, std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated by contract.
        let json = unsafe { str_arg(json, "site") }?;
        let inner = Site::from_json(json_doc("site", json, Shape::Object)?, &Catalog::builtin())?;
        Ok(Box::into_raw(Box::new(hcp_site_t { inner })))
    })
}

/// Releases a site. NULL is a no-op.
///
/// # Safety
/// `site` is NULL or a live site, freed at most once.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_free(site: *mut hcp_site_t) {
    // SAFETY: NULL or made by Box::into_raw in hcp_site_new / hcp_site_from_json, freed once by contract.
    guard_plain((), || unsafe { free_box(site) })
}

/// Number of device groups after merging (0 for a NULL handle).
///
/// # Safety
/// `site` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_group_count(site: *const hcp_site_t) -> usize {
    // SAFETY: NULL or live by contract.
    guard_plain(0, || unsafe { site.as_ref() }.map_or(0, |s| s.inner.groups().len()))
}

/// The model name of group `index` (owned; release with hcp_string_free), or NULL out of range.
///
/// # Safety
/// `site` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_group_name(site: *const hcp_site_t, index: usize) -> *mut c_char {
    guard_plain(std::ptr::null_mut(), || {
        // SAFETY: NULL or live by contract.
        match unsafe { site.as_ref() }.and_then(|s| s.inner.groups().get(index)) {
            Some(g) => out_string(g.model.name.clone()),
            None => std::ptr::null_mut(),
        }
    })
}

/// The site's facility power cap, kW (0 for a NULL handle).
///
/// # Safety
/// `site` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_cap_kw(site: *const hcp_site_t) -> f64 {
    // SAFETY: NULL or live by contract. The cap was validated finite when the site was made.
    guard_plain(0.0, || unsafe { site.as_ref() }.map_or(0.0, |s| s.inner.cap_kw()))
}

fn write_plan(
    plan: SitePlan,
    out: *mut hcp_site_plan_t,
    out_groups: *mut hcp_group_plan_t,
    groups_len: usize,
) -> hcpcore::Result<bool> {
    // SAFETY: `groups_len` writable group plans by the exporting functions' contract.
    let groups = unsafe { slice_out(out_groups, groups_len, "out_groups") }?;
    if groups.len() != plan.groups.len() {
        return Err(Error::invalid_input(
            "groups_len",
            format!("must equal the site's group count {}, got {groups_len}", plan.groups.len()),
        ));
    }
    for (o, g) in groups.iter_mut().zip(&plan.groups) {
        *o = hcp_group_plan_t {
            kind: match g.kind {
                DeviceKind::Asic => HCP_KIND_ASIC,
                DeviceKind::Gpu => HCP_KIND_GPU,
            },
            count: g.count,
            running: g.running,
            curtailed: g.curtailed,
            running_value: to_c_value(&g.running_value),
            curtailed_value: to_c_value(&g.curtailed_value),
            usd_per_kwh: g.usd_per_kwh,
        };
    }
    finite_column("out_groups", groups)?;
    let totals = hcp_site_plan_t {
        cap_kw: plan.cap_kw,
        facility_kw: plan.facility_kw,
        mining_kw: plan.mining_kw,
        gpu_kw: plan.gpu_kw,
        curtailed_kw: plan.curtailed_kw,
        devices_running: plan.devices_running,
        devices_curtailed: plan.devices_curtailed,
        btc_per_hour: plan.btc_per_hour,
        mining_revenue_usd_per_hour: plan.mining_revenue_usd_per_hour,
        gpu_revenue_usd_per_hour: plan.gpu_revenue_usd_per_hour,
        energy_cost_usd_per_hour: plan.energy_cost_usd_per_hour,
        credit_usd_per_hour: plan.credit_usd_per_hour,
        profit_usd_per_hour: plan.profit_usd_per_hour,
    };
    // SAFETY: `out` writable by contract (NULL is refused).
    unsafe { write_out(out, totals, "out") }?;
    Ok(true)
}

/// The plan earning the most per hour at `market` under the cap: totals into `*out`, one entry
/// per group into `out_groups[0..groups_len]` (`groups_len` = hcp_site_group_count).
///
/// # Safety
/// `site` live; `market` readable; `out` writable; `out_groups` writable for `groups_len`
/// elements; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_plan(
    site: *const hcp_site_t,
    market: *const hcp_market_t,
    out: *mut hcp_site_plan_t,
    out_groups: *mut hcp_group_plan_t,
    groups_len: usize,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: NULL or live by contract.
        let site = unsafe { handle(site, "site") }?;
        write_plan(site.inner.plan(&self::market(market)?)?, out, out_groups, groups_len)
    })
}

/// The always-on baseline (GPUs first, then miners by TH per W, up to the cap, never curtailing
/// on price), written as hcp_site_plan writes.
///
/// # Safety
/// As hcp_site_plan.
#[no_mangle]
pub unsafe extern "C" fn hcp_site_plan_always_on(
    site: *const hcp_site_t,
    market: *const hcp_market_t,
    out: *mut hcp_site_plan_t,
    out_groups: *mut hcp_group_plan_t,
    groups_len: usize,
    err: *mut *mut hcp_error_t,
) -> bool {
    guard(err, false, || {
        // SAFETY: NULL or live by contract.
        let site = unsafe { handle(site, "site") }?;
        write_plan(site.inner.plan_always_on(&self::market(market)?)?, out, out_groups, groups_len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::econ::HCP_KIND_ASIC;
    use crate::errors::{hcp_error_free, hcp_error_kind, hcp_error_message, HCP_ERROR_INVALID_INPUT};
    use std::ffi::CStr;

    fn s21(name: &CStr) -> hcp_device_model_t {
        hcp_device_model_t {
            name: name.as_ptr(),
            name_len: name.to_bytes().len(),
            kind: HCP_KIND_ASIC,
            power_watts: 3500.0,
            idle_watts: 175.0,
            sleep_watts: 25.0,
            hashrate_ths: 200.0,
            gpu_memory_gb: 0.0,
        }
    }

    fn take_message(err: *mut hcp_error_t) -> (i32, String) {
        // SAFETY: `err` is a live error just returned by the library (or NULL).
        unsafe {
            let out = (hcp_error_kind(err), CStr::from_ptr(hcp_error_message(err)).to_string_lossy().into_owned());
            hcp_error_free(err);
            out
        }
    }

    #[test]
    fn plan_checks_group_count_and_null_handles() {
        let terms = hcp_terms_t {
            pool_fee: 0.0,
            pue: 1.0,
            gpu_utilisation: 1.0,
            has_tokens_per_second: false,
            tokens_per_second: 0.0,
            demand_response_usd_per_mwh: 0.0,
        };
        let groups =
            [hcp_device_group_t { model: s21(c"A"), count: 10 }, hcp_device_group_t { model: s21(c"A"), count: 5 }];
        let market = hcp_market_t {
            btc_usd: 1e5,
            difficulty: 1e14,
            height: 840_000,
            has_fees_btc_per_block: false,
            fees_btc_per_block: 0.0,
            has_fee_share: false,
            fee_share: 0.0,
            electricity_usd_per_kwh: 0.05,
            gpu_usd_per_hour: 0.0,
            usd_per_million_tokens: 0.0,
        };
        let mut err = std::ptr::null_mut();
        // SAFETY: every pointer is to a live local; the site is freed below.
        unsafe {
            let site = hcp_site_new(groups.as_ptr(), groups.len(), 100.0, &terms, &mut err);
            assert!(err.is_null() && !site.is_null());
            assert_eq!(hcp_site_group_count(site), 1); // merged by name
            let mut out = hcp_site_plan_t::default();
            let mut g = [hcp_group_plan_t::default(); 2];
            assert!(!hcp_site_plan(site, &market, &mut out, g.as_mut_ptr(), 2, &mut err));
            let (kind, msg) = take_message(err);
            assert_eq!(kind, HCP_ERROR_INVALID_INPUT);
            assert!(msg.starts_with("groups_len:"), "{msg}");
            assert!(hcp_site_plan(site, &market, &mut out, g.as_mut_ptr(), 1, &mut err));
            assert_eq!(g[0].count, 15);
            assert_eq!(g[0].running, 15);
            hcp_site_free(site);
            assert!(!hcp_site_plan(std::ptr::null(), &market, &mut out, g.as_mut_ptr(), 1, &mut err));
            assert!(take_message(err).1.starts_with("site:"));
            hcp_site_free(std::ptr::null_mut());
        }
    }
}
