"""Fleet stepping from Python: hcp (Rust, one call per run) vs the same model as vectorised numpy
and as a plain Python per-device loop, all in this one run on the same fleet.

The model is the per-step physics of `hcpcore::sim::fleet`: each GPU's power (idle + leakage from its
die temperature + the activity power of its workload, held under the power limit), the two-node
thermal model relaxed exactly for the step, energy and tokens; each miner's chip temperature,
hashrate with its wander, expected shares and their value, energy; shares drawn as Poisson counts
every hour of simulated time. Fleet totals are recorded every step. hcp runs on one thread
(`threads=1`) for the like-for-like figure (numpy and the Python loop use one core), and with
`threads=2`, reported separately.

    .venv/bin/python benches/sim_python_bench.py          (after `make python`)
"""

from __future__ import annotations

import math
import random
import time

import hcpcore as hcp
import numpy as np

DT = 60.0
N_DEVICES = 100_000
GPU_SHARE = 0.2
STEPS = 60

# Parameters of the shipped H100 SXM fit and the S21 (GpuSpec::h100_sxm, AsicSpec::by_name("S21")).
IDLE_CORE, IDLE_MEM, LEAK, REF_C, LIMIT = 95.2, 30.0, 1.0, 44.0, 700.0
INLET, R_SINK, R_CORE, R_MEM, R_MEM_CORE = 36.3, 0.0275, 0.0396, 0.0382, 0.0186
FAST, SLOW = 1.0 - math.exp(-DT / 0.25), 1.0 - math.exp(-DT / 9.0)
SLOWDOWN_C, SLOWDOWN_PER_C = 87.0, 0.05
CHIP_RELAX = 1.0 - math.exp(-DT / 60.0)
SHARE_RATE = 1e12 / (131072 * 2**32)
# Share outcomes of the S21 (AsicSpec): rejected and stale fractions, hardware errors per share
# (rising 50 % per °C of chip above its target).
REJECT, STALE, HW_PER_SHARE, CHIP_TARGET = 0.001, 0.002, 0.0005, 75.0


def hcp_fleet(n: int, threads: int) -> hcp.sim.Fleet:
    f = hcp.sim.Fleet(dt_seconds=DT, seed=1, keep_events=False, threads=threads)
    gpus = int(n * GPU_SHARE)
    f.add_many("sxm", gpus, "S21", n - gpus)
    f.command_many(np.arange(gpus, dtype=np.int64), "serve", model=hcp.sim.ModelSpec(params=8.03e9), batch=64)
    f.run(10)
    return f


def state(n: int) -> dict[str, np.ndarray]:
    gpus = int(n * GPU_SHARE)
    d = hcp.sim.H100("sxm").decode(hcp.sim.ModelSpec(params=8.03e9), 64)
    dyn_mem = 375.0 * d.dram_activity
    dyn_core = d.power_watts - IDLE_CORE - IDLE_MEM - LEAK * (d.gpu_temp_c - REF_C) - dyn_mem
    m = n - gpus
    return {
        "dyn_core": np.full(gpus, dyn_core),
        "dyn_mem": np.full(gpus, dyn_mem),
        "tps": np.full(gpus, d.tokens_per_second),
        "sink": np.full(gpus, INLET + R_SINK * 125.0),
        "core_rise": np.full(gpus, R_CORE * IDLE_CORE),
        "mem_rise": np.full(gpus, R_MEM * IDLE_MEM),
        "gpu_energy": np.zeros(gpus),
        "tokens": np.zeros(gpus),
        "hash": np.full(m, 200.0),
        "power": np.full(m, 3500.0),
        "chip": np.full(m, 60.0),
        "chip_goal": np.full(m, 60.7),
        "noise": np.zeros(m),
        "pending": np.zeros(m),
        "accepted": np.zeros(m, dtype=np.int64),
        "rejected": np.zeros(m, dtype=np.int64),
        "stale": np.zeros(m, dtype=np.int64),
        "hw_errors": np.zeros(m, dtype=np.int64),
        "asic_energy": np.zeros(m),
        "gpu_timer": np.zeros(gpus),
        "cooling": np.ones(gpus),
        "throttled": np.zeros(gpus, dtype=bool),
        "board_factor": np.ones(m),
        "board_timer": np.zeros(m),
        "pending_btc": np.zeros(m),
        "pending_usd": np.zeros(m),
        "total_th": np.zeros(m),
        "earned_usd": np.zeros(m),
    }


BTC_PER_SHARE = 131072 / 1.1e14 * 3.155
USD_PER_SHARE = BTC_PER_SHARE * 95_000.0


