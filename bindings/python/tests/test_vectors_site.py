"""Replays tests/vectors/site.json: seeded site runs whose summaries the Rust suite reproduces too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hcpcore as hcp

ROOT = Path(__file__).resolve().parents[3]
RUNS = json.loads((ROOT / "tests" / "vectors" / "site.json").read_text())["runs"]


@pytest.mark.parametrize("run", RUNS, ids=[f"{r['strategy']}-{r['start']}" for r in RUNS])
def test_site_vector(run: dict) -> None:  # type: ignore[type-arg]
    site = hcp.site.Site.from_config(str(ROOT / run["config"]))
    summary = site.run(strategy=run["strategy"], start=run["start"], end=run["end"]).summary
    for key, want in run["expect"].items():
        assert summary[key] == pytest.approx(want, rel=1e-9, abs=1e-9), key
