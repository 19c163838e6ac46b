"""Billing: exact usage rating, invoices and a durable usage ledger.

Configurations use Lago's field names (see ``core/src/billing`` for every model's rule). Amounts
are :class:`decimal.Decimal`; numbers may be given as ``Decimal``, ``int``, ``float`` or decimal
strings and are read exactly (a float is read as its shortest repr, ``0.1`` → ``Decimal("0.1")``).
Bad input raises :class:`hcp.InvalidInputError` naming the field; a corrupt or foreign ledger
file raises :class:`hcp.StorageError`.

>>> from decimal import Decimal
>>> import hcpcore as hcp
>>> c = hcp.billing.Charge.from_dict({"model": "graduated", "tiers": [
...     {"up_to": 10, "per_unit_amount": "10", "flat_amount": "2"},
...     {"up_to": None, "per_unit_amount": "5"}]})
>>> c.amount(12)
Decimal('112')
>>> ledger = hcp.billing.Ledger.memory()
>>> ledger.ingest([{"event_id": "e1", "customer_id": "acme", "meter_code": "gpu_hours",
...                 "quantity": "1.5", "timestamp": "2026-11-01T00:00:00Z", "properties": {}}])
1
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from hcpcore import _hcp
from hcpcore._record import Record, Records, records_to_pandas
from hcpcore.errors import InvalidInputError, InvalidTypeError
from hcpcore.limits import MAX_BATCH, MAX_DEPTH

__all__ = [
    "BudgetStatus",
    "Charge",
    "Invoice",
    "Ledger",
    "Plan",
    "Records",
    "Subscription",
    "round_amount",
    "to_pandas",
    "validate_event",
]

# Keys whose string values are amounts or quantities and come back as Decimal.
_DECIMAL_KEYS = frozenset(
    {
        "units", "precise_amount", "amount", "subtotal", "discount_total", "tax_rate", "taxable_precise", "tax",
        "credits", "total", "quantity", "budget", "spend_to_date", "forecast", "used_percent", "threshold_percent",
    }
)  # fmt: skip


def _scalar(value: Any) -> Any:
    """A leaf value as JSON-ready data, or ``_NOT_SCALAR`` for containers and unknown types."""
    if isinstance(value, Decimal):
        return str(value)  # exact; the core reads plain and scientific notation
    if isinstance(value, _dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()  # a numpy scalar as the Python number it holds
    return _NOT_SCALAR


_NOT_SCALAR = object()


def _default(value: Any) -> Any:
    plain = _scalar(value)
    if plain is not _NOT_SCALAR:
        return plain
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot convert a {type(value).__name__} value")


def _plain(value: Any, field: str, depth: int) -> Any:
    """``value`` as JSON-ready data, checked: nesting deeper than ``MAX_DEPTH`` (a container that
    contains itself included) and lists longer than ``MAX_BATCH`` are refused naming ``field``;
    non-finite floats become strings so that the core names the field that holds one."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    plain = _scalar(value)
    if plain is not _NOT_SCALAR:
        return _plain(plain, field, depth)
    if depth >= MAX_DEPTH:
        raise hcp_invalid(field, f"nested deeper than {MAX_DEPTH} levels (or refers to itself)")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise hcp_invalid(field, f"keys must be str, got {type(k).__name__}")
            out[k] = _plain(v, field, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        if len(value) > MAX_BATCH:
            raise hcp_invalid(field, f"has {len(value)} items, at most {MAX_BATCH} allowed")
        return [_plain(v, field, depth + 1) for v in value]
    raise InvalidTypeError(f"{field}: cannot convert a {type(value).__name__} value")


def _dumps(value: Any, field: str) -> str:
    """JSON text of ``value``. The C encoder runs first (fast); anything it refuses (NaN, numpy
    scalars beside them, cycles, deep nesting, unknown types) is converted by :func:`_plain`, which
    names ``field`` in its error. The core checks the nesting depth of the text again."""
    try:
        return json.dumps(value, default=_default, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError, RecursionError):
        pass
    return json.dumps(_plain(value, field, 0), allow_nan=False, separators=(",", ":"))


def hcp_invalid(field: str, reason: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {reason}")


def _items(values: Any, field: str) -> list[Any]:
    """An iterable argument as a list of at most ``MAX_BATCH`` items (an endless iterator is
    refused, not looped over); a ``str`` or a non-iterable is ``InvalidTypeError``."""
    if isinstance(values, (str, bytes, Mapping)):
        raise InvalidTypeError(f"{field}: expected a sequence, got {type(values).__name__}")
    try:
        it = iter(values)
    except TypeError:
        raise InvalidTypeError(f"{field}: expected a sequence, got {type(values).__name__}") from None
    out: list[Any] = []
    for item in it:
        if len(out) >= MAX_BATCH:
            raise hcp_invalid(field, f"has more than {MAX_BATCH} items")
        out.append(item)
    return out


def _mapping(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidTypeError(f"{field}: expected a dict, got {type(value).__name__}")
    return dict(value)


def _plan(plan: Any) -> _hcp.NativePlan:
    if not isinstance(plan, Plan):
        raise InvalidTypeError(f"plan: expected a hcpcore.billing.Plan, got {type(plan).__name__}")
    return plan._native


def _decimals(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return Record({k: _decimals(v, k) for k, v in value.items()})
    if isinstance(value, list):
        items = [_decimals(v, key) for v in value]
        # A list of objects (events, invoice lines) is a Records: a summary when printed, to_pandas().
        return Records(items) if items and all(isinstance(v, Record) for v in items) else items
    if isinstance(value, str) and key in _DECIMAL_KEYS:
        return Decimal(value)
    return value


def _loads(text: str) -> Any:
    return _decimals(json.loads(text))


def _num_text(value: Any, field: str) -> str:
    """A number as exact decimal text (floats by their shortest repr, numpy scalars by theirs)."""
    plain = _scalar(value)
    if plain is not _NOT_SCALAR and not isinstance(plain, str):
        value = plain
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise InvalidTypeError(f"{field}: expected a number or decimal string, got {type(value).__name__}")
    return repr(value) if isinstance(value, float) else str(value)


def _time(value: str | _dt.datetime | _dt.date, field: str = "at") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return str(_scalar(value))
    raise InvalidTypeError(f"{field}: expected a str, datetime or date, got {type(value).__name__}")


def to_pandas(records: Iterable[Mapping[str, Any]], *, flatten_properties: bool = False) -> Any:
    """A ``pandas.DataFrame`` of records, one row each (needs pandas): amounts stay ``Decimal``,
    timestamps are ``datetime64[ns, UTC]``; ``flatten_properties=True`` turns each event's
    ``properties`` into ``properties.<key>`` columns. Same as ``Records(records).to_pandas()``."""
    return records_to_pandas(
        [_mapping(r, "records") for r in _items(records, "records")], flatten_properties=flatten_properties
    )


def round_amount(amount: Decimal | int | str, currency: str, rounding: str = "half_away_from_zero") -> Decimal:
    """Rounds to the currency's minor unit (``"half_away_from_zero"`` or ``"half_even"``)."""
    return Decimal(_hcp.billing_round_amount(_num_text(amount, "amount"), currency, rounding))


def validate_event(event: Mapping[str, Any]) -> Record:
    """Validates one usage event; returns it normalised (quantity as ``Decimal``)."""
    result: Record = _loads(_hcp.billing_validate_event(_dumps(event, "event")))
    return result


class Charge:
    """A priced charge: a Lago charge model (``standard``, ``graduated``, ``volume``, ``package``,
    ``percentage``, ``graduated_percentage``, ``dynamic``) and an optional quantity transform."""

    __slots__ = ("_native", "config")

    def __init__(self, native: _hcp.NativeCharge, config: Mapping[str, Any]) -> None:
        self._native = native
        self.config = dict(config)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Charge:
        """Parses ``{"model": …, …}``; malformed fields raise ``InvalidInputError`` naming them."""
        return cls(_hcp.NativeCharge.from_json(_dumps(config, "charge")), config)

    @classmethod
    def from_json(cls, text: str) -> Charge:
        """Parses a charge from JSON text."""
        return cls(_hcp.NativeCharge.from_json(text), json.loads(text) if text.strip().startswith("{") else {})

    def amount(
        self, units: Decimal | int | float | str | None = None, *, events: Sequence[Any] | None = None
    ) -> Decimal:
        """The precise amount (before rounding) for ``units`` of cumulative usage, or for ``events``
        (quantities, or event dicts with ``quantity`` and ``properties``)."""
        if events is not None:
            if units is not None:
                raise hcp_invalid("units", "give units or events, not both")
            return Decimal(self._native.amount_events(_dumps(_items(events, "events"), "events")))
        if units is None:
            raise hcp_invalid("units", "required (or pass events=[…])")
        return Decimal(self._native.amount_units(_num_text(units, "units")))

    @property
    def needs_events(self) -> bool:
        """Whether the model prices events one by one (percentage, dynamic)."""
        return self._native.needs_events

    def __repr__(self) -> str:
        return f"Charge({self.config!r})"


class Plan:
    """A plan: currency, interval, meters and charges, with versions effective at dates."""

    __slots__ = ("_native", "config")

    def __init__(self, native: _hcp.NativePlan, config: Mapping[str, Any]) -> None:
        self._native = native
        self.config = dict(config)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> Plan:
        """Parses a plan dict; malformed fields raise ``InvalidInputError`` naming their path."""
        return cls(_hcp.NativePlan.from_json(_dumps(config, "plan")), config)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parses a plan from JSON text."""
        native = _hcp.NativePlan.from_json(text)
        return cls(native, json.loads(text))

    @property
    def code(self) -> str:
        """The plan's code (``"gpu"``)."""
        return self._native.code

    @property
    def currency(self) -> str:
        """The plan's ISO 4217 currency code (``"USD"``)."""
        return self._native.currency

    def instant_fees(self, event: Mapping[str, Any]) -> Records[Record]:
        """Pay-in-advance fee lines for one event."""
        return Records(_loads(self._native.instant_fees_json(_dumps(event, "event"))))

    def estimate(
        self, subscription: Subscription | Mapping[str, Any], at: str | _dt.datetime, usage: Sequence[Mapping[str, Any]]
    ) -> Invoice:
        """Cost of planned usage (``[{"meter_code", "quantity", "properties"?}]``) in the period
        containing ``at``, as an invoice-shaped estimate (no coupons or credits)."""
        sub = _subscription_json(subscription)
        return Invoice(_loads(self._native.estimate_json(sub, _time(at), _dumps(_items(usage, "usage"), "usage"))))

    def __repr__(self) -> str:
        return f"Plan(code={self.code!r}, currency={self.currency!r})"


class Subscription(Record):
    """A customer's subscription: ``customer_id``, ``start``, ``billing_anchor`` ("calendar" or
    "subscription"), ``tax_rate`` (percent), ``coupons``, ``wallet_credits``. A plain dict."""

    __slots__ = ()

    def __init__(self, customer_id: str, start: str | _dt.datetime | _dt.date, **fields: Any) -> None:
        super().__init__(customer_id=customer_id, start=_time(start, "start"), **fields)


def _subscription_json(sub: Mapping[str, Any]) -> str:
    # Not a mapping: sent as it is, for the core to name what is wrong with it.
    return _dumps(dict(sub) if isinstance(sub, Mapping) else sub, "subscription")


class Invoice(Record):
    """An invoice: ``lines`` (each with ``precise_amount`` and rounded ``amount``), ``subtotal``,
    ``discounts``, ``discount_total``, ``tax``, ``credits``, ``total`` (all ``Decimal``)."""

    __slots__ = ()

    def line_records(self) -> Records[Record]:
        """Lines as flat records (one per line), for a data frame."""
        out: Records[Record] = Records()
        for line in self["lines"]:
            flat = Record(invoice=self["number"], customer_id=self["customer_id"], currency=self["currency"]["code"])
            for k, v in line.items():
                if k == "service_period":
                    flat["service_period_start"] = v["start"]
                    flat["service_period_end"] = v["end"]
                else:
                    flat[k] = v
            out.append(flat)
        return out

    def to_pandas(self, *, flatten_properties: bool = False, start: Any = None) -> Any:
        """The lines as a ``pandas.DataFrame`` (one row per line; amounts ``Decimal``, service
        periods ``datetime64[ns, UTC]``). ``start`` is refused: an invoice has no time column."""
        if start is not None:
            raise hcp_invalid("start", "an invoice has no time_seconds column to count from")
        return self.line_records().to_pandas(flatten_properties=flatten_properties)


class BudgetStatus(Record):
    """Spend to date, forecast to period end and threshold alerts of the open period."""

    __slots__ = ()


class Ledger:
    """The usage ledger: ``Ledger(path)`` opens (or creates) a durable SQLite file (WAL; every
    ``ingest`` is fsynced before it returns with ``durability="full"``, the default);
    ``Ledger.memory()`` keeps everything in memory. Usable as a context manager."""

    __slots__ = ("_native",)

    def __init__(self, path: str | os.PathLike[str], *, durability: str = "full") -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise InvalidTypeError(f"path: expected a str or path, got {type(path).__name__}")
        self._native = _hcp.NativeLedger.open(os.fspath(path), durability)

    @classmethod
    def memory(cls) -> Ledger:
        """An in-memory ledger (tests, notebooks)."""
        ledger = cls.__new__(cls)
        ledger._native = _hcp.NativeLedger.memory()
        return ledger

    def ingest(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Stores the events; returns how many were new (an ``event_id`` counts once per
        customer, across retries and restarts). All or nothing; durable when it returns."""
        return self._native.ingest_json(_dumps(_items(events, "events"), "events"))

    def event_count(self) -> int:
        """How many distinct events the ledger holds."""
        return self._native.event_count()

    def customers(self) -> list[str]:
        """The ids of the customers with events, sorted."""
        return self._native.customers()

    def usage(
        self,
        customer_id: str,
        meter_codes: Sequence[str],
        start: str | _dt.datetime | None = None,
        end: str | _dt.datetime | None = None,
    ) -> Records[Record]:
        """A customer's events of the given meters in ``[start, end)`` (records with ``Decimal``
        quantities; ``.to_pandas(flatten_properties=True)`` makes a data frame)."""
        s = _time(start, "start") if start is not None else None
        e = _time(end, "end") if end is not None else None
        return Records(_loads(self._native.events_json(customer_id, _items(meter_codes, "meter_codes"), s, e)))

    def preview_invoice(self, plan: Plan, subscription: Mapping[str, Any], at: str | _dt.datetime) -> Invoice:
        """The invoice of the period containing ``at``, not recorded."""
        return Invoice(
            _loads(self._native.preview_invoice_json(_plan(plan), _subscription_json(subscription), _time(at)))
        )

    def issue_invoice(self, plan: Plan, subscription: Mapping[str, Any], at: str | _dt.datetime) -> Invoice:
        """Issues and records the invoice of the period containing ``at`` (``ConflictError`` if
        already issued; late events are corrected on the next invoice)."""
        return Invoice(
            _loads(self._native.issue_invoice_json(_plan(plan), _subscription_json(subscription), _time(at)))
        )

    def issue_invoices(
        self, plan: Plan, subscriptions: Sequence[Mapping[str, Any]], at: str | _dt.datetime
    ) -> Records[Invoice]:
        """Issues the invoices of many subscriptions, all or nothing."""
        items = [dict(s) if isinstance(s, Mapping) else s for s in _items(subscriptions, "subscriptions")]
        subs = _dumps(items, "subscriptions")
        return Records(Invoice(i) for i in _loads(self._native.issue_invoices_json(_plan(plan), subs, _time(at))))

    def invoices(self, customer_id: str) -> Records[Invoice]:
        """The customer's issued invoices, oldest first."""
        return Records(Invoice(i) for i in _loads(self._native.invoices_json(customer_id)))

    def budget_status(
        self,
        plan: Plan,
        subscription: Mapping[str, Any],
        now: str | _dt.datetime,
        budget: Decimal | int | str,
        thresholds: Sequence[Decimal | int | str] = (50, 80, 100),
    ) -> BudgetStatus:
        """Spend to date, forecast and alerts against ``budget`` at ``thresholds`` percent."""
        raw = self._native.budget_status_json(
            _plan(plan),
            _subscription_json(subscription),
            _time(now, "now"),
            _num_text(budget, "budget"),
            [_num_text(t, "thresholds") for t in _items(thresholds, "thresholds")],
        )
        return BudgetStatus(_loads(raw))

    def close(self) -> None:
        """Closes the ledger (idempotent); later calls raise ``ClosedError``."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
