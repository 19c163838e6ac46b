//! `hcpcore::sim` — device and market simulation calibrated on a real H100 (issue 4).
//!
//! Owns: the H100 model ([`gpu`]: power, thermal, decode performance, switches), the Antminer
//! model ([`asic`]), fault injection ([`faults`]), market series ([`market`]: synthetic and
//! replayed), the structure-of-arrays fleet ([`fleet`]) and telemetry in the formats existing
//! tools read ([`telemetry`]). Uses `econ`'s catalog and market types; touches no other module.
//!
//! Every random process draws from [`rng::SimRng`] seeded by the caller: the same seed gives
//! bit-identical output. Bad input is an [`crate::Error`]: `InvalidInput` naming the field
//! (negative batch, `dt ≤ 0`, unknown model, malformed replay file with its path and line),
//! `OutOfMemory` for a model that does not fit, `NotFound` for a command to a missing device.

pub mod asic;
pub mod calibration;
pub mod faults;
pub mod fleet;
pub mod gpu;
mod json;
pub mod market;
pub mod rng;
pub mod serve;
pub mod telemetry;

pub use asic::miner::{Miner, MinerStatus, PoolConfig, ShareCounters};
pub use asic::spec::{AsicSpec, ModeFactors, PowerMode, TransitionProfile};
pub use faults::FaultRates;
pub use fleet::{
    Command, DeviceColumns, DeviceState, Event, EventKind, Fleet, FleetConfig, FleetSeries, FleetSummary, GpuTelemetry,
    MarketSource,
};
pub use gpu::decode::{decode, Decode, DecodeOptions, LayerShapes, ModelSpec};
pub use gpu::device::{reasons, GpuReading, H100};
pub use gpu::power::Activity;
pub use gpu::spec::{DecodeParams, GpuSpec, PowerParams, ThermalParams, TransferParams};
pub use gpu::switch::{switch_phases, HostMemory, SwitchPhases, SwitchRequest};
pub use market::replay::MarketReplay;
pub use market::synthetic::{SyntheticConfig, SyntheticMarket};
pub use market::{MarketPoint, MarketSeries};
