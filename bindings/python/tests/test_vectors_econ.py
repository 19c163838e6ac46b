"""Replays tests/vectors/econ.json, the cases the Rust, Node and Go suites replay too."""

from __future__ import annotations

from typing import Any

import pytest
from vectors import close, load, num

import hcpcore as hcp

DOC = load("econ")
TERM_KEYS = ("pool_fee", "pue", "gpu_utilisation", "tokens_per_second", "demand_response_usd_per_mwh")


def market(v: dict[str, Any]) -> hcp.Market:
    kw = {k: (num(x) if k != "height" else x) for k, x in v.items()}
    return hcp.Market(**kw)


def model(v: Any) -> Any:
    if isinstance(v, str):
        return v
    return hcp.DeviceModel.asic(v["name"], num(v["hashrate_ths"]), num(v["joules_per_th"]))


def terms(a: dict[str, Any]) -> dict[str, float]:
    return {k: num(a[k]) for k in TERM_KEYS if k in a}


def run(op: str, a: dict[str, Any]) -> Any:
    if op in ("block_subsidy_btc", "block_subsidy_sats"):
        return getattr(hcp.econ, op)(a["height"])
    if op.startswith("hashprice_"):
        return getattr(hcp.econ, op)(market(a["market"]))
    if op == "network_hashrate_hs":
        return hcp.econ.network_hashrate_hs(num(a["difficulty"]))
    if op == "expected_btc_per_day":
        return hcp.econ.expected_btc_per_day(num(a["hashrate_ths"]), market(a["market"]))
    if op == "market":
        m = market(a["market"])
        return {k: getattr(m, k) for k in ("btc_usd", "difficulty", "height", "fees_btc_per_block", "fee_share",
                                          "electricity_usd_per_kwh", "gpu_usd_per_hour", "usd_per_million_tokens")}
    if op == "miner_daily":
        d = hcp.econ.miner_daily(model(a["model"]), market(a["market"]), **terms(a))
        return {k: getattr(d, k) for k in ("btc", "revenue_usd", "energy_kwh", "energy_cost_usd", "profit_usd")}
    if op == "breakeven_usd_per_kwh":
        return hcp.econ.breakeven_usd_per_kwh(model(a["model"]), market(a["market"]), **terms(a))
    if op == "gpu_hourly":
        return hcp.econ.gpu_hourly(model(a["model"]), market(a["market"]), **terms(a))
    if op == "site_plan":
        site = hcp.econ.Site([(model(d["model"]), d["count"]) for d in a["devices"]], num(a["cap_kw"]), **terms(a))
        plan = site.plan(market(a["market"]))
        plan["running"] = [g["running"] for g in plan["groups"]]
        plan["curtailed"] = [g["curtailed"] for g in plan["groups"]]
        return plan
    if op == "decide_series":
        d = hcp.econ.Decider(model(a["model"]), initial=a["initial"], policy=a["policy"], **terms(a))
        base = market(a["market"])
        actions = d.step_series([base.replace(electricity_usd_per_kwh=num(p)) for p in a["electricity_usd_per_kwh"]],
                                num(a["dt_seconds"]))
        return {"switches": d.switches, "actions": actions}
    raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_econ_vector(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(hcp.HcpError) as info:
            run(case["op"], case["args"])
        assert info.value.kind == expect["error"]
        assert str(info.value).startswith(expect["field"] + ":"), str(info.value)
    else:
        got = run(case["op"], case["args"])
        close(got, expect["value"], num(case.get("rel_tol", 1e-9)), num(case.get("abs_tol", 0.0)))
