"""SnapshotStore on pymongo: a header collection plus one line document per prosumer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import ASCENDING, DeleteMany, ReplaceOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from models.documents.shapes import (
    GRID_TOTAL_FIELDS,
    LINE_SUM_FIELDS,
    exact_int,
    join_snapshot,
    split_snapshot,
    totals_only,
    zero_grid_totals,
)
from models.ports import Doc

DUPLICATE_KEY = 11000


def _line_doc(header: Doc, line: Doc) -> Doc:
    """One line document: key fields and integer sums on top, the exact line nested."""
    grid_id, start, pid = header["grid_id"], header["start"], line["prosumer_id"]
    doc: Doc = {"_id": f"{grid_id}:{start}:{pid}", "grid_id": grid_id, "start": start}
    doc["prosumer_id"] = pid
    doc.update((f, exact_int(line[f])) for f in LINE_SUM_FIELDS)
    doc["missing"] = 1 if line.get("missing") else 0
    if isinstance(line.get("community_id"), str):
        doc["community_id"] = line["community_id"]
    doc["line"] = line
    return doc


def _range(grid_id: str, start_from: str, start_to: str) -> Doc:
    """Filter for one grid's snapshots with `start_from <= start < start_to`."""
    return {"grid_id": grid_id, "start": {"$gte": start_from, "$lt": start_to}}


def _page(skip: int, limit: int) -> list[Doc]:
    """$skip/$limit stages, leaving out the neutral ones."""
    return ([{"$skip": skip}] if skip > 0 else []) + ([{"$limit": limit}] if limit > 0 else [])


