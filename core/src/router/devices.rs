//! The device registry and the placement index.
//!
//! Owns devices (GPUs and ASICs), their free capacity, status and site, and the per-(site,
//! kind) *pools* that find a best-fit device without scanning the fleet. It does not know about
//! workloads or queues.
//!
//! # Placement index
//! A pool keeps 64 capacity classes (GPU: 2 GB of free memory per class; ASIC: free or not),
//! each a lock-free queue of `(device, generation)` entries, with an atomic occupancy mask. The
//! smallest class that can hold a request is `mask & !(below)` → `trailing_zeros`: O(1). A
//! device's free capacity and generation share one atomic word; claiming capacity (or a release
//! that moves the device to another class, or a status change) is a CAS that bumps the
//! generation and pushes one fresh entry, so older entries for the same device are recognised as
//! stale and dropped when popped (lazy deletion). A release that leaves the device in the same
//! class keeps the generation and pushes nothing: the live entry already sits in the right
//! class (a claimer holding it retries its CAS with the new free figure). Every device has at
//! most one live entry, listed in the class of its current free capacity.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::OnceLock;

use super::sync::Queue;
use crate::econ::{DeviceKind, DeviceModel};

/// Free memory per GPU capacity class, MB.
pub(crate) const GPU_CLASS_MB: u64 = 2048;
pub(crate) const CLASSES: usize = 64;
/// Most sites a router tracks.
pub(crate) const MAX_SITES: usize = 256;

/// Availability of a device for new work.
pub(crate) const AVAILABLE: u32 = 0;
/// Taken out of service by the operator (drained); running work finishes.
pub(crate) const DRAINED: u32 = 1;
/// An ASIC curtailed (asleep) to free power for GPU work.
pub(crate) const CURTAILED: u32 = 2;

/// Immutable facts about a device.
#[derive(Debug)]
pub(crate) struct DeviceInfo {
    pub id: std::sync::Arc<str>,
    pub kind: DeviceKind,
    pub model: DeviceModel,
    pub site: u32,
    /// GPU memory in MB, or 1 for an ASIC (a whole miner is one unit).
    pub capacity_units: u64,
}

/// One device's mutable state, all atomics.
#[derive(Debug, Default)]
pub(crate) struct DeviceSlot {
    pub info: OnceLock<DeviceInfo>,
    /// free units (high 32 bits) | generation (low 32 bits).
    pub word: AtomicU64,
    pub status: AtomicU32,
    /// Workloads currently placed on it.
    pub workloads: AtomicU32,
    /// Thermal headroom in thousandths (1000 = cool).
    pub thermal_milli: AtomicU32,
    /// Profit of its current use, thousandths of a USD per hour.
    pub profit_milli_usd_per_hour: AtomicI64,
}

pub(crate) fn pack(free: u64, generation: u32) -> u64 {
    free << 32 | generation as u64
}
pub(crate) fn unpack(word: u64) -> (u64, u32) {
    (word >> 32, word as u32)
}

/// Class of a free capacity: GPUs in 2 GB steps (capped), ASICs 0 or 1.
pub(crate) fn class_of(kind: DeviceKind, free_units: u64) -> usize {
    match kind {
        DeviceKind::Gpu => ((free_units / GPU_CLASS_MB) as usize).min(CLASSES - 1),
        DeviceKind::Asic => free_units.min(1) as usize,
    }
}

/// Smallest class whose every member can hold `need` units.
pub(crate) fn class_needed(kind: DeviceKind, need_units: u64) -> usize {
    match kind {
        DeviceKind::Gpu => (need_units.div_ceil(GPU_CLASS_MB) as usize).clamp(1, CLASSES - 1),
        DeviceKind::Asic => 1,
    }
}

/// Free devices of one kind at one site, by capacity class.
#[derive(Debug)]
pub(crate) struct Pool {
    mask: AtomicU64,
    classes: Vec<Queue<u64>>,
    /// Devices registered in this pool (for the bounded candidate scan and metrics).
    pub registered: AtomicUsize,
}

impl Pool {
    fn new() -> Pool {
        Pool {
            mask: AtomicU64::new(0),
            classes: (0..CLASSES).map(|_| Queue::new()).collect(),
            registered: AtomicUsize::new(0),
        }
    }

    /// Publishes an entry `(device, generation)` in `class` (class 0 = no room: not published).
    pub(crate) fn push(&self, class: usize, device: u32, generation: u32) {
        if class == 0 {
            return;
        }
        self.classes[class].push((device as u64) << 32 | generation as u64);
        std::sync::atomic::fence(SeqCst);
        let bit = 1u64 << class;
        if self.mask.load(SeqCst) & bit == 0 {
            self.mask.fetch_or(bit, SeqCst);
        }
    }

