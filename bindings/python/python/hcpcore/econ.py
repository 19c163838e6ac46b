"""Mining and inference economics: hashprice, a miner's day, break-evens, decisions, site plans.

Every function takes a :class:`hcp.Market` snapshot; models are :mod:`hcpcore.models` entries or
catalog names. Site terms are keyword arguments wherever they apply: ``pool_fee`` (0–1),
``pue`` (≥ 1), ``gpu_utilisation`` (0–1), ``tokens_per_second`` (GPU earns from tokens instead
of rental), ``demand_response_usd_per_mwh``. Bad input raises :class:`hcp.InvalidInputError`
naming the field. Structured results are :class:`Record` (a dict with attribute access).

>>> import hcpcore as hcp
>>> m = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0)
>>> round(hcp.econ.hashprice_usd_per_ph_day(m), 2)
62.86
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

import numpy as np
import numpy.typing as npt

from hcpcore import _hcp
from hcpcore._hcp import (
    Decider,
    Market,
    MinerDaily,
    Site,
    action_values,
    best_action,
    block_reward_btc,
    block_subsidy_btc,
    block_subsidy_sats,
    breakeven_btc_usd,
    breakeven_usd_per_kwh,
    expected_btc_per_day,
    gpu_daily,
    gpu_hourly,
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
from hcpcore._record import Record
from hcpcore.errors import InvalidInputError, InvalidTypeError, OutOfMemoryError
from hcpcore.limits import MAX_BATCH

_Columns = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _f64(x: npt.ArrayLike, field: str) -> npt.NDArray[np.float64]:
    """A contiguous 1-D float64 array of ``x``; what numpy cannot convert is ``InvalidInputError``
    (``InvalidTypeError`` for a value of the wrong type) naming ``field``."""
    if isinstance(x, (str, bytes, dict)) or x is None:
        raise InvalidTypeError(f"{field}: expected an array of numbers, got {type(x).__name__}")
    if not isinstance(x, np.ndarray) and isinstance(x, Sized):
        # Converting allocates: a sequence longer than a batch is refused first (a caller's
        # numpy array is used as it is, whatever its length).
        try:
            n = len(x)
        except (TypeError, OverflowError):
            raise InvalidInputError(f"{field}: has no usable length") from None
        if n > MAX_BATCH:
            raise InvalidInputError(f"{field}: has {n} items, at most {MAX_BATCH} unless a numpy array")
    try:
        a = np.ascontiguousarray(x, dtype=np.float64)
    except TypeError as err:
        raise InvalidTypeError(f"{field}: {err}") from None
    except (ValueError, OverflowError) as err:
        raise InvalidInputError(f"{field}: {err}") from None
    except MemoryError:
        raise OutOfMemoryError(f"{field}: out of memory converting to a float64 array") from None
    if a.ndim != 1:
        raise InvalidInputError(f"{field}: must be one-dimensional, got {a.ndim} dimensions")
    return a


def miner_daily_batch(
    market: Market,
    hashrate_ths: npt.ArrayLike,
    power_watts: npt.ArrayLike,
    electricity_usd_per_kwh: npt.ArrayLike | None = None,
    *,
    out: _Columns | None = None,
    **terms: Any,
) -> Record:
    """Mining economics per day for arrays of miners, computed in Rust with the GIL released.

    Returns a :class:`Record` of float64 arrays ``revenue_usd_per_day``, ``energy_cost_usd_per_day``,
    ``profit_usd_per_day`` and ``breakeven_usd_per_kwh`` (``pandas.DataFrame(result)`` works).
    ``electricity_usd_per_kwh`` may give a price per device; ``out`` reuses four arrays.
    """
    price = None if electricity_usd_per_kwh is None else _f64(electricity_usd_per_kwh, "electricity_usd_per_kwh")
    result: Record = _hcp.miner_daily_batch(
        market, _f64(hashrate_ths, "hashrate_ths"), _f64(power_watts, "power_watts"), price, out=out, **terms
    )
    return result


def gpu_daily_batch(
    market: Market,
    power_watts: npt.ArrayLike,
    idle_watts: npt.ArrayLike,
    utilisation: npt.ArrayLike,
    electricity_usd_per_kwh: npt.ArrayLike | None = None,
    *,
    out: _Columns | None = None,
    **terms: Any,
) -> Record:
    """GPU economics per day for arrays of serving GPUs (TDP, idle power and utilisation each)."""
    price = None if electricity_usd_per_kwh is None else _f64(electricity_usd_per_kwh, "electricity_usd_per_kwh")
    result: Record = _hcp.gpu_daily_batch(
        market,
        _f64(power_watts, "power_watts"),
        _f64(idle_watts, "idle_watts"),
        _f64(utilisation, "utilisation"),
        price,
        out=out,
        **terms,
    )
    return result


def miner_curtail_batch(
    market: Market,
    hashrate_ths: npt.ArrayLike,
    power_watts: npt.ArrayLike,
    sleep_watts: npt.ArrayLike,
    electricity_usd_per_kwh: npt.ArrayLike,
    *,
    out: tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
    **terms: Any,
) -> Record:
    """Mine or sleep, per miner, at one snapshot: a fleet spread over sites and tariffs in one call.

    Returns a :class:`Record` with ``mine`` (uint8, 1 = mine), ``profit_usd_per_hour`` of the chosen
    action and ``breakeven_usd_per_kwh`` (mine below it). Same rule as :func:`best_action`.
    """
    result: Record = _hcp.miner_curtail_batch(
        market,
        _f64(hashrate_ths, "hashrate_ths"),
        _f64(power_watts, "power_watts"),
        _f64(sleep_watts, "sleep_watts"),
        _f64(electricity_usd_per_kwh, "electricity_usd_per_kwh"),
        out=out,
        **terms,
    )
    return result


__all__ = [
    "Decider",
    "Market",
    "MinerDaily",
    "Record",
    "Site",
    "action_values",
    "best_action",
    "block_reward_btc",
    "block_subsidy_btc",
    "block_subsidy_sats",
    "breakeven_btc_usd",
    "breakeven_usd_per_kwh",
    "expected_btc_per_day",
    "gpu_daily",
    "gpu_daily_batch",
    "gpu_hourly",
    "hashcost_usd_per_th_day",
    "hashprice_btc_per_ph_day",
    "hashprice_btc_per_th_day",
    "hashprice_usd_per_ph_day",
    "hashprice_usd_per_th_day",
    "joules_per_th",
    "miner_daily",
    "miner_curtail_batch",
    "miner_daily_batch",
    "network_hashrate_hs",
    "payback_days",
    "roi",
]
