"""Device and market simulation calibrated on a real H100 (`hcpcore::sim` in Rust).

- :class:`H100` — one GPU: ``decode(ModelSpec(params=…, bytes_per_param=2), batch=B)`` gives the
  steady ``step_seconds``, ``tokens_per_second`` and ``power_watts``; ``switch(kv_bytes=…,
  weights_bytes=…, host_memory="pinned", warm_context=True)`` the phases of a model switch and
  ``total_seconds``; ``step(dt, tensor=…, dram=…)`` the power limiter and thermal model in time.
- :class:`Fleet` — GPUs and miners stepped together (structure of arrays in Rust);
  ``series()``, ``events()`` and ``devices()`` return numpy columns (``pandas.DataFrame(...)``
  works), ``dcgm_metrics()`` / ``miner_metrics()`` Prometheus expositions, ``cgminer(id, "summary")``
  a miner's API reply (``version``, ``devs``, ``summary``, ``stats``, ``pools`` or a JSON request).
- :func:`synthetic_market` / :func:`replay_market` — seeded or real market series as columns.
- :class:`Server` — replicas of one model serving a request stream (continuous batching, chunked
  prefill, KV cache with preemption, tensor parallel, dispatch, model switches):
  ``Server(H100("sxm"), ModelSpec(params=8e9, bytes_per_param=2), max_batch=256, seed=1)
  .run(arrival_seconds=…, prompt_tokens=…, output_tokens=…)`` gives numpy columns
  ``ttft_seconds``, ``tpot_seconds``, ``e2e_seconds``, ``queue_seconds``, ``slo_met`` (input
  order), scalars ``output_tokens_per_second``, ``mean_power_watts``, ``energy_joules``,
  ``goodput_requests_per_second``, ``ttft_p99_seconds``, …, a per-replica ``series`` and the
  ``summary``; ``aggregate(...)`` is the closed-form model of a mean load. Rules: ``docs/serving.md``.
- :func:`azure_trace`, :func:`scale_trace`, :func:`synthetic_requests` — request streams as
  ``(arrival_seconds, prompt_tokens, output_tokens)`` numpy arrays.

The same seed gives bit-identical results in Python, Rust, Node and Go. Bad input raises
:class:`hcp.InvalidInputError` (negative batch, ``dt_seconds <= 0``, unknown model, malformed replay
file — naming the file and line), :class:`hcp.OutOfMemoryError` (a model larger than the card) or
:class:`hcp.NotFoundError` (a command to a device that does not exist).

>>> import hcpcore as hcp
>>> gpu = hcp.sim.H100("sxm")
>>> d = gpu.decode(hcp.sim.ModelSpec(params=8e9, bytes_per_param=2), batch=1)
>>> 0.005 < d.step_seconds < 0.007
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hcpcore._hcp import (
    H100,
    Fleet,
    ModelSpec,
    Server,
    azure_trace_columns,
    miner_spec,
    replay_market,
    scale_trace_columns,
    synthetic_market,
    synthetic_requests,
)

Requests = tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def azure_trace(which: str = "conv") -> Requests:
    """The shipped Azure LLM inference trace of 2023, ``"conv"`` (19,366 requests) or ``"code"``
    (8,819), as ``(arrival_seconds, prompt_tokens, output_tokens)``; arrivals in seconds from the
    first request. CC-BY 4.0, Patel et al., "Splitwise", ISCA 2024 (``data/demand/README.md``).

    >>> arrivals, prompts, outputs = azure_trace("conv")
    >>> len(arrivals), int(prompts[0]), int(outputs[0])
    (19366, 374, 44)
    """
    return azure_trace_columns(which)


def scale_trace(arrival_seconds: Any, prompt_tokens: Any, output_tokens: Any, **rule: Any) -> Requests:
    """A trace scaled to ``mean_rate_per_second`` and stretched over ``duration_seconds`` with a
    ``diurnal_amplitude`` (peak at ``peak_hour``) and ``weekend_factor`` (rule: ``docs/serving.md``).

    >>> a, p, o = scale_trace(*azure_trace("conv"), mean_rate_per_second=20.0, duration_seconds=86_400.0)
    >>> abs(len(a) / 86_400.0 - 20.0) < 0.1  # the mean over whole copies of the trace is exact
    True
    """
    return scale_trace_columns(arrival_seconds, prompt_tokens, output_tokens, **rule)


#: Device states, indexed by the codes in ``Fleet.devices()["state"]``.
DEVICE_STATES: tuple[str, ...] = ("idle", "mining", "serving", "switching", "sleeping", "faulted")

#: Event kinds, indexed by the codes in ``Fleet.events()["kind"]``.
EVENT_KINDS: tuple[str, ...] = (
    "switch_started",
    "switch_completed",
    "sleep_started",
    "slept",
    "wake_started",
    "woke",
    "mode_changed",
    "xid_error",
    "ecc_correctable",
    "ecc_uncorrectable",
    "thermal_event",
    "throttle_started",
    "throttle_ended",
    "thermal_shutdown",
    "restarted",
    "chain_fault",
    "fault_cleared",
)

__all__ = [
    "DEVICE_STATES",
    "EVENT_KINDS",
    "Fleet",
    "H100",
    "ModelSpec",
    "Server",
    "azure_trace",
    "scale_trace",
    "synthetic_requests",
    "miner_spec",
    "replay_market",
    "synthetic_market",
]
