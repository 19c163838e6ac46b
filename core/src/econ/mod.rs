//! `hcpcore::econ` — the maths a hybrid operator decides with.
//!
//! Owns: market snapshots, the device model catalog, Bitcoin mining and GPU inference economics,
//! per-device decisions and site power allocation, and their batch forms. Depends on nothing else
//! in hcp; `router` and `sim` use its types.
//!
//! | file | what |
//! | --- | --- |
//! | [`market`] | [`Market`]: one validated snapshot of prices |
//! | [`models`] | [`DeviceModel`] and the [`Catalog`] (S21 family, S19 XP, H100 SXM/PCIe), overridable from JSON |
//! | [`bitcoin`] | subsidy, hashprice, a miner's day, break-evens, payback |
//! | [`gpu`] | rental or token revenue, energy with PUE, profit, break-even |
//! | [`terms`] | [`Terms`]: pool fee, PUE, GPU utilisation, demand-response credit |
//! | [`device`] | value per hour of each [`Action`] and the kind-dispatching [`breakeven_usd_per_kwh`] |
//! | [`decision`] | [`Decider`]: stateful per-device choice with switching cost and minimum dwell |
//! | [`site`] | [`Site::plan`]: allocation under a power cap, curtailment, expected $/h |
//! | [`batch`] | the per-device maths over contiguous arrays, for fleets of 10^6 |
//!
//! ```
//! use hcpcore::econ::{self, models, DeviceGroup, Fees, Market, Site, Terms};
//!
//! // The worked example of data/README.md: D = 1e14, BTC $100k, 3.125 BTC subsidy, no fees.
//! let market = Market::builder()
//!     .btc_usd(100_000.0)
//!     .difficulty(1e14)
//!     .height(840_000)
//!     .fees(Fees::BtcPerBlock(0.0))
//!     .electricity_usd_per_kwh(0.05)
//!     .gpu_usd_per_hour(2.0)
//!     .build()?;
//! assert!((econ::hashprice_usd_per_ph_day(&market) - 62.86).abs() < 0.005);
//!
//! // Break-even electricity of an S21 (mining) and of an H100 (rented 70 % of hours).
//! let terms = Terms { pool_fee: 0.02, pue: 1.1, gpu_utilisation: 0.7, ..Default::default() };
//! let s21 = econ::breakeven_usd_per_kwh(&models::S21(), &market, &terms)?;
//! let h100 = econ::breakeven_usd_per_kwh(&models::H100_SXM(), &market, &terms)?;
//! assert!(s21 < h100);
//!
//! // A 4 MW site: GPUs get power first (they earn more per watt), the miners fill the rest.
//! let site = Site::new(
//!     vec![DeviceGroup { model: models::S21(), count: 1000 }, DeviceGroup { model: models::H100_SXM(), count: 512 }],
//!     4000.0,
//!     terms,
//! )?;
//! let plan = site.plan(&market)?;
//! assert!(plan.facility_kw <= 4000.0 && plan.devices_curtailed > 0);
//! # Ok::<(), hcpcore::Error>(())
//! ```

pub mod batch;
pub mod bitcoin;
pub mod decision;
pub mod device;
pub mod gpu;
pub mod market;
pub mod models;
pub mod site;
pub mod terms;

pub use batch::{gpu_daily_batch, miner_curtail_batch, miner_daily_batch, CurtailBatchOutput, DailyBatchOutput};
pub use bitcoin::{
    block_reward_btc, block_subsidy_btc, block_subsidy_sats, breakeven_btc_usd, expected_btc_per_day,
    hashcost_usd_per_th_day, hashprice_btc_per_ph_day, hashprice_btc_per_th_day, hashprice_usd_per_ph_day,
    hashprice_usd_per_th_day, joules_per_th, miner_breakeven_usd_per_kwh, miner_daily, network_hashrate_hs,
    payback_days, roi, MinerDaily, MiningTerms,
};
pub use decision::{Decider, Decision, SwitchPolicy};
pub use device::{action_value, action_values, best_action, breakeven_usd_per_kwh, Action, ActionValue};
pub use gpu::{
    gpu_breakeven_usd_per_kwh, gpu_daily, gpu_hourly, gpu_revenue_usd_per_hour, gpu_serving_watts,
    rental_revenue_usd_per_hour, token_revenue_usd_per_hour, GpuEconomics,
};
pub use market::{validate_height, Fees, Market, MarketBuilder, MarketFields};
pub use models::{Catalog, DeviceKind, DeviceModel};
pub use site::{DeviceCount, DeviceGroup, GroupPlan, Site, SitePlan, SiteSpec};
pub use terms::Terms;
