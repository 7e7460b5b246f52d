"""Readings upserted set-based: one statement per batch, no ORM objects, counts from the engine.

SQLite: `executemany` of `INSERT … ON CONFLICT DO UPDATE … WHERE changed` (the driver's
rowcount sums inserted and updated rows; the inserted ones are the growth of the timeframes'
row count). PostgreSQL: one `INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed
RETURNING (xmax = 0)` per batch, counted in the same statement, selecting from
`unnest(arrays)` for a few rows and from a temporary table filled by binary COPY for many.
Rows go in key order (prosumer, start), so each index page is visited once per batch rather
than once per row.
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

BATCH = 100_000  # rows per PostgreSQL upsert statement (bounds its run time)
COPY_FROM = 2_000  # from this many rows, PostgreSQL stages them with COPY
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


_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS readings_in (prosumer_id varchar(36),"
    " produced_wh bigint, consumed_wh bigint, start timestamp) ON COMMIT DROP"
)
_FROM_STAGE = (
    "WITH written AS (INSERT INTO readings"
    " (prosumer_id, start, grid_id, produced_wh, consumed_wh, updated_at)"
    " SELECT prosumer_id, start, %(grid_id)s, produced_wh, consumed_wh, %(updated_at)s"
    " FROM readings_in ORDER BY prosumer_id, start" + _CHANGED + " RETURNING (xmax = 0) AS is_new)"
    " SELECT count(*) FILTER (WHERE is_new), count(*) FROM written"
)


_COPY = (
    "COPY readings (prosumer_id, produced_wh, consumed_wh, start, grid_id, updated_at)"
    " FROM STDIN (FORMAT BINARY)"
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
    # timeframes without any reading before: every row written was inserted
    inserted = _count(conn, grid_id, list(frames)) - before if before else written
    return inserted, written - inserted


def _postgresql(
    conn: Connection,
    grid_id: str,
    updated_at: datetime,
    frames: Mapping[datetime, Sequence[ReadingLine]],
) -> tuple[int, int]:
    rows = list(
        chain.from_iterable(
            map(tuple.__add__, lines, repeat((at,))) for at, lines in frames.items()
        )
    )  # (prosumer_id, produced_wh, consumed_wh, start)
    inserted = written = 0
    fresh = len(rows) >= COPY_FROM and not _any_reading(conn, grid_id, min(frames), max(frames))
    for first in range(0, len(rows), BATCH):
        batch = rows[first : first + BATCH]
        params = {"grid_id": grid_id, "updated_at": updated_at}
        if fresh:
            new = total = _copied(conn, batch, params)
        else:
            new, total = (_staged if len(batch) >= COPY_FROM else _unnested)(conn, batch, params)
        inserted, written = inserted + new, written + total
    return inserted, written - inserted


def _any_reading(conn: Connection, grid_id: str, low: datetime, high: datetime) -> bool:
    """Whether the grid holds a reading starting in [low, high] (its (grid_id, start) index)."""
    stmt = (
        select(Reading.start)
        .where(Reading.grid_id == grid_id, Reading.start >= low, Reading.start <= high)
        .limit(1)
    )
    return conn.scalar(stmt) is not None


def _copied(conn: Connection, rows: list[Any], params: dict[str, Any]) -> int:
    """Many rows for timeframes holding no reading yet (the caller holds the grid's lock):
    binary COPY straight into `readings`, in key order; no staging, no conflict to resolve."""
    rows.sort(key=itemgetter(0, 3))
    tail = (params["grid_id"], params["updated_at"])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(_COPY) as copy:
        copy.set_types(["varchar", "int8", "int8", "timestamp", "varchar", "timestamp"])
        for row in rows:
            copy.write_row(row + tail)
    return len(rows)


def _unnested(conn: Connection, rows: list[Any], params: dict[str, Any]) -> tuple[int, int]:
    """Few rows: one statement over arrays."""
    rows.sort(key=itemgetter(0, 3))
    ids, produced, consumed, starts = zip(*rows, strict=True)
    params.update(prosumer_ids=list(ids), starts=list(starts))
    params.update(produced=list(produced), consumed=list(consumed))
    new, total = conn.execute(_POSTGRESQL, params).one()
    return int(new), int(total)


def _staged(conn: Connection, rows: list[Any], params: dict[str, Any]) -> tuple[int, int]:
    """Many rows: binary COPY into a temporary table (dropped at commit), then one upsert from
    it (the driver dumps arrays element by element in Python; COPY rows it formats in C)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur:
        cur.execute(_STAGE)
        cur.execute("TRUNCATE readings_in")
        with cur.copy("COPY readings_in FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["varchar", "int8", "int8", "timestamp"])
            for row in rows:
                copy.write_row(row)
        cur.execute(_FROM_STAGE, params)
        new, total = cur.fetchone() or (0, 0)
    return int(new), int(total)


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
