"""Cross-language benchmarks of hcp from Python, each comparison run on the same data in one run.

Run with `make bench` (or `.venv/bin/python benches/python_bench.py` after `make python`). Prints
markdown tables; benches/RESULTS.md records them with the machine and the command.
"""

from __future__ import annotations

import heapq
import os
import platform
import sys
import threading
import time
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import hcpcore as hcp

QUICK = os.environ.get("HCP_BENCH_QUICK") == "1"


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def market() -> hcp.Market:
    return hcp.Market(
        btc_usd=100_000,
        difficulty=1.1e14,
        height=880_000,
        fee_share=0.02,
        electricity_usd_per_kwh=0.05,
        gpu_usd_per_hour=2.0,
    )


def econ_batch() -> None:
    """Batch miner economics: native Rust vs the binding vs vectorised numpy vs a Python loop."""
    n = 1_000_000
    rng = np.random.default_rng(7)
    ths = rng.uniform(100, 340, n)
    watts = ths * rng.uniform(13.5, 22.0, n)
    m = market()
    reps = 3 if QUICK else 15

    native = hcp._hcp._bench_native_miner_daily_batch(m, ths, watts, reps)
    out = tuple(np.empty(n) for _ in range(4))
    binding_out = best_of(lambda: hcp.econ.miner_daily_batch(m, ths, watts, out=out), reps)  # type: ignore[arg-type]
    binding_alloc = best_of(lambda: hcp.econ.miner_daily_batch(m, ths, watts), reps)

    usd_per_th_day = hcp.econ.hashprice_usd_per_th_day(m)
    kwh_per_watt_day = 24.0 / 1000.0
    price = m.electricity_usd_per_kwh

    def numpy_version() -> tuple[Any, ...]:
        # The same maths as vectorised numpy, with the same input validation.
        if not (np.all(np.isfinite(ths)) and np.all(ths >= 0) and np.all(np.isfinite(watts)) and np.all(watts > 0)):
            raise ValueError("bad input")
        revenue = ths * usd_per_th_day
        kwh = watts * kwh_per_watt_day
        cost = kwh * price
        return revenue, cost, revenue - cost, revenue / kwh

    numpy_t = best_of(numpy_version, reps)
    # Check the numpy version computes the same numbers as hcp.
    r = hcp.econ.miner_daily_batch(m, ths, watts)
    np.testing.assert_allclose(numpy_version()[2], r.profit_usd_per_day, rtol=1e-12)

    loop_n = 20_000 if QUICK else 100_000
    ths_l, watts_l = ths[:loop_n].tolist(), watts[:loop_n].tolist()

    def python_loop() -> list[tuple[float, float, float, float]]:
        res = []
        for t, w in zip(ths_l, watts_l):
            if not (t >= 0 and w > 0 and t < float("inf") and w < float("inf")):
                raise ValueError("bad input")
            revenue = t * usd_per_th_day
            kwh = w * kwh_per_watt_day
            cost = kwh * price
            res.append((revenue, cost, revenue - cost, revenue / kwh))
        return res

    loop_t = best_of(python_loop, 3) * (n / loop_n)

    def row(name: str, seconds: float) -> str:
        return f"| {name} | {seconds * 1e9 / n:.2f} | {n / seconds / 1e6:,.0f} | {seconds / native:.2f}x |"

    print("\n### econ batch: miner economics per day, 10^6 devices, one core\n")
    print("| implementation | ns / device | M devices / s | time vs native Rust |")
    print("| --- | --- | --- | --- |")
    print(row("native Rust (core, in-process)", native))
    print(row("hcp.econ.miner_daily_batch, out= arrays", binding_out))
    print(row("hcp.econ.miner_daily_batch, new arrays", binding_alloc))
    print(row("same maths, vectorised numpy", numpy_t))
    print(row(f"same maths, plain Python loop (timed on {loop_n:,}, scaled)", loop_t))
    print(
        f"\nbinding (out=) vs numpy: {numpy_t / binding_out:.1f}x faster; "
        f"vs Python loop: {loop_t / binding_out:.0f}x faster; vs native: {binding_out / native:.2f}x the time"
    )


