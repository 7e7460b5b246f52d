"""PlantImportStore on SQLite: one `plant_imports` row per (grid, prosumer, timeframe)."""

from __future__ import annotations

from collections.abc import Mapping

from models.documents.shapes import exact_int
from models.documents.sqlite_db import SqliteDb
from models.ports import Doc

_INSERT = (
    "INSERT INTO plant_imports (grid_id, prosumer_id, start, imported_wh, carbon_g)"
    " VALUES (?, ?, ?, ?, ?)"
)
_SUMS = (
    "SELECT COALESCE(SUM(imported_wh), 0), COALESCE(SUM(carbon_g), 0), COUNT(*)"
    " FROM plant_imports WHERE grid_id = ? AND prosumer_id = ? AND start >= ? AND start < ?"
)


class SqlitePlantImportStore:
    """A timeframe's rows are replaced together, in one transaction."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def save_timeframe(self, grid_id: str, start: str, rows: Mapping[str, tuple[int, int]]) -> None:
        """Make `rows` the timeframe's rows."""
        self.save_timeframes(grid_id, {start: rows})

    def save_timeframes(
        self, grid_id: str, rows: Mapping[str, Mapping[str, tuple[int, int]]]
    ) -> None:
        """Make each timeframe's rows its rows, all in one transaction."""
        values = [
            (grid_id, pid, start, exact_int(wh), exact_int(grams))
            for start, timeframe in rows.items()
            for pid, (wh, grams) in sorted(timeframe.items())
        ]
        with self._db.write() as conn:
            conn.executemany(
                "DELETE FROM plant_imports WHERE grid_id = ? AND start = ?",
                [(grid_id, start) for start in rows],
            )
            conn.executemany(_INSERT, values)

    def delete_grid(self, grid_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM plant_imports WHERE grid_id = ?", (grid_id,))

    def sums(self, grid_id: str, prosumer_id: str, start_from: str, start_to: str) -> Doc:
        """{imported_wh, carbon_g, timeframes} of one prosumer over the range."""
        with self._db.read() as conn:
            wh, grams, count = conn.execute(
                _SUMS, (grid_id, prosumer_id, start_from, start_to)
            ).fetchone()
        return {"imported_wh": int(wh), "carbon_g": int(grams), "timeframes": int(count)}
