//! The fleet side of the router: registering devices and sites, taking devices in and out of
//! service, the market that prices a miner's power, and power admission under site caps
//! (curtailing miners, cheapest lost revenue first, and resuming them). All cold paths but
//! `admit_power`, whose fast path is one CAS on the site's load.

use std::sync::atomic::Ordering::*;
use std::sync::Arc;

use super::devices::{
    base_mw, class_of, curtail_mw, pack, unpack, DeviceInfo, Site, AVAILABLE, CURTAILED, DRAINED, MAX_SITES,
};
use super::engine::Router;
use crate::econ::{models::Catalog, DeviceKind, DeviceModel, Market, MiningTerms};
use crate::error::check;
use crate::{Error, ErrorKind, Result};

/// Registry view of one device.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeviceInfoView {
    /// Device id.
    pub device_id: String,
    /// `"gpu"` or `"asic"`.
    pub kind: DeviceKind,
    /// Catalog model name.
    pub model: String,
    /// Site name.
    pub site: String,
    /// GPU memory, GB (0 for an ASIC).
    pub gpu_memory_gb: f64,
    /// Free GPU memory, GB (ASIC: 1 when free, 0 when busy or asleep).
    pub free_gpu_memory_gb: f64,
    /// Workloads placed on it.
    pub workloads: u32,
    /// `"available"`, `"drained"` or `"curtailed"`.
    pub status: String,
}

fn model_for(kind: DeviceKind, name: &str) -> Result<DeviceModel> {
    let catalog = Catalog::builtin();
    // Vendor prefixes as operators write them ("Antminer S21 XP", "NVIDIA H100 SXM").
    let trimmed = name.trim();
    let lower = trimmed.to_ascii_lowercase();
    let bare = ["antminer", "nvidia"]
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|_| trimmed[p.len()..].trim_start_matches([' ', '-', '_'])))
        .unwrap_or(trimmed);
    let model = match catalog.get(bare) {
        Ok(m) => m.clone(),
        // "H100" alone means the SXM part, the common data-centre form.
        Err(_) if bare.eq_ignore_ascii_case("h100") => crate::econ::models::H100_SXM(),
        Err(_) => return Err(catalog.get(name).err().unwrap_or_else(|| Error::invalid_input("model", name))),
    };
    if model.kind != kind {
        return Err(Error::invalid_input(
            "model",
            format!("{} is a {}, not a {}", model.name, model.kind.name(), kind.name()),
        ));
    }
    Ok(model)
}

impl Router {
    /// Registers a device. `kind` is `"gpu"` or `"asic"`, `model` a catalog name (`"H100_SXM"`,
    /// `"S21"`, …); `gpu_memory_gb` overrides the model's memory for a GPU (an ASIC takes none).
    /// A duplicate id is `Conflict`. ASICs start mining.
    pub fn add_device(
        &self,
        device_id: &str,
        kind: &str,
        model: &str,
        site: &str,
        gpu_memory_gb: Option<f64>,
    ) -> Result<()> {
        if device_id.is_empty() || device_id.len() > 256 {
            return Err(Error::invalid_input("device_id", "must be 1..=256 bytes"));
        }
        if site.is_empty() || site.len() > 256 {
            return Err(Error::invalid_input("site", "must be 1..=256 bytes"));
        }
        let kind = DeviceKind::parse(kind)?;
        let model = model_for(kind, model)?;
        let capacity_units = match (kind, gpu_memory_gb) {
            (DeviceKind::Gpu, Some(gb)) => (check::positive("gpu_memory_gb", gb)? * 1024.0).round() as u64,
            (DeviceKind::Gpu, None) => (model.gpu_memory_gb * 1024.0).round() as u64,
            (DeviceKind::Asic, Some(gb)) if gb != 0.0 => {
                check::non_negative("gpu_memory_gb", gb)?;
                return Err(Error::invalid_input("gpu_memory_gb", "an ASIC has no GPU memory; give 0 or omit it"));
            }
            (DeviceKind::Asic, _) => 1,
        };
        if capacity_units == 0 || capacity_units > u32::MAX as u64 {
            return Err(Error::invalid_input("gpu_memory_gb", "out of range"));
        }
        let mut index = self.device_index.lock();
        if index.contains_key(device_id) {
            return Err(Error::new(ErrorKind::Conflict, format!("device_id: {device_id} is already registered")));
        }
        let site_index = self.intern_site(site)?;
        let device = self.device_count.load(Acquire) as u32;
        let slot = self
            .devices
            .get_or_alloc(device as u64)
            .ok_or_else(|| Error::new(ErrorKind::CapacityExceeded, "device_id: device table full"))?;
        let base = base_mw(&model);
        let site_ref =
            self.sites[site_index as usize].get().ok_or_else(|| Error::new(ErrorKind::Internal, "site vanished"))?;
        let _ = slot.info.set(DeviceInfo { id: Arc::from(device_id), kind, model, site: site_index, capacity_units });
        slot.word.store(pack(capacity_units, 0), Release);
        slot.thermal_milli.store(1000, Relaxed);
        slot.status.store(AVAILABLE, Release);
        index.insert(device_id.into(), device);
        self.device_count.store(device as usize + 1, Release);
        site_ref.load_mw.fetch_add(base, AcqRel);
        let k = if kind == DeviceKind::Gpu { 0 } else { 1 };
        let n = site_ref.pool(kind).registered.fetch_add(1, AcqRel) as u64 + 1;
        self.max_units[k].fetch_max(capacity_units, AcqRel);
        self.max_site_devices[k].fetch_max(n, AcqRel);
        if kind == DeviceKind::Asic {
            site_ref.miners.lock().push(device);
            self.refresh_profit(device);
        }
        site_ref.pool(kind).push(class_of(kind, capacity_units), device, 0);
        self.capacity_events.add(0, 1);
        Ok(())
    }

