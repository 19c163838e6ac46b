"""Checks the installed hcpcore package as a user gets it from a wheel (run by check_package.py).

Runs inside a fresh virtualenv outside the repository, under ``python -I`` (no current folder, no
PYTHON* variables, no user site-packages on ``sys.path``). Argument: the repository root, which
must not be on ``sys.path``. Exits non-zero naming the first check that fails.
"""

from __future__ import annotations

import importlib.metadata as metadata
import inspect
import pydoc
import sys
from decimal import Decimal
from pathlib import Path

REPO = Path(sys.argv[1]).resolve()


def check(condition: object, what: str) -> None:
    if not condition:
        raise SystemExit(f"package check failed: {what}")


def check_isolated() -> None:
    import hcpcore

    for entry in sys.path:
        check(not (entry and Path(entry).resolve().is_relative_to(REPO)), f"repository path on sys.path: {entry}")
    installed = Path(hcpcore.__file__).resolve()
    check(installed.is_relative_to(Path(sys.prefix).resolve()), f"hcpcore imported from {installed}, not the venv")


def check_usage() -> None:
    """The README's first lines and one call into each module, from the installed package."""
    import hcpcore as hcp
    import numpy as np

    m = hcp.Market(
        btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0, electricity_usd_per_kwh=0.05
    )
    check(round(hcp.econ.hashprice_usd_per_ph_day(m), 2) == 62.86, "econ.hashprice_usd_per_ph_day")
    check(hcp.econ.miner_daily(hcp.models.S21, m, pool_fee=0.02).profit_usd > 0, "econ.miner_daily")
    try:
        hcp.Market(btc_usd=float("nan"), difficulty=1e14, height=840_000)
        raise SystemExit("package check failed: a NaN price was accepted")
    except hcp.InvalidInputError as err:
        check(isinstance(err, ValueError) and str(err).startswith("btc_usd"), f"error message: {err}")
    batch = hcp.econ.miner_curtail_batch(m, np.full(4, 200.0), np.full(4, 3500.0), np.full(4, 20.0), np.full(4, 0.05))
    check(batch.mine.dtype == np.uint8 and len(batch.mine) == 4, "econ.miner_curtail_batch columns")

    r = hcp.Router()
    r.add_device("gpu-0", kind="gpu", model="H100_SXM", site="austin", gpu_memory_gb=80)
    wid = r.submit(customer_id="acme", workload_type="ai_inference_realtime", priority=1)
    a = r.dispatch()
    check(a is not None and a.workload_id == wid and a.device_id == "gpu-0", f"router.dispatch: {a!r}")
    r.complete(wid)
    check(r.counts().completed == 1, "router.complete")

    charge = hcp.billing.Charge.from_dict(
        {
            "model": "graduated",
            "tiers": [
                {"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"},
                {"up_to": None, "per_unit_amount": "5"},
            ],
        }
    )
    check(charge.amount(12) == Decimal("112"), "billing.Charge.amount")
    ledger = hcp.billing.Ledger.memory()
    events = [
        {
            "event_id": f"e{i}",
            "customer_id": "acme",
            "meter_code": "gpu_hours",
            "quantity": "1.5",
            "timestamp": f"2026-11-0{i + 1}T00:00:00Z",
            "properties": {"gpu_model": "H100"},
        }
        for i in range(3)
    ]
    check(ledger.ingest(events) == 3, "billing.Ledger.ingest")
    frame = ledger.usage("acme", ["gpu_hours"]).to_pandas(flatten_properties=True)
    check(str(frame["timestamp"].dtype) == "datetime64[ns, UTC]", f"to_pandas timestamps: {frame.dtypes}")
    check(frame["quantity"].sum() == Decimal("4.5"), "to_pandas Decimal quantities")
    check(list(frame["properties.gpu_model"]) == ["H100"] * 3, "to_pandas flatten_properties")

    step = hcp.sim.H100("sxm").decode(hcp.sim.ModelSpec(params=8e9, bytes_per_param=2), batch=32)
    check(0.005 < step.step_seconds < 0.008, "sim.H100.decode")
    market = hcp.sim.synthetic_market(7, 2000, 60.0)
    check(repr(market).startswith("Record: 2,000 rows"), "a long Record prints a summary")
    series = market.to_pandas(start="2026-01-01")
    check(str(series["timestamp"].dtype) == "datetime64[ns, UTC]" and len(series) == 2000, "market to_pandas")


