"""A grid's weather: a measured series uploaded by the operator, else the seeded generator.

Rows are {time, wind_speed_m_s, ghi_w_m2, temperature_c}: an ISO 8601 UTC instant and exact
decimal strings. A PUT replaces the grid's whole series. The simulation uses the series for
every timeframe whose middle lies between its first and last row (linearly interpolated) and
the synthetic generator elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from models.domain.physics.fleet import Measured, site_weather
from models.domain.physics.timeline import Timeline
from models.domain.physics.weather import Weather
from models.domain.timeframes import format_instant, parse_instant
from models.ports import GridRecord, Stores
from models.services.errors import Unprocessable, found

MAX_ROWS = 50_000
FIELDS = ("wind_speed_m_s", "ghi_w_m2", "temperature_c")
# The physically plausible range of each measured value.
RANGES = {
    "wind_speed_m_s": (Decimal(0), Decimal(100)),
    "ghi_w_m2": (Decimal(0), Decimal(2000)),
    "temperature_c": (Decimal(-90), Decimal(70)),
}
EDGE = timedelta(days=1)  # rows read beyond a run's range to interpolate at its ends


def put_weather(stores: Stores, grid_id: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Replace the grid's measured series with `rows` (checked; nothing stored on a refusal)."""
    with stores.uow(write=False) as uow:
        found(uow.registry.grid(grid_id), "grid", grid_id)
    stored = _checked(rows)
    stores.documents.weather.replace(grid_id, stored)
    return _view(grid_id, stored)


def read_weather(stores: Stores, grid_id: str) -> dict[str, Any]:
    """The grid's measured series (empty when none was uploaded)."""
    with stores.uow(write=False) as uow:
        found(uow.registry.grid(grid_id), "grid", grid_id)
    return _view(grid_id, stores.documents.weather.series(grid_id))


def _view(grid_id: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "grid_id": grid_id,
        "count": len(rows),
        "first": rows[0]["time"] if rows else None,
        "last": rows[-1]["time"] if rows else None,
        "rows": list(rows),
    }


def _checked(rows: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows as stored (instants normalised, exact decimal text), or 422 naming row and field."""
    if len(rows) > MAX_ROWS:
        raise Unprocessable(
            f"at most {MAX_ROWS} rows per series, got {len(rows)}",
            errors={"rows": [f"more than {MAX_ROWS} rows"]},
        )
    out: list[dict[str, str]] = []
    previous: datetime | None = None
    for index, row in enumerate(rows):
        at = row["time"]
        if previous is not None and at <= previous:
            _refuse(index, "time", "must be later than the previous row's time")
        previous = at
        checked = {"time": format_instant(at)}
        for field in FIELDS:
            value = Decimal(row[field])
            low, high = RANGES[field]
            if not value.is_finite() or not low <= value <= high:
                _refuse(index, field, f"must be between {low} and {high}")
            checked[field] = format(value.normalize() + 0, "f")
        out.append(checked)
    return out


def _refuse(index: int, field: str, reason: str) -> None:
    raise Unprocessable(
        f"rows[{index}].{field} {reason}", errors={f"rows.{index}.{field}": [reason]}
    )


def grid_weather(
    stores: Stores, grid: GridRecord, timeline: Timeline, seed: int
) -> tuple[Weather, int]:
    """The timeline's weather at the grid's site and how many timeframes are measured."""
    latitude, longitude = float(grid.latitude or 0), float(grid.longitude or 0)
    begin = timeline.start - EDGE
    end = timeline.start + timedelta(minutes=timeline.minutes * timeline.count) + EDGE
    rows = stores.documents.weather.series(grid.id, format_instant(begin), format_instant(end))
    measured = None
    if rows:
        measured = Measured(
            [int(parse_instant(r["time"]).timestamp()) for r in rows],
            *([float(r[f]) for r in rows] for f in FIELDS),
        )
    return site_weather(timeline, latitude, longitude, seed, measured)
