"""Results in a notebook: Record/Records.to_pandas() dtypes (UTC timestamps, Decimal money,
numeric columns, flattened properties) and the summary a long result prints."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import hcpcore as hcp
import numpy as np
import pytest
from hcpcore.billing import Ledger, Plan, Subscription

pd = pytest.importorskip("pandas")

MARKET_DIR = str(Path(__file__).resolve().parents[3] / "data" / "market")
UTC_NS = "datetime64[ns, UTC]"


def event(i: int, **changes: Any) -> dict[str, Any]:
    e = {
        "event_id": f"e{i}",
        "customer_id": "acme",
        "meter_code": "gpu_hours",
        "quantity": "1.25",
        "timestamp": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:30:00Z",
        "properties": {"gpu_model": "H100", "tokens": 1000 + i},
    }
    e.update(changes)
    return e


def ledger_with(events: list[dict[str, Any]]) -> Ledger:
    ledger = Ledger.memory()
    ledger.ingest(events)
    return ledger


def test_usage_events_get_utc_timestamps_and_decimal_quantities() -> None:
    ledger = ledger_with([event(i) for i in range(3)] + [event(3, timestamp="2026-11-04T01:02:03.250Z")])
    frame = ledger.usage("acme", ["gpu_hours"]).to_pandas()
    assert str(frame["timestamp"].dtype) == UTC_NS
    assert frame["timestamp"].iloc[3] == pd.Timestamp("2026-11-04T01:02:03.250", tz="UTC")
    assert all(isinstance(q, Decimal) for q in frame["quantity"])
    assert frame["quantity"].sum() == Decimal("5.00")
    assert "properties" in frame.columns and "properties.gpu_model" not in frame.columns


def test_flatten_properties_gives_one_typed_column_per_key() -> None:
    events = [event(0), event(1, properties={"gpu_model": "H200", "region": {"zone": "b"}}), event(2, properties={})]
    frame = ledger_with(events).usage("acme", ["gpu_hours"]).to_pandas(flatten_properties=True)
    assert "properties" not in frame.columns
    assert list(frame["properties.gpu_model"][:2]) == ["H100", "H200"] and pd.isna(frame["properties.gpu_model"][2])
    assert str(frame["properties.tokens"].dtype) == "Int64"  # integers, one missing
    assert frame["properties.tokens"][0] == 1000
    assert frame["properties.region.zone"][1] == "b"
    # The module-level function converts the same way, from plain dicts too.
    plain = hcp.billing.to_pandas([event(0, quantity=Decimal("0.1")), event(1)], flatten_properties=True)
    assert str(plain["properties.tokens"].dtype) == "int64"
    assert str(plain["timestamp"].dtype) == UTC_NS
    assert list(plain["quantity"]) == [Decimal("0.1"), "1.25"]  # given values, not rounded through floats
    with pytest.raises(hcp.InvalidTypeError, match="^flatten_properties"):
        hcp.billing.to_pandas([event(0)], flatten_properties=np.array([1, 2]))


def test_numbers_are_numeric_and_money_stays_decimal_on_invoices() -> None:
    plan = Plan.from_dict(
        {
            "code": "gpu",
            "currency": "USD",
            "meters": [{"code": "gpu_hours", "aggregation": "sum", "group_by": ["gpu_model"]}],
            "charges": [{"meter_code": "gpu_hours", "model": "standard", "amount": "2.49"}],
        }
    )
    ledger = ledger_with([event(i, properties={"gpu_model": ["H100", "H200"][i % 2]}) for i in range(5)])
    invoice = ledger.issue_invoice(plan, Subscription("acme", "2026-11-01"), "2026-11-30T00:00:00Z")
    lines = invoice.to_pandas()
    assert len(lines) == 2
    for money in ("units", "precise_amount", "amount"):
        assert all(isinstance(v, Decimal) for v in lines[money]), money
    assert sum(lines["amount"]) == invoice.subtotal
    assert str(lines["event_count"].dtype) == "int64"
    assert str(lines["service_period_start"].dtype) == UTC_NS
    assert lines["service_period_end"].iloc[0] == pd.Timestamp("2026-12-01", tz="UTC")
    issued = ledger.invoices("acme").to_pandas()  # Records of invoices: one row each
    assert len(issued) == 1 and issued["total"].iloc[0] == invoice.total
    with pytest.raises(hcp.InvalidInputError, match="^start"):
        invoice.to_pandas(start="2026-11-01")


def test_market_columns_keep_their_dtypes_and_count_from_start() -> None:
    market = hcp.sim.replay_market(MARKET_DIR, "2024-07-01T00:00:00Z", 96, 900.0)
    frame = market.to_pandas(start="2024-07-01")
    assert len(frame) == 96 and frame.columns[0] == "timestamp"
    assert str(frame["timestamp"].dtype) == UTC_NS
    assert frame["timestamp"].iloc[-1] == pd.Timestamp("2024-07-01T23:45:00", tz="UTC")
    assert not [c for c in frame.columns if frame[c].dtype == object], frame.dtypes
    assert frame["height"].dtype == np.uint64 and frame["btc_usd"].dtype == np.float64
    aware = market.to_pandas(start=dt.datetime(2024, 6, 30, 19, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    assert aware["timestamp"].iloc[0] == pd.Timestamp("2024-07-01", tz="UTC")
    assert "timestamp" not in market.to_pandas().columns
    with pytest.raises(hcp.InvalidInputError, match="^start"):
        market.to_pandas(start="not a time")
    with pytest.raises(hcp.InvalidTypeError, match="^start"):
        market.to_pandas(start=12)
    decision = hcp.econ.best_action(hcp.models.S21, hcp.Market(btc_usd=1e5, difficulty=1e14, height=840_000))
    with pytest.raises(hcp.InvalidInputError, match="time_seconds"):
        decision.to_pandas(start="2024-07-01")


def test_batch_and_fleet_columns_convert_without_object_numbers() -> None:
    m = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fees_btc_per_block=0.0)
    n = 50
    r = hcp.econ.miner_curtail_batch(m, np.full(n, 200.0), np.full(n, 3500.0), np.full(n, 20.0), np.linspace(0, 0.2, n))
    frame = r.to_pandas()
    assert frame.shape == (n, 3) and frame["mine"].dtype == np.uint8
    fleet = hcp.sim.Fleet(dt_seconds=60, seed=1)
    fleet.add_many(gpus=2, miners=3)
    fleet.run(30)
    series = fleet.series().to_pandas()
    assert len(series) == 30 and not [c for c in series.columns if series[c].dtype == object]
    one = hcp.econ.best_action(hcp.models.S21, m).to_pandas()  # a record of scalars: one row
    assert len(one) == 1 and one["profit_usd_per_hour"].dtype == np.float64


def test_a_long_record_prints_a_summary_not_every_element() -> None:
    market = hcp.sim.replay_market(MARKET_DIR, "2024-07-01", 5000, 60.0)
    text = repr(market)
    lines = text.splitlines()
    assert lines[0] == "Record: 5,000 rows × 7 columns"
    assert len(lines) == 1 + 1 + 5 + 1  # the count, the header, 5 rows, "… 4,995 more rows"
    assert lines[-1] == "… 4,995 more rows"
    assert "time_seconds" in lines[1] and "299940" not in text  # the last time is not printed
    page = market._repr_html_()
    assert page is not None and "5,000 rows" in page and page.count("<tr>") == 1 + 5 + 1
    short = hcp.sim.replay_market(MARKET_DIR, "2024-07-01", 3, 60.0)
    assert repr(short).startswith("Record(time_seconds=array(")
    scalars = hcp.Record(a=1, b="x")
    assert repr(scalars) == "Record(a=1, b='x')" and scalars._repr_html_() is None
    nested = hcp.Record(lines=list(range(1000)))
    assert repr(nested) == "Record(lines=[0, 1, 2, … 1,000 items])"


def test_long_records_lists_print_a_summary() -> None:
    events = hcp.Records([hcp.Record(event(i)) for i in range(40)])
    lines = repr(events).splitlines()
    assert lines[0] == "Records: 40 rows × 6 columns" and lines[-1] == "… 35 more rows"
    assert "e39" not in repr(events)
    page = events._repr_html_()
    assert page is not None and "40 rows" in page and "<th>event_id</th>" in page
    few = hcp.Records([hcp.Record(a=1)])
    assert repr(few) == "[Record(a=1)]" and isinstance(few, list)
    usage = ledger_with([event(i) for i in range(12)]).usage("acme", ["gpu_hours"])
    assert isinstance(usage, hcp.Records) and repr(usage).startswith("Records: 12 rows")
    # Lists of objects from the native module are Records too.
    market = hcp.Market(btc_usd=1e5, difficulty=1e14, height=840_000)
    values = hcp.econ.action_values(hcp.models.S21, market)
    assert isinstance(values, hcp.Records) and set(values.to_pandas()["action"]) == {"mine", "sleep", "idle"}
    plan = hcp.econ.Site({"S21": 2, "H100_SXM": 1}, cap_kw=10).plan(market)
    assert isinstance(plan.groups, hcp.Records) and len(plan.groups.to_pandas()) == 2


def test_to_pandas_without_pandas_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match=r"hcpcore\[pandas\]"):
        hcp.Record(a=1).to_pandas()