def check_files() -> None:
    import hcpcore

    package = Path(hcpcore.__file__).parent
    for name in ("py.typed", "_hcp.pyi"):
        check((package / name).is_file(), f"{name} installed")
    check("class Market" in (package / "_hcp.pyi").read_text(), "_hcp.pyi holds the stubs")
    recorded = {str(f) for f in metadata.files("hcpcore") or []}
    for name in ("hcpcore/py.typed", "hcpcore/_hcp.pyi"):
        check(name in recorded, f"{name} in the wheel's RECORD")


def check_metadata() -> None:
    meta = metadata.metadata("hcpcore")
    check(meta["Name"] == "hcpcore", "Name")
    check(meta["License-Expression"] == "Apache-2.0", f"License-Expression: {meta['License-Expression']}")
    check("LICENSE" in (meta.get_all("License-File") or []), "License-File: LICENSE")
    licences = [f for f in metadata.files("hcpcore") or [] if f.name == "LICENSE" and "licenses" in f.parts]
    check(licences, "LICENSE in the dist-info's licenses/")
    check("Apache License" in licences[0].read_text() and "Version 2.0" in licences[0].read_text(), "LICENSE text")
    check(meta["Summary"] and "Bitcoin" in meta["Summary"], f"Summary: {meta['Summary']}")
    description = meta.get_payload() if hasattr(meta, "get_payload") else meta["Description"]
    check(description and "pip install" in description, "a long description (the package README)")
    check(meta["Description-Content-Type"].startswith("text/markdown"), "the description is Markdown")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    check({"Homepage", "Repository", "Issues"} <= set(urls), f"Project-URL: {urls}")
    classifiers = meta.get_all("Classifier") or []
    for wanted in ("Typing :: Typed", "Programming Language :: Rust", "Programming Language :: Python :: 3"):
        check(wanted in classifiers, f"classifier {wanted!r}")
    check(meta["Requires-Python"] == ">=3.9", "Requires-Python")
    check(any(r.startswith("numpy") for r in meta.get_all("Requires-Dist") or []), "Requires-Dist numpy")
    check(metadata.version("hcpcore") == __import__("hcpcore").__version__, "__version__ matches the metadata")


def check_docs() -> None:
    """help() works and says something on the modules, the main classes and their public methods."""
    import hcpcore as hcp
    from hcpcore import billing, econ, errors, router, sim

    for module in (hcp, econ, router, billing, sim, errors):
        check((module.__doc__ or "").strip(), f"docstring of {module.__name__}")
    classes = [
        hcp.Market, hcp.DeviceModel, hcp.Router, hcp.Record, hcp.Records, hcp.HcpError,
        econ.Site, econ.Decider, billing.Charge, billing.Plan, billing.Ledger, billing.Invoice,
        sim.H100, sim.Fleet, sim.ModelSpec,
    ]  # fmt: skip
    for cls in classes:
        name = f"{cls.__module__}.{cls.__qualname__}"
        check((cls.__doc__ or "").strip(), f"docstring of {name}")
        text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
        check(cls.__doc__.strip().splitlines()[0][:40] in text, f"help({name}) shows its docstring")
        for attr, value in vars(cls).items():
            if attr.startswith("_") or not (inspect.isroutine(value) or isinstance(value, (property, classmethod))):
                continue
            check((getattr(cls, attr).__doc__ or "").strip(), f"docstring of {name}.{attr}")


def main() -> None:
    check_isolated()
    check_usage()
    check_files()
    check_metadata()
    check_docs()
    print("installed package: import, usage, py.typed and stubs, metadata and licence, docstrings: ok")


if __name__ == "__main__":
    main()