    fn intern_site(&self, name: &str) -> Result<u32> {
        let mut sites = self.site_index.lock();
        if let Some(&i) = sites.get(name) {
            return Ok(i);
        }
        let i = sites.len();
        if i >= MAX_SITES {
            return Err(Error::new(ErrorKind::CapacityExceeded, format!("site: more than {MAX_SITES} sites")));
        }
        let site = Site::new(name);
        if let Some(cfg) = self.config.sites.get(name) {
            site.cap_mw.store((cfg.power_cap_kw * 1e6).round() as u64, Release);
        }
        let _ = self.sites[i].set(site);
        sites.insert(name.into(), i as u32);
        self.site_count.store(i + 1, Release);
        Ok(i as u32)
    }

    pub(crate) fn device_by_name(&self, device_id: &str) -> Result<u32> {
        self.device_index.lock().get(device_id).copied().ok_or_else(|| Error::not_found("device", device_id))
    }

    /// Takes a device out of service (`false`: drained — running work finishes, nothing new
    /// lands) or back in (`true`).
    pub fn set_device_available(&self, device_id: &str, available: bool) -> Result<()> {
        let d = self.device_by_name(device_id)?;
        let slot = self.devices.get(d as u64).ok_or_else(|| Error::not_found("device", device_id))?;
        let info = slot.info.get().ok_or_else(|| Error::not_found("device", device_id))?;
        let status = if available { AVAILABLE } else { DRAINED };
        if slot.status.swap(status, AcqRel) == CURTAILED && available {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("device_id: {device_id} is curtailed; resume it with resume_miners"),
            ));
        }
        // Bump the generation so old entries go stale; publish a fresh one if back in service.
        let mut cur = slot.word.load(Acquire);
        let (free, generation) = loop {
            let (free, generation) = unpack(cur);
            match slot.word.compare_exchange_weak(cur, pack(free, generation.wrapping_add(1)), AcqRel, Acquire) {
                Ok(_) => break (free, generation),
                Err(now) => cur = now,
            }
        };
        if available {
            if let Some(site) = self.sites[info.site as usize].get() {
                site.pool(info.kind).push(class_of(info.kind, free), d, generation.wrapping_add(1));
            }
            self.capacity_events.add(0, 1);
        }
        Ok(())
    }

    /// Sets a device's thermal headroom in [0, 1] (1 = cool); placement prefers cooler devices.
    pub fn set_device_thermal_headroom(&self, device_id: &str, headroom: f64) -> Result<()> {
        let h = check::in_range("headroom", headroom, 0.0, 1.0)?;
        let d = self.device_by_name(device_id)?;
        if let Some(slot) = self.devices.get(d as u64) {
            slot.thermal_milli.store((h * 1000.0).round() as u32, Relaxed);
        }
        Ok(())
    }

    /// Sets the profit of a device's current use, USD per hour (the opportunity cost of taking
    /// it). ASICs get it from the market automatically; this overrides until the next market.
    pub fn set_device_profit_usd_per_hour(&self, device_id: &str, usd_per_hour: f64) -> Result<()> {
        let p = check::finite("usd_per_hour", usd_per_hour)?;
        let d = self.device_by_name(device_id)?;
        if let Some(slot) = self.devices.get(d as u64) {
            slot.profit_milli_usd_per_hour.store((p * 1000.0).round() as i64, Relaxed);
        }
        Ok(())
    }

    /// Registry view of a device.
    pub fn device(&self, device_id: &str) -> Result<DeviceInfoView> {
        let d = self.device_by_name(device_id)?;
        let slot = self.devices.get(d as u64).ok_or_else(|| Error::not_found("device", device_id))?;
        let info = slot.info.get().ok_or_else(|| Error::not_found("device", device_id))?;
        let (free, _) = unpack(slot.word.load(Acquire));
        let gb = |u: u64| if info.kind == DeviceKind::Gpu { u as f64 / 1024.0 } else { u as f64 };
        Ok(DeviceInfoView {
            device_id: info.id.to_string(),
            kind: info.kind,
            model: info.model.name.clone(),
            site: self.sites[info.site as usize].get().map(|s| s.name.to_string()).unwrap_or_default(),
            gpu_memory_gb: if info.kind == DeviceKind::Gpu { gb(info.capacity_units) } else { 0.0 },
            free_gpu_memory_gb: gb(free),
            workloads: slot.workloads.load(Relaxed),
            status: match slot.status.load(Acquire) {
                AVAILABLE => "available",
                DRAINED => "drained",
                _ => "curtailed",
            }
            .into(),
        })
    }

    /// Number of registered devices.
    pub fn device_count(&self) -> usize {
        self.device_count.load(Acquire)
    }

    /// Sets (or, with `None`, lifts) a site's power cap in kW. Unknown site: `NotFound`.
    pub fn set_site_power_cap_kw(&self, site: &str, power_cap_kw: Option<f64>) -> Result<()> {
        let cap = match power_cap_kw {
            Some(kw) => (check::positive("power_cap_kw", kw)? * 1e6).round() as u64,
            None => u64::MAX,
        };
        let i = self.site_index.lock().get(site).copied().ok_or_else(|| Error::not_found("site", site))?;
        if let Some(s) = self.sites[i as usize].get() {
            if s.cap_mw.load(Acquire) == u64::MAX {
                s.load_mw.store(self.scan_site_load_mw(i), Release);
            }
            s.cap_mw.store(cap, Release);
        }
        self.capacity_events.add(0, 1);
        Ok(())
    }

    /// A site's estimated device draw, kW.
    pub fn site_load_kw(&self, site: &str) -> Result<f64> {
        let i = self.site_index.lock().get(site).copied().ok_or_else(|| Error::not_found("site", site))?;
        let Some(s) = self.sites[i as usize].get() else { return Ok(0.0) };
        let mw = if s.cap_mw.load(Acquire) == u64::MAX { self.scan_site_load_mw(i) } else { s.load_mw.load(Acquire) };
        Ok(mw as f64 / 1e6)
    }

    /// A site's draw summed over its devices (O(fleet); cold path).
    fn scan_site_load_mw(&self, site: u32) -> i64 {
        let mut total = 0;
        for d in 0..self.device_count.load(Acquire) as u64 {
            let Some(slot) = self.devices.get(d) else { continue };
            let Some(info) = slot.info.get() else { continue };
            if info.site != site {
                continue;
            }
            let (free, _) = unpack(slot.word.load(Acquire));
            total += base_mw(&info.model);
            match info.kind {
                DeviceKind::Gpu => {
                    total += super::devices::gpu_work_mw(&info.model, info.capacity_units - free, info.capacity_units)
                }
                DeviceKind::Asic if slot.status.load(Acquire) == CURTAILED => total -= curtail_mw(&info.model),
                DeviceKind::Asic => {}
            }
        }
        total
    }

    /// Sets the market: miners' profit (opportunity cost) and the order in which they are
    /// curtailed follow from it through `hcp::econ`.
    pub fn set_market(&self, market: Market) {
        *self.market.write() = Some(market);
        for d in 0..self.device_count.load(Acquire) as u32 {
            self.refresh_profit(d);
        }
    }

    fn refresh_profit(&self, device: u32) {
        let Some(slot) = self.devices.get(device as u64) else { return };
        let Some(info) = slot.info.get() else { return };
        if info.kind != DeviceKind::Asic {
            return;
        }
        let profit = self
            .market
            .read()
            .as_ref()
            .and_then(|m| crate::econ::miner_daily(&info.model, m, MiningTerms::default()).ok())
            .map_or(0, |d| (d.profit_usd / 24.0 * 1000.0).round() as i64);
        slot.profit_milli_usd_per_hour.store(profit, Relaxed);
    }

    /// Revenue a miner earns per kW of power it would free by sleeping, USD/day per kW: the
    /// curtailment order (lowest first). Without a market, J/TH ranks the same way.
    fn lost_revenue_per_kw(&self, model: &DeviceModel, market: Option<&Market>) -> f64 {
        let freed_kw = (model.power_watts - model.sleep_watts).max(1.0) / 1000.0;
        match market.and_then(|m| crate::econ::miner_daily(model, m, MiningTerms::default()).ok()) {
            Some(day) => day.revenue_usd / freed_kw,
            None => model.hashrate_ths / freed_kw,
        }
    }

    /// Adds `delta_mw` to the site's load if it stays under the cap; otherwise curtails
    /// miners (cheapest lost revenue per kW first) until it does. `None` (nothing changed) when
    /// even curtailing every idle miner would not make room.
    pub(crate) fn admit_power(&self, site: &Site, delta_mw: i64) -> Option<Vec<u32>> {
        let cap = site.cap_mw.load(Acquire);
        if cap == u64::MAX {
            // Uncapped sites keep no running total (no shared write on the hot path); their
            // load is summed from the devices when asked for or when a cap is set.
            return Some(Vec::new());
        }
        let cap = cap as i64;
        let mut load = site.load_mw.load(Acquire);
        while load + delta_mw <= cap {
            match site.load_mw.compare_exchange_weak(load, load + delta_mw, AcqRel, Acquire) {
                Ok(_) => return Some(Vec::new()),
                Err(now) => load = now,
            }
        }
        // Slow path: the cap binds. One curtailment decision per site at a time.
        let miners = site.miners.lock();
        let market = *self.market.read();
        let mut ranked: Vec<(f64, u32, i64)> = miners
            .iter()
            .filter_map(|&d| {
                let slot = self.devices.get(d as u64)?;
                let info = slot.info.get()?;
                let (free, _) = unpack(slot.word.load(Acquire));
                (slot.status.load(Acquire) == AVAILABLE && free == 1)
                    .then(|| (self.lost_revenue_per_kw(&info.model, market.as_ref()), d, curtail_mw(&info.model)))
            })
            .collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let deficit = site.load_mw.load(Acquire) + delta_mw - cap;
        let available: i64 = ranked.iter().map(|r| r.2).sum();
        if available < deficit {
            return None;
        }
        let mut freed = 0i64;
        let mut curtailed = Vec::new();
        for (_, d, mw) in ranked {
            if freed >= deficit {
                break;
            }
            let Some(slot) = self.devices.get(d as u64) else { continue };
            let cur = slot.word.load(Acquire);
            let (free, generation) = unpack(cur);
            // Take the miner's one unit so no mining work lands on it while it sleeps.
            if free != 1
                || slot.word.compare_exchange(cur, pack(0, generation.wrapping_add(1)), AcqRel, Acquire).is_err()
            {
                continue;
            }
            slot.status.store(CURTAILED, Release);
            slot.profit_milli_usd_per_hour.store(0, Relaxed);
            freed += mw;
            curtailed.push(d);
        }
        site.load_mw.fetch_sub(freed, AcqRel);
        site.load_mw.fetch_add(delta_mw, AcqRel);
        Some(curtailed)
    }

    /// Wakes curtailed miners at `site` while the cap allows, most valuable first; returns their
    /// ids. Call after GPU work finishes (or the cap rises).
    pub fn resume_miners(&self, site: &str) -> Result<Vec<String>> {
        let i = self.site_index.lock().get(site).copied().ok_or_else(|| Error::not_found("site", site))?;
        let Some(s) = self.sites[i as usize].get() else { return Ok(Vec::new()) };
        let miners = s.miners.lock();
        let market = *self.market.read();
        let mut ranked: Vec<(f64, u32, i64)> = miners
            .iter()
            .filter_map(|&d| {
                let slot = self.devices.get(d as u64)?;
                let info = slot.info.get()?;
                (slot.status.load(Acquire) == CURTAILED)
                    .then(|| (self.lost_revenue_per_kw(&info.model, market.as_ref()), d, curtail_mw(&info.model)))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let cap = s.cap_mw.load(Acquire);
        let mut woken = Vec::new();
        for (_, d, mw) in ranked {
            let load = s.load_mw.load(Acquire);
            if cap != u64::MAX && load + mw > cap as i64 {
                continue;
            }
            s.load_mw.fetch_add(mw, AcqRel);
            let Some(slot) = self.devices.get(d as u64) else { continue };
            slot.status.store(AVAILABLE, Release);
            let old = slot.word.load(Acquire);
            let (_, generation) = unpack(old);
            let next = generation.wrapping_add(1);
            slot.word.store(pack(1, next), Release);
            s.pool(DeviceKind::Asic).push(1, d, next);
            self.refresh_profit(d);
            woken.push(self.device_name(d).to_string());
        }
        if !woken.is_empty() {
            self.capacity_events.add(0, 1);
        }
        Ok(woken)
    }
}
