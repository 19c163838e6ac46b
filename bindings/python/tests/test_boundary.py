"""Regression cases of issue #10 for the Python binding: each crash class found by fuzzing, fixed
as a class (one converter for every argument, one depth limit, counts checked before allocating,
non-finite results refused), with the input that first showed it."""

# ruff: noqa: E501 — tables of entry points and cases, one per line
from __future__ import annotations

import math
import subprocess
import sys
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import hcpcore as hcp
from hcpcore.billing import Charge, Ledger, Plan
from hcpcore.limits import MAX_BATCH, MAX_DEPTH, MAX_FLEET_DEVICES, MAX_STEPS
from hcpcore.sim import H100, Fleet, ModelSpec

MARKET = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.1)
EVENT = {"event_id": "e1", "customer_id": "acme", "meter_code": "m", "quantity": "1",
         "timestamp": "2026-11-01T00:00:00Z", "properties": {}}  # fmt: skip


def deep(n: int, kind: str = "dict") -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": value} if kind == "dict" else [value]
    return value


def cyclic() -> dict[str, Any]:
    d: dict[str, Any] = {}
    d["a"] = d
    return d


def test_limits_are_the_cores() -> None:
    assert (MAX_BATCH, MAX_FLEET_DEVICES, MAX_STEPS, MAX_DEPTH) == (1 << 20, 1 << 20, 1 << 24, 64)
    assert hcp.limits.MIN_DT_SECONDS < hcp.limits.MAX_DT_SECONDS


def test_invalid_type_error_is_both_kinds() -> None:
    assert issubclass(hcp.InvalidTypeError, hcp.InvalidInputError)
    assert issubclass(hcp.InvalidTypeError, TypeError)
    assert issubclass(hcp.InvalidTypeError, ValueError)
    assert hcp.InvalidTypeError.kind == "InvalidInput"


# ---------------------------------------------------------------- 1. unbounded recursion ---

DEEP_ARGUMENTS = [
    ("router config", "config", lambda v: hcp.Router(config={"sites": v})),
    ("router kwargs", "config", lambda v: hcp.Router(sites=v)),
    ("router config list", "config", lambda v: hcp.Router(config=[v])),
    ("fleet config", "faults", lambda v: Fleet(faults=v)),
    ("fleet command", "command", lambda v: Fleet().command(0, {"command": "serve", "x": v})),
    ("fleet command args", "x", lambda v: Fleet().command(0, "serve", x=v)),
    ("H100 overrides", "overrides", lambda v: H100("sxm", overrides={"sm_count": v})),
    ("ModelSpec layers", "n_layers", lambda v: ModelSpec(params=8e9, layers={"n_layers": v})),
    ("decode model dict", "model", lambda v: H100().decode({"params": v}, 1)),
    ("Decider policy", "min_dwell_seconds", lambda v: hcp.econ.Decider("S21", policy={"min_dwell_seconds": v})),
    ("synthetic market config", "btc_usd", lambda v: hcp.sim.synthetic_market(1, 10, 60.0, btc_usd=v)),
    ("fleet synthetic market", "btc_usd", lambda v: Fleet().set_market_synthetic(1, btc_usd=v)),
    ("econ terms", "pue", lambda v: hcp.econ.miner_daily("S21", MARKET, pue=v)),
    ("billing event", "event", lambda v: hcp.billing.validate_event({**EVENT, "properties": {"p": v}})),
    ("billing charge", "charge", lambda v: Charge.from_dict({"model": "standard", "amount": v})),
    ("billing plan", "plan", lambda v: Plan.from_dict({"code": v})),
    ("billing ingest", "events", lambda v: Ledger.memory().ingest([{**EVENT, "properties": v}])),
    ("billing charge events", "events", lambda v: Charge.from_dict({"model": "percentage", "rate": "1"}).amount(events=[v])),
]  # fmt: skip


