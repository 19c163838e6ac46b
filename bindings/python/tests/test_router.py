"""hcp.Router from Python: the names external checks use, errors, bulk calls, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import hcp


def fleet(n: int = 4, **config: object) -> hcp.Router:
    r = hcp.Router(**config)
    for i in range(n):
        r.add_device(f"gpu-{i}", kind="gpu", model="H100_SXM", site="austin", gpu_memory_gb=80)
    return r


def test_submit_dispatch_complete() -> None:
    r = fleet()
    wid = r.submit(customer_id="acme", workload_type="ai_inference_realtime", priority=1, gpus=1, gpu_memory_gb=20)
    assert isinstance(wid, int)
    a = r.dispatch()
    assert a is not None
    assert a.workload_id == wid and a.device_id == "gpu-0"
    assert r.workload(wid).state == "assigned"
    r.complete(wid)
    assert r.workload(wid).state == "completed"
    assert r.dispatch() is None
    text = r.metrics_text()
    for name in (
        "router_workloads_queued_total",
        "router_queue_depth",
        "router_decision_duration_seconds",
        "orchestrator_allocations_total",
        "orchestrator_allocation_duration_seconds",
        "orchestrator_active_workloads",
    ):
        assert name in text


@pytest.mark.parametrize(
    "kwargs, error, field",
    [
        ({"workload_type": "nope"}, hcp.InvalidInputError, "workload_type"),
        ({"priority": 0}, hcp.InvalidInputError, "priority"),
        ({"priority": 11}, hcp.InvalidInputError, "priority"),
        ({"gpu_memory_gb": -1.0}, hcp.InvalidInputError, "gpu_memory_gb"),
        ({"gpu_memory_gb": float("nan")}, hcp.InvalidInputError, "gpu_memory_gb"),
    ],
)
def test_bad_input(kwargs: dict, error: type, field: str) -> None:
    r = fleet()
    args = {"customer_id": "acme", "workload_type": "ai_inference_batch", **kwargs}
    with pytest.raises(error) as e:
        r.submit(**args)
    assert str(e.value).startswith(field)
    assert isinstance(e.value, ValueError)


def test_unknown_ids_illegal_transitions_and_isolation() -> None:
    r = fleet()
    with pytest.raises(hcp.NotFoundError):
        r.complete(12345)
    with pytest.raises(KeyError):
        r.set_device_available("nope", False)
    wid = r.submit("acme", "ai_inference_batch")
    with pytest.raises(hcp.IllegalTransitionError):
        r.start(wid)
    with pytest.raises(hcp.NotFoundError):
        r.cancel(wid, customer_id="globex")
    with pytest.raises(hcp.NotFoundError):
        r.workload(wid, customer_id="globex")
    r.cancel(wid, customer_id="acme")
    with pytest.raises(hcp.ConflictError):
        r.add_device("gpu-0", kind="gpu", model="H100_SXM", site="austin")
    with pytest.raises(hcp.InvalidInputError):
        r.add_device("x", kind="tpu", model="H100_SXM", site="austin")


def test_closed_handle_raises() -> None:
    with fleet() as r:
        r.submit("acme", "ai_inference_batch")
    assert r.closed
    with pytest.raises(hcp.ClosedError):
        r.dispatch()
    with pytest.raises(hcp.ClosedError):
        r.submit("acme", "ai_inference_batch")
    r.close()  # idempotent


def test_batch_calls_cross_once() -> None:
    r = fleet(8)
    ids = r.submit_batch(
        "acme", "ai_inference_batch", n=100, priority=[1 + i % 10 for i in range(100)], gpu_memory_gb=1.0
    )
    assert ids.dtype == np.int64 and len(ids) == 100 and (ids > 0).all()
    bad = r.submit_batch(["a", "b"], ["ai_inference_batch", "nope"])
    assert bad[0] > 0 and bad[1] == -1
    out = r.dispatch_batch(1000)
    assert len(out.workload_ids) == 101 and len(out.device_ids) == 101
    assert set(out.workload_ids.tolist()) == set(ids.tolist()) | {int(bad[0])}
    done = r.complete_batch(out.workload_ids)
    assert done.all()
    c = r.counts()
    assert (c.submitted, c.completed, c.rejected) == (102, 101, 1)


def test_many_threads_gil_released() -> None:
    r = fleet(16)
    per = 2000
    seen: list[list[int]] = []
    lock = threading.Lock()

    def producer() -> None:
        r.submit_batch("acme", "ai_inference_batch", n=per, gpu_memory_gb=1.0)

    def dispatcher() -> None:
        got: list[int] = []
        while True:
            out = r.dispatch_batch(64)
            if len(out.workload_ids) == 0:
                if r.counts().queued == 0 and r.counts().submitted == 4 * per:
                    break
                continue
            r.complete_batch(out.workload_ids)
            got.extend(out.workload_ids.tolist())
        with lock:
            seen.append(got)

    threads = [threading.Thread(target=producer) for _ in range(4)] + [
        threading.Thread(target=dispatcher) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_ids = [i for g in seen for i in g]
    assert len(all_ids) == len(set(all_ids)) == 4 * per
    c = r.counts()
    assert c.completed == 4 * per and c.queued == 0


def test_power_cap_and_market() -> None:
    r = hcp.Router(sites={"s": {"power_cap_kw": 8.0}})
    r.set_market(hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0))
    for name, model in (("s21", "S21"), ("s21pro", "S21_PRO"), ("s19xp", "S19_XP")):
        r.add_device(name, kind="asic", model=model, site="s")
    r.add_device("g0", kind="gpu", model="H100_SXM", site="s")
    r.submit("acme", "model_training")
    a = r.dispatch()
    assert a is not None and a.curtailed_device_ids == ["s19xp"]
    assert r.site_load_kw("s") <= 8.0
