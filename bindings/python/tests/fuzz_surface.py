"""The public surface of the Python package as a table for the fuzzer (tests/test_fuzz.py).

Each :class:`Entry` is one public constructor, function or method: how to call it (``call``,
given the drawn arguments), a valid value for each parameter (so that a draw can change one or
two arguments and reach the checks behind the first), and which parameters are keyword-only or
free ``**kwargs`` names. :func:`bad_values` draws what a careless or hostile caller passes:
huge and negative ints, NaN/inf, wrong types, deep and cyclic containers, empty, huge and
non-UTF-8-encodable strings, numpy scalars and arrays of the wrong shape or dtype.

The property checked for every call: it returns a value whose floats are all finite, or raises
an ``hcp.HcpError`` (never another exception type, never a crash).
"""

# ruff: noqa: E501 — tables of entry points and cases, one per line
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import hcpcore as hcp
import numpy as np
from hcpcore.billing import Charge, Ledger, Plan, Subscription
from hcpcore.sim import H100, Fleet, ModelSpec
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
MARKET_DIR = str(ROOT / "data" / "market")
L = hcp.limits

# ------------------------------------------------------------------ bad values -------------

EDGE_INTS = [
    -1, 0, 1, 2, 7, 255, -(2**31), 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**53 + 1, 2**62, 2**63 - 1,
    2**63, 2**64 - 1, 2**64, 2**70, -(2**63), -(2**63) - 1, -(2**70), 10**400,
    L.MAX_BATCH + 1, L.MAX_STEPS + 1, L.MAX_FLEET_DEVICES + 1,
]  # fmt: skip
EDGE_FLOATS = [
    math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e300, 1e308,
    -1e308, 1.7976931348623157e308, 0.5, -1.0, 1e12, 2.0**63, 9.007199254740993e15, 1e-3, 31557600.0, 31557601.0,
]  # fmt: skip


def _deep(n: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(n):
        value = {"a": value} if kind == "dict" else [value]
    return value


def _cyclic_dict() -> dict[str, Any]:
    d: dict[str, Any] = {"model": "standard"}
    d["self"] = d
    return d


def _cyclic_list() -> list[Any]:
    x: list[Any] = [1]
    x.append(x)
    return x


def _endless() -> Any:
    def gen() -> Any:
        while True:
            yield 1

    return gen()


class _Opaque:
    """An object of no type the package knows."""


SPECIAL = [
    None, True, False, b"bytes", b"", bytearray(b"x"), "", "\ud800", "\x00", "x" * 100_000, "nan", "inf", "-1",
    "1e400", "S21", "sxm", "gpu", "H100_SXM", "summary", "2026-11-01T00:00:00Z", "2026-13-45", "{", "[]", "{}",
    "null", '{"a":' * 200 + "1" + "}" * 200, [], {}, (), set(), [1, 2], (1,), ("S21",), ("S21", 1, 2), [("S21",)],
    {"S21": -1}, {1: 2}, {"a": math.nan}, Decimal("NaN"), Decimal("sNaN"), Decimal("-Infinity"), Decimal("1e999999"),
    Decimal("0.1"), dt.datetime(2026, 11, 1), dt.date(2026, 11, 1), complex(1, 2), object(), _Opaque(), range(3),
    range(2**62), np.float64("nan"), np.float32(1e38), np.int64(-1), np.uint64(2**64 - 1), np.int8(-128),
    np.bool_(True), np.array(1.0), np.array([]), np.zeros((2, 2)), np.array(["a", "b"]), np.array([1, 2], np.int32),
    np.array([1.0, math.nan]), np.array([2**64 - 1], np.uint64), np.zeros(5)[::2], np.array([-1], np.int64),
    np.zeros(3, np.float32), np.ones(2, np.uint8), hcp.Market, len, Path("/nonexistent/x"), Path("/dev/null"),
]  # fmt: skip

FACTORIES = [
    lambda: _deep(30_000, "dict"), lambda: _deep(30_000, "list"), lambda: _deep(65, "dict"), lambda: _deep(64, "list"),
    _cyclic_dict, _cyclic_list, _endless, lambda: iter([1, 2, 3]), lambda: [math.nan] * 3, lambda: {"x": [1e309]},
]  # fmt: skip

_json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8), st.sampled_from(EDGE_INTS)
)
json_like = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def bad_values() -> st.SearchStrategy[Any]:
    """Bad and edge values of every kind (fresh objects each draw: containers are mutable)."""
    return st.one_of(
        st.sampled_from(EDGE_INTS),
        st.sampled_from(EDGE_FLOATS),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(range(len(SPECIAL))).map(lambda i: SPECIAL[i]),
        st.sampled_from(FACTORIES).map(lambda f: f()),
        json_like,
    )


