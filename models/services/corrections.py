"""Correcting a closed timeframe: a new snapshot version and adjustment trades, resumable.

The first snapshot, the trades of the close and every settled month stay as they are. Phases,
each safe to repeat (a re-run after a crash anywhere finishes the same correction):
1. SQL: checks (closed timeframe, month not being settled, prosumers of the grid, something
   changes), then the correction is recorded `applying`: its id, version n, readings, reason,
   who, and the Idempotency-Key. Nothing else is written before this record.
2. Documents: version n is computed from version n - 1 and stored unless present.
3. Documents: version n is cleared at the terms of the first close (`clearing_terms`); the
   difference to the books so far (original trades + earlier adjustments) is stored once, under
   the correction's id, as its adjustment trades.
4. SQL, one transaction: the correction `applied` with both hashes, the readings table set to
   the corrected values, and one `reading.corrected` event per corrected reading.
Any later call for the timeframe (a retry with the same key, another correction) finishes an
unfinished one first, in version order.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models.domain import events as ev
from models.domain.adjustments import (
    adjustment_docs,
    adjustment_lines,
    pair_sums,
    positions,
)
from models.domain.corrections import month_of, next_version, version_key
from models.domain.hashing import canonical_json
from models.domain.netting import Reading
from models.domain.timeframes import format_instant
from models.ports import CorrectionRecord, GridRecord, Stores, UnitOfWork
from models.services.clearing_terms import cleared_docs, nets_of, terms_of
from models.services.clock import aware_utc, utcnow
from models.services.correction_reads import (
    ADJUSTMENTS,
    APPLIED,
    APPLYING,
    VERSIONS,
    correction_row,
    correction_view,
    stored_version,
)
from models.services.crashpoints import crash_point
from models.services.errors import Conflict, Unprocessable, found
from models.services.events import record_event
from models.services.metering import check_closable, check_start
from models.services.settlement.run import SETTLEMENTS, run_key

RUNNING = ("planned", "posting", "paying", "confirming")  # a settlement run not yet finished


def request_hash(start: datetime, body: dict[str, Any]) -> str:
    """A stable hash of a correction request, to tell a retry from a different request."""
    lines = sorted(body["readings"], key=lambda r: r["prosumer_id"])
    normal = {"start": format_instant(aware_utc(start)), "reason": body["reason"], "lines": lines}
    return hashlib.sha256(canonical_json(normal)).hexdigest()


def correct_timeframe(
    container: Stores,
    grid_id: str,
    start: datetime,
    key: str,
    body: dict[str, Any],
    actor: tuple[str, str],
) -> tuple[dict[str, Any], bool]:
    """Correct a closed timeframe's readings once per Idempotency-Key; (correction, replayed)."""
    with container.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        at = check_start(grid, start)
    finish_unfinished(container, grid_id)
    correction_id, replayed = _record(container, grid_id, at, key, body, actor)
    finish_unfinished(container, grid_id)
    return correction_view(container, grid_id, correction_id), replayed


def _record(
    container: Stores,
    grid_id: str,
    at: datetime,
    key: str,
    body: dict[str, Any],
    actor: tuple[str, str],
) -> tuple[str, bool]:
    """Phase 1: the checks, then the `applying` record (or the earlier one for this key)."""
    digest = request_hash(at, body)
    with container.uow() as uow:
        grid = found(uow.registry.lock_grid(grid_id), "grid", grid_id)
        existing = uow.corrections.by_key(grid_id, key)
        if existing is not None:
            if existing.request_hash != digest:
                raise Conflict(f"Idempotency-Key {key!r} was used for a different correction")
            return existing.id, True
        version = _check(container, uow, grid, at, body["readings"])
        correction_id = str(uuid.uuid4())
        uow.corrections.add(
            id=correction_id,
            grid_id=grid_id,
            timeframe_start=at,
            version=version,
            status=APPLYING,
            reason=body["reason"],
            readings=[_line(r) for r in body["readings"]],
            idempotency_key=key,
            request_hash=digest,
            created_by=actor[0],
            created_role=actor[1],
            created_at=utcnow(),
            applied_at=None,
            snapshot_hash=None,
            previous_hash=None,
        )
        uow.commit()
    crash_point("correct:recorded")
    return correction_id, False


def _line(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("prosumer_id", "produced_wh", "consumed_wh")}


