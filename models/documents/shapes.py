"""Document shapes shared by both engines: snapshot split/join, trade checks, empty sums."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from models.ports import Doc

GRID_TOTAL_FIELDS = (
    "production_wh",
    "consumption_wh",
    "net_wh",
    "surplus_wh",
    "deficit_wh",
    "export_wh",
    "import_wh",
)
LINE_SUM_FIELDS = ("produced_wh", "consumed_wh", "net_wh")
# A prosumer's simulated energy flows per timeframe (integer Wh; stored_wh after the timeframe).
FLOW_FIELDS = (
    "produced_wh",
    "consumed_wh",
    "own_use_wh",
    "to_battery_wh",
    "from_battery_wh",
    "bought_wh",
    "sold_wh",
    "losses_wh",
    "stored_wh",
    "capacity_wh",
)
FLOW_KEY = ("grid_id", "prosumer_id", "start")
WEATHER_FIELDS = ("wind_speed_m_s", "ghi_w_m2", "temperature_c")
PARTY_SUM_FIELDS = ("sold_wh", "bought_wh", "received_minor", "paid_minor", "trades")
SCALARS = (str, int, float, bool, type(None))

_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def check_collection_name(name: str) -> str:
    """Return `name` if it is a valid collection name (letters, digits, underscore)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"Collection name {name!r} must be 1-64 letters, digits or underscores.")
    return name


def check_field(field: str) -> str:
    """Return `field` if it is a plain top-level field name usable in queries."""
    if not _FIELD.fullmatch(field):
        raise ValueError(f"Field name {field!r} is not a plain top-level identifier.")
    return field


def check_where(where: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate an equality filter: plain field names and scalar values only."""
    checked: dict[str, Any] = {}
    for field, value in (where or {}).items():
        check_field(field)
        if not isinstance(value, SCALARS):
            raise ValueError(f"Filter value for {field!r} must be a scalar, not {type(value)}.")
        checked[field] = value
    return checked


def keyed_doc(key: str, doc: Mapping[str, Any]) -> Doc:
    """The document as stored under `key`: `_id` first, equal to `key`."""
    if "_id" in doc and doc["_id"] != key:
        raise ValueError(f"Document _id {doc['_id']!r} differs from its key {key!r}.")
    return {"_id": key, **{k: v for k, v in doc.items() if k != "_id"}}


def same_value(stored: Any, expected: Any) -> bool:
    """Equality that keeps bools and numbers apart (as MongoDB does)."""
    return stored == expected and isinstance(stored, bool) == isinstance(expected, bool)


def snapshot_id(snapshot: Mapping[str, Any]) -> str:
    """The snapshot's `_id`, defaulting to `<grid>:<start>`."""
    return str(snapshot.get("_id") or f"{snapshot['grid_id']}:{snapshot['start']}")


def split_snapshot(snapshot: Mapping[str, Any]) -> tuple[Doc, list[Doc]]:
    """Header (with `lines` holding the line count) and lines sorted by prosumer_id."""
    lines = sorted((dict(line) for line in snapshot["lines"]), key=lambda x: x["prosumer_id"])
    ids = [line["prosumer_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("A snapshot lists a prosumer more than once.")
    header: Doc = {"_id": snapshot_id(snapshot)}
    header.update((k, v) for k, v in snapshot.items() if k != "_id")
    header["lines"] = len(lines)
    return header, lines


def join_snapshot(header: Mapping[str, Any], lines: list[Doc]) -> Doc:
    """The full snapshot: the header with its `lines` placeholder replaced by the lines."""
    doc = dict(header)
    doc["lines"] = lines
    return doc


def totals_only(header: Mapping[str, Any]) -> Doc:
    """A header as list_totals returns it: everything but `lines`."""
    return {k: v for k, v in header.items() if k != "lines"}


def zero_grid_totals() -> Doc:
    """Grid totals of an empty range."""
    return {**dict.fromkeys(GRID_TOTAL_FIELDS, 0), "timeframes": 0}


def zero_party_sums() -> Doc:
    """Party sums of a party without trades."""
    return dict.fromkeys(PARTY_SUM_FIELDS, 0)


def trade_id(grid_id: str, start: str, line: int) -> str:
    """The deterministic trade id `<grid>:<start>:<line 6 digits>`."""
    return f"{grid_id}:{start}:{line:06d}"


def checked_trades(grid_id: str, start: str, trades: Iterable[Mapping[str, Any]]) -> list[Doc]:
    """Trades of one timeframe with `_id` first (a trade already so is returned itself, not
    copied: the stores only read it); reject foreign or duplicate trades."""
    out: list[Doc] = []
    seen: set[str] = set()
    for trade in trades:
        if trade["grid_id"] != grid_id or trade["timeframe_start"] != start:
            raise ValueError(f"Trade {trade.get('_id')!r} is not in {grid_id} at {start}.")
        key = str(trade.get("_id") or trade_id(grid_id, start, trade["line"]))
        if key in seen:
            raise ValueError(f"Trade id {key!r} occurs twice in one timeframe.")
        seen.add(key)
        if type(trade) is dict and next(iter(trade)) == "_id" and trade["_id"] == key:
            out.append(trade)  # already stored-shaped: as is
        else:
            out.append(keyed_doc(key, trade))
    return out


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most `size` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def exact_int(value: Any) -> int:
    """`value` if it is an integer (never a float or bool); raise otherwise."""
    if type(value) is int:  # the common case, checked first (millions of calls in a demo build)
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Expected an exact integer sum, got {value!r}.")
    return value


def check_flow_rows(rows: Sequence[Sequence[Any]]) -> None:
    """TypeError unless every row is FLOW_KEY as text then FLOW_FIELDS as ints (a type set per
    column: C-level passes, not a Python loop per value)."""
    names = (*FLOW_KEY, *FLOW_FIELDS)
    if rows and set(map(len, rows)) != {len(names)}:
        raise TypeError(f"Expected rows of {len(names)} values.")
    for index, name in enumerate(names):
        wanted = str if index < len(FLOW_KEY) else int
        column = list(map(itemgetter(index), rows))
        if set(map(type, column)) - {wanted}:
            odd = next(v for v in column if type(v) is not wanted)
            raise TypeError(f"Expected {wanted.__name__} {name}, got {odd!r}.")
