"""Serving simulation, Python vs native, side by side in this one run: the Azure conversational
trace scaled so 8 replicas of an 8B model on H100 SXM run near saturation (90 % of the rate they
sustain under overload), every request through admission, prefill, decode and completion.

Native: the release build of `core/examples/serve_bench.rs` (best of 3 runs of `hcpcore::sim::serve::run`).
Python: `hcp.sim.Server(...).run(...)` on the same request columns (best of 3, one call each,
numpy columns in and out). Both build the load with the same core functions, so they simulate the
same requests.

    cargo build --release -p hcp --example serve_bench
    .venv/bin/python benches/serve_python_bench.py [requests]
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import hcpcore as hcp

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = float(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000.0


def main() -> None:
    native = subprocess.run(
        [str(ROOT / "target/release/examples/serve_bench"), str(REQUESTS)], capture_output=True, text=True, check=True
    ).stdout
    print(native.strip())
    native_wall = float(re.search(r"wall ([0-9.]+) s", native).group(1))  # type: ignore[union-attr]

    server = hcp.sim.Server(
        hcp.sim.H100("sxm"), hcp.sim.ModelSpec(params=8e9, bytes_per_param=2), replicas=8, seed=1, max_batch=256
    )
    trace = hcp.sim.azure_trace("conv")
    overload = hcp.sim.scale_trace(*trace, mean_rate_per_second=2000.0, duration_seconds=60.0)
    sustained = server.run(*overload).requests_per_second
    rate = 0.9 * sustained
    a, p, o = hcp.sim.scale_trace(*trace, mean_rate_per_second=rate, duration_seconds=REQUESTS / rate)
    best = float("inf")
    result = None
    for _ in range(3):
        start = time.perf_counter()
        result = server.run(arrival_seconds=a, prompt_tokens=p, output_tokens=o)
        best = min(best, time.perf_counter() - start)
    assert result is not None
    print(
        f"python: requests {result.requests}  steps {result.steps}  wall {best:.3f} s (best of 3)  "
        f"requests/s {result.requests / best:.0f}"
    )
    print(f"python / native wall time: {best / native_wall:.3f}")


if __name__ == "__main__":
    main()