def econ_curtail() -> None:
    """Fleet curtailment (mine or sleep per miner, per-device power price): the same comparison."""
    n = 1_000_000
    rng = np.random.default_rng(11)
    ths = rng.uniform(100, 340, n)
    watts = ths * rng.uniform(13.5, 22.0, n)
    sleep = np.full(n, 25.0)
    price = rng.uniform(0.0, 0.25, n)
    m = market()
    reps = 3 if QUICK else 15
    native = hcp._hcp._bench_native_miner_curtail_batch(m, ths, watts, sleep, price, reps)
    out = (np.empty(n, dtype=np.uint8), np.empty(n), np.empty(n))
    binding = best_of(lambda: hcp.econ.miner_curtail_batch(m, ths, watts, sleep, price, out=out), reps)
    binding_alloc = best_of(lambda: hcp.econ.miner_curtail_batch(m, ths, watts, sleep, price), reps)
    usd_per_th_hour = hcp.econ.hashprice_usd_per_th_day(m) / 24.0
    kw_per_watt, credit = 1.0 / 1000.0, 0.0

    def numpy_version() -> tuple[Any, ...]:
        ok = (
            np.isfinite(ths)
            & (ths >= 0)
            & np.isfinite(watts)
            & (watts > 0)
            & np.isfinite(sleep)
            & (sleep >= 0)
            & (sleep <= watts)
            & np.isfinite(price)
            & (price >= 0)
        )
        if not ok.all():
            raise ValueError("bad input")
        revenue = ths * usd_per_th_hour
        mine_kw = watts * kw_per_watt
        sleep_kw = sleep * kw_per_watt
        mine_profit = revenue - mine_kw * price
        held = mine_kw - sleep_kw
        sleep_profit = held * credit - sleep_kw * price
        mines = mine_profit >= sleep_profit
        profit = np.where(mines, mine_profit, sleep_profit)
        breakeven = np.where(held > 0, (revenue - held * credit) / np.where(held > 0, held, 1.0), 0.0)
        return mines.astype(np.uint8), profit, breakeven

    numpy_t = best_of(numpy_version, reps)
    r = hcp.econ.miner_curtail_batch(m, ths, watts, sleep, price)
    ref = numpy_version()
    assert (ref[0] == r.mine).all()
    np.testing.assert_allclose(ref[1], r.profit_usd_per_hour, rtol=1e-12, atol=1e-12)

    loop_n = 20_000 if QUICK else 100_000
    rows = list(zip(ths[:loop_n].tolist(), watts[:loop_n].tolist(), sleep[:loop_n].tolist(), price[:loop_n].tolist()))
    inf = float("inf")

    def python_loop() -> list[tuple[int, float, float]]:
        res = []
        for t, w, s, p in rows:
            if not (0 <= t < inf and 0 < w < inf and 0 <= s <= w and 0 <= p < inf):
                raise ValueError("bad input")
            revenue = t * usd_per_th_hour
            mine_kw, sleep_kw = w * kw_per_watt, s * kw_per_watt
            mine_profit = revenue - mine_kw * p
            held = mine_kw - sleep_kw
            sleep_profit = held * credit - sleep_kw * p
            mines = mine_profit >= sleep_profit
            res.append(
                (
                    int(mines),
                    mine_profit if mines else sleep_profit,
                    (revenue - held * credit) / held if held > 0 else 0.0,
                )
            )
        return res

    loop_t = best_of(python_loop, 3) * (n / loop_n)

    def row(name: str, seconds: float) -> str:
        return f"| {name} | {seconds * 1e9 / n:.2f} | {n / seconds / 1e6:,.0f} | {seconds / native:.2f}x |"

    print("\n### econ batch: fleet curtailment (mine or sleep, per-device price), 10^6 miners, one core\n")
    print("| implementation | ns / device | M devices / s | time vs native Rust |")
    print("| --- | --- | --- | --- |")
    print(row("native Rust (core, in-process)", native))
    print(row("hcp.econ.miner_curtail_batch, out= arrays", binding))
    print(row("hcp.econ.miner_curtail_batch, new arrays", binding_alloc))
    print(row("same maths, vectorised numpy", numpy_t))
    print(row(f"same maths, plain Python loop (timed on {loop_n:,}, scaled)", loop_t))
    print(
        f"\nbinding (out=) vs numpy: {numpy_t / binding:.1f}x faster; vs Python loop: {loop_t / binding:.0f}x faster; "
        f"vs native: {binding / native:.2f}x the time; new arrays vs numpy: {numpy_t / binding_alloc:.1f}x faster"
    )


def scalar_calls() -> None:
    m = market()
    number = 200_000 if QUICK else 1_000_000
    rows = [
        ("hcp.econ.hashprice_usd_per_ph_day(m)", lambda: hcp.econ.hashprice_usd_per_ph_day(m)),
        ("hcp.econ.block_subsidy_btc(840_000)", lambda: hcp.econ.block_subsidy_btc(840_000)),
        ("hcp.econ.miner_daily('S21', m)", lambda: hcp.econ.miner_daily("S21", m)),
    ]
    print("\n### Scalar calls from Python (one boundary crossing each)\n")
    print("| call | ns / call |")
    print("| --- | --- |")
    for name, fn in rows:
        t = min(timeit.repeat(fn, number=number, repeat=5)) / number
        print(f"| `{name}` | {t * 1e9:.0f} |")


