"""PlantImportStore on pymongo: one document per (grid, prosumer, timeframe)."""

from __future__ import annotations

from collections.abc import Mapping

from pymongo import ASCENDING
from pymongo.database import Database

from models.documents.mongo_collection import replace_many
from models.documents.shapes import exact_int
from models.ports import Doc


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
        self._ensure_indexes()
        docs = [
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
        replace_many(self._coll, docs)
        self._coll.delete_many(
            {"grid_id": grid_id, "start": start, "prosumer_id": {"$nin": sorted(rows)}}
        )

    def save_timeframes(
        self, grid_id: str, rows: Mapping[str, Mapping[str, tuple[int, int]]]
    ) -> None:
        """`save_timeframe` of each timeframe in turn."""
        for start, timeframe in rows.items():
            self.save_timeframe(grid_id, start, timeframe)

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
