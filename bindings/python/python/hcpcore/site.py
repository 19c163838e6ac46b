"""The closed loop of a hybrid site (`hcpcore::site` in Rust).

A :class:`Site` holds a power cap and PUE, a tariff (real-time price + adders, ERCOT 4CP),
demand-response programs, miners with a power-target dial, H100s serving endpoints, jobs and
reservations, customers with billing plans, and replays the real market history tick by tick
with a strategy. ``run`` returns a :class:`SiteResult` with a ``summary`` dict, numpy
``columns()``, ``to_pandas()``, ``events()`` and ``invoices()``. See ``docs/site.md``.

>>> import hcpcore as hcp
>>> "hybrid" in hcp.site.strategies()
True
"""

from __future__ import annotations

from hcpcore._hcp import SiteLoop as Site
from hcpcore._hcp import SiteResult, site_strategies


def strategies() -> list[str]:
    """The built-in strategy names (``always_on``, ``mining_only``, ``ai_only``,
    ``price_responsive``, ``hybrid``)."""
    return site_strategies()


__all__ = ["Site", "SiteResult", "strategies"]
