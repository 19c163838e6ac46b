"""The exception hierarchy of hcp: one base and one subclass per error kind.

Every failure of an hcp call raises a subclass of :class:`HcpError` whose ``kind`` names the
core's ``ErrorKind``. Bad input is an :class:`InvalidInputError`, which is also a ``ValueError``,
and its message starts with the argument or field it concerns; an argument of the wrong Python
type is an :class:`InvalidTypeError`, which is an ``InvalidInputError`` and also a ``TypeError``.
An unknown id is a :class:`NotFoundError`, which is also a ``KeyError``. No other exception type
leaves an hcp call for any argument (``make python-test`` fuzzes every entry point for it).
"""

from __future__ import annotations


class HcpError(Exception):
    """Base class of every hcp error."""

    kind: str = "Internal"

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InvalidInputError(HcpError, ValueError):
    """An argument is out of range, not finite, malformed or names nothing known."""

    kind = "InvalidInput"


class InvalidTypeError(InvalidInputError, TypeError):
    """An argument is not of the Python type the call takes (a ``str`` where a number goes, …).

    It is an :class:`InvalidInputError` (kind ``InvalidInput``) and also a ``TypeError``, so both
    ``except hcp.InvalidInputError`` and ``except TypeError`` catch it.
    """

    kind = "InvalidInput"


class NotFoundError(HcpError, KeyError):
    """The id names no device, workload, customer or record (or one the caller may not see)."""

    kind = "NotFound"


class ConflictError(HcpError):
    """The operation conflicts with the current state."""

    kind = "Conflict"


class CapacityExceededError(HcpError):
    """A power cap, quota or queue bound would be exceeded."""

    kind = "CapacityExceeded"


class IllegalTransitionError(HcpError):
    """A state machine was asked for a transition it does not allow."""

    kind = "IllegalTransition"


class StorageError(HcpError):
    """The durable store failed, is corrupt, or was written by a newer schema."""

    kind = "Storage"


class OutOfMemoryError(HcpError):
    """A simulated device ran out of memory."""

    kind = "OutOfMemory"


class ClosedError(HcpError):
    """A handle was used after it was closed."""

    kind = "Closed"


class InternalError(HcpError):
    """A bug in hcp; please report it."""

    kind = "Internal"


__all__ = [
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
