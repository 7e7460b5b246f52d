"""Simulating a grid: registry -> physics -> readings through the metering path, flows stored.

What the meter sees: a reading is the grid connection's meter, so `produced_wh` is the energy
the house sold to the grid and `consumed_wh` the energy it bought (after its own use and its
battery); netting and clearing are therefore battery-aware. The full picture (production,
consumption, own use, battery in and out, losses, stored energy) is kept per prosumer and
timeframe in the document store's flows.

Every active prosumer gets a reading for every timeframe (zeros included). The run goes in
chunks of timeframes; each chunk's batteries start where the previous one ended, and a run's
first timeframe starts from the stored flows of the timeframe just before it (else the
batteries' `initial_soc`), so the same seed and inputs give the same numbers whatever the
chunking, and a second identical run reports every reading `unchanged`. Closed (or closing)
timeframes are checked before anything is written: if a reading there would change, the run
is refused (409) and nothing is written.

Writes: every WRITE_CELLS readings are one call of metering's `upsert_timeframes` (the path of
the HTTP and MQTT readings: same checks, counts and 409, one transaction, set-based SQL); the
same timeframes' flows then go to the document store in bulk from a `FlowsWriter` thread
while the next batch's readings are written. When demand response is evaluated (the grid has
communities), the batches are smaller (EVALUATE_CELLS) and peaks are evaluated after each
timeframe in order, as for readings arriving over the API one timeframe at a time; a pause or
resume stops the batch there and the rest is computed again with it (see `_write`). The run
evaluates the peaks it marked itself (`peaks.evaluate_pending`, the evaluation task's function,
in the run's own process: a simulation is a worker's task, and it needs the commands before it
computes the next timeframe).

`via` a message bus (`flask simulate --via mqtt`), the readings are not written here: each
house's meter publishes its reading to `minigrid/{grid}/meters/{prosumer}/readings` as a real
meter does, the meter ingest writes it, and the run waits (up to `ingest_wait_s`) until the
registry holds every published reading before it closes anything: the whole path, meter ->
broker -> ingest -> store -> close -> events, in one run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from operator import itemgetter
from typing import Any

from models.domain.physics.fleet import columns, pause_mask, run, window_shortfalls
from models.domain.physics.timeline import Timeline
from models.domain.timeframes import format_instant
from models.ports import CommandRecord, GridRecord, MessageBus, Stores
from models.services.clock import aware_utc, naive_utc
from models.services.closing import close_due
from models.services.errors import Conflict, Unavailable, Unprocessable, found
from models.services.flows_writer import FlowsWriter, flow_rows
from models.services.meter_ingest import readings_topic
from models.services.metering import PEAKS_DUE, check_start, upsert_timeframes
from models.services.peaks import evaluate_pending
from models.services.simulation_inputs import Fleet, load_fleet
from models.services.weather import grid_weather

MAX_DAYS = 400
MAX_REPORTED = 1000  # shortfalls listed in a summary (all are counted)
CHUNK_CELLS = 2_000_000  # prosumer-timeframes computed at once (bounds memory)
WRITE_CELLS = 100_000  # readings per metering transaction (and flows per bulk write)
PROCESS_CELLS = 500_000  # from this many readings, flows are written by a process of their own
EVALUATE_CELLS = 4_000  # the same when peaks are evaluated after each timeframe (communities)
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class Run:
    """One simulation's fixed inputs."""

    grid: GridRecord
    fleet: Fleet
    start: datetime  # naive UTC
    count: int
    seed: int
    switches: list[list[tuple[int, bool]]] = field(default_factory=list)  # per scheduled load
    before: int = 0  # timeframes of the whole run before this plan's start (progress)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.grid.timeframe_minutes)

    def at(self, index: int) -> datetime:
        return self.start + index * self.step

    def chunks(self) -> Iterator[tuple[int, int]]:
        """(first index, count) of consecutive chunks covering the run."""
        size = max(1, CHUNK_CELLS // max(1, len(self.fleet.prosumer_ids)))
        for first in range(0, self.count, size):
            yield first, min(size, self.count - first)


def simulate_grid(
    stores: Stores,
    grid_id: str,
    start: datetime,
    end: datetime,
    *,
    seed: int = 0,
    close: bool = False,
    progress: Progress | None = None,
    via: MessageBus | None = None,
    ingest_wait_s: float = 120.0,
) -> dict[str, Any]:
    """Simulate [start, end) of the grid, write (or publish `via`) readings and store flows;
    close it if asked."""
    plan = _plan(stores, grid_id, start, end, seed)
    if _frozen(stores, plan):
        _refuse_changes_to_frozen(stores, plan)
    tally = Tally()
    first = plan
    if via is None:
        big = plan.count * len(plan.fleet.prosumer_ids) >= PROCESS_CELLS
        with FlowsWriter(stores.documents.flows, separate_process=big) as writer:
            while True:
                restart = _run(stores, plan, tally, progress, writer)
                if restart is None:
                    break
                # demand response paused or resumed loads: the rest is computed again with them
                tally.measured -= _measured(stores, plan, restart)
                cut = _iso(plan.at(restart))
                tally.short = [s for s in tally.short if s["window_closed_at"] < cut]
                plan = _plan(stores, grid_id, aware_utc(plan.at(restart)), end, seed, first.count)
        counts: dict[str, int] = tally.counts
    else:  # the ingest writes (and queues peak evaluation); this run does not recompute after them
        published = 0
        with FlowsWriter(stores.documents.flows) as writer:
            for chunk in _computed(stores, plan):
                tally.measured += chunk.measured
                tally.short.extend(chunk.shortfalls)
                published += _publish(via, plan, chunk, tally.totals, progress, writer)
        counts = {
            "published": published,
            "written by the ingest": _await_ingest(stores, plan, ingest_wait_s),
        }
    plan = first
    totals, measured, short = tally.totals, tally.measured, tally.short
    end = aware_utc(plan.at(plan.count))
    closed = close_due(stores, grid_id, end, since=aware_utc(plan.start)) if close else []
    return {
        "grid_id": grid_id,
        "from": format_instant(aware_utc(plan.start)),
        "to": format_instant(aware_utc(plan.at(plan.count))),
        "seed": seed,
        "timeframes": plan.count,
        "prosumers": len(plan.fleet.prosumer_ids),
        "readings": counts,
        "energy": totals,
        "weather": {"measured_timeframes": measured, "synthetic_timeframes": plan.count - measured},
        "closed_timeframes": len(closed),
        "shortfalls": short[:MAX_REPORTED],
        "shortfall_windows": len(short),
        "shortfall_wh": sum(s["shortfall_wh"] for s in short),
    }


@dataclass
class Tally:
    """What a run has written so far."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"inserted": 0, "updated": 0, "unchanged": 0}
    )
    totals: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("produced_wh", "consumed_wh", "sold_wh", "bought_wh", "losses_wh"), 0
        )
    )
    measured: int = 0
    short: list[dict[str, Any]] = field(default_factory=list)
    # readings as they were before this run wrote over them from stale inputs (a restart)
    held: dict[datetime, dict[str, tuple[int, int]]] = field(default_factory=dict)


def _run(
    stores: Stores, plan: Run, tally: Tally, progress: Progress | None, writer: FlowsWriter
) -> int | None:
    """Compute and write the plan chunk by chunk; the index to compute again from when
    demand response changed a load during it (None: the plan is written)."""
    evaluate = _has_communities(stores, plan.grid.id)
    for chunk in _computed(stores, plan):
        tally.measured += chunk.measured
        tally.short.extend(chunk.shortfalls)
        stop = _write(stores, plan, chunk, tally, progress, writer, evaluate)
        if stop is not None and stop + 1 < plan.count:
            return stop + 1
    return None


def _has_communities(stores: Stores, grid_id: str) -> bool:
    with stores.uow(write=False) as uow:
        return bool(uow.communities.of_grid(grid_id))


def _measured(stores: Stores, plan: Run, restart: int) -> int:
    """Timeframes on measured weather counted for the part of the chunk that is recomputed."""
    for first, frames in plan.chunks():
        if first <= restart < first + frames:
            timeline = Timeline(
                aware_utc(plan.at(restart)),
                plan.grid.timeframe_minutes,
                first + frames - restart,
                _tz(plan),
            )
            return grid_weather(stores, plan.grid, timeline, plan.seed)[1]
    return 0


def check_simulation(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int
) -> None:
    """404/422 now for what a simulation would refuse at its start (before a background run)."""
    _plan(stores, grid_id, start, end, seed)


def computed(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int = 0
) -> Iterator[Chunk]:
    """The run's computed chunks without writing anything (what `make bench` times as compute)."""
    return _computed(stores, _plan(stores, grid_id, start, end, seed))


def _plan(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int, total: int = 0
) -> Run:
    """The run's inputs, or 404/422 naming what is wrong."""
    if seed < 0:
        raise Unprocessable(f"seed must be >= 0, got {seed}", errors={"seed": ["must be >= 0"]})
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        at = check_start(grid, start)
        until = _check_end(grid, at, end)
        if grid.latitude is None or grid.longitude is None:
            raise Unprocessable(
                f"grid {grid_id} has no latitude/longitude: set them (PATCH the grid) so the "
                "sun's position can be computed",
                errors={"latitude": ["required for a simulation"]},
            )
        fleet = load_fleet(uow, grid_id)
        history = uow.communities.command_history(grid_id)
    count = int((until - at) / timedelta(minutes=grid.timeframe_minutes))
    switches = _switches(fleet, history, grid.timeframe_minutes)
    return Run(grid, fleet, at, count, seed, switches, max(total, count) - count)


def _switches(
    fleet: Fleet, history: Sequence[CommandRecord], minutes: int
) -> list[list[tuple[int, bool]]]:
    """Per scheduled load: (Unix second, paused) of its pause and resume commands, each taking
    effect from the timeframe after the one whose readings led to it."""
    by_asset: dict[str, list[tuple[int, bool]]] = {aid: [] for aid in fleet.scheduled_ids}
    for command in history:
        if command.asset_id in by_asset:
            effective = aware_utc(command.timeframe) + timedelta(minutes=minutes)
            by_asset[command.asset_id].append(
                (int(effective.timestamp()), command.action == "pause")
            )
    return [sorted(by_asset[aid], key=lambda s: s[0]) for aid in fleet.scheduled_ids]


def _check_end(grid: GridRecord, at: datetime, end: datetime) -> datetime:
    until = naive_utc(end)
    minutes = grid.timeframe_minutes
    if until <= at or (until - at) % timedelta(minutes=minutes):
        raise Unprocessable(
            f"to {format_instant(aware_utc(until))} must be after from and a whole number of "
            f"{minutes}-minute timeframes later",
            errors={"to": ["not a timeframe boundary after from"]},
        )
    if until - at > timedelta(days=MAX_DAYS):
        raise Unprocessable(
            f"a simulation covers at most {MAX_DAYS} days; split the range",
            errors={"to": [f"more than {MAX_DAYS} days after from"]},
        )
    return until


@dataclass(frozen=True)
class Chunk:
    """Consecutive timeframes computed together."""

    first: int  # index of its first timeframe in the run
    frames: Iterator[list[list[int]]]  # per timeframe: fleet.ROW columns, then capacities
    measured: int  # timeframes on measured weather
    shortfalls: list[dict[str, Any]] = field(default_factory=list)  # windows closed short


def _computed(stores: Stores, plan: Run) -> Iterator[Chunk]:
    """The run's chunks, each battery starting where the previous chunk left it."""
    levels = _levels_before(stores, plan)
    for first, frames in plan.chunks():
        timeline = Timeline(
            aware_utc(plan.at(first)), plan.grid.timeframe_minutes, frames, _tz(plan)
        )
        weather, measured = grid_weather(stores, plan.grid, timeline, plan.seed)
        paused = pause_mask(timeline, plan.switches, plan.fleet.paused)
        flows = run(
            plan.fleet.households,
            plan.fleet.members,
            weather,
            timeline,
            plan.seed,
            levels,
            paused,
        )
        levels = [int(v) for v in flows.stored_wh[:, -1]]
        short = _shortfalls(plan, timeline, paused)
        yield Chunk(first, columns(flows), measured, short)


def _shortfalls(plan: Run, timeline: Timeline, paused: Any) -> list[dict[str, Any]]:
    """Scheduled loads whose window closed in the chunk before they got their energy."""
    fleet = plan.fleet
    return [
        {
            "asset_id": fleet.scheduled_ids[load],
            "prosumer_id": fleet.scheduled_owners[load],
            "window_closed_at": format_instant(datetime.fromtimestamp(closed, UTC)),
            "delivered_wh": delivered,
            "shortfall_wh": short,
            "paused_timeframes": held,
        }
        for load, closed, delivered, short, held in window_shortfalls(
            fleet.households, timeline, paused
        )
    ]


def _tz(plan: Run) -> str:
    return plan.grid.timezone


def _levels_before(stores: Stores, plan: Run) -> list[int | None]:
    """Each battery's stored energy after the timeframe before the run, if it was simulated."""
    before = stores.documents.flows.at(plan.grid.id, _iso(plan.start - plan.step))
    return [before[pid]["stored_wh"] if pid in before else None for pid in plan.fleet.prosumer_ids]


def _iso(at: datetime) -> str:
    return format_instant(aware_utc(at))


def _frozen(stores: Stores, plan: Run) -> set[datetime]:
    """Closed or closing timeframes inside the run."""
    end = plan.at(plan.count)
    with stores.uow(write=False) as uow:
        return {
            at
            for status in ("closed", "closing")
            for at in uow.registry.timeframes_with_status(plan.grid.id, status, plan.start, end)
        }


def _refuse_changes_to_frozen(stores: Stores, plan: Run) -> None:
    """409 before any write when a frozen timeframe's readings would change."""
    frozen = _frozen(stores, plan)
    ids = plan.fleet.prosumer_ids
    for chunk in _computed(stores, plan):
        for offset, frame in enumerate(chunk.frames):
            at = plan.at(chunk.first + offset)
            if at not in frozen:
                continue
            with stores.uow(write=False) as uow:
                stored = uow.registry.readings_at(plan.grid.id, at)
            meters = zip(ids, zip(frame[SOLD], frame[BOUGHT], strict=True), strict=True)
            changed = sum(stored.get(pid) != meter for pid, meter in meters)
            if changed:
                raise Conflict(
                    f"timeframe {_iso(at)} is closed; its readings are immutable ({changed} "
                    "reading(s) would change); nothing was written"
                )


def _write(
    stores: Stores,
    plan: Run,
    chunk: Chunk,
    tally: Tally,
    progress: Progress | None,
    writer: FlowsWriter,
    evaluate: bool = False,
) -> int | None:
    """Per WRITE_CELLS readings one call of metering's upsert_timeframes (one transaction),
    then the same timeframes' flows handed to the writer (written while the next batch runs).

    With `evaluate` (the grid has communities) the batch is written the same way, then peaks
    are evaluated after each of its timeframes in order, as for readings that arrive over the
    API one timeframe at a time (an evaluation reads only its own timeframe's readings, so the
    batch's later readings change nothing in it). When one pauses or resumes a load, the
    batch's later timeframes were computed without it: they are not counted, their flows not
    written, and the index of that timeframe is returned (the rest is computed again and
    written over them, counted against what the store held before this batch)."""
    grid = plan.grid
    ids, order = _key_order(plan.fleet.prosumer_ids)
    gather = _gather(order)
    per_call = max(1, (EVALUATE_CELLS if evaluate else WRITE_CELLS) // max(1, len(ids)))
    frames = enumerate(chunk.frames, chunk.first)  # columns in the fleet's order
    while batch := list(islice(frames, per_call)):
        readings = {
            aware_utc(plan.at(index)): list(
                zip(ids, gather(frame[SOLD]), gather(frame[BOUGHT]), strict=True)
            )
            for index, frame in batch
        }
        before = _held(stores, plan, tally, batch) if evaluate else {}
        with stores.uow() as uow:
            written = upsert_timeframes(uow, grid, readings)
        written.pop(PEAKS_DUE, None)  # this process evaluates them (below)
        stop = None
        if evaluate:
            batch, stop = _evaluated(stores, plan, tally, batch, readings, before)
        else:
            for key, n in written.items():
                tally.counts[key] += n
        # the flows' rows are put in key order and built by the writer (a thread or process)
        starts = [_iso(plan.at(index)) for index, _ in batch]
        writer.submit(partial(flow_rows, grid.id, ids, starts, [f for _, f in batch], order))
        for _, frame in batch:
            _add_totals(tally.totals, frame)
        if progress:
            progress(plan.before + batch[-1][0] + 1, plan.before + plan.count)
        if stop is not None:
            writer.wait()
            return stop
    return None


def _held(
    stores: Stores, plan: Run, tally: Tally, batch: list[tuple[int, list[list[int]]]]
) -> dict[datetime, dict[str, tuple[int, int]]]:
    """What the store held for the batch's timeframes before this run wrote them (readings
    written over after a restart: as they were before the first write)."""
    first, end = plan.at(batch[0][0]), plan.at(batch[-1][0] + 1)
    with stores.uow(write=False) as uow:
        held = uow.registry.readings_between(plan.grid.id, first, end)
    for index, _ in batch:
        at = plan.at(index)
        if at in tally.held:
            held[at] = tally.held.pop(at)
    return held


def _evaluated(
    stores: Stores,
    plan: Run,
    tally: Tally,
    batch: list[tuple[int, list[list[int]]]],
    readings: dict[datetime, list[tuple[str, int, int]]],
    before: dict[datetime, dict[str, tuple[int, int]]],
) -> tuple[list[tuple[int, list[list[int]]]], int | None]:
    """Count and evaluate the batch's timeframes in order, as one call each would have; stop
    after the first whose evaluation paused or resumed a load. The part that counts, and the
    index to compute again after (None: all of it counts)."""
    for position, (index, _) in enumerate(batch):
        at = plan.at(index)
        held = before.get(at, {})
        counts = _compared(held, readings[aware_utc(at)])
        for key, n in counts.items():
            tally.counts[key] += n
        changed = counts["inserted"] or counts["updated"]
        if changed and _commands_after(stores, plan.grid.id, at):
            for later, _ in batch[position + 1 :]:  # written from stale inputs: rewritten
                tally.held[plan.at(later)] = before.get(plan.at(later), {})
            return batch[: position + 1], index
    return batch, None


def _commands_after(stores: Stores, grid_id: str, at: datetime) -> int:
    """Peaks evaluated after the readings of the timeframe at `at` (naive UTC), as after an API
    write of that timeframe alone; how many device commands that issued. The one place the
    simulation evaluates: the batch's later timeframes are evaluated in their turn."""
    return int(evaluate_pending(stores, grid_id, through=at).commands)


def _compared(
    held: dict[str, tuple[int, int]], lines: list[tuple[str, int, int]]
) -> dict[str, int]:
    """Metering's counts of writing `lines` over `held` (inserted, updated, unchanged)."""
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    for pid, produced, consumed in lines:
        old = held.get(pid)
        key = (
            "inserted" if old is None else "unchanged" if old == (produced, consumed) else "updated"
        )
        counts[key] += 1
    return counts


BOUGHT, SOLD = 5, 6  # columns of a frame (fleet.ROW): the meter's consumed_wh and produced_wh
TOTALS = {"produced_wh": 0, "consumed_wh": 1, "bought_wh": BOUGHT, "sold_wh": SOLD, "losses_wh": 7}


def _key_order(ids: list[str]) -> tuple[list[str], list[int] | None]:
    """The ids sorted, and the positions putting a column in that order (None: it is): rows
    then reach the stores in key order (prosumer, then start) and their sorts find them
    sorted."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if len(ids) < 2:
        return ids, None
    return [ids[i] for i in order], order


def _gather(order: list[int] | None) -> Callable[[list[int]], list[int]]:
    """A function putting a column in `order`."""
    if order is None:
        return lambda column: column
    pick = itemgetter(*order)
    return lambda column: list(pick(column))


def _add_totals(totals: dict[str, int], frame: list[list[int]]) -> None:
    for name, column in TOTALS.items():
        totals[name] += sum(frame[column])


def _publish(
    bus: MessageBus,
    plan: Run,
    chunk: Chunk,
    totals: dict[str, int],
    progress: Progress | None,
    writer: FlowsWriter,
) -> int:
    """Each meter's reading published (one timeframe at a time), then the chunk's flows."""
    ids, grid_id, count = plan.fleet.prosumer_ids, plan.grid.id, 0
    batch = list(enumerate(chunk.frames, chunk.first))
    for index, frame in batch:
        at = _iso(plan.at(index))
        bus.publish_many(
            [
                (readings_topic(grid_id, pid), {"start": at, "produced_wh": s, "consumed_wh": b})
                for pid, s, b in zip(ids, frame[SOLD], frame[BOUGHT], strict=True)
            ]
        )
        count += len(ids)
        _add_totals(totals, frame)
        if progress:
            progress(index + 1, plan.count)
    starts = [_iso(plan.at(index)) for index, _ in batch]
    writer.submit(flow_rows(grid_id, ids, starts, [frame for _, frame in batch]))
    writer.wait()  # the run then waits for the ingest against these flows
    return count


def _await_ingest(stores: Stores, plan: Run, wait_s: float, poll_s: float = 0.1) -> int:
    """Wait until the registry holds every published reading (the flows hold what was sent);
    how many readings that is. Unavailable (503) when the ingest does not get there in time."""
    flows = stores.documents.flows
    deadline, done = time.monotonic() + wait_s, 0
    for index in range(plan.count):
        at = plan.at(index)
        rows = flows.at(plan.grid.id, _iso(at)).items()
        sent = {pid: (row["sold_wh"], row["bought_wh"]) for pid, row in rows}
        while True:
            with stores.uow(write=False) as uow:
                stored = uow.registry.readings_at(plan.grid.id, at)
            if all(stored.get(pid) == meter for pid, meter in sent.items()):
                break
            if time.monotonic() > deadline:
                raise Unavailable(
                    f"the meter ingest wrote {done} of {plan.count * len(sent)} published "
                    f"readings within {wait_s:.0f}s; is `flask ingest-mqtt` running on the "
                    "same broker and stores?"
                )
            time.sleep(poll_s)
        done += len(sent)
    return done