@pytest.mark.parametrize("case", DEEP_ARGUMENTS, ids=[c[0] for c in DEEP_ARGUMENTS])
@pytest.mark.parametrize("make", [lambda: deep(30_000), lambda: deep(30_000, "list"), cyclic, lambda: deep(200)],
                         ids=["30000-deep dict", "30000-deep list", "cyclic dict", "200-deep dict"])  # fmt: skip
def test_deep_or_cyclic_containers_are_invalid_input(case: Any, make: Any) -> None:
    _, field, call = case
    with pytest.raises(hcp.InvalidInputError) as info:
        call(make())
    assert str(info.value).split(":")[0] in (field, "config", "command", "model", "layers", "policy", "overrides"), info.value


def test_depth_limit_is_max_depth() -> None:
    # MAX_DEPTH levels of containers pass the converter (the core then judges the content) …
    with pytest.raises(hcp.InvalidInputError, match="^config: (?!nested)"):
        hcp.Router(config={"sites": deep(MAX_DEPTH - 2)})
    # … one more does not.
    with pytest.raises(hcp.InvalidInputError, match=f"^config: nested deeper than {MAX_DEPTH}"):
        hcp.Router(config={"sites": deep(MAX_DEPTH)})
    with pytest.raises(hcp.InvalidInputError, match=f"^config: nested deeper than {MAX_DEPTH}"):
        hcp.Router(config='{"sites":' + "[" * 100 + "]" * 100 + "}")


