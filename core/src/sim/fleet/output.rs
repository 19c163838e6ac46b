//! What a fleet run produces: a columnar time series of fleet totals, a log of events, a
//! per-device snapshot (columns) and a summary.

use serde::{Deserialize, Serialize};

/// Kinds of event, with stable codes for columnar output.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A GPU began a switch (value: its total seconds).
    SwitchStarted,
    /// A GPU finished a switch and serves.
    SwitchCompleted,
    /// A device began going to sleep.
    SleepStarted,
    /// A device is asleep.
    Slept,
    /// A device began waking.
    WakeStarted,
    /// A device is awake (GPU idle, miner hashing).
    Woke,
    /// A miner changed power mode (code: new mode).
    ModeChanged,
    /// An XID error (code: the XID).
    XidError,
    /// A correctable ECC error.
    EccCorrectable,
    /// An uncorrectable ECC error (code 48).
    EccUncorrectable,
    /// Cooling degraded on a device.
    ThermalEvent,
    /// Thermal slowdown began (value: GPU or chip temperature).
    ThrottleStarted,
    /// Thermal slowdown ended.
    ThrottleEnded,
    /// A miner stopped for heat (value: ambient).
    ThermalShutdown,
    /// A miner restarted after a thermal shutdown.
    Restarted,
    /// A hash board failed.
    ChainFault,
    /// A device came back from a fault.
    FaultCleared,
}

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [EventKind; 17] = [
        EventKind::SwitchStarted,
        EventKind::SwitchCompleted,
        EventKind::SleepStarted,
        EventKind::Slept,
        EventKind::WakeStarted,
        EventKind::Woke,
        EventKind::ModeChanged,
        EventKind::XidError,
        EventKind::EccCorrectable,
        EventKind::EccUncorrectable,
        EventKind::ThermalEvent,
        EventKind::ThrottleStarted,
        EventKind::ThrottleEnded,
        EventKind::ThermalShutdown,
        EventKind::Restarted,
        EventKind::ChainFault,
        EventKind::FaultCleared,
    ];

    /// Stable numeric code (index in [`EventKind::ALL`]).
    pub fn code(self) -> u8 {
        EventKind::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
    }

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SwitchStarted => "switch_started",
            EventKind::SwitchCompleted => "switch_completed",
            EventKind::SleepStarted => "sleep_started",
            EventKind::Slept => "slept",
            EventKind::WakeStarted => "wake_started",
            EventKind::Woke => "woke",
            EventKind::ModeChanged => "mode_changed",
            EventKind::XidError => "xid_error",
            EventKind::EccCorrectable => "ecc_correctable",
            EventKind::EccUncorrectable => "ecc_uncorrectable",
            EventKind::ThermalEvent => "thermal_event",
            EventKind::ThrottleStarted => "throttle_started",
            EventKind::ThrottleEnded => "throttle_ended",
            EventKind::ThermalShutdown => "thermal_shutdown",
            EventKind::Restarted => "restarted",
            EventKind::ChainFault => "chain_fault",
            EventKind::FaultCleared => "fault_cleared",
        }
    }
}

/// One event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Simulation time, s.
    pub time_seconds: f64,
    /// Device id.
    pub device: u32,
    /// What happened.
    pub kind: EventKind,
    /// A code (XID, mode code), 0 when none.
    pub code: u32,
    /// A value (seconds of a switch, a temperature), 0 when none.
    pub value: f64,
}

/// Fleet totals per recorded step, as columns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FleetSeries {
    /// Simulation time at the end of the step, s.
    pub time_seconds: Vec<f64>,
    /// Fleet power, W.
    pub power_watts: Vec<f64>,
    /// GPU power, W.
    pub gpu_power_watts: Vec<f64>,
    /// Miner power, W.
    pub asic_power_watts: Vec<f64>,
    /// Hashrate, TH/s.
    pub hashrate_ths: Vec<f64>,
    /// Tokens generated per second.
    pub tokens_per_second: Vec<f64>,
    /// GPUs serving.
    pub gpus_serving: Vec<u32>,
    /// GPUs switching (loading, saving, starting).
    pub gpus_switching: Vec<u32>,
    /// GPUs asleep.
    pub gpus_sleeping: Vec<u32>,
    /// GPUs faulted.
    pub gpus_faulted: Vec<u32>,
    /// Miners hashing.
    pub miners_hashing: Vec<u32>,
    /// Miners asleep or stopped.
    pub miners_sleeping: Vec<u32>,
    /// Devices in thermal slowdown or derate.
    pub devices_throttled: Vec<u32>,
    /// Hottest GPU, °C.
    pub max_gpu_temp_c: Vec<f64>,
    /// Electricity price applied, USD/MWh (0 without a market).
    pub electricity_usd_per_mwh: Vec<f64>,
    /// Cumulative energy, kWh.
    pub energy_kwh: Vec<f64>,
    /// Cumulative electricity cost, USD.
    pub energy_cost_usd: Vec<f64>,
    /// Cumulative mining revenue of settled accepted shares, USD.
    pub mining_revenue_usd: Vec<f64>,
    /// Cumulative GPU rental revenue of serving GPU-hours, USD.
    pub gpu_revenue_usd: Vec<f64>,
}

impl FleetSeries {
    /// Recorded steps.
    pub fn len(&self) -> usize {
        self.time_seconds.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.time_seconds.is_empty()
    }
}

/// Per-device state at an instant, as columns (index = device id).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeviceColumns {
    /// 0 GPU, 1 ASIC.
    pub kind: Vec<u8>,
    /// State code ([`super::DeviceState::code`]).
    pub state: Vec<u8>,
    /// Power, W.
    pub power_watts: Vec<f64>,
    /// GPU die or miner chip temperature, °C.
    pub temp_c: Vec<f64>,
    /// Hashrate, TH/s (0 for GPUs).
    pub hashrate_ths: Vec<f64>,
    /// Tokens per second (0 for miners).
    pub tokens_per_second: Vec<f64>,
    /// Energy since start, kWh.
    pub energy_kwh: Vec<f64>,
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FleetSummary {
    /// Steps taken.
    pub steps: u64,
    /// Simulated time, s.
    pub time_seconds: f64,
    /// Devices.
    pub devices: u32,
    /// Energy, kWh.
    pub energy_kwh: f64,
    /// Electricity cost, USD.
    pub energy_cost_usd: f64,
    /// BTC mined (settled accepted shares).
    pub mined_btc: f64,
    /// Mining revenue, USD.
    pub mining_revenue_usd: f64,
    /// GPU rental revenue, USD.
    pub gpu_revenue_usd: f64,
    /// Tokens generated.
    pub tokens: f64,
    /// Shares accepted.
    pub shares_accepted: u64,
    /// Shares rejected.
    pub shares_rejected: u64,
    /// Stale shares.
    pub shares_stale: u64,
    /// Hardware errors.
    pub hardware_errors: u64,
    /// Events logged.
    pub events: u64,
    /// XID errors.
    pub xid_errors: u64,
}
