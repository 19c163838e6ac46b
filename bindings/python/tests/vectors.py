"""Shared-vector helpers: load ``tests/vectors/<module>.json`` and compare results the way every
language's suite does (numbers within max(abs_tol, rel_tol·|want|), objects by the keys given)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"


def load(module: str) -> dict[str, Any]:
    with open(VECTORS / f"{module}.json", encoding="utf-8") as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def num(v: Any) -> float:
    """A number, or one of the strings "NaN", "Infinity", "-Infinity"."""
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return float(v)


def close(got: Any, want: Any, rel: float, abs_: float, path: str = "value") -> None:
    if isinstance(want, float) or (isinstance(want, (int, float)) and isinstance(got, float)):
        g, w = float(got), float(want)
        tol = max(abs_, rel * abs(w))
        assert math.isfinite(g) and abs(g - w) <= tol, f"{path}: got {g}, want {w} (tol {tol})"
    elif isinstance(want, Mapping):
        for k, wv in want.items():
            assert k in got, f"{path}: missing key {k}"
            close(got[k], wv, rel, abs_, f"{path}.{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), f"{path}: length {len(got)} != {len(want)}"
        for i, (gv, wv) in enumerate(zip(got, want)):
            close(gv, wv, rel, abs_, f"{path}[{i}]")
    else:
        assert got == want, f"{path}: got {got!r}, want {want!r}"
