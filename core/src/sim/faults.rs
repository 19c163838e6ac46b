//! Fault injection: XID errors, ECC errors and thermal events on GPUs, chain failures on miners,
//! drawn from a seeded Poisson process at configurable rates.
//!
//! Faults of a fleet are drawn as one Poisson count per kind and step for the whole fleet (the
//! superposition of independent per-device processes), then spread uniformly over the devices of
//! that kind: exact in distribution and O(faults), not O(devices), per step.
//!
//! Default rates: the GPU rates follow the Llama 3 training report (Dubey et al. 2024, Table 5:
//! 419 unexpected interruptions in 54 days on 16,384 H100s; 30.1 % faulty GPUs, 17.2 % HBM3,
//! ≈ 2.0e-5 interruptions per GPU-hour). Correctable ECC, recoverable application XIDs, thermal
//! events and miner chain failures have no published fleet rate; their defaults are assumptions,
//! stated as such, and every rate is a parameter.

use serde::{Deserialize, Serialize};

use crate::error::check;
use crate::Result;

/// Rates per device-hour and recovery times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultRates {
    /// Fatal XIDs (79 "fallen off the bus", 94/95 contained/uncontained errors): device down until
    /// reset. Per GPU-hour (Llama 3 report: faulty GPU 30.1 % of 2.0e-5).
    pub gpu_xid_fatal_per_hour: f64,
    /// Recoverable XIDs (13, 31, 43: the process dies, the GPU stays healthy). Per GPU-hour (assumed).
    pub gpu_xid_recoverable_per_hour: f64,
    /// Uncorrectable ECC (XID 48, row remap pending: reset needed). Per GPU-hour (Llama 3 report:
    /// HBM3 17.2 % of 2.0e-5).
    pub gpu_ecc_uncorrectable_per_hour: f64,
    /// Correctable (single-bit) ECC, counted only. Per GPU-hour (assumed).
    pub gpu_ecc_correctable_per_hour: f64,
    /// Thermal events (cooling degraded: a fan, a blocked inlet) per device-hour (assumed).
    pub thermal_event_per_hour: f64,
    /// Hash-board (chain) failures per miner-hour (assumed).
    pub asic_chain_fault_per_hour: f64,
    /// GPU downtime after a fatal error (drain, reset, health check), s.
    pub gpu_reset_seconds: f64,
    /// Duration of a thermal event, s.
    pub thermal_event_seconds: f64,
    /// Cooling degradation of a thermal event: thermal resistance multiplied by this.
    pub thermal_event_resistance_factor: f64,
    /// Time until a failed hash board is replaced, s.
    pub asic_repair_seconds: f64,
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            gpu_xid_fatal_per_hour: 6.0e-6,
            gpu_xid_recoverable_per_hour: 2.0e-5,
            gpu_ecc_uncorrectable_per_hour: 3.4e-6,
            gpu_ecc_correctable_per_hour: 1.0e-4,
            thermal_event_per_hour: 1.0e-5,
            asic_chain_fault_per_hour: 2.0e-5,
            gpu_reset_seconds: 600.0,
            thermal_event_seconds: 900.0,
            thermal_event_resistance_factor: 2.5,
            asic_repair_seconds: 86_400.0,
        }
    }
}

impl FaultRates {
    /// No faults at all.
    pub fn none() -> FaultRates {
        FaultRates {
            gpu_xid_fatal_per_hour: 0.0,
            gpu_xid_recoverable_per_hour: 0.0,
            gpu_ecc_uncorrectable_per_hour: 0.0,
            gpu_ecc_correctable_per_hour: 0.0,
            thermal_event_per_hour: 0.0,
            asic_chain_fault_per_hour: 0.0,
            ..FaultRates::default()
        }
    }

    /// Checks every field.
    pub fn validated(self) -> Result<FaultRates> {
        check::non_negative("gpu_xid_fatal_per_hour", self.gpu_xid_fatal_per_hour)?;
        check::non_negative("gpu_xid_recoverable_per_hour", self.gpu_xid_recoverable_per_hour)?;
        check::non_negative("gpu_ecc_uncorrectable_per_hour", self.gpu_ecc_uncorrectable_per_hour)?;
        check::non_negative("gpu_ecc_correctable_per_hour", self.gpu_ecc_correctable_per_hour)?;
        check::non_negative("thermal_event_per_hour", self.thermal_event_per_hour)?;
        check::non_negative("asic_chain_fault_per_hour", self.asic_chain_fault_per_hour)?;
        check::non_negative("gpu_reset_seconds", self.gpu_reset_seconds)?;
        check::non_negative("thermal_event_seconds", self.thermal_event_seconds)?;
        check::in_range("thermal_event_resistance_factor", self.thermal_event_resistance_factor, 1.0, 100.0)?;
        check::non_negative("asic_repair_seconds", self.asic_repair_seconds)?;
        Ok(self)
    }
}

/// XID codes drawn for fatal GPU errors (79 fell off the bus, 94 contained ECC, 95 uncontained).
pub const FATAL_XIDS: [u32; 3] = [79, 94, 95];
/// XID codes drawn for recoverable application errors (13 graphics exception, 31 MMU fault,
/// 43 GPU stopped processing).
pub const RECOVERABLE_XIDS: [u32; 3] = [13, 31, 43];
/// XID of an uncorrectable (double-bit) ECC error.
pub const ECC_DBE_XID: u32 = 48;
