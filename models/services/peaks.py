"""Peaks, autarky changes and demand response, evaluated as readings arrive and at each close.

Readings: the metering path marks the timeframe pending (`peak_pending`, in the readings' own
transaction), and so does a close (`mark_on_close`, in the transaction that records the timeframe
`closed`); the task `peaks.evaluate` (a worker process, never the web worker that took the
request) evaluates a grid's marked timeframes oldest first, removing each mark in its
evaluation's transaction: an open timeframe from its readings, a closed one from its
snapshot's final totals (what the close recorded), a closing one not yet (its close marks it
again). A write or close only queues the task when it marked the grid's first pending
timeframe, so a burst queues one task, and the periodic `peaks.sweep` queues it again for marks
whose task was lost (a crash between the commit and the enqueue). The task evaluates a mark
under the grid's lock only (one read of the timeframe's sums, which no write can change
meanwhile), and only while it is the grid's oldest mark, so the events come out in timeframe
order however many tasks run, and a second run of a task finds nothing to do. Every change is
written with its events in the mark's transaction: the peak, the device commands, the loads'
`paused` flag, the community's state, and the events (`community.*`, `device.command`) in the
same unit of work (the outbox).

The rules (models/domain/communities.py): partial sums may start or raise a peak (readings only
add to a timeframe); a peak ends, and autarky is judged, only on final values (every expected
member reported, or the timeframe closed); a timeframe older than the newest one judged on final
values changes nothing. While consumption is above the threshold, the community's running
scheduled loads (enabled, not paused, their window holding the timeframe's start) are paused
largest first until the expected consumption falls under it; when the peak ends, the loads it
paused are resumed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.domain import events as ev
from models.domain.communities import (
    Load,
    Observed,
    Settings,
    State,
    assess,
    in_window,
    power,
    to_pause,
    watts,
)
from models.domain.timeframes import format_instant
from models.ports import (
    AssetRecord,
    CommunityRecord,
    GridRecord,
    PeakRecord,
    Stores,
    UnitOfWork,
)
from models.services.clock import aware_utc, utcnow
from models.services.community_sums import expected as expected_counts
from models.services.crashpoints import crash_point
from models.services.events import record_event
from models.services.metering import PEAKS_DUE
from models.services.tasks import task

log = logging.getLogger("minigrid.peaks")
EVALUATE_TASK, SWEEP_TASK = "peaks.evaluate", "peaks.sweep"
ROUNDS = 200  # marks evaluated per task run; more are left to the next run
SWEEP_S, LOST_S = 15.0, 30.0  # the sweep's interval; a mark this old lost its task
FEW = 8  # communities summed from their members' readings; more: the timeframe's, grouped
Observe = Callable[[UnitOfWork, GridRecord, set[str]], dict[str, Observed]]


@dataclass(frozen=True)
class Evaluation:
    """What an evaluation wrote: communities whose state changed, device commands issued."""

    changed: int = 0
    commands: int = 0

    def plus(self, other: Evaluation) -> Evaluation:
        return Evaluation(self.changed + other.changed, self.commands + other.commands)


NOTHING = Evaluation()


def queue_evaluation(container: Stores, grid_id: str, counts: dict[str, int]) -> None:
    """After a readings write committed (`counts` from metering): queue the grid's evaluation
    task when the write marked the grid's first pending timeframe (later writes find it queued;
    the sweep queues it again for a mark whose task was lost, or that could not be queued: the
    write is done and answered as such)."""
    if counts.pop(PEAKS_DUE, 0):
        queue(container, grid_id)


def mark_on_close(uow: UnitOfWork, grid_id: str, starts: Sequence[datetime]) -> bool:
    """In the transaction that records timeframes `closed`: mark them for evaluation on their
    snapshots' final totals (when the grid has communities), under the grid's lock so that a
    running evaluation's unmark cannot cross it; True when the caller queues the task (after
    the commit: `queue`)."""
    uow.registry.lock_grid(grid_id)
    return bool(starts) and uow.communities.mark_pending(grid_id, list(starts), utcnow())


def queue(container: Stores, grid_id: str) -> None:
    """Queue the grid's evaluation task after a commit that marked its first pending timeframe
    (if that fails, the sweep queues it: what was marked is durable)."""
    try:
        container.tasks.enqueue(EVALUATE_TASK, grid_id=grid_id)
    except Exception:  # noqa: BLE001 (the readings are written: the sweep queues it later)
        log.warning("grid %s: peak evaluation not queued; the sweep queues it", grid_id)


@task(EVALUATE_TASK, retries=5, retry_delay_s=1.0, backoff=2.0)
def evaluate_pending(
    container: Stores, grid_id: str, through: datetime | None = None
) -> Evaluation:
    """The grid's marked timeframes evaluated oldest first (the task; also run in-process by
    the simulation, `through` a naive UTC start), each mark removed in its evaluation's
    transaction: a retry or a second task finds nothing left to do, and a task killed midway
    leaves its mark for the next."""
    total, rounds = NOTHING, 0
    while rounds < ROUNDS:
        with container.uow(write=False) as uow:
            marks = uow.communities.pending(grid_id, ROUNDS - rounds)
        if not marks:
            return total
        for at in marks:  # each evaluated only while the oldest: else read them again
            if through is not None and at > through:
                return total
            done, rounds = _evaluate_mark(container, grid_id, at), rounds + 1
            if done is None:
                break
            total = total.plus(done)
    container.tasks.enqueue(EVALUATE_TASK, grid_id=grid_id)  # still more: after other tasks
    return total


@task(SWEEP_TASK, every_s=SWEEP_S)
def sweep_pending(container: Stores) -> int:
    """Queue the evaluation of every grid with a mark older than LOST_S (its task was lost:
    a crash between the readings' commit and the enqueue); how many were queued."""
    with container.uow(write=False) as uow:
        grids = uow.communities.pending_grids(utcnow() - timedelta(seconds=LOST_S))
    for grid_id in grids:
        container.tasks.enqueue(EVALUATE_TASK, grid_id=grid_id)
    return len(grids)


def _evaluate_mark(stores: Stores, grid_id: str, at: datetime) -> Evaluation | None:
    """Evaluate one marked timeframe under the grid's lock and unmark it, in one transaction;
    only while it is the grid's oldest mark. An open one from its readings (writes of readings
    wait, so what is read is every reading written so far); a closed one from its snapshot's
    final totals (what the close recorded); a closing one not yet (its close marks it again in
    the transaction that records it closed); None when it is not the oldest any more."""
    with stores.uow() as uow:
        grid = uow.registry.lock_grid(grid_id)
        if uow.communities.pending(grid_id, 1) != [at]:
            return None  # evaluated meanwhile, or an older one was marked: read them again
        result = NOTHING
        row = uow.registry.timeframe(grid_id, at)
        if grid is not None and row is None:
            result = _locked(uow, grid, at, None, _readings_observer(at))
        elif grid is not None and row is not None and row.status == "closed":
            result = _closed(stores, uow, grid, at)
        uow.communities.unmark(grid_id, at)
        crash_point("peaks:evaluated")  # written, not committed: the retry evaluates it again
        uow.commit()
    return result


def _readings_observer(at: datetime) -> Observe:
    def observe(uow: UnitOfWork, grid: GridRecord, affected: set[str]) -> dict[str, Observed]:
        return _from_readings(uow, grid, at, affected)

    return observe


def _closed(stores: Stores, uow: UnitOfWork, grid: GridRecord, at: datetime) -> Evaluation:
    """A closed timeframe's communities on its (immutable) snapshot's final totals, in `uow`."""
    start, end = (format_instant(aware_utc(t)) for t in (at, at + timedelta(minutes=1)))
    found, _ = stores.documents.snapshots.list_totals(grid.id, start, end, 0, 1)  # no lines
    snapshot = found[0] if found else None
    if snapshot is None:
        log.warning("grid %s: closed timeframe %s has no snapshot to evaluate", grid.id, at)
        return NOTHING
    entries = {e["community_id"]: e for e in snapshot.get("communities", [])}
    minutes = snapshot["timeframe_minutes"]

    def observe(uow: UnitOfWork, grid: GridRecord, affected: set[str]) -> dict[str, Observed]:
        return {
            cid: Observed(at, minutes, e["production_wh"], e["consumption_wh"], True)
            for cid, e in entries.items()
            if cid in affected
        }

    return _locked(uow, grid, at, set(entries), observe) if entries else NOTHING


def _from_readings(
    uow: UnitOfWork, grid: GridRecord, at: datetime, affected: set[str]
) -> dict[str, Observed]:
    """Each affected community's sums so far; final once every expected member reported."""
    end = at + timedelta(minutes=grid.timeframe_minutes)
    ids = sorted(affected)
    few = len(ids) <= FEW  # a few communities: from their members; else the whole timeframe
    sums = uow.communities.sums_at(grid.id, at, end, ids if few else None)
    expected = expected_counts(uow, grid.id, end, ids)
    out = {}
    for cid in ids:
        _, produced, consumed, on_time = sums.get(cid, (0, 0, 0, 0))
        wanted = expected.get(cid, 0)
        final = wanted > 0 and on_time >= wanted
        out[cid] = Observed(at, grid.timeframe_minutes, produced, consumed, final)
    return out


def _locked(
    uow: UnitOfWork, grid: GridRecord, at: datetime, due: set[str] | None, observe: Observe
) -> Evaluation:
    """Observe the chosen communities (all when None) and apply what changes, in `uow`, which
    holds the grid's lock."""
    communities = _chosen(uow.communities.of_grid(grid.id), due)
    seen = observe(uow, grid, set(communities))
    results = [
        _apply(uow, grid, community, seen[cid])
        for cid, community in communities.items()
        if cid in seen
    ]
    return Evaluation(sum(r.changed for r in results), sum(r.commands for r in results))


def _chosen(
    communities: Iterable[CommunityRecord], affected: set[str] | None
) -> dict[str, CommunityRecord]:
    return {c.id: c for c in communities if affected is None or c.id in affected}


def _settings(community: CommunityRecord) -> Settings:
    return Settings(community.peak_threshold_w, community.peak_hysteresis)


@dataclass
class _Context:
    uow: UnitOfWork
    grid: GridRecord
    community: CommunityRecord
    at: datetime  # naive UTC
    commands: int = 0

    @property
    def aware(self) -> datetime:
        return aware_utc(self.at)

    def event(self, type_: str, data: dict[str, Any], **kwargs: Any) -> None:
        record_event(self.uow, type_, self.grid.id, data, community_id=self.community.id, **kwargs)


def _apply(
    uow: UnitOfWork, grid: GridRecord, community: CommunityRecord, seen: Observed
) -> Evaluation:
    """Assess one community with its open peak and paused loads; write what changes."""
    ctx = _Context(uow, grid, community, seen.start)
    peak = uow.communities.peak(community.peak_id) if community.peak_id else None
    state = State(
        community.autarkic,
        peak.started_at if peak else None,
        peak.peak_w if peak else 0,
        community.evaluated_start,
    )
    loads: dict[str, AssetRecord] = {}
    paused: dict[str, Any] = {}
    paused_w = 0
    if peak is not None:  # what it paused counts towards ending it
        loads = {a.id: a for a in uow.communities.scheduled_loads(community.id)}
        paused = dict(uow.communities.paused_by(peak.id))
        paused_w = sum(
            c.power_w
            for aid, c in paused.items()
            if aid in loads and in_window(_load(loads[aid]), ctx.aware, grid.timezone)
        )
    verdict = assess(state, seen, _settings(community), paused_w)
    if not verdict.relevant:
        return NOTHING
    if verdict.start_peak:  # demand response is due: the loads it may pause
        loads = {a.id: a for a in uow.communities.scheduled_loads(community.id)}
    changed = verdict.changes
    if verdict.start_peak:
        peak = _start_peak(ctx, seen)
    elif verdict.raise_peak and peak is not None:
        peak.peak_w, peak.peak_at, peak.updated_at = _watts(seen), seen.start, utcnow()
    if verdict.over and peak is not None:
        changed = _pause(ctx, peak, seen, loads) or changed
    if verdict.end_peak and peak is not None:
        _end_peak(ctx, peak, paused, loads)
    if verdict.autarkic is not None:
        _autarky(ctx, verdict.autarkic, seen)
    if verdict.evaluated is not None:
        community.evaluated_start = verdict.evaluated
    return Evaluation(1 if changed else 0, ctx.commands)


def _watts(seen: Observed) -> int:
    return watts(seen.consumption_wh, seen.minutes)


def _notice(ctx: _Context, **fields: Any) -> dict[str, Any]:
    """An event's data in the scenario's notification shape, with the timeframe."""
    return {
        "type": "Community",
        "id": ctx.community.id,
        **fields,
        "timeframe": format_instant(ctx.aware),
    }


def _start_peak(ctx: _Context, seen: Observed) -> PeakRecord:
    now = utcnow()
    peak = ctx.uow.communities.add_peak(
        id=str(uuid.uuid4()),
        community_id=ctx.community.id,
        grid_id=ctx.grid.id,
        started_at=seen.start,
        ended_at=None,
        peak_w=_watts(seen),
        peak_at=seen.start,
        threshold_w=ctx.community.peak_threshold_w,
        created_at=now,
        updated_at=now,
    )
    ctx.community.peak_id = peak.id
    data = _notice(
        ctx,
        peak=True,
        peak_id=peak.id,
        peak_w=peak.peak_w,
        threshold_w=peak.threshold_w,
    )
    ctx.event(ev.PEAK_STARTED, data, event_id=f"{ev.PEAK_STARTED}:{peak.id}")
    return peak


def _end_peak(
    ctx: _Context, peak: PeakRecord, paused: Mapping[str, Any], loads: Mapping[str, AssetRecord]
) -> None:
    peak.ended_at, peak.updated_at = ctx.at, utcnow()
    ctx.community.peak_id = None
    for aid in sorted(paused):  # also those whose owner left the community meanwhile
        asset = loads.get(aid) or ctx.uow.registry.asset(aid)
        if asset is not None and asset.parameters.get("paused"):
            _command(ctx, peak, asset, "resume")
    data = _notice(ctx, peak=False, peak_id=peak.id, peak_w=peak.peak_w)
    data["started_at"] = format_instant(aware_utc(peak.started_at))
    ctx.event(ev.PEAK_ENDED, data, event_id=f"{ev.PEAK_ENDED}:{peak.id}")


def _pause(
    ctx: _Context, peak: PeakRecord, seen: Observed, loads: Mapping[str, AssetRecord]
) -> bool:
    """Pause running loads until the expected consumption falls under the threshold."""
    running = [
        _load(a)
        for a in loads.values()
        if a.enabled and not a.parameters.get("paused") and _runs(a, ctx)
    ]
    if not running:
        return False
    already = sum(
        c.power_w
        for c in ctx.uow.communities.paused_by(peak.id).values()
        if c.timeframe == seen.start
    )
    chosen = to_pause(power(seen.consumption_wh, seen.minutes), peak.threshold_w, already, running)
    for load in chosen:
        _command(ctx, peak, loads[load.asset_id], "pause")
    return bool(chosen)


def _runs(asset: AssetRecord, ctx: _Context) -> bool:
    return in_window(_load(asset), ctx.aware, ctx.grid.timezone)


def _load(asset: AssetRecord) -> Load:
    p = asset.parameters
    return Load(asset.id, asset.prosumer_id, p["power_w"], p["window_start"], p["window_end"])


def _command(ctx: _Context, peak: PeakRecord, asset: AssetRecord, action: str) -> None:
    """Record a pause or resume for the device, flip the load's `paused`, and its event."""
    now = utcnow()
    command = ctx.uow.communities.add_command(
        id=str(uuid.uuid4()),
        grid_id=ctx.grid.id,
        community_id=ctx.community.id,
        prosumer_id=asset.prosumer_id,
        asset_id=asset.id,
        peak_id=peak.id,
        action=action,
        power_w=asset.parameters["power_w"],
        timeframe=ctx.at,
        issued_at=now,
    )
    asset.parameters = {**asset.parameters, "paused": action == "pause"}
    asset.updated_at = now
    ctx.commands += 1
    data = command_view(command)
    ctx.event(
        ev.DEVICE_COMMAND,
        data,
        prosumer_id=asset.prosumer_id,
        event_id=f"{ev.DEVICE_COMMAND}:{command.id}",
    )


def command_view(command: Any) -> dict[str, Any]:
    """A device command as devices read it (and as its event carries it)."""
    return {
        "seq": command.seq,
        "id": command.id,
        "grid_id": command.grid_id,
        "community_id": command.community_id,
        "prosumer_id": command.prosumer_id,
        "asset_id": command.asset_id,
        "peak_id": command.peak_id,
        "action": command.action,
        "power_w": command.power_w,
        "timeframe": format_instant(aware_utc(command.timeframe)),
        "issued_at": format_instant(aware_utc(command.issued_at)),
    }


def _autarky(ctx: _Context, autarkic: bool, seen: Observed) -> None:
    ctx.community.autarkic = autarkic
    type_ = ev.AUTARKY_GAINED if autarkic else ev.AUTARKY_LOST
    data = _notice(
        ctx,
        autarky=autarkic,
        production_w=watts(seen.production_wh, seen.minutes),
        consumption_w=watts(seen.consumption_wh, seen.minutes),
        net_w=watts(seen.production_wh - seen.consumption_wh, seen.minutes),
    )
    ctx.event(type_, data)
