"""Writes tests/vectors/serve.json from the current core (through the Python binding): short
seeded serving runs, synthetic streams, trace heads, aggregate results and bad inputs that the
Rust, Python, Node and Go suites all replay. Regenerate only on a deliberate model change:

    .venv/bin/python tests/vectors/serve_generate.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcpcore as hcp

OUT = Path(__file__).resolve().parent / "serve.json"
SUMMARY_KEYS = (
    "requests",
    "duration_seconds",
    "output_tokens_per_second",
    "mean_power_watts",
    "energy_joules",
    "goodput_requests_per_second",
    "joules_per_output_token",
    "preemptions",
    "steps",
)

LLAMA8B = {"params": 8e9, "bytes_per_param": 2}
MIXED = {
    "arrival_seconds": [0.0, 0.0, 0.05, 0.1, 0.1, 0.4, 0.9, 1.3],
    "prompt_tokens": [1200, 40, 3000, 512, 9000, 64, 700, 2048],
    "output_tokens": [100, 1, 250, 30, 12, 400, 80, 5],
}

RUNS: list[dict[str, Any]] = [
    {
        "name": "one request",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"seed": 1},
        "requests": {"columns": {"arrival_seconds": [0.5], "prompt_tokens": [1000], "output_tokens": [50]}},
    },
    {
        "name": "mixed lengths, chunked prefill",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"max_batch": 4, "max_tokens_per_step": 1024, "seed": 2},
        "requests": {"columns": MIXED},
    },
    {
        "name": "azure conv head on 2 replicas",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"replicas": 2, "seed": 1, "max_batch": 256},
        "requests": {"azure": "conv", "head": 60},
    },
    {
        "name": "bursty synthetic, 3 replicas, small cache (preemptions)",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"replicas": 3, "seed": 7, "memory_utilization": 0.23, "max_batch": 64},
        "requests": {"synthetic": {"seed": 4, "requests": 80, "rate_per_second": 60.0, "burstiness": 3.0}},
    },
    {
        "name": "70B on TP4, pcie",
        "gpu": "pcie",
        "model": {"params": 70e9, "bytes_per_param": 2},
        "config": {"tensor_parallel": 4, "seed": 3},
        "requests": {"columns": MIXED},
    },
    {
        "name": "tenants",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"seed": 4, "replicas": 2},
        "requests": {"columns": {**MIXED, "tenant": [1, 2, 1, 2, 9, 1, 2, 9]}},
    },
    {
        "name": "model switch",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {
            "seed": 1,
            "switches": [{"at_seconds": 0.2, "replica": 0, "model": {"params": 14e9, "bytes_per_param": 2}}],
        },
        "requests": {"columns": MIXED},
    },
]

ERRORS: list[dict[str, Any]] = [
    {
        "name": "negative arrival",
        "columns": {"arrival_seconds": [-1.0], "prompt_tokens": [1], "output_tokens": [1]},
        "error": "InvalidInput",
        "field": "arrival_seconds[0]",
    },
    {
        "name": "arrivals out of order",
        "columns": {"arrival_seconds": [1.0, 0.5], "prompt_tokens": [1, 1], "output_tokens": [1, 1]},
        "error": "InvalidInput",
        "field": "arrival_seconds[1]",
    },
    {
        "name": "zero prompt",
        "columns": {"arrival_seconds": [0.0], "prompt_tokens": [0], "output_tokens": [1]},
        "error": "InvalidInput",
        "field": "prompt_tokens[0]",
    },
    {
        "name": "negative output",
        "columns": {"arrival_seconds": [0.0, 1.0], "prompt_tokens": [5, 5], "output_tokens": [3, -2]},
        "error": "InvalidInput",
        "field": "output_tokens[1]",
    },
    {"name": "zero batch", "config": {"max_batch": 0}, "error": "InvalidInput", "field": "max_batch"},
    {
        "name": "zero token budget",
        "config": {"max_tokens_per_step": 0},
        "error": "InvalidInput",
        "field": "max_tokens_per_step",
    },
    {
        "name": "model does not fit",
        "model": {"params": 70e9, "bytes_per_param": 2},
        "error": "OutOfMemory",
        "field": "model",
    },
]

SYNTHETIC = [
    {"name": "poisson, default lengths", "stream": {"seed": 1, "requests": 6}},
    {
        "name": "bursty, uniform and fixed lengths",
        "stream": {
            "seed": 9,
            "requests": 6,
            "burstiness": 4.0,
            "rate_per_second": 2.0,
            "prompt": {"kind": "uniform", "min": 10, "max": 20},
            "output": {"kind": "fixed", "tokens": 7},
        },
    },
]

AGGREGATE = [
    {
        "name": "conv-like load on 8 replicas",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {"replicas": 8},
        "load": {
            "arrival_rate_per_second": 100.0,
            "mean_prompt_tokens": 1155.0,
            "mean_output_tokens": 211.0,
            "interval_seconds": 3600.0,
        },
    },
    {
        "name": "overload saturates",
        "gpu": "sxm",
        "model": LLAMA8B,
        "config": {},
        "load": {
            "arrival_rate_per_second": 500.0,
            "mean_prompt_tokens": 1000.0,
            "mean_output_tokens": 200.0,
            "interval_seconds": 60.0,
        },
    },
]


def tenant_of(spec: dict[str, Any]) -> list[int] | None:
    return spec.get("columns", {}).get("tenant")


def requests_of(spec: dict[str, Any]) -> tuple[list[float], list[int], list[int]]:
    if "columns" in spec:
        c = spec["columns"]
        return c["arrival_seconds"], c["prompt_tokens"], c["output_tokens"]
    if "azure" in spec:
        a, p, o = hcp.sim.azure_trace(spec["azure"])
        n = spec["head"]
        return a[:n].tolist(), p[:n].tolist(), o[:n].tolist()
    a, p, o = hcp.sim.synthetic_requests(**spec["synthetic"])
    return a.tolist(), p.tolist(), o.tolist()


def main() -> None:
    runs = []
    for case in RUNS:
        server = hcp.sim.Server(hcp.sim.H100(case["gpu"]), hcp.sim.ModelSpec(**case["model"]), **case["config"])
        a, p, o = requests_of(case["requests"])
        r = server.run(arrival_seconds=a, prompt_tokens=p, output_tokens=o, tenant=tenant_of(case["requests"]))
        expect = {k: r[k].tolist() for k in ("replica", "queue_seconds", "ttft_seconds", "tpot_seconds", "e2e_seconds")}
        expect["preemptions"] = r["preemptions"].tolist()
        expect["summary"] = {k: r["summary"][k] for k in SUMMARY_KEYS}
        expect["summary"]["ttft_p99_seconds"] = r["summary"]["ttft_seconds"]["p99"]
        if tenant_of(case["requests"]) is not None:
            expect["tenants"] = [
                dict(t, ttft_seconds=dict(t["ttft_seconds"]), e2e_seconds=dict(t["e2e_seconds"])) for t in r["tenants"]
            ]
        runs.append({**case, "expect": expect})
    synthetic = []
    for case in SYNTHETIC:
        a, p, o = hcp.sim.synthetic_requests(**case["stream"])
        synthetic.append(
            {
                **case,
                "expect": {"arrival_seconds": a.tolist(), "prompt_tokens": p.tolist(), "output_tokens": o.tolist()},
            }
        )
    traces = []
    for which in ("conv", "code"):
        a, p, o = hcp.sim.azure_trace(which)
        traces.append(
            {
                "trace": which,
                "requests": len(a),
                "head": {
                    "arrival_seconds": a[:5].tolist(),
                    "prompt_tokens": p[:5].tolist(),
                    "output_tokens": o[:5].tolist(),
                },
            }
        )
    aggregate = []
    for case in AGGREGATE:
        server = hcp.sim.Server(hcp.sim.H100(case["gpu"]), hcp.sim.ModelSpec(**case["model"]), **case["config"])
        aggregate.append({**case, "expect": dict(server.aggregate(**case["load"]))})
    doc = {
        "description": "hcpcore::sim::serve: short seeded serving runs (per-request columns in input order and "
        "summary figures), synthetic streams, the shipped trace heads, the aggregate model and bad inputs "
        "(error kind and the field the message starts with). Written by serve_generate.py; replayed by "
        "core/tests/vectors_serve.rs, bindings/python/tests/test_vectors_serve.py, "
        "bindings/node/__test__/serve.test.mjs and bindings/go-ffi/go/serve_vectors_test.go.",
        "tolerance": {"relative": 1e-9, "absolute": 1e-12},
        "runs": runs,
        "errors": ERRORS,
        "synthetic": synthetic,
        "traces": traces,
        "aggregate": aggregate,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
