"""Netting: per-timeframe snapshots of a grid's production and consumption, and their sums.

For each prosumer i: net_i = produced_i - consumed_i (Wh). The grid's net is sum(net_i);
surplus = sum(max(net_i, 0)), deficit = sum(max(-net_i, 0)), so surplus - deficit = net;
export = max(net, 0) and import = max(-net, 0), so export - import = net.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.domain.hashing import content_hash
from models.domain.timeframes import format_instant, is_aligned, timeframe_end

SUMMED_TOTALS = (
    "production_wh",
    "consumption_wh",
    "surplus_wh",
    "deficit_wh",
    "net_wh",
    "export_wh",
    "import_wh",
)


def _check_wh(name: str, value: object) -> None:
    """Require a non-negative int (bool refused)."""
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be a non-negative integer Wh, got {value!r}")


@dataclass(frozen=True)
class Reading:
    """One prosumer's metered energy in one timeframe (Wh)."""

    prosumer_id: str
    produced_wh: int
    consumed_wh: int

    def __post_init__(self) -> None:
        _check_wh("produced_wh", self.produced_wh)
        _check_wh("consumed_wh", self.consumed_wh)


def _lines(
    prosumer_ids: Sequence[str], readings: Mapping[str, Reading]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Sorted snapshot lines for every prosumer, and the ids without a reading."""
    ids = sorted(set(prosumer_ids))
    unknown = readings.keys() - set(ids)
    if unknown:
        raise ValueError(f"readings for prosumers not in the grid: {sorted(unknown)[:5]}")
    lines: list[dict[str, Any]] = []
    missing: list[str] = []
    for pid in ids:
        reading = readings.get(pid)
        if reading is None:
            missing.append(pid)
            lines.append(_line(pid, 0, 0, True))
            continue
        if reading.prosumer_id != pid:
            raise ValueError(f"reading keyed {pid!r} belongs to {reading.prosumer_id!r}")
        lines.append(_line(pid, reading.produced_wh, reading.consumed_wh, False))
    return lines, missing


def _line(pid: str, produced: int, consumed: int, missing: bool) -> dict[str, Any]:
    """One snapshot line."""
    return {
        "prosumer_id": pid,
        "produced_wh": produced,
        "consumed_wh": consumed,
        "net_wh": produced - consumed,
        "missing": missing,
    }


def totals_of(lines: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Grid totals of snapshot lines."""
    count = production = consumption = surplus = deficit = 0
    for line in lines:
        count += 1
        production += line["produced_wh"]
        consumption += line["consumed_wh"]
        net = line["net_wh"]
        if net > 0:
            surplus += net
        else:
            deficit -= net
    net_total = production - consumption
    return {
        "prosumers": count,
        "production_wh": production,
        "consumption_wh": consumption,
        "surplus_wh": surplus,
        "deficit_wh": deficit,
        "net_wh": net_total,
        "export_wh": max(net_total, 0),
        "import_wh": max(-net_total, 0),
    }


def net_timeframe(
    grid_id: str,
    start: datetime,
    minutes: int,
    prosumer_ids: Sequence[str],
    readings: Mapping[str, Reading],
) -> dict[str, Any]:
    """The immutable snapshot document of one closed timeframe (JSON types only)."""
    if not is_aligned(start, minutes):
        raise ValueError(f"timeframe start {start.isoformat()} is not aligned to {minutes} min")
    start_iso = format_instant(start)
    lines, missing = _lines(prosumer_ids, readings)
    doc: dict[str, Any] = {
        "_id": f"{grid_id}:{start_iso}",
        "grid_id": grid_id,
        "start": start_iso,
        "end": format_instant(timeframe_end(start, minutes)),
        "timeframe_minutes": minutes,
        "lines": lines,
        "missing": missing,
        "totals": totals_of(lines),
    }
    doc["content_hash"] = content_hash(doc)
    return doc


def _add_line(acc: dict[str, dict[str, Any]], line: Mapping[str, Any]) -> None:
    """Fold one snapshot line into the per-prosumer sums."""
    pid = line["prosumer_id"]
    row = acc.get(pid)
    if row is None:
        row = acc[pid] = {
            "prosumer_id": pid,
            "produced_wh": 0,
            "consumed_wh": 0,
            "net_wh": 0,
            "timeframes": 0,
            "missing": 0,
        }
    row["produced_wh"] += line["produced_wh"]
    row["consumed_wh"] += line["consumed_wh"]
    row["net_wh"] += line["net_wh"]
    row["timeframes"] += 1
    row["missing"] += 1 if line["missing"] else 0


def sum_netto(snapshots: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-prosumer sums (sorted by id) and grid totals over snapshots (the netto oracle).

    Returns {"prosumers": [{prosumer_id, produced_wh, consumed_wh, net_wh, timeframes, missing}],
    "count": number of prosumers, "totals": {timeframes, production_wh, ..., import_wh}} where each
    total is the sum of the snapshots' totals (export/import summed per timeframe, not re-netted).
    """
    acc: dict[str, dict[str, Any]] = {}
    totals: dict[str, int] = {"timeframes": 0, **dict.fromkeys(SUMMED_TOTALS, 0)}
    for snap in snapshots:
        totals["timeframes"] += 1
        for key in SUMMED_TOTALS:
            totals[key] += snap["totals"][key]
        for line in snap["lines"]:
            _add_line(acc, line)
    rows = [acc[pid] for pid in sorted(acc)]
    return {"prosumers": rows, "count": len(rows), "totals": totals}
