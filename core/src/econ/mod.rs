//! `hcp::econ` — the maths a hybrid operator decides with.
//!
//! Owns: market snapshots, the device model catalog, Bitcoin mining and GPU inference economics,
//! per-device decisions and site power allocation. Depends on nothing else in hcp; `router` and
//! `sim` use its types.

pub mod bitcoin;
pub mod market;
pub mod models;

pub use bitcoin::{
    block_reward_btc, block_subsidy_btc, block_subsidy_sats, breakeven_btc_usd, expected_btc_per_day,
    hashcost_usd_per_th_day, hashprice_btc_per_ph_day, hashprice_btc_per_th_day, hashprice_usd_per_ph_day,
    hashprice_usd_per_th_day, joules_per_th, miner_breakeven_usd_per_kwh, miner_daily, network_hashrate_hs,
    payback_days, roi, MinerDaily, MiningTerms,
};
pub use market::{validate_height, Fees, Market, MarketBuilder, MarketFields};
pub use models::{Catalog, DeviceKind, DeviceModel};
