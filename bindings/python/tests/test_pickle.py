"""Pickling: the objects a user sends to Ray, multiprocessing or dask workers come back equal.

Market, DeviceModel and econ.Site rebuild themselves through their public constructors with plain
Python values (``copyreg.__newobj_ex__``), so floats cross exactly and an unpickled object is
validated like a new one; results (``Record``) are dicts and pickle as such.
"""

from __future__ import annotations

import copy
import multiprocessing
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hcpcore as hcp

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)

MARKET = hcp.Market(
    btc_usd=95_123.456789,
    difficulty=1.1e14,
    height=880_000,
    fee_share=0.015,
    electricity_usd_per_kwh=0.0412345,
    gpu_usd_per_hour=2.3,
    usd_per_million_tokens=0.07,
)


def roundtrip(obj: object, protocol: int = pickle.HIGHEST_PROTOCOL) -> object:
    return pickle.loads(pickle.dumps(obj, protocol=protocol))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_market_every_protocol(protocol: int) -> None:
    back = roundtrip(MARKET, protocol)
    assert isinstance(back, hcp.Market)
    assert back == MARKET
    assert back.fee_share == 0.015 and back.fees_btc_per_block is None
    assert repr(back) == repr(MARKET)


def test_market_with_fees_per_block_keeps_that_form() -> None:
    m = MARKET.replace(fees_btc_per_block=0.02)
    back = roundtrip(m)
    assert back == m
    assert back.fees_btc_per_block == 0.02 and back.fee_share is None


@settings(max_examples=200, deadline=None)
@given(
    btc_usd=st.floats(min_value=1e-3, max_value=1e7, allow_nan=False),
    difficulty=st.floats(min_value=1.0, max_value=1e18, allow_nan=False),
    height=st.integers(min_value=0, max_value=6_929_999),
    fees=st.floats(min_value=0.0, max_value=100.0, allow_nan=False),
    electricity=st.floats(min_value=0.0, max_value=10.0, allow_nan=False),
)
def test_market_floats_cross_exactly(
    btc_usd: float, difficulty: float, height: int, fees: float, electricity: float
) -> None:
    m = hcp.Market(
        btc_usd=btc_usd,
        difficulty=difficulty,
        height=height,
        fees_btc_per_block=fees,
        electricity_usd_per_kwh=electricity,
    )
    back = roundtrip(m)
    assert back == m
    assert back.btc_usd == btc_usd and back.difficulty == difficulty
    assert hcp.econ.hashprice_usd_per_ph_day(back) == hcp.econ.hashprice_usd_per_ph_day(m)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_catalog_model(protocol: int) -> None:
    for model in hcp.models.catalog():
        back = roundtrip(model, protocol)
        assert isinstance(back, hcp.DeviceModel)
        assert back == model and hash(back) == hash(model)
        assert back.kind == model.kind and back.sleep_watts == model.sleep_watts


def test_custom_model() -> None:
    future = hcp.DeviceModel.asic("S23 what-if", 300.0, 9.5)
    assert roundtrip(future) == future
    assert copy.deepcopy(future) == future


def site() -> hcp.econ.Site:
    future = hcp.DeviceModel.asic("S23 what-if", 300.0, 9.5)
    return hcp.econ.Site(
        [("S21", 1000), (future, 20), ("H100_SXM", 512)],
        4000,
        pue=1.1,
        pool_fee=0.02,
        gpu_utilisation=0.7,
        demand_response_usd_per_mwh=25.0,
    )


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_econ_site_plans_alike(protocol: int) -> None:
    original = site()
    back = roundtrip(original, protocol)
    assert isinstance(back, hcp.econ.Site)
    assert back == original
    assert back.cap_kw == 4000.0
    assert back.plan(MARKET) == original.plan(MARKET)
    assert back.plan_always_on(MARKET) == original.plan_always_on(MARKET)
    assert "S23 what-if" in repr(back)


def test_site_terms_survive() -> None:
    tokens = hcp.econ.Site({"H100_SXM": 8}, 10, gpu_utilisation=0.5, tokens_per_second=2500.0)
    back = roundtrip(tokens)
    assert back == tokens
    assert back != hcp.econ.Site({"H100_SXM": 8}, 10, gpu_utilisation=0.5)
    assert back.plan(MARKET) == tokens.plan(MARKET)


def test_copy_module() -> None:
    assert copy.copy(MARKET) == MARKET
    assert copy.deepcopy(site()) == site()


def test_results_pickle_as_records() -> None:
    plan = site().plan(MARKET)
    back = roundtrip(plan)
    assert isinstance(back, hcp.econ.Record)
    assert back == plan
    assert back.profit_usd_per_hour == plan.profit_usd_per_hour


def test_tampered_pickle_is_validated_like_a_constructor_call() -> None:
    # An unpickled object goes through the constructor: a bad value is refused, naming the field.
    data = pickle.dumps(MARKET, protocol=0).replace(b"95123.456789", b"-95123.456789")
    with pytest.raises(hcp.InvalidInputError, match="btc_usd"):
        pickle.loads(data)


def _plan_profit(args: tuple[hcp.econ.Site, hcp.Market]) -> float:
    s, m = args
    profit: float = s.plan(m).profit_usd_per_hour
    return profit


def test_across_processes() -> None:
    # A real worker process (spawn: nothing inherited, everything pickled) computes the same plan.
    s = site()
    markets = [MARKET.replace(btc_usd=b) for b in (40_000.0, 95_000.0, 150_000.0)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        remote = pool.map(_plan_profit, [(s, m) for m in markets])
    assert remote == [s.plan(m).profit_usd_per_hour for m in markets]
