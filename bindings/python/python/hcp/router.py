"""`hcp.router`: see the repository README and `core/src/router`."""

from __future__ import annotations

__all__: list[str] = []