# ------------------------------------------------------------------ the surface ------------

MARKET = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.1,
                    electricity_usd_per_kwh=0.05, gpu_usd_per_hour=2.0, usd_per_million_tokens=0.5)  # fmt: skip
TERMS = {"pool_fee": 0.02, "pue": 1.1, "gpu_utilisation": 0.8, "tokens_per_second": 1000.0,
         "demand_response_usd_per_mwh": 10.0}  # fmt: skip
PLAN = {
    "code": "gpu", "currency": "USD", "interval": "monthly",
    "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
    "charges": [{"name": "gpu", "meter_code": "gpu_hours", "model": "standard", "amount": "2.499"}],
}  # fmt: skip
SUB = {"customer_id": "acme", "start": "2026-11-01T00:00:00Z", "tax_rate": "8.25"}
EVENT = {"event_id": "e1", "customer_id": "acme", "meter_code": "gpu_hours", "quantity": "1.5",
         "timestamp": "2026-11-02T00:00:00Z", "properties": {"gpu_model": "H100"}}  # fmt: skip
CHARGE = {"model": "graduated", "tiers": [{"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"},
                                          {"up_to": None, "per_unit_amount": "5"}]}  # fmt: skip
SPEC = ModelSpec(params=8e9, bytes_per_param=2)


def _router() -> hcp.Router:
    r = hcp.Router(manual_clock=True)
    r.add_device("gpu-0", kind="gpu", model="H100_SXM", site="s", gpu_memory_gb=80)
    r.add_device("asic-0", kind="asic", model="S21", site="s")
    r.set_market(MARKET)
    r.submit("acme", "ai_inference_batch")
    r.submit("acme", "ai_inference_realtime")
    r.dispatch()
    return r


def _fleet() -> Fleet:
    f = Fleet(dt_seconds=60, seed=1)
    f.add_gpu()
    f.add_miner()
    return f


def _ledger() -> Ledger:
    ledger = Ledger.memory()
    ledger.ingest([EVENT])
    return ledger


@dataclass
class Entry:
    """One public entry point: ``call(obj, args, kwargs)`` with ``obj`` from ``setup``."""

    name: str
    call: Callable[..., Any]
    args: dict[str, Any] = field(default_factory=dict)  # positional, valid values
    kwargs: dict[str, Any] = field(default_factory=dict)  # optional keyword, valid values
    required: dict[str, Any] = field(default_factory=dict)  # required keyword-only, valid values
    free_kwargs: list[str] = field(default_factory=list)  # names a **kwargs may take
    setup: Callable[[], Any] | None = None
    echoes_input: bool = False  # the result holds the arguments as given (a plain record), unchecked


def _fn(f: Callable[..., Any]) -> Callable[..., Any]:
    return lambda _obj, args, kwargs: f(*args, **kwargs)


def _m(name: str) -> Callable[..., Any]:
    return lambda obj, args, kwargs: getattr(obj, name)(*args, **kwargs)


TERM_KEYS = list(TERMS)
MARKET_KEYS = ["btc_usd", "difficulty", "height", "fees_btc_per_block", "fee_share", "electricity_usd_per_kwh",
               "gpu_usd_per_hour", "usd_per_million_tokens"]  # fmt: skip
ROUTER_CONFIG_KEYS = ["workload_types", "aging_seconds", "placement_weights", "max_candidates", "candidates_per_site",
                      "customers", "default_customer", "sites", "preemption", "manual_clock", "max_customers",
                      "first_workload_id"]  # fmt: skip
