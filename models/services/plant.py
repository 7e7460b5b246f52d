"""The power plant's part in closing a timeframe, and a prosumer's imports from it over a range.

At a close (`closing._save_snapshot`) the snapshot gains its `plant` object, computed by
`models/domain/plant.py` from the grid's import need, the plant's settings at the close and the
buffer level the timeframe just before left (0 when that one is not closed or has no plant
object: the buffer's chain starts there). Once the snapshot is stored, each prosumer's share of
the delivered Wh and carbon grams is written to the plant-import store, from the stored
snapshot, so a resumed close writes the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.domain.hashing import content_hash
from models.domain.plant import PlantSettings, allocate, timeframe_plant
from models.domain.timeframes import format_instant, parse_instant
from models.ports import GridRecord, Stores, UnitOfWork
from models.services.assets import read_plant


def with_plant(container: Stores, grid: GridRecord, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with its `plant` object, its content hash covering it."""
    with container.uow(write=False) as uow:
        settings = plant_settings(uow, grid.id)
    carried = carried_buffer(container, grid, snapshot["start"])
    return plant_snapshot(settings, grid, snapshot, carried)


def plant_settings(uow: UnitOfWork, grid_id: str) -> PlantSettings:
    """The grid's plant as the domain takes it (its defaults until changed)."""
    settings = read_plant(uow, grid_id)
    return PlantSettings(
        max_output_w=settings["max_output_w"],
        status=settings["status"],
        ratio=settings["ratio"],
        buffer_capacity_wh=settings["buffer_capacity_wh"],
        carbon_g_per_kwh=settings["carbon_g_per_kwh"],
    )


def plant_snapshot(
    settings: PlantSettings, grid: GridRecord, snapshot: dict[str, Any], carried_wh: int
) -> dict[str, Any]:
    """`with_plant` from given settings and carried buffer level (no store reads)."""
    plant = timeframe_plant(
        settings, grid.timeframe_minutes, snapshot["totals"]["import_wh"], carried_wh
    )
    doc = {**snapshot, "plant": plant}
    doc["content_hash"] = content_hash(doc)
    return doc


def carried_buffer(container: Stores, grid: GridRecord, start: str) -> int:
    """The buffer level the closed timeframe just before `start` left (0 if none)."""
    before = parse_instant(start) - timedelta(minutes=grid.timeframe_minutes)
    headers, _ = container.documents.snapshots.list_totals(
        grid.id, format_instant(before), start, 0, 1
    )
    plant = headers[0].get("plant") if headers else None
    return int(plant["buffer_after_wh"]) if plant else 0


def record_imports(container: Stores, snapshot: dict[str, Any]) -> None:
    """Write each prosumer's share of the delivered Wh and grams (nothing when none delivered)."""
    rows = import_rows(snapshot)
    if rows is not None:
        plant_imports = container.documents.plant_imports
        plant_imports.save_timeframe(snapshot["grid_id"], snapshot["start"], rows)


def import_rows(snapshot: dict[str, Any]) -> dict[str, tuple[int, int]] | None:
    """{prosumer_id: (imported_wh, carbon_g)} of a stored snapshot; None when none delivered."""
    plant = snapshot.get("plant")
    if not plant or plant["delivered_wh"] == 0:
        return None
    nets = {line["prosumer_id"]: line["net_wh"] for line in snapshot["lines"]}
    return dict(allocate(nets, plant["delivered_wh"], plant["carbon_g"]))


def imports_between(
    container: Stores, grid_id: str, prosumer_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """A prosumer's `imported_wh` and `carbon_g` over closed timeframes in [start, end)."""
    sums = container.documents.plant_imports.sums(
        grid_id, prosumer_id, format_instant(start), format_instant(end)
    )
    return {"imported_wh": sums["imported_wh"], "carbon_g": sums["carbon_g"]}