def test_deep_nesting_never_kills_the_process() -> None:
    # The original crash was a SIGSEGV: run it in a child so that a regression fails, not aborts, the suite.
    code = (
        "import hcpcore as hcp\nd = x = {}\nfor _ in range(30000): x['a'] = {}; x = x['a']\n"
        "try: hcp.Router(config=d)\nexcept hcp.InvalidInputError: print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-500:])


def test_endless_iterators_are_refused_not_looped_over() -> None:
    def endless() -> Any:
        while True:
            yield "acme"

    with pytest.raises(hcp.InvalidInputError, match="^customer_id:"):
        hcp.Router().submit_batch(endless(), "ai_inference_batch", n=3)
    with pytest.raises(hcp.InvalidInputError, match="^events:"):
        Ledger.memory().ingest(iter(lambda: EVENT, None))


# ---------------------------------------------------------------- 2. sizes before allocation

SIZES = [
    ("n", lambda: hcp.Router().submit_batch("a", "ai_inference_batch", n=2**62)),
    ("n", lambda: hcp.Router().submit_batch("a", "ai_inference_batch", n=2**45)),
    ("n", lambda: hcp.Router().submit_batch("a", "ai_inference_batch", n=MAX_BATCH + 1)),
    ("n", lambda: hcp.Router().submit_batch("a", "ai_inference_batch", n=-1)),
    ("customer_id", lambda: hcp.Router().submit_batch(range(2**40), "ai_inference_batch")),
    ("max", lambda: hcp.Router().dispatch_batch(-1)),
    ("max", lambda: hcp.Router().dispatch_batch(2**62)),
    ("max", lambda: hcp.Router().dispatch_batch(MAX_BATCH + 1)),
    ("workload_ids", lambda: hcp.Router().complete_batch(np.zeros(MAX_BATCH + 1, np.uint64))),
    ("gpus", lambda: Fleet().add_many(gpus=2**32 - 1)),
    ("gpus", lambda: Fleet().add_many(gpus=MAX_FLEET_DEVICES + 1)),
    ("miners", lambda: Fleet().add_many(gpus=MAX_FLEET_DEVICES, miners=1)),
    ("gpus", lambda: Fleet().add_many(gpus=-1)),
    ("steps", lambda: Fleet().run(2**62)),
    ("steps", lambda: Fleet().run(MAX_STEPS + 1)),
    ("devices", lambda: Fleet().command_many(range(MAX_FLEET_DEVICES + 1), "sleep")),
    ("steps", lambda: hcp.sim.replay_market("data/market", "2024-07-01T00:00:00Z", 2**62, 60.0)),
    ("steps", lambda: hcp.sim.synthetic_market(1, 2**62, 60.0)),
    ("steps", lambda: hcp.sim.synthetic_market(1, MAX_STEPS + 1, 60.0)),
    ("steps", lambda: hcp.sim.synthetic_market(1, -1, 60.0)),
    ("dt_seconds", lambda: hcp.sim.synthetic_market(1, 10, 1e308)),
    ("dt_seconds", lambda: hcp.sim.synthetic_market(1, 10, math.nan)),
    ("dt_seconds", lambda: hcp.sim.replay_market("data/market", "2024-07-01T00:00:00Z", 10, 1e12)),
    ("dt_seconds", lambda: H100().step(1.7976931348623157e308, tensor=0.5, dram=0.5)),
    ("dt_seconds", lambda: H100().step(0.0)),
]


@pytest.mark.parametrize("case", SIZES, ids=[f"{i}-{c[0]}" for i, c in enumerate(SIZES)])
def test_counts_are_checked_against_their_maximum_first(case: Any) -> None:
    field, call = case
    with pytest.raises(hcp.InvalidInputError, match=f"^{field}:"):
        call()


def test_billing_batches_are_bounded() -> None:
    text = "[" + ",".join(["1"] * (MAX_BATCH + 1)) + "]"
    with pytest.raises(hcp.InvalidInputError, match="^events:"):
        hcp._hcp.NativeLedger.memory().ingest_json(text)


# ---------------------------------------------------------------- 3. wrong error types ----

WRONG_TYPES: list[tuple[str, str, Any]] = [
    ("height 2**70", "height", lambda: hcp.Market(btc_usd=1, difficulty=1, height=2**70)),
    ("replace height 2**70", "height", lambda: MARKET.replace(height=2**70)),
    ("replace btc_usd nan", "btc_usd", lambda: MARKET.replace(btc_usd=math.nan)),
    ("replace btc_usd str", "btc_usd", lambda: MARKET.replace(btc_usd="1")),
    ("replace unknown", "bogus", lambda: MARKET.replace(bogus=1)),
    ("Market btc_usd 10**400", "btc_usd", lambda: hcp.Market(btc_usd=10**400, difficulty=1, height=1)),
    ("Router.complete -1", "workload_id", lambda: hcp.Router().complete(-1)),
    ("Router.workload 2**64", "workload_id", lambda: hcp.Router().workload(2**64)),
    ("Router.start str", "workload_id", lambda: hcp.Router().start("1")),
    ("dispatch_batch -1", "max", lambda: hcp.Router().dispatch_batch(-1)),
    ("dispatch_batch float", "max", lambda: hcp.Router().dispatch_batch(1.5)),
    ("submit priority 2**70", "priority", lambda: hcp.Router().submit("a", "ai_inference_batch", priority=2**70)),
    ("submit customer int", "customer_id", lambda: hcp.Router().submit(1, "ai_inference_batch")),
    ("submit surrogate", "customer_id", lambda: hcp.Router().submit("\ud800", "ai_inference_batch")),
    ("set_customer weight -1", "weight", lambda: hcp.Router().set_customer("a", weight=-1)),
    ("set_market str", "market", lambda: hcp.Router().set_market("market")),
    ("three-array out", "out", lambda: hcp.econ.miner_daily_batch(MARKET, [1.0], [1.0], out=(np.zeros(1),) * 3)),
    ("out not arrays", "out[0]", lambda: hcp.econ.miner_daily_batch(MARKET, [1.0], [1.0], out=([0.0],) * 4)),
    ("out int arrays", "out[1]", lambda: hcp.econ.miner_curtail_batch(MARKET, [1.0], [1.0], [1.0], [1.0],
                                                                       out=(np.zeros(1, np.uint8), np.zeros(1, np.int64), np.zeros(1)))),  # fmt: skip
    ("2-D array", "hashrate_ths", lambda: hcp.econ.miner_daily_batch(MARKET, np.zeros((2, 2)), np.zeros(2))),
    ("string array", "power_watts", lambda: hcp.econ.miner_daily_batch(MARKET, [1.0], ["x"])),
    ("range(2**62) as array", "electricity_usd_per_kwh", lambda: hcp.econ.miner_daily_batch(MARKET, [1.0], [1.0], range(2**62))),
    ("list longer than a batch", "power_watts", lambda: hcp.econ.gpu_daily_batch(MARKET, [0.0] * (MAX_BATCH + 1), [1.0], [1.0])),
    ("array None", "hashrate_ths", lambda: hcp.econ.miner_daily_batch(MARKET, None, [1.0])),
    ("Site one-tuple", "devices", lambda: hcp.econ.Site([("S21",)], 100.0)),
    ("Site count -1", "count", lambda: hcp.econ.Site({"S21": -1}, 100.0)),
    ("Site count str", "count", lambda: hcp.econ.Site({"S21": "1"}, 100.0)),
    ("Site not pairs", "devices", lambda: hcp.econ.Site(5, 100.0)),
    ("hashprice market str", "market", lambda: hcp.econ.hashprice_usd_per_ph_day("m")),
    ("block_subsidy 2**70", "height", lambda: hcp.econ.block_subsidy_btc(2**70)),
    ("model int", "model", lambda: hcp.econ.miner_daily(5, MARKET)),
    ("step_series not markets", "markets", lambda: hcp.econ.Decider("S21").step_series([1], 60.0)),
    ("Decider policy list", "policy", lambda: hcp.econ.Decider("S21", policy=[1])),
    ("decode context -1", "context_tokens", lambda: H100().decode(ModelSpec(params=8e9), 1, context_tokens=-1)),
    ("decode batch str", "batch", lambda: H100().decode(ModelSpec(params=8e9), "1")),
    ("decode model int", "model", lambda: H100().decode(5, 1)),
    ("H100 variant int", "variant", lambda: H100(5)),
    ("fleet device 2**70", "device", lambda: Fleet().state(2**70)),
    ("fleet seed -1", "seed", lambda: Fleet().set_market_synthetic(-1)),
    ("synthetic seed 2**64", "seed", lambda: hcp.sim.synthetic_market(2**64, 1, 60.0)),
    ("cgminer when 2**70", "when_unix", lambda: Fleet().cgminer(0, "summary", 2**70)),
    ("billing NaN beside numpy", "quantity",
     lambda: hcp.billing.validate_event({**EVENT, "quantity": math.nan, "properties": {"x": np.float32(1)}})),
    ("billing numpy NaN", "quantity", lambda: hcp.billing.validate_event({**EVENT, "quantity": np.float64("nan")})),
    ("billing set of objects", "event", lambda: hcp.billing.validate_event({**EVENT, "properties": {"x": object()}})),
    ("billing dict int keys", "event", lambda: hcp.billing.validate_event({**EVENT, "properties": {1: math.nan}})),
    ("catalog /dev/zero", "path", lambda: hcp.models.catalog("/dev/zero")),
    ("catalog path int", "path", lambda: hcp.models.catalog(5)),  # type: ignore[arg-type]
    ("ledger path int", "path", lambda: Ledger(5)),  # type: ignore[arg-type]
    ("ledger usage customer int", "customer_id", lambda: Ledger.memory().usage(5, ["m"])),  # type: ignore[arg-type]
    ("ledger usage codes str", "meter_codes", lambda: Ledger.memory().usage("a", "m")),
    ("ledger plan not a plan", "plan", lambda: Ledger.memory().preview_invoice("p", {}, "2026-11-01")),  # type: ignore[arg-type]
    ("ledger at int", "at", lambda: Ledger.memory().preview_invoice(Plan.from_dict({"code": "p", "currency": "USD"}), {}, 5)),  # type: ignore[arg-type]
    ("round_amount currency int", "currency", lambda: hcp.billing.round_amount("1", 5)),  # type: ignore[arg-type]
    ("amount units object", "units", lambda: Charge.from_dict({"model": "standard", "amount": "1"}).amount(object())),  # type: ignore[arg-type]
    ("budget numpy", "budget", lambda: Ledger.memory().budget_status(Plan.from_dict({"code": "p", "currency": "USD"}),
                                                                      {}, "2026-11-01", [1])),  # type: ignore[arg-type]  # fmt: skip
]


@pytest.mark.parametrize("case", WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_bad_values_are_hcp_errors_naming_the_field(case: Any) -> None:
    _, field, call = case
    with pytest.raises(hcp.HcpError) as info:
        call()
    err = info.value
    assert isinstance(err, hcp.InvalidInputError), repr(err)
    assert str(err).startswith(field), str(err)
    if isinstance(err, TypeError):
        assert isinstance(err, hcp.InvalidTypeError)


def test_market_constructor_and_replace_agree() -> None:
    for value in (2**70, -(2**70), 2.5, "1", math.nan, None):
        errors = []
        calls = (lambda v=value: hcp.Market(btc_usd=1, difficulty=1, height=v), lambda v=value: MARKET.replace(height=v))
        for call in calls:
            try:
                call()
                errors.append(None)
            except hcp.HcpError as err:
                errors.append((type(err), str(err)))
        assert errors[0] == errors[1], (value, errors)


def test_numpy_scalars_and_defaults_still_work() -> None:
    r = hcp.Router()
    wid = r.submit("a", "ai_inference_batch", priority=np.int64(3), gpu_memory_gb=np.float32(2))
    assert r.workload(np.uint64(wid)).priority == 3
    assert r.submit_batch(["a", "b"], "ai_inference_batch").tolist() == [wid + 1, wid + 2]
    assert r.complete_batch([wid + 5]).tolist() == [False]
    assert hcp.Market(btc_usd=np.float64(1e5), difficulty=1e14, height=np.int32(1)).height == 1
    assert hcp.billing.validate_event({**EVENT, "quantity": np.float64(1.5)})["quantity"] == Decimal("1.5")
    f = Fleet()
    f.add_many(gpus=np.int64(2))
    f.command_many(np.array([0, 1]), "sleep")
    assert len(f) == 2
    assert hcp.econ.Site([("S21", np.uint32(3))], 10.0).cap_kw == 10.0


# ---------------------------------------------------------------- 4. non-finite results ----


def test_records_never_show_nan_as_none() -> None:
    # A non-finite float in any serde result is refused by the binding (InternalError naming its
    # path), never shown as None: checked here on the converter with a result the core made.
    d = hcp.sim.H100().decode(ModelSpec(params=8e9), 1)
    assert all(v is not None for v in d.values() if not isinstance(v, (list, dict)))


CORE_NON_FINITE = [  # inputs whose core result was not finite; the core now refuses them by name
    lambda: hcp.econ.network_hashrate_hs(1e300),
    lambda: hcp.econ.payback_days(2, 5e-324),
    lambda: hcp.econ.roi(2.2250738585e-313, 10.0, 2147483648),
    lambda: hcp.econ.roi(5e-324, 10.0, 365.0),
    # Found by make fuzz-python after the core's first fixes: tokens_per_second has no upper bound.
    lambda: hcp.econ.gpu_hourly("H100_SXM", MARKET.replace(usd_per_million_tokens=0.5), tokens_per_second=1e308).revenue_usd,
    lambda: hcp.econ.breakeven_usd_per_kwh("H100_SXM", MARKET.replace(usd_per_million_tokens=0.5), tokens_per_second=1e308),
]


@pytest.mark.parametrize("call", CORE_NON_FINITE)
def test_core_non_finite_results_never_reach_python(call: Any) -> None:
    # The core refuses these inputs (InvalidInputError naming the field) or bounds the result
    # (payback None past 10^6 days); a non-finite float never comes back.
    try:
        value = call()
    except hcp.HcpError as err:
        assert isinstance(err, hcp.InvalidInputError), repr(err)
    else:
        assert value is None or math.isfinite(value)


def test_difficulty_past_its_stated_range_is_refused_by_name() -> None:
    # difficulty=1e300 once overflowed the core's hashrate to inf; the core now refuses it.
    with pytest.raises(hcp.InvalidInputError, match="^difficulty"):
        hcp.econ.network_hashrate_hs(1e300)