class MongoSnapshotStore:
    """Snapshots in `snapshots` (headers) and `snapshot_lines` (one doc per prosumer)."""

    def __init__(self, db: Database[Doc]) -> None:
        self._headers = db["snapshots"]
        self._lines = db["snapshot_lines"]
        self._indexed = False

    def _ensure_indexes(self) -> None:
        """Create the indexes on first use (so opening never blocks on the server)."""
        if self._indexed:
            return
        self._headers.create_index([("grid_id", ASCENDING), ("start", ASCENDING)], unique=True)
        self._lines.create_index(
            [("grid_id", ASCENDING), ("start", ASCENDING), ("prosumer_id", ASCENDING)]
        )
        self._indexed = True

    def save(self, snapshot: Doc) -> Doc:
        """Store lines first, header last; an existing snapshot wins and is returned."""
        return self.save_many([snapshot])[0]

    def delete_grid(self, grid_id: str) -> None:
        self._lines.delete_many({"grid_id": grid_id})
        self._headers.delete_many({"grid_id": grid_id})

    def save_many(self, snapshots: Sequence[Doc]) -> list[Doc]:
        """`save` of each: one query for the stored headers, then one unordered bulk write of
        the fresh snapshots' lines (replaced by `_id`, other prosumers' stale lines deleted),
        then one unordered insert of their headers (a header inserted meanwhile wins), then
        the stored snapshots read back together. Each step is idempotent, so a crash between
        them leaves lines without a header, which the next save rewrites."""
        self._ensure_indexes()
        parts = [split_snapshot(snapshot) for snapshot in snapshots]
        keys = {(h["grid_id"], h["start"]) for h, _ in parts}
        fresh: dict[tuple[str, str], tuple[Doc, list[Doc]]] = {}
        stored_before = self._stored_keys(keys)
        for header, lines in parts:
            key = (header["grid_id"], header["start"])
            if key not in stored_before:
                fresh.setdefault(key, (header, lines))  # the first of a repeated key wins
        self._write_lines(fresh.values())
        if fresh:
            self._insert_headers([dict(h) for h, _ in fresh.values()])
        stored = self._get_many(keys)
        return [stored[(h["grid_id"], h["start"])] for h, _ in parts]

    def _stored_keys(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (grid_id, start) keys have a header (one query per grid)."""
        found: set[tuple[str, str]] = set()
        for grid_id in {g for g, _ in keys}:
            starts = sorted(s for g, s in keys if g == grid_id)
            where = {"grid_id": grid_id, "start": {"$in": starts}}
            found.update((grid_id, d["start"]) for d in self._headers.find(where, {"start": 1}))
        return found

    def _write_lines(self, fresh: Iterable[tuple[Doc, list[Doc]]]) -> None:
        """Every fresh snapshot's lines and the deletion of its stale ones, one bulk write."""
        ops: list[Any] = []
        for header, lines in fresh:
            ops.extend(
                ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                for d in (_line_doc(header, line) for line in lines)
            )
            key = {"grid_id": header["grid_id"], "start": header["start"]}
            pids = [line["prosumer_id"] for line in lines]
            ops.append(DeleteMany({**key, "prosumer_id": {"$nin": pids}}))
        if ops:
            self._lines.bulk_write(ops, ordered=False)

    def _insert_headers(self, headers: list[Doc]) -> None:
        """Insert the headers unordered; a header stored meanwhile (duplicate key) wins."""
        try:
            self._headers.insert_many(headers, ordered=False)
        except BulkWriteError as error:
            codes = {e.get("code") for e in error.details.get("writeErrors", [])}
            if codes - {DUPLICATE_KEY} or error.details.get("writeConcernErrors"):
                raise

    def _get_many(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Doc]:
        """The full stored snapshots of the keys that have a header (two queries per grid)."""
        out: dict[tuple[str, str], Doc] = {}
        for grid_id in {g for g, _ in keys}:
            starts = sorted(s for g, s in keys if g == grid_id)
            where = {"grid_id": grid_id, "start": {"$in": starts}}
            headers = {d["start"]: d for d in self._headers.find(where)}
            lines: dict[str, list[Doc]] = {start: [] for start in headers}
            cursor = self._lines.find(where, {"start": 1, "line": 1})
            for doc in cursor.sort([("start", ASCENDING), ("prosumer_id", ASCENDING)]):
                if doc["start"] in lines:
                    lines[doc["start"]].append(doc["line"])
            out.update(((grid_id, s), join_snapshot(h, lines[s])) for s, h in headers.items())
        return out

    def get(self, grid_id: str, start: str) -> Doc | None:
        """The full snapshot (lines by prosumer_id) if its header exists."""
        self._ensure_indexes()
        header = self._headers.find_one({"grid_id": grid_id, "start": start})
        if header is None:
            return None
        cursor = self._lines.find({"grid_id": grid_id, "start": start}, {"line": 1})
        lines = [d["line"] for d in cursor.sort("prosumer_id", ASCENDING)]
        return join_snapshot(header, lines)

    def list_totals(
        self, grid_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[list[Doc], int]:
        """Headers in range without lines, oldest first, and their count."""
        self._ensure_indexes()
        where = _range(grid_id, start_from, start_to)
        cursor = self._headers.find(where).sort("start", ASCENDING)
        docs = [totals_only(d) for d in cursor.skip(max(skip, 0)).limit(max(limit, 0))]
        return docs, self._headers.count_documents(where)

    def netto(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        skip: int,
        limit: int,
        community_id: str | None = None,
    ) -> tuple[list[Doc], int, Doc]:
        """Per-prosumer sums over committed snapshots in range, their count, grid totals (with
        `community_id`: its members' lines only, and its own totals)."""
        self._ensure_indexes()
        where = _range(grid_id, start_from, start_to)
        starts = sorted(self._headers.distinct("start", where))
        if not starts:
            empty = _zero_community() if community_id is not None else zero_grid_totals()
            return [], 0, empty
        match: Doc = {"grid_id": grid_id, "start": {"$in": starts}}
        if community_id is not None:
            match["community_id"] = community_id
        facet = self._lines.aggregate(
            [
                {"$match": match},
                {"$group": _line_group()},
                {
                    "$facet": {
                        "rows": [{"$sort": {"_id": 1}}, *_page(skip, limit)],
                        "count": [{"$count": "n"}],
                    }
                },
            ]
        ).next()
        rows = [_netto_row(r) for r in facet["rows"]]
        count = facet["count"][0]["n"] if facet["count"] else 0
        if community_id is not None:
            return rows, count, self._community_totals(match)
        return rows, count, self._grid_totals(where)

    def _community_totals(self, match: Doc) -> Doc:
        """Sums of a community's lines and the number of timeframes they are in."""
        group: Doc = {"_id": None, "starts": {"$addToSet": "$start"}}
        group.update((f, {"$sum": f"${f}"}) for f in LINE_SUM_FIELDS)
        found = list(self._lines.aggregate([{"$match": match}, {"$group": group}]))
        if not found:
            return _zero_community()
        out = {f: exact_int(found[0][f]) for f in LINE_SUM_FIELDS}
        out["timeframes"] = len(found[0]["starts"])
        return out

    def _grid_totals(self, where: Doc) -> Doc:
        """Sums of the snapshot totals in range plus the number of snapshots."""
        group: dict[str, Any] = {"_id": None, "timeframes": {"$sum": 1}}
        group.update((f, {"$sum": f"$totals.{f}"}) for f in GRID_TOTAL_FIELDS)
        found = list(self._headers.aggregate([{"$match": where}, {"$group": group}]))
        if not found:
            return zero_grid_totals()
        return {f: exact_int(found[0][f]) for f in (*GRID_TOTAL_FIELDS, "timeframes")}


def _zero_community() -> Doc:
    return {**dict.fromkeys(LINE_SUM_FIELDS, 0), "timeframes": 0}


def _line_group() -> Doc:
    """$group stage body summing line documents per prosumer."""
    group: Doc = {"_id": "$prosumer_id"}
    group.update((f, {"$sum": f"${f}"}) for f in LINE_SUM_FIELDS)
    group["timeframes"] = {"$sum": 1}
    group["missing"] = {"$sum": "$missing"}
    return group


def _netto_row(row: Doc) -> Doc:
    """A netto row from a $group result, sums as Python ints."""
    out: Doc = {"prosumer_id": row["_id"]}
    out.update((f, exact_int(row[f])) for f in (*LINE_SUM_FIELDS, "timeframes", "missing"))
    return out
