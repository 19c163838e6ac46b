"""What if BTC halves and power spikes? A data scientist's scenario sweep over a miner fleet.

A fleet of 100,000 miners (the five catalog ASIC models) spread over sites that pay different
power prices is evaluated under a grid of scenarios: BTC price ×{0.5, 0.75, 1, 1.25} and power
price ×{1, 2, 4} (a heat wave). For each scenario hcp decides mine-or-sleep for every miner in one
call (hcp.econ.miner_curtail_batch) and we report the fleet's profit per hour, the share it would
curtail and the hashrate kept. Run: `.venv/bin/python examples/python/what_if.py` after `make python`.
"""

from __future__ import annotations

import time

import numpy as np

import hcpcore as hcp


def fleet(n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    models = [hcp.models.S21, hcp.models.S21_PRO, hcp.models.S21_XP, hcp.models.S21_HYDRO, hcp.models.S19_XP]
    pick = rng.integers(0, len(models), n)
    ths = np.array([m.hashrate_ths for m in models])[pick] * rng.normal(1.0, 0.03, n)
    watts = np.array([m.power_watts for m in models])[pick]
    sleep = np.array([m.sleep_watts for m in models])[pick]
    # Sites on different tariffs: all-in $/kWh between 3 and 9 cents.
    price = rng.choice([0.03, 0.045, 0.06, 0.075, 0.09], n)
    return ths, watts, sleep, price


def main() -> None:
    n = 100_000
    ths, watts, sleep, base_price = fleet(n)
    today = hcp.Market(btc_usd=95_000, difficulty=1.1e14, height=880_000, fee_share=0.015)
    print(
        f"fleet: {n:,} miners, {ths.sum() / 1e6:,.1f} EH/s, {watts.sum() / 1e6:,.1f} MW; "
        f"hashprice today ${hcp.econ.hashprice_usd_per_ph_day(today):,.2f}/PH/day\n"
    )
    print(f"{'BTC':>9} {'power x':>8} {'profit $/h':>12} {'curtailed':>10} {'EH/s kept':>10}")
    started = time.perf_counter()
    for btc_factor in (0.5, 0.75, 1.0, 1.25):
        market = today.replace(btc_usd=today.btc_usd * btc_factor)
        for power_factor in (1.0, 2.0, 4.0):
            r = hcp.econ.miner_curtail_batch(
                market, ths, watts, sleep, base_price * power_factor, pool_fee=0.02, pue=1.08
            )
            kept = ths[r.mine == 1].sum() / 1e6
            print(
                f"{market.btc_usd:>9,.0f} {power_factor:>8.1f} {r.profit_usd_per_hour.sum():>12,.0f} "
                f"{1 - r.mine.mean():>10.1%} {kept:>10,.2f}"
            )
    elapsed = time.perf_counter() - started
    print(f"\n12 scenarios x {n:,} miners decided in {elapsed * 1e3:.1f} ms")
    try:
        hcp.econ.miner_curtail_batch(today, ths, watts, sleep, base_price * np.nan)
    except hcp.InvalidInputError as err:
        print(f"bad input is refused, naming the field: {err}")


if __name__ == "__main__":
    main()
