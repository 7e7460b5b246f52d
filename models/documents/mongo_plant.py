"""PlantImportStore on pymongo: one document per (grid, prosumer, timeframe)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, DeleteMany, ReplaceOne
from pymongo.database import Database

from models.documents.shapes import exact_int
from models.ports import Doc


def _docs(grid_id: str, start: str, rows: Mapping[str, tuple[int, int]]) -> list[Doc]:
    """The timeframe's documents, by prosumer."""
    return [
        {
            "_id": f"{grid_id}:{start}:{pid}",
            "grid_id": grid_id,
            "start": start,
            "prosumer_id": pid,
            "imported_wh": exact_int(wh),
            "carbon_g": exact_int(grams),
        }
        for pid, (wh, grams) in sorted(rows.items())
    ]


class MongoPlantImportStore:
    """Rows in `plant_imports`, `_id` grid:start:prosumer; a rewrite replaces the timeframe's."""

    def __init__(self, db: Database[Doc]) -> None:
        self._coll = db["plant_imports"]
        self._indexed = False

    def _ensure_indexes(self) -> None:
        if not self._indexed:
            self._coll.create_index(
                [("grid_id", ASCENDING), ("prosumer_id", ASCENDING), ("start", ASCENDING)]
            )
            self._coll.create_index([("grid_id", ASCENDING), ("start", ASCENDING)])
            self._indexed = True

    def save_timeframe(self, grid_id: str, start: str, rows: Mapping[str, tuple[int, int]]) -> None:
        """Write the rows, then drop the timeframe's rows of other prosumers."""
        self.save_timeframes(grid_id, {start: rows})

    def save_timeframes(
        self, grid_id: str, rows: Mapping[str, Mapping[str, tuple[int, int]]]
    ) -> None:
        """`save_timeframe` of every timeframe in one unordered bulk write (the replacements
        and the deletions of other prosumers' rows touch different documents)."""
        self._ensure_indexes()
        ops: list[Any] = []
        for start, timeframe in rows.items():
            ops.extend(
                ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                for d in _docs(grid_id, start, timeframe)
            )
            where = {"grid_id": grid_id, "start": start, "prosumer_id": {"$nin": sorted(timeframe)}}
            ops.append(DeleteMany(where))
        if ops:
            self._coll.bulk_write(ops, ordered=False)

    def delete_grid(self, grid_id: str) -> None:
        self._coll.delete_many({"grid_id": grid_id})

    def sums(self, grid_id: str, prosumer_id: str, start_from: str, start_to: str) -> Doc:
        """{imported_wh, carbon_g, timeframes} of one prosumer over the range."""
        self._ensure_indexes()
        where = {
            "grid_id": grid_id,
            "prosumer_id": prosumer_id,
            "start": {"$gte": start_from, "$lt": start_to},
        }
        group = {
            "_id": None,
            "imported_wh": {"$sum": "$imported_wh"},
            "carbon_g": {"$sum": "$carbon_g"},
            "timeframes": {"$sum": 1},
        }
        found = list(self._coll.aggregate([{"$match": where}, {"$group": group}]))
        if not found:
            return {"imported_wh": 0, "carbon_g": 0, "timeframes": 0}
        return {k: exact_int(found[0][k]) for k in ("imported_wh", "carbon_g", "timeframes")}
