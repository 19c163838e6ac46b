"""hcp — the embeddable core of a hybrid compute platform.

Sites that mine Bitcoin on ASICs beside AI-inference GPUs use hcp for economics (:mod:`hcpcore.econ`),
priority routing (:mod:`hcpcore.router`), billing (:mod:`hcpcore.billing`) and simulation (:mod:`hcpcore.sim`).
The maths runs in Rust; this package converts arguments and maps errors.

>>> import hcpcore as hcp
>>> hcp.econ.block_subsidy_btc(840_000)
3.125
"""

from __future__ import annotations

from hcpcore import billing, econ, limits, models, router, sim, site
from hcpcore._hcp import ABI_VERSION, DeviceModel, Market, __version__
from hcpcore._record import Record, Records
from hcpcore.errors import (
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
from hcpcore.router import Router

__all__ = [
    "ABI_VERSION",
    "DeviceModel",
    "Market",
    "Record",
    "Records",
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