def step_numpy(s: dict[str, np.ndarray], step: int, rng: np.random.Generator, totals: list[float]) -> None:
    if (s["gpu_timer"] > 0).any():  # transitions in flight (none in this steady fleet)
        s["gpu_timer"] -= DT
    gpu_c = s["sink"] + s["core_rise"]
    s["throttled"] = gpu_c > SLOWDOWN_C
    f = np.where(gpu_c > SLOWDOWN_C, np.maximum(1.0 - SLOWDOWN_PER_C * (gpu_c - SLOWDOWN_C), 0.17), 1.0)
    dyn = s["dyn_core"] * f
    core = IDLE_CORE + LEAK * (gpu_c - REF_C) + dyn
    mem = IDLE_MEM + s["dyn_mem"]
    core = np.where(core + mem > LIMIT, np.maximum(LIMIT - mem, IDLE_CORE), core)
    power = core + mem
    s["sink"] += (INLET + R_SINK * s["cooling"] * power - s["sink"]) * SLOW
    s["core_rise"] += (R_CORE * core - s["core_rise"]) * FAST
    s["mem_rise"] += (R_MEM * mem + R_MEM_CORE * core - s["mem_rise"]) * FAST
    s["gpu_energy"] += power * DT
    s["tokens"] += s["tps"] * f * DT
    if (s["board_timer"] > 0).any():
        s["board_timer"] -= DT
    s["chip"] += (s["chip_goal"] - s["chip"]) * CHIP_RELAX
    bf = s["board_factor"]
    h = s["hash"] * (1.0 + s["noise"]) * bf
    asic_power = s["power"] * (bf + (1.0 - bf) * (25.0 / 3500.0))
    lam = h * SHARE_RATE * DT
    s["pending"] += lam
    s["pending_btc"] += lam * BTC_PER_SHARE
    s["pending_usd"] += lam * USD_PER_SHARE
    s["total_th"] += h * DT
    s["asic_energy"] += asic_power * DT
    if (step + 1) % 60 == 0:
        accepted = rng.poisson(s["pending"] * (1.0 - REJECT - STALE))
        s["accepted"] += accepted
        # Rejected, stale and hardware errors: one Poisson count of all three, split by kind.
        hw = HW_PER_SHARE * (1.0 + 0.5 * np.maximum(s["chip"] - CHIP_TARGET, 0.0))
        rare = REJECT + STALE + hw
        n = rng.poisson(s["pending"] * rare)
        n_r = rng.binomial(n, REJECT / rare)
        n_st = rng.binomial(n - n_r, STALE / (STALE + hw))
        s["rejected"] += n_r
        s["stale"] += n_st
        s["hw_errors"] += n - n_r - n_st
        s["earned_usd"] += accepted * s["pending_usd"] / np.maximum(s["pending"], 1e-300)
        s["pending"][:] = 0.0
        s["pending_btc"][:] = 0.0
        s["pending_usd"][:] = 0.0
        s["noise"] = 0.01 * rng.standard_normal(len(s["noise"]))
    # The fleet totals hcp records every step.
    totals.extend(
        (
            float(power.sum() + asic_power.sum()),
            float(h.sum()),
            float((s["tps"] * f).sum()),
            float(gpu_c.max()),
            float(s["throttled"].sum()),
            float(s["earned_usd"].sum()),
        )
    )