SYNTH_KEYS = ["btc_usd", "btc_drift_per_year", "btc_volatility_per_sqrt_year", "btc_jumps_per_year", "btc_jump_sd",
              "difficulty", "height", "blocks_into_epoch", "hashrate_growth_per_year", "fees_btc_per_block",
              "electricity_mean_usd_per_mwh", "spikes_per_day", "spike_half_life_hours"]  # fmt: skip
SERVE_KEYS = ["max_batch", "max_tokens_per_step", "tensor_parallel", "replicas", "memory_utilization",
              "kv_block_tokens", "dispatch", "seed", "step_overhead_seconds", "ttft_slo_seconds", "tpot_slo_seconds",
              "sample_seconds", "inlet_c", "switches"]  # fmt: skip
STREAM_KEYS = ["rate_per_second", "requests", "burstiness", "prompt", "output", "seed"]
SCALE_KEYS = ["mean_rate_per_second", "duration_seconds", "diurnal_amplitude", "peak_hour", "weekend_factor",
              "start_weekday"]  # fmt: skip
FLEET_KEYS = ["dt_seconds", "seed", "ambient_c", "record_every_steps", "settle_every_seconds", "faults", "pool",
              "host_memory", "kv_context_tokens"]  # fmt: skip

a = np.array([200.0, 100.0])
w = np.array([3500.0, 3000.0])

