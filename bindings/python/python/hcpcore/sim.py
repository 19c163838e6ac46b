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

The same seed gives bit-identical results in Python, Rust, Node and Go. Bad input raises
:class:`hcp.InvalidInputError` (negative batch, ``dt_seconds <= 0``, unknown model, malformed replay
file — naming the file and line), :class:`hcp.OutOfMemoryError` (a model larger than the card) or
:class:`hcp.NotFoundError` (a command to a device that does not exist).

>>> import hcpcore as hcp
>>> gpu = hcpcore.sim.H100("sxm")
>>> d = gpu.decode(hcpcore.sim.ModelSpec(params=8e9, bytes_per_param=2), batch=1)
>>> 0.005 < d.step_seconds < 0.007
True
"""

from __future__ import annotations

from hcpcore._hcp import H100, Fleet, ModelSpec, miner_spec, replay_market, synthetic_market

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
    "miner_spec",
    "replay_market",
    "synthetic_market",
]
