"""Replays tests/vectors/router.json, the scenarios the Rust, Node and Go suites replay too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vectors import close, load

import hcpcore as hcp

DOC = load("router")
SUBMIT_OPTIONS = ("priority", "gpus", "gpu_memory_gb", "site", "latency_bound_ms", "deadline_seconds")


def run(r: hcp.Router, step: dict[str, Any]) -> Any:
    op = step["op"]
    wid = step.get("workload_id", 0)
    cust = step.get("customer_id")
    if op == "add_device":
        return r.add_device(
            step["device_id"],
            kind=step["kind"],
            model=step["model"],
            site=step["site"],
            gpu_memory_gb=step.get("gpu_memory_gb"),
        )
    if op in ("submit", "try_submit"):
        args = {k: step.get(k) for k in SUBMIT_OPTIONS}
        if op == "try_submit":
            return r.try_submit(step["customer_id"], step["workload_type"], **args)
        return {"workload_id": r.submit(step["customer_id"], step["workload_type"], **args)}
    if op == "dispatch":
        return r.dispatch()
    if op == "dispatch_batch":
        return {"workload_ids": r.dispatch_batch(step["max"]).workload_ids.tolist()}
    if op in ("start", "complete", "fail", "cancel"):
        return getattr(r, op)(wid, customer_id=cust)
    if op == "preempt":
        return r.preempt(wid)
    if op == "workload":
        return r.workload(wid, customer_id=cust)
    if op == "counts":
        return r.counts()
    if op == "queue_depths":
        return {"depths": r.queue_depths()}
    if op == "device":
        return r.device(step["device_id"])
    if op == "advance_time":
        return r.advance_time(step["seconds"])
    if op == "age":
        return {"promoted": r.age()}
    if op == "set_market":
        return r.set_market(hcp.Market.from_json(json.dumps(step["market"])))
    if op == "set_site_power_cap_kw":
        return r.set_site_power_cap_kw(step["site"], step.get("power_cap_kw"))
    if op == "site_load_kw":
        return {"kw": r.site_load_kw(step["site"])}
    if op == "resume_miners":
        return {"device_ids": r.resume_miners(step["site"])}
    if op == "set_device_available":
        return r.set_device_available(step["device_id"], step["available"])
    if op == "remove_device":
        return {"workload_ids": r.remove_device(step["device_id"])}
    if op == "set_customer":
        return r.set_customer(
            step["customer_id"], step["weight"], max_gpus=step.get("max_gpus"), max_queued=step.get("max_queued")
        )
    if op == "customer":
        return r.customer(step["customer_id"])
    if op == "customer_workloads":
        return {"workload_ids": [w.id for w in r.customer_workloads(step["customer_id"])]}
    if op == "now_seconds":
        return {"seconds": r.now_seconds()}
    raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize("scenario", DOC["scenarios"], ids=[s["name"] for s in DOC["scenarios"]])
def test_router_scenario(scenario: dict[str, Any]) -> None:
    if "config_error" in scenario:
        with pytest.raises(hcp.HcpError) as err:
            hcp.Router(scenario["config"])
        assert err.value.kind == scenario["config_error"]
        return
    r = hcp.Router(scenario["config"])
    for i, step in enumerate(scenario["steps"]):
        where = f"step {i} {step}"
        if "error" in step:
            with pytest.raises(hcp.HcpError) as err:
                run(r, step)
            assert err.value.kind == step["error"], where
            continue
        got = run(r, step)
        if "expect" not in step:
            continue
        if step["expect"] is None:
            assert got is None, where
            continue
        close(got, step["expect"], 0.0, 1e-9, where)
    c = r.counts()
    assert c.submitted == c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected
