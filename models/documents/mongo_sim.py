"""FlowStore and WeatherStore on pymongo: one document per flow row and per weather row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pymongo import ASCENDING
from pymongo.database import Database

from models.documents.mongo_collection import replace_many
from models.documents.shapes import (
    FLOW_FIELDS,
    FLOW_KEY,
    WEATHER_FIELDS,
    batched,
    check_flow_rows,
    exact_int,
)
from models.ports import Doc, Docs

_HIDE_ID = {"_id": 0}
_FLOW_COLUMNS = (*FLOW_KEY, *FLOW_FIELDS)


def _flow_doc(doc: Doc) -> Doc:
    key = {k: str(doc[k]) for k in FLOW_KEY}
    out: Doc = {"_id": ":".join(key.values()), **key}
    out.update((f, exact_int(doc[f])) for f in FLOW_FIELDS)
    return out


def _row_doc(row: Sequence[str | int]) -> Doc:
    doc: Doc = dict(zip(_FLOW_COLUMNS, row, strict=True))
    doc["_id"] = ":".join(str(v) for v in row[: len(FLOW_KEY)])
    return doc


class MongoFlowStore:
    """Flows in `flows`, `_id` grid:prosumer:start, so a rewrite replaces the document."""

    def __init__(self, db: Database[Doc]) -> None:
        self._coll = db["flows"]
        self._indexed = False

    def _ensure_indexes(self) -> None:
        if not self._indexed:
            self._coll.create_index([("grid_id", ASCENDING), ("start", ASCENDING)])
            self._coll.create_index(
                [("grid_id", ASCENDING), ("prosumer_id", ASCENDING), ("start", ASCENDING)]
            )
            self._indexed = True

    def upsert(self, docs: Iterable[Doc]) -> None:
        """Insert or replace by key with unordered bulk writes."""
        self._ensure_indexes()
        replace_many(self._coll, map(_flow_doc, docs))

    def upsert_rows(self, rows: Iterable[Sequence[str | int]]) -> None:
        """Rows checked and turned into documents per batch, then unordered bulk replacements."""
        self._ensure_indexes()
        for batch in batched(rows, 10_000):
            check_flow_rows(batch)
            replace_many(self._coll, map(_row_doc, batch))

    def delete_grid(self, grid_id: str) -> None:
        self._coll.delete_many({"grid_id": grid_id})

    def at(self, grid_id: str, start: str) -> dict[str, Doc]:
        """One timeframe's flows by prosumer_id."""
        self._ensure_indexes()
        found = self._coll.find({"grid_id": grid_id, "start": start}, _HIDE_ID)
        return {d["prosumer_id"]: d for d in found}

    def of_prosumer(
        self, grid_id: str, prosumer_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[Docs, int]:
        """A prosumer's flows in range, oldest first, and how many there are."""
        self._ensure_indexes()
        where = {
            "grid_id": grid_id,
            "prosumer_id": prosumer_id,
            "start": {"$gte": start_from, "$lt": start_to},
        }
        cursor = self._coll.find(where, _HIDE_ID).sort("start", ASCENDING)
        docs = list(cursor.skip(max(skip, 0)).limit(max(limit, 0)))
        return docs, self._coll.count_documents(where)


class MongoWeatherStore:
    """Weather rows in `weather`, `_id` grid:time; a PUT replaces the grid's series."""

    def __init__(self, db: Database[Doc]) -> None:
        self._coll = db["weather"]

    def replace(self, grid_id: str, rows: Sequence[Doc]) -> None:
        """Write the new rows, then drop the grid's rows at other times."""
        docs = [
            {
                "_id": f"{grid_id}:{r['time']}",
                "grid_id": grid_id,
                "time": str(r["time"]),
                **{f: str(r[f]) for f in WEATHER_FIELDS},
            }
            for r in rows
        ]
        replace_many(self._coll, docs)
        keep = [d["time"] for d in docs]
        self._coll.delete_many({"grid_id": grid_id, "time": {"$nin": keep}})

    def series(self, grid_id: str, start_from: str = "", start_to: str = "~") -> Docs:
        """Rows with start_from <= time < start_to, by time."""
        where = {"grid_id": grid_id, "time": {"$gte": start_from, "$lt": start_to}}
        projection = {"_id": 0, "time": 1, **{f: 1 for f in WEATHER_FIELDS}}
        return list(self._coll.find(where, projection).sort("time", ASCENDING))
