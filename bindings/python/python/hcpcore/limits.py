"""The stated maximums every hcp entry point checks before it allocates or loops (``hcpcore::limits``
in Rust, the same numbers in every language). A count or length above its maximum, or a config
nested deeper than :data:`MAX_DEPTH`, raises :class:`hcp.InvalidInputError` naming the argument.
"""

from __future__ import annotations

from hcpcore._hcp import (
    MAX_BATCH,
    MAX_DEPTH,
    MAX_DT_SECONDS,
    MAX_FLEET_DEVICES,
    MAX_REPLICAS,
    MAX_REQUEST_TOKENS,
    MAX_REQUESTS,
    MAX_STEPS,
    MIN_DT_SECONDS,
)

__all__ = [
    "MAX_BATCH",
    "MAX_DEPTH",
    "MAX_DT_SECONDS",
    "MAX_FLEET_DEVICES",
    "MAX_REPLICAS",
    "MAX_REQUESTS",
    "MAX_REQUEST_TOKENS",
    "MAX_STEPS",
    "MIN_DT_SECONDS",
]
