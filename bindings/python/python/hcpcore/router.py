"""Priority routing of workloads onto devices: :class:`hcp.Router`.

The router runs in Rust and releases the GIL on every call, so many Python threads can submit
and dispatch at once. Bulk calls (``submit_batch``, ``dispatch_batch``, ``complete_batch``) take
and return numpy arrays. Errors are the :mod:`hcpcore.errors` classes (an unknown workload type or a
priority outside 1–10 is :class:`hcp.InvalidInputError`, an unknown id :class:`hcp.NotFoundError`,
an illegal state change :class:`hcp.IllegalTransitionError`, a handle used after ``close()``
:class:`hcp.ClosedError`).

Every submission takes an id: ``submit`` raises for a rejected one (the message ends with the id),
``try_submit`` returns ``{workload_id, state, reason}`` instead. ``set_customer`` / ``customer`` /
``customer_workloads`` change and read a customer's weight, quotas and work at run time;
``remove_device`` takes a device away (its work is queued again, ``workload(id).preemptions``
counts it); ``now_seconds`` reads the router clock.

>>> import hcpcore as hcp
>>> r = hcp.Router()
>>> r.add_device("gpu-0", kind="gpu", model="H100_SXM", site="austin", gpu_memory_gb=80)
>>> wid = r.submit(customer_id="acme", workload_type="ai_inference_realtime")
>>> a = r.dispatch()
>>> (a.workload_id == wid, a.device_id)
(True, 'gpu-0')
>>> r.complete(wid)
>>> r.counts().completed
1
"""

from __future__ import annotations

from hcpcore._hcp import Router

WORKLOAD_TYPES = ("ai_inference_realtime", "ai_inference_batch", "model_training", "bitcoin_mining")
"""The built-in workload types (a router's config may declare more)."""

__all__ = ["Router", "WORKLOAD_TYPES"]