    /// May any class in `lo ..= hi` hold an entry? (Its bit is set whenever it may.)
    pub(crate) fn any_between(&self, lo: usize, hi: usize) -> bool {
        let upto = if hi >= 63 { u64::MAX } else { (1u64 << (hi + 1)) - 1 };
        let from = !((1u64 << lo) - 1);
        self.mask.load(SeqCst) & upto & from != 0
    }

    /// Pops an entry from the smallest non-empty class ≥ `min_class`.
    pub(crate) fn pop_at_least(&self, min_class: usize) -> Option<(u32, u32)> {
        let above = !((1u64 << min_class) - 1);
        loop {
            let mask = self.mask.load(SeqCst) & above;
            if mask == 0 {
                return None;
            }
            let class = mask.trailing_zeros() as usize;
            match self.classes[class].pop() {
                Some(e) => return Some(((e >> 32) as u32, e as u32)),
                None => {
                    let bit = 1u64 << class;
                    self.mask.fetch_and(!bit, SeqCst);
                    std::sync::atomic::fence(SeqCst);
                    if !self.classes[class].is_empty() {
                        self.mask.fetch_or(bit, SeqCst);
                    }
                }
            }
        }
    }
}

/// Sites and their power budgets.
#[derive(Debug)]
pub(crate) struct Site {
    pub name: Box<str>,
    /// Cap in milliwatts; `u64::MAX` = uncapped.
    pub cap_mw: AtomicU64,
    /// Estimated draw of the site's devices, milliwatts.
    pub load_mw: AtomicI64,
    /// ASICs at this site (curtailment candidates), taken only when power binds.
    pub miners: parking_lot::Mutex<Vec<u32>>,
    pub pools: [Pool; 2],
}

impl Site {
    pub(crate) fn new(name: &str) -> Site {
        Site {
            name: name.into(),
            cap_mw: AtomicU64::new(u64::MAX),
            load_mw: AtomicI64::new(0),
            miners: parking_lot::Mutex::new(Vec::new()),
            pools: [Pool::new(), Pool::new()],
        }
    }

    pub(crate) fn pool(&self, kind: DeviceKind) -> &Pool {
        match kind {
            DeviceKind::Gpu => &self.pools[0],
            DeviceKind::Asic => &self.pools[1],
        }
    }
}

/// Milliwatts a device draws doing nothing useful (GPU idle, ASIC asleep).
pub(crate) fn base_mw(model: &DeviceModel) -> i64 {
    (match model.kind {
        DeviceKind::Gpu => model.idle_watts,
        DeviceKind::Asic => model.power_watts,
    } * 1000.0)
        .round() as i64
}

/// Extra milliwatts a GPU draws for work holding `units` of its `capacity` MB (its dynamic range
/// in proportion to memory held: a whole-GPU job adds TDP − idle).
pub(crate) fn gpu_work_mw(model: &DeviceModel, units: u64, capacity: u64) -> i64 {
    let share = if capacity == 0 { 1.0 } else { (units as f64 / capacity as f64).min(1.0) };
    ((model.power_watts - model.idle_watts).max(0.0) * share * 1000.0).round() as i64
}

/// Milliwatts freed by curtailing a mining ASIC.
pub(crate) fn curtail_mw(model: &DeviceModel) -> i64 {
    ((model.power_watts - model.sleep_watts).max(0.0) * 1000.0).round() as i64
}

/// Index positions of the slot arrays (kept here so the router reads like prose).
pub(crate) type SiteSlots = Box<[OnceLock<Site>]>;

pub(crate) fn new_sites() -> SiteSlots {
    (0..MAX_SITES).map(|_| OnceLock::new()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_pool_best_fit() {
        assert_eq!(class_of(DeviceKind::Gpu, 80 * 1024), 40);
        assert_eq!(class_needed(DeviceKind::Gpu, 20 * 1024), 10);
        assert_eq!(class_needed(DeviceKind::Gpu, 20 * 1024 + 1), 11);
        assert_eq!(class_needed(DeviceKind::Gpu, 0), 1);
        let p = Pool::new();
        p.push(40, 1, 0);
        p.push(20, 2, 0);
        p.push(30, 3, 0);
        assert_eq!(p.pop_at_least(25), Some((3, 0)));
        assert_eq!(p.pop_at_least(10), Some((2, 0)));
        assert_eq!(p.pop_at_least(41), None);
        assert_eq!(p.pop_at_least(1), Some((1, 0)));
        assert_eq!(p.pop_at_least(1), None);
    }
}
