"""`Record`, the result type of hcp calls that return structured data (site plans, decisions,
market columns, …), and `Records`, a list of them (usage events, invoices).

Both turn into a ``pandas.DataFrame`` with the types a notebook expects (:meth:`Record.to_pandas`)
and print a summary — the first rows and the count — when they are long. This module owns the
conversion to pandas and the display; it must not call the native module.
"""

from __future__ import annotations

import datetime as _dt
import html
import importlib
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np

from hcpcore.errors import InvalidInputError, InvalidTypeError

#: A result with more rows than this prints as a summary (its first rows and the count).
LONG_ROWS = 10
#: Rows a summary shows.
SUMMARY_ROWS = 5
#: Columns a text summary shows (the HTML one shows all).
SUMMARY_COLUMNS = 8
# Items of a list or array shown inside a record's repr before "… N items".
_REPR_ITEMS = 6
_CELL_CHARS = 24
# Levels of nested dicts in ``properties`` spread into columns; deeper ones stay dicts.
_FLATTEN_DEPTH = 8

# An ISO-8601 date and time (the core writes RFC 3339 with a "Z"); a column of such strings is a
# timestamp column. Dates without a time stay strings.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


class Record(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes: ``plan.profit_usd_per_hour == plan["profit_usd_per_hour"]``.

    Being a plain dict underneath, a record (or a list of them) goes straight into
    ``pandas.DataFrame`` or ``json.dumps``; :meth:`to_pandas` converts with the right types. A
    record of columns (numpy arrays of one length, as ``hcpcore.sim.replay_market`` returns)
    longer than ``LONG_ROWS`` prints as a summary: its first rows and the count.
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
        rows = _column_rows(self)
        if rows is not None and rows > LONG_ROWS:
            columns = list(self.keys())
            return _text_table(type(self).__name__, columns, _column_cells(self, columns), rows)
        inner = ", ".join(f"{k}={_short_repr(v)}" for k, v in self.items())
        return f"{type(self).__name__}({inner})"

    def _repr_html_(self) -> str | None:
        """Jupyter's rich display: a table for a record of columns, the text repr otherwise."""
        rows = _column_rows(self)
        if rows is None:
            return None  # Jupyter falls back to __repr__
        columns = list(self.keys())
        return _html_table(type(self).__name__, columns, _column_cells(self, columns), rows)

    def to_pandas(self, *, flatten_properties: bool = False, start: Any = None) -> Any:
        """A ``pandas.DataFrame`` of this record (needs pandas: ``pip install "hcpcore[pandas]"``).

        A record of columns (numpy arrays of one length) gives one row per element with the
        arrays' dtypes; any other record gives one row. In both, ISO-8601 timestamp strings become
        ``datetime64[ns, UTC]``, amounts stay exact ``decimal.Decimal`` and other numbers get
        numeric dtypes (``Int64`` where some are missing). ``flatten_properties=True`` spreads a
        ``properties`` dict into ``properties.<key>`` columns. ``start`` (an ISO-8601 string, a
        ``datetime`` or a ``pandas.Timestamp``; UTC when naive) is the instant a ``time_seconds``
        column counts from, e.g. the ``start`` given to ``hcpcore.sim.replay_market``: it adds a
        first column ``timestamp`` of ``datetime64[ns, UTC]``.

        >>> import hcpcore as hcp
        >>> market = hcp.sim.synthetic_market(seed=1, steps=96, dt_seconds=900.0)
        >>> frame = market.to_pandas(start="2024-07-01")
        >>> str(frame["timestamp"].dtype), str(frame["timestamp"].iloc[-1])
        ('datetime64[ns, UTC]', '2024-07-01 23:45:00+00:00')
        """
        _check_flag(flatten_properties)
        pd = _pandas()
        if _column_rows(self) is not None:
            frame = _convert(pd, pd.DataFrame({k: _column(v) for k, v in self.items()}))
        else:
            frame = _convert(pd, pd.DataFrame([_row(self, flatten_properties)], dtype=object))
        if start is not None:
            _add_timestamps(pd, frame, start)
        return frame


_R = TypeVar("_R", bound=Record)


class Records(list[_R]):
    """A list of :class:`Record` (usage events, invoices, invoice lines): a plain list that prints
    a summary when longer than ``LONG_ROWS`` and converts with :meth:`to_pandas`."""

    __slots__ = ()

    def __repr__(self) -> str:
        if len(self) <= LONG_ROWS:
            return super().__repr__()
        columns = _row_columns(self[:SUMMARY_ROWS])
        return _text_table(type(self).__name__, columns, _row_cells(self, columns), len(self))

    def _repr_html_(self) -> str | None:
        """Jupyter's rich display: the first rows as a table and the count."""
        if not self or not all(isinstance(r, Mapping) for r in self[:SUMMARY_ROWS]):
            return None
        columns = _row_columns(self[:SUMMARY_ROWS])
        return _html_table(type(self).__name__, columns, _row_cells(self, columns), len(self))

    def to_pandas(self, *, flatten_properties: bool = False) -> Any:
        """A ``pandas.DataFrame`` with one row per record, typed as :meth:`Record.to_pandas` types
        them (``datetime64[ns, UTC]`` timestamps, ``Decimal`` amounts, numeric dtypes);
        ``flatten_properties=True`` gives ``properties.<key>`` columns instead of the dicts."""
        return records_to_pandas(self, flatten_properties=flatten_properties)


def records_to_pandas(records: Iterable[Mapping[str, Any]], *, flatten_properties: bool = False) -> Any:
    """A typed ``pandas.DataFrame`` of mappings, one row each (see :meth:`Records.to_pandas`)."""
    _check_flag(flatten_properties)
    pd = _pandas()
    rows = []
    for record in records:
        if not isinstance(record, Mapping):
            raise InvalidTypeError(f"records: expected dicts, got a {type(record).__name__}")
        rows.append(_row(record, flatten_properties))
    return _convert(pd, pd.DataFrame(rows, dtype=object))


# ---------------------------------------------------------------- pandas ----------------------


def _pandas() -> Any:
    try:
        return importlib.import_module("pandas")  # optional dependency, imported on use
    except ImportError:
        raise ImportError('to_pandas() needs pandas: pip install "hcpcore[pandas]"') from None


def _check_flag(flatten_properties: Any) -> None:
    if not isinstance(flatten_properties, (bool, np.bool_)):
        raise InvalidTypeError(f"flatten_properties: expected a bool, got {type(flatten_properties).__name__}")


def _column(value: Any) -> Any:
    return value if isinstance(value, np.ndarray) else list(value)


def _row(record: Mapping[str, Any], flatten_properties: bool) -> dict[str, Any]:
    row = dict(record)
    if flatten_properties and isinstance(row.get("properties"), Mapping):
        _flatten_into(row, "properties", row.pop("properties"), 1)
    return row


def _flatten_into(row: dict[str, Any], prefix: str, mapping: Mapping[str, Any], depth: int) -> None:
    for key, value in mapping.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping) and value and depth < _FLATTEN_DEPTH:
            _flatten_into(row, name, value, depth + 1)
        else:
            row[name] = value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _convert(pd: Any, frame: Any) -> Any:
    """``frame`` with its object columns typed: timestamps, numbers and booleans (rows are built
    with ``dtype=object`` so that integers with a missing value become ``Int64``, not floats)."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind != "O" and not isinstance(column.dtype, pd.StringDtype):
            continue  # already typed (a numpy column, or pandas inferred it)
        present = [v for v in column if not _missing(v)]
        if present:
            try:
                _convert_column(pd, frame, name, column, present)
            except (TypeError, ValueError, OverflowError):
                pass  # a column pandas cannot type (an int beyond int64, …) stays as it is
    return frame.infer_objects()  # the rest (text) as pandas would type it


def _convert_column(pd: Any, frame: Any, name: str, column: Any, present: list[Any]) -> None:
    """Gives column ``name`` the dtype its values call for (``present``: its non-missing values)."""
    if all(isinstance(v, Decimal) for v in present):
        frame[name] = column.astype(object).where(column.notna(), None)  # exact; NaN → None
    elif all(isinstance(v, str) and _DATETIME.fullmatch(v) for v in present):
        parsed = pd.to_datetime(column, utc=True, format="ISO8601")
        frame[name] = parsed.astype("datetime64[ns, UTC]")
    elif all(isinstance(v, (bool, np.bool_)) for v in present):
        frame[name] = column.astype(bool if len(present) == len(column) else "boolean")
    elif all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in present):
        frame[name] = column.astype("int64" if len(present) == len(column) else "Int64")
    elif all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_, Decimal)) for v in present):
        frame[name] = pd.to_numeric(column, errors="raise").astype("float64")
    elif all(isinstance(v, str) for v in present):
        frame[name] = pd.Series(column.tolist(), index=frame.index)  # pandas' own text dtype (str in 3.x)


def _add_timestamps(pd: Any, frame: Any, start: Any) -> None:
    if "time_seconds" not in frame.columns:
        raise InvalidInputError("start: this result has no time_seconds column to count from")
    if not isinstance(start, (str, _dt.date)):  # datetime and pandas.Timestamp are dates too
        raise InvalidTypeError(f"start: expected an ISO-8601 str or a datetime, got {type(start).__name__}")
    try:
        origin = pd.Timestamp(start)
        if pd.isna(origin):
            raise ValueError("not a time")
        origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
        stamps = (origin + pd.to_timedelta(frame["time_seconds"], unit="s")).astype("datetime64[ns, UTC]")
    except (TypeError, ValueError, OverflowError) as err:
        raise InvalidInputError(f"start: cannot count time_seconds from {start!r} ({err})") from None
    frame.insert(0, "timestamp", stamps)


# ---------------------------------------------------------------- display ---------------------


def _column_rows(record: Mapping[str, Any]) -> int | None:
    """The row count of a record of columns (every value a 1-D numpy array or a list, of one
    length, at least one an array), else ``None``."""
    if not record:
        return None
    lengths = set()
    arrays = 0
    for value in record.values():
        if isinstance(value, np.ndarray):
            if value.ndim != 1:
                return None
            arrays += 1
        elif not isinstance(value, list):
            return None
        lengths.add(len(value))
    return lengths.pop() if arrays and len(lengths) == 1 else None


def _column_cells(record: Mapping[str, Any], columns: list[str]) -> list[list[Any]]:
    rows = _column_rows(record) or 0
    shown = range(min(rows, SUMMARY_ROWS) if rows > LONG_ROWS else rows)
    return [[record[c][i] for c in columns] for i in shown]


def _row_columns(rows: Iterable[Any]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        if isinstance(row, Mapping):
            columns.update(dict.fromkeys(str(k) for k in row))
    return list(columns)


def _row_cells(rows: list[Any], columns: list[str]) -> list[list[Any]]:
    shown = rows[:SUMMARY_ROWS] if len(rows) > LONG_ROWS else rows
    return [[row.get(c, "") if isinstance(row, Mapping) else row for c in columns] for row in shown]


def _short_repr(value: Any) -> str:
    """``repr`` with long lists and arrays cut to their first items and a count."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) > _REPR_ITEMS:
        head = ", ".join(_cell(v) for v in value[: _REPR_ITEMS // 2])
        return f"array([{head}, …], {len(value):,} items, dtype={value.dtype})"
    if isinstance(value, (list, tuple)) and len(value) > _REPR_ITEMS:
        head = ", ".join(repr(v) for v in value[: _REPR_ITEMS // 2])
        return f"[{head}, … {len(value):,} items]"
    return repr(value)


def _cell(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, (str, Decimal, int)):
        text = str(value)
    else:
        text = repr(value)
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def _count_line(name: str, rows: int, columns: int) -> str:
    return f"{name}: {rows:,} rows × {columns} columns"


def _text_table(name: str, columns: list[str], cells: list[list[Any]], rows: int) -> str:
    shown = columns[:SUMMARY_COLUMNS]
    text = [[_cell(v) for v in row[: len(shown)]] for row in cells]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(shown)]
    lines = [_count_line(name, rows, len(columns))]
    lines.append("  ".join(c.rjust(w) for c, w in zip(shown, widths)))
    lines.extend("  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in text)
    more = []
    if rows > len(cells):
        more.append(f"{rows - len(cells):,} more rows")
    if len(columns) > len(shown):
        more.append(f"{len(columns) - len(shown)} more columns: {', '.join(columns[len(shown) :])}")
    if more:
        lines.append("… " + "; ".join(more))
    return "\n".join(lines)


def _html_table(name: str, columns: list[str], cells: list[list[Any]], rows: int) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in cells)
    if rows > len(cells):
        body += f'<tr><td colspan="{len(columns)}">… {rows - len(cells):,} more rows</td></tr>'
    caption = html.escape(_count_line(name, rows, len(columns)))
    return f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
