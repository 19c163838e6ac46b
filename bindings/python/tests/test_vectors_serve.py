"""Replays tests/vectors/serve.json, the serving cases the Rust, Node and Go suites replay too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from vectors import close, load

import hcpcore as hcp

DOC = load("serve")
REL = float(DOC["tolerance"]["relative"])
ABS = float(DOC["tolerance"]["absolute"])
LLAMA8B = {"params": 8e9, "bytes_per_param": 2}


def requests(spec: dict[str, Any]) -> tuple[Any, Any, Any]:
    if "columns" in spec:
        c = spec["columns"]
        return (
            np.array(c["arrival_seconds"], dtype=np.float64),
            np.array(c["prompt_tokens"], dtype=np.int64),
            np.array(c["output_tokens"], dtype=np.int64),
        )
    if "azure" in spec:
        a, p, o = hcp.sim.azure_trace(spec["azure"])
        n = spec["head"]
        return a[:n], p[:n], o[:n]
    return hcp.sim.synthetic_requests(**spec["synthetic"])


def server(case: dict[str, Any]) -> hcp.sim.Server:
    gpu = hcp.sim.H100(case.get("gpu", "sxm"))
    return hcp.sim.Server(gpu, hcp.sim.ModelSpec(**case.get("model", LLAMA8B)), **case.get("config", {}))


@pytest.mark.parametrize("case", DOC["runs"], ids=[c["name"] for c in DOC["runs"]])
def test_run(case: dict[str, Any]) -> None:
    a, p, o = requests(case["requests"])
    tenant = case["requests"].get("columns", {}).get("tenant")
    r = server(case).run(arrival_seconds=a, prompt_tokens=p, output_tokens=o, tenant=tenant)
    want = case["expect"]
    got = {k: r[k].tolist() for k in ("replica", "queue_seconds", "ttft_seconds", "tpot_seconds", "e2e_seconds")}
    got["preemptions"] = r["preemptions"].tolist()
    got["tenants"] = r.tenants
    got["summary"] = {k: r["ttft_p99_seconds"] if k == "ttft_p99_seconds" else r.summary[k] for k in want["summary"]}
    close(got, want, REL, ABS, case["name"])


@pytest.mark.parametrize("case", DOC["errors"], ids=[c["name"] for c in DOC["errors"]])
def test_error(case: dict[str, Any]) -> None:
    c = case.get("columns", {"arrival_seconds": [0.0], "prompt_tokens": [10], "output_tokens": [10]})
    with pytest.raises(hcp.HcpError) as info:
        server(case).run(
            arrival_seconds=np.array(c["arrival_seconds"], dtype=np.float64),
            prompt_tokens=np.array(c["prompt_tokens"], dtype=np.int64),
            output_tokens=np.array(c["output_tokens"], dtype=np.int64),
        )
    assert type(info.value).__name__ == case["error"] + "Error", repr(info.value)
    assert str(info.value).startswith(case["field"] + ":"), str(info.value)


@pytest.mark.parametrize("case", DOC["synthetic"], ids=[c["name"] for c in DOC["synthetic"]])
def test_synthetic(case: dict[str, Any]) -> None:
    a, p, o = hcp.sim.synthetic_requests(**case["stream"])
    got = {"arrival_seconds": a.tolist(), "prompt_tokens": p.tolist(), "output_tokens": o.tolist()}
    close(got, case["expect"], REL, ABS, case["name"])


@pytest.mark.parametrize("case", DOC["traces"], ids=[c["trace"] for c in DOC["traces"]])
def test_trace(case: dict[str, Any]) -> None:
    a, p, o = hcp.sim.azure_trace(case["trace"])
    assert len(a) == len(p) == len(o) == case["requests"]
    got = {"arrival_seconds": a[:5].tolist(), "prompt_tokens": p[:5].tolist(), "output_tokens": o[:5].tolist()}
    close(got, case["head"], REL, ABS, case["trace"])


@pytest.mark.parametrize("case", DOC["aggregate"], ids=[c["name"] for c in DOC["aggregate"]])
def test_aggregate(case: dict[str, Any]) -> None:
    close(dict(server(case).aggregate(**case["load"])), case["expect"], REL, ABS, case["name"])
