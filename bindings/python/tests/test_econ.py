"""hcp.econ from Python: the worked examples, error mapping and model catalog."""

from __future__ import annotations

import math

import pytest

import hcpcore as hcp


def market(**kw: float) -> hcp.Market:
    args: dict = dict(
        btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0, electricity_usd_per_kwh=0.05
    )
    args.update(kw)
    return hcp.Market(**args)


def test_worked_hashprice_example() -> None:
    assert hcp.econ.hashprice_usd_per_ph_day(market()) == pytest.approx(62.86, abs=0.005)


def test_halving_boundaries() -> None:
    assert hcp.econ.block_subsidy_btc(209_999) == 50.0
    assert hcp.econ.block_subsidy_btc(210_000) == 25.0
    assert hcp.econ.block_subsidy_btc(839_999) == 6.25
    assert hcp.econ.block_subsidy_btc(840_000) == 3.125
    assert hcp.econ.block_subsidy_btc(6_930_000) == 0.0


def test_miner_daily_fields() -> None:
    day = hcp.econ.miner_daily(hcp.models.S21, market(), pool_fee=0.0)
    assert day.energy_cost_usd == pytest.approx(4.2)
    assert day.profit_usd == pytest.approx(day.revenue_usd - day.energy_cost_usd)
    assert hcp.econ.miner_daily("S21", market()).revenue_usd == day.revenue_usd


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(btc_usd=math.nan), "btc_usd"),
        (dict(btc_usd=math.inf), "btc_usd"),
        (dict(btc_usd=-1.0), "btc_usd"),
        (dict(difficulty=0.0), "difficulty"),
        (dict(difficulty=-5.0), "difficulty"),
        (dict(height=-1), "height"),
        (dict(electricity_usd_per_kwh=-0.01), "electricity_usd_per_kwh"),
        (dict(fees_btc_per_block=None, fee_share=1.0), "fee_share"),
        (dict(fees_btc_per_block=None, fee_share=-0.1), "fee_share"),
    ],
)
def test_bad_market_is_invalid_input_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(hcp.InvalidInputError, match=field) as info:
        market(**kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, hcp.HcpError)
    assert info.value.kind == "InvalidInput"


def test_unknown_model_and_bad_efficiency() -> None:
    with pytest.raises(hcp.InvalidInputError, match="model"):
        hcp.econ.miner_daily("S9", market())
    with pytest.raises(hcp.InvalidInputError, match="hashrate_ths"):
        hcp.DeviceModel(name="X", kind="asic", power_watts=3000, hashrate_ths=0.0)
    with pytest.raises(hcp.InvalidInputError):
        hcp.econ.block_subsidy_btc(-1)


def test_market_replace_and_json_round_trip() -> None:
    m = market()
    m2 = m.replace(btc_usd=50_000)
    assert m2.btc_usd == 50_000 and m.btc_usd == 100_000
    assert hcp.Market.from_json(m.to_json()) == m
    with pytest.raises(hcp.InvalidInputError):
        m.replace(btc_usd=math.nan)
    with pytest.raises(hcp.InvalidInputError):
        hcp.Market.from_json("{")


def test_catalog_lists_every_builtin_model() -> None:
    names = [m.name for m in hcp.models.catalog()]
    assert names == ["S21", "S21_PRO", "S21_XP", "S21_HYDRO", "S19_XP", "H100_SXM", "H100_PCIE"]
    assert hcp.models.get("s21 xp").joules_per_th == 13.5


def test_batch_matches_scalar_and_names_bad_rows() -> None:
    import numpy as np

    m = market(fee_share=0.02, fees_btc_per_block=None)
    models = [hcp.models.S21, hcp.models.S21_XP, hcp.models.S19_XP]
    ths = np.array([x.hashrate_ths for x in models])
    watts = np.array([x.power_watts for x in models])
    r = hcp.econ.miner_daily_batch(m, ths, watts, pool_fee=0.02, pue=1.1)
    for i, x in enumerate(models):
        day = hcp.econ.miner_daily(x, m, pool_fee=0.02, pue=1.1)
        assert r.profit_usd_per_day[i] == pytest.approx(day.profit_usd, rel=1e-12)
        assert r["breakeven_usd_per_kwh"][i] == pytest.approx(
            hcp.econ.breakeven_usd_per_kwh(x, m, pool_fee=0.02, pue=1.1), rel=1e-12
        )
    out = tuple(np.empty(3) for _ in range(4))
    r2 = hcp.econ.miner_daily_batch(m, ths, watts, out=out, pool_fee=0.02, pue=1.1)  # type: ignore[arg-type]
    assert r2.profit_usd_per_day is out[2]
    with pytest.raises(hcp.InvalidInputError, match=r"power_watts: \[1\]"):
        hcp.econ.miner_daily_batch(m, ths, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(hcp.InvalidInputError, match="power_watts"):
        hcp.econ.miner_daily_batch(m, ths, np.array([1.0]))


def test_curtail_batch_agrees_with_best_action() -> None:
    import numpy as np

    m = market()
    prices = np.array([0.01, 0.05, 0.10, 0.20, 0.50])
    n = len(prices)
    r = hcp.econ.miner_curtail_batch(
        m, np.full(n, 200.0), np.full(n, 3500.0), np.full(n, 25.0), prices, demand_response_usd_per_mwh=10.0
    )
    assert r.mine.dtype == np.uint8
    for i, p in enumerate(prices):
        best = hcp.econ.best_action(
            "S21", m.replace(electricity_usd_per_kwh=float(p)), demand_response_usd_per_mwh=10.0
        )
        assert (r.mine[i] == 1) == (best.action == "mine")
        assert r.profit_usd_per_hour[i] == pytest.approx(best.profit_usd_per_hour, rel=1e-9)


def test_site_plan_respects_the_cap_and_decider_dwells() -> None:
    m = market(gpu_usd_per_hour=2.0)
    site = hcp.econ.Site({"S21": 1000, "H100_SXM": 512}, 4000.0, pue=1.1, gpu_utilisation=0.8)
    plan = site.plan(m)
    assert plan.facility_kw <= 4000.0 + 1e-9
    assert plan.groups[1].running == 512 and plan.devices_curtailed > 0
    base = site.plan_always_on(m)
    assert plan.profit_usd_per_hour >= base.profit_usd_per_hour - 1e-9
    d = hcp.econ.Decider("S21", policy={"min_dwell_seconds": 3600.0})
    dear = m.replace(electricity_usd_per_kwh=0.5)
    assert d.step(dear, 900).action == "sleep"
    assert d.step(m, 900).action == "sleep"  # still dwelling
    assert d.switches == 1
    with pytest.raises(hcp.InvalidInputError, match="dt_seconds"):
        d.step(m, 0.0)
    with pytest.raises(hcp.InvalidInputError, match="policy"):
        hcp.econ.Decider("S21", policy={"min_dwel": 1.0})


def test_batch_out_arrays_that_alias_are_refused_not_a_crash() -> None:
    import numpy as np

    m = market()
    ths, watts = np.array([200.0, 270.0]), np.array([3500.0, 3645.0])
    a, b, c = np.empty(2), np.empty(2), np.empty(2)
    with pytest.raises(hcp.InvalidInputError, match="out"):
        hcp.econ.miner_daily_batch(m, ths, watts, out=(a, a, b, c))  # type: ignore[arg-type]
    with pytest.raises(hcp.InvalidInputError, match="out"):
        hcp.econ.miner_daily_batch(m, ths, watts, out=(ths, a, b, c))  # type: ignore[arg-type]
