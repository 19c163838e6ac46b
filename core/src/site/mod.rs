//! `hcpcore::site` — the closed loop: one site's devices, customers' work, economics, strategy and
//! billing stepped together under one power cap.
//!
//! ```text
//! market snapshot ─► flags (probable 4CP, DR event, reserve deployed)
//!        │
//!        ▼
//! Strategy::decide(Observation) ─► Command (miner power targets and counts, GPUs per endpoint
//!        │                          and job, reservations, idle GPUs asleep, reserve offered)
//!        ▼
//! checked: every field, settled power and the tick's exact peak ≤ cap — else an error and
//! nothing of the tick applied
//!        ▼
//! devices step (miners ramp, sleep, wake; GPUs switch, serve, run jobs) ─► energy, hashes,
//! tokens, GPU-seconds ─► usage events into the ledger exactly once ─► alerts ─► invoices
//! ```
//!
//! | file | owns |
//! | --- | --- |
//! | `config.rs` | the site config and its validation |
//! | `inputs.rs` | market history (gap-checked) and demand trace shapes |
//! | `serving.rs` | the [`ServingModel`] seam and the [`AggregateServing`] model |
//! | `power.rs` | piecewise-linear power paths: exact peak and energy of a tick |
//! | `miners.rs` | miner groups with a power-target dial and firmware transition times |
//! | `gpus.rs` | GPU uses and switches |
//! | `strategy.rs` | the [`Strategy`] trait and the built-in strategies |
//! | `engine.rs` | [`Site`] and [`SiteRun`]: the tick |
//! | `output.rs` | columns, events, summary |
//! | `forecast.rs` | demand and price forecasts and the capacity plan |
//!
//! ```no_run
//! use hcpcore::site::Site;
//! let site = Site::from_config_path("examples/site.json").unwrap();
//! let r = site.run_named("hybrid", Some("2024-08-01"), Some("2024-08-08")).unwrap();
//! assert!(r.columns.peak_kw.iter().all(|kw| *kw <= site.config().cap_kw));
//! println!("profit ${:.0}, SLO attainment {:.4}", r.summary.profit_usd, r.summary.slo_attainment);
//! ```
//!
//! `docs/site.md` documents the loop, the tariff, 4CP and demand-response rules, the
//! strategies and the invariants the tests check every tick.

mod config;
mod engine;
pub mod forecast;
mod gpus;
mod inputs;
mod miners;
mod output;
mod power;
mod serving;
mod strategy;

pub use config::{
    CustomerConfig, DemandResponseConfig, EndpointConfig, FaultConfig, FourCpConfig, GpuConfig, HybridConfig,
    JobConfig, MinerConfig, ReservationConfig, ReserveConfig, SiteConfig, TariffConfig, OPERATOR,
};
pub use engine::{iso, Site, SiteRun, METERS};
pub use gpus::{GpuCounts, GpuFleet, GpuUse};
pub use inputs::{check_no_gaps, MarketHistory, TraceShape, MARKET_INTERVAL_SECONDS};
pub use miners::{MinerCommand, MinerCounts, MinerGroup, MinerModel};
pub use output::{Columns, FourCpInterval, RunResult, SiteEvent, Summary};
pub use power::{peak_watts, Path};
pub use serving::{AggregateServing, EndpointLoad, ServingModel, ServingOutcome};
pub use strategy::{
    builtin, gpus_greedy, gpus_to_meet_deadline, names, AiOnly, AlwaysOn, Command, EndpointView, Hybrid, JobView,
    MinerView, MiningOnly, Observation, PriceResponsive, ReservationView, Strategy,
};
