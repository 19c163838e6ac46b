"""`Record`: the result type of hcp calls that return structured data (site plans, decisions, …)."""

from __future__ import annotations

from typing import Any


class Record(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes: ``plan.profit_usd_per_hour == plan["profit_usd_per_hour"]``.

    Being a plain dict underneath, a record (or a list of them) goes straight into
    ``pandas.DataFrame`` or ``json.dumps``.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.keys()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.items())
        return f"Record({inner})"
