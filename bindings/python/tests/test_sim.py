"""hcp.sim from Python: the names external checks use, numpy columns, determinism, errors."""

from __future__ import annotations

import json

import hcpcore as hcp
import numpy as np
import pytest
from hcpcore.sim import H100, Fleet, ModelSpec


def test_decode_and_switch_names() -> None:
    gpu = H100("sxm")
    d = gpu.decode(ModelSpec(params=8e9, bytes_per_param=2), batch=8)
    assert 0.005 < d.step_seconds < 0.007
    assert d.tokens_per_second == pytest.approx(8 / d.step_seconds)
    assert 300 < d.power_watts < 700
    big = gpu.decode(ModelSpec(params=8e9, bytes_per_param=2), batch=512)
    assert big.power_limited and big.power_watts == pytest.approx(700.0)
    s = gpu.switch(kv_bytes=8e9, weights_bytes=16e9, host_memory="pinned", warm_context=True)
    phases = (
        "save_state_seconds",
        "free_and_clear_seconds",
        "load_weights_seconds",
        "context_start_seconds",
        "first_step_seconds",
    )
    assert s.total_seconds == pytest.approx(sum(s[k] for k in phases))
    cold = gpu.switch(kv_bytes=8e9, weights_bytes=16e9, host_memory="pageable", warm_context=False)
    assert cold.total_seconds > s.total_seconds + 3.0


def test_bad_input_raises_the_documented_errors() -> None:
    gpu = H100("sxm")
    with pytest.raises(hcp.InvalidInputError, match="batch"):
        gpu.decode(ModelSpec(params=8e9), batch=-1)
    with pytest.raises(hcp.InvalidInputError, match="batch"):
        gpu.decode(ModelSpec(params=8e9), batch=2.5)
    assert gpu.decode(ModelSpec(params=8e9), batch=8.0) == gpu.decode(ModelSpec(params=8e9), batch=8)
    with pytest.raises(hcp.OutOfMemoryError):
        gpu.decode(ModelSpec(params=70e9, bytes_per_param=2), batch=1)
    with pytest.raises(hcp.InvalidInputError):
        H100("a100")
    with pytest.raises(ValueError):  # InvalidInputError is a ValueError
        ModelSpec(params=float("nan"))
    with pytest.raises(hcp.InvalidInputError):
        Fleet(dt_seconds=0)
    f = Fleet()
    with pytest.raises(hcp.InvalidInputError):
        f.add_miner("S9")
    f.add_gpu()
    with pytest.raises(hcp.NotFoundError):
        f.command(3, "sleep")
    with pytest.raises(hcp.InvalidInputError):
        f.command(0, "mine", mode="normal")
    with pytest.raises(hcp.InvalidInputError):
        f.command(0, "dance")
    with pytest.raises(hcp.InvalidInputError, match="btc_tx_fees"):
        hcp.sim.replay_market("/nonexistent", "2024-06-01", 1, 60.0)


def test_fleet_columns_are_numpy_and_runs_are_deterministic() -> None:
    def run(seed: int) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        f = Fleet(dt_seconds=60, seed=seed)
        f.add_many("sxm", 4, "S21", 6)
        f.set_market_synthetic(seed)
        f.command_many(np.arange(4, dtype=np.int64), "serve", model=ModelSpec(params=8e9), batch=32)
        f.command(5, "mine", mode="high")
        f.command(6, {"command": "sleep"})
        f.run(500)
        return f.series(), f.summary()

    (a, sa), (b, sb) = run(3), run(3)
    assert set(a) >= {"time_seconds", "power_watts", "hashrate_ths", "tokens_per_second", "energy_cost_usd"}
    for k in a:
        assert isinstance(a[k], np.ndarray) and len(a[k]) == 500
        assert np.array_equal(a[k], b[k]), k
    assert sa == sb
    (c, sc) = run(4)
    assert sc != sa
    assert a["power_watts"].dtype == np.float64


def test_telemetry_formats() -> None:
    f = Fleet(dt_seconds=60, seed=1)
    f.add_many("sxm", 2, "S21", 1)
    f.command(0, "serve", model=ModelSpec(params=8e9), batch=16)
    f.run(70)
    text = f.dcgm_metrics("node-1")
    assert text.count("DCGM_FI_DEV_POWER_USAGE{") == 2
    assert 'Hostname="node-1-0"' in text
    summary = json.loads(f.cgminer(2, "summary"))
    assert isinstance(summary["SUMMARY"][0]["GHS 5s"], float)  # a number, as S21 firmware writes it
    assert summary["SUMMARY"][0]["Work Utility"] > 0
    assert summary["SUMMARY"][0]["Accepted"] > 0
    stats = json.loads(f.cgminer(2, "stats"))
    assert "chain_rate1" in stats["STATS"][1] and "fan4" in stats["STATS"][1]
    assert json.loads(f.cgminer(2, "pools"))["POOLS"][0]["Accepted"] == summary["SUMMARY"][0]["Accepted"]
    assert json.loads(f.cgminer(2, "version"))["VERSION"][0]["Type"] == "Antminer S21"
    assert len(json.loads(f.cgminer(2, "devs"))["DEVS"]) == 3
    chains = json.loads(f.cgminer(2, '{"command":"stats","new_api":true}'))["STATS"][0]["chain"]
    assert [c["asic_num"] for c in chains] == [108, 108, 108]
    joined = json.loads(f.cgminer(2, '{"command":"summary+pools"}'))
    assert joined["summary"][0]["SUMMARY"] == summary["SUMMARY"]
    assert json.loads(f.cgminer(2, '{"command":"bogus"}'))["STATUS"][0]["STATUS"] == "E"
    with pytest.raises(hcp.InvalidInputError):
        f.cgminer(2, "bogus")
    miners = f.miner_metrics("rack")
    assert 'miner_hashboard_chips{miner="rack-2",board="0"} 108' in miners
    assert "# TYPE miner_shares_total counter" in miners
    with pytest.raises(hcp.InvalidInputError):
        f.gpu_telemetry(2)


def test_h100_steps_through_the_power_cap() -> None:
    gpu = H100("sxm")
    for _ in range(400):
        r = gpu.step(0.05, tensor=1.0, dram=0.33)
    assert r.power_watts == pytest.approx(700.0, abs=5.0)
    assert r.clocks_event_reasons & 0x4
    assert 1250 < r.sm_clock_mhz < 1450
    capped = H100("sxm", overrides={"power": {"limit_watts": 400}})
    capped.settle(tensor=1.0, dram=0.33)
    assert capped.reading().power_watts == pytest.approx(400.0, abs=1.0)
