"""hcp.Router from Python: the names external checks use, errors, bulk calls, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import hcpcore as hcp


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


def test_try_submit_reports_rejected_ids_and_reasons() -> None:
    r = fleet(1, manual_clock=True, customers={"a": {"max_queued": 1}})
    ok = r.try_submit("a", "ai_inference_batch")
    assert (ok.workload_id, ok.state, ok.reason) == (1, "queued", None)
    no = r.try_submit("a", "ai_inference_batch")
    assert (no.workload_id, no.state) == (2, "rejected") and no.reason.startswith("max_queued")
    bad = r.try_submit("a", "nope")
    assert bad.state == "rejected" and bad.reason.startswith("workload_type")
    assert r.workload(2).reason == no.reason
    with pytest.raises(hcp.CapacityExceededError) as e:
        r.submit("a", "ai_inference_batch")
    assert "(workload 4 rejected)" in str(e.value)
    assert [w.id for w in r.customer_workloads("a")] == [1, 2, 3, 4]
    assert r.customer_workloads("nobody") == []


def test_customer_weight_and_quotas_at_run_time() -> None:
    r = fleet(2, manual_clock=True)
    c = r.customer("acme")
    assert (c.weight, c.max_gpus, c.max_queued, c.queued, c.submitted) == (1, None, None, 0, 0)
    r.set_customer("acme", weight=5, max_gpus=1)
    r.submit_batch("acme", "model_training", n=2)
    assert r.dispatch() is not None and r.dispatch() is None
    c = r.customer("acme")
    assert (c.weight, c.max_gpus, c.queued, c.active, c.gpus_held, c.submitted) == (5, 1, 1, 1, 1, 2)
    r.set_customer("acme", weight=5)
    assert r.dispatch() is not None
    for args in ({"weight": 0}, {"weight": 2_000_000}, {"weight": -1}, {"max_gpus": -1}, {"max_queued": 2**40}):
        with pytest.raises(hcp.InvalidInputError):
            r.set_customer("acme", **args)
    with pytest.raises(hcp.InvalidInputError):
        r.customer("")
    assert r.customer("acme").weight == 5


def test_remove_device_requeues_and_counts_preemptions() -> None:
    r = fleet(2, manual_clock=True)
    wid = r.submit("acme", "model_training")
    assert r.dispatch().device_id == "gpu-0"
    assert r.workload(wid).preemptions == 0
    assert r.remove_device("gpu-0") == [wid]
    w = r.workload(wid)
    assert (w.state, w.preemptions, w.device_ids, w.reason) == ("queued", 1, [], None)
    assert r.dispatch().device_id == "gpu-1"
    with pytest.raises(hcp.NotFoundError):
        r.remove_device("gpu-0")
    assert r.device_count() == 1


def test_now_seconds_follows_the_manual_clock() -> None:
    r = hcp.Router(manual_clock=True)
    assert r.now_seconds() == 0.0
    r.advance_time(2.5)
    assert r.now_seconds() == 2.5


def test_submit_batch_site_and_bounds_columns() -> None:
    r = hcp.Router(manual_clock=True)
    r.add_device("a0", site="a")
    r.add_device("b0", site="b")
    ids = r.submit_batch(
        "acme",
        "ai_inference_batch",
        n=4,
        gpu_memory_gb=1.0,
        site=["b", None, "a", "nowhere"],
        latency_bound_ms=np.array([250.0, np.nan, 1000.0, 1.0]),
        deadline_seconds=[None, 30.0, float("nan"), 1.0],
    )
    assert ids.tolist()[:3] == [1, 2, 3] and ids[3] == -1
    assert r.workload(4).state == "rejected" and r.workload(4).reason.startswith("site")
    assert (r.workload(1).latency_bound_ms, r.workload(1).deadline_seconds) == (250.0, None)
    assert (r.workload(2).latency_bound_ms, r.workload(2).deadline_seconds) == (None, 30.0)
    assert (r.workload(3).latency_bound_ms, r.workload(3).deadline_seconds) == (1000.0, None)
    assert r.dispatch().device_id == "b0"
    one = r.submit_batch("acme", "ai_inference_batch", n=2, site="a", latency_bound_ms=5.0)
    assert [r.workload(int(i)).latency_bound_ms for i in one] == [5.0, 5.0]
    bad_columns = [{"site": ["a"]}, {"site": [1, 2]}, {"latency_bound_ms": [1.0, 2.0, 3.0]}]
    for bad in bad_columns + [{"deadline_seconds": ["x", 1]}]:
        with pytest.raises(hcp.InvalidInputError):
            r.submit_batch("acme", "ai_inference_batch", n=2, **bad)
    assert r.submit_batch("acme", "ai_inference_batch", n=1, latency_bound_ms=-1.0)[0] == -1
