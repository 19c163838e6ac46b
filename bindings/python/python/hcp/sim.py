"""`hcp.sim`: see the repository README and `core/src/sim`."""

from __future__ import annotations

__all__: list[str] = []
