"""Scaling of examples/python/sweep_ray.py: the same sweep with 1 and 2 Ray workers, alternated and
repeated, on one local Ray cluster; prints wall times, speed-up, per-scenario cost and the load
average around each run (the machine may be shared: compare runs taken at the same load).

    .venv/bin/python benches/sweep_ray_bench.py [--scenarios 400] [--days 7] [--repeats 3]

Also times the same scenarios in this process without Ray (the per-scenario cost of the binding
alone), the CPU seconds the workers spent per scenario (what contention cannot inflate much) and
"cores": worker CPU seconds per wall second, i.e. how much of the machine the sweep was given.
See benches/RESULTS-sweep.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "python"))

import ray  # noqa: E402
import sweep_ray  # noqa: E402


def timed_chunk(chunk: list[dict[str, Any]], inputs: dict[str, Any]) -> tuple[int, float]:
    """Evaluates a chunk in a worker; returns its size and the worker's CPU seconds for it."""
    started = time.process_time()
    rows = sweep_ray.evaluate_chunk(chunk, inputs)
    return len(rows), time.process_time() - started


def sweep(remote: Any, shared: Any, scenarios: list[dict[str, Any]], workers: int) -> tuple[float, float]:
    """Wall seconds and total worker CPU seconds of one sweep with at most ``workers`` tasks in flight."""
    size = max(1, len(scenarios) // (workers * 8))
    chunks = [scenarios[i : i + size] for i in range(0, len(scenarios), size)]
    started = time.perf_counter()
    pending: list[Any] = []
    results: list[tuple[int, float]] = []
    for chunk in chunks:
        if len(pending) >= workers:
            done, pending = ray.wait(pending, num_returns=1)
            results.extend(ray.get(done))
        pending.append(remote.remote(chunk, shared))
    results.extend(ray.get(pending))
    wall = time.perf_counter() - started
    assert sum(n for n, _ in results) == len(scenarios)
    return wall, sum(cpu for _, cpu in results)


def _busy(seconds: float) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        pass
    return time.process_time() - cpu


def cores_given(processes: int, seconds: float = 2.0) -> float:
    """Control without Ray or hcpcore: CPU seconds per wall second that ``processes`` busy loops
    get here. On a shared Linux machine the scheduler shares CPU between sessions (autogroups),
    so this, not the core count, is the ceiling of any speed-up measured from one session."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_busy, [0.05] * processes)  # the pool's processes are up before timing
        started = time.perf_counter()
        cpu = sum(pool.map(_busy, [seconds] * processes))
        return cpu / (time.perf_counter() - started)


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--scenarios", type=int, default=400)
    p.add_argument("--days", type=float, default=7.0)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()

    inputs = sweep_ray.load_inputs(REPO / "examples" / "site.json", REPO / "data" / "market", "2024-08-01", args.days)
    scenarios = sweep_ray.scenario_grid(args.scenarios, sweep_ray.strategies())
    cpus = os.cpu_count()
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {cpus} logical CPUs, Python {platform.python_version()}")
    print(f"sweep: {len(scenarios)} scenarios x {len(inputs['markets'])} intervals ({args.days:g} days)\n")

    sample = scenarios[:: max(1, len(scenarios) // 40)]
    started, cpu_started = time.perf_counter(), time.process_time()
    sweep_ray.evaluate_chunk(sample, inputs)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"in-process, no Ray: {wall / len(sample) * 1e3:.2f} ms wall, {cpu / len(sample) * 1e3:.2f} ms CPU "
        f"per scenario ({len(sample)} scenarios, load {load()})"
    )

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        _temp_dir=os.path.join(tempfile.gettempdir(), "ray"),
    )
    try:
        ray.cloudpickle.register_pickle_by_value(sweep_ray)
        remote = ray.remote(num_cpus=1)(timed_chunk)
        shared = ray.put(inputs)
        sweep_ray.warm_up(inputs, 2)
        head = f"{'run':>3} {'workers':>7} {'wall s':>7} {'ms/scen':>8} {'cpu ms/scen':>11} {'cores':>5}"
        head += f" {'speed-up':>8}"
        print(f"{head}  load before -> after")
        for r in range(args.repeats):
            one_wall = 0.0
            for workers in (1, 2):
                before = load()
                wall, cpu = sweep(remote, shared, scenarios, workers)
                if workers == 1:
                    one_wall = wall
                speed = f"{one_wall / wall:8.2f}" if workers == 2 else f"{'':8}"
                print(
                    f"{r + 1:>3} {workers:>7} {wall:7.2f} {wall / len(scenarios) * 1e3:8.2f} "
                    f"{cpu / len(scenarios) * 1e3:11.2f} {cpu / wall:5.2f} {speed}  {before} -> {load()}"
                )
            one, two = cores_given(1), cores_given(2)
            print(
                f"    control, busy loops without Ray: 1 process {one:.2f} cores, 2 processes {two:.2f} cores "
                f"(ceiling speed-up {two / one:.2f}), load {load()}"
            )
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
