"""Readings upserted set-based: one statement per batch, no ORM objects, counts from the engine.

SQLite: `executemany` of `INSERT … ON CONFLICT DO UPDATE … WHERE changed` (the driver's
rowcount sums inserted and updated rows; the inserted ones are the growth of the timeframes'
row count). PostgreSQL: one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE … WHERE
changed RETURNING (xmax = 0)` per batch, counted in the same statement. Rows go in key order
(prosumer, start), so each index page is visited once per batch rather than once per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, func, select, text

from models.ports import ReadingLine
from models.sql.tables import Reading

BATCH = 50_000  # rows per PostgreSQL statement (bounds its arrays and its run time)
IN_LIST = 500  # timeframe starts per counting query

_CHANGED = (
    " ON CONFLICT (prosumer_id, start) DO UPDATE SET produced_wh = excluded.produced_wh,"
    " consumed_wh = excluded.consumed_wh, updated_at = excluded.updated_at"
    " WHERE readings.produced_wh <> excluded.produced_wh"
    " OR readings.consumed_wh <> excluded.consumed_wh"
)
_SQLITE = (  # a line (prosumer_id, produced_wh, consumed_wh) + (start, grid_id, updated_at)
    "INSERT INTO readings (prosumer_id, produced_wh, consumed_wh, start, grid_id, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?)" + _CHANGED
)
_POSTGRESQL = text(
    "WITH written AS (INSERT INTO readings"
    " (prosumer_id, start, grid_id, produced_wh, consumed_wh, updated_at)"
    " SELECT u.prosumer_id, u.start, :grid_id, u.produced_wh, u.consumed_wh, :updated_at"
    " FROM unnest(CAST(:prosumer_ids AS varchar[]), CAST(:starts AS timestamp[]),"
    " CAST(:produced AS bigint[]), CAST(:consumed AS bigint[]))"
    " AS u(prosumer_id, start, produced_wh, consumed_wh)"
    + _CHANGED
    + " RETURNING (xmax = 0) AS is_new)"
    " SELECT count(*) FILTER (WHERE is_new), count(*) FROM written"
)


def upsert_readings(
    conn: Connection,
    grid_id: str,
    updated_at: datetime,
    frames: Mapping[datetime, Sequence[ReadingLine]],
) -> tuple[int, int]:
    """(inserted, updated) after writing `frames` (naive UTC start -> lines) on this engine."""
    if not any(frames.values()):
        return 0, 0
    if conn.dialect.name == "postgresql":
        return _postgresql(conn, grid_id, updated_at, frames)
    return _sqlite(conn, grid_id, updated_at, frames)


def _sqlite(
    conn: Connection,
    grid_id: str,
    updated_at: datetime,
    frames: Mapping[datetime, Sequence[ReadingLine]],
) -> tuple[int, int]:
    as_text = _datetime_text(conn)
    now = as_text(updated_at)
    rows = list(
        chain.from_iterable(
            map(tuple.__add__, lines, repeat((as_text(at), grid_id, now)))
            for at, lines in sorted(frames.items())
        )
    )
    rows.sort(key=itemgetter(0))  # stable: (prosumer_id, start) order
    before = _count(conn, grid_id, list(frames))
    written = conn.exec_driver_sql(_SQLITE, rows).rowcount
    inserted = _count(conn, grid_id, list(frames)) - before
    return inserted, written - inserted


def _postgresql(
    conn: Connection,
    grid_id: str,
    updated_at: datetime,
    frames: Mapping[datetime, Sequence[ReadingLine]],
) -> tuple[int, int]:
    rows = sorted(
        (pid, at, produced, consumed)
        for at, lines in frames.items()
        for pid, produced, consumed in lines
    )
    inserted = written = 0
    for first in range(0, len(rows), BATCH):
        ids, starts, produced, consumed = zip(*rows[first : first + BATCH], strict=True)
        params = {"grid_id": grid_id, "updated_at": updated_at, "prosumer_ids": list(ids)}
        params.update(starts=list(starts), produced=list(produced), consumed=list(consumed))
        new, total = conn.execute(_POSTGRESQL, params).one()
        inserted, written = inserted + new, written + total
    return inserted, written - inserted


def _datetime_text(conn: Connection) -> Any:
    """The dialect's own DATETIME text conversion (what the ORM stores for a `start`)."""
    kind = Reading.__table__.c.start.type
    return kind.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def _count(conn: Connection, grid_id: str, starts: list[datetime]) -> int:
    total = 0
    for first in range(0, len(starts), IN_LIST):
        stmt = select(func.count()).where(
            Reading.grid_id == grid_id, Reading.start.in_(starts[first : first + IN_LIST])
        )
        total += conn.scalar(stmt) or 0
    return total