ENTRIES: list[Entry] = [
    # ---- hcp / econ
    Entry("Market", _fn(hcp.Market), required={"btc_usd": 1e5, "difficulty": 1e14, "height": 840_000},
          kwargs={"fees_btc_per_block": 0.1, "fee_share": None, "electricity_usd_per_kwh": 0.05, "gpu_usd_per_hour": 2.0,
          "usd_per_million_tokens": 0.5}),  # fmt: skip
    Entry("Market.from_json", _fn(hcp.Market.from_json), args={"json": MARKET.to_json()}),
    Entry("Market.replace", _m("replace"), free_kwargs=MARKET_KEYS, setup=lambda: MARKET),
    Entry("DeviceModel", _fn(hcp.DeviceModel), required={"name": "X", "kind": "asic", "power_watts": 3500.0},
          kwargs={"idle_watts": 10.0, "sleep_watts": 5.0, "hashrate_ths": 200.0, "gpu_memory_gb": 0.0}),  # fmt: skip
    Entry("DeviceModel.asic", _fn(hcp.DeviceModel.asic), args={"name": "X", "hashrate_ths": 200.0, "joules_per_th": 17.5}),
    Entry("models.get", _fn(hcp.models.get), args={"name": "S21"}),
    Entry("models.catalog", _fn(hcp.models.catalog), args={"path": None}),
    Entry("econ.block_subsidy_btc", _fn(hcp.econ.block_subsidy_btc), args={"height": 840_000}),
    Entry("econ.block_subsidy_sats", _fn(hcp.econ.block_subsidy_sats), args={"height": 840_000}),
    Entry("econ.network_hashrate_hs", _fn(hcp.econ.network_hashrate_hs), args={"difficulty": 1e14}),
    Entry("econ.block_reward_btc", _fn(hcp.econ.block_reward_btc), args={"market": MARKET}),
    Entry("econ.expected_btc_per_day", _fn(hcp.econ.expected_btc_per_day), args={"hashrate_ths": 200.0, "market": MARKET}),
    *[
        Entry(f"econ.{n}", _fn(getattr(hcp.econ, n)), args={"market": MARKET})
        for n in ("hashprice_usd_per_ph_day", "hashprice_usd_per_th_day", "hashprice_btc_per_ph_day",
                  "hashprice_btc_per_th_day")  # fmt: skip
    ],
    Entry("econ.joules_per_th", _fn(hcp.econ.joules_per_th), args={"model": "S21"}),
    *[
        Entry(f"econ.{n}", _fn(getattr(hcp.econ, n)), args={"model": m, "market": MARKET}, free_kwargs=TERM_KEYS)
        for n, m in (("miner_daily", "S21"), ("hashcost_usd_per_th_day", "S21"), ("breakeven_btc_usd", "S21"),
                     ("breakeven_usd_per_kwh", "H100_SXM"), ("gpu_hourly", "H100_SXM"), ("gpu_daily", "H100_SXM"),
                     ("action_values", "S21"), ("best_action", "H100_SXM"))  # fmt: skip
    ],
    Entry("econ.Decider", _fn(hcp.econ.Decider), args={"model": "S21"},
          kwargs={"initial": "mine", "policy": {"min_dwell_seconds": 60}}, free_kwargs=TERM_KEYS),  # fmt: skip
    Entry("Decider.step", _m("step"), args={"market": MARKET, "dt_seconds": 60.0}, setup=lambda: hcp.econ.Decider("S21")),
    Entry("Decider.step_series", _m("step_series"), args={"markets": [MARKET, MARKET], "dt_seconds": 60.0},
          setup=lambda: hcp.econ.Decider("S21")),  # fmt: skip
    Entry("econ.Site", _fn(hcp.econ.Site), args={"devices": {"S21": 10, "H100_SXM": 2}, "cap_kw": 100.0},
          free_kwargs=TERM_KEYS),  # fmt: skip
    Entry("Site.plan", _m("plan"), args={"market": MARKET}, setup=lambda: hcp.econ.Site([("S21", 10)], 100.0)),
    Entry("Site.plan_always_on", _m("plan_always_on"), args={"market": MARKET},
          setup=lambda: hcp.econ.Site([("S21", 10)], 100.0)),  # fmt: skip
    Entry("econ.miner_daily_batch", _fn(hcp.econ.miner_daily_batch),
          args={"market": MARKET, "hashrate_ths": a, "power_watts": w, "electricity_usd_per_kwh": None},
          kwargs={"out": None}, free_kwargs=TERM_KEYS),  # fmt: skip
    Entry("econ.gpu_daily_batch", _fn(hcp.econ.gpu_daily_batch),
          args={"market": MARKET, "power_watts": w, "idle_watts": a, "utilisation": np.array([0.5, 0.9]),
                "electricity_usd_per_kwh": None}, kwargs={"out": None}, free_kwargs=TERM_KEYS),  # fmt: skip
    Entry("econ.miner_curtail_batch", _fn(hcp.econ.miner_curtail_batch),
          args={"market": MARKET, "hashrate_ths": a, "power_watts": w, "sleep_watts": np.array([10.0, 10.0]),
                "electricity_usd_per_kwh": np.array([0.05, 0.2])}, kwargs={"out": None}, free_kwargs=TERM_KEYS),
    Entry("econ.payback_days", _fn(hcp.econ.payback_days), args={"hardware_usd": 5000.0, "profit_usd_per_day": 10.0}),
    Entry("econ.roi", _fn(hcp.econ.roi), args={"hardware_usd": 5000.0, "profit_usd_per_day": 10.0, "days": 365.0}),
    # ---- router
    Entry("Router", _fn(hcp.Router), args={"config": None}, free_kwargs=ROUTER_CONFIG_KEYS),
    Entry("Router.add_device", _m("add_device"), args={"device_id": "gpu-9"},
          kwargs={"kind": "gpu", "model": "H100_SXM", "site": "s", "gpu_memory_gb": 80.0}, setup=_router),
    *[
        Entry(f"Router.{n}", _m(n), args={"customer_id": "acme", "workload_type": "ai_inference_batch"},
              kwargs={"priority": 5, "gpus": 1, "gpu_memory_gb": 10.0, "site": "s", "latency_bound_ms": 100.0,
                      "deadline_seconds": 60.0}, setup=_router)  # fmt: skip
        for n in ("submit", "try_submit")
    ],
    Entry("Router.submit_batch", _m("submit_batch"), args={"customer_id": "acme", "workload_type": "ai_inference_batch"},
          kwargs={"n": 3, "priority": [1, 2, 3], "gpus": 1, "gpu_memory_gb": np.array([1.0, math.nan, 2.0]),
                  "site": None, "latency_bound_ms": None, "deadline_seconds": 60.0}, setup=_router),  # fmt: skip
    Entry("Router.dispatch", _m("dispatch"), setup=_router),
    Entry("Router.dispatch_batch", _m("dispatch_batch"), args={"max": 4}, setup=_router),
    *[
        Entry(f"Router.{n}", _m(n), args={"workload_id": 2}, kwargs={"customer_id": "acme"}, setup=_router)
        for n in ("start", "complete", "fail", "cancel", "workload")
    ],
    Entry("Router.preempt", _m("preempt"), args={"workload_id": 2}, setup=_router),
    Entry("Router.complete_batch", _m("complete_batch"), args={"workload_ids": np.array([1, 2], np.uint64)}, setup=_router),
    *[Entry(f"Router.{n}", _m(n), setup=_router)
      for n in ("counts", "queue_depths", "metrics", "metrics_text", "age", "now_seconds", "workload_types",
                "device_count", "close")],  # fmt: skip
    *[Entry(f"Router.{n}", _m(n), args={"device_id": "gpu-0"}, setup=_router) for n in ("device", "remove_device")],
    Entry("Router.set_device_available", _m("set_device_available"), args={"device_id": "gpu-0", "available": False},
          setup=_router),  # fmt: skip
    Entry("Router.set_device_thermal_headroom", _m("set_device_thermal_headroom"),
          args={"device_id": "gpu-0", "headroom": 0.5}, setup=_router),  # fmt: skip
    Entry("Router.set_device_profit_usd_per_hour", _m("set_device_profit_usd_per_hour"),
          args={"device_id": "asic-0", "usd_per_hour": 1.0}, setup=_router),  # fmt: skip
    Entry("Router.set_site_power_cap_kw", _m("set_site_power_cap_kw"), args={"site": "s", "power_cap_kw": 5.0},
          setup=_router),  # fmt: skip
    *[Entry(f"Router.{n}", _m(n), args={"site": "s"}, setup=_router) for n in ("site_load_kw", "resume_miners")],
    Entry("Router.set_market", _m("set_market"), args={"market": MARKET}, setup=_router),
    Entry("Router.advance_time", _m("advance_time"), args={"seconds": 10.0}, setup=_router),
    Entry("Router.set_customer", _m("set_customer"), args={"customer_id": "acme"},
          kwargs={"weight": 2, "max_gpus": 4, "max_queued": 10}, setup=_router),  # fmt: skip
    *[Entry(f"Router.{n}", _m(n), args={"customer_id": "acme"}, setup=_router)
      for n in ("customer", "customer_workloads")],  # fmt: skip
    # ---- sim
    Entry("sim.ModelSpec", _fn(ModelSpec), required={"params": 8e9}, kwargs={"bytes_per_param": 2.0, "layers": None,
          "kv_bytes_per_element": None}),  # fmt: skip
    Entry("sim.H100", _fn(H100), args={"variant": "sxm"}, kwargs={"overrides": {"sm_count": 132}, "ambient_c": 25.0}),
    Entry("H100.decode", _m("decode"), args={"model": SPEC, "batch": 8}, kwargs={"context_tokens": 0}, setup=H100),
    Entry("H100.switch", _m("switch"), required={"kv_bytes": 8e9, "weights_bytes": 16e9}, kwargs={"host_memory": "pinned",
          "warm_context": True, "clear_bytes": None}, setup=H100),  # fmt: skip
    Entry("H100.step", _m("step"), args={"dt_seconds": 1.0}, kwargs={"tensor": 0.5, "dram": 0.5}, setup=H100),
    Entry("H100.settle", _m("settle"), kwargs={"tensor": 0.5, "dram": 0.5}, setup=H100),
    *[Entry(f"H100.{n}", _m(n), setup=H100) for n in ("reading", "spec")],
    Entry("H100.set_power_limit_watts", _m("set_power_limit_watts"), args={"watts": 500.0}, setup=H100),
    Entry("sim.synthetic_market", _fn(hcp.sim.synthetic_market), args={"seed": 1, "steps": 10, "dt_seconds": 3600.0},
          free_kwargs=SYNTH_KEYS),  # fmt: skip
    Entry("sim.replay_market", _fn(hcp.sim.replay_market),
          args={"directory": MARKET_DIR, "start": "2024-07-01T00:00:00Z", "steps": 10, "dt_seconds": 3600.0}),
    Entry("sim.miner_spec", _fn(hcp.sim.miner_spec), args={"model": "S21"}),
    Entry("sim.Fleet", _fn(Fleet), free_kwargs=FLEET_KEYS),
    Entry("sim.Server", _fn(hcp.sim.Server), args={"gpu": H100("sxm"), "model": SPEC}, free_kwargs=SERVE_KEYS),
    Entry("Server.run", _m("run"),
          args={"arrival_seconds": np.array([0.0, 0.5]), "prompt_tokens": np.array([100, 20]),
                "output_tokens": np.array([10, 3])},
          kwargs={"priority": None, "ttft_slo_seconds": None, "tpot_slo_seconds": None},
          setup=lambda: hcp.sim.Server(H100("sxm"), SPEC)),  # fmt: skip
    Entry("Server.aggregate", _m("aggregate"),
          required={"arrival_rate_per_second": 5.0, "mean_prompt_tokens": 1000.0, "mean_output_tokens": 200.0,
                    "interval_seconds": 60.0},
          setup=lambda: hcp.sim.Server(H100("sxm"), SPEC)),  # fmt: skip
    Entry("sim.azure_trace", _fn(hcp.sim.azure_trace), args={"which": "code"}),
    Entry("sim.synthetic_requests", _fn(hcp.sim.synthetic_requests), free_kwargs=STREAM_KEYS),
    Entry("sim.scale_trace", _fn(hcp.sim.scale_trace),
          args={"arrival_seconds": np.array([0.0, 1.0, 2.0]), "prompt_tokens": np.array([5, 6, 7]),
                "output_tokens": np.array([1, 2, 3])}, free_kwargs=SCALE_KEYS),  # fmt: skip
    Entry("Fleet.add_gpu", _m("add_gpu"), args={"variant": "sxm"}, setup=_fleet),
    Entry("Fleet.add_miner", _m("add_miner"), args={"model": "S21"}, setup=_fleet),
    Entry("Fleet.add_many", _m("add_many"), kwargs={"gpu_variant": "sxm", "gpus": 2, "miner_model": "S21", "miners": 2},
          setup=_fleet),  # fmt: skip
    Entry("Fleet.command", _m("command"), args={"device": 0, "command": "serve"},
          kwargs={"model": SPEC, "batch": 8}, free_kwargs=["mode", "host_memory", "warm_context"], setup=_fleet),
    Entry("Fleet.command_many", _m("command_many"), args={"devices": [1], "command": "mine"},
          kwargs={"mode": "low"}, setup=_fleet),  # fmt: skip
    Entry("Fleet.run", _m("run"), args={"steps": 3}, setup=_fleet),
    *[Entry(f"Fleet.{n}", _m(n), setup=_fleet) for n in ("step", "settle", "series", "events", "devices", "summary")],
    Entry("Fleet.set_ambient_c", _m("set_ambient_c"), args={"ambient_c": 30.0}, setup=_fleet),
    Entry("Fleet.set_market_synthetic", _m("set_market_synthetic"), args={"seed": 1}, free_kwargs=SYNTH_KEYS,
          setup=_fleet),  # fmt: skip
    Entry("Fleet.set_market_replay", _m("set_market_replay"),
          args={"directory": MARKET_DIR, "start": "2024-07-01T00:00:00Z"}, setup=_fleet),  # fmt: skip
    *[Entry(f"Fleet.{n}", _m(n), args={"device": d}, setup=_fleet)
      for n, d in (("state", 0), ("gpu_telemetry", 0), ("miner_status", 1))],  # fmt: skip
    Entry("Fleet.dcgm_metrics", _m("dcgm_metrics"), args={"hostname": "h"}, setup=_fleet),
    Entry("Fleet.miner_metrics", _m("miner_metrics"), args={"hostname": "h"}, setup=_fleet),
    Entry("Fleet.cgminer", _m("cgminer"), args={"device": 1, "command": "summary", "when_unix": 0}, setup=_fleet),
    # ---- billing
    Entry("billing.round_amount", _fn(hcp.billing.round_amount),
          args={"amount": Decimal("1.005"), "currency": "USD", "rounding": "half_even"}),  # fmt: skip
    Entry("billing.validate_event", _fn(hcp.billing.validate_event), args={"event": EVENT}),
    Entry("billing.to_pandas", _fn(hcp.billing.to_pandas), args={"records": [EVENT]}, kwargs={"flatten_properties": True},
          echoes_input=True),  # fmt: skip
    Entry("Record.to_pandas", _m("to_pandas"), kwargs={"flatten_properties": False, "start": "2024-07-01"},
          setup=lambda: hcp.sim.replay_market(MARKET_DIR, "2024-07-01T00:00:00Z", 10, 3600.0)),  # fmt: skip
    Entry("Records.to_pandas", _m("to_pandas"), kwargs={"flatten_properties": True},
          setup=lambda: hcp.Records([hcp.Record(EVENT)])),  # fmt: skip
    Entry("Charge.from_dict", _fn(Charge.from_dict), args={"config": CHARGE}),
    Entry("Charge.from_json", _fn(Charge.from_json), args={"text": '{"model": "standard", "amount": "1"}'}),
    Entry("Charge.amount", _m("amount"), args={"units": 12}, kwargs={"events": None},
          setup=lambda: Charge.from_dict(CHARGE)),  # fmt: skip
    Entry("Plan.from_dict", _fn(Plan.from_dict), args={"config": PLAN}),
    Entry("Plan.from_json", _fn(Plan.from_json), args={"text": '{"code": "p", "currency": "USD"}'}),
    Entry("Plan.instant_fees", _m("instant_fees"), args={"event": EVENT}, setup=lambda: Plan.from_dict(PLAN)),
    Entry("Plan.estimate", _m("estimate"), args={"subscription": SUB, "at": "2026-11-15T00:00:00Z",
          "usage": [{"meter_code": "gpu_hours", "quantity": "3"}]}, setup=lambda: Plan.from_dict(PLAN)),  # fmt: skip
    Entry("billing.Subscription", _fn(Subscription), args={"customer_id": "acme", "start": "2026-11-01T00:00:00Z"},
          free_kwargs=["tax_rate", "coupons", "billing_anchor"], echoes_input=True),  # fmt: skip
    Entry("billing.Ledger", _fn(Ledger), args={"path": ":memory:"}, kwargs={"durability": "normal"}),
    Entry("Ledger.ingest", _m("ingest"), args={"events": [EVENT]}, setup=_ledger),
    Entry("Ledger.usage", _m("usage"), args={"customer_id": "acme", "meter_codes": ["gpu_hours"], "start": None,
          "end": None}, setup=_ledger),  # fmt: skip
    *[
        Entry(f"Ledger.{n}", _m(n), args={"plan": Plan.from_dict(PLAN), "subscription": SUB,
              "at": "2026-12-01T00:00:00Z"}, setup=_ledger)  # fmt: skip
        for n in ("preview_invoice", "issue_invoice")
    ],
    Entry("Ledger.issue_invoices", _m("issue_invoices"), args={"plan": Plan.from_dict(PLAN), "subscriptions": [SUB],
          "at": "2026-12-01T00:00:00Z"}, setup=_ledger),  # fmt: skip
    Entry("Ledger.invoices", _m("invoices"), args={"customer_id": "acme"}, setup=_ledger),
    Entry("Ledger.budget_status", _m("budget_status"), args={"plan": Plan.from_dict(PLAN), "subscription": SUB,
          "now": "2026-11-15T00:00:00Z", "budget": 100, "thresholds": [50, 80]}, setup=_ledger),  # fmt: skip
]


# ------------------------------------------------------------------ the property -----------


def non_finite(value: Any, path: str = "result", depth: int = 0) -> str | None:
    """The path of the first non-finite float in a result, or None."""
    if depth > 200:
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} = {value}"
    if isinstance(value, Decimal):
        return None if value.is_finite() else f"{path} = {value}"
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            return f"{path} has {value[~np.isfinite(value)][:3]}"
        return None
    if isinstance(value, np.generic):
        return non_finite(value.item(), path, depth + 1)
    if isinstance(value, dict):
        for k, v in value.items():
            found = non_finite(v, f"{path}.{k}", depth + 1)
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = non_finite(v, f"{path}[{i}]", depth + 1)
            if found:
                return found
    if type(value).__name__ == "MinerDaily":
        for k in ("btc", "revenue_usd", "energy_kwh", "energy_cost_usd", "profit_usd"):
            found = non_finite(getattr(value, k), f"{path}.{k}", depth + 1)
            if found:
                return found
    return None
