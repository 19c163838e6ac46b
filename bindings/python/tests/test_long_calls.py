"""Long calls: Ctrl-C stops them with KeyboardInterrupt, the GIL is released while they run, and
objects with state are safe to share between threads (they take turns, never "Already borrowed")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import hcpcore as hcp
from hcpcore.sim import H100, Fleet, ModelSpec

# A child process that starts a Fleet.run sized to take well over 30 s, says when it started,
# and reports how the run ended, how far the fleet got and that it still runs.
_CHILD = textwrap.dedent(
    """
    import json, signal, sys, time
    import hcpcore as hcp
    from hcpcore.sim import Fleet

    # A child started from a background job inherits SIGINT ignored (and Python then installs no
    # handler): put Python's own Ctrl-C handler back, as an interactive session has it.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    fleet = Fleet(dt_seconds=60, seed=3)
    fleet.add_many(gpus=2000, miners=8000)
    fleet.set_market_synthetic(5)
    t = time.perf_counter()
    fleet.run(200)
    per_step = (time.perf_counter() - t) / 200
    steps = min(hcp.limits.MAX_STEPS, int(60 / per_step) + 1)
    print(json.dumps({"started": True, "per_step": per_step, "steps": steps}), flush=True)
    try:
        fleet.run(steps)
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
    ended = time.time()
    taken = fleet.steps - 200
    series_ok = len(fleet.series()["time_seconds"]) == fleet.steps
    before = fleet.steps
    fleet.run(2)
    print(json.dumps({"outcome": outcome, "ended": ended, "taken": taken, "series_ok": series_ok,
                      "usable": fleet.steps == before + 2}), flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_stops_a_long_fleet_run_promptly() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        started = json.loads(child.stdout.readline())
        # Uninterrupted, the run takes about a minute (at least 30 s unless MAX_STEPS caps it).
        uninterrupted = started["per_step"] * started["steps"]
        assert uninterrupted > 30 or started["steps"] == hcp.limits.MAX_STEPS
        time.sleep(0.5)
        sent = time.time()
        child.send_signal(signal.SIGINT)
        line = child.stdout.readline()
        child.wait(timeout=60)
    finally:
        child.kill()
    assert line, child.stderr.read() if child.stderr else ""
    report = json.loads(line)
    latency = report["ended"] - sent
    print(f"Ctrl-C latency: {latency * 1000:.1f} ms (one step: {started['per_step'] * 1e6:.0f} µs)")
    assert report["outcome"] == "interrupted"
    assert latency < 5.0, latency
    assert 0 < report["taken"] < started["steps"]
    assert report["series_ok"], "the fleet must have taken whole steps only"
    assert report["usable"]


def test_a_long_call_releases_the_gil() -> None:
    fleet = Fleet(dt_seconds=60, seed=1)
    fleet.add_many(gpus=200, miners=800)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    ticker = threading.Thread(target=count)
    ticker.start()
    try:
        steps, elapsed, during = 50, 0.0, 0
        while elapsed < 0.3:  # grow the call until it is long enough to see the ticker run
            steps *= 4
            before, t = ticks, time.perf_counter()
            fleet.run(steps)
            elapsed, during = time.perf_counter() - t, ticks - before
    finally:
        stop.set()
        ticker.join()
    # With the GIL held the ticker could not have run at all during the call (~1 tick per ms).
    assert during > 10, (during, elapsed)


def test_two_threads_hammering_one_fleet_take_turns() -> None:
    fleet = Fleet(dt_seconds=60, seed=2)
    fleet.add_many(gpus=4, miners=4)
    errors: list[BaseException] = []
    runs_per_thread, steps_per_run = 40, 3

    def hammer(kind: int) -> None:
        try:
            for i in range(runs_per_thread):
                fleet.run(steps_per_run)
                if kind == 0:
                    fleet.summary()
                    fleet.series()
                else:
                    fleet.command(i % 4, "sleep" if i % 2 else "wake")
                    fleet.devices()
                    assert len(fleet) == 8
        except BaseException as e:  # noqa: BLE001 - collected and re-raised in the test
            errors.append(e)

    threads = [threading.Thread(target=hammer, args=(k,)) for k in (0, 1, 0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    # Every run was whole: no step lost or doubled.
    assert fleet.steps == 4 * runs_per_thread * steps_per_run
    assert len(fleet.series()["time_seconds"]) == fleet.steps


def test_h100_and_decider_are_shared_safely() -> None:
    gpu = H100("sxm")
    decider = hcp.econ.Decider("S21")
    market = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, electricity_usd_per_kwh=0.05)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(200):
                gpu.step(1.0, tensor=0.5, dram=0.3)
                gpu.decode(ModelSpec(params=8e9), batch=8)
                decider.step(market, 60.0)
                decider.step_series([market, market], 60.0)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert decider.switches >= 0


def test_long_calls_map_errors_as_before() -> None:
    fleet = Fleet(dt_seconds=60, seed=1)
    with pytest.raises(hcp.InvalidInputError, match="steps"):
        fleet.run(hcp.limits.MAX_STEPS + 1)
    with pytest.raises(hcp.InvalidInputError, match="dt_seconds"):
        hcp.sim.synthetic_market(1, 10, 0.0)
    a = hcp.sim.synthetic_market(7, 500, 3600.0)
    b = hcp.sim.synthetic_market(7, 500, 3600.0)
    assert (a["btc_usd"] == b["btc_usd"]).all() and len(a["btc_usd"]) == 500


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_signal_during_a_market_series_raises_its_exception() -> None:
    # A handler that raises stops the series at its next point (same path as Ctrl-C).
    class Stop(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Stop

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        t = time.perf_counter()
        with pytest.raises(Stop):
            while time.perf_counter() - t < 30:
                hcp.sim.synthetic_market(1, hcp.limits.MAX_STEPS, 1.0)
        assert time.perf_counter() - t < 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_ledger_invoicing_many_customers_is_shared_with_other_threads() -> None:
    from hcpcore.billing import Ledger, Plan, Subscription

    plan = Plan.from_dict(
        {
            "code": "gpu",
            "currency": "USD",
            "meters": [{"code": "gpu_hours", "aggregation": "sum"}],
            "charges": [{"meter_code": "gpu_hours", "model": "standard", "amount": "2.49"}],
        }
    )
    customers = [f"c{i}" for i in range(300)]
    event = {"meter_code": "gpu_hours", "timestamp": "2026-11-02T00:00:00Z", "quantity": "1.5"}
    ledger = Ledger.memory()
    ledger.ingest([dict(event, event_id=f"e{i}", customer_id=c) for i, c in enumerate(customers)])
    errors: list[BaseException] = []
    reads = 0

    def read() -> None:
        nonlocal reads
        try:
            for _ in range(50):
                assert len(ledger.customers()) == len(customers)
                reads += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    reader = threading.Thread(target=read)
    reader.start()
    invoices = ledger.issue_invoices(plan, [Subscription(c, "2026-11-01") for c in customers], "2026-11-30T00:00:00Z")
    reader.join()
    assert not errors, errors
    assert reads == 50 and len(invoices) == len(customers)
    assert {str(i.total) for i in invoices} == {"3.74"}  # 1.5 h x 2.49 = 3.735, rounded half-even
