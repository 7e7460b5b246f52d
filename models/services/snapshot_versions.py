"""Reading a closed timeframe's snapshot versions: the latest, or one named by its number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.timeframes import format_instant
from models.ports import Stores
from models.services.clock import aware_utc, naive_utc
from models.services.correction_reads import APPLIED, stored_version
from models.services.errors import NotFound
from models.services.snapshots import get_snapshot


def get_version(
    container: Stores, grid_id: str, start: datetime, version: int | None = None
) -> dict[str, Any]:
    """Version `version` (default: the latest) with its number and the list of all versions."""
    first = get_snapshot(container, grid_id, start)  # 404 unless closed
    with container.uow(write=False) as uow:
        rows = [
            c
            for c in uow.corrections.of_timeframe(grid_id, naive_utc(start))
            if c.status == APPLIED
        ]
        closed = uow.registry.timeframe(grid_id, naive_utc(start))
    closed_at = closed.closed_at if closed is not None else None
    versions = [_entry(1, first["content_hash"], None, None, closed_at, None)]
    versions += [
        _entry(c.version, c.snapshot_hash, c.previous_hash, c.id, c.applied_at, c.reason)
        for c in rows
    ]
    wanted = versions[-1]["version"] if version is None else version
    if not 1 <= wanted <= len(versions):
        raise NotFound(
            f"timeframe {format_instant(aware_utc(start))} has versions 1..{len(versions)}, "
            f"not {wanted}"
        )
    doc = first if wanted == 1 else stored_version(container, grid_id, first["start"], wanted)
    if doc is None:
        raise NotFound(f"version {wanted} of {first['start']} is missing from the store")
    return {**doc, "version": wanted, "versions": versions}


def _entry(
    version: int,
    content_hash: str | None,
    previous_hash: str | None,
    correction_id: str | None,
    at: datetime | None,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "version": version,
        "content_hash": content_hash,
        "previous_hash": previous_hash,
        "correction_id": correction_id,
        "recorded_at": None if at is None else aware_utc(at),
        "reason": reason,
    }