def poisson(rng: random.Random, lam: float) -> int:
    # Exact, by multiplying uniforms (slow for large means, like any per-device Python code).
    k, p, limit = 0, rng.random(), math.exp(-min(lam, 700.0))
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def step_python(s: dict[str, list[float]], step: int, rng: random.Random, totals: list[float]) -> None:
    total = hashrate = tps = 0.0
    max_c = -math.inf
    throttled = 0
    for i in range(len(s["sink"])):
        if s["gpu_timer"][i] > 0:
            s["gpu_timer"][i] -= DT
        gpu_c = s["sink"][i] + s["core_rise"][i]
        throttled += gpu_c > SLOWDOWN_C
        max_c = max(max_c, gpu_c)
        f = max(1.0 - SLOWDOWN_PER_C * (gpu_c - SLOWDOWN_C), 0.17) if gpu_c > SLOWDOWN_C else 1.0
        core = IDLE_CORE + LEAK * (gpu_c - REF_C) + s["dyn_core"][i] * f
        mem = IDLE_MEM + s["dyn_mem"][i]
        if core + mem > LIMIT:
            core = max(LIMIT - mem, IDLE_CORE)
        power = core + mem
        s["sink"][i] += (INLET + R_SINK * s["cooling"][i] * power - s["sink"][i]) * SLOW
        s["core_rise"][i] += (R_CORE * core - s["core_rise"][i]) * FAST
        s["mem_rise"][i] += (R_MEM * mem + R_MEM_CORE * core - s["mem_rise"][i]) * FAST
        s["gpu_energy"][i] += power * DT
        s["tokens"][i] += s["tps"][i] * f * DT
        tps += s["tps"][i] * f
        total += power
    for i in range(len(s["hash"])):
        if s["board_timer"][i] > 0:
            s["board_timer"][i] -= DT
        s["chip"][i] += (s["chip_goal"][i] - s["chip"][i]) * CHIP_RELAX
        bf = s["board_factor"][i]
        h = s["hash"][i] * (1.0 + s["noise"][i]) * bf
        p = s["power"][i] * (bf + (1.0 - bf) * (25.0 / 3500.0))
        lam = h * SHARE_RATE * DT
        s["pending"][i] += lam
        s["pending_btc"][i] += lam * BTC_PER_SHARE
        s["pending_usd"][i] += lam * USD_PER_SHARE
        s["total_th"][i] += h * DT
        s["asic_energy"][i] += p * DT
        total += p
        hashrate += h
    if (step + 1) % 60 == 0:
        for i in range(len(s["hash"])):
            # Poisson by normal approximation would be cheaper; keep it exact like the others.
            k = poisson(rng, s["pending"][i] * (1.0 - REJECT - STALE))
            s["accepted"][i] += k
            hw = HW_PER_SHARE * (1.0 + 0.5 * max(s["chip"][i] - CHIP_TARGET, 0.0))
            rare = REJECT + STALE + hw
            for _ in range(poisson(rng, s["pending"][i] * rare)):
                u = rng.random() * rare
                if u < REJECT:
                    s["rejected"][i] += 1
                elif u < REJECT + STALE:
                    s["stale"][i] += 1
                else:
                    s["hw_errors"][i] += 1
            if s["pending"][i] > 0:
                s["earned_usd"][i] += k * s["pending_usd"][i] / s["pending"][i]
            s["pending"][i] = s["pending_btc"][i] = s["pending_usd"][i] = 0.0
            s["noise"][i] = 0.01 * rng.gauss(0.0, 1.0)
    totals.extend((total, hashrate, tps, max_c, float(throttled), sum(s["earned_usd"])))


def timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def run_numpy(s: dict[str, np.ndarray], rng: np.random.Generator, totals: list[float]) -> None:
    for k in range(STEPS):
        step_numpy(s, k, rng, totals)


def run_python(s: dict[str, list[float]], rng: random.Random, totals: list[float]) -> None:
    for k in range(STEPS):
        step_python(s, k, rng, totals)


REPEATS = 3  # best of three for each side: the machine is shared, take the least disturbed run


def main() -> None:
    rate_hcp = rate_hcp2 = rate_np = rate_py = 0.0
    n_py = 5_000
    for _ in range(REPEATS):
        fleet = hcp_fleet(N_DEVICES, threads=1)
        rate_hcp = max(rate_hcp, N_DEVICES * STEPS / timed(fleet.run, STEPS))
        fleet = hcp_fleet(N_DEVICES, threads=2)
        rate_hcp2 = max(rate_hcp2, N_DEVICES * STEPS / timed(fleet.run, STEPS))

        s = state(N_DEVICES)
        rng = np.random.default_rng(1)
        totals: list[float] = []

        rate_np = max(rate_np, N_DEVICES * STEPS / timed(run_numpy, s, rng, totals))

        sp = {k: v.tolist() for k, v in state(n_py).items()}
        prng = random.Random(1)
        ptotals: list[float] = []

        rate_py = max(rate_py, n_py * STEPS / timed(run_python, sp, prng, ptotals))

    print(f"fleet of {N_DEVICES:,} devices ({GPU_SHARE:.0%} H100 serving, rest S21), {STEPS} steps of {DT:.0f} s")
    print(f"{'implementation':<34} {'device-steps/s':>16} {'hcp speed-up':>13}")
    print(f"{'hcp.sim.Fleet.run (Rust, 1 thread)':<34} {rate_hcp:>16,.0f} {1.0:>12.1f}x")
    print(f"{'vectorised numpy (1 thread)':<34} {rate_np:>16,.0f} {rate_hcp / rate_np:>12.1f}x")
    print(f"{'plain Python loop (5,000 devices)':<34} {rate_py:>16,.0f} {rate_hcp / rate_py:>12.1f}x")
    print(
        f"{'hcp.sim.Fleet.run, threads=2':<34} {rate_hcp2:>16,.0f}   (vs numpy {rate_hcp2 / rate_np:.1f}x; the hourly"
        " share settlement on 2 threads)"
    )


if __name__ == "__main__":
    main()
