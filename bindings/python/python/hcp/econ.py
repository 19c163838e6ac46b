"""Mining and inference economics: hashprice, a miner's day, break-evens, decisions, site plans.

Every function takes a :class:`hcp.Market` snapshot; models are :mod:`hcp.models` entries or
catalog names. Bad input raises :class:`hcp.InvalidInputError` naming the field.

>>> import hcp
>>> m = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0)
>>> round(hcp.econ.hashprice_usd_per_ph_day(m), 2)
62.86
"""

from __future__ import annotations

from hcp._hcp import (
    Market,
    MinerDaily,
    block_reward_btc,
    block_subsidy_btc,
    block_subsidy_sats,
    breakeven_btc_usd,
    breakeven_usd_per_kwh,
    expected_btc_per_day,
    hashcost_usd_per_th_day,
    hashprice_btc_per_ph_day,
    hashprice_btc_per_th_day,
    hashprice_usd_per_ph_day,
    hashprice_usd_per_th_day,
    joules_per_th,
    miner_daily,
    network_hashrate_hs,
    payback_days,
    roi,
)

__all__ = [
    "Market",
    "MinerDaily",
    "block_reward_btc",
    "block_subsidy_btc",
    "block_subsidy_sats",
    "breakeven_btc_usd",
    "breakeven_usd_per_kwh",
    "expected_btc_per_day",
    "hashcost_usd_per_th_day",
    "hashprice_btc_per_ph_day",
    "hashprice_btc_per_th_day",
    "hashprice_usd_per_ph_day",
    "hashprice_usd_per_th_day",
    "joules_per_th",
    "miner_daily",
    "network_hashrate_hs",
    "payback_days",
    "roi",
]
