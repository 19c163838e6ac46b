"""hcp.billing from Python: the shared vectors (tests/vectors/billing.json), Decimal exactness,
the durable ledger (reopen, corrupt files, close) and pandas conversion."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from vectors import load

import hcpcore as hcp
from hcpcore.billing import Charge, Invoice, Ledger, Plan, Subscription

DOC = load("billing")
ERRORS = {
    "InvalidInput": hcp.InvalidInputError,
    "Conflict": hcp.ConflictError,
    "NotFound": hcp.NotFoundError,
    "Storage": hcp.StorageError,
}


def expect_error(case: dict[str, Any], call: Any) -> None:
    with pytest.raises(ERRORS[case["expected_error"]]) as info:
        call()
    if "error_field" in case:
        assert str(info.value).startswith(case["error_field"] + ":"), str(info.value)


@pytest.mark.parametrize("case", DOC["charges"], ids=[c["name"] for c in DOC["charges"]])
def test_charge_vectors(case: dict[str, Any]) -> None:
    def run() -> Decimal:
        charge = Charge.from_dict(case["charge"])
        if "events" in case:
            return charge.amount(events=case["events"])
        return charge.amount(case["units"])

    if "expected_error" in case:
        expect_error(case, run)
    else:
        got = run()
        assert isinstance(got, Decimal)
        assert got == Decimal(case["expected"]), case["name"]


@pytest.mark.parametrize("case", DOC["rounding"])
def test_rounding_vectors(case: dict[str, Any]) -> None:
    got = hcp.billing.round_amount(Decimal(case["amount"]), case["currency"], case["rounding"])
    assert str(got) == case["expected"]


@pytest.mark.parametrize("case", DOC["events"], ids=[c["name"] for c in DOC["events"]])
def test_event_vectors(case: dict[str, Any]) -> None:
    if "expected_error" in case:
        expect_error(case, lambda: hcp.billing.validate_event(case["event"]))
    else:
        assert isinstance(hcp.billing.validate_event(case["event"])["quantity"], Decimal)


@pytest.mark.parametrize("case", DOC["plans"], ids=[c["name"] for c in DOC["plans"]])
def test_plan_vectors(case: dict[str, Any]) -> None:
    expect_error(case, lambda: Plan.from_dict(case["plan"]))


def check_invoice(invoice: Invoice, want: dict[str, Any]) -> None:
    lines = want["lines"]
    assert len(invoice.lines) == len(lines), invoice.lines
    for got, exp in zip(invoice.lines, lines):
        assert got["kind"] == exp["kind"]
        assert got["charge"] == exp["charge"]
        if "group" in exp:
            assert dict(got["group"]) == exp["group"]
        if "units" in exp:
            assert got["units"] == Decimal(exp["units"])
        assert got["precise_amount"] == Decimal(exp["precise_amount"])
        assert str(got["amount"]) == exp["amount"]
        if "service_period_start" in exp:
            assert got["service_period"]["start"] == exp["service_period_start"]
    for key in ("subtotal", "discount_total", "tax", "credits", "total"):
        assert str(invoice[key]) == want[key], key
    for key in ("period_start", "period_end"):
        if key in want:
            assert invoice["period"][key.split("_")[1]] == want[key]
    # The invariant, recomputed in Python with Decimal.
    lines_sum = sum((line["amount"] for line in invoice.lines), Decimal(0))
    assert invoice.total == lines_sum - invoice.discount_total + invoice.tax - invoice.credits
    assert invoice.total >= 0


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "sqlite"])
@pytest.mark.parametrize("case", DOC["scenarios"], ids=[c["name"][:40] for c in DOC["scenarios"]])
def test_scenario_vectors(case: dict[str, Any], durable: bool, tmp_path: Path) -> None:
    plan = Plan.from_dict(case["plan"])
    sub = case["subscription"]
    with Ledger(tmp_path / "ledger.db") if durable else Ledger.memory() as ledger:
        for step in case["steps"]:
            if "ingest" in step:
                assert ledger.ingest(step["ingest"]) == step["expected_new"]
            elif "expected_error" in step:
                at = step["invoice_at"]
                expect_error(step, lambda at=at: ledger.issue_invoice(plan, sub, at))
            else:
                check_invoice(ledger.issue_invoice(plan, sub, step["invoice_at"]), step["expected"])


def test_issue_api_names_and_decimal_exactness() -> None:
    graduated = Charge.from_dict(
        {
            "model": "graduated",
            "tiers": [
                {"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"},
                {"up_to": None, "per_unit_amount": "5"},
            ],
        }
    )
    assert graduated.amount(0) == Decimal("2")
    standard = Charge.from_dict({"model": "standard", "amount": Decimal("0.1")})
    assert standard.amount(3) == Decimal("0.3")  # not 0.30000000000000004
    assert standard.amount(0.1) == Decimal("0.01")
    package = Charge.from_dict({"model": "package", "amount": "5", "package_size": 100, "free_units": 100})
    assert package.amount(201) == Decimal("10")
    pct = Charge.from_dict(
        {
            "model": "percentage",
            "rate": "1",
            "fixed_amount": "0.5",
            "per_transaction_min_amount": "1",
            "per_transaction_max_amount": "2",
        }
    )
    assert pct.amount(events=[{"quantity": 10}, {"quantity": "100"}, Decimal(1000)]) == Decimal("4.5")
    assert Charge.from_dict({"model": "volume", "tiers": [{"up_to": None, "per_unit_amount": "1"}]}).amount(0) == 0
    with pytest.raises(hcp.InvalidInputError, match=r"^tiers\[1\]\.up_to:"):
        Charge.from_dict({"model": "graduated", "tiers": [{"up_to": 5}, {"up_to": 5}, {"up_to": None}]})
    with pytest.raises(ValueError):  # InvalidInputError is also a ValueError
        standard.amount(float("nan"))


EVENT = {
    "customer_id": "acme",
    "meter_code": "gpu_hours",
    "timestamp": "2026-11-02T00:00:00Z",
    "properties": {"gpu_model": "H100"},
}


def test_durable_ledger_survives_reopen_and_refuses_garbage(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    events = [dict(EVENT, event_id=f"e{i}", quantity=Decimal("0.5")) for i in range(1000)]
    ledger = Ledger(path)
    assert ledger.ingest(events) == 1000
    ledger.close()
    ledger.close()  # idempotent
    with pytest.raises(hcp.ClosedError):
        ledger.ingest(events)
    with Ledger(path, durability="normal") as again:
        assert again.ingest(events) == 0
        assert again.event_count() == 1000
        assert again.customers() == ["acme"]
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"\x00not a database" * 1000)
    with pytest.raises(hcp.StorageError):
        Ledger(bad)
    with pytest.raises(hcp.InvalidInputError, match="^durability:"):
        Ledger(tmp_path / "x.db", durability="sometimes")


def test_bad_events_name_the_field_and_store_nothing() -> None:
    ledger = Ledger.memory()
    good = dict(EVENT, event_id="ok", quantity=1)
    for bad, field in [
        (dict(EVENT, event_id="x", quantity=-1), "quantity"),
        (dict(EVENT, event_id="x", quantity=float("nan")), "quantity"),
        (dict(EVENT, event_id="x", quantity=1, timestamp="2026-11-01 noon"), "timestamp"),
        (dict(EVENT, event_id="x", quantity=1, properties=[1]), "properties"),
    ]:
        with pytest.raises(hcp.InvalidInputError, match=rf"^events\[1\]\.{field}:"):
            ledger.ingest([good, bad])
    assert ledger.event_count() == 0


def plan_gpu() -> Plan:
    return Plan.from_dict(
        {
            "code": "gpu",
            "currency": "USD",
            "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
            "charges": [{"meter_code": "gpu_hours", "model": "standard", "amount": "2.49"}],
        }
    )


def test_invoices_usage_and_pandas() -> None:
    pd = pytest.importorskip("pandas")
    ledger = Ledger.memory()
    ledger.ingest([dict(EVENT, event_id=f"e{i}", quantity="1.5") for i in range(4)])
    ledger.ingest([dict(EVENT, event_id="o1", customer_id="other", quantity="100")])
    sub = Subscription("acme", "2026-11-01", tax_rate="10")
    invoice = ledger.issue_invoice(plan_gpu(), sub, "2026-11-30T00:00:00Z")
    assert invoice.total == Decimal("16.43")  # 6 h x 2.49 = 14.94, tax 1.494 -> 1.49
    frame = invoice.to_pandas()
    assert list(frame["amount"]) == [Decimal("14.94")]
    assert set(frame["customer_id"]) == {"acme"}
    usage = hcp.billing.to_pandas(ledger.usage("acme", ["gpu_hours"]))
    assert len(usage) == 4 and usage["quantity"].sum() == Decimal("6.0")
    assert isinstance(pd.DataFrame(ledger.invoices("acme")), pd.DataFrame)
    with pytest.raises(hcp.ConflictError):
        ledger.issue_invoice(plan_gpu(), sub, "2026-11-15")


def test_estimates_budgets_and_instant_fees() -> None:
    plan = plan_gpu()
    sub = Subscription("acme", "2026-11-01")
    est = plan.estimate(
        sub, "2026-11-05", [{"meter_code": "gpu_hours", "quantity": 72, "properties": {"gpu_model": "H100"}}]
    )
    assert est.total == Decimal("179.28")
    ledger = Ledger.memory()
    ledger.ingest([dict(EVENT, event_id="e1", quantity=30)])
    status = ledger.budget_status(plan, sub, "2026-11-11T00:00:00Z", budget=100)
    assert status.spend_to_date == Decimal("74.70")
    assert [a["threshold_percent"] for a in status.alerts] == [Decimal(50), Decimal(80), Decimal(100)]
    assert status.alerts[0]["reached"] is True
    in_advance = Plan.from_dict(
        {
            "currency": "USD",
            "meters": [{"code": "calls", "aggregation": "count"}],
            "charges": [{"meter_code": "calls", "model": "standard", "amount": "0.25", "pay_in_advance": True}],
        }
    )
    fees = in_advance.instant_fees(dict(EVENT, event_id="c1", meter_code="calls", quantity=1))
    assert [f["amount"] for f in fees] == [Decimal("0.25")]


def test_vectors_file_is_valid_json_for_every_language() -> None:
    text = (Path(__file__).resolve().parents[3] / "tests" / "vectors" / "billing.json").read_text()
    assert json.loads(text)["scenarios"]