def _check(
    container: Stores, uow: UnitOfWork, grid: GridRecord, at: datetime, lines: list[dict[str, Any]]
) -> int:
    """The new version's number, after every check of phase 1 (409 / 422 naming the rule)."""
    when = format_instant(aware_utc(at))
    row = uow.registry.timeframe(grid.id, at)
    if row is None:
        raise Conflict(
            f"timeframe {when} is open: only a closed timeframe is corrected; until it closes, "
            f"PUT its readings (/api/v1/grids/{grid.id}/timeframes/{when}/readings)"
        )
    if row.status != "closed":
        raise Conflict(f"timeframe {when} is {row.status}: correct it once it is closed")
    earlier = uow.corrections.of_timeframe(grid.id, at)
    if any(c.status != APPLIED for c in earlier):
        raise Conflict(f"another correction of {when} is being applied; retry")
    _refuse_while_settling(container, grid, at)
    _check_prosumers(uow, grid.id, lines)
    current = uow.registry.readings_at(grid.id, at)
    asked = {r["prosumer_id"]: (r["produced_wh"], r["consumed_wh"]) for r in lines}
    corrected = {**current, **asked}
    if all(current.get(r["prosumer_id"]) == corrected[r["prosumer_id"]] for r in lines):
        raise Unprocessable(
            f"the readings equal the current version of {when}: the correction changes nothing",
            errors={"readings": ["changes nothing"]},
        )
    check_closable(grid, at, corrected)
    first = _first(container, grid.id, when)  # re-clearing needs the first close's terms:
    terms_of(container, grid, first, uow.registry.orders_at(grid.id, at), row.trades_hash)
    return 1 + max((c.version for c in earlier), default=1)


def _refuse_while_settling(container: Stores, grid: GridRecord, at: datetime) -> None:
    """409 while the settlement of the timeframe's month is running."""
    month = month_of(aware_utc(at), grid.timezone)
    run = container.documents.collection(SETTLEMENTS).get(run_key(grid.id, month))
    if run is not None and run["status"] in RUNNING:
        raise Conflict(
            f"the settlement of {month} is {run['status']}: corrections of its timeframes "
            "wait until the run has finished",
            month=month,
        )


def _check_prosumers(uow: UnitOfWork, grid_id: str, lines: Sequence[dict[str, Any]]) -> None:
    """422 naming the first line whose prosumer is unknown, elsewhere, or listed twice."""
    known = uow.registry.prosumer_grids(list({line["prosumer_id"] for line in lines}))
    seen: set[str] = set()
    for index, line in enumerate(lines):
        pid = line["prosumer_id"]
        reason = None
        if pid not in known:
            reason = "no such prosumer"
        elif known[pid][0] != grid_id:
            reason = "belongs to another grid"
        elif pid in seen:
            reason = "appears twice in this correction"
        if reason:
            raise Unprocessable(
                f"readings[{index}].prosumer_id {pid} {reason}",
                errors={f"readings.{index}.prosumer_id": [reason]},
            )
        seen.add(pid)


def finish_unfinished(container: Stores, grid_id: str) -> int:
    """Phases 2-4 of the grid's corrections a crash left `applying`, oldest first; how many."""
    with container.uow(write=False) as uow:
        pending = [c.id for c in uow.corrections.unfinished(grid_id)]
    for correction_id in pending:
        _apply(container, grid_id, correction_id)
    return len(pending)


def _apply(container: Stores, grid_id: str, correction_id: str) -> None:
    """Phases 2-4 of one recorded correction (each writes only what is missing)."""
    with container.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        row = correction_row(uow, grid_id, correction_id)
        if row.status == APPLIED:
            return
        timeframe = uow.registry.timeframe(grid_id, row.timeframe_start)
        orders = uow.registry.orders_at(grid_id, row.timeframe_start)
    assert timeframe is not None  # phase 1 found it closed
    start_iso = format_instant(aware_utc(row.timeframe_start))
    first = _first(container, grid_id, start_iso)
    version = _save_version(container, row, first)
    crash_point("correct:version_saved")
    terms = terms_of(container, grid, first, orders, timeframe.trades_hash)
    adjusted = _save_adjustments(container, grid, row, version, terms)
    crash_point("correct:adjusted")
    _finish(container, grid, correction_id, version, adjusted)


def _first(container: Stores, grid_id: str, start_iso: str) -> dict[str, Any]:
    first = container.documents.snapshots.get(grid_id, start_iso)
    if first is None:
        raise Conflict(f"the snapshot of {start_iso} is missing from the document store")
    return first


