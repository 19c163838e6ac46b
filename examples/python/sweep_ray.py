"""Thousands of what-if scenarios on Ray: BTC price × power price × GPU demand × strategy.

Each scenario replays the same window of real market history (ERCOT HB_SOUTH 15-minute prices,
daily BTC price, difficulty, fees and the H100 rental index from ``data/market``) through the
reference site (``examples/site.json``: 4 MW, 1,000 S21 + 512 H100) with its inputs scaled, and
reports profit, revenue, energy cost, energy and curtailed miner-hours. Scenarios run as Ray tasks
over the Python binding; the results are gathered into one pandas table, summarised per strategy
and charted to ``out/sweep_ray.png`` (and the table written to ``out/sweep_ray.csv``).

Run (after ``make python``)::

    .venv/bin/python examples/python/sweep_ray.py                       # local Ray, every core
    .venv/bin/python examples/python/sweep_ray.py --workers 2 --scenarios 4000
    .venv/bin/python examples/python/sweep_ray.py --address ray://head:10001   # an existing cluster

On an existing cluster every node needs ``hcpcore`` installed (the scenario code travels with the
tasks); the driver reads ``data/market`` and ships the market window (with ``hcpcore.site``, the
nodes read ``data/`` themselves, at the driver's path). A cluster started with
``ray start --head`` by Ray 2.5x uses token authentication: run the driver with
``RAY_AUTH_MODE=token`` (the token is in ``~/.ray/auth_token``), e.g.
``RAY_AUTH_MODE=token make sweep SWEEP_ARGS="--address 127.0.0.1:6379 --workers 2"``.

Where the numbers come from: every scenario is evaluated by one function, :func:`evaluate`.
When the installed binding has the closed site loop (``hcpcore.site``, issue #14) it runs
``hcpcore.site.Site.from_config(...).run(strategy=...)`` with the scenario's inputs and the
strategies ``hcpcore.site.strategies()`` lists. Until then it falls back to the economics that
exist: ``hcpcore.econ.Site.plan`` (price-responsive: loss-making devices curtailed, the cap shared
by value per kWh), ``plan_always_on`` (always on), and the plan of a miners-only or GPUs-only site
(mining only, AI only), at every 15-minute interval. In that mode "demand" scales the share of
hours a GPU is rented (``gpu_utilisation``). The script does no economics itself: it scales
inputs, calls the binding and adds up per-interval results.
"""

from __future__ import annotations

import argparse
import atexit
import itertools
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hcpcore

REPO = Path(__file__).resolve().parents[2]
INTERVAL_SECONDS = 900.0
ECON_STRATEGIES = ("always_on", "mining_only", "ai_only", "price_responsive")
SUMMARY_COLUMNS = ("profit_usd", "revenue_usd", "energy_cost_usd", "energy_mwh", "curtailed_miner_hours")


def site_loop_available() -> bool:
    """Whether the binding has the closed site loop of issue #14 (``hcpcore.site.Site.run``)."""
    site = getattr(hcpcore, "site", None)
    return site is not None and hasattr(site, "Site") and hasattr(site.Site, "run")


def strategies() -> list[str]:
    if site_loop_available():
        return list(hcpcore.site.strategies())  # type: ignore[attr-defined]
    return list(ECON_STRATEGIES)


# ---------------------------------------------------------------- inputs (driver) -------------


