"""Reading corrections: their records with adjustment trades, and stored snapshot versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.corrections import version_key
from models.ports import CorrectionRecord, Stores, UnitOfWork
from models.services.clock import aware_utc
from models.services.errors import NotFound, found
from models.services.metering import check_start

VERSIONS = "snapshot_versions"  # version n >= 2 of a timeframe's snapshot
ADJUSTMENTS = "adjustments"  # one document per correction: its adjustment trades, its claim
APPLYING, APPLIED = "applying", "applied"


def correction_row(uow: UnitOfWork, grid_id: str, correction_id: str) -> CorrectionRecord:
    row = uow.corrections.get(correction_id)
    if row is None or row.grid_id != grid_id:
        raise NotFound(f"correction {correction_id} does not exist")
    return row


def stored_version(
    container: Stores, grid_id: str, start_iso: str, version: int
) -> dict[str, Any] | None:
    """Version `version` of a timeframe's snapshot as stored (1: the snapshot of the close)."""
    if version == 1:
        return container.documents.snapshots.get(grid_id, start_iso)
    return container.documents.collection(VERSIONS).get(version_key(grid_id, start_iso, version))


def correction_view(container: Stores, grid_id: str, correction_id: str) -> dict[str, Any]:
    """A correction as the API shows it: who, when, why, what, and its adjustment trades."""
    with container.uow(write=False) as uow:
        row = correction_row(uow, grid_id, correction_id)
    return _view(container, row)


def list_corrections(container: Stores, grid_id: str, start: datetime) -> list[dict[str, Any]]:
    """A timeframe's corrections by version (404 for an unknown grid or a misaligned start)."""
    with container.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        rows = list(uow.corrections.of_timeframe(grid_id, check_start(grid, start)))
    return [_view(container, row) for row in rows]


def _view(container: Stores, row: CorrectionRecord) -> dict[str, Any]:
    adjusted = container.documents.collection(ADJUSTMENTS).get(row.id) or {}
    return {
        "id": row.id,
        "grid_id": row.grid_id,
        "timeframe_start": aware_utc(row.timeframe_start),
        "version": row.version,
        "status": row.status,
        "reason": row.reason,
        "readings": row.readings,
        "created_by": row.created_by,
        "created_role": row.created_role,
        "created_at": aware_utc(row.created_at),
        "applied_at": None if row.applied_at is None else aware_utc(row.applied_at),
        "snapshot_hash": row.snapshot_hash,
        "previous_hash": row.previous_hash,
        "month": adjusted.get("month"),
        "settled_in": adjusted.get("settled_in"),
        "adjustments": adjusted.get("trades", []),
    }