def _save_version(
    container: Stores, row: CorrectionRecord, first: dict[str, Any]
) -> dict[str, Any]:
    """Phase 2: version n from version n - 1 and the corrected readings, stored once."""
    key = version_key(row.grid_id, first["start"], row.version)
    versions = container.documents.collection(VERSIONS)
    stored = versions.get(key)
    if stored is not None:
        return stored
    previous = stored_version(container, row.grid_id, first["start"], row.version - 1)
    if previous is None:
        raise Conflict(f"version {row.version - 1} of {first['start']} is missing")
    lines = [Reading(r["prosumer_id"], r["produced_wh"], r["consumed_wh"]) for r in row.readings]
    doc = next_version(previous, row.version, row.id, lines)
    return versions.insert_if_absent(key, doc)


def _save_adjustments(
    container: Stores,
    grid: GridRecord,
    row: CorrectionRecord,
    version: dict[str, Any],
    terms: dict[str, Any],
) -> dict[str, Any]:
    """Phase 3: the fresh clearing of version n minus the books so far, stored once."""
    store = container.documents.collection(ADJUSTMENTS)
    stored = store.get(row.id)
    if stored is not None:
        return stored
    start_iso = version["start"]
    booked = container.documents.transactions.timeframe(grid.id, start_iso)
    for earlier in store.find({"grid_id": grid.id, "timeframe_start": start_iso}):
        if earlier["version"] < row.version:
            booked += earlier["trades"]
    fresh = cleared_docs(terms, nets_of(version))
    lines = adjustment_lines(pair_sums(booked), pair_sums(fresh))
    trades = adjustment_docs(
        grid.id, start_iso, terms["currency"], row.id, row.version - 1, row.version, lines
    )
    doc = {
        "grid_id": grid.id,
        "timeframe_start": start_iso,
        "month": month_of(aware_utc(row.timeframe_start), grid.timezone),
        "version": row.version,
        "from_version": row.version - 1,
        "trades": trades,
        "positions": positions(trades),
        "settled_in": None,
        "created_at": format_instant(aware_utc(utcnow())),
    }
    return store.insert_if_absent(row.id, doc)


def _finish(
    container: Stores,
    grid: GridRecord,
    correction_id: str,
    version: dict[str, Any],
    adjusted: dict[str, Any],
) -> None:
    """Phase 4: applied, readings set, events recorded, in one transaction."""
    with container.uow() as uow:
        uow.registry.lock_grid(grid.id)
        row = correction_row(uow, grid.id, correction_id)
        if row.status == APPLIED:
            return  # another process finished it
        before = uow.registry.readings_at(grid.id, row.timeframe_start)
        _set_readings(uow, grid.id, row)
        row.status = APPLIED
        row.applied_at = utcnow()
        row.snapshot_hash = version["content_hash"]
        row.previous_hash = version["previous_hash"]
        for line in row.readings:
            was = before.get(line["prosumer_id"])
            if was != (line["produced_wh"], line["consumed_wh"]):  # lines repeated as they were
                _record_corrected(uow, row, line, was, adjusted)  # are not news
        uow.commit()


def _set_readings(uow: UnitOfWork, grid_id: str, row: CorrectionRecord) -> None:
    """The corrected lines as the timeframe's readings (set-based; equal ones untouched)."""
    lines = [(r["prosumer_id"], r["produced_wh"], r["consumed_wh"]) for r in row.readings]
    uow.registry.upsert_readings(grid_id, utcnow(), {row.timeframe_start: lines})


def _record_corrected(
    uow: UnitOfWork,
    row: CorrectionRecord,
    line: dict[str, Any],
    before: tuple[int, int] | None,
    adjusted: dict[str, Any],
) -> None:
    """`reading.corrected` for one prosumer's reading, with what it changed in money."""
    pid = line["prosumer_id"]
    data = {
        "start": adjusted["timeframe_start"],
        "month": adjusted["month"],
        "version": row.version,
        "correction_id": row.id,
        "reason": row.reason,
        "produced_wh": line["produced_wh"],
        "consumed_wh": line["consumed_wh"],
        "previous_produced_wh": None if before is None else before[0],
        "previous_consumed_wh": None if before is None else before[1],
        "adjustment_minor": adjusted["positions"].get(pid, 0),
    }
    event_id = f"{ev.READING_CORRECTED}:{row.id}:{pid}"
    record_event(uow, ev.READING_CORRECTED, row.grid_id, data, event_id=event_id, prosumer_id=pid)
