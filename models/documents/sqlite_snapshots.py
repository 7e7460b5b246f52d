"""SnapshotStore on SQLite: `snap_headers` plus `snap_lines`, written in one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from models.documents.shapes import (
    GRID_TOTAL_FIELDS,
    LINE_SUM_FIELDS,
    exact_int,
    join_snapshot,
    split_snapshot,
    totals_only,
)
from models.documents.sqlite_db import SqliteDb, dumps
from models.ports import Doc

_RANGE = "grid_id = ? AND start >= ? AND start < ?"
_PLAIN_LINE = {"prosumer_id", *LINE_SUM_FIELDS, "missing"}
_INSERT_LINE = (
    "INSERT INTO snap_lines (grid_id, prosumer_id, start, produced_wh, consumed_wh, net_wh,"
    " missing, body, community_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_HEADER = (
    f"INSERT INTO snap_headers (grid_id, start, {', '.join(GRID_TOTAL_FIELDS)}, body)"
    f" VALUES (?, ?, {', '.join('?' for _ in GRID_TOTAL_FIELDS)}, ?)"
)
_NETTO_ROWS = (
    "SELECT prosumer_id, SUM(produced_wh), SUM(consumed_wh), SUM(net_wh), COUNT(*),"
    f" SUM(missing) FROM snap_lines WHERE {_RANGE}"
    " GROUP BY prosumer_id ORDER BY prosumer_id LIMIT ? OFFSET ?"
)
_NETTO_COUNT = f"SELECT COUNT(DISTINCT prosumer_id) FROM snap_lines WHERE {_RANGE}"
_IN_COMMUNITY = f"{_RANGE} AND community_id = ?"
_COMMUNITY_ROWS = _NETTO_ROWS.replace(_RANGE, _IN_COMMUNITY)
_COMMUNITY_COUNT = _NETTO_COUNT.replace(_RANGE, _IN_COMMUNITY)
_COMMUNITY_TOTALS = (
    "SELECT COALESCE(SUM(produced_wh), 0), COALESCE(SUM(consumed_wh), 0),"
    f" COALESCE(SUM(net_wh), 0), COUNT(DISTINCT start) FROM snap_lines WHERE {_IN_COMMUNITY}"
)
_GRID_TOTALS = (
    f"SELECT {', '.join(f'COALESCE(SUM({f}), 0)' for f in GRID_TOTAL_FIELDS)}, COUNT(*)"
    f" FROM snap_headers WHERE {_RANGE}"
)


def _line_row(header: Doc, line: Doc) -> tuple[object, ...]:
    """Column values of one snap_lines row; the JSON body only when columns cannot rebuild it
    (anything but the plain fields, a community id aside; a quarter million lines in a demo
    build, so the plain case is decided from the length once the fields were read)."""
    produced, consumed = exact_int(line["produced_wh"]), exact_int(line["consumed_wh"])
    net, pid = exact_int(line["net_wh"]), line["prosumer_id"]
    community = line.get("community_id")
    if type(community) is not str:
        community = None
    flag = line.get("missing")
    plain = type(flag) is bool and len(line) == len(_PLAIN_LINE) + (community is not None)
    body = None if plain else dumps(line)
    start = header["start"]
    return (
        header["grid_id"],
        pid,
        start,
        produced,
        consumed,
        net,
        1 if flag else 0,
        body,
        community,
    )


def _line_doc(row: tuple[Any, ...]) -> Doc:
    """A line from its columns, or from its stored body when it has one."""
    pid, produced, consumed, net, missing, body, community = row
    if body is not None:
        line: Doc = json.loads(body)
        return line
    doc: Doc = {
        "prosumer_id": pid,
        "produced_wh": produced,
        "consumed_wh": consumed,
        "net_wh": net,
        "missing": bool(missing),
    }
    if community is not None:
        doc["community_id"] = community
    return doc


def _header_row(header: Doc) -> tuple[object, ...]:
    """Column values of one snap_headers row."""
    totals = [exact_int(header["totals"][f]) for f in GRID_TOTAL_FIELDS]
    return (header["grid_id"], header["start"], *totals, dumps(header))


class SqliteSnapshotStore:
    """Immutable snapshots; header and lines commit together."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def save(self, snapshot: Doc) -> Doc:
        """Store the snapshot unless (grid_id, start) exists; return the stored one."""
        return self.save_many([snapshot])[0]

    def save_many(self, snapshots: Sequence[Doc]) -> list[Doc]:
        """`save` of each snapshot, all in one transaction: one existence query per grid, then
        the fresh snapshots' stale lines deleted, their lines and headers inserted together."""
        parts = [split_snapshot(snapshot) for snapshot in snapshots]
        with self._db.write() as conn:
            kept = self._existing(conn, {(h["grid_id"], h["start"]) for h, _ in parts})
            fresh: dict[tuple[str, str], tuple[Doc, list[Doc]]] = {}
            for header, lines in parts:
                key = (header["grid_id"], header["start"])
                if key not in kept:
                    fresh.setdefault(key, (header, lines))  # the first of a repeated key wins
            conn.executemany("DELETE FROM snap_lines WHERE grid_id = ? AND start = ?", list(fresh))
            conn.executemany(
                _INSERT_LINE, [_line_row(h, line) for h, lines in fresh.values() for line in lines]
            )
            conn.executemany(_INSERT_HEADER, [_header_row(h) for h, _ in fresh.values()])
            stored = {key: doc for key in kept if (doc := self._get(conn, *key)) is not None}
        copies = json.loads(dumps([[h, lines] for h, lines in fresh.values()]))
        stored.update(zip(fresh, (join_snapshot(h, lines) for h, lines in copies), strict=True))
        return [stored[(h["grid_id"], h["start"])] for h, _ in parts]

    @staticmethod
    def _existing(conn: sqlite3.Connection, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (grid_id, start) keys have a stored header (one range query per grid)."""
        found: set[tuple[str, str]] = set()
        for grid_id in {g for g, _ in keys}:
            starts = {s for g, s in keys if g == grid_id}
            rows = conn.execute(
                "SELECT start FROM snap_headers WHERE grid_id = ? AND start BETWEEN ? AND ?",
                (grid_id, min(starts), max(starts)),
            )
            found.update((grid_id, start) for (start,) in rows if start in starts)
        return found

    def delete_grid(self, grid_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM snap_lines WHERE grid_id = ?", (grid_id,))
            conn.execute("DELETE FROM snap_headers WHERE grid_id = ?", (grid_id,))

    def get(self, grid_id: str, start: str) -> Doc | None:
        """The full snapshot with lines in prosumer_id order, or None."""
        with self._db.read() as conn:
            return self._get(conn, grid_id, start)

    @staticmethod
    def _get(conn: sqlite3.Connection, grid_id: str, start: str) -> Doc | None:
        """Read one snapshot inside the caller's transaction."""
        key = (grid_id, start)
        row = conn.execute(
            "SELECT body FROM snap_headers WHERE grid_id = ? AND start = ?", key
        ).fetchone()
        if row is None:
            return None
        rows = conn.execute(
            "SELECT prosumer_id, produced_wh, consumed_wh, net_wh, missing, body, community_id"
            " FROM snap_lines"
            " WHERE grid_id = ? AND start = ? ORDER BY prosumer_id",
            key,
        )
        return join_snapshot(json.loads(row[0]), [_line_doc(r) for r in rows])

    def list_totals(
        self, grid_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[list[Doc], int]:
        """Snapshots in range without lines, oldest first, and their count."""
        params = (grid_id, start_from, start_to)
        with self._db.read() as conn:
            bodies = conn.execute(
                f"SELECT body FROM snap_headers WHERE {_RANGE} ORDER BY start LIMIT ? OFFSET ?",
                (*params, limit if limit > 0 else -1, max(skip, 0)),
            ).fetchall()
            total = conn.execute(f"SELECT COUNT(*) FROM snap_headers WHERE {_RANGE}", params)
            return [totals_only(json.loads(b)) for (b,) in bodies], int(total.fetchone()[0])

    def netto(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        skip: int,
        limit: int,
        community_id: str | None = None,
    ) -> tuple[list[Doc], int, Doc]:
        """Per-prosumer sums (GROUP BY over snap_lines), prosumer count and grid totals."""
        params = (grid_id, start_from, start_to)
        page = (limit if limit > 0 else -1, max(skip, 0))
        if community_id is not None:
            return self._community_netto((*params, community_id), page)
        with self._db.read() as conn:
            rows = conn.execute(_NETTO_ROWS, (*params, *page)).fetchall()
            count = conn.execute(_NETTO_COUNT, params).fetchone()[0]
            totals = conn.execute(_GRID_TOTALS, params).fetchone()
        names = ("prosumer_id", *LINE_SUM_FIELDS, "timeframes", "missing")
        grid = dict(zip((*GRID_TOTAL_FIELDS, "timeframes"), map(exact_int, totals), strict=True))
        return [dict(zip(names, row, strict=True)) for row in rows], int(count), grid

    def _community_netto(
        self, params: tuple[str, ...], page: tuple[int, int]
    ) -> tuple[list[Doc], int, Doc]:
        """The netto of the lines naming a community (its members at each close)."""
        with self._db.read() as conn:
            rows = conn.execute(_COMMUNITY_ROWS, (*params, *page)).fetchall()
            count = conn.execute(_COMMUNITY_COUNT, params).fetchone()[0]
            totals = conn.execute(_COMMUNITY_TOTALS, params).fetchone()
        names = ("prosumer_id", *LINE_SUM_FIELDS, "timeframes", "missing")
        sums = dict(zip((*LINE_SUM_FIELDS, "timeframes"), map(exact_int, totals), strict=True))
        return [dict(zip(names, row, strict=True)) for row in rows], int(count), sums
