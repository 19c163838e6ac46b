"""hcp.sim.Server from Python: the names external checks use, numpy columns in input order,
conservation, determinism, the generators and the documented errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hcpcore as hcp
from hcpcore.sim import H100, ModelSpec, Server


def llama8b_server(**config: object) -> Server:
    return Server(H100("sxm"), ModelSpec(params=8e9, bytes_per_param=2), **{"max_batch": 256, "seed": 1, **config})


def test_the_names_external_checks_use() -> None:
    server = llama8b_server()
    arrivals, prompts, outputs = hcp.sim.azure_trace("conv")
    assert arrivals.dtype == np.float64 and prompts.dtype == np.int64 and outputs.dtype == np.int64
    assert len(arrivals) == 19_366 and arrivals[0] == 0.0
    n = 500
    r = server.run(arrival_seconds=arrivals[:n], prompt_tokens=prompts[:n], output_tokens=outputs[:n])
    for col in ("ttft_seconds", "tpot_seconds", "e2e_seconds", "queue_seconds"):
        assert isinstance(r[col], np.ndarray) and r[col].shape == (n,) and r[col].dtype == np.float64
    assert np.all(r.ttft_seconds <= r.e2e_seconds)
    assert r.output_tokens_per_second == pytest.approx(outputs[:n].sum() / r.duration_seconds)
    assert r.energy_joules == pytest.approx(r.mean_power_watts * r.duration_seconds)
    assert 125.0 < r.mean_power_watts <= 700.0
    assert r.ttft_p99_seconds == pytest.approx(np.percentile(r.ttft_seconds, 99))
    assert r.summary.e2e_seconds.p50 == pytest.approx(np.median(r.e2e_seconds))
    code = hcp.sim.azure_trace("code")
    assert len(code[0]) == 8_819


def test_columns_are_in_input_order() -> None:
    # A long request first, a short one after: the short one finishes first but stays second.
    r = llama8b_server().run(arrival_seconds=[0.0, 0.001], prompt_tokens=[2000, 10], output_tokens=[500, 2])
    assert r.e2e_seconds[0] > r.e2e_seconds[1]
    one = llama8b_server().run(arrival_seconds=[0.001], prompt_tokens=[10], output_tokens=[2])
    assert one.e2e_seconds[0] < r.e2e_seconds[1]  # alone it is faster than batched with the long one


def test_series_and_switch() -> None:
    server = llama8b_server(
        replicas=2,
        sample_seconds=0.5,
        switches=[{"at_seconds": 1.0, "replica": 1, "model": {"params": 14e9, "bytes_per_param": 2}}],
    )
    a, p, o = hcp.sim.synthetic_requests(seed=3, requests=200, rate_per_second=40.0)
    r = server.run(arrival_seconds=a, prompt_tokens=p, output_tokens=o)
    s = r.series
    assert set(np.unique(s.replica)) == {0, 1}
    assert s.energy_joules.sum() == pytest.approx(r.energy_joules)
    assert np.all((s.kv_used_fraction >= 0) & (s.kv_used_fraction <= 1))
    assert len(r.switches) == 1 and r.switches[0].replica == 1
    assert r.switches[0].phases.load_weights_seconds == pytest.approx(28e9 / 46.678e9 + 0.0032, rel=1e-6)


def test_runs_are_deterministic_and_dtypes_convert() -> None:
    a, p, o = hcp.sim.synthetic_requests(seed=5, requests=300, rate_per_second=30.0, burstiness=2.0)
    x = llama8b_server(replicas=3).run(arrival_seconds=a, prompt_tokens=p, output_tokens=o)
    y = llama8b_server(replicas=3).run(
        arrival_seconds=a.tolist(), prompt_tokens=p.astype(np.int32), output_tokens=o.astype(np.float64)
    )
    for col in ("ttft_seconds", "tpot_seconds", "e2e_seconds", "replica"):
        assert np.array_equal(x[col], y[col])


def test_aggregate_agrees_with_the_run() -> None:
    server = llama8b_server()
    a, p, o = hcp.sim.azure_trace("conv")
    r = server.run(arrival_seconds=a, prompt_tokens=p, output_tokens=o)
    agg = server.aggregate(
        arrival_rate_per_second=len(a) / a[-1],
        mean_prompt_tokens=float(p.mean()),
        mean_output_tokens=float(o.mean()),
        interval_seconds=r.duration_seconds,
    )
    assert agg.power_watts == pytest.approx(r.mean_power_watts, rel=0.03)
    assert not agg.saturated


def test_scale_trace_rule() -> None:
    a, p, o = hcp.sim.scale_trace(
        *hcp.sim.azure_trace("conv"), mean_rate_per_second=3.0, duration_seconds=2 * 86_400.0, diurnal_amplitude=0.5
    )
    assert len(a) / (2 * 86_400.0) == pytest.approx(3.0, rel=0.02)
    assert np.all(np.diff(a) >= 0)
    assert p.dtype == np.int64 and o.dtype == np.int64


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"arrival_seconds": [-1.0], "prompt_tokens": [1], "output_tokens": [1]}, "arrival_seconds[0]"),
        ({"arrival_seconds": [float("nan")], "prompt_tokens": [1], "output_tokens": [1]}, "arrival_seconds[0]"),
        ({"arrival_seconds": [1.0, 0.0], "prompt_tokens": [1, 1], "output_tokens": [1, 1]}, "arrival_seconds[1]"),
        ({"arrival_seconds": [0.0], "prompt_tokens": [0], "output_tokens": [1]}, "prompt_tokens[0]"),
        ({"arrival_seconds": [0.0], "prompt_tokens": [5], "output_tokens": [-1]}, "output_tokens[0]"),
        ({"arrival_seconds": [0.0], "prompt_tokens": [5.5], "output_tokens": [1]}, "prompt_tokens[0]"),
        ({"arrival_seconds": [0.0, 1.0], "prompt_tokens": [5], "output_tokens": [1, 1]}, "prompt_tokens"),
    ],
)
def test_bad_requests_name_the_field(kwargs: dict[str, list[float]], field: str) -> None:
    with pytest.raises(hcp.InvalidInputError) as info:
        llama8b_server().run(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field + ":"), str(info.value)


def test_bad_config_and_model() -> None:
    with pytest.raises(hcp.InvalidInputError, match="^max_batch:"):
        llama8b_server(max_batch=0)
    with pytest.raises(hcp.InvalidInputError, match="^max_tokens_per_step:"):
        llama8b_server(max_tokens_per_step=0)
    with pytest.raises(hcp.InvalidInputError, match="unknown field"):
        llama8b_server(max_bacth=8)
    with pytest.raises(hcp.OutOfMemoryError, match="^model:"):
        Server(H100("sxm"), ModelSpec(params=70e9, bytes_per_param=2))
    with pytest.raises(hcp.InvalidTypeError):
        Server("sxm", ModelSpec(params=8e9))  # type: ignore[arg-type]
    with pytest.raises(hcp.InvalidInputError, match="^which:|^trace:"):
        hcp.sim.azure_trace("chat")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    n=st.integers(1, 120),
    replicas=st.integers(1, 4),
    max_batch=st.integers(1, 64),
)
def test_every_request_completes_once(seed: int, n: int, replicas: int, max_batch: int) -> None:
    a, p, o = hcp.sim.synthetic_requests(seed=seed, requests=n, rate_per_second=50.0, burstiness=2.0)
    r = llama8b_server(replicas=replicas, max_batch=max_batch, memory_utilization=0.3, seed=seed).run(
        arrival_seconds=a, prompt_tokens=p, output_tokens=o
    )
    assert r.output_tokens == int(o.sum())
    assert np.all(r.queue_seconds <= r.ttft_seconds) and np.all(r.ttft_seconds <= r.e2e_seconds)
    assert np.all(r.replica < replicas)
