//! The operator's side of the router: registering and removing devices, taking them in and out
//! of service, site power caps, the market that prices a miner's power, and waking curtailed
//! miners.

use std::sync::Arc;

use super::engine::Router;
use super::place::Device;
use crate::econ::{models::Catalog, DeviceKind, DeviceModel, Market};
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
        let capacity = match (kind, gpu_memory_gb) {
            (DeviceKind::Gpu, Some(gb)) => {
                (check::positive_at_most("gpu_memory_gb", gb, 4_000_000.0)? * 1024.0).round() as u64
            }
            (DeviceKind::Gpu, None) => (model.gpu_memory_gb * 1024.0).round() as u64,
            (DeviceKind::Asic, Some(gb)) if gb != 0.0 => {
                check::non_negative("gpu_memory_gb", gb)?;
                return Err(Error::invalid_input("gpu_memory_gb", "an ASIC has no GPU memory; give 0 or omit it"));
            }
            (DeviceKind::Asic, _) => 1,
        };
        if capacity == 0 {
            return Err(Error::invalid_input("gpu_memory_gb", "must hold at least 1 MB"));
        }
        let mut inner = self.inner.lock();
        let fleet = &mut inner.fleet;
        if fleet.device_index.contains_key(device_id) {
            return Err(Error::new(ErrorKind::Conflict, format!("device_id: {device_id} is already registered")));
        }
        if fleet.devices.len() >= u32::MAX as usize - 1 {
            return Err(Error::new(ErrorKind::CapacityExceeded, "device_id: device table full"));
        }
        let s = fleet.intern_site(site)?;
        let d = fleet.devices.len() as u32;
        let base_mw = (match kind {
            DeviceKind::Gpu => model.idle_watts,
            DeviceKind::Asic => model.power_watts,
        } * 1000.0)
            .round() as i64;
        let curtail_mw = ((model.power_watts - model.sleep_watts).max(0.0) * 1000.0).round() as i64;
        fleet.devices.push(Device {
            id: Arc::from(device_id),
            kind,
            model,
            site: s,
            capacity,
            free: capacity,
            drained: false,
            curtailed: false,
            removed: false,
            workloads: 0,
            thermal: 1.0,
            profit_usd_per_hour: 0.0,
            lost_revenue_per_kw: 0.0,
            base_mw,
            curtail_mw,
        });
        fleet.device_index.insert(device_id.into(), d);
        let k = super::place::kind_slot(kind);
        let site = &mut fleet.sites[s as usize];
        site.load_mw += base_mw;
        site.count[k] += 1;
        if kind == DeviceKind::Asic {
            site.miners.push(d);
        }
        fleet.most[k] = fleet.most[k].max(site.count[k]);
        fleet.largest[k] = fleet.largest[k].max(capacity);
        fleet.refresh_profit(d);
        fleet.reindex(d, capacity);
        fleet.touch();
        Ok(())
    }

    pub(crate) fn device_by_name(&self, inner: &super::engine::Inner, device_id: &str) -> Result<u32> {
        inner.fleet.device_index.get(device_id).copied().ok_or_else(|| Error::not_found("device", device_id))
    }

    /// Removes a device: the work on it is preempted (queued again at its place; the ids are
    /// returned) and the device is forgotten (its id may be registered again).
    pub fn remove_device(&self, device_id: &str) -> Result<Vec<u64>> {
        let mut inner = self.inner.lock();
        let d = self.device_by_name(&inner, device_id)?;
        let mut on_it: Vec<u64> = (0..super::queue::LEVELS)
            .flat_map(|l| inner.active.newest_first(&inner.workloads, inner.first_id, l))
            .filter(|&id| inner.index(id).is_some_and(|i| inner.workloads[i].devices().any(|x| x == d)))
            .collect();
        on_it.sort_unstable();
        for &id in &on_it {
            self.preempt_active(&mut inner, id);
        }
        let fleet = &mut inner.fleet;
        let old = fleet.devices[d as usize].free;
        let dev = &mut fleet.devices[d as usize];
        dev.removed = true;
        let (s, kind, asleep) = (dev.site, dev.kind, dev.curtailed);
        let draw = dev.base_mw - if asleep { dev.curtail_mw } else { 0 };
        fleet.reindex(d, old);
        fleet.device_index.remove(device_id);
        let site = &mut fleet.sites[s as usize];
        site.load_mw -= draw;
        site.count[if kind == DeviceKind::Gpu { 0 } else { 1 }] -= 1;
        site.miners.retain(|&m| m != d);
        fleet.refresh_extent();
        fleet.touch();
        Ok(on_it)
    }

    /// Takes a device out of service (`false`: drained — running work finishes, nothing new
    /// lands) or back in (`true`). A curtailed miner cannot be made available here
    /// (`Conflict`, nothing changes): wake it with [`Router::resume_miners`].
    pub fn set_device_available(&self, device_id: &str, available: bool) -> Result<()> {
        let mut inner = self.inner.lock();
        let d = self.device_by_name(&inner, device_id)?;
        let fleet = &mut inner.fleet;
        let dev = &mut fleet.devices[d as usize];
        if available && dev.curtailed {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("device_id: {device_id} is curtailed; resume it with resume_miners"),
            ));
        }
        dev.drained = !available;
        let free = dev.free;
        fleet.reindex(d, free);
        fleet.touch();
        Ok(())
    }

    /// Sets a device's thermal headroom in [0, 1] (1 = cool); placement prefers cooler devices.
    pub fn set_device_thermal_headroom(&self, device_id: &str, headroom: f64) -> Result<()> {
        let h = check::in_range("headroom", headroom, 0.0, 1.0)?;
        let mut inner = self.inner.lock();
        let d = self.device_by_name(&inner, device_id)?;
        inner.fleet.devices[d as usize].thermal = h;
        inner.fleet.touch();
        Ok(())
    }

    /// Sets the profit of a device's current use, USD per hour (the opportunity cost of taking
    /// it). ASICs get it from the market automatically; this overrides until the next market.
    pub fn set_device_profit_usd_per_hour(&self, device_id: &str, usd_per_hour: f64) -> Result<()> {
        let p = check::in_range("usd_per_hour", usd_per_hour, -1e12, 1e12)?;
        let mut inner = self.inner.lock();
        let d = self.device_by_name(&inner, device_id)?;
        inner.fleet.devices[d as usize].profit_usd_per_hour = p;
        inner.fleet.touch();
        Ok(())
    }

    /// Registry view of a device.
    pub fn device(&self, device_id: &str) -> Result<DeviceInfoView> {
        let inner = self.inner.lock();
        let d = self.device_by_name(&inner, device_id)?;
        let dev = &inner.fleet.devices[d as usize];
        let gb = |u: u64| if dev.kind == DeviceKind::Gpu { u as f64 / 1024.0 } else { u as f64 };
        Ok(DeviceInfoView {
            device_id: dev.id.to_string(),
            kind: dev.kind,
            model: dev.model.name.clone(),
            site: inner.fleet.sites[dev.site as usize].name.to_string(),
            gpu_memory_gb: if dev.kind == DeviceKind::Gpu { gb(dev.capacity) } else { 0.0 },
            free_gpu_memory_gb: gb(dev.free),
            workloads: dev.workloads,
            status: if dev.curtailed {
                "curtailed"
            } else if dev.drained {
                "drained"
            } else {
                "available"
            }
            .into(),
        })
    }

    /// Number of registered devices.
    pub fn device_count(&self) -> usize {
        self.inner.lock().fleet.device_index.len()
    }

    /// Sets (or, with `None`, lifts) a site's power cap in kW. Unknown site: `NotFound`.
    /// Work already placed stays; new work must fit under the new cap.
    pub fn set_site_power_cap_kw(&self, site: &str, power_cap_kw: Option<f64>) -> Result<()> {
        let cap = match power_cap_kw {
            Some(kw) => Some((check::positive_at_most("power_cap_kw", kw, 1e9)? * 1e6).round() as i64),
            None => None,
        };
        let mut inner = self.inner.lock();
        let i = *inner.fleet.site_index.get(site).ok_or_else(|| Error::not_found("site", site))?;
        inner.fleet.sites[i as usize].cap_mw = cap;
        inner.fleet.touch();
        Ok(())
    }

    /// A site's estimated device draw, kW.
    pub fn site_load_kw(&self, site: &str) -> Result<f64> {
        let inner = self.inner.lock();
        let i = *inner.fleet.site_index.get(site).ok_or_else(|| Error::not_found("site", site))?;
        Ok(inner.fleet.sites[i as usize].load_mw as f64 / 1e6)
    }

    /// Sets the market: miners' profit (opportunity cost) and the order in which they are
    /// curtailed follow from it through `hcpcore::econ`.
    pub fn set_market(&self, market: Market) {
        let mut inner = self.inner.lock();
        inner.fleet.market = Some(market);
        for d in 0..inner.fleet.devices.len() as u32 {
            inner.fleet.refresh_profit(d);
        }
        inner.fleet.touch();
    }

    /// Wakes curtailed miners at `site` while the cap allows, most valuable first (ties:
    /// registration order); returns their ids. Call after GPU work finishes (or the cap rises).
    pub fn resume_miners(&self, site: &str) -> Result<Vec<String>> {
        let mut inner = self.inner.lock();
        let s = *inner.fleet.site_index.get(site).ok_or_else(|| Error::not_found("site", site))?;
        let fleet = &mut inner.fleet;
        let mut ranked: Vec<(f64, u32)> = fleet.sites[s as usize]
            .miners
            .iter()
            .filter(|&&m| fleet.devices[m as usize].curtailed)
            .map(|&m| (fleet.devices[m as usize].lost_revenue_per_kw, m))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut woken = Vec::new();
        for (_, m) in ranked {
            let mw = fleet.devices[m as usize].curtail_mw;
            let site = &fleet.sites[s as usize];
            if site.cap_mw.is_some_and(|cap| site.load_mw + mw > cap) {
                continue;
            }
            let dev = &mut fleet.devices[m as usize];
            dev.curtailed = false;
            dev.free = 1;
            fleet.sites[s as usize].load_mw += mw;
            fleet.refresh_profit(m);
            fleet.reindex(m, 0);
            woken.push(fleet.devices[m as usize].id.to_string());
        }
        fleet.touch();
        Ok(woken)
    }
}