def load_inputs(config_path: Path, data_dir: Path, start: str, days: float) -> dict[str, Any]:
    """What every scenario shares: the site config and the market window as ``hcpcore.Market``
    snapshots (the all-in power price is the wholesale price plus the site's adders, floored at
    $0/kWh as ``make demo`` does: ``Market`` refuses negative prices)."""
    config = json.loads(config_path.read_text())
    steps = max(1, round(days * 86_400 / INTERVAL_SECONDS))
    cols = hcpcore.sim.replay_market(str(data_dir), start, steps, INTERVAL_SECONDS)
    adders = float(config.get("adders_usd_per_kwh", config.get("tariff", {}).get("adders_usd_per_kwh", 0.0)))
    electricity = np.maximum(cols["electricity_usd_per_mwh"] / 1000.0 + adders, 0.0)
    markets = [
        hcpcore.Market(
            btc_usd=float(cols["btc_usd"][i]),
            difficulty=float(cols["difficulty"][i]),
            height=int(cols["height"][i]),
            fees_btc_per_block=float(cols["fees_btc_per_block"][i]),
            electricity_usd_per_kwh=float(electricity[i]),
            gpu_usd_per_hour=float(cols["gpu_usd_per_hour"][i]),
        )
        for i in range(steps)
    ]
    end = (pd.Timestamp(start) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")
    return {
        "config": config,
        "config_dir": str(config_path.parent),
        "data_dir": str(data_dir),
        "start": start,
        "end": end,
        "markets": markets,
        "interval_hours": INTERVAL_SECONDS / 3600.0,
    }


def scenario_grid(n: int, strategy_names: list[str], seed: int = 0) -> list[dict[str, Any]]:
    """Exactly ``n`` scenarios: BTC × power × demand factor combinations, each run with every
    strategy (so strategies are compared on the same inputs). The axes have as many levels as
    ``n`` allows; when the full grid is larger than needed, a seeded sample of its combinations."""
    per_strategy = max(1, math.ceil(n / len(strategy_names)))
    levels = max(1, math.ceil(per_strategy ** (1 / 3)))

    def axis(low: float, high: float) -> np.ndarray:
        return np.linspace(low, high, levels) if levels > 1 else np.array([1.0])

    combos = list(itertools.product(axis(0.5, 1.5), axis(0.5, 3.0), axis(0.3, 1.3)))
    if len(combos) > per_strategy:
        pick = np.random.default_rng(seed).choice(len(combos), per_strategy, replace=False)
        combos = [combos[i] for i in sorted(pick)]
    grid = [
        {"btc_factor": float(b), "power_factor": float(p), "demand_factor": float(d), "strategy": s}
        for (b, p, d), s in itertools.product(combos, strategy_names)
    ][:n]
    for i, scenario in enumerate(grid):
        scenario["scenario"] = i
    return grid


# ---------------------------------------------------------------- one scenario (worker) -------


def evaluate(scenario: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """One scenario's totals over the window: the only place that calls the binding's maths.

    With ``hcpcore.site`` installed this is ``Site.from_config(...).run(strategy=...)``; without
    it, the econ fallback below (same summary keys).
    """
    if site_loop_available():
        return _evaluate_site_loop(scenario, inputs)
    return _evaluate_econ(scenario, inputs)


def _evaluate_site_loop(scenario: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    config = json.loads(json.dumps(inputs["config"]))
    demand = scenario["demand_factor"]
    for endpoint in config.get("endpoints", []):
        endpoint["mean_requests_per_second"] *= demand
    for job in config.get("jobs", []):
        job["gpu_hours"] *= demand
    config["market_dir"] = _scaled_market_dir(inputs["data_dir"], scenario["btc_factor"], scenario["power_factor"])
    if "demand_dir" in config:
        config["demand_dir"] = str((Path(inputs["config_dir"]) / config["demand_dir"]).resolve())
    site = hcpcore.site.Site.from_config(config)  # type: ignore[attr-defined]
    result = site.run(strategy=scenario["strategy"], start=inputs["start"], end=inputs["end"])
    return {**scenario, **{k: float(v) for k, v in dict(result.summary).items()}}


_SCALED_DIR: dict[str, Any] = {"key": None, "path": None}


def _remove_scaled_market_dir() -> None:
    if _SCALED_DIR["path"] is not None:
        shutil.rmtree(_SCALED_DIR["path"], ignore_errors=True)


def _scaled_market_dir(data_dir: str, btc_factor: float, power_factor: float) -> str:
    """A copy of ``data_dir`` in this worker's temp dir with the BTC price and the ERCOT prices
    scaled (the site loop reads its market from files). Scenarios come in grid order, so one copy
    is kept at a time: the previous one is removed when the factors change, the last at exit."""
    key = (data_dir, btc_factor, power_factor)
    if _SCALED_DIR["key"] == key:
        return str(_SCALED_DIR["path"])
    if _SCALED_DIR["path"] is None:
        atexit.register(_remove_scaled_market_dir)
    _remove_scaled_market_dir()
    out = Path(tempfile.mkdtemp(prefix="hcpcore-sweep-market-"))
    for src in Path(data_dir).glob("*.csv"):
        columns: tuple[str, ...]
        if src.name.startswith("btc_usd_daily"):
            scale, columns = btc_factor, ("open", "high", "low", "close")
        elif src.name.startswith("ercot_"):
            scale, columns = power_factor, ("hb_south_rtm_spp_usd_mwh", "hb_south_dam_spp_usd_mwh")
        else:
            (out / src.name).symlink_to(src.resolve())
            continue
        table = pd.read_csv(src, dtype=str, keep_default_na=False)
        for c in columns:
            table[c] = (pd.to_numeric(table[c]) * scale).map(repr)
        table.to_csv(out / src.name, index=False)
    _SCALED_DIR.update(key=key, path=out)
    return str(out)


_SITES: dict[tuple[str, float], hcpcore.econ.Site] = {}


def _econ_site(config: dict[str, Any], strategy: str, gpu_utilisation: float) -> hcpcore.econ.Site:
    key = (strategy, gpu_utilisation)
    if key not in _SITES:
        kinds = {"mining_only": {"asic"}, "ai_only": {"gpu"}}.get(strategy, {"asic", "gpu"})
        devices = [
            (d["model"], int(d["count"])) for d in config["devices"] if hcpcore.models.get(d["model"]).kind in kinds
        ]
        _SITES[key] = hcpcore.econ.Site(
            devices,
            config["cap_kw"],
            pue=config["pue"],
            pool_fee=config["pool_fee"],
            gpu_utilisation=gpu_utilisation,
            demand_response_usd_per_mwh=config.get("demand_response_usd_per_mwh", 0.0),
        )
    return _SITES[key]


def _evaluate_econ(scenario: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    config = inputs["config"]
    strategy = scenario["strategy"]
    if strategy not in ECON_STRATEGIES:
        raise ValueError(f"strategy {strategy!r} needs hcpcore.site; without it: {', '.join(ECON_STRATEGIES)}")
    utilisation = min(1.0, config["gpu_utilisation"] * scenario["demand_factor"])
    site = _econ_site(config, strategy, utilisation)
    plan = site.plan_always_on if strategy == "always_on" else site.plan
    hours = inputs["interval_hours"]
    totals = dict.fromkeys(SUMMARY_COLUMNS, 0.0)
    for base in inputs["markets"]:
        market = base.replace(
            btc_usd=base.btc_usd * scenario["btc_factor"],
            electricity_usd_per_kwh=base.electricity_usd_per_kwh * scenario["power_factor"],
        )
        p = plan(market)
        totals["profit_usd"] += p.profit_usd_per_hour * hours
        totals["revenue_usd"] += (p.mining_revenue_usd_per_hour + p.gpu_revenue_usd_per_hour) * hours
        totals["energy_cost_usd"] += p.energy_cost_usd_per_hour * hours
        totals["energy_mwh"] += p.facility_kw * hours / 1000.0
        totals["curtailed_miner_hours"] += sum(g.curtailed for g in p.groups if g.kind == "asic") * hours
    return {**scenario, **totals}


def evaluate_chunk(chunk: list[dict[str, Any]], inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return [evaluate(s, inputs) for s in chunk]


# ---------------------------------------------------------------- the sweep (driver) ----------


def remote_evaluate_chunk() -> Any:
    """:func:`evaluate_chunk` as a Ray task. Functions of a script travel to workers by value;
    when this file is imported as a module (a notebook, benches/sweep_ray_bench.py) it is
    registered to travel by value too, so workers need only ``hcpcore``, not this file."""
    import ray

    if __name__ != "__main__":
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    return ray.remote(num_cpus=1)(evaluate_chunk)


def run_sweep(
    scenarios: list[dict[str, Any]], inputs: dict[str, Any], workers: int, chunk_size: int | None = None
) -> tuple[pd.DataFrame, float]:
    """Runs every scenario as Ray tasks (chunks of scenarios, at most ``workers`` in flight) and
    returns the gathered table and the wall-clock seconds of the sweep."""
    import ray

    remote = remote_evaluate_chunk()
    shared = ray.put(inputs)  # once into the object store; each task gets a reference
    size = chunk_size or max(1, math.ceil(len(scenarios) / (workers * 8)))
    chunks = [scenarios[i : i + size] for i in range(0, len(scenarios), size)]
    started = time.perf_counter()
    pending: list[Any] = []
    rows: list[dict[str, Any]] = []
    for chunk in chunks:
        if len(pending) >= workers:
            done, pending = ray.wait(pending, num_returns=1)
            rows.extend(itertools.chain.from_iterable(ray.get(done)))
        pending.append(remote.remote(chunk, shared))
    rows.extend(itertools.chain.from_iterable(ray.get(pending)))
    elapsed = time.perf_counter() - started
    table = pd.DataFrame(rows).sort_values("scenario").reset_index(drop=True)
    return table, elapsed


def warm_up(inputs: dict[str, Any], workers: int) -> None:
    """Starts every worker and imports hcpcore in it, so timings are of the sweep alone."""
    import ray

    remote = remote_evaluate_chunk()
    probe = {"btc_factor": 1.0, "power_factor": 1.0, "demand_factor": 1.0, "strategy": strategies()[0]}
    tiny = {**inputs, "markets": inputs["markets"][:1]}
    ray.get([remote.remote([{**probe, "scenario": -1}], tiny) for _ in range(workers)])


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    return table.groupby("strategy")[list(SUMMARY_COLUMNS)].agg(["mean", "min", "max"]).round(0)


def chart(table: pd.DataFrame, path: Path, title: str) -> bool:
    """Profit against BTC factor per strategy, one panel per power factor (the demand axis
    averaged); False where matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    powers = sorted(table["power_factor"].unique())
    shown = powers if len(powers) <= 4 else [powers[i] for i in np.linspace(0, len(powers) - 1, 4).round().astype(int)]
    fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 3.8), sharey=True, squeeze=False)
    for ax, power in zip(axes[0], shown):
        sub = table[table["power_factor"] == power]
        for strategy, rows in sub.groupby("strategy"):
            mean = rows.groupby("btc_factor")["profit_usd"].mean() / 1000.0
            ax.plot(mean.index, mean.values, marker="o", markersize=3, label=strategy)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(f"power price x{power:.2f}")
        ax.set_xlabel("BTC price factor")
    axes[0][0].set_ylabel("profit over window, k$ (mean over demand)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--address", help="an existing Ray cluster (e.g. ray://head:10001 or auto); default: a local one")
    p.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="tasks in flight (local: CPUs given to Ray)"
    )
    p.add_argument("--scenarios", type=int, default=2000, help="how many scenarios (default 2000)")
    p.add_argument("--start", default="2024-08-01", help="first day of the market window (default 2024-08-01)")
    p.add_argument("--days", type=float, default=7.0, help="length of the window in days (default 7)")
    p.add_argument("--config", type=Path, default=REPO / "examples" / "site.json")
    p.add_argument("--data", type=Path, default=REPO / "data" / "market")
    p.add_argument("--out", type=Path, default=REPO / "out", help="folder for sweep_ray.csv and sweep_ray.png")
    p.add_argument("--chunk", type=int, default=None, help="scenarios per Ray task (default: about 8 tasks per worker)")
    p.add_argument("--check", action="store_true", help="exit 1 unless every scenario has finite results (tests)")
    args = p.parse_args(argv)
    if args.workers < 1 or args.scenarios < 1 or args.days <= 0:
        p.error("--workers and --scenarios must be at least 1, --days above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    import ray

    args = parse_args(argv)
    names = strategies()
    mode = "hcpcore.site loop" if site_loop_available() else "hcpcore.econ plans (hcpcore.site not installed)"
    inputs = load_inputs(args.config, args.data, args.start, args.days)
    scenarios = scenario_grid(args.scenarios, names)
    # The task functions travel by value (cloudpickle), the Markets and Sites by their pickle
    # support; Ray's session files go to the system temp dir, never into the repository.
    if args.address:
        ray.init(address=args.address, logging_level=logging.ERROR)
    else:
        ray.init(
            num_cpus=args.workers,
            include_dashboard=False,
            logging_level=logging.ERROR,
            _temp_dir=os.path.join(tempfile.gettempdir(), "ray"),
        )
    try:
        warm_up(inputs, args.workers)
        table, elapsed = run_sweep(scenarios, inputs, args.workers, args.chunk)
    finally:
        ray.shutdown()

    print(
        f"{len(table):,} scenarios ({', '.join(names)}) over {len(inputs['markets'])} intervals "
        f"from {args.start} ({args.days:g} days) with {mode}"
    )
    print(
        f"{args.workers} worker(s): {elapsed:.2f} s, {elapsed / len(table) * 1e3:.2f} ms per scenario "
        f"(x {args.workers} workers = {elapsed * args.workers / len(table) * 1e3:.2f} ms of worker wall time each)\n"
    )
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(summarise(table).to_string())
    best = table.loc[table["profit_usd"].idxmax()]
    print(
        f"\nbest: {best['strategy']} at BTC x{best['btc_factor']:.2f}, power x{best['power_factor']:.2f}, "
        f"demand x{best['demand_factor']:.2f}: ${best['profit_usd']:,.0f}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "sweep_ray.csv", index=False)
    title = f"{len(table):,} scenarios, {args.days:g} days from {args.start}"
    charted = chart(table, args.out / "sweep_ray.png", title)
    if charted:
        print(f"wrote {args.out / 'sweep_ray.csv'} and {args.out / 'sweep_ray.png'}")
    else:
        print(f"wrote {args.out / 'sweep_ray.csv'} (no chart: matplotlib is not installed)")

    if args.check:
        problems = check_table(table, scenarios)
        if not charted:
            problems.append("no chart (matplotlib missing)")
        if not args.address:
            problems.extend(f"Ray left a process behind: pid {p.pid} {p.name()}" for p in leftover_processes())
        for p in problems:
            print(f"check failed: {p}", file=sys.stderr)
        return 1 if problems else 0
    return 0


def leftover_processes() -> list[Any]:
    """Processes the local Ray cluster started (the driver's descendants) still alive after
    ``ray.shutdown()``, given up to 10 s to exit."""
    import psutil  # a dependency of ray

    me = psutil.Process()
    deadline = time.monotonic() + 10.0
    while True:
        alive = [p for p in me.children(recursive=True) if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def check_table(table: pd.DataFrame, scenarios: list[dict[str, Any]]) -> list[str]:
    """What ``--check`` (make test) asserts: one row per scenario, every figure finite."""
    problems = []
    if sorted(table["scenario"]) != [s["scenario"] for s in scenarios]:
        problems.append(f"{len(table)} rows for {len(scenarios)} scenarios")
    numbers = table[list(SUMMARY_COLUMNS)].to_numpy(dtype=float)
    if not np.isfinite(numbers).all():
        problems.append(f"{int((~np.isfinite(numbers)).sum())} non-finite figures")
    if set(table["strategy"]) != {s["strategy"] for s in scenarios}:
        problems.append("a strategy is missing from the results")
    return problems


if __name__ == "__main__":
    sys.exit(main())
