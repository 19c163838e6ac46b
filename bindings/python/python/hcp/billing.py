"""`hcp.billing`: see the repository README and `core/src/billing`."""

from __future__ import annotations

__all__: list[str] = []
