"""hcp — the embeddable core of a hybrid compute platform.

Sites that mine Bitcoin on ASICs beside AI-inference GPUs use hcp for economics (:mod:`hcp.econ`),
priority routing (:mod:`hcp.router`), billing (:mod:`hcp.billing`) and simulation (:mod:`hcp.sim`).
The maths runs in Rust; this package converts arguments and maps errors.

>>> import hcp
>>> hcp.econ.block_subsidy_btc(840_000)
3.125
"""

from __future__ import annotations

from hcp import billing, econ, limits, models, router, sim, site
from hcp._hcp import ABI_VERSION, DeviceModel, Market, __version__
from hcp.errors import (
    CapacityExceededError,
    ClosedError,
    ConflictError,
    HcpError,
    IllegalTransitionError,
    InternalError,
    InvalidInputError,
    InvalidTypeError,
    NotFoundError,
    OutOfMemoryError,
    StorageError,
)
from hcp.router import Router

__all__ = [
    "ABI_VERSION",
    "DeviceModel",
    "Market",
    "Router",
    "__version__",
    "billing",
    "econ",
    "limits",
    "models",
    "router",
    "sim",
    "site",
    "HcpError",
    "InvalidInputError",
    "InvalidTypeError",
    "NotFoundError",
    "ConflictError",
    "CapacityExceededError",
    "IllegalTransitionError",
    "StorageError",
    "OutOfMemoryError",
    "ClosedError",
    "InternalError",
]
