"""hcp.site from Python: the names external checks use, results as dicts/numpy/pandas, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import hcpcore as hcp

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "examples" / "site.json"


@pytest.fixture(scope="module")
def site() -> hcp.site.Site:
    return hcp.site.Site.from_config(str(CONFIG))


def test_strategies_are_listed() -> None:
    assert hcp.site.strategies() == ["always_on", "mining_only", "ai_only", "price_responsive", "hybrid"]


def test_a_week_of_hybrid(site: hcp.site.Site) -> None:
    r = site.run(strategy="hybrid", start="2024-08-01", end="2024-08-08")
    s = r.summary
    for key in [
        "profit_usd",
        "energy_mwh",
        "revenue_usd",
        "energy_cost_usd",
        "slo_attainment",
        "curtailed_miner_hours",
    ]:
        assert key in s and np.isfinite(s[key])
    assert s["ticks"] == 7 * 96
    assert 0.0 <= s["slo_attainment"] <= 1.0
    assert (
        abs(
            s["profit_usd"]
            - (s["revenue_usd"] - s["energy_cost_usd"] - s["four_cp_charges_usd"] - s["switching_cost_usd"])
        )
        < 1e-6
    )
    df = r.to_pandas()
    assert len(df) == 7 * 96
    assert (df["peak_kw"] <= 4000 + 1e-6).all()
    assert abs(df["meter_kw"].sum() * 0.25 / 1000 - s["energy_mwh"]) < 1e-6
    cols = r.columns()
    assert cols["gpus_serving"].dtype == np.uint32 and cols["time_unix"].dtype == np.int64
    invoices = r.invoices()
    assert {i["customer_id"] for i in invoices} == {"acme-chat", "codeworks", "docs-co", "lab-x"}
    assert any(e["kind"] == "invoice_issued" for e in r.events())


def test_same_inputs_same_summary(site: hcp.site.Site) -> None:
    a = site.run("price_responsive", "2024-07-01", "2024-07-02").summary
    b = site.run("price_responsive", "2024-07-01", "2024-07-02").summary
    assert a == b


def test_from_a_dict_and_path_like() -> None:
    cfg = json.loads(CONFIG.read_text())
    s = hcp.site.Site.from_config(cfg, base_dir=str(CONFIG.parent))
    assert s.run("mining_only", "2024-08-01", "2024-08-02").summary["token_revenue_usd"] == 0.0
    assert hcp.site.Site.from_config(CONFIG).config()["cap_kw"] == 4000


def test_bad_input_names_the_field(site: hcp.site.Site) -> None:
    cfg = json.loads(CONFIG.read_text())
    cfg["miners"][0]["model"] = "S9"
    with pytest.raises(hcp.InvalidInputError, match=r"^miners\[0\]\.model"):
        hcp.site.Site.from_config(cfg, base_dir=str(CONFIG.parent))
    cfg = json.loads(CONFIG.read_text())
    cfg["cap_kw"] = -5
    with pytest.raises(hcp.InvalidInputError, match="^cap_kw"):
        hcp.site.Site.from_config(cfg)
    with pytest.raises(hcp.InvalidInputError, match="^strategy"):
        site.run(strategy="yolo")
    with pytest.raises(hcp.InvalidInputError, match="^start"):
        site.run(start="1999-01-01", end="1999-01-02")
    with pytest.raises(hcp.InvalidInputError):
        hcp.site.Site.from_config(42)  # type: ignore[arg-type]


def test_a_dict_read_from_the_example_works_from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    cfg = json.loads(CONFIG.read_text())
    r = hcp.site.Site.from_config(cfg).run("hybrid", "2024-08-01", "2024-08-02")
    assert r.summary["ticks"] == 96
