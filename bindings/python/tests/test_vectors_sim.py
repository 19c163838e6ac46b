"""Replays tests/vectors/sim.json, the cases the Rust, Node and Go suites replay too."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable

import hcpcore as hcp
import pytest
from vectors import VECTORS, close, load

DOC = load("sim")
REL = float(DOC["tolerance"]["relative"])
ROOT = VECTORS.parents[1]


def kind_of(e: BaseException) -> str:
    assert isinstance(e, hcp.HcpError), repr(e)
    return type(e).__name__.removesuffix("Error")


def decode(c: dict[str, Any]) -> Any:
    gpu = hcp.sim.H100(c["gpu"])
    model = hcp.sim.ModelSpec(**c["model"])
    return gpu.decode(model, c["batch"], context_tokens=c.get("context_tokens", 0))


def switch(c: dict[str, Any]) -> Any:
    gpu = hcp.sim.H100(c["gpu"])
    return gpu.switch(
        kv_bytes=c["kv_bytes"],
        weights_bytes=c["weights_bytes"],
        host_memory=c["host_memory"],
        warm_context=c["warm_context"],
    )


def columns(record: Any) -> dict[str, list[Any]]:
    return {k: v.tolist() for k, v in record.items()}


def market(c: dict[str, Any]) -> Any:
    return columns(hcp.sim.synthetic_market(c["seed"], c["steps"], c["dt_seconds"], **c.get("config", {})))


def replay(c: dict[str, Any]) -> Any:
    return columns(hcp.sim.replay_market(str(ROOT / c["dir"]), c["start"], c["steps"], c["dt_seconds"]))


def build_fleet(c: dict[str, Any]) -> Any:
    f = hcp.sim.Fleet(**c["config"])
    for name, count in c["gpus"]:
        for _ in range(count):
            f.add_gpu(name)
    for name, count in c["miners"]:
        for _ in range(count):
            f.add_miner(name)
    seed = c.get("market", {}).get("synthetic", {}).get("seed")
    if seed is not None:
        f.set_market_synthetic(seed)
    for step in range(c["steps"]):
        for cmd in c["commands"]:
            if cmd["step"] == step:
                f.command(cmd["device"], cmd["command"])
        f.step()
    return f


def fleet(c: dict[str, Any]) -> Any:
    f = build_fleet(c)
    s = f.series()
    keys = ("power_watts", "gpu_power_watts", "asic_power_watts", "hashrate_ths", "tokens_per_second", "max_gpu_temp_c")
    last = {k: float(s[k][-1]) for k in keys}
    return {
        "summary": f.summary(),
        "last": last,
        "power_watts_sum": float(s["power_watts"].sum()),
        "events_by_kind": dict(Counter(f.events()["kind_name"])),
    }


def exposition_samples(text: str) -> dict[str, float]:
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            samples[series] = float(value)
    return samples


def telemetry(c: dict[str, Any]) -> Any:
    f = build_fleet(c)
    reply = json.loads(f.cgminer(c["device"], c["request"]))
    return {"reply": reply, "miner_metrics": exposition_samples(f.miner_metrics(c["hostname"]))}


SECTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "decode": decode,
    "switch": switch,
    "market": market,
    "replay": replay,
    "fleet": fleet,
    "telemetry": telemetry,
}
CASES = [(section, case) for section in SECTIONS for case in DOC[section]]


@pytest.mark.parametrize(("section", "case"), CASES, ids=[f"{s}/{c['name']}" for s, c in CASES])
def test_case(section: str, case: dict[str, Any]) -> None:
    run = SECTIONS[section]
    if "error" in case:
        with pytest.raises(hcp.HcpError) as info:
            run(case)
        assert kind_of(info.value) == case["error"], str(info.value)
        if "message_contains" in case:
            assert case["message_contains"] in str(info.value)
    else:
        close(run(case), case["expect"], REL, 0.0, f"{section}/{case['name']}")
