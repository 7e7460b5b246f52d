"""FlowStore and WeatherStore on SQLite: one row per document in `sim_flows` and `sim_weather`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from models.documents.shapes import (
    FLOW_FIELDS,
    FLOW_KEY,
    WEATHER_FIELDS,
    batched,
    check_flow_rows,
    exact_int,
)
from models.documents.sqlite_db import SqliteDb
from models.ports import Doc, Docs

_FLOW_COLUMNS = (*FLOW_KEY, *FLOW_FIELDS)
_UPSERT_FLOW = (
    f"INSERT OR REPLACE INTO sim_flows ({', '.join(_FLOW_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _FLOW_COLUMNS)})"
)
# rows equal to the stored ones are left untouched (a rerun writes no pages)
_UPSERT_CHANGED = (
    f"INSERT INTO sim_flows ({', '.join(_FLOW_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _FLOW_COLUMNS)})"
    f" ON CONFLICT ({', '.join(FLOW_KEY)}) DO UPDATE SET"
    f" {', '.join(f'{f} = excluded.{f}' for f in FLOW_FIELDS)}"
    f" WHERE {' OR '.join(f'sim_flows.{f} <> excluded.{f}' for f in FLOW_FIELDS)}"
)
ROWS_PER_WRITE = 100_000
_SELECT_FLOW = f"SELECT {', '.join(_FLOW_COLUMNS)} FROM sim_flows"
# one timeframe's flows through the primary key alone (no index by start): a skip-scan, two
# seeks per prosumer of the grid (the next prosumer id, then its row at `start`)
_FLOWS_AT = (
    "WITH RECURSIVE owner(id) AS ("
    " SELECT min(prosumer_id) FROM sim_flows WHERE grid_id = ?1"
    " UNION ALL SELECT (SELECT min(prosumer_id) FROM sim_flows"
    " WHERE grid_id = ?1 AND prosumer_id > owner.id) FROM owner WHERE owner.id IS NOT NULL)"
    f" SELECT {', '.join(f'f.{c}' for c in _FLOW_COLUMNS)} FROM owner"
    " JOIN sim_flows AS f ON f.grid_id = ?1 AND f.prosumer_id = owner.id AND f.start = ?2"
)
_WEATHER_COLUMNS = ("time", *WEATHER_FIELDS)


def _flow_row(doc: Doc) -> tuple[object, ...]:
    return (*(str(doc[k]) for k in FLOW_KEY), *(exact_int(doc[f]) for f in FLOW_FIELDS))


class SqliteFlowStore:
    """Flows keyed by (grid_id, prosumer_id, start); a rewrite replaces the row."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def process_writer(self) -> Callable[[list[Any]], None] | None:
        """A picklable `upsert_rows` that another process can run on the same file (None for
        an in-memory database)."""
        path = self._db.path
        return (
            None
            if path == ":memory:" or path.startswith("file::memory")
            else partial(upsert_rows_in, path)
        )

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Insert or replace, in transactions of 50,000 rows."""
        for batch in batched(map(_flow_row, docs), 50_000):
            with self._db.write() as conn:
                conn.executemany(_UPSERT_FLOW, batch)

    def upsert_rows(self, rows: Iterable[Sequence[str | int]]) -> None:
        """executemany in key order, in transactions of 100,000 rows; a batch holding anything
        but text keys and int values is refused whole (TypeError)."""
        rows = rows if isinstance(rows, list) else list(rows)
        for first in range(0, len(rows), ROWS_PER_WRITE):
            batch: list[Any] = rows[first : first + ROWS_PER_WRITE]
            check_flow_rows(batch)
            batch.sort()
            with self._db.write() as conn:
                conn.executemany(_UPSERT_CHANGED, batch)

    def delete_grid(self, grid_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM sim_flows WHERE grid_id = ?", (grid_id,))

    def at(self, grid_id: str, start: str) -> dict[str, Doc]:
        """One timeframe's flows by prosumer_id."""
        rows = self._db.conn.execute(_FLOWS_AT, (grid_id, start))
        return {row[1]: dict(zip(_FLOW_COLUMNS, row, strict=True)) for row in rows}

    def of_prosumer(
        self, grid_id: str, prosumer_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[Docs, int]:
        """A prosumer's flows in range, oldest first, and how many there are."""
        where = "WHERE grid_id = ? AND prosumer_id = ? AND start >= ? AND start < ?"
        params = (grid_id, prosumer_id, start_from, start_to)
        with self._db.read() as conn:
            rows = conn.execute(
                f"{_SELECT_FLOW} {where} ORDER BY start LIMIT ? OFFSET ?",
                (*params, limit if limit > 0 else -1, max(skip, 0)),
            ).fetchall()
            total = conn.execute(f"SELECT COUNT(*) FROM sim_flows {where}", params).fetchone()
        return [dict(zip(_FLOW_COLUMNS, r, strict=True)) for r in rows], int(total[0])


_IN_PROCESS: dict[str, SqliteFlowStore] = {}


def upsert_rows_in(path: str, rows: list[Any]) -> None:
    """`upsert_rows` on the documents file at `path` (its store opened once per process)."""
    store = _IN_PROCESS.get(path)
    if store is None:
        store = _IN_PROCESS[path] = SqliteFlowStore(SqliteDb(path))
    store.upsert_rows(rows)


class SqliteWeatherStore:
    """A grid's measured weather, one row per time; a PUT replaces the whole series."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def replace(self, grid_id: str, rows: Sequence[Doc]) -> None:
        """Make `rows` the grid's series in one transaction."""
        values = [(grid_id, *(str(r[c]) for c in _WEATHER_COLUMNS)) for r in rows]
        with self._db.write() as conn:
            conn.execute("DELETE FROM sim_weather WHERE grid_id = ?", (grid_id,))
            conn.executemany(
                f"INSERT INTO sim_weather (grid_id, {', '.join(_WEATHER_COLUMNS)})"
                " VALUES (?, ?, ?, ?, ?)",
                values,
            )

    def series(self, grid_id: str, start_from: str = "", start_to: str = "~") -> Docs:
        """Rows with start_from <= time < start_to, by time."""
        rows = self._db.conn.execute(
            f"SELECT {', '.join(_WEATHER_COLUMNS)} FROM sim_weather"
            " WHERE grid_id = ? AND time >= ? AND time < ? ORDER BY time",
            (grid_id, start_from, start_to),
        )
        return [dict(zip(_WEATHER_COLUMNS, row, strict=True)) for row in rows]