class PyHeapRouter:
    """The usual pure-Python router: a heap and a dict behind one lock, best fit by a scan of
    a small GPU list (no validation, fair share, quotas, power or metrics)."""

    def __init__(self, gpus: int, mb: int) -> None:
        self.lock = threading.Lock()
        self.heap: list[tuple[int, int]] = []
        self.free = [mb] * gpus
        self.work: dict[int, tuple[int, int]] = {}
        self.next_id = 0

    def submit(self, priority: int, mb: int) -> int:
        with self.lock:
            wid = self.next_id
            self.next_id += 1
            self.work[wid] = (mb, -1)
            heapq.heappush(self.heap, (priority, wid))
            return wid

    def dispatch(self) -> int | None:
        with self.lock:
            if not self.heap:
                return None
            _, wid = heapq.heappop(self.heap)
            mb = self.work[wid][0]
            best = min((i for i, f in enumerate(self.free) if f >= mb), key=lambda i: self.free[i])
            self.free[best] -= mb
            self.work[wid] = (mb, best)
            return wid

    def complete(self, wid: int) -> None:
        with self.lock:
            mb, dev = self.work.pop(wid)
            self.free[dev] += mb


def router_cycles() -> None:
    """Submit 64 → dispatch them → complete them, on 256 H100s, from 1 and 2 Python threads."""
    batch, gpus = 64, 256
    total = 20_000 if QUICK else 200_000
    prio = np.array([1 + i % 10 for i in range(batch)], dtype=np.int64)
    mem = np.ones(batch)

    def make() -> hcp.Router:
        r = hcp.Router(aging_seconds=0.0)
        for i in range(gpus):
            r.add_device(f"g{i}", "gpu", "H100_SXM", "a")
        return r

    def hcp_batch(r: hcp.Router, n: int) -> None:
        for _ in range(n // batch):
            r.submit_batch("bench", "ai_inference_batch", n=batch, priority=prio, gpu_memory_gb=mem)
            got = 0
            while got < batch:
                ids = r.dispatch_batch(batch - got).workload_ids
                r.complete_batch(ids)
                got += len(ids)

    def hcp_calls(r: hcp.Router, n: int) -> None:
        for _ in range(n // batch):
            for p in prio.tolist():
                r.submit("bench", "ai_inference_batch", priority=p, gpu_memory_gb=1.0)
            ids = []
            while len(ids) < batch:
                a = r.dispatch()
                if a is not None:
                    ids.append(a.workload_id)
            for wid in ids:
                r.complete(wid)

    def py_heap(r: PyHeapRouter, n: int) -> None:
        for _ in range(n // batch):
            for p in prio.tolist():
                r.submit(p, 1024)
            ids = []
            while len(ids) < batch:
                wid = r.dispatch()
                if wid is not None:
                    ids.append(wid)
            for wid in ids:
                r.complete(wid)

    def run(threads: int, target: Any, work: Callable[[Any, int], None], n: int) -> float:
        per = n // threads
        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                work(target, per)
            except BaseException as e:  # a failed thread must fail the benchmark, not speed it up
                errors.append(e)

        ts = [threading.Thread(target=guarded) for _ in range(threads)]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            raise errors[0]
        return per * threads / elapsed

    def py_make() -> PyHeapRouter:
        return PyHeapRouter(gpus, 80 * 1024)

    print("\n### Router: submit → dispatch → complete cycles from Python (workloads / s)\n")
    print("| variant | 1 thread | 2 threads |")
    print("| --- | --- | --- |")
    rows: list[tuple[str, Callable[[], Any], Callable[[Any, int], None], int]] = [
        ("`hcp.Router` batch calls (`submit_batch`, `dispatch_batch`, `complete_batch`)", make, hcp_batch, total),
        ("`hcp.Router`, one call per workload", make, hcp_calls, total // 10),
        ("pure-Python `heapq` + `threading.Lock` router (far less work)", py_make, py_heap, total // 10),
    ]
    for name, mk, work, n in rows:
        figures = [max(run(t, mk(), work, n) for _ in range(2)) for t in (1, 2)]
        print(f"| {name} | {figures[0] / 1e6:.2f} M | {figures[1] / 1e6:.2f} M |")


def main() -> None:
    print(
        f"# hcp Python benchmarks — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, hcp {hcp.__version__}"
    )
    econ_batch()
    econ_curtail()
    scalar_calls()
    router_cycles()


if __name__ == "__main__":
    main()
